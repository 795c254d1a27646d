//! 全程代办 at the desk: the queue by due date (overdue red, due within one working day
//! amber, paused grey) with the staff member's own cases first (首问责任), filters, the AB
//! warning; one case with its masked details, the logged reveal, the materials, every
//! legal move with its note, 延期 and 转办. Every change goes through the service with the
//! version of the case the staff member was looking at.

use super::desk::{checked, hidden_csrf, logout_form_html as logout_form, nav, shell, signed_in};
use super::html::{bad_request, esc, plain};
use super::public::unavailable;
use super::session::Session;
use super::state::AppState;
use crate::domain::case::{normalize_tracking, Case, CaseEvent, CaseState, Urgency};
use crate::domain::identity::{mask_id, mask_name, mask_phone};
use crate::domain::staff::StaffMember;
use crate::service::AdvanceError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
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

fn urgency_class(u: Urgency) -> &'static str {
    match u {
        Urgency::Overdue => "overdue",
        Urgency::DueSoon => "due-soon",
        Urgency::Normal => "normal",
        Urgency::Paused => "paused",
    }
}

fn due_text(c: &Case) -> String {
    match (c.state, c.due_on) {
        (CaseState::Returned, _) => "暂停（待补正）".into(),
        (_, Some(d)) if c.due_beyond_calendar => format!("{d}（未含明年节假日）"),
        (_, Some(d)) => d.to_string(),
        (_, None) => String::new(),
    }
}

fn who_name(staff: &[StaffMember], no: &Option<String>) -> String {
    match no {
        Some(n) => staff.iter().find(|s| &s.no == n).map(|s| format!("{} {}", s.no, s.name)).unwrap_or(n.clone()),
        None => "（受理时记录）".into(),
    }
}

fn mine(c: &Case, me: &str) -> bool {
    c.assignee.as_deref() == Some(me) || c.first_responder.as_deref() == Some(me)
}

fn header(s: &AppState, sess: &Session) -> String {
    desk_header(s, sess, "/desk/cases")
}

/// The desk's top bar: station, sections (the current one marked), who, 签退.
pub(super) fn desk_header(s: &AppState, sess: &Session, current: &str) -> String {
    format!(
        "<header class=\"bar\"><span class=\"station\">{}</span>{}<span class=\"who\">{} {}</span>{}</header>",
        esc(&s.cfg().station.name),
        nav(sess, current),
        esc(sess.who.no()),
        esc(sess.who.name()),
        logout_form(sess)
    )
}

pub(super) fn flash(sess: &Session) -> String {
    sess.message()
        .map(|(err, text)| {
            format!("<p class=\"{}\" role=\"status\">{}</p>", if err { "error" } else { "ok" }, esc(text))
        })
        .unwrap_or_default()
}

