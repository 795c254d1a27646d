//! 评价器 in 站务管理 (station head): the rating pads paired with each window, pairing the
//! device in hand, and ending a pairing when a tablet is lost or replaced.

use super::access::{lenient, Checked, Head, PageError};
use super::chrome::{admin_page, csrf};
use super::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use std::net::SocketAddr;

const HERE: &str = "/desk/admin/pads";

pub async fn page(State(s): State<AppState>, Head(desk): Head) -> Result<Response, PageError> {
    let sess = &desk.sess;
    let list = s.call(|st| st.pads()).await?.map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let tz = s.clock().tz();
    let when = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let inner = html! {
        p {
            (tr!("评价器是窗口前给村民评价用的平板。只有配对过的设备，评价才算数（别的设备冒充评价会被拒绝）。"))
            (tr!("配对方法：在评价器平板上打开 /desk，用站长账号登录，到这一页点对应窗口的“把这台设备配对为…”。"))
            (tr!("配对后本设备自动签退，并打开该窗口的评价页面。设备丢失或更换时，点“取消配对”。"))
        }
        @for w in &s.cfg().station.windows {
            section {
                h2 { (w.name) }
                ul.list {
                    @let paired: Vec<_> = list.iter().filter(|p| p.window == w.number).collect();
                    @if paired.is_empty() { li.empty { (tr!("还没有配对的评价器")) } }
                    @for p in paired {
                        li {
                            (tr!("评价器 #{}：{} 由 {} 配对", p.id, when(p.paired_at), p.paired_by))
                            @if let Some(o) = &p.origin { "（" (o) "）" }
                            @if let Some(t) = p.last_seen { (tr!("，最近使用 ")) (when(t)) }
                            " "
                            form.inline method="post" action="/desk/admin/pads/revoke" {
                                (csrf(sess))
                                input type="hidden" name="id" value=(p.id);
                                button type="submit" { (tr!("取消配对")) }
                            }
                        }
                    }
                }
                form method="post" action="/desk/admin/pads/pair" {
                    (csrf(sess))
                    input type="hidden" name="window" value=(w.number);
                    button type="submit" { (tr!("把这台设备配对为 {} 号窗口评价器", w.number)) }
                }
            }
        }
    };
    Ok(admin_page(&s, sess, HERE, tr!("评价器"), inner, StatusCode::OK))
}

/// The window a pad is paired with.
#[derive(Debug, serde::Deserialize)]
pub struct Pairing {
    #[serde(default, deserialize_with = "lenient::number")]
    window: Option<u32>,
}

/// Pairs the device the station head is using with a window: it gets the pad's cookie,
/// the head's session on it ends, and it opens the window's pad.
pub async fn pair(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Head(desk): Head,
    Checked(f): Checked<Pairing>,
) -> Result<Response, PageError> {
    let window = f.window.ok_or_else(|| PageError::Refused(StatusCode::BAD_REQUEST, tr!("请选择窗口。").into()))?;
    let who = desk.sess.who.clone();
    let origin = peer.ip().to_string();
    let token = match s.call(move |st| st.pair_pad(&who, window, Some(&origin))).await? {
        Ok(t) => t,
        Err(words) => return Ok(desk.back(&s, HERE, Err(words))),
    };
    // The head's session does not stay on a tablet the villagers touch.
    s.sessions().end(&desk.id);
    let mut r = axum::response::Redirect::to(&format!("/pad/{window}")).into_response();
    let pad =
        format!("{}={token}; HttpOnly; SameSite=Strict; Path=/pad; Max-Age=315360000", super::display::PAD_COOKIE);
    let signed_out = format!("{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", super::session::COOKIE);
    for c in [pad, signed_out] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(r)
}

/// The pad whose pairing ends.
#[derive(Debug, serde::Deserialize)]
pub struct Revoke {
    #[serde(default, deserialize_with = "lenient::number")]
    id: Option<i64>,
}

pub async fn revoke(
    State(s): State<AppState>,
    Head(desk): Head,
    Checked(f): Checked<Revoke>,
) -> Result<Response, PageError> {
    let pad = f.id.ok_or_else(|| PageError::Refused(StatusCode::BAD_REQUEST, tr!("请选择评价器。").into()))?;
    let who = desk.sess.who.clone();
    let outcome =
        s.call(move |st| st.revoke_pad(&who, pad).map(|w| tr!("已取消 {} 号窗口评价器 #{} 的配对", w, pad))).await?;
    Ok(desk.back(&s, HERE, outcome))
}
