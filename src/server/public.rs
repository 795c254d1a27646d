//! The villager's phone: `/t/{token}` (a queue ticket) and `/c/{token}` (a 代办 case),
//! reached by the receipt's QR code. No login: holding the receipt is the proof. An
//! unknown, expired or tampered token gets the same plain 没有找到 page.
//!
//! The ticket page updates itself (a live stream; a timed reload for old browsers; a
//! refresh tag without scripts) and, once the ticket is finished, offers the rating.

use super::access::{PageError, Posted};
use super::chrome::{bad_request, not_found, plain, Shell};
use super::state::AppState;
use super::stream::{follow_snapshot, Next};
use crate::domain::rating::{Level, Reasons};
use crate::domain::ticket::short_token;
use crate::lang::sentence;
use crate::service::{is_token, view_in, CasePage, RateError, TicketView};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use std::collections::HashMap;

pub async fn index(State(s): State<AppState>) -> Response {
    let st = &s.cfg().station;
    Shell::new(&st.name, "phone").response(
        StatusCode::OK,
        html! {
            main.phone {
                h1 { (st.name) }
                p { (tr!("扫描号票或代办回执上的二维码，可以查看排队和办理进度。")) }
                p { (tr!("办公时间：")) (st.hours_text()) }
                p { (tr!("服务电话：")) (st.phone) }
            }
        },
    )
}

/// The part of the ticket page that changes: number, state, people ahead (also what the
/// live stream sends).
pub fn live_part(v: &TicketView) -> Markup {
    html! {
        // 快到您了: said first, in the page's own words, and marked for the page's script
        // (a chime and a vibration once, where the phone allows).
        @if v.nearly_up { p.nearly-up role="alert" data-nearly-up="1" { (tr!("快到您了")) } }
        h1.number { (v.number) }
        div.what { (v.what) }
        @if v.priority { div.badge { (tr!("优先办理")) } }
        div class={ "state state-" (v.status) } { (sentence(&v.state_text)) }
        @if let (Some(a), Some(m)) = (v.ahead, v.wait_min) {
            @if a == 0 {
                p.ahead { (tr!("前面没有人了，请留意叫号")) }
            } @else {
                p.ahead { (super::chrome::filled(tr!("前面还有 {} 人，预计等候约 {} 分钟"), &[html! { b { (a) } }, html! { b { (m) } }])) }
            }
        }
        @if let Some(n) = &v.closed_notice { p.notice { (sentence(n)) } }
    }
}

fn materials(v: &TicketView) -> Markup {
    html! {
        section.materials {
            @if v.materials.is_empty() {
                h2 { (tr!("要带的材料")) }
                p { (tr!("按类别取的号：到窗口后工作人员会告诉您要带什么。一般请带好身份证和户口簿。")) }
            } @else {
                h2 { (tr!("要带的材料（一次性告知）")) }
                ul {
                    @for m in &v.materials {
                        li {
                            b { (m.name) } " " span { (crate::lang::requirement_text(&m.requirement)) }
                            @if !m.note.is_empty() { small { (m.note) } }
                        }
                    }
                }
            }
        }
    }
}

/// The five levels as big buttons (one form each: works without scripts).
fn rating_form(action: &str, what: &str) -> Markup {
    html! {
        section.rating #rating {
            h2 { (tr!("请您评价这次")) (what) }
            p { (tr!("评价是自愿的，不评也可以。")) }
            div.rate-buttons {
                @for l in Level::ALL {
                    form method="post" action=(action) {
                        input type="hidden" name="level" value=(l.value());
                        button class={ "rate rate-" (l.value()) } type="submit" { (crate::lang::tr(l.label())) }
                    }
                }
            }
        }
    }
}

