//! 全程代办 at the desk: the queue by due date (overdue red, due within one working day
//! amber, paused grey) with the staff member's own cases first (首问责任), filters, the AB
//! warning; one case with its masked details, the logged reveal, the materials, every
//! legal move with its note, 延期 and 转办. Every change goes through the service with the
//! version of the case the staff member was looking at.

use super::access::{lenient, Checked, Desk, PageError};
use super::chrome::{csrf, desk_bar, desk_page, flash};
use super::state::AppState;
use crate::domain::case::{normalize_tracking, Case, CaseEvent, CaseState, Urgency};
use crate::domain::identity::{mask_id, mask_name, mask_phone};
use crate::domain::staff::StaffMember;
use crate::service::{AdvanceError, Signed, Station};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use std::collections::HashMap;

/// States the queue can be filtered by (the open ones), in workflow order.
const FILTER_STATES: [CaseState; 6] = [
    CaseState::Pending,
    CaseState::Accepted,
    CaseState::Submitted,
    CaseState::Completed,
    CaseState::Notified,
    CaseState::Returned,
];

/// The town's own steps of a handed case (issue 16): offered as filters, and counted, only
/// where a case is in them — a station that never joined a town never sees them.
const TOWN_FILTER_STATES: [CaseState; 2] = [CaseState::Received, CaseState::Forwarded];

/// The states to filter by at this station: the station's own, then the town's that occur.
fn filter_states(counts: &[(CaseState, u32)]) -> Vec<CaseState> {
    let mut states = FILTER_STATES.to_vec();
    states.extend(TOWN_FILTER_STATES.into_iter().filter(|st| counts.iter().any(|(k, n)| k == st && *n > 0)));
    states
}

pub(super) fn urgency_class(u: Urgency) -> &'static str {
    match u {
        Urgency::Overdue => "overdue",
        Urgency::DueSoon => "due-soon",
        Urgency::Normal => "normal",
        Urgency::Paused => "paused",
    }
}

fn due_text(c: &Case) -> String {
    match (c.state, c.due_on) {
        (CaseState::Returned, _) => tr!("暂停（待补正）").into(),
        (_, Some(d)) if c.due_beyond_calendar => tr!("{}（未含明年节假日）", d),
        (_, Some(d)) => d.to_string(),
        (_, None) => String::new(),
    }
}

fn who_name(staff: &[StaffMember], no: &Option<String>) -> String {
    match no {
        Some(n) => staff.iter().find(|s| &s.no == n).map(|s| format!("{} {}", s.no, s.name)).unwrap_or(n.clone()),
        None => tr!("（受理时记录）").into(),
    }
}

fn mine(c: &Case, me: &str) -> bool {
    c.assignee.as_deref() == Some(me) || c.first_responder.as_deref() == Some(me)
}

/// The queue's filters.
#[derive(Debug, Default, serde::Deserialize)]
pub struct QueueFilter {
    state: Option<String>,
    matter: Option<String>,
    overdue: Option<String>,
    mine: Option<String>,
}

