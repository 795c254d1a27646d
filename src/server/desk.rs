//! The desk (`/desk`): staff call tickets from the window PC's browser. Sign-in with
//! staff number and PIN (the same hashes and lockout as everywhere), a server-side
//! session, the window chosen once, and every change a form carrying the session's CSRF
//! token. The panel keeps itself current over a live stream (no F5).

use super::html::{esc, plain, Page};
use super::public::{form, unavailable};
use super::session::{cookie_id, same, Lookup, Session, COOKIE};
use super::state::AppState;
use super::stream::{follow, Next};
use crate::domain::calling::{allowed, CallAction, TicketStatus};
use crate::service::{CallError, DeskView, TransferTo, Unstarted};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

pub(super) fn session_of(s: &AppState, headers: &HeaderMap) -> (Option<String>, Lookup) {
    let id = cookie_id(headers.get(header::COOKIE).and_then(|v| v.to_str().ok()));
    let lookup = id.as_deref().map(|i| s.sessions().get(i)).unwrap_or(Lookup::Unknown);
    (id, lookup)
}

/// The signed-in staff member of this request, checked against the store: the session of
/// a disabled account ends here, and `need_admin` looks at the role as it is now.
pub(super) async fn signed_in(s: &AppState, headers: &HeaderMap, need_admin: bool) -> Result<Session, Response> {
    let (id, lookup) = session_of(s, headers);
    let sess = match lookup {
        Lookup::Active(x) => x,
        Lookup::Expired => {
            return Err(login_page(s, Some("已经15分钟没有操作，为了安全已自动退出，请重新登录。"), StatusCode::OK))
        }
        Lookup::Unknown => return Err(login_page(s, None, StatusCode::OK)),
    };
    let no = sess.who.no().to_string();
    match s.with_station(move |st| st.staff_member(&no)).await {
        Ok(Ok(Some(m))) if m.active => {
            if need_admin && m.role != "admin" {
                Err(plain(
                    StatusCode::FORBIDDEN,
                    "需要站长权限",
                    "站务管理只有站长（管理员）可以使用。请用站长的工号登录。",
                ))
            } else {
                Ok(sess)
            }
        }
        Ok(Ok(_)) => {
            if let Some(id) = id {
                s.sessions().end(&id);
            }
            Err(login_page(s, Some("这个账号已停用，不能再使用。请找站长。"), StatusCode::FORBIDDEN))
        }
        Ok(Err(e)) => Err(unavailable(&e.to_string())),
        Err(e) => Err(unavailable(&e.0)),
    }
}

pub(super) fn shell(s: &AppState, title: &str, body: String, status: StatusCode, live: bool) -> Response {
    let st = &s.cfg().station;
    Page {
        title: &format!("{title} · {}", st.name),
        class: "deskpage",
        body,
        script: live.then_some("desk.js"),
        noscript_refresh: live.then_some(10),
        refresh_to: None,
    }
    .response(status)
}

pub(super) fn login_page(s: &AppState, message: Option<&str>, status: StatusCode) -> Response {
    login_form(s, message, status, "")
}

/// The sign-in page; after a failed sign-in the staff number typed stays in its field.
fn login_form(s: &AppState, message: Option<&str>, status: StatusCode, staff: &str) -> Response {
    let msg = message.map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(m))).unwrap_or_default();
    let body = format!(
        "<main class=\"desk login\"><h1>{}</h1><h2>窗口叫号 · 工作人员登录</h2>{msg}\
         <form method=\"post\" action=\"/desk/login\" autocomplete=\"off\">\
         <label>工号 <input name=\"staff\" inputmode=\"numeric\" required maxlength=\"16\" value=\"{}\"{}></label>\
         <label>密码 <input name=\"pin\" type=\"password\" inputmode=\"numeric\" required maxlength=\"20\"{}></label>\
         <button class=\"primary\" type=\"submit\">登录</button></form>\
         <p class=\"hint\">连续输错5次密码，账号会锁定5分钟。15分钟不操作会自动退出。</p></main>",
        esc(&s.cfg().station.name),
        esc(&crate::domain::text::capped(staff, 16)),
        if staff.is_empty() { " autofocus" } else { "" },
        if staff.is_empty() { "" } else { " autofocus" },
    );
    shell(s, "登录", body, status, false)
}