/// The reasons asked for 不满意 / 非常不满意 (the level already chosen).
fn reason_form(action: &str, level: Level, error: Option<&str>, reasons: &Reasons, days: u32) -> Markup {
    html! {
        section.rating #rating {
            h2 { (tr!("您选了“")) (crate::lang::tr(level.label())) "”" }
            p { (tr!("请告诉我们哪里没做好，服务站会在{}个工作日内跟进整改。", days)) }
            @if let Some(e) = error { p.error { (e) } }
            form method="post" action=(action) {
                input type="hidden" name="level" value=(level.value());
                fieldset {
                    legend { (tr!("哪里没做好")) }
                    @for (k, label) in reasons.list() {
                        label.reason { input type="radio" name="reason" value=(k); " " (label) }
                    }
                }
                label.comment { (tr!("想说的话（可不填）")) textarea name="comment" maxlength="200" rows="3" {} }
                button.primary type="submit" { (tr!("提交评价")) }
            }
        }
    }
}

fn thanks(text: &str) -> Markup {
    html! { p.thanks { (text) } }
}

fn ticket_page(s: &AppState, token: &str, v: &TicketView, extra: Option<Markup>) -> Response {
    let st = &s.cfg().station;
    let live = !v.finished && !v.expired;
    let rating = match (extra, v.can_rate) {
        (Some(x), _) => Some(x),
        (None, true) => Some(rating_form(&format!("/t/{token}/rate"), tr!("服务"))),
        (None, false) if v.rated.is_some() => Some(thanks(tr!("您已评价，谢谢！"))),
        _ => None,
    };
    let title = tr!("{} 号 · {}", v.number, st.name);
    let shell = Shell {
        title: &title,
        class: "phone",
        script: live.then_some("t.js"),
        noscript_refresh: live.then_some(20),
        refresh_to: None,
    };
    let src = live.then(|| format!("/t/{token}/live"));
    shell.response(
        StatusCode::OK,
        html! {
            main.phone.ticket {
                header { div.station { (st.name) } div.issued { (tr!("取号时间 ")) (crate::lang::date(v.issued_at.date())) " " (v.issued_at.format("%H:%M")) } }
                section #live .live data-src=[src] { (live_part(v)) }
                @if let Some(r) = rating { (r) }
                (materials(v))
                footer {
                    p { (tr!("凭证码 ")) (short_token(token)) @if live { (tr!(" · 本页会自动更新")) } }
                    p { (tr!("服务电话 ")) (st.phone) }
                }
            }
        },
    )
}

/// The ticket page of `token`; no such ticket is the plain 404 page.
async fn find_ticket(s: &AppState, token: &str) -> Result<TicketView, PageError> {
    if !is_token(token) {
        return Err(PageError::Page(not_found()));
    }
    let live = s.live();
    if let Some(t) = live.snap.ticket(token) {
        // Today's ticket: straight from the snapshot, no store access.
        return Ok(view_in(s.cfg(), &live.snap, t, live.snap.rated.contains(&t.id)));
    }
    let token = token.to_string();
    s.call(move |st| st.ticket_page(&live.snap, &token))
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?
        .ok_or_else(|| PageError::Page(not_found()))
}

/// [`find_ticket`] with the rating as the store has it now.
async fn find_ticket_fresh(s: &AppState, token: &str) -> Result<TicketView, PageError> {
    if !is_token(token) {
        return Err(PageError::Page(not_found()));
    }
    let live = s.live();
    let token = token.to_string();
    s.call(move |st| st.ticket_page_fresh(&live.snap, &token))
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?
        .ok_or_else(|| PageError::Page(not_found()))
}

pub async fn ticket(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Query(step): Query<RatingStep>,
) -> Result<Response, PageError> {
    // Around a rating (the reason form's ?rate, the redirect's ?thanks), the rating is read
    // from the store: the live snapshot may be a moment behind, and a reloaded reason form
    // must not be offered again once the rating is stored.
    let v = if step.thanks.is_some() || step.rate.is_some() {
        find_ticket_fresh(&s, &token).await?
    } else {
        find_ticket(&s, &token).await?
    };
    let days = s.cfg().station.followup_days;
    let extra = step.html(&format!("/t/{token}/rate"), v.can_rate, v.rated.is_some(), &s.live().snap.reasons, days);
    Ok(ticket_page(&s, &token, &v, extra))
}

