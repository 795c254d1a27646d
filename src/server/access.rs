//! Who may do what, stated in a handler's signature: [`Desk`] is a signed-in staff member
//! whose account is still active (checked against the store at every request), [`Head`]
//! the station head; [`Checked<T>`] is a posted form whose CSRF token matches the
//! session's, parsed into `T` (serde); [`Posted<T>`] a form that needs no session (the
//! sign-in, a villager's rating); [`PairedPad`] the rating pad paired to the window in the
//! address. A handler that names them has no check of its own left.
//!
//! And the one error of a handler, [`PageError`]: a refusal (a plain 4xx page, or the
//! flash on the page the desk goes back to) or a fault (logged, the plain 503 page).

use super::chrome::{bad_request, plain, unavailable};
use super::session::{cookie_id, Lookup, Session};
use super::state::{AppState, Unavailable};
use crate::service::{Explain, Failure};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;

/// Why a handler did not render its page.
#[derive(Debug)]
pub enum PageError {
    /// A refusal: the sentence, on a plain page with this status.
    Refused(StatusCode, String),
    /// A fault: the detail goes to the log; the page says only "temporarily unavailable".
    Fault(String),
    /// A page already made (the sign-in page, a 403).
    Page(Response),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Refused(status, text) => plain(status, tr!("不能办理"), &text),
            PageError::Fault(detail) => unavailable(&detail),
            PageError::Page(r) => r,
        }
    }
}

impl From<Unavailable> for PageError {
    fn from(e: Unavailable) -> Self {
        PageError::Fault(e.0)
    }
}

impl PageError {
    /// A service error as a page: a refusal with `status`, a fault as the 503 page.
    pub fn from_service(e: &impl Explain, status: StatusCode) -> PageError {
        match e.explain() {
            Failure::Refused(text) => PageError::Refused(status, crate::lang::sentence(&text)),
            Failure::Fault(detail) => PageError::Fault(detail),
        }
    }
}

impl AppState {
    /// Runs `f` on a station handle and sorts its error: a refusal (kept as the service's
    /// sentence, for the flash or a 4xx page) or a fault (the store, a thread).
    pub async fn call<T, E>(
        &self,
        f: impl FnOnce(&mut crate::service::Station) -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, String>, PageError>
    where
        T: Send + 'static,
        E: Explain + Send + 'static,
    {
        match self.with_station(f).await? {
            Ok(v) => Ok(Ok(v)),
            Err(e) => match e.explain() {
                Failure::Refused(text) => Ok(Err(crate::lang::sentence(&text))),
                Failure::Fault(detail) => Err(PageError::Fault(detail)),
            },
        }
    }
}

/// The signed-in staff member of a request: an active session (the cookie) of an account
/// that is still active in the store. A page asked for without one gets the sign-in page;
/// a change, 401.
#[derive(Debug, Clone)]
pub struct Desk {
    /// The session id (for the flash, the window, ending it).
    pub id: String,
    pub sess: Session,
}

impl Desk {
    /// Sets the flash line the next page of this session shows.
    pub fn flash(&self, s: &AppState, error: bool, text: impl Into<String>) {
        s.sessions().flash(&self.id, error, text);
    }

    /// A refusal in the flash and a redirect to `to`; a success's words likewise.
    pub fn back(&self, s: &AppState, to: &str, outcome: Result<String, String>) -> Response {
        match outcome {
            Ok(text) => self.flash(s, false, text),
            Err(text) => self.flash(s, true, text),
        }
        Redirect::to(to).into_response()
    }
}

/// The station head (the role as it is now in the store).
#[derive(Debug, Clone)]
pub struct Head(pub Desk);

/// The desk session named by the request's cookie (touching it: a request is activity).
pub fn session_of(s: &AppState, headers: &HeaderMap) -> (Option<String>, Lookup) {
    let id = cookie_id(headers.get(header::COOKIE).and_then(|v| v.to_str().ok()));
    let lookup = id.as_deref().map(|i| s.sessions().get(i)).unwrap_or(Lookup::Unknown);
    (id, lookup)
}

async fn desk_of(parts: &mut Parts, s: &AppState, need_head: bool) -> Result<Desk, Response> {
    let change = parts.method != Method::GET && parts.method != Method::HEAD;
    let desk = desk_from_headers(s, &parts.headers, need_head, change).await?;
    parts.extensions.insert(Csrf(desk.sess.csrf.clone()));
    parts.extensions.insert(desk.clone());
    Ok(desk)
}

/// [`Desk`] from a request's headers; `change` says whether it is a change (a 401 page)
/// or a page (the sign-in page) that is refused without a session.
pub async fn desk_from_headers(
    s: &AppState,
    headers: &HeaderMap,
    need_head: bool,
    change: bool,
) -> Result<Desk, Response> {
    let (id, lookup) = session_of(s, headers);
    let (id, sess) = match (id, lookup) {
        (Some(id), Lookup::Active(sess)) => (id, *sess),
        (_, lookup) => {
            let expired = matches!(lookup, Lookup::Expired);
            return Err(if change {
                if expired {
                    plain(
                        StatusCode::UNAUTHORIZED,
                        tr!("已自动退出"),
                        tr!("已经15分钟没有操作，请回到 /desk 重新登录。"),
                    )
                } else {
                    plain(StatusCode::UNAUTHORIZED, tr!("请先登录"), tr!("请回到 /desk 用工号和密码登录。"))
                }
            } else {
                let why = expired.then_some(tr!("已经15分钟没有操作，为了安全已自动退出，请重新登录。"));
                super::desk::login_page(s, why, StatusCode::OK)
            });
        }
    };
    let no = sess.who.no().to_string();
    let member = s
        .call(move |st| st.staff_member(&no))
        .await
        .and_then(|r| r.map_err(|w| PageError::Refused(StatusCode::FORBIDDEN, w)))
        .map_err(IntoResponse::into_response)?;
    match member {
        Some(m) if m.active => {
            if need_head && m.role != crate::domain::staff::Role::Admin {
                return Err(plain(
                    StatusCode::FORBIDDEN,
                    tr!("需要站长权限"),
                    tr!("站务管理只有站长（管理员）可以使用。请用站长的工号登录。"),
                ));
            }
        }
        _ => {
            // A disabled account can do nothing, even in a session opened before.
            s.sessions().end(&id);
            return Err(super::desk::login_page(
                s,
                Some(tr!("这个账号已停用，不能再使用。请找站长。")),
                StatusCode::FORBIDDEN,
            ));
        }
    }
    Ok(Desk { id, sess })
}

impl FromRequestParts<AppState> for Desk {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        desk_of(parts, s, false).await
    }
}

