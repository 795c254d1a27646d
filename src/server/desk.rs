//! The desk (`/desk`): staff call tickets from the window PC's browser. Sign-in with
//! staff number and PIN (the same hashes and lockout as everywhere), a server-side
//! session, the window chosen once, and every change a form carrying the session's CSRF
//! token and the window its page shows. The panel keeps itself current over a live
//! stream (no F5). Who may do what is in each handler's signature (see `access`).

use super::access::{lenient, Checked, Desk, PageError, Posted, Watching};
use super::chrome::{csrf, desk_page, logout_form, plain, sections};
use super::session::{Session, COOKIE};
use super::state::AppState;
use super::stream::{follow, Next};
use crate::domain::calling::{allowed, CallAction, PauseReason, TicketStatus, OUT_OF_TURN_REASONS};
use crate::service::{CallError, Called, DeskView, Station, TransferTo, Unstarted};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use std::net::SocketAddr;
use std::time::Duration;

/// The sign-in page (with why, when there is something to say).
pub(super) fn login_page(s: &AppState, message: Option<&str>, status: StatusCode) -> Response {
    login_form(s, message, status, "")
}

/// The sign-in page; after a failed sign-in the staff number typed stays in its field.
fn login_form(s: &AppState, message: Option<&str>, status: StatusCode, staff: &str) -> Response {
    let staff = crate::domain::text::capped(staff, 16);
    desk_page(
        s,
        tr!("登录"),
        html! {
            main.desk.login {
                h1 { (s.cfg().station.name) }
                h2 { (tr!("窗口叫号 · 工作人员登录")) }
                @if let Some(m) = message { p.error role="alert" { (m) } }
                form method="post" action="/desk/login" autocomplete="off" {
                    label { (tr!("工号 ")) input name="staff" inputmode="numeric" required maxlength="16" value=(staff) autofocus[staff.is_empty()]; }
                    label { (tr!("密码 ")) input name="pin" type="password" inputmode="numeric" required maxlength="20" autofocus[!staff.is_empty()]; }
                    button.primary type="submit" { (tr!("登录")) }
                }
                p.hint { (tr!("连续输错5次密码，账号会锁定5分钟。15分钟不操作会自动退出。")) }
            }
        },
        status,
        false,
    )
}

/// The CSRF token and the window the page shows: every calling button carries both, and
/// a button pressed on a page of another window than the session now holds (a second tab
/// that changed window) is refused instead of acting on the other window.
fn window_fields(sess: &Session, window: u32) -> Markup {
    html! { (csrf(sess)) input type="hidden" name="window" value=(window); }
}

fn window_page(s: &AppState, sess: &Session) -> Response {
    desk_page(
        s,
        tr!("选择窗口"),
        html! {
            main.desk {
                header.bar {
                    span.station { (s.cfg().station.name) }
                    (sections(sess, "/desk"))
                    span { (sess.who.no()) " " (sess.who.name()) }
                    (logout_form(sess))
                }
                h1 { (tr!("请选择您所在的窗口")) }
                div.windows-choice {
                    @for w in &s.cfg().station.windows {
                        form method="post" action="/desk/window" {
                            (csrf(sess))
                            input type="hidden" name="window" value=(w.number);
                            button.window-choice type="submit" { (w.name) }
                        }
                    }
                }
                p.hint { (tr!("只办代办、不叫号：直接点上面的“全程代办”。")) }
            }
        },
        StatusCode::OK,
        false,
    )
}

/// One button of the desk: a form of its own, posting `action` with `fields`.
fn button(fields: &Markup, action: &str, label: &str, extra: &[(&str, &str)], class: &str) -> Markup {
    html! {
        form.inline method="post" action="/desk/act" {
            (fields)
            input type="hidden" name="action" value=(action);
            @for (k, v) in extra { input type="hidden" name=(k) value=(v); }
            button type="submit" class=(class) { (label) }
        }
    }
}