/// The live stream of a ticket page: its changing part as HTML, sent on connect and
/// whenever it changes; a "final" event (the page reloads) when the ticket is finished or
/// no longer today's.
pub async fn ticket_live(State(s): State<AppState>, Path(token): Path<String>) -> Result<Response, PageError> {
    let first = find_ticket(&s, &token).await?;
    // A stream holds only what it sends: the station's configuration is read through the
    // shared state, never copied into each phone's stream (it was, 150 KB a phone).
    let state = s.clone();
    let mut first = Some(first);
    Ok(follow_snapshot(s, move |cur| {
        let view = match first.take() {
            Some(v) => v,
            None => match cur.snap.ticket(&token) {
                Some(t) => view_in(state.cfg(), &cur.snap, t, cur.snap.rated.contains(&t.id)),
                // Midnight passed: yesterday's ticket no longer changes; the page reloads.
                None => return Next::End(Some(Event::default().event("final").data(""))),
            },
        };
        let html = live_part(&view).into_string();
        if view.finished || view.expired {
            return Next::End(Some(Event::default().event("final").data(html)));
        }
        Next::Send { key: html.clone(), event: Event::default().event("update").data(html) }
    }))
}

/// Reads a small urlencoded form; any malformed body is a plain 400. A value typed with a
/// Chinese input method's full-width digits (１３５７９０, ２０２６－１１－０１) is read as the
/// number or date it is; text is left as typed.
pub fn form(body: &Bytes) -> Result<HashMap<String, String>, Response> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map(|v| v.into_iter().map(|(k, v)| (k, numeric(v))).collect())
        .map_err(|_| bad_request(tr!("表单内容有误，请回到页面重新提交。")))
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

