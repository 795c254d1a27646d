//! The villager's phone: `/t/{token}` (a queue ticket) and `/c/{token}` (a 代办 case),
//! reached by the receipt's QR code. No login: holding the receipt is the proof. An
//! unknown, expired or tampered token gets the same plain 没有找到 page.
//!
//! The ticket page updates itself (a live stream; a timed reload for old browsers; a
//! refresh tag without scripts) and, once the ticket is finished, offers the rating.

use super::html::{bad_request, esc, not_found, plain, Page};
use super::state::AppState;
use super::stream::{follow_snapshot, Next};
use crate::domain::rating::{Level, REASONS};
use crate::domain::ticket::short_token;
use crate::service::{is_token, view_in, CasePage, RateError, TicketView};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

pub async fn index(State(s): State<AppState>) -> Response {
    let st = &s.cfg().station;
    let body = format!(
        "<main class=\"phone\"><h1>{}</h1><p>扫描号票或代办回执上的二维码，可以查看排队和办理进度。</p>\
         <p>办公时间：{}</p><p>服务电话：{}</p></main>",
        esc(&st.name),
        esc(&st.hours_text()),
        esc(&st.phone)
    );
    Page { title: &st.name, class: "phone", body, script: None, noscript_refresh: None, refresh_to: None }
        .response(StatusCode::OK)
}

/// The part of the ticket page that changes: number, state, people ahead.
pub fn ticket_live_html(v: &TicketView) -> String {
    let mut h = String::with_capacity(600);
    h.push_str(&format!("<div class=\"number\">{}</div>", esc(&v.number)));
    h.push_str(&format!("<div class=\"what\">{}</div>", esc(&v.what)));
    if v.priority {
        h.push_str("<div class=\"badge\">优先办理</div>");
    }
    h.push_str(&format!("<div class=\"state state-{}\">{}</div>", esc(v.status), esc(&v.state_text)));
    if let (Some(a), Some(m)) = (v.ahead, v.wait_min) {
        if a == 0 {
            h.push_str("<p class=\"ahead\">前面没有人了，请留意叫号</p>");
        } else {
            h.push_str(&format!("<p class=\"ahead\">前面还有 <b>{a}</b> 人，预计等候约 <b>{m}</b> 分钟</p>"));
        }
    }
    if let Some(n) = &v.closed_notice {
        h.push_str(&format!("<p class=\"notice\">{}</p>", esc(n)));
    }
    h
}

fn materials_html(v: &TicketView) -> String {
    if v.materials.is_empty() {
        return "<section class=\"materials\"><h2>要带的材料</h2><p>按类别取的号：到窗口后工作人员会告诉您要带什么。\
                一般请带好身份证和户口簿。</p></section>"
            .into();
    }
    let items: String = v
        .materials
        .iter()
        .map(|m| {
            let note = if m.note.is_empty() { String::new() } else { format!("<small>{}</small>", esc(&m.note)) };
            format!("<li><b>{}</b> <span>{}</span>{note}</li>", esc(&m.name), esc(&m.requirement))
        })
        .collect();
    format!("<section class=\"materials\"><h2>要带的材料（一次性告知）</h2><ul>{items}</ul></section>")
}

/// The five levels as big buttons (one form each: works without scripts).
fn rating_form(action: &str, what: &str) -> String {
    let buttons: String = Level::ALL
        .iter()
        .map(|l| {
            format!(
                "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"level\" value=\"{}\">\
                 <button class=\"rate rate-{}\" type=\"submit\">{}</button></form>",
                esc(action),
                l.value(),
                l.value(),
                l.label()
            )
        })
        .collect();
    format!(
        "<section class=\"rating\" id=\"rating\"><h2>请您评价这次{}</h2><p>评价是自愿的，不评也可以。</p>\
         <div class=\"rate-buttons\">{buttons}</div></section>",
        esc(what)
    )
}

/// The reasons asked for 不满意 / 非常不满意 (the level already chosen).
fn reason_form(action: &str, level: Level, error: Option<&str>) -> String {
    let reasons: String = REASONS
        .iter()
        .map(|(k, label)| {
            format!("<label class=\"reason\"><input type=\"radio\" name=\"reason\" value=\"{k}\"> {label}</label>")
        })
        .collect();
    let err = error.map(|e| format!("<p class=\"error\">{}</p>", esc(e))).unwrap_or_default();
    format!(
        "<section class=\"rating\"><h2>您选了“{}”</h2><p>请告诉我们哪里没做好，服务站会在15个工作日内跟进整改。</p>{err}\
         <form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"level\" value=\"{}\">{reasons}\
         <label class=\"comment\">想说的话（可不填）<textarea name=\"comment\" maxlength=\"200\" rows=\"3\"></textarea></label>\
         <button class=\"primary\" type=\"submit\">提交评价</button></form></section>",
        level.label(),
        esc(action),
        level.value()
    )
}

