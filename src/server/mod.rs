//! The station service (`kiosk serve`): the pages behind the receipts' QR codes, the
//! desk where staff call tickets, the calling display on the wall, the rating pad at the
//! window — on the station LAN, from the same store as the kiosk.
//!
//! Every handler calls the service layer; none touches the store. Every response is
//! `no-store`, sends no referrer, and carries a strict content-security policy; all
//! assets are served from here (the station may have no internet). A bad request gets a
//! plain 4xx page, never a 500; tokens never reach the access log.

mod access;
mod assets;
mod audit;
mod cases;
mod chrome;
mod desk;
mod display;
mod duty;
mod followups;
mod guard;
mod holidays;
mod matters;
mod net;
mod pads;
mod privacy;
mod public;
mod settings;
mod staff;
mod watcher;
/// How the station service reads every posted form (a malformed body is a plain 400).
pub use public::form;
mod reports;
mod session;
mod state;
mod stream;
mod sync;
mod tls;
pub mod town;

use crate::service::Station;
use crate::voice::Announcer;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use state::AppState;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Bodies larger than this are refused (413): forms here are a few hundred bytes.
pub const BODY_LIMIT: usize = 16 * 1024;
/// Station handles for requests (each its own connection to the store).
const HANDLES: usize = 3;
/// How long a request waits for another process's write to the store.
const PAGE_WAIT: Duration = Duration::from_secs(5);

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(public::index))
        .route("/t/{token}", get(public::ticket))
        .route("/t/{token}/live", get(public::ticket_live))
        .route("/t/{token}/rate", post(public::rate_ticket))
        .route("/c/{token}", get(public::case))
        .route("/c/{token}/rate", post(public::rate_case))
        .route("/display", get(display::page))
        .route("/display/live", get(display::live))
        .route("/pad/{window}", get(display::pad))
        .route("/pad/{window}/live", get(display::pad_live))
        .route("/pad/{window}/rate", post(display::pad_rate))
        .route("/desk", get(desk::page))
        .route("/desk/login", post(desk::login))
        .route("/desk/logout", post(desk::logout))
        .route("/desk/window", post(desk::choose_window))
        .route("/desk/act", post(desk::act))
        .route("/desk/live", get(desk::live))
        .route("/desk/admin", get(matters::home))
        .route("/desk/admin/matters", get(matters::list))
        .route("/desk/admin/matters/check", post(matters::check).layer(DefaultBodyLimit::max(matters::UPLOAD_LIMIT)))
        .route(
            "/desk/admin/matters/publish",
            post(matters::publish).layer(DefaultBodyLimit::max(matters::UPLOAD_LIMIT)),
        )
        .route("/desk/admin/matters/rollback", get(matters::rollback_review).post(matters::rollback))
        .route("/desk/admin/matters/export", get(matters::export))
        .route("/desk/admin/staff", get(staff::list))
        .route("/desk/admin/people", get(staff::moved))
        .route("/desk/admin/staff/act", post(staff::act))
        .route("/desk/admin/duty", get(duty::page))
        .route("/desk/admin/duty/act", post(duty::act))
        .route("/desk/admin/pads", get(pads::page))
        .route("/desk/admin/pads/pair", post(pads::pair))
        .route("/desk/admin/pads/revoke", post(pads::revoke))
        .route("/desk/admin/reports", get(reports::page))
        .route("/desk/admin/reports/file", get(reports::file))
        .route("/desk/admin/wallchart", get(reports::wall))
        .route("/desk/admin/wallchart/file", get(reports::wall_file))
        .route("/desk/admin/audit", get(audit::page))
        .route("/desk/admin/holidays", get(holidays::page))
        .route("/desk/admin/settings", get(settings::page))
        .route("/desk/admin/settings/save", post(settings::save))
        .route(
            "/desk/admin/holidays/import",
            post(holidays::import).layer(DefaultBodyLimit::max(matters::UPLOAD_LIMIT)),
        )
        .route("/desk/followups", get(followups::page))
        .route("/desk/followups/act", post(followups::act))
        .route("/desk/followups/paper", post(followups::paper))
        .route("/desk/privacy", get(privacy::page))
        .route("/desk/privacy/find", post(privacy::find))
        .route("/desk/privacy/print", post(privacy::print))
        .route("/desk/privacy/erase", post(privacy::erase))
        .route("/desk/privacy/done", post(privacy::done))
        .route("/desk/cases", get(cases::queue))
        .route("/desk/cases/handover", get(cases::handover))
        .route("/desk/cases/{tracking}", get(cases::one))
        .route("/desk/cases/{tracking}/reveal", post(cases::reveal))
        .route("/desk/cases/{tracking}/act", post(cases::act))
        .route("/desk/cases/{tracking}/settle", post(cases::settle))
        .route("/desk/cases/{tracking}/materials", post(cases::materials))
        .route("/desk/cases/{tracking}/extend", post(cases::extend))
        .route("/desk/cases/{tracking}/reassign", post(cases::reassign))
        .route("/assets/{file}", get(assets::serve))
        .route("/ca.pem", get(ca_certificate))
        .fallback(|| async {
            chrome::plain(StatusCode::NOT_FOUND, tr!("没有这个页面"), tr!("请检查地址，或回到服务站首页。"))
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), admit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(net::LIMITS.body_timeout))
        .layer(middleware::from_fn(guard))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            chrome::plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                tr!("出错了"),
                tr!("服务站程序出了问题，请稍后再试或到窗口办理。"),
            )
        }))
        .layer(middleware::from_fn(in_language))
        .with_state(state)
}