impl FromRequestParts<AppState> for Head {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        desk_of(parts, s, true).await.map(Head)
    }
}

/// The desk session of a live stream, looked at without touching it: watching the panel
/// is not doing anything, so it does not keep an idle session alive.
#[derive(Debug, Clone)]
pub struct Watching {
    pub id: String,
    pub sess: Session,
}

impl FromRequestParts<AppState> for Watching {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let id = cookie_id(parts.headers.get(header::COOKIE).and_then(|v| v.to_str().ok()));
        match id.and_then(|id| s.sessions().peek(&id).map(|sess| (id, sess))) {
            Some((id, sess)) => Ok(Watching { id, sess }),
            None => Err(plain(StatusCode::UNAUTHORIZED, tr!("请先登录"), tr!("请回到 /desk 登录。"))),
        }
    }
}

/// The rating pad of the window in the address (`/pad/{window}`): the window is one of the
/// station's (else 404), and the device's cookie is the token of that window's pad as the
/// station head paired it (else the page saying how to pair it, 403). Before pairing, no
/// tap counts: any phone on the Wi-Fi could otherwise rate a window.
#[derive(Debug, Clone)]
pub struct PairedPad {
    pub window: u32,
    /// The device's pairing token (the rating records which pad gave it).
    pub device: String,
}

impl FromRequestParts<AppState> for PairedPad {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let Path(w) = Path::<String>::from_request_parts(parts, s).await.map_err(IntoResponse::into_response)?;
        let Some(window) = super::display::window_ok(s, &w) else { return Err(super::display::no_window()) };
        let Some(device) = super::display::device_of(&parts.headers) else {
            return Err(super::display::unpaired(s, window));
        };
        let d = device.clone();
        let paired_to = s
            .call(move |st| st.pad_window(&d))
            .await
            .and_then(|r| r.map_err(|w| PageError::Refused(StatusCode::FORBIDDEN, w)))
            .map_err(IntoResponse::into_response)?;
        if paired_to != Some(window) {
            return Err(super::display::unpaired(s, window));
        }
        Ok(PairedPad { window, device })
    }
}

/// The posted fields, numbers typed in full-width read as the numbers they are.
fn fields(body: &Bytes) -> Result<Vec<(String, String)>, Response> {
    let map = super::public::form(body)?;
    Ok(map.into_iter().collect())
}

/// `T` from the posted fields; a field missing or of the wrong kind is a plain 400 in
/// words, never serde's English.
fn typed<T: DeserializeOwned>(fields: &[(String, String)]) -> Result<T, Response> {
    let encoded =
        serde_urlencoded::to_string(fields).map_err(|_| bad_request(tr!("表单内容有误，请回到页面重新提交。")))?;
    serde_urlencoded::from_str(&encoded).map_err(|e| {
        tracing::info!("a form did not parse: {e}");
        bad_request(tr!("表单缺了内容或填得不对，请回到页面重新提交。"))
    })
}

/// The CSRF token of the request's session, put there by the extractor of the signed-in
/// member ([`Desk`], [`Head`], the town's staff).
#[derive(Debug, Clone)]
pub struct Csrf(pub String);

/// A form posted from a page of the desk (or of the town's site): its CSRF token must be
/// the session's (the session comes from [`Desk`], [`Head`] or the town's staff, which
/// must come first in the handler's parameters), and its fields parse into `T`.
pub struct Checked<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for Checked<T> {
    type Rejection = Response;

    async fn from_request(req: Request, s: &S) -> Result<Self, Self::Rejection> {
        let csrf = req.extensions().get::<Csrf>().cloned();
        let Some(csrf) = csrf else {
            return Err(plain(StatusCode::UNAUTHORIZED, tr!("请先登录"), tr!("请回到 /desk 用工号和密码登录。")));
        };
        let body = Bytes::from_request(req, s).await.map_err(IntoResponse::into_response)?;
        let fields = fields(&body)?;
        let token = fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
        if !super::session::same(token, &csrf.0) {
            return Err(plain(StatusCode::FORBIDDEN, tr!("页面已过期"), tr!("请回到 /desk 刷新页面后再操作。")));
        }
        typed(&fields).map(Checked)
    }
}

/// A form that needs no session (the sign-in, a villager's rating), parsed into `T`.
pub struct Posted<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, s: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, s).await.map_err(IntoResponse::into_response)?;
        typed(&fields(&body)?).map(Posted)
    }
}

/// Form fields that are numbers, read leniently: empty or not a number is None (the
/// service then refuses in words).
pub mod lenient {
    use serde::{Deserialize, Deserializer};

    pub fn number<'de, D: Deserializer<'de>, N: std::str::FromStr>(d: D) -> Result<Option<N>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        Ok(s.and_then(|s| s.trim().parse().ok()))
    }
}