fn ticket_page(s: &AppState, token: &str, v: &TicketView, extra: Option<String>) -> Response {
    let st = &s.cfg().station;
    let rating = match (&extra, v.can_rate) {
        (Some(x), _) => x.clone(),
        (None, true) => rating_form(&format!("/t/{token}/rate"), "服务"),
        (None, false) if v.rated.is_some() => "<p class=\"thanks\">您已评价，谢谢！</p>".to_string(),
        _ => String::new(),
    };
    let live = !v.finished && !v.expired;
    let body = format!(
        "<main class=\"phone ticket\"><header><div class=\"station\">{}</div><div class=\"issued\">取号时间 {}</div></header>\
         <section id=\"live\" class=\"live\"{}>{}</section>{}{}\
         <footer><p>凭证码 {}{}</p><p>服务电话 {}</p></footer></main>",
        esc(&st.name),
        esc(&v.issued),
        if live { format!(" data-src=\"/t/{token}/live\"") } else { String::new() },
        ticket_live_html(v),
        rating,
        materials_html(v),
        esc(&short_token(token)),
        if live { " · 本页会自动更新" } else { "" },
        esc(&st.phone),
    );
    Page {
        title: &format!("{} 号 · {}", v.number, st.name),
        class: "phone",
        body,
        script: live.then_some("t.js"),
        noscript_refresh: live.then_some(20),
        refresh_to: None,
    }
    .response(StatusCode::OK)
}

/// Looks up the ticket page; `Err` is the response to give instead.
async fn find_ticket(s: &AppState, token: &str) -> Result<TicketView, Response> {
    if !is_token(token) {
        return Err(not_found());
    }
    let live = s.live();
    if let Some(t) = live.snap.ticket(token) {
        // Today's ticket: straight from the snapshot, no store access.
        return Ok(view_in(s.cfg(), &live.snap, t, live.snap.rated.contains(&t.id)));
    }
    let token = token.to_string();
    match s.with_station(move |st| st.ticket_page(&live.snap, &token)).await {
        Ok(Ok(Some(v))) => Ok(v),
        Ok(Ok(None)) => Err(not_found()),
        Ok(Err(e)) => Err(unavailable(&e.to_string())),
        Err(e) => Err(unavailable(&e.0)),
    }
}

/// [`find_ticket`] with the rating as the store has it now.
async fn find_ticket_fresh(s: &AppState, token: &str) -> Result<TicketView, Response> {
    if !is_token(token) {
        return Err(not_found());
    }
    let live = s.live();
    let token = token.to_string();
    match s.with_station(move |st| st.ticket_page_fresh(&live.snap, &token)).await {
        Ok(Ok(Some(v))) => Ok(v),
        Ok(Ok(None)) => Err(not_found()),
        Ok(Err(e)) => Err(unavailable(&e.to_string())),
        Err(e) => Err(unavailable(&e.0)),
    }
}

pub fn unavailable(why: &str) -> Response {
    tracing::error!("service unavailable: {why}");
    plain(StatusCode::SERVICE_UNAVAILABLE, "暂时无法查询", "服务站的系统正忙，请过一会儿再试，或到窗口询问。")
}

pub async fn ticket(State(s): State<AppState>, Path(token): Path<String>, Query(step): Query<RatingStep>) -> Response {
    // Right after a rating (the redirect's ?thanks), the rating is read from the store:
    // the live snapshot may be a moment behind.
    let found = if step.thanks.is_some() { find_ticket_fresh(&s, &token).await } else { find_ticket(&s, &token).await };
    match found {
        Ok(v) => {
            let extra = step.html(&format!("/t/{token}/rate"), v.can_rate, v.rated.is_some());
            ticket_page(&s, &token, &v, extra)
        }
        Err(r) => r,
    }
}