/// The path as it may be logged: tokens and session ids replaced by "…", and at most 120
/// characters (a long made-up path must not fill the disk through the log).
pub fn redact(path: &str) -> String {
    let p = path
        .split('/')
        .map(|seg| if seg.len() >= 20 && seg.bytes().all(|b| b.is_ascii_alphanumeric()) { "…" } else { seg })
        .collect::<Vec<_>>()
        .join("/");
    crate::domain::text::capped(&p, 120).into_owned()
}

/// Before a handler (and before a request's body is read): the Host must be one the
/// station listens as; a change at the desk must come with a signed-in session (an admin
/// upload with the station head's); a live stream must find room for its address.
async fn admit(axum::extract::State(s): axum::extract::State<AppState>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok());
    if !s.hosts().allows(host) {
        return chrome::plain(
            StatusCode::MISDIRECTED_REQUEST,
            tr!("地址不对"),
            tr!("请用服务站的地址打开这个页面（号票二维码上的地址，或站长告诉您的地址）。"),
        );
    }
    let path = req.uri().path();
    if (path == "/desk" || path.starts_with("/desk/")) && !net::is_https(&req) {
        // Staff PINs and session cookies cross the LAN only over HTTPS; the box itself
        // (loopback) may use plain HTTP.
        let local = net::peer(&req).is_some_and(|p| p.ip().to_canonical().is_loopback());
        if !local {
            return to_https(&s, &req);
        }
    }
    if req.method() == axum::http::Method::POST && path.starts_with("/desk/") && path != "/desk/login" {
        // Nobody's body is read (an upload may be large) before the session is known.
        match access::session_of(&s, req.headers()).1 {
            session::Lookup::Active(sess) => {
                if path.starts_with("/desk/admin/") && !sess.who.is_admin() {
                    return chrome::plain(
                        StatusCode::FORBIDDEN,
                        tr!("需要站长权限"),
                        tr!("站务管理只有站长（管理员）可以使用。请用站长的工号登录。"),
                    );
                }
            }
            _ => {
                return chrome::plain(StatusCode::UNAUTHORIZED, tr!("请先登录"), tr!("请回到 /desk 用工号和密码登录。"))
            }
        }
    }
    if req.method() == axum::http::Method::GET && path.ends_with("/live") {
        // A ticket's stream and the desk's may use the places kept back (see net.rs).
        let kept = path.starts_with("/t/") || path == "/desk/live";
        let permit = net::peer(&req).and_then(|p| s.streams().take_as(p.ip(), kept));
        let Some(permit) = permit else {
            return chrome::plain(
                StatusCode::SERVICE_UNAVAILABLE,
                tr!("实时更新太多"),
                tr!("同时打开的实时页面太多了，本页不会自己更新，请过一会儿刷新。"),
            );
        };
        let res = next.run(req).await;
        return res.map(|body| Body::new(net::Held { body, permit }));
    }
    next.run(req).await
}

