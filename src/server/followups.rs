//! 差评跟进 at the desk: every 不满意 / 非常不满意 with its reason, who it is assigned to, the
//! 整改 result, and the due day (15 working days; overdue in red). The station head assigns
//! and may record; staff see and record the ones given to them.

use super::access::{lenient, Checked, Desk, PageError};
use super::chrome::{csrf, desk_bar, desk_page, flash};
use super::state::AppState;
use crate::domain::followup::{Category, Details, Stage, RESULT_MAX};
use crate::domain::rating::{Channel, Level};
use crate::domain::staff::StaffMember;
use crate::service::Followup;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};

fn person(staff: &[StaffMember], no: Option<&str>) -> String {
    match no {
        Some(n) => staff.iter().find(|s| s.no == n).map(|s| format!("{} {}", s.no, s.name)).unwrap_or(n.to_string()),
        None => "—".into(),
    }
}

fn channel(f: &Followup) -> &'static str {
    match Channel::from_key(&f.channel) {
        Some(c) => crate::lang::tr(c.label()),
        None => tr!("其他"),
    }
}

fn card(f: &Followup, staff: &[StaffMember], sess: &super::session::Session, tz: &chrono_tz::Tz) -> Markup {
    let (admin, me) = (sess.who.is_admin(), sess.who.no());
    let due = format!("{}{}", f.due, if f.due_beyond_calendar { tr!("（未含明年节假日）") } else { "" });
    let class = if f.overdue {
        "followup late"
    } else if f.stage == Stage::Done {
        "followup closed"
    } else {
        "followup"
    };
    let fields = html! {
        (csrf(sess))
        input type="hidden" name="id" value=(f.id);
        input type="hidden" name="version" value=(f.version);
    };
    let pick = f.assignee.as_deref().or(f.served_by.as_deref());
    html! {
        li class=(class) id={ "f" (f.id) } {
            p {
                b { (f.level) } " " (f.rated_at.with_timezone(tz).format("%Y-%m-%d %H:%M")) "（" (channel(f)) "）· "
                (f.subject) " · " (f.matter)
                @if let Some(w) = f.window { " · " (w) (tr!("号窗口")) }
                (tr!(" · 服务人员 ")) (person(staff, f.served_by.as_deref()))
            }
            p { (tr!("原因：")) (if f.reason.is_empty() { tr!("（未填写）") } else { &f.reason }) }
            p {
                @if f.overdue {
                    b.late { (tr!("已超期（应于 {} 前整改）", due)) }
                } @else if f.stage == Stage::Done {
                    b { (crate::lang::tr(f.stage.label())) }
                } @else {
                    b { (crate::lang::tr(f.stage.label())) } (tr!("，请于 {} 前整改", due))
                }
                (tr!(" · 跟进人 ")) (person(staff, f.assignee.as_deref()))
            }
            @if let (Some(r), Some(at)) = (&f.result, &f.done_at) {
                p.done {
                    (tr!("整改结果：")) (r) "（" (person(staff, f.done_by.as_deref())) (tr!(" 记录于 "))
                    (at.with_timezone(tz).format("%Y-%m-%d")) "）"
                }
                dl.details {
                    @if let Some(c) = f.category { dt { (tr!("分类")) } dd { (crate::lang::tr(c.label())) } }
                    @if let Some(p) = &f.plan { dt { (tr!("整改方案")) } dd { (p) } }
                    @if let Some(d) = &f.fixed_at { dt { (tr!("整改完成")) } dd { (d) } }
                    @if let (Some(d), Some(r)) = (&f.callback_at, &f.callback_result) {
                        dt { (tr!("回访")) } dd { (d) "：" (r) }
                    }
                    @if let Some(a) = &f.appeal { dt { (tr!("申诉（误评）")) } dd { (a) } }
                }
            }
            @if f.stage != Stage::Done && admin {
                form.inline method="post" action="/desk/followups/act" {
                    (fields)
                    input type="hidden" name="action" value="assign";
                    label {
                        (tr!("分派给 "))
                        select name="assignee" {
                            @for s in staff.iter().filter(|s| s.active) {
                                option value=(s.no) selected[Some(s.no.as_str()) == pick] { (s.no) " " (s.name) }
                            }
                        }
                    }
                    button type="submit" { (if f.assignee.is_some() { tr!("改派") } else { tr!("分派") }) }
                }
            }
            @if f.stage != Stage::Done && (admin || f.assignee.as_deref() == Some(me)) {
                form.result method="post" action="/desk/followups/act" {
                    (fields)
                    input type="hidden" name="action" value="result";
                    label {
                        (tr!("核实后的分类 "))
                        select name="category" {
                            option value="" { (tr!("请选择")) }
                            @for c in Category::ALL { option value=(c.key()) { (crate::lang::tr(c.label())) } }
                        }
                    }
                    label {
                        (tr!("整改方案 "))
                        textarea name="plan" rows="2" maxlength=(RESULT_MAX) placeholder=(tr!("打算怎么改（诉求合理时）")) {}
                    }
                    label { (tr!("整改完成日期 ")) input type="date" name="fixed_on"; }
                    label { (tr!("回访日期 ")) input type="date" name="callback_on"; }
                    label {
                        (tr!("回访结果 "))
                        input name="callback_result" maxlength=(RESULT_MAX) placeholder=(tr!("打电话或上门问村民是否满意"));
                    }
                    label {
                        (tr!("申诉理由（只用于误评） "))
                        textarea name="appeal" rows="2" maxlength=(RESULT_MAX) placeholder=(tr!("为什么认为这条评价不实")) {}
                    }
                    label {
                        (tr!("整改结果 "))
                        textarea name="result" rows="2" maxlength=(RESULT_MAX) placeholder=(tr!("做了什么改进，是否已向村民说明")) {}
                    }
                    button type="submit" { (tr!("记录整改结果")) }
                }
            }
        }
    }
}