pub async fn queue(State(s): State<AppState>, desk: Desk, Query(q): Query<QueueFilter>) -> Result<Response, PageError> {
    let sess = &desk.sess;
    let (all, urgencies, counts, staff, calendar, soon) = s
        .with_station(|st| {
            let all = st.open_cases()?;
            let urg: Vec<Urgency> = all.iter().map(|c| st.urgency(c)).collect();
            let soon = st.retention_soon()?;
            Ok::<_, crate::service::StoreError>((
                all,
                urg,
                st.case_counts()?,
                st.staff_list()?,
                st.holidays_notice(),
                soon,
            ))
        })
        .await?
        .map_err(|e| PageError::Fault(e.to_string()))?;
    let me = sess.who.no().to_string();
    let state_f = q.state.as_deref().and_then(CaseState::from_key);
    let matter_f = q.matter.filter(|m| !m.is_empty());
    let (overdue_f, mine_f) = (q.overdue.is_some(), q.mine.is_some());
    let mut rows: Vec<(&Case, Urgency)> = all
        .iter()
        .zip(urgencies.iter().copied())
        .filter(|(c, _)| state_f.is_none_or(|f| c.state == f))
        .filter(|(c, _)| matter_f.as_deref().is_none_or(|m| c.matter_code == m))
        .filter(|(_, u)| !overdue_f || *u == Urgency::Overdue)
        .filter(|(c, _)| !mine_f || mine(c, &me))
        .collect();
    // 首问责任: one's own cases first, each group by due date (the store's order).
    rows.sort_by_key(|(c, _)| !mine(c, &me));
    let states = filter_states(&counts);
    let count_text: Vec<String> = states
        .iter()
        .map(|st| {
            format!(
                "{} {}",
                crate::lang::tr(st.label()),
                counts.iter().find(|(k, _)| k == st).map(|(_, n)| *n).unwrap_or(0)
            )
        })
        .collect();
    let mut codes: Vec<(&str, &str)> = all.iter().map(|c| (c.matter_code.as_str(), c.matter_name.as_str())).collect();
    codes.sort();
    codes.dedup();
    let uncovered = all.iter().filter(|c| c.uncovered).count();
    let body = html! {
        main.desk {
            (desk_bar(&s, sess, "/desk/cases"))
            (flash(sess))
            h1 { (tr!("全程代办")) }
            p.counts {
                (count_text.join(" · "))
                // The list carried to the town today, one QR code per case.
                " · " a href="/desk/cases/handover" { (tr!("打印今天的代办交接单")) }
            }
            @if uncovered > 0 {
                p.notice { (uncovered) (tr!(" 件代办的A、B岗今日都不在岗，请安排人员顶岗或转办。")) }
            }
            @if let Some(n) = &calendar { p.notice { (crate::lang::sentence(n)) } }
            @if !soon.is_empty() {
                // Retention reaches open cases too: staff see them first.
                p.notice {
                    (soon.len()) (tr!(" 件代办很久没有办理，到期后身份证号、电话和姓名将按规定清除（只留遮挡后的样子）："))
                    @for (i, (t, d)) in soon.iter().enumerate() {
                        @if i > 0 { "、" }
                        a href={ "/desk/cases/" (t) } { (t) } "（" (d) (tr!("天后）"))
                    }
                    (tr!("。还要办的，请办理一步（如受理、报送或延期）。"))
                }
            }
            form.filters method="get" action="/desk/cases" {
                select name="state" aria-label=(tr!("状态")) {
                    option value="" { (tr!("全部状态")) }
                    @for st in states.iter().copied() {
                        option value=(st.key()) selected[state_f == Some(st)] { (crate::lang::tr(st.label())) }
                    }
                }
                select name="matter" aria-label=(tr!("事项")) {
                    option value="" { (tr!("全部事项")) }
                    @for (k, l) in &codes {
                        option value=(k) selected[matter_f.as_deref() == Some(*k)] { (k) " " (l) }
                    }
                }
                label { input type="checkbox" name="overdue" value="1" checked[overdue_f]; (tr!(" 只看超期")) }
                label { input type="checkbox" name="mine" value="1" checked[mine_f]; (tr!(" 只看我的")) }
                button type="submit" { (tr!("筛选")) }
            }
            table.cases {
                caption.visually-hidden { (tr!("代办列表")) }
                thead { tr { th { (tr!("编号")) } th { (tr!("事项")) } th { (tr!("状态")) } th { (tr!("承诺办结")) } th { (tr!("承办人")) } th { (tr!("申请人")) } } }
                tbody {
                    @if rows.is_empty() { tr { td colspan="6" { (tr!("没有符合条件的代办")) } } }
                    @for (c, u) in &rows {
                        tr class={ "u-" (urgency_class(*u)) @if mine(c, &me) { " mine" } } {
                            td { a href={ "/desk/cases/" (c.tracking) } { (c.tracking) } }
                            td { (c.matter_name) }
                            td { (crate::lang::tr(c.state.label())) }
                            td { (due_text(c)) }
                            td { (who_name(&staff, &c.assignee)) }
                            td {
                                @if let Some(n) = &c.name { (mask_name(n)) " " }
                                (mask_phone(&c.phone))
                            }
                        }
                    }
                }
            }
            p.legend {
                span.u-overdue { (tr!("红色：已超期")) } " "
                span.u-due-soon { (tr!("黄色：一个工作日内到期")) } " "
                span.u-paused { (tr!("灰色：退回补正，暂停计时")) } " "
                span.mine { (tr!("粗体：我的代办（首问/承办）")) }
            }
        }
    };
    Ok(desk_page(&s, tr!("全程代办"), body, StatusCode::OK, false))
}