/// A desk page asked for over plain HTTP from another PC: a page is sent to its HTTPS
/// address; a change is refused (its body would have crossed the LAN in clear already).
fn to_https(s: &AppState, req: &Request) -> Response {
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let host = guard::host_part(host);
    let host = if host.contains(':') { format!("[{host}]") } else { host.to_string() };
    let page = req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD;
    match s.https() {
        Some((port, _)) if page && !host.is_empty() => {
            let to =
                format!("https://{host}:{port}{}", req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/desk"));
            axum::response::Redirect::permanent(&to).into_response()
        }
        _ => chrome::plain(
            StatusCode::FORBIDDEN,
            tr!("请用 https 打开工作台"),
            tr!("工作人员的工号和密码不能在局域网上明文传送：请用 https:// 开头的地址打开工作台（见站长的说明）。"),
        ),
    }
}

/// The certificate a window PC trusts once, so that the desk's HTTPS address opens without
/// a warning (public: a certificate holds no secret).
async fn ca_certificate(axum::extract::State(s): axum::extract::State<AppState>) -> Response {
    match s.https() {
        Some((_, ca)) => {
            let mut r = typed(StatusCode::OK, "application/x-x509-ca-cert", ca.clone());
            r.headers_mut()
                .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"kiosk-ca.crt\""));
            r
        }
        None => chrome::plain(StatusCode::NOT_FOUND, tr!("没有这个页面"), tr!("请检查地址，或回到服务站首页。")),
    }
}

/// Every page in the language the browser asks for (`Accept-Language`: Chinese unless it
/// prefers English), and caches told that the answer depends on it.
async fn in_language(req: Request, next: Next) -> Response {
    let lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(crate::lang::Lang::from_accept_language)
        .unwrap_or_default();
    let mut res = crate::lang::scope(lang, next.run(req)).await;
    res.headers_mut().append(header::VARY, axum::http::HeaderValue::from_static("Accept-Language"));
    res
}

/// Security headers on every response, refused requests as plain pages, and the access
/// log (method, path without tokens or query, status, time).
async fn guard(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = redact(req.uri().path());
    let cross_site_post = method == axum::http::Method::POST && !same_origin(&req);
    let mut res = if cross_site_post {
        chrome::plain(StatusCode::FORBIDDEN, tr!("不能提交"), tr!("这个表单只能从本站的页面提交。请回到页面重新操作。"))
    } else {
        next.run(req).await
    };
    let status = res.status();
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("text/event-stream") || v.contains("json"));
    if (status.is_client_error() || status.is_server_error()) && !is_html {
        // axum's own refusals (bad path, body too large, wrong method) as plain pages.
        let text = match status {
            StatusCode::PAYLOAD_TOO_LARGE => tr!("提交的内容太大了。"),
            StatusCode::METHOD_NOT_ALLOWED => tr!("这个地址不能这样访问。"),
            _ => tr!("请求有误，请回到页面重新操作。"),
        };
        res = chrome::plain(status, tr!("请求有误"), text);
    }
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // The time the service spent on the request (browsers' developer tools and the
    // benchmark read it).
    let spent = started.elapsed();
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={:.1}", spent.as_secs_f64() * 1000.0)) {
        h.insert(header::HeaderName::from_static("server-timing"), v);
    }
    tracing::info!("{method} {path} {} {}ms", status.as_u16(), spent.as_millis());
    res
}