pub(super) fn hidden_csrf(sess: &Session) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(&sess.csrf))
}

/// The CSRF token and the window the page shows: every calling button carries both, and
/// a button pressed on a page of another window than the session now holds (a second tab
/// that changed window) is refused instead of acting on the other window.
fn window_csrf(sess: &Session, window: u32) -> String {
    format!("{}<input type=\"hidden\" name=\"window\" value=\"{window}\">", hidden_csrf(sess))
}

fn window_page(s: &AppState, sess: &Session) -> Response {
    let csrf = hidden_csrf(sess);
    let buttons: String = s
        .cfg()
        .station
        .windows
        .iter()
        .map(|w| {
            format!(
                "<form method=\"post\" action=\"/desk/window\">{csrf}<input type=\"hidden\" name=\"window\" value=\"{}\">\
                 <button class=\"window-choice\" type=\"submit\">{}</button></form>",
                w.number,
                esc(&w.name)
            )
        })
        .collect();
    let body = format!(
        "<main class=\"desk\"><header class=\"bar\"><span class=\"station\">{}</span>{}<span>{} {}</span>{}</header>\
         <h1>请选择您所在的窗口</h1><div class=\"windows-choice\">{buttons}</div>\
         <p class=\"hint\">只办代办、不叫号：直接点上面的“全程代办”。</p></main>",
        esc(&s.cfg().station.name),
        nav(sess, "/desk"),
        esc(sess.who.no()),
        esc(sess.who.name()),
        logout_form(sess)
    );
    shell(s, "选择窗口", body, StatusCode::OK, false)
}

/// The desk's sections, the current one marked.
pub(super) fn nav(sess: &Session, current: &str) -> String {
    let mut items = vec![("/desk", "叫号"), ("/desk/cases", "全程代办"), ("/desk/followups", "差评跟进")];
    if sess.who.is_admin() {
        items.push(("/desk/admin", "站务管理"));
    }
    let links: String = items
        .iter()
        .map(|(href, label)| {
            let cur = if *href == current { " aria-current=\"page\" class=\"current\"" } else { "" };
            format!("<a href=\"{href}\"{cur}>{label}</a>")
        })
        .collect();
    format!("<nav class=\"sections\">{links}</nav>")
}

pub(super) fn logout_form(sess: &Session) -> String {
    format!(
        "<form method=\"post\" action=\"/desk/logout\" class=\"inline\">{}<button type=\"submit\">签退</button></form>",
        hidden_csrf(sess)
    )
}

fn act_button(csrf: &str, action: &str, label: &str, fields: &[(&str, String)], class: &str) -> String {
    let extra: String =
        fields.iter().map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v))).collect();
    format!(
        "<form method=\"post\" action=\"/desk/act\" class=\"inline\">{csrf}<input type=\"hidden\" name=\"action\" value=\"{action}\">{extra}\
         <button type=\"submit\" class=\"{class}\">{}</button></form>",
        esc(label)
    )
}

