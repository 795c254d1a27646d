//! 差评跟进 at the desk: every 不满意 / 非常不满意 with its reason, who it is assigned to, the
//! 整改 result, and the due day (15 working days; overdue in red). The station head assigns
//! and may record; staff see and record the ones given to them.

use super::access::{lenient, Checked, Desk, PageError};
use super::chrome::{csrf, desk_bar, desk_page, flash};
use super::state::AppState;
use crate::domain::followup::{Stage, RESULT_MAX};
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
    match f.channel.as_str() {
        "pad" => tr!("窗口评价器"),
        "phone" => tr!("手机扫码"),
        _ => tr!("其他"),
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
        }
    };
    Ok(desk_page(&s, tr!("差评跟进"), body, StatusCode::OK, false))
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
    },
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
    let outcome = s
        .call(move |st| match f.step {
            Step::Assign { assignee } => {
                st.assign_followup(&who, rating, version, &assignee).map(|_| tr!("已分派给 {}", assignee.trim()))
            }
            Step::Result { result } => {
                st.record_followup(&who, rating, version, &result).map(|_| tr!("已记录整改结果").to_string())
            }
        })
        .await?;
    Ok(desk.back(&s, "/desk/followups", outcome))
}
