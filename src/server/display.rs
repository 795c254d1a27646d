//! The calling display on the wall (`/display`) and the rating pad at a window
//! (`/pad/{window}`). Neither needs a login and neither ever shows a name: numbers,
//! windows and counts only. A pad must have been paired once by the station head (a
//! device token in a cookie) before its taps count.
//!
//! The display's live stream sends the whole state on connect and on every change, so a
//! reconnect (the server restarted, the TV's Wi-Fi dropped) loses no call; `EventSource`
//! reconnects by itself.

use super::access::{PageError, PairedPad, Posted};
use super::chrome::{bad_request, plain, Shell};
use super::state::AppState;
use super::stream::{follow_snapshot, Next};
use crate::domain::rating::{Level, Reasons};
use crate::service::{is_device_token, RateError};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Offset;
use maud::{html, Markup};

pub async fn page(State(s): State<AppState>) -> Response {
    let st = &s.cfg().station;
    let title = tr!("叫号 · {}", st.name);
    let shell =
        Shell { title: &title, class: "tv", script: Some("display.js"), noscript_refresh: Some(5), refresh_to: None };
    shell.response(
        StatusCode::OK,
        html! {
            main.display {
                header { h1 { (st.name) } div #clock .clock {} }
                section #banner .banner aria-live="polite" { span.call { (tr!("欢迎光临")) } }
                section.board aria-label=(tr!("各窗口")) {
                    div #windows .windows {}
                    aside {
                        h2 { (tr!("最近叫号")) } ol #calls .calls {}
                        h2 { (tr!("等候人数")) } ul #waiting .waiting {}
                    }
                }
                footer { div #notice .notice {} div #hints .hints {} }
                div #offline .offline hidden { (tr!("正在重新连接……")) }
            }
        },
    )
}

/// Sends the display state (JSON) on connect and whenever it changes.
pub async fn live(State(s): State<AppState>) -> Response {
    let clock = s.clock();
    follow_snapshot(s, move |cur| {
        // The calls worded in the display's language (the voice keeps the Chinese), and the
        // few words the script writes itself.
        let mut display = cur.snap.display.clone();
        if crate::lang::current() != crate::lang::Lang::Zh {
            for c in display.calls.iter_mut().chain(display.recent.iter_mut()) {
                c.text = crate::lang::sentence(&c.text);
            }
        }
        let state = serde_json::to_value(&display).unwrap_or_default();
        let words = serde_json::json!({
            "lang": crate::lang::current().tag(),
            "paused": tr!("暂停服务"),
            "window": tr!("{} 号窗口"),
            "nobody": tr!("现在没有人等候"),
            "people": tr!("{} 人"),
        });
        // The station's time and zone: the TV's own clock and zone may be wrong.
        let now = clock.now_local();
        let (ms, tz) = (now.timestamp_millis(), now.offset().fix().local_minus_utc() / 60);
        let key = state.to_string();
        let data = serde_json::json!({ "now": ms, "tz": tz, "state": state, "words": words }).to_string();
        Next::Send { key, event: Event::default().event("state").data(data) }
    })
}

/// The window numbered `w` (typed in full width or not), if the station has it.
pub(super) fn window_ok(s: &AppState, w: &str) -> Option<u32> {
    let n: u32 = crate::domain::text::half_width(w).trim().parse().ok()?;
    s.cfg().station.window(n).map(|w| w.number)
}

fn pad_page(s: &AppState, window: u32, inner: Markup, offer: i64, thanks: bool) -> Response {
    let st = &s.cfg().station;
    let back = format!("/pad/{window}");
    let title = tr!("{}号窗口评价", window);
    let shell = Shell {
        title: &title,
        class: "padpage",
        script: (!thanks).then_some("pad.js"),
        noscript_refresh: (!thanks).then_some(5),
        refresh_to: thanks.then_some((5, back.as_str())),
    };
    shell.response(
        StatusCode::OK,
        html! {
            main.pad data-window=(window) data-offer=(offer) {
                header { (st.name) " · " (window) (tr!("号窗口")) }
                (inner)
            }
        },
    )
}

/// The pad device's pairing token, from its cookie.
pub(super) fn device_of(headers: &HeaderMap) -> Option<String> {
    headers.get(header::COOKIE).and_then(|v| v.to_str().ok())?.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == PAD_COOKIE && is_device_token(v)).then(|| v.to_string())
    })
}

