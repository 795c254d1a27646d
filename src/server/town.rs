//! The town centre's own site (`kiosk town serve --listen`), on the station service's page
//! layer: the same document shell and plain 4xx pages, the same sessions (an HttpOnly,
//! SameSite=Strict cookie, 15 idle minutes), the same CSRF check ([`Checked`]), the same
//! security headers; every read and write goes through the town's service layer
//! ([`Office`]), which checks the member and writes the audit trail.
//!
//! - `/` all stations at a glance, live (the table is sent again when it changes);
//! - `/station/{code}` one station: its queue today, calls, ratings, heartbeats;
//! - `/publish/{matters|holidays|notices}` versions, the rollout, a new version checked
//!   and reviewed before it is published, a rollback reviewed the same way;
//! - `/reports` the township's monthly report (page, CSV, PDF); `/audit` the trail.

use super::access::{lenient, Checked, Csrf, PageError, Posted};
use super::chrome::{csrf, filled, flash, plain, Shell};
use super::session::{cookie_named, Lookup, Session, Sessions, Who};
use super::{guard, net, typed};
use crate::domain::report::{mins, pct};
use crate::town::office::{Office, Review, StationRow, TownError, TownSigned};
use crate::town::store::Published;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{Datelike, NaiveDate};
use maud::{html, Markup};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

impl Who for TownSigned {
    fn no(&self) -> &str {
        TownSigned::no(self)
    }
}

/// The town's session cookie (not the desk's: a town PC may also open a station's desk).
const COOKIE: &str = "kiosk_town";

#[derive(Clone)]
pub struct TownState(Arc<Inner>);

struct Inner {
    /// The town's name (town.toml; it does not change while the site runs).
    name: String,
    office: Mutex<Office>,
    sessions: Sessions<TownSigned>,
    hosts: guard::Hosts,
    /// Sign-ins per address, as at the station's desk: one device cannot lock a member out.
    throttle: guard::SignInThrottle,
    streams: net::Counter,
    stop: watch::Receiver<bool>,
}

impl TownState {
    pub fn new(office: Office, hosts: guard::Hosts, stop: watch::Receiver<bool>) -> TownState {
        let limits = net::LIMITS;
        TownState(Arc::new(Inner {
            name: office.town().name.clone(),
            office: Mutex::new(office),
            sessions: Sessions::default(),
            hosts,
            throttle: guard::SignInThrottle::default(),
            streams: net::Counter::new(limits.streams, limits.streams_per_address),
            stop,
        }))
    }

    /// Runs `f` on the office, off the async threads.
    async fn with<T: Send + 'static>(&self, f: impl FnOnce(&mut Office) -> T + Send + 'static) -> Result<T, PageError> {
        let s = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut office = s.0.office.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut office)
        })
        .await
        .map_err(|e| PageError::Fault(format!("town office thread: {e}")))
    }

    /// As [`TownState::with`], a refusal kept as its sentence, a fault as the 503 page.
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Office) -> Result<T, TownError> + Send + 'static,
    ) -> Result<Result<T, String>, PageError> {
        use crate::service::{Explain, Failure};
        match self.with(f).await? {
            Ok(v) => Ok(Ok(v)),
            Err(e) => match e.explain() {
                Failure::Refused(w) => Ok(Err(crate::lang::sentence(&w))),
                Failure::Fault(d) => Err(PageError::Fault(d)),
            },
        }
    }
}

/// A signed-in member of the town's staff whose account is still active.
pub struct Staff {
    id: String,
    sess: Session<TownSigned>,
}

impl Staff {
    fn back(&self, s: &TownState, to: &str, outcome: Result<String, String>) -> Response {
        let (err, text) = match outcome {
            Ok(t) => (false, t),
            Err(t) => (true, t),
        };
        s.0.sessions.flash(&self.id, err, text);
        Redirect::to(to).into_response()
    }
}

impl FromRequestParts<TownState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &TownState) -> Result<Self, Self::Rejection> {
        let change = parts.method != Method::GET && parts.method != Method::HEAD;
        let id = cookie_named(parts.headers.get(header::COOKIE).and_then(|v| v.to_str().ok()), COOKIE);
        let lookup = id.as_deref().map(|i| s.0.sessions.get(i)).unwrap_or(Lookup::Unknown);
        let (id, sess) = match (id, lookup) {
            (Some(id), Lookup::Active(sess)) => (id, *sess),
            (_, lookup) => {
                let expired = matches!(lookup, Lookup::Expired);
                return Err(if change {
                    plain(StatusCode::UNAUTHORIZED, tr!("请先登录"), tr!("请回到镇中心首页用工号和密码登录。"))
                } else {
                    let why = expired.then_some(tr!("已经15分钟没有操作，为了安全已自动退出，请重新登录。"));
                    login_page(s, why, StatusCode::OK, "").await
                });
            }
        };
        let who = sess.who.clone();
        match s.with(move |o| o.check(&who)).await {
            Ok(Ok(())) => {}
            Ok(Err(TownError::Disabled)) => {
                s.0.sessions.end(&id);
                return Err(plain(StatusCode::FORBIDDEN, tr!("账号已停用"), tr!("这个账号已停用，不能再使用。")));
            }
            Ok(Err(e)) => return Err(super::chrome::unavailable(&e.to_string())),
            Err(e) => return Err(e.into_response()),
        }
        parts.extensions.insert(Csrf(sess.csrf.clone()));
        Ok(Staff { id, sess })
    }
}

pub fn router(state: TownState) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/live", get(overview_live))
        // A bookmarked or reloaded /login: the sign-in form is on the first page.
        .route("/login", get(|| async { Redirect::to("/") }).post(login))
        .route("/logout", post(logout))
        .route("/station/{code}", get(station))
        .route("/publish/{what}", get(publications))
        .route("/publish/{what}/check", post(check).layer(DefaultBodyLimit::max(super::matters::UPLOAD_LIMIT)))
        .route("/publish/{what}/confirm", post(publish).layer(DefaultBodyLimit::max(super::matters::UPLOAD_LIMIT)))
        .route("/publish/{what}/rollback", get(rollback_review).post(rollback))
        .route("/publish/{what}/file", get(source_file))
        .route("/cases", get(cases))
        // The inbox's name in the issue and in the town staff's bookmarks from the guide.
        .route("/town/cases", get(cases))
        .route("/cases/scan", post(scan))
        .route("/cases/{station}/{tracking}", get(case))
        .route("/cases/{station}/{tracking}/reveal", post(reveal))
        .route("/cases/{station}/{tracking}/doc/{kind}", post(case_doc))
        .route("/cases/{station}/{tracking}/advance", post(advance))
        .route("/cases/{station}/{tracking}/settle", post(settle))
        .route("/reports", get(reports))
        .route("/reports/file", get(report_file))
        .route("/audit", get(audit))
        .route("/assets/{file}", get(super::assets::serve))
        .fallback(|| async {
            plain(StatusCode::NOT_FOUND, tr!("没有这个页面"), tr!("请检查地址，或回到镇中心首页。"))
        })
        .layer(DefaultBodyLimit::max(super::BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), admit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(net::LIMITS.body_timeout))
        .layer(middleware::from_fn(super::guard))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            plain(StatusCode::INTERNAL_SERVER_ERROR, tr!("出错了"), tr!("镇中心程序出了问题，请稍后再试。"))
        }))
        .layer(middleware::from_fn(super::in_language))
        .with_state(state)
}