/// The live stream of a ticket page: its changing part as HTML, sent on connect and
/// whenever it changes; a "final" event (the page reloads) when the ticket is finished or
/// no longer today's.
pub async fn ticket_live(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let first = match find_ticket(&s, &token).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // A stream holds only what it sends: the station's configuration is read through the
    // shared state, never copied into each phone's stream (it was, 150 KB a phone).
    let state = s.clone();
    let mut first = Some(first);
    follow_snapshot(s, move |cur| {
        let view = match first.take() {
            Some(v) => v,
            None => match cur.snap.ticket(&token) {
                Some(t) => view_in(state.cfg(), &cur.snap, t, cur.snap.rated.contains(&t.id)),
                // Midnight passed: yesterday's ticket no longer changes; the page reloads.
                None => return Next::End(Some(Event::default().event("final").data(""))),
            },
        };
        let html = ticket_live_html(&view);
        if view.finished || view.expired {
            return Next::End(Some(Event::default().event("final").data(html)));
        }
        Next::Send { key: html.clone(), event: Event::default().event("update").data(html) }
    })
}

/// Reads a small urlencoded form; any malformed body is a plain 400. A value typed with a
/// Chinese input method's full-width digits (１３５７９０, ２０２６－１１－０１) is read as the
/// number or date it is; text is left as typed.
pub fn form(body: &Bytes) -> Result<HashMap<String, String>, Response> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map(|v| v.into_iter().map(|(k, v)| (k, numeric(v))).collect())
        .map_err(|_| bad_request("表单内容有误，请回到页面重新提交。"))
}

/// `v` in half-width when it is a number, a date, a time or a phone number written in
/// full-width forms; otherwise `v` as it is.
fn numeric(v: String) -> String {
    let half = crate::domain::text::half_width(&v);
    let number_like = half.chars().any(|c| c.is_ascii_digit())
        && half.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '.' | ':' | '/' | 'x' | 'X'));
    if number_like {
        half.into_owned()
    } else {
        v
    }
}

fn level_of(f: &HashMap<String, String>) -> Result<Level, Response> {
    f.get("level")
        .and_then(|l| l.trim().parse::<u8>().ok())
        .and_then(Level::new)
        .ok_or_else(|| bad_request("请选择 1 到 5 的评价。"))
}

/// What a rating page shows after a rating form was posted (every post answers with a
/// redirect to the page, so a reload or 返回 never posts again).
#[derive(Debug, Default, serde::Deserialize)]
pub struct RatingStep {
    /// A 差评 chosen: ask why (the level, 1 or 2).
    rate: Option<u8>,
    /// The words were too long.
    problem: Option<String>,
    /// Rated: `1`, or `bad` for a 差评 (followed up by the station).
    thanks: Option<String>,
}

impl RatingStep {
    /// The rating part of the page for this step, or None for the page's own.
    fn html(&self, action: &str, can_rate: bool, rated: bool) -> Option<String> {
        match (self.rate.and_then(Level::new), &self.thanks) {
            (Some(level), _) if can_rate && level.is_bad() => {
                let problem = self.problem.as_ref().map(|_| "说明太长了（最多 200 字），请改短一些。");
                Some(reason_form(action, level, problem))
            }
            (_, Some(t)) if rated => Some(if t == "bad" {
                // A ticket holds no contact: promise the follow-up, not a call back.
                "<p class=\"thanks\">谢谢您的评价。服务站会在15个工作日内跟进整改。</p>".to_string()
            } else {
                "<p class=\"thanks\">谢谢您的评价！</p>".to_string()
            }),
            _ => None,
        }
    }
}

/// Stores a posted rating and answers with a redirect (303) to the page to show next.
async fn rate(s: &AppState, token: String, body: Bytes, back: String) -> Response {
    let f = match form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let level = match level_of(&f) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let reason = f.get("reason").cloned();
    let comment = f.get("comment").cloned();
    let see = |query: String| Redirect::to(&format!("{back}{query}#rating")).into_response();
    if level.is_bad()
        && reason.as_deref().unwrap_or("").trim().is_empty()
        && comment.as_deref().unwrap_or("").trim().is_empty()
    {
        // 差评 asks for a reason before anything is stored.
        return see(format!("?rate={}", level.value()));
    }
    let t = token.clone();
    let result =
        s.with_station(move |st| st.rate(&t, level.value(), reason.as_deref(), comment.as_deref(), "phone")).await;
    match result {
        Ok(Ok(r)) => see(format!("?thanks={}", if r.flagged { "bad" } else { "1" })),
        Ok(Err(RateError::NotFound)) => not_found(),
        Ok(Err(RateError::Problem(_))) => see(format!("?rate={}&problem=1", level.value())),
        // Two taps, or a second phone: the page says it is rated.
        Ok(Err(RateError::AlreadyRated)) => see(String::new()),
        Ok(Err(e @ (RateError::NotYet(_) | RateError::NotPaired))) => {
            plain(StatusCode::CONFLICT, "不能评价", &e.to_string())
        }
        Ok(Err(RateError::Store(e))) => unavailable(&e.to_string()),
        Err(e) => unavailable(&e.0),
    }
}