/// The part of the desk that changes: the current ticket and its buttons, the queue
/// counts, 过号, calls for help, unprinted receipts, today's 差评.
fn panel_html(v: &DeskView, sess: &Session) -> String {
    let csrf = window_csrf(sess, v.window);
    let mut h = String::with_capacity(4000);
    if let Some((err, text)) = sess.message() {
        h.push_str(&format!("<p class=\"{}\" role=\"status\">{}</p>", if err { "error" } else { "ok" }, esc(text)));
    }
    for n in v.closed_notice.iter().chain(&v.calendar_notice) {
        h.push_str(&format!("<p class=\"notice\">{}</p>", esc(n)));
    }
    if v.paused {
        h.push_str("<p class=\"notice\">本窗口已暂停叫号。</p>");
    }
    h.push_str("<section class=\"current\">");
    match &v.current {
        Some(t) => {
            let state = match t.status {
                TicketStatus::Called => format!("已叫号（已重呼 {}/{} 次）", t.recalls, v.limits.max_recalls),
                s => s.label().to_string(),
            };
            h.push_str(&format!(
                "<div class=\"now\"><span class=\"label\">当前</span><span class=\"number\" id=\"current-number\">{}</span>\
                 <span class=\"matter\">{}</span><span class=\"status\">{}</span>{}</div><div class=\"actions\">",
                esc(&t.number),
                esc(&t.matter_name),
                esc(&state),
                if t.priority { "<span class=\"badge\">优先</span>" } else { "" }
            ));
            let num = vec![("number", t.number.clone())];
            for a in allowed(t.status) {
                let (key, label) = match a {
                    CallAction::Recall => ("recall", format!("重呼（{}/{}）", t.recalls, v.limits.max_recalls)),
                    CallAction::NoShow => ("no-show", "过号".into()),
                    CallAction::Start => ("start", "开始办理".into()),
                    CallAction::Finish => ("finish", "办结".into()),
                    _ => continue,
                };
                h.push_str(&act_button(&csrf, key, &label, &num, "big"));
            }
            let win_opts: String = v
                .windows
                .iter()
                .filter(|(n, _)| *n != v.window)
                .map(|(n, name)| format!("<option value=\"{n}\">{}</option>", esc(name)))
                .collect();
            let cat_opts: String = v
                .categories
                .iter()
                .filter(|(c, _)| *c != t.category)
                .map(|(c, name)| format!("<option value=\"{}\">{} {}</option>", esc(c), esc(c), esc(name)))
                .collect();
            if !win_opts.is_empty() {
                h.push_str(&format!(
                    "<form method=\"post\" action=\"/desk/act\" class=\"inline transfer\">{csrf}\
                     <input type=\"hidden\" name=\"action\" value=\"transfer-window\"><input type=\"hidden\" name=\"number\" value=\"{}\">\
                     <select name=\"to_window\" aria-label=\"转到哪个窗口\">{win_opts}</select><button type=\"submit\">转窗口</button></form>",
                    esc(&t.number)
                ));
            }
            h.push_str(&format!(
                "<form method=\"post\" action=\"/desk/act\" class=\"inline transfer\">{csrf}\
                 <input type=\"hidden\" name=\"action\" value=\"transfer-category\"><input type=\"hidden\" name=\"number\" value=\"{}\">\
                 <select name=\"to_category\" aria-label=\"转到哪个类别\">{cat_opts}</select><button type=\"submit\">转类别</button></form></div>",
                esc(&t.number)
            ));
        }
        None => h.push_str("<div class=\"now empty\">本窗口现在没有在办的号</div>"),
    }
    h.push_str(&format!(
        "<div class=\"next\">{}<span class=\"waiting-mine\">本窗口可叫 <b id=\"waiting-mine\">{}</b> 人</span></div></section>",
        if v.paused {
            "<button class=\"primary huge\" disabled>已暂停</button>".to_string()
        } else {
            act_button(&csrf, "next", "叫下一位", &[], "primary huge")
        },
        v.mine
    ));
    let counts: String = v
        .waiting
        .iter()
        .map(|(w, mine)| {
            format!(
                "<li class=\"{}\">{} {} <b>{}</b> 人</li>",
                if *mine { "mine" } else { "other" },
                esc(&w.category),
                esc(&w.name),
                w.count
            )
        })
        .collect();
    h.push_str(&format!(
        "<section><h2>各类等候</h2><ul class=\"counts\">{}</ul></section>",
        if counts.is_empty() { "<li>现在没有人等候</li>".into() } else { counts }
    ));
    let list = |title: &str, items: Vec<String>, empty: &str| {
        let body = if items.is_empty() { format!("<li class=\"empty\">{empty}</li>") } else { items.concat() };
        format!("<section><h2>{title}</h2><ul class=\"list\">{body}</ul></section>")
    };
    let no_shows = v
        .no_shows
        .iter()
        .map(|t| {
            format!(
                "<li><b>{}</b> {} （{}号窗口过号）{}</li>",
                esc(&t.number),
                esc(&t.matter_name),
                t.window.unwrap_or(0),
                if t.callbacks < v.limits.max_callbacks {
                    act_button(&csrf, "callback", "回呼", &[("number", t.number.clone())], "")
                } else {
                    "<span class=\"muted\">已回呼过</span>".into()
                }
            )
        })
        .collect();
    h.push_str(&list("今日过号", no_shows, "没有过号"));
    let help = v
        .help
        .iter()
        .map(|x| {
            format!(
                "<li>{} 自助终端“{}”页面有人呼叫 {}</li>",
                esc(&x.time),
                esc(&x.screen),
                act_button(&csrf, "help", "已处理", &[("id", x.id.to_string())], "")
            )
        })
        .collect();
    h.push_str(&list("呼叫工作人员", help, "没有呼叫"));
    let unprinted = v
        .unprinted
        .iter()
        .map(|u| {
            format!(
                "<li>{} {} <small>{}</small> {}</li>",
                esc(&u.time),
                esc(&u.what),
                esc(&u.error),
                if v.printer {
                    act_button(&csrf, "reprint", "重新打印", &[("job", u.job.to_string())], "")
                } else {
                    String::new()
                }
            )
        })
        .collect();
    if v.printer {
        h.push_str(&list("未打印的回执", unprinted, "今天的回执都已打印"));
    } else {
        h.push_str(&list("今天的回执（没有设置打印机：只保存在电脑里，没有打印）", unprinted, "今天还没有回执"));
    }
    let bad = v
        .bad_ratings
        .iter()
        .map(|b| {
            format!(
                "<li>{} {} <b>{}</b> {} <a href=\"/desk/followups\">去跟进</a></li>",
                esc(&b.time),
                esc(&b.what),
                b.level,
                esc(&b.reason)
            )
        })
        .collect();
    h.push_str(&list("今日差评（请跟进整改）", bad, "没有差评"));
    h
}