/// The Host must be one the town listens as; a change needs a session before its body is
/// read (a file may be large); a live page must find room for its address.
async fn admit(State(s): State<TownState>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok());
    if !s.0.hosts.allows(host) {
        return plain(StatusCode::MISDIRECTED_REQUEST, tr!("地址不对"), tr!("请用镇中心的地址打开这个页面。"));
    }
    let path = req.uri().path();
    if req.method() == Method::POST && path != "/login" {
        let id = cookie_named(req.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()), COOKIE);
        if id.and_then(|i| s.0.sessions.peek(&i)).is_none() {
            return plain(StatusCode::UNAUTHORIZED, tr!("请先登录"), tr!("请回到镇中心首页用工号和密码登录。"));
        }
    }
    if req.method() == Method::GET && path == "/live" {
        let Some(permit) = net::peer(&req).and_then(|p| s.0.streams.take(p.ip())) else {
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                tr!("实时更新太多"),
                tr!("同时打开的实时页面太多了，本页不会自己更新，请过一会儿刷新。"),
            );
        };
        let res = next.run(req).await;
        return res.map(|body| axum::body::Body::new(net::Held { body, permit }));
    }
    next.run(req).await
}

/// The town's parts, in the order of its bar.
const PARTS: [(&str, &str); 8] = [
    ("/", tr_later!("各站总览")),
    ("/cases", tr_later!("代办件")),
    ("/publish/matters", tr_later!("事项清单")),
    ("/publish/holidays", tr_later!("节假日")),
    ("/publish/notices", tr_later!("通知")),
    ("/publish/reasons", tr_later!("差评原因")),
    ("/reports", tr_later!("报表")),
    ("/audit", tr_later!("审计日志")),
];

/// The town centre as its pages name it: its configured name when that already names the
/// centre (新集镇行政综合服务中心), else the town's name with 镇中心 (新集 → 新集镇中心).
fn centre_name(town: &str) -> String {
    match crate::domain::town::town_of(town) {
        None => town.to_string(),
        Some(name) => tr!("{}镇中心", name).to_string(),
    }
}

/// A page of the town's site: its bar (the parts, who, 签退), the flash, the title.
async fn page(s: &TownState, staff: &Staff, current: &str, title: &str, inner: Markup, status: StatusCode) -> Response {
    let town = s.0.name.clone();
    let live = current == "/";
    let body = html! {
        main.desk.admin.town {
            header.bar {
                span.station { (centre_name(&town)) }
                (super::chrome::parts_nav("sections", tr!("镇中心"), &PARTS, current))
                span.who { (staff.sess.who.no()) " " (staff.sess.who.name()) }
                form.inline method="post" action="/logout" { (csrf(&staff.sess)) button type="submit" { (tr!("签退")) } }
            }
            (flash(&staff.sess))
            h1 { (title) }
            (inner)
        }
    };
    super::chrome::staff_page(&town, title, body, status, live)
}

async fn login_page(s: &TownState, message: Option<&str>, status: StatusCode, staff: &str) -> Response {
    let town = s.0.name.clone();
    let staff = crate::domain::text::capped(staff, 16);
    Shell::new(tr!("登录"), "deskpage").response(
        status,
        html! {
            main.desk.login {
                h1 { (centre_name(&town)) }
                h2 { (tr!("村级服务站总览 · 工作人员登录")) }
                @if let Some(m) = message { p.error role="alert" { (m) } }
                form method="post" action="/login" autocomplete="off" {
                    label { (tr!("工号 ")) input name="staff" required maxlength="16" value=(staff) autofocus[staff.is_empty()]; }
                    label { (tr!("密码 ")) input name="pin" type="password" inputmode="numeric" required maxlength="20" autofocus[!staff.is_empty()]; }
                    button.primary type="submit" { (tr!("登录")) }
                }
                p.hint { (tr!("连续输错5次密码，账号会锁定5分钟。15分钟不操作会自动退出。")) }
            }
        },
    )
}

#[derive(serde::Deserialize)]
struct SignIn {
    #[serde(default)]
    staff: String,
    #[serde(default)]
    pin: String,
}