/// The part of the desk that changes: the current ticket and its buttons, the queue
/// counts, 过号, calls for help, unprinted receipts, today's 差评.
fn panel(v: &DeskView, sess: &Session) -> Markup {
    let fields = window_fields(sess, v.window);
    let list = |title: &str, items: Vec<Markup>, empty: &str| {
        html! {
            section {
                h2 { (title) }
                ul.list {
                    @if items.is_empty() { li.empty { (empty) } }
                    @for i in items { (i) }
                }
            }
        }
    };
    let no_shows: Vec<Markup> = v
        .no_shows
        .iter()
        .map(|t| {
            html! {
                li {
                    b { (t.number) } " " (t.matter_name) (tr!(" （{}号窗口过号）", t.window.unwrap_or(0)))
                    @if t.callbacks < v.limits.max_callbacks {
                        (button(&fields, "callback", tr!("回呼"), &[("number", &t.number)], ""))
                    } @else {
                        span.muted { (tr!("已回呼过")) }
                    }
                }
            }
        })
        .collect();
    let help: Vec<Markup> = v
        .help
        .iter()
        .map(|x| {
            let id = x.id.to_string();
            html! { li { (tr!("{} 自助终端“{}”页面有人呼叫 ", x.time, x.screen)) (button(&fields, "help", tr!("已处理"), &[("id", &id)], "")) } }
        })
        .collect();
    let unprinted: Vec<Markup> = v
        .unprinted
        .iter()
        .map(|u| {
            let job = u.job.to_string();
            html! {
                li {
                    (u.time) " " (u.what) " " small { (u.error) } " "
                    @if v.printer { (button(&fields, "reprint", tr!("重新打印"), &[("job", &job)], "")) }
                }
            }
        })
        .collect();
    let bad: Vec<Markup> = v
        .bad_ratings
        .iter()
        .map(|b| html! { li { (b.time) " " (b.what) " " b { (b.level) } " " (b.reason) " " a href="/desk/followups" { (tr!("去跟进")) } } })
        .collect();
    html! {
        @if let Some((err, text)) = sess.message() {
            p class=(if err { "error" } else { "ok" }) role="status" { (text) }
        }
        @for n in v.closed_notice.iter().chain(&v.holidays_notice) { p.notice { (crate::lang::sentence(n)) } }
        @if let Some(r) = v.paused { p.notice { (tr!("本窗口已暂停叫号（{}）。", crate::lang::tr(r.label()))) } }
        section.current {
            @match &v.current {
                Some(t) => {
                    div.now {
                        span.label { (tr!("当前")) }
                        span.number #current-number { (t.number) }
                        span.matter { (t.matter_name) }
                        span.status {
                            @if t.status == TicketStatus::Called {
                                (tr!("已叫号（已重呼 {}/{} 次）", t.recalls, v.limits.max_recalls))
                            } @else { (crate::lang::tr(t.status.label())) }
                        }
                        @if t.priority { span.badge { (tr!("优先")) } }
                    }
                    div.actions {
                        @for a in allowed(t.status) {
                            @match a {
                                CallAction::Recall => (button(&fields, "recall", &tr!("重呼（{}/{}）", t.recalls, v.limits.max_recalls), &[("number", &t.number)], "big")),
                                CallAction::NoShow => (button(&fields, "no-show", tr!("过号"), &[("number", &t.number)], "big")),
                                CallAction::Start => (button(&fields, "start", tr!("开始办理"), &[("number", &t.number)], "big")),
                                CallAction::Finish => (button(&fields, "finish", tr!("办结"), &[("number", &t.number)], "big")),
                                _ => {},
                            }
                        }
                        @if v.windows.iter().any(|(n, _)| *n != v.window) {
                            form.inline.transfer method="post" action="/desk/act" {
                                (fields)
                                input type="hidden" name="action" value="transfer-window";
                                input type="hidden" name="number" value=(t.number);
                                select name="to_window" aria-label=(tr!("转到哪个窗口")) {
                                    @for (n, name) in v.windows.iter().filter(|(n, _)| *n != v.window) { option value=(n) { (name) } }
                                }
                                button type="submit" { (tr!("转窗口")) }
                            }
                        }
                        form.inline.transfer method="post" action="/desk/act" {
                            (fields)
                            input type="hidden" name="action" value="transfer-category";
                            input type="hidden" name="number" value=(t.number);
                            select name="to_category" aria-label=(tr!("转到哪个类别")) {
                                @for (c, name) in v.categories.iter().filter(|(c, _)| *c != t.category) { option value=(c) { (c) " " (name) } }
                            }
                            button type="submit" { (tr!("转类别")) }
                        }
                    }
                },
                None => div.now.empty { (tr!("本窗口现在没有在办的号")) },
            }
            div.next {
                @if v.paused.is_some() {
                    button.primary.huge disabled { (tr!("已暂停")) }
                } @else {
                    (button(&fields, "next", tr!("叫下一位"), &[], "primary huge"))
                }
                span.waiting-mine { (tr!("本窗口可叫 ")) b #waiting-mine { (v.mine) } (tr!(" 人")) }
                small.rule { (tr!("叫号顺序：")) (v.priority_rule) }
            }
        }
        (queue(v, &fields))
        section {
            h2 { (tr!("各类等候")) }
            ul.counts {
                @if v.waiting.is_empty() { li { (tr!("现在没有人等候")) } }
                @for (w, mine) in &v.waiting {
                    li class=(if *mine { "mine" } else { "other" }) { (w.category) " " (w.name) " " b { (w.count) } (tr!(" 人")) }
                }
            }
        }
        (list(tr!("今日过号"), no_shows, tr!("没有过号")))
        (list(tr!("呼叫工作人员"), help, tr!("没有呼叫")))
        @if v.printer {
            (list(tr!("未打印的回执"), unprinted, tr!("今天的回执都已打印")))
        } @else {
            (list(tr!("今天的回执（没有设置打印机：只保存在电脑里，没有打印）"), unprinted, tr!("今天还没有回执")))
        }
        (list(tr!("今日差评（请跟进整改）"), bad, tr!("没有差评")))
    }
}

/// The waiting tickets this window may call, in the order 叫下一位 would call them, each
/// with 选叫 (out of turn, with a reason from the list or typed).
fn queue(v: &DeskView, fields: &Markup) -> Markup {
    const SHOWN: usize = 30;
    html! {
        section.queue {
            h2 { (tr!("本窗口等候队列（按叫号顺序）")) }
            datalist #pick-reasons {
                @for r in OUT_OF_TURN_REASONS { option value=(crate::lang::tr(r)) {} }
            }
            ul.list {
                @if v.queue.is_empty() { li.empty { (tr!("没有人等候本窗口")) } }
                @for t in v.queue.iter().take(SHOWN) {
                    li {
                        b { (t.number) } " " (t.matter_name)
                        @if t.priority { " " span.badge { (tr!("优先")) } }
                        @if v.paused.is_none() {
                            form.inline.pick method="post" action="/desk/act" {
                                (fields)
                                input type="hidden" name="action" value="pick";
                                input type="hidden" name="number" value=(t.number);
                                input name="reason" list="pick-reasons" required maxlength="40"
                                    placeholder=(tr!("选叫原因")) aria-label=(tr!("为什么先叫 {}", t.number));
                                button type="submit" { (tr!("选叫")) }
                            }
                        }
                    }
                }
                @if v.queue.len() > SHOWN { li.empty { (tr!("还有 {} 人", v.queue.len() - SHOWN)) } }
            }
        }
    }
}