/// A rating as posted: the level, and for a 差评 the reason and the villager's words.
#[derive(Debug, serde::Deserialize)]
pub struct RatingForm {
    #[serde(default, deserialize_with = "super::access::lenient::number")]
    level: Option<u8>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

/// What a rating page shows after a rating form was posted (every post answers with a
/// redirect to the page, so a reload or 返回 never posts again).
#[derive(Debug, Default, serde::Deserialize)]
pub struct RatingStep {
    /// A 差评 chosen: ask why (the level, 1 or 2).
    #[serde(default, deserialize_with = "super::access::lenient::number")]
    rate: Option<u8>,
    /// The words were too long.
    problem: Option<String>,
    /// Rated: `1`, or `bad` for a 差评 (followed up by the station).
    thanks: Option<String>,
}

impl RatingStep {
    /// The rating part of the page for this step, or None for the page's own.
    fn html(&self, action: &str, can_rate: bool, rated: bool, reasons: &Reasons, days: u32) -> Option<Markup> {
        match (self.rate.and_then(Level::new), &self.thanks) {
            (Some(level), _) if can_rate && level.is_bad() => {
                let problem = self.problem.as_ref().map(|_| tr!("说明太长了（最多 200 字），请改短一些。"));
                Some(reason_form(action, level, problem, reasons, days))
            }
            // A ticket holds no contact: the follow-up is promised, not a call back.
            (_, Some(t)) if rated => Some(thanks(&if t == "bad" {
                tr!("谢谢您的评价。服务站会在{}个工作日内跟进整改。", days)
            } else {
                tr!("谢谢您的评价！").to_string()
            })),
            _ => None,
        }
    }
}

/// Stores a posted rating and answers with a redirect (303) to the page to show next.
async fn rate(s: &AppState, token: String, f: RatingForm, back: String) -> Result<Response, PageError> {
    let Some(level) = f.level.and_then(Level::new) else {
        return Ok(bad_request(tr!("请选择 1 到 5 的评价。")));
    };
    let see = |query: String| Redirect::to(&format!("{back}{query}#rating")).into_response();
    let blank = |x: &Option<String>| x.as_deref().unwrap_or("").trim().is_empty();
    if level.is_bad() && blank(&f.reason) && blank(&f.comment) {
        // 差评 asks for a reason before anything is stored.
        return Ok(see(format!("?rate={}", level.value())));
    }
    let (reason, comment) = (f.reason, f.comment);
    let result = s
        .with_station(move |st| {
            st.rate(&token, level.value(), reason.as_deref(), comment.as_deref(), crate::domain::rating::Channel::Qr)
        })
        .await?;
    Ok(match result {
        Ok(r) => see(format!("?thanks={}", if r.flagged { "bad" } else { "1" })),
        Err(RateError::NotFound) => not_found(),
        Err(RateError::Problem(_)) => see(format!("?rate={}&problem=1", level.value())),
        // Two taps, or a second phone: the page says it is rated.
        Err(RateError::AlreadyRated) => see(String::new()),
        Err(e @ (RateError::NotYet(_) | RateError::NotPaired | RateError::Actor(_))) => {
            plain(StatusCode::CONFLICT, tr!("不能评价"), &e.to_string())
        }
        Err(e @ RateError::Store(_)) => return Err(PageError::Fault(e.to_string())),
    })
}

pub async fn rate_ticket(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Posted(f): Posted<RatingForm>,
) -> Result<Response, PageError> {
    find_ticket(&s, &token).await?;
    let back = format!("/t/{token}");
    rate(&s, token, f, back).await
}

fn case_page(s: &AppState, token: &str, p: &CasePage, extra: Option<Markup>) -> Response {
    let v = &p.view;
    let st = &s.cfg().station;
    let rating = match (extra, p.can_rate, p.rated) {
        (Some(x), _, _) => Some(x),
        (None, true, _) => Some(rating_form(&format!("/c/{token}/rate"), tr!("代办服务"))),
        (None, false, true) => Some(thanks(tr!("您已评价，谢谢！"))),
        _ => None,
    };
    let title = tr!("代办 {} · {}", v.tracking, st.name);
    Shell::new(&title, "phone").response(
        StatusCode::OK,
        html! {
            main.phone.case {
                header { div.station { (st.name) } }
                section.live {
                    div.what { (tr!("全程代办 · ")) (v.matter) }
                    h1.tracking { (v.tracking) }
                    div.state { (sentence(&v.state_label)) }
                    p { (sentence(&v.explanation)) }
                    @match &v.due {
                        Some(d) => p.due { (tr!("承诺办结日期：")) b { (d) } " " (sentence(&v.due_note)) },
                        None if !v.due_note.is_empty() => p.due { (sentence(&v.due_note)) },
                        None => {},
                    }
                    @if let Some(e) = &v.extension { p.notice { (sentence(e)) } }
                    p.who {
                        @if !v.name_masked.is_empty() { (v.name_masked) " · " }
                        (v.id_masked) " · " (v.phone_masked)
                    }
                }
                @if let Some(r) = rating { (r) }
                @if !v.missing.is_empty() {
                    section.materials { h2 { (tr!("还需补交的材料")) } ul { @for m in &v.missing { li { (m) } } } }
                }
                section.timeline {
                    h2 { (tr!("办理经过")) }
                    ul {
                        @for e in &v.timeline {
                            li { span.date { (e.date) } " " (sentence(&e.label)) @if let Some(n) = &e.note { "：" (n) } }
                        }
                    }
                }
                footer { p { (tr!("服务电话 ")) (st.phone) } }
            }
        },
    )
}

/// The case page of `token`; no such case is the plain 404 page.
async fn find_case(s: &AppState, token: &str) -> Result<CasePage, PageError> {
    if !is_token(token) {
        return Err(PageError::Page(not_found()));
    }
    let t = token.to_string();
    s.call(move |st| st.case_page(&t))
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?
        .ok_or_else(|| PageError::Page(not_found()))
}

pub async fn case(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Query(step): Query<RatingStep>,
) -> Result<Response, PageError> {
    let p = find_case(&s, &token).await?;
    let days = s.cfg().station.followup_days;
    let extra = step.html(&format!("/c/{token}/rate"), p.can_rate, p.rated, &s.live().snap.reasons, days);
    Ok(case_page(&s, &token, &p, extra))
}

pub async fn rate_case(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Posted(f): Posted<RatingForm>,
) -> Result<Response, PageError> {
    find_case(&s, &token).await?;
    let back = format!("/c/{token}");
    rate(&s, token, f, back).await
}