/// 叫下一位 (or 回呼) over a ticket the window called and never started: what became of
/// it? Asked above the live panel, so a change in the queue does not take it away; the
/// answer carries the number asked about, and is refused if the window has moved on.
fn unstarted_question(csrf: &str, ask: &Ask) -> String {
    let then: Vec<(&str, String)> = match &ask.callback {
        Some(n) => vec![("number", n.clone())],
        None => vec![],
    };
    let action = if ask.callback.is_some() { "callback" } else { "next" };
    let verb = match &ask.callback {
        Some(n) => format!("回呼 {n}"),
        None => "叫下一位".to_string(),
    };
    let with = |prev: &str| {
        let mut f = then.clone();
        f.push(("prev", prev.to_string()));
        f.push(("prev_number", ask.number.clone()));
        f
    };
    format!(
        "<section class=\"question\" role=\"alertdialog\" aria-labelledby=\"question-title\">\
         <h2 id=\"question-title\">{} 还没有开始办理：按过号，还是已经办完？</h2>\
         <p>过号的号可以在“今日过号”里回呼；已经办完的算作已办结。</p><div class=\"actions\">{}{}\
         <a class=\"button\" href=\"/desk\">取消</a></div></section>",
        esc(&ask.number),
        act_button(csrf, action, &format!("{} 没来，按过号，{verb}", ask.number), &with("no-show"), "big"),
        act_button(csrf, action, &format!("{} 已经办完，{verb}", ask.number), &with("finish"), "big"),
    )
}

/// What the desk asks about after 叫下一位 (`?ask=C003`, and `&callback=C001` for 回呼).
#[derive(Debug, Default)]
pub struct Ask {
    number: String,
    callback: Option<String>,
}

fn ticket_number(s: &str) -> Option<String> {
    let n = s.trim().to_uppercase();
    (!n.is_empty() && n.len() <= 8 && n.chars().all(|c| c.is_ascii_alphanumeric())).then_some(n)
}