/// 叫下一位 (or 回呼) over a ticket the window called and never started: what became of
/// it? Asked above the live panel, so a change in the queue does not take it away; the
/// answer carries the number asked about, and is refused if the window has moved on.
fn unstarted_question(fields: &Markup, ask: &Ask) -> Markup {
    let (action, verb) = match &ask.then {
        Some(Then::Callback(n)) => ("callback", tr!("回呼 {}", n)),
        Some(Then::Pick(n, _)) => ("pick", tr!("选叫 {}", n)),
        None => ("next", tr!("叫下一位").to_string()),
    };
    let with = |prev: &'static str| -> Vec<(&str, &str)> {
        let mut f: Vec<(&str, &str)> = vec![("prev", prev), ("prev_number", &ask.number)];
        match &ask.then {
            Some(Then::Callback(n)) => f.push(("number", n)),
            Some(Then::Pick(n, reason)) => {
                f.push(("number", n));
                f.push(("reason", reason));
            }
            None => {}
        }
        f
    };
    html! {
        section.question role="alertdialog" aria-labelledby="question-title" {
            h2 #question-title { (ask.number) (tr!(" 还没有开始办理：按过号，还是已经办完？")) }
            p { (tr!("过号的号可以在“今日过号”里回呼；已经办完的算作已办结。")) }
            div.actions {
                (button(fields, action, &tr!("{} 没来，按过号，{}", ask.number, verb), &with("no-show"), "big"))
                (button(fields, action, &tr!("{} 已经办完，{}", ask.number, verb), &with("finish"), "big"))
                a.button href="/desk" { (tr!("取消")) }
            }
        }
    }
}