/// The cookie a paired pad keeps (ten years: a pad is paired once).
pub const PAD_COOKIE: &str = "kiosk_pad";

/// What an unpaired device shows at /pad/{window}: how the station head pairs it.
pub(super) fn unpaired(s: &AppState, window: u32) -> Response {
    let st = &s.cfg().station;
    let title = tr!("{}号窗口评价", window);
    Shell::new(&title, "padpage").response(
        StatusCode::FORBIDDEN,
        html! {
            main.pad {
                header { (st.name) " · " (window) (tr!("号窗口")) }
                section.idle {
                    h1 { (tr!("这台设备还不是评价器")) }
                    p { (tr!("评价器要由站长配对一次，配对后村民的评价才算数。")) }
                    ol {
                        li { (tr!("在这台设备上打开 ")) b { "/desk" } (tr!("，用站长的工号和密码登录；")) }
                        li { (tr!("点 站务管理 → 评价器，选“把这台设备配对为 {} 号窗口评价器”。", window)) }
                    }
                    p { a.button href="/desk" { (tr!("去登录")) } }
                }
            }
        },
    )
}

/// What the pad shows after a tap (every tap answers with a redirect here).
#[derive(Debug, Default, serde::Deserialize)]
pub struct PadStep {
    /// 不满意 / 非常不满意 tapped for this offer: ask why.
    ask: Option<u8>,
    offer: Option<i64>,
    /// Rated: `1`, `bad`, or `again` (rated already).
    thanks: Option<String>,
    /// The offer had ended.
    late: Option<u8>,
}

/// The pad: five big buttons while an offer stands (30 s after 办结), a welcome otherwise.
pub async fn pad(
    State(s): State<AppState>,
    PairedPad { window, .. }: PairedPad,
    Query(step): Query<PadStep>,
) -> Response {
    if let Some(t) = &step.thanks {
        let text = match t.as_str() {
            "bad" => tr!("谢谢您的评价，我们会改进。"),
            "again" => tr!("已经评价过了，谢谢您！"),
            _ => tr!("谢谢您的评价！"),
        };
        return pad_page(&s, window, html! { section.thanks { h1 { (text) } } }, 0, true);
    }
    if step.late.is_some() {
        let inner =
            html! { section.thanks { h1 { (tr!("这次评价的时间已过")) } p { (tr!("办完事后会再出现评价按钮。")) } } };
        return pad_page(&s, window, inner, 0, true);
    }
    let live = s.live();
    let Some(offer) = live.snap.pads.get(&window).cloned() else {
        let idle = html! { section.idle { h1 { (tr!("请对我们的服务进行评价")) } p { (tr!("办完事后，这里会出现评价按钮。")) } } };
        return pad_page(&s, window, idle, 0, false);
    };
    if let (Some(level), Some(o)) = (step.ask.and_then(Level::new), step.offer) {
        if o == offer.offer && level.is_bad() {
            let list = s.live().snap.reasons.clone();
            return pad_page(&s, window, reasons(window, o, level, &list), o, false);
        }
    }
    let inner = html! {
        section.offer data-seconds=(offer.seconds_left) {
            h1 { (offer.number) (tr!(" 号，请您评价这次服务")) }
            div.rate-buttons {
                @for l in Level::ALL {
                    form method="post" action={ "/pad/" (window) "/rate" } {
                        input type="hidden" name="offer" value=(offer.offer);
                        input type="hidden" name="level" value=(l.value());
                        button class={ "rate rate-" (l.value()) } type="submit" { (crate::lang::tr(l.label())) }
                    }
                }
            }
            p { (tr!("评价是自愿的，不评也可以。")) }
        }
        section.idle hidden { h2 { (tr!("请对我们的服务进行评价")) } }
    };
    pad_page(&s, window, inner, offer.offer, false)
}