fn desk_page(s: &AppState, sess: &Session, v: &DeskView, ask: Option<&Ask>) -> Response {
    let csrf = window_csrf(sess, v.window);
    let question = ask.map(|a| unstarted_question(&csrf, a)).unwrap_or_default();
    let pause = if v.paused {
        act_button(&csrf, "resume", "恢复叫号", &[], "")
    } else {
        act_button(&csrf, "pause", "暂停叫号", &[], "")
    };
    let body = format!(
        "<main class=\"desk\"><header class=\"bar\"><span class=\"station\">{}</span>{}<span class=\"who\">{} {} · <b>{}</b></span>\
         {pause}<form method=\"post\" action=\"/desk/window\" class=\"inline\">{csrf}<input type=\"hidden\" name=\"window\" value=\"0\">\
         <button type=\"submit\">换窗口</button></form>{}</header>{question}\
         <div id=\"panel\" data-src=\"/desk/live?window={}\">{}</div><div id=\"offline\" class=\"offline\" hidden>连接中断，正在重新连接……</div></main>",
        esc(&s.cfg().station.name),
        nav(sess, "/desk"),
        esc(sess.who.no()),
        esc(sess.who.name()),
        esc(&v.window_name),
        logout_form(sess),
        v.window,
        panel_html(v, sess)
    );
    shell(s, "窗口叫号", body, StatusCode::OK, true)
}

pub async fn page(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let sess = match signed_in(&s, &headers, false).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ask = q
        .get("ask")
        .and_then(|n| ticket_number(n))
        .map(|number| Ask { number, callback: q.get("callback").and_then(|n| ticket_number(n)) });
    match sess.window {
        None => window_page(&s, &sess),
        Some(w) => match s.with_station(move |st| st.desk_view(w)).await {
            Ok(Ok(v)) => desk_page(&s, &sess, &v, ask.as_ref()),
            Ok(Err(e)) => unavailable(&e.to_string()),
            Err(e) => unavailable(&e.0),
        },
    }
}

pub(super) fn see_desk() -> Response {
    Redirect::to("/desk").into_response()
}