/// What the desk asks about after 叫下一位 (`?ask=C003`; `&callback=C001` for 回呼,
/// `&pick=C005&reason=…` for 选叫).
#[derive(Debug, Default, serde::Deserialize)]
pub struct AskQuery {
    ask: Option<String>,
    callback: Option<String>,
    pick: Option<String>,
    reason: Option<String>,
}

/// The call waiting on the answer.
#[derive(Debug, Clone)]
enum Then {
    Callback(String),
    Pick(String, String),
}

#[derive(Debug)]
struct Ask {
    number: String,
    then: Option<Then>,
}

/// A ticket number as the desk passes it around (letters and digits, short).
fn ticket_number(s: &str) -> Option<String> {
    let n = s.trim().to_uppercase();
    (!n.is_empty() && n.len() <= 8 && n.chars().all(|c| c.is_ascii_alphanumeric())).then_some(n)
}

fn calling_page(s: &AppState, sess: &Session, v: &DeskView, ask: Option<&Ask>) -> Response {
    let fields = window_fields(sess, v.window);
    desk_page(
        s,
        tr!("窗口叫号"),
        html! {
            main.desk {
                header.bar {
                    span.station { (s.cfg().station.name) }
                    (sections(sess, "/desk"))
                    span.who { (sess.who.no()) " " (sess.who.name()) " · " b { (v.window_name) } }
                    @if v.paused.is_some() {
                        (button(&fields, "resume", tr!("恢复叫号"), &[], ""))
                    } @else {
                        form.inline.pause method="post" action="/desk/act" {
                            (fields)
                            input type="hidden" name="action" value="pause";
                            select name="reason" aria-label=(tr!("暂停的原因")) {
                                @for r in PauseReason::ALL { option value=(r.key()) { (crate::lang::tr(r.label())) } }
                            }
                            button type="submit" { (tr!("暂停叫号")) }
                        }
                    }
                    form.inline method="post" action="/desk/window" {
                        (csrf(sess)) input type="hidden" name="window" value="0";
                        button type="submit" { (tr!("换窗口")) }
                    }
                    (logout_form(sess))
                }
                h1.visually-hidden { (tr!("窗口叫号 · ")) (v.window_name) }
                @if let Some(a) = ask { (unstarted_question(&fields, a)) }
                div #panel data-src={ "/desk/live?window=" (v.window) } { (panel(v, sess)) }
                div #offline .offline hidden { (tr!("连接中断，正在重新连接……")) }
            }
        },
        StatusCode::OK,
        true,
    )
}