/// The queue.
pub async fn queue(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let sess = match signed_in(&s, &headers, false).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = s
        .with_station(|st| {
            let all = st.open_cases()?;
            let urg: Vec<Urgency> = all.iter().map(|c| st.urgency(c)).collect();
            let soon = st.retention_soon()?;
            Ok::<_, crate::service::StoreError>((
                all,
                urg,
                st.case_counts()?,
                st.staff_list()?,
                st.calendar_notice(),
                soon,
            ))
        })
        .await;
    let (all, urgencies, counts, staff, calendar, soon) = match result {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return unavailable(&e.to_string()),
        Err(e) => return unavailable(&e.0),
    };
    let me = sess.who.no().to_string();
    let state_f = q.get("state").and_then(|k| CaseState::from_key(k));
    let matter_f = q.get("matter").filter(|m| !m.is_empty()).cloned();
    let overdue_f = q.get("overdue").is_some();
    let mine_f = q.get("mine").is_some();
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
    let count_text: Vec<String> = FILTER_STATES
        .iter()
        .map(|st| format!("{} {}", st.label(), counts.iter().find(|(k, _)| k == st).map(|(_, n)| *n).unwrap_or(0)))
        .collect();
    let mut codes: Vec<(&str, &str)> = all.iter().map(|c| (c.matter_code.as_str(), c.matter_name.as_str())).collect();
    codes.sort();
    codes.dedup();
    let state_opts: String = std::iter::once(("".to_string(), "全部状态".to_string()))
        .chain(FILTER_STATES.iter().map(|s| (s.key().to_string(), s.label().to_string())))
        .map(|(k, l)| {
            let sel = if state_f.map(|s| s.key()) == Some(k.as_str()) { " selected" } else { "" };
            format!("<option value=\"{k}\"{sel}>{l}</option>")
        })
        .collect();
    let matter_opts: String = std::iter::once(("", "全部事项"))
        .chain(codes.iter().copied())
        .map(|(k, l)| {
            let sel = if matter_f.as_deref() == Some(k) { " selected" } else { "" };
            format!("<option value=\"{}\"{sel}>{} {}</option>", esc(k), esc(k), esc(l))
        })
        .collect();
    let check = |b: bool| if b { " checked" } else { "" };
    let uncovered = all.iter().filter(|c| c.uncovered).count();
    let mut warning = if uncovered > 0 {
        format!("<p class=\"notice\">{uncovered} 件代办的A、B岗今日都不在岗，请安排人员顶岗或转办。</p>")
    } else {
        String::new()
    };
    if let Some(n) = calendar {
        warning.push_str(&format!("<p class=\"notice\">{}</p>", esc(&n)));
    }
    if !soon.is_empty() {
        // Retention reaches open cases too: staff see them first.
        let items: Vec<String> =
            soon.iter().map(|(t, d)| format!("<a href=\"/desk/cases/{}\">{}</a>（{d}天后）", esc(t), esc(t))).collect();
        warning.push_str(&format!(
            "<p class=\"notice\">{} 件代办很久没有办理，到期后身份证号、电话和姓名将按规定清除（只留遮挡后的样子）：{}。\
             还要办的，请办理一步（如受理、报送或延期）。</p>",
            soon.len(),
            items.join("、")
        ));
    }
    let table: String = rows
        .iter()
        .map(|(c, u)| {
            let applicant = format!(
                "{} {}",
                c.name.as_deref().map(mask_name).unwrap_or_default(),
                mask_phone(&c.phone)
            );
            format!(
                "<tr class=\"u-{}{}\"><td><a href=\"/desk/cases/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                urgency_class(*u),
                if mine(c, &me) { " mine" } else { "" },
                esc(&c.tracking),
                esc(&c.tracking),
                esc(&c.matter_name),
                c.state.label(),
                esc(&due_text(c)),
                esc(&who_name(&staff, &c.assignee)),
                esc(applicant.trim()),
            )
        })
        .collect();
    let body = format!(
        "<main class=\"desk\">{}{}<h1>全程代办</h1><p class=\"counts\">{}</p>{warning}\
         <form method=\"get\" action=\"/desk/cases\" class=\"filters\">\
         <select name=\"state\" aria-label=\"状态\">{state_opts}</select>\
         <select name=\"matter\" aria-label=\"事项\">{matter_opts}</select>\
         <label><input type=\"checkbox\" name=\"overdue\" value=\"1\"{}> 只看超期</label>\
         <label><input type=\"checkbox\" name=\"mine\" value=\"1\"{}> 只看我的</label>\
         <button type=\"submit\">筛选</button></form>\
         <table class=\"cases\"><thead><tr><th>编号</th><th>事项</th><th>状态</th><th>承诺办结</th><th>承办人</th><th>申请人</th></tr></thead>\
         <tbody>{}</tbody></table><p class=\"legend\"><span class=\"u-overdue\">红色：已超期</span> \
         <span class=\"u-due-soon\">黄色：一个工作日内到期</span> <span class=\"u-paused\">灰色：退回补正，暂停计时</span> \
         <span class=\"mine\">粗体：我的代办（首问/承办）</span></p></main>",
        header(&s, &sess),
        flash(&sess),
        esc(&count_text.join(" · ")),
        check(overdue_f),
        check(mine_f),
        if table.is_empty() { "<tr><td colspan=\"6\">没有符合条件的代办</td></tr>".to_string() } else { table },
    );
    shell(&s, "全程代办", body, StatusCode::OK, false)
}

fn tracking_of(raw: &str) -> Option<String> {
    normalize_tracking(raw)
}

fn event_label(e: &CaseEvent) -> String {
    match (e.kind.as_str(), e.to_state) {
        ("created", _) => "村民在终端提交".into(),
        ("transition", Some(to)) => to.label().into(),
        ("extend", _) => "延期".into(),
        ("reassign", _) => "转办".into(),
        ("reveal", _) => "查看完整信息".into(),
        ("materials", _) => "材料更新".into(),
        ("assigned", _) => "分派".into(),
        ("due-recomputed", _) => "重算承诺日期".into(),
        (k, _) => k.into(),
    }
}