fn event_label(e: &CaseEvent) -> String {
    match (e.kind.as_str(), e.to_state) {
        ("created", _) => tr!("村民在终端提交").into(),
        ("transition", Some(to)) => crate::lang::tr(to.label()).into(),
        ("extend", _) => tr!("延期").into(),
        ("reassign", _) => tr!("转办").into(),
        ("reveal", _) => tr!("查看完整信息").into(),
        ("materials", _) => tr!("材料更新").into(),
        ("assigned", _) => tr!("分派").into(),
        ("due-recomputed", _) => tr!("重算承诺日期").into(),
        ("conflict", _) => tr!("冲突").into(),
        ("settled", _) => tr!("冲突已处理").into(),
        (k, _) => k.into(),
    }
}

/// What the case page shows.
struct Loaded {
    case: Case,
    urgency: Urgency,
    events: Vec<CaseEvent>,
    staff: Vec<StaffMember>,
    /// Days until retention masks it, if it is an open case within its last 30 days.
    retention_days_left: Option<i64>,
}

/// One case; `full` is the revealed case (this response only: a reload masks again).
fn case_page(s: &AppState, desk: &Desk, l: &Loaded, full: bool) -> Response {
    let (sess, c) = (&desk.sess, &l.case);
    let action = |what: &str| format!("/desk/cases/{}/{what}", c.tracking);
    let fields = html! { (csrf(sess)) input type="hidden" name="version" value=(c.version); };
    let tz = s.cfg().station.tz;
    let (name, id, phone, phone2) = if full {
        (
            c.name.clone().unwrap_or_else(|| tr!("（未填，受理时补全）").into()),
            c.id_number.clone(),
            c.phone.clone(),
            c.phone2.clone().unwrap_or_default(),
        )
    } else {
        (
            c.name.as_deref().map(mask_name).unwrap_or_else(|| tr!("（未填）").into()),
            mask_id(&c.id_number),
            mask_phone(&c.phone),
            c.phone2.as_deref().map(mask_phone).unwrap_or_default(),
        )
    };
    let open = c.state.is_open();
    let moves = c.state.next_states();
    let body = html! {
        main.desk {
            (desk_bar(s, sess, "/desk/cases"))
            p { a href="/desk/cases" { (tr!("← 返回代办列表")) } }
            (flash(sess))
            h1 class={ "u-" (urgency_class(l.urgency)) } { (c.tracking) " " (c.matter_name) }
            p.state { (super::chrome::filled(tr!("状态：{} · 承诺办结：{}"), &[html! { b { (crate::lang::tr(c.state.label())) } }, html! { b { (due_text(c)) } }])) }
            @if let Some(r) = &c.extension_reason { p { (tr!("已延长{}个工作日：{}", c.extension_days, r)) } }
            @if let Some(d) = l.retention_days_left {
                p.notice { (tr!("这件代办很久没有办理：{}天后身份证号、电话和姓名将按规定清除（只留遮挡后的样子）。还要办的，请办理一步（如受理、报送或延期）。", d)) }
            }
            @if c.uncovered { p.notice { (tr!("A、B岗今日都不在岗：请安排人员顶岗或转办。")) } }
            @if let Some(x) = &c.conflict {
                section.attention role="alert" {
                    h2 { (tr!("冲突：要有人核对处理")) }
                    p { (x) }
                    form method="post" action={ "/desk/cases/" (c.tracking) "/settle" } {
                        (fields)
                        label for="settle-note" { (tr!("与镇中心核对后，写明怎么处理：")) }
                        input #settle-note type="text" name="note" required maxlength="500";
                        button type="submit" { (tr!("已核对处理")) }
                    }
                }
            }
            p {
                (tr!("首问责任人：")) (who_name(&l.staff, &c.first_responder))
                (tr!(" · 承办人：")) (who_name(&l.staff, &c.assignee.clone().or_else(|| c.first_responder.clone())))
            }
            section {
                h2 { (tr!("申请人")) }
                p {
                    (tr!("姓名：")) b #case-name { (name) }
                    (tr!(" · 身份证号：")) b #case-id { (id) }
                    (tr!(" · 电话：")) b #case-phone { (phone) }
                    @if !phone2.is_empty() { (tr!(" · 第二电话：")) (phone2) }
                }
                @if c.purged {
                    p.notice {
                        (tr!("结案已超过保存期限（{} 天）：身份证号、电话和姓名已按规定清除，只留遮挡后的样子。下面的办理备注是当时写的，可能含个人信息，请勿外传。", s.cfg().station.retention_days))
                    }
                } @else if full {
                    p.notice { (tr!("已显示完整信息（这次查看已记录）。离开或刷新本页后重新遮挡。")) }
                } @else {
                    form.inline method="post" action=(action("reveal")) {
                        (csrf(sess)) button type="submit" { (tr!("显示完整身份证号和电话（会记录）")) }
                    }
                }
            }
            section {
                h2 { (tr!("材料")) }
                @if open {
                    form method="post" action=(action("materials")) {
                        (fields)
                        ul.materials {
                            @for (i, m) in c.materials.iter().enumerate() {
                                li { label { input type="checkbox" name={ "m" (i) } value="1" checked[m.received]; " " (m.name) " " small { (crate::lang::requirement_text(&m.requirement)) } } }
                            }
                        }
                        button type="submit" { (tr!("保存材料")) }
                    }
                } @else {
                    // A case that has ended keeps its materials as a record: nothing to save.
                    ul.materials {
                        @for m in &c.materials {
                            li { (if m.received { tr!("✔ 已收") } else { tr!("✘ 未收") }) " " (m.name) " " small { (crate::lang::requirement_text(&m.requirement)) } }
                        }
                    }
                }
            }
            section {
                h2 { (tr!("办理")) }
                @if moves.is_empty() { p { (tr!("已结束，不能再办理。")) } }
                @for to in moves {
                    form.move method="post" action=(action("act")) {
                        (fields)
                        input type="hidden" name="to" value=(to.key());
                        @match to.needs_note() {
                            Some(what) => label { (tr!("说明（必填：")) (what) "）" input name="note" maxlength="200" required; },
                            None => label { (tr!("说明（可不填）")) input name="note" maxlength="200"; },
                        }
                        button type="submit" { (crate::lang::tr(to.action_label())) }
                    }
                }
            }
            @if open {
                section {
                    h2 { (tr!("延期")) }
                    form method="post" action=(action("extend")) {
                        (fields)
                        label { (tr!("延长 ")) input type="number" name="days" min="1" max="60" value="5" required; (tr!(" 个工作日")) }
                        label { (tr!("原因（村民会看到）")) input name="reason" maxlength="200" required; }
                        button type="submit" { (tr!("延期")) }
                    }
                }
                section {
                    h2 { (tr!("转办")) }
                    form method="post" action=(action("reassign")) {
                        (fields)
                        select name="to_staff" aria-label=(tr!("转给谁")) {
                            @for m in l.staff.iter().filter(|m| m.active) { option value=(m.no) { (m.no) " " (m.name) } }
                        }
                        label { (tr!("交接说明")) input name="note" maxlength="200"; }
                        button type="submit" { (tr!("转办")) }
                    }
                }
            }
            section {
                h2 { (tr!("办理经过")) }
                ul.list {
                    @for e in &l.events {
                        li {
                            span.date { (e.at.with_timezone(&tz).format("%m-%d %H:%M")) } " "
                            (event_label(e)) " " small { (e.staff_no.as_deref().unwrap_or("")) } " "
                            (e.note.as_deref().unwrap_or(""))
                        }
                    }
                }
            }
        }
    };
    desk_page(s, &c.tracking, body, StatusCode::OK, false)
}