pub async fn page(State(s): State<AppState>, desk: Desk, Query(q): Query<AskQuery>) -> Result<Response, PageError> {
    let sess = desk.sess;
    let ask = q.ask.as_deref().and_then(ticket_number).map(|number| {
        let then = match (q.callback.as_deref().and_then(ticket_number), q.pick.as_deref().and_then(ticket_number)) {
            (Some(c), _) => Some(Then::Callback(c)),
            (None, Some(p)) => Some(Then::Pick(p, q.reason.clone().unwrap_or_default())),
            (None, None) => None,
        };
        Ask { number, then }
    });
    let Some(w) = sess.window else { return Ok(window_page(&s, &sess)) };
    let v = s.with_station(move |st| st.desk_view(w)).await?.map_err(|e| PageError::Fault(e.to_string()))?;
    Ok(calling_page(&s, &sess, &v, ask.as_ref()))
}

fn see_desk() -> Response {
    Redirect::to("/desk").into_response()
}

/// The sign-in form.
#[derive(Debug, serde::Deserialize)]
pub struct SignIn {
    #[serde(default)]
    staff: String,
    #[serde(default)]
    pin: String,
}

pub async fn login(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    https: Option<axum::Extension<super::tls::Https>>,
    Posted(f): Posted<SignIn>,
) -> Result<Response, PageError> {
    let (no, pin) = (f.staff, f.pin);
    let typed = no.trim().to_string();
    if no.trim().is_empty() || pin.trim().is_empty() {
        return Ok(login_form(&s, Some(tr!("请填写工号和密码。")), StatusCode::BAD_REQUEST, &typed));
    }
    // An address that failed too often waits, and counts towards an account's lock only
    // a few times: one device cannot lock the station head out (see guard.rs).
    let admitted = match s.throttle().admit(peer.ip()) {
        Ok(a) => a,
        Err(minutes) => {
            let why = tr!("这台电脑登录失败的次数太多了，请{}分钟后再试。忘了密码请找站长重设。", minutes);
            return Ok(login_form(&s, Some(&why), StatusCode::TOO_MANY_REQUESTS, &typed));
        }
    };
    let origin = peer.ip().to_string();
    let attempt = move |st: &mut Station| {
        let r = match admitted {
            super::guard::Admitted::Counted => st.sign_in(no.trim(), pin.trim()),
            super::guard::Admitted::Uncounted => st.sign_in_uncounted(no.trim(), pin.trim()),
        };
        let r = r.map(|w| w.from_pc(&origin));
        // Who signed in (or tried to) from which PC goes into the audit trail.
        let noted = match &r {
            Ok(who) => st.note_sign_in(who),
            Err(_) => st.note_failed_sign_in(&no, &origin),
        };
        if let Err(e) = noted {
            tracing::warn!("audit of a sign-in not written: {e}");
        }
        r
    };
    match s.call(attempt).await? {
        Ok(who) => {
            s.throttle().succeeded(peer.ip(), admitted);
            let Some(id) = s.sessions().start(who) else {
                return Err(PageError::Fault("no randomness for a session id".into()));
            };
            // Secure over HTTPS: the browser never sends it back in clear.
            let secure = super::tls::secure_suffix(https.is_some());
            Ok(with_cookie(see_desk(), &format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{secure}")))
        }
        Err(words) => Ok(login_form(&s, Some(&words), StatusCode::UNAUTHORIZED, &typed)),
    }
}

fn with_cookie(mut r: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// A form whose only field is the CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct Nothing {}

pub async fn logout(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    https: Option<axum::Extension<super::tls::Https>>,
    desk: Desk,
    Checked(_): Checked<Nothing>,
) -> Response {
    s.sessions().end(&desk.id);
    let origin = peer.ip().to_string();
    let who = desk.sess.who.clone();
    // The session has ended whatever the store says: an audit line that cannot be written
    // is logged (as at the sign-in) and does not keep anyone signed in.
    let noted = s.call(move |st| st.note_sign_out(&who, Some(&origin))).await;
    if !matches!(noted, Ok(Ok(()))) {
        tracing::warn!("audit of a sign-out not written: {noted:?}");
    }
    let secure = super::tls::secure_suffix(https.is_some());
    with_cookie(see_desk(), &format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"))
}

/// The window chosen (0: choose again).
#[derive(Debug, serde::Deserialize)]
pub struct WindowChoice {
    #[serde(default, deserialize_with = "lenient::number")]
    window: Option<u32>,
}

pub async fn choose_window(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    desk: Desk,
    Checked(f): Checked<WindowChoice>,
) -> Result<Response, PageError> {
    let Some(window) = f.window else { return Ok(super::chrome::bad_request(tr!("请选择窗口。"))) };
    if window == 0 {
        s.sessions().set_window(&desk.id, None);
        return Ok(see_desk());
    }
    let who = desk.sess.who.clone();
    // Which PC took the window goes into the audit trail.
    let origin = peer.ip().to_string();
    match s.call(move |st| st.take_window(&who, window, Some(&origin))).await? {
        Ok(()) => {
            s.sessions().set_window(&desk.id, Some(window));
            Ok(see_desk())
        }
        Err(words) => Err(PageError::Refused(StatusCode::BAD_REQUEST, words)),
    }
}

/// The desk's buttons.
#[derive(Debug, serde::Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Button {
    Next,
    Recall {
        number: String,
    },
    NoShow {
        number: String,
    },
    Callback {
        number: String,
    },
    Start {
        number: String,
    },
    Finish {
        number: String,
    },
    TransferWindow {
        number: String,
        #[serde(default, deserialize_with = "lenient::number")]
        to_window: Option<u32>,
    },
    TransferCategory {
        number: String,
        #[serde(default)]
        to_category: Option<String>,
    },
    Pause {
        #[serde(default)]
        reason: Option<String>,
    },
    Resume,
    /// 选叫: a waiting ticket out of turn, with the reason.
    Pick {
        number: String,
        #[serde(default)]
        reason: Option<String>,
    },
    Help {
        #[serde(default, deserialize_with = "lenient::number")]
        id: Option<i64>,
    },
    Reprint {
        #[serde(default, deserialize_with = "lenient::number")]
        job: Option<i64>,
    },
}

/// A press of a desk button: the window its page showed, what staff said of a ticket
/// called and never started (the question's answer), and the button.
#[derive(Debug, serde::Deserialize)]
pub struct Press {
    #[serde(default, deserialize_with = "lenient::number")]
    window: Option<u32>,
    #[serde(default)]
    prev: Option<String>,
    #[serde(default)]
    prev_number: Option<String>,
    #[serde(flatten)]
    button: Button,
}

/// The outcome of a desk button, in words for the flash line.
enum Done {
    Ok(String),
    Refused(String),
    /// A ticket called and never started is in the way: ask staff what became of it.
    Ask(String),
}

fn called(r: Result<Called, CallError>, what: &str) -> Result<Done, String> {
    use crate::service::{Explain, Failure};
    match r {
        Ok(c) => {
            let before: Vec<String> = c
                .no_shows
                .iter()
                .map(|t| tr!("{} 已按过号；", t.number))
                .chain(c.finished.iter().map(|t| tr!("{} 已办结；", t.number)))
                .collect();
            Ok(Done::Ok(format!("{}{} {what}", before.concat(), c.ticket.number)))
        }
        Err(CallError::NoneWaiting) => Ok(Done::Refused(tr!("现在没有人等候本窗口").into())),
        Err(CallError::Unstarted(n)) => Ok(Done::Ask(n)),
        Err(e) => match e.explain() {
            Failure::Refused(words) => Ok(Done::Refused(crate::lang::sentence(&words))),
            Failure::Fault(detail) => Err(detail),
        },
    }
}

fn done<E: crate::service::Explain>(r: Result<String, E>) -> Result<Done, String> {
    use crate::service::Failure;
    match r {
        Ok(text) => Ok(Done::Ok(text)),
        Err(e) => match e.explain() {
            Failure::Refused(words) => Ok(Done::Refused(crate::lang::sentence(&words))),
            Failure::Fault(detail) => Err(detail),
        },
    }
}

pub async fn act(State(s): State<AppState>, desk: Desk, Checked(press): Checked<Press>) -> Result<Response, PageError> {
    let Some(window) = desk.sess.window else { return Ok(see_desk()) };
    // The window the page showed: a tab left on another window acts on nothing.
    if press.window != Some(window) {
        desk.flash(&s, true, tr!("本页面已过期，请刷新：您现在在{}号窗口，没有办理刚才的操作。", window));
        return Ok(see_desk());
    }
    // What staff said of a ticket called and never started (the desk's question).
    let seen = press.prev_number.as_deref().and_then(ticket_number);
    let unstarted = match press.prev.as_deref() {
        Some("no-show") => Unstarted::NoShow(seen),
        Some("finish") => Unstarted::Finish(seen),
        _ => Unstarted::Ask,
    };
    let who = desk.sess.who.clone();
    // What to do once staff have said what became of a ticket called and never started.
    let then = match &press.button {
        Button::Callback { number } => ticket_number(number).map(Then::Callback),
        Button::Pick { number, reason } => {
            ticket_number(number).map(|n| Then::Pick(n, reason.clone().unwrap_or_default()))
        }
        _ => None,
    };
    let outcome = s
        .with_station(move |st| {
            let act = |st: &mut Station, n: &str, a: CallAction| st.call_action(&who, window, n, a);
            match press.button {
                Button::Next => called(st.call_next_then(&who, window, &unstarted), tr!("请到本窗口")),
                Button::Recall { number } => called(act(st, &number, CallAction::Recall), tr!("已重呼")),
                Button::NoShow { number } => called(act(st, &number, CallAction::NoShow), tr!("已过号")),
                Button::Callback { number } => {
                    called(st.call_back_then(&who, window, &number, &unstarted), tr!("已回呼"))
                }
                Button::Start { number } => called(act(st, &number, CallAction::Start), tr!("开始办理")),
                Button::Finish { number } => called(act(st, &number, CallAction::Finish), tr!("已办结，请村民评价")),
                Button::TransferWindow { number, to_window: Some(to) } => {
                    called(st.transfer(&who, window, &number, TransferTo::Window(to)), tr!("已转窗口"))
                }
                Button::TransferWindow { .. } => Ok(Done::Refused(tr!("请选择要转到的窗口").into())),
                Button::TransferCategory { number, to_category: Some(c) } if !c.trim().is_empty() => called(
                    st.transfer(&who, window, &number, TransferTo::Category(c.trim().to_uppercase())),
                    tr!("已转类别"),
                ),
                Button::TransferCategory { .. } => Ok(Done::Refused(tr!("请选择要转到的类别").into())),
                Button::Pause { reason } => match reason.as_deref().and_then(PauseReason::from_key) {
                    Some(r) => done(
                        st.set_window_paused(&who, window, Some(r))
                            .map(|_| tr!("已暂停叫号（{}）", crate::lang::tr(r.label()))),
                    ),
                    None => Ok(Done::Refused(tr!("请选择暂停的原因").into())),
                },
                Button::Resume => done(st.set_window_paused(&who, window, None).map(|_| tr!("已恢复叫号").to_string())),
                Button::Pick { number, reason } => called(
                    st.call_chosen(&who, window, &number, reason.as_deref().unwrap_or(""), &unstarted),
                    tr!("请到本窗口（选叫）"),
                ),
                Button::Help { id: Some(hid) } => match st.answer_help(&who, hid) {
                    Ok(true) => Ok(Done::Ok(tr!("已处理呼叫").into())),
                    Ok(false) => Ok(Done::Refused(tr!("这个呼叫已经有人处理了").into())),
                    Err(e) => done::<crate::service::DeskError>(Err(e)),
                },
                Button::Help { id: None } => Ok(Done::Refused(tr!("没有这个呼叫").into())),
                Button::Reprint { job: Some(job) } => {
                    done(st.reprint(&who, job).map(|_| tr!("已重新打印").to_string()))
                }
                Button::Reprint { job: None } => Ok(Done::Refused(tr!("没有这张回执").into())),
            }
        })
        .await?;
    match outcome.map_err(PageError::Fault)? {
        Done::Ok(text) => desk.flash(&s, false, text),
        Done::Refused(text) => desk.flash(&s, true, text),
        Done::Ask(n) => {
            let then = match then {
                Some(Then::Callback(c)) => format!("&callback={c}"),
                Some(Then::Pick(p, reason)) => {
                    let q = serde_urlencoded::to_string([("pick", p.as_str()), ("reason", reason.as_str())])
                        .unwrap_or_default();
                    format!("&{q}")
                }
                None => String::new(),
            };
            return Ok(Redirect::to(&format!("/desk?ask={n}{then}")).into_response());
        }
    }
    Ok(see_desk())
}

/// The window a live panel shows.
#[derive(Debug, Default, serde::Deserialize)]
pub struct LiveQuery {
    #[serde(default, deserialize_with = "lenient::number")]
    window: Option<u32>,
}

/// The desk's live stream: the panel's HTML on connect and whenever anything changes;
/// it also looks every 10 s (a button's outcome fades, an idle session ends, a disabled
/// account signs out).
pub async fn live(State(s): State<AppState>, watching: Watching, Query(q): Query<LiveQuery>) -> Response {
    let Some(window) = watching.sess.window else {
        return plain(StatusCode::CONFLICT, tr!("请先选择窗口"), tr!("请回到 /desk 选择窗口。"));
    };
    // The window the page shows (older pages did not say: the session's).
    let shown = q.window.unwrap_or(window);
    let (state, id) = (s.clone(), watching.id);
    follow(
        s,
        Some(Duration::from_secs(10)),
        Box::new(move |_| {
            let (s, id) = (state.clone(), id.clone());
            Box::pin(async move {
                // The session as it is now, without touching it: watching is not doing.
                let Some(sess) = s.sessions().peek(&id) else {
                    return Next::End(Some(Event::default().event("signed-out").data("1")));
                };
                if sess.window != Some(shown) {
                    // Another tab of this sign-in changed window: this page is stale.
                    return Next::End(Some(Event::default().event("reload").data("1")));
                }
                // A stream answers with events, not pages, so the account is looked at
                // here rather than through PageError: each outcome is what the stream does.
                let who = sess.who.no().to_string();
                match s.call(move |st| st.staff_member(&who)).await {
                    Ok(Ok(Some(m))) if m.active => {}
                    // A disabled account's desk stops at once, not at its next click.
                    Ok(Ok(_)) => {
                        s.sessions().end(&id);
                        return Next::End(Some(Event::default().event("signed-out").data("1")));
                    }
                    // A fault (a locked store): this stream ends, the browser reconnects, and
                    // the staff member stays signed in; a busy store signs nobody out.
                    fault => {
                        tracing::warn!("the desk's stream could not read the account: {fault:?}");
                        return Next::End(None);
                    }
                }
                match s.with_station(move |st| st.desk_view(shown)).await {
                    Ok(Ok(view)) => {
                        let html = panel(&view, &sess).into_string();
                        Next::Send { key: html.clone(), event: Event::default().event("panel").data(html) }
                    }
                    _ => Next::End(None),
                }
            })
        }),
    )
}