/// One case; `full` is the revealed case (this response only: a reload masks again).
#[allow(clippy::too_many_arguments)]
fn case_page(
    s: &AppState,
    sess: &Session,
    c: &Case,
    urgency: Urgency,
    events: &[CaseEvent],
    staff: &[StaffMember],
    full: bool,
    retention_days_left: Option<i64>,
) -> Response {
    let csrf = hidden_csrf(sess);
    let version = format!("<input type=\"hidden\" name=\"version\" value=\"{}\">", c.version);
    let action = |what: &str| format!("/desk/cases/{}/{what}", esc(&c.tracking));
    let tz = s.cfg().station.tz;
    let (name, id, phone, phone2) = if full {
        (
            c.name.clone().unwrap_or_else(|| "（未填，受理时补全）".into()),
            c.id_number.clone(),
            c.phone.clone(),
            c.phone2.clone().unwrap_or_default(),
        )
    } else {
        (
            c.name.as_deref().map(mask_name).unwrap_or_else(|| "（未填）".into()),
            mask_id(&c.id_number),
            mask_phone(&c.phone),
            c.phone2.as_deref().map(mask_phone).unwrap_or_default(),
        )
    };
    let reveal = if c.purged {
        format!(
            "<p class=\"notice\">结案已超过保存期限（{} 天）：身份证号、电话和姓名已按规定清除，只留遮挡后的样子。\
             下面的办理备注是当时写的，可能含个人信息，请勿外传。</p>",
            s.cfg().station.retention_days
        )
    } else if full {
        "<p class=\"notice\">已显示完整信息（这次查看已记录）。离开或刷新本页后重新遮挡。</p>".to_string()
    } else {
        format!(
            "<form method=\"post\" action=\"{}\" class=\"inline\">{csrf}<button type=\"submit\">显示完整身份证号和电话（会记录）</button></form>",
            action("reveal")
        )
    };
    let open = c.state.is_open();
    let materials: String = c
        .materials
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if open {
                format!(
                    "<li><label><input type=\"checkbox\" name=\"m{i}\" value=\"1\"{}> {} <small>{}</small></label></li>",
                    if m.received { " checked" } else { "" },
                    esc(&m.name),
                    esc(&m.requirement)
                )
            } else {
                format!(
                    "<li>{} {} <small>{}</small></li>",
                    if m.received { "✔ 已收" } else { "✘ 未收" },
                    esc(&m.name),
                    esc(&m.requirement)
                )
            }
        })
        .collect();
    // A case that has ended keeps its materials as a record: nothing to save.
    let materials = if open {
        format!(
            "<form method=\"post\" action=\"{}\">{csrf}{version}<ul class=\"materials\">{materials}</ul>\
             <button type=\"submit\">保存材料</button></form>",
            action("materials")
        )
    } else {
        format!("<ul class=\"materials\">{materials}</ul>")
    };
    let moves: String = c
        .state
        .next_states()
        .iter()
        .map(|to| {
            let note = match to.needs_note() {
                Some(what) => format!(
                    "<label>说明（必填：{}）<input name=\"note\" maxlength=\"200\" required></label>",
                    esc(what)
                ),
                None => "<label>说明（可不填）<input name=\"note\" maxlength=\"200\"></label>".into(),
            };
            format!(
                "<form method=\"post\" action=\"{}\" class=\"move\">{csrf}{version}<input type=\"hidden\" name=\"to\" value=\"{}\">{note}\
                 <button type=\"submit\">{}</button></form>",
                action("act"),
                to.key(),
                to.action_label()
            )
        })
        .collect();
    let staff_opts: String = staff
        .iter()
        .filter(|m| m.active)
        .map(|m| format!("<option value=\"{}\">{} {}</option>", esc(&m.no), esc(&m.no), esc(&m.name)))
        .collect();
    let extend = if open {
        format!(
            "<section><h2>延期</h2><form method=\"post\" action=\"{}\">{csrf}{version}\
             <label>延长 <input type=\"number\" name=\"days\" min=\"1\" max=\"60\" value=\"5\" required> 个工作日</label>\
             <label>原因（村民会看到）<input name=\"reason\" maxlength=\"200\" required></label>\
             <button type=\"submit\">延期</button></form></section>\
             <section><h2>转办</h2><form method=\"post\" action=\"{}\">{csrf}{version}\
             <select name=\"to_staff\" aria-label=\"转给谁\">{staff_opts}</select>\
             <label>交接说明<input name=\"note\" maxlength=\"200\"></label><button type=\"submit\">转办</button></form></section>",
            action("extend"),
            action("reassign")
        )
    } else {
        String::new()
    };
    let timeline: String = events
        .iter()
        .map(|e| {
            format!(
                "<li><span class=\"date\">{}</span> {} <small>{}</small> {}</li>",
                e.at.with_timezone(&tz).format("%m-%d %H:%M"),
                esc(&event_label(e)),
                esc(e.staff_no.as_deref().unwrap_or("")),
                esc(e.note.as_deref().unwrap_or(""))
            )
        })
        .collect();
    let extension = c
        .extension_reason
        .as_ref()
        .map(|r| format!("<p>已延长{}个工作日：{}</p>", c.extension_days, esc(r)))
        .unwrap_or_default();
    let retention = retention_days_left
        .map(|d| {
            format!(
                "<p class=\"notice\">这件代办很久没有办理：{d}天后身份证号、电话和姓名将按规定清除（只留遮挡后的样子）。\
                 还要办的，请办理一步（如受理、报送或延期）。</p>"
            )
        })
        .unwrap_or_default();
    let uncovered = if c.uncovered {
        "<p class=\"notice\">A、B岗今日都不在岗：请安排人员顶岗或转办。</p>"
    } else {
        ""
    };
    let body = format!(
        "<main class=\"desk\">{}<p><a href=\"/desk/cases\">← 返回代办列表</a></p>{}\
         <h1 class=\"u-{}\">{} {}</h1><p class=\"state\">状态：<b>{}</b> · 承诺办结：<b>{}</b></p>{extension}{retention}{uncovered}\
         <p>首问责任人：{} · 承办人：{}</p>\
         <section><h2>申请人</h2><p>姓名：<b id=\"case-name\">{}</b> · 身份证号：<b id=\"case-id\">{}</b> · 电话：<b id=\"case-phone\">{}</b> {}</p>{reveal}</section>\
         <section><h2>材料</h2>{materials}</section>\
         <section><h2>办理</h2>{}</section>{extend}\
         <section><h2>办理经过</h2><ul class=\"list\">{timeline}</ul></section></main>",
        header(s, sess),
        flash(sess),
        urgency_class(urgency),
        esc(&c.tracking),
        esc(&c.matter_name),
        c.state.label(),
        esc(&due_text(c)),
        esc(&who_name(staff, &c.first_responder)),
        esc(&who_name(staff, &c.assignee.clone().or_else(|| c.first_responder.clone()))),
        esc(&name),
        esc(&id),
        esc(&phone),
        if phone2.is_empty() { String::new() } else { format!("· 第二电话：{}", esc(&phone2)) },
        if moves.is_empty() { "<p>已结束，不能再办理。</p>".to_string() } else { moves },
    );
    shell(s, &c.tracking, body, StatusCode::OK, false)
}