pub async fn login(State(s): State<AppState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, body: Bytes) -> Response {
    let f = match form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (no, pin) = (f.get("staff").cloned().unwrap_or_default(), f.get("pin").cloned().unwrap_or_default());
    let typed = no.clone();
    if no.trim().is_empty() || pin.trim().is_empty() {
        return login_form(&s, Some("请填写工号和密码。"), StatusCode::BAD_REQUEST, typed.trim());
    }
    // An address that failed too often waits, before any account's count moves.
    if let Err(minutes) = s.throttle().check(peer.ip()) {
        return login_form(
            &s,
            Some(&format!("这台电脑登录失败的次数太多了，请{minutes}分钟后再试。忘了密码请找站长重设。")),
            StatusCode::TOO_MANY_REQUESTS,
            typed.trim(),
        );
    }
    let origin = peer.ip().to_string();
    let attempt = move |st: &mut crate::service::Station| {
        let r = st.sign_in(no.trim(), pin.trim()).map(|w| w.from_pc(&origin));
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
    let result = s.with_station(attempt).await;
    match &result {
        Ok(Ok(_)) => s.throttle().succeeded(peer.ip()),
        Ok(Err(crate::service::LoginError::Store(_))) | Err(_) => {}
        Ok(Err(_)) => s.throttle().failed(peer.ip()),
    }
    match result {
        Ok(Ok(who)) => {
            let Some(id) = s.sessions().start(who) else {
                return unavailable("no randomness for a session id");
            };
            let mut r = see_desk();
            let cookie = format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Ok(Err(e)) => login_form(&s, Some(&e.to_string()), StatusCode::UNAUTHORIZED, typed.trim()),
        Err(e) => unavailable(&e.0),
    }
}

/// A change from the desk: the session must be active and the form must carry its CSRF
/// token. Returns the session id, the session and the form.
pub(super) fn checked(
    s: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(String, Session, HashMap<String, String>), Response> {
    let (id, lookup) = session_of(s, headers);
    let (id, sess) = match (id, lookup) {
        (Some(id), Lookup::Active(sess)) => (id, sess),
        (_, Lookup::Expired) => {
            return Err(plain(StatusCode::UNAUTHORIZED, "已自动退出", "已经15分钟没有操作，请回到 /desk 重新登录。"))
        }
        _ => return Err(plain(StatusCode::UNAUTHORIZED, "请先登录", "请回到 /desk 用工号和密码登录。")),
    };
    let f = form(body)?;
    let token = f.get("csrf").map(String::as_str).unwrap_or("");
    if !same(token, &sess.csrf) {
        return Err(plain(StatusCode::FORBIDDEN, "页面已过期", "请回到 /desk 刷新页面后再操作。"));
    }
    Ok((id, sess, f))
}

pub async fn logout(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match checked(&s, &headers, &body) {
        Ok((id, sess, _)) => {
            s.sessions().end(&id);
            let origin = peer.ip().to_string();
            let who = sess.who.clone();
            match s.with_station(move |st| st.note_sign_out(&who, Some(&origin))).await {
                Ok(Err(e)) => tracing::warn!("audit of a sign-out not written: {e}"),
                Err(e) => tracing::warn!("audit of a sign-out not written: {}", e.0),
                Ok(Ok(())) => {}
            }
            let mut r = see_desk();
            let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(r) => r,
    }
}

pub async fn choose_window(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (id, sess, f) = match checked(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(window) = f.get("window").and_then(|w| w.parse::<u32>().ok()) else {
        return super::html::bad_request("请选择窗口。");
    };
    if window == 0 {
        s.sessions().set_window(&id, None);
        return see_desk();
    }
    let who = sess.who.clone();
    // Which PC took the window goes into the audit trail.
    let origin = peer.ip().to_string();
    match s.with_station(move |st| st.take_window(&who, window, Some(&origin))).await {
        Ok(Ok(())) => {
            s.sessions().set_window(&id, Some(window));
            see_desk()
        }
        Ok(Err(e)) => super::html::bad_request(&e.to_string()),
        Err(e) => unavailable(&e.0),
    }
}

/// The outcome of a desk button, in words for the flash line.
enum Done {
    Ok(String),
    Refused(String),
    /// A ticket called and never started is in the way: ask staff what became of it.
    Ask(String),
}

pub async fn act(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (id, sess, f) = match checked(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(window) = sess.window else { return see_desk() };
    // The window the page showed: a tab left on another window acts on nothing.
    let page_window = f.get("window").and_then(|w| crate::domain::text::half_width(w).trim().parse::<u32>().ok());
    if page_window != Some(window) {
        s.sessions().flash(&id, true, format!("本页面已过期，请刷新：您现在在{window}号窗口，没有办理刚才的操作。"));
        return see_desk();
    }
    let action = f.get("action").cloned().unwrap_or_default();
    let number = f.get("number").cloned().unwrap_or_default();
    // What staff said of a ticket called and never started (the desk's question).
    let seen = f.get("prev_number").and_then(|n| ticket_number(n));
    let unstarted = match f.get("prev").map(String::as_str) {
        Some("no-show") => Unstarted::NoShow(seen),
        Some("finish") => Unstarted::Finish(seen),
        _ => Unstarted::Ask,
    };
    let who = sess.who.clone();
    let asked_callback = (action == "callback").then(|| number.clone());
    let result = s
        .with_station(move |st| {
            let called = |r: Result<crate::service::Called, CallError>, what: &str| match r {
                Ok(c) => {
                    let before: Vec<String> = c
                        .no_shows
                        .iter()
                        .map(|t| format!("{} 已按过号；", t.number))
                        .chain(c.finished.iter().map(|t| format!("{} 已办结；", t.number)))
                        .collect();
                    Done::Ok(format!("{}{} {what}", before.concat(), c.ticket.number))
                }
                Err(CallError::NoneWaiting) => Done::Refused("现在没有人等候本窗口".into()),
                Err(CallError::Unstarted(n)) => Done::Ask(n),
                Err(e) => Done::Refused(e.to_string()),
            };
            match action.as_str() {
                "next" => called(st.call_next_then(&who, window, &unstarted), "请到本窗口"),
                "recall" => called(st.call_action(&who, window, &number, CallAction::Recall), "已重呼"),
                "no-show" => called(st.call_action(&who, window, &number, CallAction::NoShow), "已过号"),
                "callback" => called(st.call_back_then(&who, window, &number, &unstarted), "已回呼"),
                "start" => called(st.call_action(&who, window, &number, CallAction::Start), "开始办理"),
                "finish" => called(st.call_action(&who, window, &number, CallAction::Finish), "已办结，请村民评价"),
                "transfer-window" => match f.get("to_window").and_then(|w| w.parse::<u32>().ok()) {
                    Some(to) => called(st.transfer(&who, window, &number, TransferTo::Window(to)), "已转窗口"),
                    None => Done::Refused("请选择要转到的窗口".into()),
                },
                "transfer-category" => match f.get("to_category").filter(|c| !c.trim().is_empty()) {
                    Some(c) => called(
                        st.transfer(&who, window, &number, TransferTo::Category(c.trim().to_uppercase())),
                        "已转类别",
                    ),
                    None => Done::Refused("请选择要转到的类别".into()),
                },
                "pause" | "resume" => match st.set_window_paused(&who, window, action == "pause") {
                    Ok(()) => Done::Ok(if action == "pause" { "已暂停叫号" } else { "已恢复叫号" }.into()),
                    Err(e) => Done::Refused(e.to_string()),
                },
                "help" => match f.get("id").and_then(|i| i.parse::<i64>().ok()) {
                    Some(hid) => match st.answer_help(&who, hid) {
                        Ok(true) => Done::Ok("已处理呼叫".into()),
                        Ok(false) => Done::Refused("这个呼叫已经有人处理了".into()),
                        Err(e) => Done::Refused(e.to_string()),
                    },
                    None => Done::Refused("没有这个呼叫".into()),
                },
                "reprint" => match f.get("job").and_then(|i| i.parse::<i64>().ok()) {
                    Some(job) => match st.reprint(&who, job) {
                        Ok(_) => Done::Ok("已重新打印".into()),
                        Err(e) => Done::Refused(e.to_string()),
                    },
                    None => Done::Refused("没有这张回执".into()),
                },
                _ => Done::Refused("不认识这个操作".into()),
            }
        })
        .await;
    match result {
        Ok(Done::Ok(text)) => s.sessions().flash(&id, false, text),
        Ok(Done::Refused(text)) => s.sessions().flash(&id, true, text),
        Ok(Done::Ask(n)) => {
            let callback = asked_callback.and_then(|c| ticket_number(&c)).map(|c| format!("&callback={c}"));
            return Redirect::to(&format!("/desk?ask={n}{}", callback.unwrap_or_default())).into_response();
        }
        Err(e) => return unavailable(&e.0),
    }
    see_desk()
}

/// The desk's live stream: the panel's HTML on connect and whenever anything changes;
/// it also looks every 10 s (a button's outcome fades, an idle session ends).
pub async fn live(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let (Some(id), Lookup::Active(sess)) = session_of(&s, &headers) else {
        return plain(StatusCode::UNAUTHORIZED, "请先登录", "请回到 /desk 登录。");
    };
    let Some(window) = sess.window else {
        return plain(StatusCode::CONFLICT, "请先选择窗口", "请回到 /desk 选择窗口。");
    };
    // The window the page shows (older pages did not say: the session's).
    let shown = q.get("window").and_then(|w| w.parse::<u32>().ok()).unwrap_or(window);
    let state = s.clone();
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
                let who = sess.who.no().to_string();
                let active = s.with_station(move |st| st.staff_member(&who)).await;
                if !matches!(active, Ok(Ok(Some(ref m))) if m.active) {
                    // A disabled account's desk stops at once, not at its next click.
                    s.sessions().end(&id);
                    return Next::End(Some(Event::default().event("signed-out").data("1")));
                }
                match s.with_station(move |st| st.desk_view(shown)).await {
                    Ok(Ok(view)) => {
                        let html = panel_html(&view, &sess);
                        Next::Send { key: html.clone(), event: Event::default().event("panel").data(html) }
                    }
                    _ => Next::End(None),
                }
            })
        }),
    )
}