fn no_such_case() -> PageError {
    PageError::Refused(StatusCode::NOT_FOUND, tr!("没有这件代办，请回到代办列表。").into())
}

async fn load(s: &AppState, tracking: String) -> Result<Loaded, PageError> {
    s.with_station(move |st| {
        let Some(case) = st.find_case(&tracking)? else { return Ok(None) };
        let urgency = st.urgency(&case);
        let events = st.case_events(&case)?;
        let left = st.retention_soon()?.into_iter().find(|(t, _)| *t == case.tracking).map(|(_, d)| d);
        Ok::<_, crate::service::StoreError>(Some(Loaded {
            case,
            urgency,
            events,
            staff: st.staff_list()?,
            retention_days_left: left,
        }))
    })
    .await?
    .map_err(|e| PageError::Fault(e.to_string()))?
    .ok_or_else(no_such_case)
}

pub async fn one(State(s): State<AppState>, desk: Desk, Path(raw): Path<String>) -> Result<Response, PageError> {
    let tracking = normalize_tracking(&raw).ok_or_else(no_such_case)?;
    // The full data only in the one answer after 显示完整…: a reload masks it again.
    let full = s.sessions().take_reveal(&desk.id, &tracking);
    let loaded = load(&s, tracking).await?;
    Ok(case_page(&s, &desk, &loaded, full))
}