type Loaded = (Case, Urgency, Vec<CaseEvent>, Vec<StaffMember>, Option<i64>);

async fn load(s: &AppState, tracking: String) -> Result<Loaded, Response> {
    let r = s
        .with_station(move |st| {
            let Some(c) = st.find_case(&tracking)? else { return Ok(None) };
            let u = st.urgency(&c);
            let ev = st.case_events(&c)?;
            let left = st.retention_soon()?.into_iter().find(|(t, _)| *t == c.tracking).map(|(_, d)| d);
            Ok::<_, crate::service::StoreError>(Some((c, u, ev, st.staff_list()?, left)))
        })
        .await;
    match r {
        Ok(Ok(Some(x))) => Ok(x),
        Ok(Ok(None)) => Err(plain(StatusCode::NOT_FOUND, "没有找到", "没有这件代办，请回到代办列表。")),
        Ok(Err(e)) => Err(unavailable(&e.to_string())),
        Err(e) => Err(unavailable(&e.0)),
    }
}

pub async fn one(State(s): State<AppState>, headers: HeaderMap, Path(raw): Path<String>) -> Response {
    let sess = match signed_in(&s, &headers, false).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(tracking) = tracking_of(&raw) else {
        return plain(StatusCode::NOT_FOUND, "没有找到", "没有这件代办，请回到代办列表。");
    };
    // The full data only in the one answer after 显示完整…: a reload masks it again.
    let full = super::desk::session_of(&s, &headers).0.is_some_and(|id| s.sessions().take_reveal(&id, &tracking));
    match load(&s, tracking).await {
        Ok((c, u, ev, staff, left)) => case_page(&s, &sess, &c, u, &ev, &staff, full, left),
        Err(r) => r,
    }
}