pub async fn rate_ticket(State(s): State<AppState>, Path(token): Path<String>, body: Bytes) -> Response {
    if let Err(r) = find_ticket(&s, &token).await {
        return r;
    }
    let back = format!("/t/{token}");
    rate(&s, token, body, back).await
}

fn case_html(s: &AppState, token: &str, p: &CasePage, extra: Option<String>) -> Response {
    let v = &p.view;
    let st = &s.cfg().station;
    let timeline: String = v
        .timeline
        .iter()
        .map(|e| {
            let note = e.note.as_ref().map(|n| format!("：{}", esc(n))).unwrap_or_default();
            format!("<li><span class=\"date\">{}</span> {}{note}</li>", esc(&e.date), esc(&e.label))
        })
        .collect();
    let missing = if v.missing.is_empty() {
        String::new()
    } else {
        let items: String = v.missing.iter().map(|m| format!("<li>{}</li>", esc(m))).collect();
        format!("<section class=\"materials\"><h2>还需补交的材料</h2><ul>{items}</ul></section>")
    };
    let due = match &v.due {
        Some(d) => format!("<p class=\"due\">承诺办结日期：<b>{}</b> {}</p>", esc(d), esc(&v.due_note)),
        None if !v.due_note.is_empty() => format!("<p class=\"due\">{}</p>", esc(&v.due_note)),
        None => String::new(),
    };
    let extension = v.extension.as_ref().map(|e| format!("<p class=\"notice\">{}</p>", esc(e))).unwrap_or_default();
    let rating = match (extra, p.can_rate, p.rated) {
        (Some(x), _, _) => x,
        (None, true, _) => rating_form(&format!("/c/{token}/rate"), "代办服务"),
        (None, false, true) => "<p class=\"thanks\">您已评价，谢谢！</p>".into(),
        _ => String::new(),
    };
    let name = if v.name_masked.is_empty() { String::new() } else { format!("{} · ", esc(&v.name_masked)) };
    let body = format!(
        "<main class=\"phone case\"><header><div class=\"station\">{}</div></header>\
         <section class=\"live\"><div class=\"what\">全程代办 · {}</div><div class=\"tracking\">{}</div>\
         <div class=\"state\">{}</div><p>{}</p>{due}{extension}\
         <p class=\"who\">{name}{} · {}</p></section>{rating}{missing}\
         <section class=\"timeline\"><h2>办理经过</h2><ul>{timeline}</ul></section>\
         <footer><p>服务电话 {}</p></footer></main>",
        esc(&st.name),
        esc(&v.matter),
        esc(&v.tracking),
        esc(&v.state_label),
        esc(&v.explanation),
        esc(&v.id_masked),
        esc(&v.phone_masked),
        esc(&st.phone),
    );
    Page {
        title: &format!("代办 {} · {}", v.tracking, st.name),
        class: "phone",
        body,
        script: None,
        noscript_refresh: None,
        refresh_to: None,
    }
    .response(StatusCode::OK)
}

async fn find_case(s: &AppState, token: &str) -> Result<CasePage, Response> {
    if !is_token(token) {
        return Err(not_found());
    }
    let t = token.to_string();
    match s.with_station(move |st| st.case_page(&t)).await {
        Ok(Ok(Some(p))) => Ok(p),
        Ok(Ok(None)) => Err(not_found()),
        Ok(Err(e)) => Err(unavailable(&e.to_string())),
        Err(e) => Err(unavailable(&e.0)),
    }
}

pub async fn case(State(s): State<AppState>, Path(token): Path<String>, Query(step): Query<RatingStep>) -> Response {
    match find_case(&s, &token).await {
        Ok(p) => {
            let extra = step.html(&format!("/c/{token}/rate"), p.can_rate, p.rated);
            case_html(&s, &token, &p, extra)
        }
        Err(r) => r,
    }
}

pub async fn rate_case(State(s): State<AppState>, Path(token): Path<String>, body: Bytes) -> Response {
    if let Err(r) = find_case(&s, &token).await {
        return r;
    }
    let back = format!("/c/{token}");
    rate(&s, token, body, back).await
}