/// A form whose only field is the CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct Nothing {}

/// 显示完整身份证号和电话: the look is logged, and the page it redirects to shows the data,
/// once (a reload, or 返回 and forward again, shows it masked and logs nothing).
pub async fn reveal(
    State(s): State<AppState>,
    desk: Desk,
    Path(raw): Path<String>,
    Checked(_): Checked<Nothing>,
) -> Result<Response, PageError> {
    let tracking = normalize_tracking(&raw).ok_or_else(no_such_case)?;
    let (who, t) = (desk.sess.who.clone(), tracking.clone());
    match s.call(move |st| st.reveal_case(&who, &t)).await? {
        Ok(_) => {
            // Logged once; the page after the redirect shows the data once.
            s.sessions().grant_reveal(&desk.id, &tracking);
            Ok(Redirect::to(&format!("/desk/cases/{tracking}")).into_response())
        }
        Err(words) => Err(PageError::Refused(StatusCode::FORBIDDEN, words)),
    }
}

/// A change to a case: done → back to the case with the outcome; refused → the same, with
/// the reason (an illegal move lists the legal ones; a stale view says to look again).
async fn change(
    s: AppState,
    desk: Desk,
    raw: String,
    f: impl FnOnce(&mut Station, &Signed, &str) -> Result<String, AdvanceError> + Send + 'static,
) -> Result<Response, PageError> {
    let tracking = normalize_tracking(&raw).ok_or_else(no_such_case)?;
    let (who, t) = (desk.sess.who.clone(), tracking.clone());
    let outcome = s.call(move |st| f(st, &who, &t)).await?;
    Ok(desk.back(&s, &format!("/desk/cases/{tracking}"), outcome))
}

/// A step of the case, as posted.
#[derive(Debug, serde::Deserialize)]
pub struct Step {
    #[serde(default, deserialize_with = "lenient::number")]
    version: Option<i64>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    note: String,
}

pub async fn act(
    State(s): State<AppState>,
    desk: Desk,
    Path(raw): Path<String>,
    Checked(f): Checked<Step>,
) -> Result<Response, PageError> {
    let to = f.to.as_deref().and_then(CaseState::from_key).filter(|s| *s != CaseState::Pending);
    let Some(to) = to else {
        desk.flash(&s, true, tr!("请选择要办理的一步，再按按钮。"));
        return Ok(Redirect::to(&format!("/desk/cases/{}", raw.trim())).into_response());
    };
    change(s, desk, raw, move |st, who, t| {
        st.advance_case(who, t, to, &f.note, f.version).map(|c| tr!("已办理：{}", crate::lang::tr(c.state.label())))
    })
    .await
}

/// A conflict with the town settled, with how.
pub async fn settle(
    State(s): State<AppState>,
    desk: Desk,
    Path(raw): Path<String>,
    Checked(f): Checked<Step>,
) -> Result<Response, PageError> {
    change(s, desk, raw, move |st, who, t| {
        st.settle_case(who, t, &f.note, f.version).map(|_| tr!("冲突已处理，会告诉镇中心").to_string())
    })
    .await
}