/// 显示完整身份证号和电话: the look is logged, and the page it redirects to shows the data,
/// once (a reload, or 返回 and forward again, shows it masked and logs nothing).
pub async fn reveal(State(s): State<AppState>, headers: HeaderMap, Path(raw): Path<String>, body: Bytes) -> Response {
    let (id, sess, _) = match checked(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(tracking) = tracking_of(&raw) else { return bad_request("没有这件代办。") };
    let who = sess.who.clone();
    let t = tracking.clone();
    match s.with_station(move |st| st.reveal_case(&who, &t)).await {
        Ok(Ok(_)) => {
            // Logged once; the page after the redirect shows the data once.
            s.sessions().grant_reveal(&id, &tracking);
            Redirect::to(&format!("/desk/cases/{tracking}")).into_response()
        }
        Ok(Err(e)) => plain(StatusCode::FORBIDDEN, "不能查看", &e.to_string()),
        Err(e) => unavailable(&e.0),
    }
}

/// A change to a case: done → back to the case with the outcome; refused → the same, with
/// the reason (an illegal move lists the legal ones; a stale view says to look again).
async fn change(
    s: AppState,
    headers: HeaderMap,
    raw: String,
    body: Bytes,
    f: impl FnOnce(
            &mut crate::service::Station,
            &crate::service::Signed,
            &str,
            &HashMap<String, String>,
            Option<i64>,
        ) -> Result<String, AdvanceError>
        + Send
        + 'static,
) -> Response {
    let (id, sess, form) = match checked(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(tracking) = tracking_of(&raw) else { return bad_request("没有这件代办。") };
    let seen = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let who = sess.who.clone();
    let t = tracking.clone();
    match s.with_station(move |st| f(st, &who, &t, &form, seen)).await {
        Ok(Ok(text)) => s.sessions().flash(&id, false, text),
        Ok(Err(e)) => s.sessions().flash(&id, true, e.to_string()),
        Err(e) => return unavailable(&e.0),
    }
    Redirect::to(&format!("/desk/cases/{tracking}")).into_response()
}

pub async fn act(State(s): State<AppState>, headers: HeaderMap, Path(raw): Path<String>, body: Bytes) -> Response {
    change(s, headers, raw, body, |st, who, t, f, seen| {
        let to = f.get("to").and_then(|k| CaseState::from_key(k)).filter(|s| *s != CaseState::Pending);
        let Some(to) = to else { return Err(AdvanceError::NotFound("to".into())) };
        let note = f.get("note").map(String::as_str).unwrap_or("");
        st.advance_case(who, t, to, note, seen).map(|c| format!("已办理：{}", c.state.label()))
    })
    .await
}

pub async fn materials(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    change(s, headers, raw, body, |st, who, t, f, seen| {
        let Some(case) = st.find_case(t)? else { return Err(AdvanceError::NotFound(t.to_string())) };
        let received: Vec<bool> = (0..case.materials.len()).map(|i| f.contains_key(&format!("m{i}"))).collect();
        st.set_case_materials(who, t, &received, seen).map(|_| "材料已保存".to_string())
    })
    .await
}

pub async fn extend(State(s): State<AppState>, headers: HeaderMap, Path(raw): Path<String>, body: Bytes) -> Response {
    change(s, headers, raw, body, |st, who, t, f, seen| {
        let days = f.get("days").and_then(|d| d.trim().parse::<u32>().ok()).unwrap_or(0);
        let reason = f.get("reason").map(String::as_str).unwrap_or("");
        st.extend_case(who, t, days, reason, seen)
            .map(|c| format!("已延期，新的承诺办结日期 {}", c.due_on.map(|d| d.to_string()).unwrap_or_default()))
    })
    .await
}

pub async fn reassign(State(s): State<AppState>, headers: HeaderMap, Path(raw): Path<String>, body: Bytes) -> Response {
    change(s, headers, raw, body, |st, who, t, f, seen| {
        let to = f.get("to_staff").map(String::as_str).unwrap_or("");
        let note = f.get("note").map(String::as_str).unwrap_or("");
        st.reassign_case(who, t, to, note, seen).map(|c| format!("已转给 {}", c.assignee.unwrap_or_default()))
    })
    .await
}