/// 不满意 / 非常不满意: why? (big reason buttons).
fn reasons(window: u32, offer: i64, level: Level, list: &Reasons) -> Markup {
    html! {
        section.offer data-seconds="60" data-hold="1" {
            h1 { (tr!("您选了“")) (crate::lang::tr(level.label())) (tr!("”，请告诉我们哪里没做好")) }
            div.reasons {
                @for (k, label) in list.list() {
                    form method="post" action={ "/pad/" (window) "/rate" } {
                        input type="hidden" name="offer" value=(offer);
                        input type="hidden" name="level" value=(level.value());
                        input type="hidden" name="reason" value=(k);
                        button.reason-button type="submit" { (label) }
                    }
                }
            }
        }
        section.idle hidden { h2 { (tr!("请对我们的服务进行评价")) } }
    }
}

pub(super) fn no_window() -> Response {
    plain(StatusCode::NOT_FOUND, tr!("没有这个窗口"), tr!("服务站没有这个窗口。请检查评价器的地址（例如 /pad/1）。"))
}

/// The pad's stream: the current offer id (0 = none); the page reloads when it changes.
pub async fn pad_live(State(s): State<AppState>, PairedPad { window, .. }: PairedPad) -> Response {
    follow_snapshot(s, move |cur| {
        let offer = cur.snap.pads.get(&window).map(|p| p.offer).unwrap_or(0).to_string();
        Next::Send { key: offer.clone(), event: Event::default().event("offer").data(offer) }
    })
}

/// A tap on the pad, as posted.
#[derive(Debug, serde::Deserialize)]
pub struct Tap {
    #[serde(default, deserialize_with = "super::access::lenient::number")]
    offer: Option<i64>,
    #[serde(default, deserialize_with = "super::access::lenient::number")]
    level: Option<u8>,
    #[serde(default)]
    reason: Option<String>,
}

/// A tap on the pad; it counts only from the window's paired pad. 不满意 / 非常不满意 first
/// ask why. Every tap answers with a redirect to the page to show next.
pub async fn pad_rate(
    State(s): State<AppState>,
    PairedPad { window, device }: PairedPad,
    Posted(tap): Posted<Tap>,
) -> Result<Response, PageError> {
    let (Some(offer), Some(level)) = (tap.offer, tap.level.and_then(Level::new)) else {
        return Ok(bad_request(tr!("评价内容有误，请重新点一下。")));
    };
    let see = |q: String| Redirect::to(&format!("/pad/{window}?{q}")).into_response();
    let reason = tap.reason.filter(|r| !r.trim().is_empty());
    if level.is_bad() && reason.is_none() {
        return Ok(see(format!("ask={}&offer={offer}", level.value())));
    }
    let result = s
        .with_station(move |st| st.rate_from_pad(window, &device, offer, level.value(), reason.as_deref(), None))
        .await?;
    Ok(match result {
        Ok(r) => see(format!("thanks={}", if r.flagged { "bad" } else { "1" })),
        Err(RateError::AlreadyRated) => see("thanks=again".into()),
        Err(RateError::NotFound | RateError::NotYet(_)) => see("late=1".into()),
        Err(e @ (RateError::NotPaired | RateError::Actor(_))) => {
            plain(StatusCode::FORBIDDEN, tr!("不能评价"), &e.to_string())
        }
        Err(RateError::Problem(p)) => bad_request(&p.to_string()),
        Err(e @ RateError::Store(_)) => return Err(PageError::Fault(e.to_string())),
    })
}