async fn login(
    State(s): State<TownState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    https: Option<axum::Extension<super::tls::Https>>,
    Posted(f): Posted<SignIn>,
) -> Result<Response, PageError> {
    let typed = f.staff.trim().to_string();
    if typed.is_empty() || f.pin.trim().is_empty() {
        return Ok(login_page(&s, Some(tr!("请填写工号和密码。")), StatusCode::BAD_REQUEST, &typed).await);
    }
    // An address that failed too often waits, and counts towards an account's lock only a
    // few times, as at the station's desk (guard.rs).
    let admitted = match s.0.throttle.admit(peer.ip()) {
        Ok(a) => a,
        Err(minutes) => {
            let why = tr!("这台电脑登录失败的次数太多了，请{}分钟后再试。忘了密码请找站长重设。", minutes);
            return Ok(login_page(&s, Some(&why), StatusCode::TOO_MANY_REQUESTS, &typed).await);
        }
    };
    let origin = peer.ip().to_string();
    let (no, pin) = (f.staff, f.pin);
    let attempt = move |o: &mut Office| match admitted {
        guard::Admitted::Counted => o.sign_in(&no, pin.trim(), Some(&origin)),
        guard::Admitted::Uncounted => o.sign_in_uncounted(&no, pin.trim(), Some(&origin)),
    };
    match s.call(attempt).await? {
        Ok(who) => {
            s.0.throttle.succeeded(peer.ip(), admitted);
            let Some(id) = s.0.sessions.start(who) else {
                return Err(PageError::Fault("no randomness for a session id".into()));
            };
            let mut r = Redirect::to("/").into_response();
            // Secure over HTTPS; plain HTTP is for the town's own box (loopback) only.
            let secure = super::tls::secure_suffix(https.is_some());
            let cookie = format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{secure}");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(words) => Ok(login_page(&s, Some(&words), StatusCode::UNAUTHORIZED, &typed).await),
    }
}

#[derive(serde::Deserialize)]
struct Nothing {}

async fn logout(State(s): State<TownState>, staff: Staff, Checked(_): Checked<Nothing>) -> Result<Response, PageError> {
    let who = staff.sess.who.clone();
    s.call(move |o| o.sign_out(&who)).await?.ok();
    s.0.sessions.end(&staff.id);
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// "3分钟前", "2小时前", "5天前" — or 从未.
fn ago(secs: Option<i64>) -> String {
    match secs {
        None => tr!("从未连上").to_string(),
        Some(s) if s < 60 => tr!("刚刚").to_string(),
        Some(s) if s < 3600 => tr!("{}分钟前", s / 60),
        Some(s) if s < 86_400 => tr!("{}小时前", s / 3600),
        Some(s) => tr!("{}天前", s / 86_400),
    }
}

fn disk(mb: Option<i64>) -> String {
    match mb {
        Some(m) if m >= 1024 => format!("{:.1} GB", m as f64 / 1024.0),
        Some(m) => format!("{m} MB"),
        None => "—".into(),
    }
}

/// The overview's table: what the live stream sends again when it changes.
fn overview_table(rows: &[StationRow]) -> Markup {
    let online = rows.iter().filter(|r| r.health.online()).count();
    let taken: i64 = rows.iter().map(|r| r.taken_today).sum();
    let waiting: i64 = rows.iter().map(|r| r.waiting).sum();
    html! {
        p.summary {
            (filled(
                tr!("{} 个站点在线，{} 个离线；今天全镇取号 {}，正在等候 {}。"),
                &[html! { b { (online) } }, html! { b { (rows.len() - online) } }, html! { b { (taken) } }, html! { b { (waiting) } }],
            ))
        }
        table.cases.overview {
            thead { tr {
                th { (tr!("站点")) } th { (tr!("连接")) } th { (tr!("需要关注")) } th { (tr!("今日取号")) }
                th { (tr!("等候")) } th { (tr!("办结")) } th { (tr!("平均等候")) } th { (tr!("差评待跟进")) }
                th { (tr!("打印机")) } th { (tr!("磁盘")) } th { (tr!("事项清单")) } th { (tr!("软件版本")) }
            } }
            tbody {
                @for r in rows {
                    @let attention = r.health.attention();
                    tr class=(if !r.health.online() { "row-offline" } else if attention.is_empty() { "" } else { "row-attention" }) {
                        td { a href={ "/station/" (r.code) } { (r.name) } " " small { (r.code) } }
                        td { @if r.health.online() { (tr!("在线")) } @else { b { (tr!("离线")) } " " (ago(r.health.silent_for)) } }
                        td { @for (i, a) in attention.iter().enumerate() { @if i > 0 { "、" } b { (crate::lang::tr(a)) } } }
                        td { (r.taken_today) }
                        td { (r.waiting) }
                        td { (r.served) }
                        td { @if let Some(w) = r.avg_wait { (tr!("{}分钟", mins(Some(w)))) } @else { "—" } }
                        td { (r.health.open_bad) @if r.health.overdue_followups > 0 { " " b { (tr!("（逾期 {}）", r.health.overdue_followups)) } } }
                        td { @if r.health.unprinted > 0 { b { (tr!("{} 张没打出来", r.health.unprinted)) } } @else if r.printer.is_some() { (tr!("正常")) } @else { "—" } }
                        td { (disk(r.health.free_disk_mb)) }
                        td { @if let Some(v) = r.catalogue_version { (tr!("第{}版", v)) } @else { (tr!("还没有采用镇中心的")) } }
                        td { (r.software.as_deref().unwrap_or("—")) }
                    }
                }
            }
        }
    }
}

async fn overview(State(s): State<TownState>, staff: Staff) -> Result<Response, PageError> {
    let (rows, overdue) = s
        .call(|o| {
            let overdue = o.due_this_week()?.iter().filter(|c| c.urgency == Urgency::Overdue).count();
            Ok((o.overview()?, overdue))
        })
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let inner = html! {
        @if overdue > 0 {
            // An overdue 代办 is raised to the town head on the first page too.
            p.notice role="alert" {
                a href="/cases" { (tr!("{} 件已超期，请镇中心负责人督办", overdue)) }
            }
        }
        p.hint { (tr!("站点每分钟报一次平安；两分半钟没有消息算离线。离线的站点照常办事，连通后自动补报。")) }
        p.error id="offline" hidden { (tr!("与镇中心服务的连接断了，正在重连……")) }
        div id="panel" data-src="/live" { (overview_table(&rows)) }
    };
    Ok(page(&s, &staff, "/", tr!("各站总览"), inner, StatusCode::OK).await)
}

/// The overview's table as it changes: sent on connect and whenever it differs (it is
/// looked at again every second), until the town stops, the page goes or the session ends.
async fn overview_live(State(s): State<TownState>, staff: Staff) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, std::convert::Infallible>>(4);
    let lang = crate::lang::current();
    let mut stop = s.0.stop.clone();
    tokio::spawn(crate::lang::scope(lang, async move {
        let mut last = String::new();
        loop {
            if s.0.sessions.peek(&staff.id).is_none() {
                let _ = tx.send(Ok(Event::default().event("signed-out").data(""))).await;
                return;
            }
            if let Ok(Ok(rows)) = s.with(|o| o.overview()).await {
                let html = overview_table(&rows).into_string();
                if html != last {
                    if tx
                        .send(Ok(Event::default().event("panel").data(html.clone()).retry(Duration::from_secs(2))))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    last = html;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.wait_for(|v| *v) => return,
                _ = tx.closed() => return,
            }
        }
    }));
    Sse::new(tokio_stream::wrappers::ReceiverStream::new(rx)).keep_alive(KeepAlive::default()).into_response()
}

async fn station(State(s): State<TownState>, staff: Staff, Path(code): Path<String>) -> Result<Response, PageError> {
    let found = s.call(move |o| o.station(&code)).await?.map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let Some(p) = found else {
        return Ok(plain(StatusCode::NOT_FOUND, tr!("没有这个站点"), tr!("镇中心没有这个站点代码。请回到总览。")));
    };
    let r = &p.row;
    let inner = html! {
        section {
            table.cases {
                tbody {
                    tr { th { (tr!("连接")) } td { @if r.health.online() { (tr!("在线")) } @else { b { (tr!("离线")) } } " · " (tr!("上次消息 {}", ago(r.health.silent_for))) } }
                    tr { th { (tr!("需要关注")) } td { @for a in r.health.attention() { b { (crate::lang::tr(a)) } " " } } }
                    tr { th { (tr!("今日")) } td { (tr!("取号 {}，等候 {}，办结 {}", r.taken_today, r.waiting, r.served)) } }
                    tr { th { (tr!("打印机")) } td { (r.printer.as_deref().unwrap_or("—")) @if r.health.unprinted > 0 { " " b { (tr!("{} 张没打出来", r.health.unprinted)) } } } }
                    tr { th { (tr!("磁盘剩余")) } td { (disk(r.health.free_disk_mb)) } }
                    tr { th { (tr!("最近备份")) } td { (r.last_backup.as_deref().unwrap_or("—")) } }
                    tr { th { (tr!("最近清理")) } td { (r.last_purge.as_deref().unwrap_or("—")) } }
                    tr { th { (tr!("时钟偏差")) } td { @if let Some(o) = r.clock_offset { (tr!("{} 秒", o)) } @else { "—" } } }
                    tr { th { (tr!("事项清单")) } td { @if let Some(v) = r.catalogue_version { (tr!("第{}版", v)) } @else { (tr!("还没有采用镇中心的")) } } }
                    tr { th { (tr!("已收到的记录")) } td { (p.events) @if p.gaps > 0 { " · " (tr!("曾有 {} 处缺号（已补齐的也计在内）", p.gaps)) } } }
                }
            }
        }
        section {
            h2 { (tr!("今天的排队")) }
            @if p.queue.is_empty() { p { (tr!("今天还没有人取号。")) } } @else {
                table.cases {
                    thead { tr { th { (tr!("号码")) } th { (tr!("类别")) } th { (tr!("状态")) } th { (tr!("窗口")) } } }
                    tbody { @for (n, c, st, w) in &p.queue { tr { td { (n) } td { (c) } td { (crate::lang::tr(st.label())) } td { @if let Some(w) = w { (w) } } } } }
                }
            }
        }
        section {
            h2 { (tr!("最近叫号")) }
            table.cases {
                thead { tr { th { (tr!("时间")) } th { (tr!("号码")) } th { (tr!("窗口")) } th { (tr!("工号")) } } }
                tbody { @for (at, n, w, st) in &p.calls { tr { td { (at) } td { (n) } td { @if let Some(w) = w { (w) } } td { (st.as_deref().unwrap_or("")) } } } }
            }
        }
        section {
            h2 { (tr!("近30天的评价")) }
            table.cases {
                thead { tr { th { (tr!("时间")) } th { (tr!("评价")) } th { (tr!("原因")) } th { (tr!("整改")) } } }
                tbody {
                    @for g in &p.ratings {
                        tr class=(if g.overdue { "row-attention" } else { "" }) {
                            td { (g.at) }
                            td { (crate::lang::tr(crate::domain::rating::Level::new(g.level as u8).map(|l| l.label()).unwrap_or("—"))) }
                            td { (g.reason.as_deref().unwrap_or("")) }
                            td {
                                @if g.level <= 2 {
                                    @if g.followed_up { (tr!("已整改")) } @else if g.overdue { b { (tr!("逾期未整改")) } } @else { (tr!("整改中")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section {
            h2 { (tr!("报平安记录")) }
            table.cases {
                thead { tr { th { (tr!("收到时间")) } th { (tr!("软件版本")) } th { (tr!("事项清单")) } th { (tr!("待上报")) } th { (tr!("磁盘")) } th { (tr!("没打出来")) } } }
                tbody {
                    @for (at, b) in &p.heartbeats {
                        tr {
                            td { (at) }
                            td { (b["version"].as_str().unwrap_or("")) }
                            td { (b["catalogue_version"].as_i64().map(|v| v.to_string()).unwrap_or_default()) }
                            td { (b["outbox_pending"].as_i64().unwrap_or(0)) }
                            td { (disk(b["free_disk_mb"].as_i64())) }
                            td { (b["unprinted"].as_i64().unwrap_or(0)) }
                        }
                    }
                }
            }
        }
    };
    let title = format!("{} {}", r.name, r.code);
    Ok(page(&s, &staff, "", &title, inner, StatusCode::OK).await)
}

fn what_of(key: &str) -> Result<Published, PageError> {
    match key {
        "matters" => Ok(Published::Matters),
        "holidays" => Ok(Published::Holidays),
        "notices" => Ok(Published::Notices),
        "reasons" => Ok(Published::Reasons),
        _ => Err(PageError::Page(plain(
            StatusCode::NOT_FOUND,
            tr!("没有这个页面"),
            tr!("请检查地址，或回到镇中心首页。"),
        ))),
    }
}

fn words(what: Published) -> &'static str {
    match what {
        Published::Matters => tr_later!("事项清单"),
        Published::Holidays => tr_later!("节假日安排"),
        Published::Notices => tr_later!("通知"),
        Published::Reasons => tr_later!("差评原因"),
    }
}

async fn publications(
    State(s): State<TownState>,
    staff: Staff,
    Path(key): Path<String>,
) -> Result<Response, PageError> {
    let what = what_of(&key)?;
    let (versions, rollout, current) = s
        .call(move |o| Ok((o.versions(what)?, o.rollout(what)?, o.source(what, None)?)))
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let here = format!("/publish/{key}");
    let latest = versions.first().map(|v| v.version).unwrap_or(0);
    let notices = match (what, &current) {
        (Published::Notices, Some((_, src))) => crate::town::office::notices_of(src).unwrap_or_default(),
        _ => Default::default(),
    };
    let inner = html! {
        p {
            @if latest == 0 { (tr!("镇中心还没有发布过，各站用自己装的版本。")) }
            @else { (tr!("最新是第{}版。站点连通时自动采用，离线的站点连通后采用。", latest)) " " a href={ (here) "/file" } { (tr!("下载最新版")) } }
        }
        section {
            @if what == Published::Notices {
                h2 { (tr!("发布通知")) }
                form method="post" action={ (here) "/confirm" } {
                    (csrf(&staff.sess))
                    label { (tr!("自助终端首页的通知（一行，可以空着）")) input name="home" maxlength="200" value=(notices.0); }
                    label { (tr!("叫号屏底部的通知（一行，可以空着）")) input name="display" maxlength="200" value=(notices.1); }
                    button.primary type="submit" { (tr!("发布给所有站点")) }
                }
            } @else {
                h2 { (tr!("发布新版本")) }
                form method="post" action={ (here) "/check" } {
                    (csrf(&staff.sess))
                    label { (tr!("选择文件 ")) input type="file" id="source-file" data-into="source" accept=".toml,text/plain"; }
                    // The reasons start from the list in force (the shipped one at first).
                    label { (tr!("或粘贴内容")) textarea name="source" id="source" rows="10" required {
                        @if what == Published::Reasons {
                            (current.as_ref().map(|c| c.1.clone()).unwrap_or_else(|| crate::config::reasons_toml(&crate::domain::rating::Reasons::shipped())))
                        }
                    } }
                    button.primary type="submit" { (tr!("检查并查看改动")) }
                }
            }
        }
        section {
            h2 { (tr!("各站采用情况")) }
            @if rollout.is_empty() { p { (tr!("还没有站点报告。")) } } @else {
                table.cases {
                    thead { tr { th { (tr!("站点")) } th { (tr!("版本")) } th { (tr!("结果")) } } }
                    tbody {
                        @for r in &rollout {
                            tr class=(if r.outcome == "refused" { "row-attention" } else { "" }) {
                                td { a href={ "/station/" (r.station) } { (r.station) } }
                                td { (tr!("第{}版", r.version)) }
                                td { @if r.outcome == "applied" { (tr!("已采用")) } @else { b { (tr!("拒收：")) } (r.detail.as_deref().unwrap_or("")) } }
                            }
                        }
                    }
                }
            }
        }
        section {
            h2 { (tr!("历次版本")) }
            table.cases {
                thead { tr { th { (tr!("版本")) } th { (tr!("发布时间")) } th { (tr!("发布人")) } th { (tr!("说明")) } th { (tr!("操作")) } } }
                tbody {
                    @for v in &versions {
                        tr {
                            td { (tr!("第{}版", v.version)) }
                            td { (v.published_at) }
                            td { (v.staff) }
                            td { (v.note) }
                            td {
                                @if v.version == latest { b { (tr!("最新")) } }
                                @else { a.button href={ (here) "/rollback?version=" (v.version) } { (tr!("回滚到这一版…")) } }
                            }
                        }
                    }
                }
            }
        }
        script src="/assets/admin.js" defer {}
    };
    let title = crate::lang::tr(words(what)).to_string();
    Ok(page(&s, &staff, &here, &title, inner, StatusCode::OK).await)
}

#[derive(serde::Deserialize)]
struct Upload {
    #[serde(default)]
    source: String,
}

fn review_markup(r: &Review) -> Markup {
    html! {
        p { (tr!("检查通过：{}。", r.summary)) }
        @if let Some(d) = &r.diff { (super::matters::diff(d)) }
        @if r.same { p { (tr!("和最新的第{}版完全一样。", r.latest)) } }
    }
}

async fn check(
    State(s): State<TownState>,
    staff: Staff,
    Path(key): Path<String>,
    Checked(f): Checked<Upload>,
) -> Result<Response, PageError> {
    let what = what_of(&key)?;
    let here = format!("/publish/{key}");
    let src = f.source.clone();
    let reviewed = s.call(move |o| o.review(what, tr!("上传的文件"), &src)).await?;
    let inner = match reviewed {
        Err(words) => {
            let inner = html! {
                p.error { (tr!("文件有错误，没有发布。请按行号改好后重新上传：")) }
                pre.errors { (words) }
                p { a href=(here) { (tr!("返回")) } }
            };
            return Ok(page(&s, &staff, &here, tr!("文件有错误"), inner, StatusCode::UNPROCESSABLE_ENTITY).await);
        }
        Ok(r) => html! {
            (review_markup(&r))
            @if r.same { p { a href=(here) { (tr!("不用发布，返回")) } } } @else {
                form method="post" action={ (here) "/confirm" } {
                    (csrf(&staff.sess))
                    textarea name="source" hidden aria-hidden="true" { (f.source) }
                    label { (tr!("发布说明（改了什么、为什么）")) input name="note" maxlength="200" required; }
                    button.primary type="submit" { (tr!("发布为第{}版，所有站点采用", r.latest + 1)) }
                }
                p { a href=(here) { (tr!("不发布，返回")) } }
            }
        },
    };
    Ok(page(&s, &staff, &here, tr!("核对改动"), inner, StatusCode::OK).await)
}

#[derive(serde::Deserialize)]
struct Publish {
    #[serde(default)]
    source: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    home: Option<String>,
    #[serde(default)]
    display: Option<String>,
}

async fn publish(
    State(s): State<TownState>,
    staff: Staff,
    Path(key): Path<String>,
    Checked(f): Checked<Publish>,
) -> Result<Response, PageError> {
    let what = what_of(&key)?;
    let here = format!("/publish/{key}");
    let who = staff.sess.who.clone();
    let outcome = s
        .call(move |o| {
            let (src, note) = match what {
                Published::Notices => (
                    Office::notices_source(f.home.as_deref().unwrap_or(""), f.display.as_deref().unwrap_or(""))?,
                    tr!("通知").to_string(),
                ),
                _ => (f.source, f.note),
            };
            o.publish(&who, what, tr!("上传的文件"), &src, &note)
        })
        .await?
        .map(|p| tr!("已发布第{}版（{}），站点连通时自动采用", p.version, p.summary));
    Ok(staff.back(&s, &here, outcome))
}

#[derive(serde::Deserialize)]
struct Version {
    #[serde(default, deserialize_with = "lenient::number")]
    version: Option<i64>,
    #[serde(default)]
    note: String,
}

async fn rollback_review(
    State(s): State<TownState>,
    staff: Staff,
    Path(key): Path<String>,
    Query(q): Query<Version>,
) -> Result<Response, PageError> {
    let what = what_of(&key)?;
    let here = format!("/publish/{key}");
    let Some(version) = q.version else {
        return Err(PageError::Refused(StatusCode::BAD_REQUEST, tr!("请选择版本。").into()));
    };
    let reviewed = s
        .call(move |o| match o.source(what, Some(version))? {
            Some((_, src)) => o.review(what, &format!("v{version}"), &src).map(Some),
            None => Ok(None),
        })
        .await?;
    let inner = match reviewed {
        Ok(Some(r)) => html! {
            p { (tr!("第{}版：", version)) }
            (review_markup(&r))
            form method="post" action={ (here) "/rollback" } {
                (csrf(&staff.sess))
                input type="hidden" name="version" value=(version);
                label { (tr!("回滚说明（为什么回滚）")) input name="note" maxlength="200" required; }
                button.primary type="submit" { (tr!("确认回滚：用第{}版的内容发布为第{}版", version, r.latest + 1)) }
            }
            p { a href=(here) { (tr!("不回滚，返回")) } }
        },
        Ok(None) => return Ok(plain(StatusCode::NOT_FOUND, tr!("没有这一版"), tr!("请回到版本列表重新选择。"))),
        Err(words) => html! { p.error { (words) } p { a href=(here) { (tr!("返回")) } } },
    };
    Ok(page(&s, &staff, &here, tr!("核对回滚"), inner, StatusCode::OK).await)
}

async fn rollback(
    State(s): State<TownState>,
    staff: Staff,
    Path(key): Path<String>,
    Checked(f): Checked<Version>,
) -> Result<Response, PageError> {
    let what = what_of(&key)?;
    let here = format!("/publish/{key}");
    let Some(version) = f.version else {
        return Err(PageError::Refused(StatusCode::BAD_REQUEST, tr!("请选择版本。").into()));
    };
    if f.note.trim().is_empty() {
        return Ok(staff.back(
            &s,
            &format!("{here}/rollback?version={version}"),
            Err(tr!("回滚要写说明（为什么回滚），没有回滚。").into()),
        ));
    }
    let who = staff.sess.who.clone();
    let outcome = s
        .call(move |o| o.rollback(&who, what, version, &f.note))
        .await?
        .map(|p| tr!("已回滚：第{}版用第{}版的内容", p.version, version));
    Ok(staff.back(&s, &here, outcome))
}

async fn source_file(State(s): State<TownState>, _: Staff, Path(key): Path<String>) -> Result<Response, PageError> {
    let what = what_of(&key)?;
    let found =
        s.call(move |o| o.source(what, None)).await?.map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let Some((v, src)) = found else {
        return Ok(plain(StatusCode::NOT_FOUND, tr!("还没有发布"), tr!("镇中心还没有发布过这一项。")));
    };
    let ext = if what == Published::Notices { "json" } else { "toml" };
    let mut r = typed(StatusCode::OK, "text/plain; charset=utf-8", src);
    if let Ok(h) = HeaderValue::from_str(&format!("attachment; filename=\"{key}-v{v}.{ext}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, h);
    }
    Ok(r)
}

#[derive(serde::Deserialize)]
struct Month {
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

/// The month asked for (YYYY-MM), the last whole month by default: (first day, last day).
fn month_range(q: &Month, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), PageError> {
    let first = match q.month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| PageError::Refused(StatusCode::BAD_REQUEST, tr!("月份要写成 2026-11 这样。").into()))?,
        None => {
            let this = today.with_day(1).unwrap_or(today);
            (this - chrono::Duration::days(1)).with_day(1).unwrap_or(this)
        }
    };
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    let last = next.map(|n| n - chrono::Duration::days(1)).unwrap_or(first);
    Ok((first, last))
}

async fn reports(State(s): State<TownState>, staff: Staff, Query(q): Query<Month>) -> Result<Response, PageError> {
    let today = s.with(|o| o.clock().today()).await?;
    let (from, to) = month_range(&q, today)?;
    let r = s.call(move |o| o.report(from, to)).await?.map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let month = from.format("%Y-%m").to_string();
    let rows = crate::receipt::report::town_rows(&r);
    let case_rows = crate::receipt::report::town_case_rows(&r);
    let most = r.stations.iter().map(|(_, _, x)| x.all.issued).max().unwrap_or(0).max(1);
    let inner = html! {
        form method="get" action="/reports" {
            label { (tr!("月份 ")) input type="month" name="month" value=(month); }
            button type="submit" { (tr!("查看")) }
            " " a.button href={ "/reports/file?format=csv&month=" (month) } { (tr!("下载 CSV（Excel）")) }
            " " a.button href={ "/reports/file?format=pdf&month=" (month) } { (tr!("下载 PDF（打印）")) }
        }
        p {
            (tr!("{} 至 {}：全镇取号 {}，办结 {}，等候中位数 {} 分钟，好差评 {} 次，满意率 {}。",
                from, to, r.all.all.issued, r.all.all.served, mins(r.all.all.wait_median), r.all.ratings.total(), pct(r.all.ratings.satisfaction())))
        }
        section {
            h2 { (tr!("各站点取号")) }
            div.bars {
                @for (code, name, x) in &r.stations {
                    div.bar-row {
                        span.bar-label { (name) " " small { (code) } }
                        // A meter, not a styled width: the pages allow no inline styles.
                        meter.bar-meter min="0" max=(most) value=(x.all.issued) {}
                        span.bar-value { (x.all.issued) }
                    }
                }
            }
        }
        section {
            h2 { (tr!("各站点比较")) }
            table.cases {
                thead { tr { @for h in crate::receipt::report::TOWN_HEAD { th { (crate::lang::tr(h)) } } } }
                tbody { @for row in &rows { tr { @for c in row { td { (c) } } } } }
            }
        }
        section {
            h2 { (tr!("全程代办（报送镇中心的）")) }
            p {
                (tr!("本期报送镇中心 {} 件，镇中心办结 {} 件，按时办结率 {}；期末逾期未办结 {} 件。",
                    r.all.cases.opened, r.all.cases.completed, pct(r.all.cases.on_time_rate()), r.all.cases.overdue.len()))
            }
            table.cases {
                thead { tr { @for h in crate::receipt::report::TOWN_CASE_HEAD { th { (crate::lang::tr(h)) } } } }
                tbody { @for row in &case_rows { tr { @for c in row { td { (c) } } } } }
            }
            @if !r.all.cases.overdue.is_empty() {
                h3 { (tr!("逾期未办结")) }
                ul {
                    @for (t, m, due, days) in &r.all.cases.overdue {
                        @let (station, tracking) = t.split_once(':').unwrap_or(("", t.as_str()));
                        li {
                            a href={ "/cases/" (station) "/" (tracking) } { (t) } " " (m) " "
                            (tr!("承诺 {}，已逾期 {} 天", due, days))
                        }
                    }
                }
            }
        }
    };
    Ok(page(&s, &staff, "/reports", tr!("全镇报表"), inner, StatusCode::OK).await)
}

async fn report_file(State(s): State<TownState>, _: Staff, Query(q): Query<Month>) -> Result<Response, PageError> {
    let today = s.with(|o| o.clock().today()).await?;
    let (from, to) = month_range(&q, today)?;
    let pdf = q.format.as_deref() == Some("pdf");
    let bytes = s
        .call(move |o| if pdf { o.report_pdf(from, to) } else { o.report_csv(from, to) })
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let (ty, ext) = if pdf { ("application/pdf", "pdf") } else { ("text/csv; charset=utf-8", "csv") };
    let mut r = typed(StatusCode::OK, ty, bytes);
    if let Ok(h) =
        HeaderValue::from_str(&format!("attachment; filename=\"town-report-{}.{ext}\"", from.format("%Y-%m")))
    {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, h);
    }
    Ok(r)
}

fn action_words(action: &str) -> &'static str {
    match action {
        "sign-in" => tr_later!("登录"),
        "sign-out" => tr_later!("签退"),
        "sign-in-locked" => tr_later!("密码输错太多，锁定"),
        "staff-add" => tr_later!("新增或重设工作人员"),
        "matters-publish" => tr_later!("发布事项清单"),
        "holidays-publish" => tr_later!("发布节假日"),
        "notices-publish" => tr_later!("发布通知"),
        "reasons-publish" => tr_later!("发布差评原因"),
        "case-reveal" => tr_later!("查看代办件的完整信息"),
        "case-doc" => tr_later!("查看代办件的单据"),
        "case-received" => tr_later!("代办件已接收"),
        "case-returned" => tr_later!("代办件退回补正"),
        "case-forwarded" => tr_later!("代办件转县级部门"),
        "case-completed" => tr_later!("代办件办结"),
        "case-rejected" => tr_later!("代办件不予受理"),
        "case-settled" => tr_later!("处理代办冲突"),
        _ => "",
    }
}

async fn audit(State(s): State<TownState>, staff: Staff) -> Result<Response, PageError> {
    let rows = s.call(|o| o.audit_log(500)).await?.map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let inner = html! {
        table.cases {
            thead { tr { th { (tr!("时间")) } th { (tr!("工号")) } th { (tr!("操作")) } th { (tr!("对象")) } th { (tr!("说明")) } th { (tr!("电脑")) } } }
            tbody {
                @for [at, who, action, subject, detail, origin] in &rows {
                    @let a = action.as_deref().unwrap_or("");
                    tr {
                        td { (at.as_deref().unwrap_or("")) }
                        td { (who.as_deref().unwrap_or(tr!("（本机命令行）"))) }
                        td { @let w = action_words(a); @if w.is_empty() { (a) } @else { (crate::lang::tr(w)) } }
                        td { (subject.as_deref().unwrap_or("")) }
                        td { (detail.as_deref().unwrap_or("")) }
                        td { (origin.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    };
    Ok(page(&s, &staff, "/audit", tr!("审计日志"), inner, StatusCode::OK).await)
}

/// Where the town's site listens: plain HTTP on the box's own address, HTTPS (with the
/// certificate the town's CA made for its server) on any other.
pub struct Site {
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl Site {
    /// Binds `addr`; `pki` is the town's certificate folder.
    pub async fn bind(addr: &str, pki: &std::path::Path) -> Result<Site, String> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("--listen {addr}: cannot listen there ({e})"))?;
        let local = listener.local_addr().map_err(|e| format!("--listen {addr}: {e}"))?;
        let tls = if local.ip().is_loopback() {
            None
        } else {
            Some(super::tls::acceptor(&crate::system::certs::read(pki, "hub.pem", "hub.key", "ca.pem")?)?)
        };
        Ok(Site { listener, tls })
    }

    /// The site's address, as a URL.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let addr = self.listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        format!("{scheme}://{addr}")
    }
}

/// Serves the town's site until `stop`.
pub async fn serve(site: Site, office: Office, stop: watch::Receiver<bool>) {
    let bound: Vec<SocketAddr> = site.listener.local_addr().into_iter().collect();
    let state = TownState::new(office, guard::Hosts::new(&bound, ""), stop.clone());
    let app = router(state);
    let limits = net::LIMITS;
    let conns = net::Counter::new(limits.connections, limits.connections_per_address);
    net::serve(site.listener, app, conns, limits, stop, site.tls).await;
}

// ---- 全程代办 at the town (issue 16) ----

use crate::domain::case::{CaseState, Urgency};
use crate::town::cases::{CaseFilter, TownCase, TownStep};

fn case_href(c: &TownCase) -> String {
    format!("/cases/{}/{}", c.station, c.tracking)
}

fn due_cell(c: &TownCase) -> String {
    match (c.state, c.due) {
        (CaseState::Returned, _) => tr!("暂停（待补正）").into(),
        (_, Some(d)) => d.to_string(),
        (_, None) => "—".into(),
    }
}

/// The inbox: every station's cases by due date, the scan box first.
async fn cases(State(s): State<TownState>, staff: Staff, Query(f): Query<CaseFilter>) -> Result<Response, PageError> {
    let wanted = f.clone();
    let (list, week, stations) = s
        .call(move |o| {
            let stations: Vec<(String, String)> =
                o.town().stations.iter().map(|x| (x.code.clone(), x.name.clone())).collect();
            Ok((o.cases(&wanted)?, o.due_this_week()?, stations))
        })
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let overdue: Vec<&TownCase> = week.iter().filter(|c| c.urgency == Urgency::Overdue).collect();
    let mut matters: Vec<(String, String)> = list.iter().map(|c| (c.matter.clone(), c.matter_name.clone())).collect();
    matters.sort();
    matters.dedup();
    let pick = |v: &Option<String>| v.clone().unwrap_or_default();
    let (station_f, matter_f, state_f) = (pick(&f.station), pick(&f.matter), pick(&f.state));
    let inner = html! {
        section {
            form.inline method="post" action="/cases/scan" {
                (csrf(&staff.sess))
                label for="scan" { (tr!("扫描交接单上的二维码（或输入 站点:编号），登记“已接收”：")) }
                input #scan type="text" name="code" autofocus autocomplete="off" placeholder="s01:D-261207-001";
                button type="submit" { (tr!("登记已接收")) }
            }
        }
        @if !overdue.is_empty() {
            section.attention role="alert" {
                h2 { (tr!("{} 件已超期，请镇中心负责人督办", overdue.len())) }
                ul { @for c in &overdue { li { a href=(case_href(c)) { (c.key()) } " " (c.station_name) " " (c.matter_name) " " (tr!("{} 到期", due_cell(c))) } } }
            }
        }
        p { (tr!("本周到期（含已超期）：{} 件", week.len())) }
        form.filters method="get" action="/cases" {
            select name="station" aria-label=(tr!("站点")) {
                option value="" { (tr!("全部站点")) }
                @for (code, name) in &stations { option value=(code) selected[station_f == *code] { (code) " " (name) } }
            }
            select name="matter" aria-label=(tr!("事项")) {
                option value="" { (tr!("全部事项")) }
                @for (k, l) in &matters { option value=(k) selected[matter_f == *k] { (k) " " (l) } }
            }
            select name="state" aria-label=(tr!("状态")) {
                option value="" { (tr!("未办完的")) }
                @for st in CaseState::ALL { option value=(st.key()) selected[state_f == st.key()] { (crate::lang::tr(st.label())) } }
            }
            label { input type="checkbox" name="all" value="1" checked[f.all.is_some()]; (tr!(" 含已结束的")) }
            button type="submit" { (tr!("筛选")) }
        }
        table.cases {
            caption.visually-hidden { (tr!("代办件")) }
            thead { tr { th { (tr!("编号")) } th { (tr!("站点")) } th { (tr!("事项")) } th { (tr!("状态")) } th { (tr!("承诺办结")) } th { (tr!("申请人")) } } }
            tbody {
                @if list.is_empty() { tr { td colspan="6" { (tr!("没有符合条件的代办")) } } }
                @for c in &list {
                    tr class={ "u-" (super::cases::urgency_class(c.urgency)) } {
                        td { a href=(case_href(c)) { (c.tracking) } }
                        td { (c.station_name) }
                        td { (c.matter_name) }
                        td { (crate::lang::tr(c.state.label())) @if c.conflict.is_some() { " " b { (tr!("有冲突")) } } }
                        td { (due_cell(c)) }
                        td { (c.name_masked()) " " (c.phone_masked()) }
                    }
                }
            }
        }
        p.legend {
            span.u-overdue { (tr!("红色：已超期")) } " "
            span.u-due-soon { (tr!("黄色：一个工作日内到期")) } " "
            span.u-paused { (tr!("灰色：退回补正，暂停计时")) }
        }
    };
    Ok(page(&s, &staff, "/cases", tr!("代办件"), inner, StatusCode::OK).await)
}

fn step_label(st: &TownStep) -> String {
    match (st.kind.as_str(), st.to) {
        ("handed", _) => tr!("服务站报送").into(),
        ("conflict", _) => tr!("冲突").into(),
        ("settled", _) => tr!("冲突已处理").into(),
        ("extend", _) => tr!("延期").into(),
        ("materials", _) => tr!("材料更新").into(),
        (_, Some(to)) => crate::lang::tr(to.label()).into(),
        (k, None) => k.into(),
    }
}

async fn case_page(
    s: &TownState,
    staff: &Staff,
    station: String,
    tracking: String,
    full: Option<TownCase>,
) -> Result<Response, PageError> {
    let found = s
        .call(move |o| {
            let docs = o.case_docs(&station, &tracking)?;
            Ok(o.case(&station, &tracking)?.map(|(c, steps)| {
                let at: Vec<String> = steps.iter().map(|x| o.local(&x.at)).collect();
                (c, steps, at, docs)
            }))
        })
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let Some((c, steps, at, docs)) = found else {
        return Ok(plain(
            StatusCode::NOT_FOUND,
            tr!("没有这件代办"),
            tr!("镇中心没有这件代办：还没报送上来，或编号不对。请回到代办件列表。"),
        ));
    };
    let shown = full.as_ref().unwrap_or(&c);
    let moves: Vec<CaseState> =
        c.state.next_states().iter().copied().filter(|m| CaseState::TOWN_MOVES.contains(m)).collect();
    let base = case_href(&c);
    let inner = html! {
        @if let Some(x) = &c.conflict {
            section.attention role="alert" {
                h2 { (tr!("冲突：要有人核对处理")) }
                p { (x) }
                form method="post" action={ (base) "/settle" } {
                    (csrf(&staff.sess))
                    label for="settle-note" { (tr!("与服务站核对后，写明怎么处理：")) }
                    input #settle-note type="text" name="note" required maxlength="500";
                    button type="submit" { (tr!("已核对处理")) }
                }
            }
        }
        section {
            table.cases {
                caption.visually-hidden { (tr!("代办件详情")) }
                tbody {
                    tr { th { (tr!("站点")) } td { (c.station_name) " " (c.station) } }
                    tr { th { (tr!("事项")) } td { (c.matter) " " (c.matter_name) @if let Some(v) = c.matter_version { " " (tr!("（服务站自己的事项清单第{}版）", v)) } } }
                    tr { th { (tr!("状态")) } td class={ "u-" (super::cases::urgency_class(c.urgency)) } { (crate::lang::tr(c.state.label())) } }
                    tr { th { (tr!("承诺办结")) } td { (due_cell(&c)) @if let Some(d) = c.promised_days { " " (tr!("（{}个工作日，以服务站为准）", d)) } } }
                    tr { th { (tr!("申请人")) } td {
                        @if full.is_some() { (shown.name.as_deref().unwrap_or("")) } @else { (c.name_masked()) }
                    } }
                    tr { th { (tr!("身份证号")) } td { @if full.is_some() { (shown.id_number) } @else { (c.id_masked()) } } }
                    tr { th { (tr!("电话")) } td {
                        @if full.is_some() { (shown.phone) @if let Some(p2) = &shown.phone2 { " / " (p2) } } @else { (c.phone_masked()) }
                    } }
                    tr { th { (tr!("首问责任人")) } td { (c.first_responder.as_deref().unwrap_or("")) " " (c.first_responder_name.as_deref().unwrap_or("")) } }
                    tr { th { (tr!("服务站说明")) } td { (c.station_note.as_deref().unwrap_or("")) } }
                }
            }
            @if c.masked {
                p { (tr!("保存期满，个人信息已按规定遮盖。")) }
            } @else if full.is_none() {
                form.inline method="post" action={ (base) "/reveal" } {
                    (csrf(&staff.sess))
                    button type="submit" { (tr!("查看完整身份证号和电话（会记录）")) }
                }
            }
        }
        section {
            h2 { (tr!("材料")) }
            ul { @for m in &c.materials { li { (m.name) " " @if m.received { (tr!("已收")) } @else { b { (tr!("缺")) } } } } }
            @if !docs.is_empty() {
                h3 { (tr!("服务站打印的单据")) }
                ul.docs {
                    @for d in &docs {
                        li {
                            @if d.size.is_some() {
                                form.inline method="post" action={ (base) "/doc/" (d.kind) } target="_blank" {
                                    (csrf(&staff.sess))
                                    button type="submit" { (tr!("查看{}（PDF，会记录）", d.title)) }
                                }
                            } @else {
                                (d.title) " " (tr!("（文件太大，没有随件上传：请看纸质件）"))
                            }
                        }
                    }
                }
            }
        }
        @if !moves.is_empty() && c.conflict.is_none() {
            section {
                h2 { (tr!("登记办理进度")) }
                @for m in &moves {
                    form.move method="post" action={ (base) "/advance" } {
                        (csrf(&staff.sess))
                        input type="hidden" name="to" value=(m.key());
                        @if let Some(what) = m.needs_note() {
                            label { (crate::lang::tr(what)) " " input type="text" name="note" required maxlength="500"; }
                        }
                        button type="submit" { (crate::lang::tr(m.action_label())) }
                    }
                }
            }
        }
        section {
            h2 { (tr!("办理经过")) }
            table.cases {
                thead { tr { th { (tr!("时间")) } th { (tr!("哪一方")) } th { (tr!("步骤")) } th { (tr!("工号")) } th { (tr!("说明")) } } }
                tbody {
                    @for (st, when) in steps.iter().zip(&at) {
                        tr {
                            td { (when) }
                            td { @if st.origin == "town" { (tr!("镇中心")) @if !st.sent { " " (tr!("（待送到服务站）")) } } @else { (tr!("服务站")) } }
                            td { (step_label(st)) }
                            td { (st.staff.as_deref().unwrap_or("")) }
                            td { (st.note.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
        p { a href="/cases" { (tr!("回到代办件列表")) } }
    };
    let title = format!("{} {}", c.tracking, c.matter_name);
    Ok(page(s, staff, "/cases", &title, inner, StatusCode::OK).await)
}

async fn case(
    State(s): State<TownState>,
    staff: Staff,
    Path((station, tracking)): Path<(String, String)>,
) -> Result<Response, PageError> {
    case_page(&s, &staff, station, tracking, None).await
}

/// A paper the station sent with the case, as a PDF for the browser to show; the look is
/// in the town's audit trail (a POST: it is recorded).
async fn case_doc(
    State(s): State<TownState>,
    staff: Staff,
    Path((station, tracking, kind)): Path<(String, String, String)>,
    Checked(_): Checked<Nothing>,
) -> Result<Response, PageError> {
    let who = staff.sess.who.clone();
    let here = format!("/cases/{station}/{tracking}");
    match s.call(move |o| o.case_doc(&who, &station, &tracking, &kind)).await? {
        Ok(doc) => {
            let mut r = typed(StatusCode::OK, "application/pdf", doc.pdf);
            r.headers_mut().insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(r)
        }
        Err(w) => Ok(staff.back(&s, &here, Err(w))),
    }
}

async fn reveal(
    State(s): State<TownState>,
    staff: Staff,
    Path((station, tracking)): Path<(String, String)>,
    Checked(_): Checked<Nothing>,
) -> Result<Response, PageError> {
    let who = staff.sess.who.clone();
    let (st, tr_) = (station.clone(), tracking.clone());
    match s.call(move |o| o.reveal_case(&who, &st, &tr_)).await? {
        Ok(full) => case_page(&s, &staff, station, tracking, Some(full)).await,
        Err(w) => Ok(staff.back(&s, "/cases", Err(w))),
    }
}

#[derive(serde::Deserialize)]
struct Step {
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
}

async fn advance(
    State(s): State<TownState>,
    staff: Staff,
    Path((station, tracking)): Path<(String, String)>,
    Checked(f): Checked<Step>,
) -> Result<Response, PageError> {
    let here = format!("/cases/{station}/{tracking}");
    let Some(to) = CaseState::from_key(&f.to) else {
        return Err(PageError::Refused(StatusCode::BAD_REQUEST, tr!("没有这一步。").into()));
    };
    let who = staff.sess.who.clone();
    let outcome = s
        .call(move |o| o.advance_case(&who, &station, &tracking, to, &f.note))
        .await?
        .map(|c| tr!("已登记“{}”，会送到{}", crate::lang::tr(c.state.label()), c.station_name));
    Ok(staff.back(&s, &here, outcome))
}

async fn settle(
    State(s): State<TownState>,
    staff: Staff,
    Path((station, tracking)): Path<(String, String)>,
    Checked(f): Checked<Step>,
) -> Result<Response, PageError> {
    let here = format!("/cases/{station}/{tracking}");
    let who = staff.sess.who.clone();
    let outcome = s
        .call(move |o| o.settle_case(&who, &station, &tracking, &f.note))
        .await?
        .map(|_| tr!("冲突已处理，会告诉服务站").to_string());
    Ok(staff.back(&s, &here, outcome))
}

#[derive(serde::Deserialize)]
struct Scan {
    #[serde(default)]
    code: String,
}

/// A 交接单's QR code read by a USB scanner (it types the code and Enter): 已接收.
async fn scan(State(s): State<TownState>, staff: Staff, Checked(f): Checked<Scan>) -> Result<Response, PageError> {
    let who = staff.sess.who.clone();
    let outcome = s
        .call(move |o| {
            let (station, tracking) = o.case_key(&f.code)?;
            o.advance_case(&who, &station, &tracking, CaseState::Received, "")
        })
        .await?
        .map(|c| tr!("{} {} 已接收", c.key(), c.matter_name));
    Ok(staff.back(&s, "/cases", outcome))
}