pub async fn page(State(s): State<AppState>, desk: Desk) -> Result<Response, PageError> {
    let sess = &desk.sess;
    let who = sess.who.clone();
    let (list, staff) = s
        .call(move |st| Ok::<_, crate::service::FollowupError>((st.followups(&who)?, st.staff_list()?)))
        .await?
        .map_err(|words| PageError::Refused(StatusCode::FORBIDDEN, words))?;
    let tz = s.clock().tz();
    let open = list.iter().filter(|f| f.stage != Stage::Done).count();
    let late = list.iter().filter(|f| f.overdue).count();
    let intro = if sess.who.is_admin() {
        tr!(
            "每一条不满意、非常不满意的评价都要跟进：分派给办理的人（谁办理谁负责），{}个工作日内整改并记录结果。",
            s.cfg().station.followup_days
        )
    } else {
        tr!("分派给您的差评：请在{}个工作日内整改，并在这里写明结果。", s.cfg().station.followup_days)
    };
    let body = html! {
        main.desk {
            (desk_bar(&s, sess, "/desk/followups"))
            (flash(sess))
            h1 { (tr!("差评跟进")) }
            p { (intro) }
            p.counts { (super::chrome::filled(tr!("待整改 {} 条 · 已超期 {} 条"), &[html! { b { (open) } }, html! { b { (late) } }])) }
            ul.followups {
                @if list.is_empty() { li { (tr!("没有需要跟进的差评。")) } }
                @for f in &list { (card(f, &staff, sess, &tz)) }
            }
            (paper_form(sess, &s.live().snap.reasons))
        }
    };
    Ok(desk_page(&s, tr!("差评跟进"), body, StatusCode::OK, false))
}

/// 书面评价表: a paper form a villager filled in, typed in as it is (marked as paper, with
/// who typed it). Nothing is pre-selected: the level is the one ticked on the paper.
fn paper_form(sess: &super::session::Session, reasons: &crate::domain::rating::Reasons) -> Markup {
    html! {
        section.paper #paper {
            h2 { (tr!("录入书面评价表")) }
            p { (tr!("村民在纸质评价表上填的评价，照原样录入（记为书面评价，并记下录入人）。")) }
            form method="post" action="/desk/followups/paper" {
                (csrf(sess))
                label {
                    (tr!("号票或代办编号 "))
                    input name="target" required maxlength="40" placeholder=(tr!("今天的号如 C003；别的日期写 2026-11-30 C003"));
                }
                fieldset {
                    legend { (tr!("表上勾选的满意度")) }
                    @for l in Level::ALL {
                        label.choice { input type="radio" name="level" value=(l.value()) required; " " (crate::lang::tr(l.label())) }
                    }
                }
                fieldset {
                    legend { (tr!("表上勾选的原因（不满意、非常不满意时）")) }
                    @for (k, label) in reasons.list() {
                        label.choice { input type="checkbox" name={ "reason-" (k) } value="1"; " " (label) }
                    }
                }
                label {
                    (tr!("表上写的意见 "))
                    textarea name="comment" rows="2" maxlength=(crate::domain::rating::COMMENT_MAX) {}
                }
                button type="submit" { (tr!("录入")) }
            }
        }
    }
}