/// A form post must come from a page of this station, as far as the browser tells: a
/// `Sec-Fetch-Site: cross-site`, or an Origin naming another host, is refused. (Our pages
/// send no referrer, so Chromium says `Origin: null` for them: that is not refused; the
/// desk's CSRF token and SameSite=Strict cookie are the real guard.)
fn same_origin(req: &Request) -> bool {
    let h = |k: header::HeaderName| req.headers().get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
    if h(header::HeaderName::from_static("sec-fetch-site")).as_deref() == Some("cross-site") {
        return false;
    }
    match h(header::ORIGIN).as_deref() {
        None | Some("null") => true,
        Some(origin) => {
            let host = h(header::HOST).unwrap_or_default();
            origin.split_once("://").map(|(_, o)| o == host).unwrap_or(false)
        }
    }
}

/// Starts the service on `listen` (HOST:PORT each) and runs until SIGTERM or Ctrl-C.
/// Returns the exit code.
pub fn run(station: Station, listen: Vec<String>, https_listen: Vec<String>, announcer: Option<Announcer>) -> i32 {
    crate::system::memory::keep_small();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .thread_name("serve")
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the service's runtime: {e}");
            return 1;
        }
    };
    let first = match watcher::first(&station) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot read the station's store: {e}");
            return 1;
        }
    };
    let mut handles = Vec::new();
    for _ in 0..HANDLES {
        // A page waits a few seconds for another process's write (the kiosk's take a few
        // milliseconds), then says the station is busy: a store held by a technician must
        // not hold every page, the phones' included, for half a minute.
        match station
            .reopen()
            .and_then(|s| s.wait_for_writers(PAGE_WAIT).map(|_| s).map_err(crate::service::StartError::from))
        {
            Ok(s) => handles.push(s),
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        }
    }
    let cfg = station.cfg.clone();
    let clock = station.clock;
    // The desk's certificate: the town's for a joined station, else the station's own
    // (made at its first start).
    let web_cert = if https_listen.is_empty() {
        None
    } else {
        let made = match cfg.join.as_ref().and_then(|j| j.web()) {
            Some((cert, key)) => {
                Ok(tls::WebCert { cert, key, ca: cfg.join.as_ref().map(|j| j.ca.clone()).unwrap_or_default() })
            }
            None => tls::own_cert(
                &station.paths.data_dir.join("tls"),
                &cfg.station.name,
                &tls::hosts(&[listen.clone(), https_listen.clone()].concat(), &cfg.station.public_base_url),
            ),
        };
        match made.and_then(|c| tls::acceptor(&c).map(|a| (c, a))) {
            Ok(x) => Some(x),
            Err(e) => {
                eprintln!("error: HTTPS for the desk: {e}");
                return 1;
            }
        }
    };
    let (tx, rx) = watch::channel(first);
    let (poke_tx, poke_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let watcher = match watcher::spawn(station, tx, poke_rx, announcer) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: cannot start the live pages' watcher: {e}");
            return 1;
        }
    };
    let code = runtime.block_on(async move {
        // Listen for SIGTERM before saying we listen: a supervisor may stop us at once.
        let signal = signals();
        let listeners = bind_all(&listen, "http").await;
        if listeners.is_empty() {
            eprintln!(
                "error: could not listen on any address ({}); check [server] listen in station.toml",
                listen.join(", ")
            );
            return 1;
        }
        let secure: Vec<_> = match &web_cert {
            Some((_, acceptor)) => {
                bind_all(&https_listen, "https").await.into_iter().map(|l| (l, acceptor.clone())).collect()
            }
            None => Vec::new(),
        };
        let https_port = secure.first().and_then(|(l, _)| l.local_addr().ok()).map(|a| a.port());
        let https = https_port.zip(web_cert.as_ref().map(|(c, _)| c.ca.clone()));
        let bound: Vec<SocketAddr> =
            listeners.iter().chain(secure.iter().map(|(l, _)| l)).filter_map(|l| l.local_addr().ok()).collect();
        let hosts = guard::Hosts::new(&bound, &cfg.station.public_base_url);
        let limits = net::Limits::from_env();
        let streams = net::Counter::new(limits.streams, limits.streams_per_address);
        let link = cfg.join.clone();
        let state = AppState::new(handles, cfg, clock, rx, poke_tx, stop_rx, hosts, streams, https);
        if let Some(join) = link {
            // A joined station sends its outbox to its own NATS server (see `sync`).
            tokio::spawn(sync::relay(state.clone(), join, stop_tx.subscribe()));
        }
        let app = router(state.clone());
        // One count of connections for every address the service listens on.
        let conns = net::Counter::new(limits.connections, limits.connections_per_address);
        crate::system::sdnotify::notify(crate::system::sdnotify::SERVE_READY);
        if let Some(every) = crate::system::sdnotify::watchdog_interval() {
            // Alive while the runtime turns; a wedged service stops pinging and is restarted.
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    crate::system::sdnotify::notify("WATCHDOG=1");
                }
            });
        }
        // Memory given back when many leave at once (500 phones following their tickets
        // leave at closing time): glibc keeps freed blocks in its free lists; malloc_trim
        // returns whole free pages to the system, also from the middle of the heap.
        let (held_streams, held_conns) = (state.streams().clone(), conns.clone());
        tokio::spawn(async move {
            let mut peak = 0;
            let mut tick = tokio::time::interval(Duration::from_secs(2));
            loop {
                tick.tick().await;
                let now = held_streams.held() + held_conns.held();
                if now + 16 < peak {
                    crate::system::memory::trim();
                    peak = now;
                }
                peak = peak.max(now);
            }
        });
        let mut tasks = Vec::new();
        for l in listeners {
            tasks.push(tokio::spawn(net::serve(l, app.clone(), conns.clone(), limits, stop_tx.subscribe(), None)));
        }
        for (l, acceptor) in secure {
            let stop = stop_tx.subscribe();
            tasks.push(tokio::spawn(net::serve(l, app.clone(), conns.clone(), limits, stop, Some(acceptor))));
        }
        signal.await;
        tracing::info!("stopping");
        let _ = stop_tx.send(true);
        // Live streams end when `stopping` flips; give open requests a moment, no more.
        let _ = tokio::time::timeout(Duration::from_secs(3), async {
            for t in tasks {
                let _ = t.await;
            }
        })
        .await;
        0
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    let _ = watcher.join();
    code
}