/// The materials ticked (`m0`, `m1` …) on the case's version.
#[derive(Debug, serde::Deserialize)]
pub struct Materials {
    #[serde(default, deserialize_with = "lenient::number")]
    version: Option<i64>,
    #[serde(flatten)]
    ticked: HashMap<String, String>,
}

pub async fn materials(
    State(s): State<AppState>,
    desk: Desk,
    Path(raw): Path<String>,
    Checked(f): Checked<Materials>,
) -> Result<Response, PageError> {
    change(s, desk, raw, move |st, who, t| {
        let Some(case) = st.find_case(t)? else { return Err(AdvanceError::NotFound(t.to_string())) };
        let received: Vec<bool> = (0..case.materials.len()).map(|i| f.ticked.contains_key(&format!("m{i}"))).collect();
        st.set_case_materials(who, t, &received, f.version).map(|_| tr!("材料已保存").to_string())
    })
    .await
}

/// 延期, as posted.
#[derive(Debug, serde::Deserialize)]
pub struct Extension {
    #[serde(default, deserialize_with = "lenient::number")]
    version: Option<i64>,
    #[serde(default, deserialize_with = "lenient::number")]
    days: Option<u32>,
    #[serde(default)]
    reason: String,
}

pub async fn extend(
    State(s): State<AppState>,
    desk: Desk,
    Path(raw): Path<String>,
    Checked(f): Checked<Extension>,
) -> Result<Response, PageError> {
    change(s, desk, raw, move |st, who, t| {
        st.extend_case(who, t, f.days.unwrap_or(0), &f.reason, f.version)
            .map(|c| tr!("已延期，新的承诺办结日期 {}", c.due_on.map(|d| d.to_string()).unwrap_or_default()))
    })
    .await
}

/// 转办, as posted.
#[derive(Debug, serde::Deserialize)]
pub struct Handover {
    #[serde(default, deserialize_with = "lenient::number")]
    version: Option<i64>,
    #[serde(default)]
    to_staff: String,
    #[serde(default)]
    note: String,
}

pub async fn reassign(
    State(s): State<AppState>,
    desk: Desk,
    Path(raw): Path<String>,
    Checked(f): Checked<Handover>,
) -> Result<Response, PageError> {
    change(s, desk, raw, move |st, who, t| {
        st.reassign_case(who, t, &f.to_staff, &f.note, f.version)
            .map(|c| tr!("已转给 {}", c.assignee.unwrap_or_default()))
    })
    .await
}

/// The day of a 代办交接单 (today when not given).
#[derive(Debug, serde::Deserialize)]
pub struct HandoverDay {
    #[serde(default)]
    date: Option<String>,
}

/// The 代办交接单 of a day as a PDF: the cases marked 已报送 that day, masked, one QR code
/// per case (what the town's inbox reads from a scanner).
pub async fn handover(State(s): State<AppState>, _: Desk, Query(q): Query<HandoverDay>) -> Result<Response, PageError> {
    let day = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(
            d.parse::<chrono::NaiveDate>()
                .map_err(|_| PageError::Refused(StatusCode::BAD_REQUEST, tr!("日期要写成 2026-11-30 这样。").into()))?,
        ),
        None => None,
    };
    let (day, pdf) = s
        .call(move |st| {
            let day = day.unwrap_or_else(|| st.clock.today());
            st.handover_pdf(day).map(|(pdf, _)| (day, pdf))
        })
        .await?
        .map_err(|w| PageError::Refused(StatusCode::SERVICE_UNAVAILABLE, w))?;
    let mut r = super::typed(StatusCode::OK, "application/pdf", pdf);
    if let Ok(h) = axum::http::HeaderValue::from_str(&format!("inline; filename=\"handover-{day}.pdf\"")) {
        r.headers_mut().insert(axum::http::header::CONTENT_DISPOSITION, h);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_towns_states_are_offered_only_where_cases_are_in_them() {
        assert_eq!(filter_states(&[(CaseState::Accepted, 3)]), FILTER_STATES.to_vec());
        let joined = filter_states(&[(CaseState::Forwarded, 1), (CaseState::Received, 0)]);
        assert_eq!(joined.last(), Some(&CaseState::Forwarded));
        assert!(!joined.contains(&CaseState::Received));
    }
}