/// The paper form posted: its fields as pairs (each reason ticked is its own `reason-CODE`).
pub async fn paper(
    State(s): State<AppState>,
    desk: Desk,
    Checked(fields): Checked<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let target = get("target");
    let Ok(level) = get("level").trim().parse::<u8>() else {
        return Ok(desk.back(&s, "/desk/followups#paper", Err(tr!("请选择表上勾选的满意度").into())));
    };
    let picked: Vec<String> = s
        .live()
        .snap
        .reasons
        .list()
        .iter()
        .filter(|(k, _)| fields.iter().any(|(n, v)| n.strip_prefix("reason-") == Some(k.as_str()) && !v.is_empty()))
        .map(|(k, _)| k.clone())
        .collect();
    let comment = get("comment");
    let who = desk.sess.who.clone();
    let outcome = s
        .call(move |st| {
            let refs: Vec<&str> = picked.iter().map(String::as_str).collect();
            st.rate_on_paper(&who, &target, level, &refs, Some(comment.as_str()))
                .map(|r| tr!("已录入书面评价：{} {}", r.key, crate::lang::tr(r.level_label)))
        })
        .await?;
    Ok(desk.back(&s, "/desk/followups", outcome))
}

/// What a follow-up form asks.
#[derive(Debug, serde::Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    Assign {
        #[serde(default)]
        assignee: String,
    },
    Result {
        #[serde(default)]
        result: String,
        #[serde(default)]
        category: Option<String>,
        #[serde(default)]
        plan: Option<String>,
        #[serde(default)]
        fixed_on: Option<String>,
        #[serde(default)]
        callback_on: Option<String>,
        #[serde(default)]
        callback_result: Option<String>,
        #[serde(default)]
        appeal: Option<String>,
    },
}

/// A date field of the form: empty is none, anything else must be YYYY-MM-DD.
fn form_day(text: Option<&str>) -> Result<Option<chrono::NaiveDate>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t.parse().map(Some).map_err(|_| tr!("日期“{}”不对，请按 年-月-日 填写", t)),
    }
}

/// A follow-up form: the rating it is about, the version the page showed, the step.
#[derive(Debug, serde::Deserialize)]
pub struct FollowupForm {
    #[serde(default, deserialize_with = "lenient::number")]
    id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::number")]
    version: Option<i64>,
    #[serde(flatten)]
    step: Step,
}

pub async fn act(
    State(s): State<AppState>,
    desk: Desk,
    Checked(f): Checked<FollowupForm>,
) -> Result<Response, PageError> {
    let (Some(rating), Some(version)) = (f.id, f.version) else {
        return Err(PageError::Refused(
            StatusCode::BAD_REQUEST,
            tr!("这条差评的编号不对，请回到差评跟进页面重新操作。").into(),
        ));
    };
    let who = desk.sess.who.clone();
    // The result's form, checked for its dates before anything is asked of the store.
    let details = match f.step {
        Step::Result { result, category, plan, fixed_on, callback_on, callback_result, appeal } => {
            match (form_day(fixed_on.as_deref()), form_day(callback_on.as_deref())) {
                (Ok(fixed_on), Ok(callback_on)) => Some(Details {
                    category: category.as_deref().and_then(Category::from_key),
                    plan,
                    fixed_on,
                    callback_on,
                    callback_result,
                    appeal,
                    result,
                }),
                (Err(words), _) | (_, Err(words)) => return Ok(desk.back(&s, "/desk/followups", Err(words))),
            }
        }
        Step::Assign { assignee } => {
            let outcome = s
                .call(move |st| {
                    st.assign_followup(&who, rating, version, &assignee).map(|_| tr!("已分派给 {}", assignee.trim()))
                })
                .await?;
            return Ok(desk.back(&s, "/desk/followups", outcome));
        }
    };
    let outcome = s
        .call(move |st| match details {
            Some(d) => st.record_followup_details(&who, rating, version, d).map(|_| tr!("已记录整改结果").to_string()),
            None => Ok(String::new()),
        })
        .await?;
    Ok(desk.back(&s, "/desk/followups", outcome))
}