/// Binds each of `addrs`, saying on standard output where it listens ("listening on
/// SCHEME://ADDR", which tests and scripts read); an address that cannot be had is a
/// warning (the others serve).
async fn bind_all(addrs: &[String], scheme: &str) -> Vec<tokio::net::TcpListener> {
    let mut out = Vec::new();
    for addr in addrs {
        match tokio::net::TcpListener::bind(addr.as_str()).await {
            Ok(l) => {
                let shown = l.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| addr.clone());
                // Not fatal if nobody reads it (a test that read the first line and left).
                {
                    use std::io::Write;
                    let mut stdout = std::io::stdout().lock();
                    let _ = writeln!(stdout, "listening on {scheme}://{shown}").and_then(|_| stdout.flush());
                }
                tracing::info!("listening on {scheme}://{shown}");
                out.push(l);
            }
            Err(e) => {
                eprintln!("warning: cannot listen on {addr} ({scheme}): {e}");
                tracing::warn!("cannot listen on {addr} ({scheme}): {e}");
            }
        }
    }
    out
}

/// Resolves on SIGTERM or Ctrl-C; the handlers are installed when this is called.
pub(crate) fn signals() -> impl std::future::Future<Output = ()> {
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        let ctrl_c = tokio::signal::ctrl_c();
        match term {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
}

/// A response with a body and content type.
fn typed(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_reach_the_log() {
        assert_eq!(redact("/t/abcdefghijklmnopqrstuvwxyz/live"), "/t/…/live");
        assert_eq!(redact("/pad/1"), "/pad/1");
        assert_eq!(redact("/desk"), "/desk");
    }
}
