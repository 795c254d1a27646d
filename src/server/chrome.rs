//! What every page of the station service shares: the document shell, the plain 4xx and
//! 503 pages, and the desk's chrome (its bar with the sections, who is signed in and
//! 签退, the flash line, the CSRF field). Pages are maud templates: every value written
//! into them is escaped unless it is marked as markup, so forgetting to escape is not
//! possible; nothing here builds HTML from data by hand.

use super::session::Session;
use super::state::AppState;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

/// The document around a page's body: its title, body class, script (served from
/// /assets), and refreshes for browsers without scripts.
pub struct Shell<'a> {
    pub title: &'a str,
    pub class: &'a str,
    pub script: Option<&'a str>,
    /// Reload after this many seconds when scripts are off (live pages).
    pub noscript_refresh: Option<u32>,
    /// Go to this address after this many seconds (scripts or not).
    pub refresh_to: Option<(u32, &'a str)>,
}

impl<'a> Shell<'a> {
    /// A page with nothing but a title and a class.
    pub fn new(title: &'a str, class: &'a str) -> Shell<'a> {
        Shell { title, class, script: None, noscript_refresh: None, refresh_to: None }
    }

    pub fn render(&self, body: Markup) -> Markup {
        html! {
            (DOCTYPE)
            html lang=(crate::lang::current().tag()) translate="no" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width,initial-scale=1";
                    meta name="referrer" content="no-referrer";
                    meta name="google" content="notranslate";
                    title { (self.title) }
                    link rel="stylesheet" href="/assets/site.css";
                    @if let Some(s) = self.noscript_refresh {
                        noscript { meta http-equiv="refresh" content=(s); }
                    }
                    @if let Some((s, url)) = self.refresh_to {
                        meta http-equiv="refresh" content={ (s) ";url=" (url) };
                    }
                    @if let Some(js) = self.script {
                        script src={ "/assets/" (js) } defer {}
                    }
                }
                body class=(self.class) { (body) }
            }
        }
    }

    pub fn response(&self, status: StatusCode, body: Markup) -> Response {
        (status, Html(self.render(body).into_string())).into_response()
    }
}

/// A plain page for a refused request: what happened and what to do, nothing more.
pub fn plain(status: StatusCode, title: &str, text: &str) -> Response {
    Shell::new(title, "plain").response(
        status,
        html! {
            main.plain { h1 { (title) } p { (text) } }
        },
    )
}

/// The one answer for an unknown, expired or tampered token: it reveals nothing, not even
/// which of those it was.
pub fn not_found() -> Response {
    plain(
        StatusCode::NOT_FOUND,
        tr!("没有找到"),
        tr!("没有找到这张号票或这件代办。请核对号票上的二维码，或到服务站窗口询问。"),
    )
}

pub fn bad_request(why: &str) -> Response {
    plain(StatusCode::BAD_REQUEST, tr!("请求有误"), why)
}

/// The page for a fault (the store, a child process): the detail goes to the log only.
pub fn unavailable(why: &str) -> Response {
    tracing::error!("service unavailable: {why}");
    plain(StatusCode::SERVICE_UNAVAILABLE, tr!("暂时无法查询"), tr!("服务站的系统正忙，请过一会儿再试，或到窗口询问。"))
}

/// The session's CSRF token as a hidden field: every form of the desk carries it.
pub fn csrf<W>(sess: &Session<W>) -> Markup {
    html! { input type="hidden" name="csrf" value=(sess.csrf); }
}

/// The desk's sections, the current one marked.
pub fn sections(sess: &Session, current: &str) -> Markup {
    let mut items = vec![
        ("/desk", tr!("叫号")),
        ("/desk/cases", tr!("全程代办")),
        ("/desk/followups", tr!("差评跟进")),
        ("/desk/privacy", tr!("个人信息")),
    ];
    if sess.who.is_admin() {
        items.push(("/desk/admin", tr!("站务管理")));
    }
    html! {
        nav.sections aria-label=(tr!("工作台")) {
            @for (href, label) in items {
                @if href == current {
                    a.here href=(href) aria-current="page" { (label) }
                } @else {
                    a href=(href) { (crate::lang::tr(label)) }
                }
            }
        }
    }
}

pub fn logout_form(sess: &Session) -> Markup {
    html! {
        form.inline method="post" action="/desk/logout" { (csrf(sess)) button type="submit" { (tr!("签退")) } }
    }
}

/// The desk's top bar: station, sections (the current one marked), who, 签退.
pub fn desk_bar(s: &AppState, sess: &Session, current: &str) -> Markup {
    html! {
        header.bar {
            span.station { (s.cfg().station.name) }
            (sections(sess, current))
            span.who { (sess.who.no()) " " (sess.who.name()) }
            (logout_form(sess))
        }
    }
}

/// A translated sentence with values in it that are markup (a bold number, a link): the
/// template's text is escaped, `{}` takes the next of `parts` and `{N}` the N-th, so a
/// sentence stays whole in every language (`tr!` would make the values plain text).
pub fn filled(template: &str, parts: &[Markup]) -> Markup {
    html! {
        @for piece in pieces(template, parts) {
            @match piece {
                Piece::Text(t) => (t),
                Piece::Part(m) => (m),
            }
        }
    }
}

/// A run of a template's text (escaped when written) or one of its values (markup).
enum Piece<'t, 'm> {
    Text(&'t str),
    Part(&'m Markup),
}

/// `template` cut at its `{}`/`{N}` holes. A hole with no value for it (`{7}` of two
/// parts, `{x}`) and an unclosed `{` stay as the text they are.
fn pieces<'t, 'm>(template: &'t str, parts: &'m [Markup]) -> Vec<Piece<'t, 'm>> {
    let mut out = Vec::new();
    let mut next = 0;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let inside = &after[..close];
        let index = if inside.is_empty() {
            next += 1;
            Some(next - 1)
        } else {
            inside.parse::<usize>().ok()
        };
        let hole_end = open + close + 2;
        match index.and_then(|i| parts.get(i)) {
            Some(m) => {
                out.push(Piece::Text(&rest[..open]));
                out.push(Piece::Part(m));
            }
            None => out.push(Piece::Text(&rest[..hole_end])),
        }
        rest = &rest[hole_end..];
    }
    out.push(Piece::Text(rest));
    out
}

/// The outcome of the last button, while it is fresh.
pub fn flash<W>(sess: &Session<W>) -> Markup {
    html! {
        @if let Some((err, text)) = sess.message() {
            p class=(if err { "error" } else { "ok" }) role="status" { (text) }
        }
    }
}

/// A desk page: the document with the desk's class (and its live script when `live`).
pub fn desk_page(s: &AppState, title: &str, body: Markup, status: StatusCode, live: bool) -> Response {
    staff_page(&s.cfg().station.name, title, body, status, live)
}

/// A staff page of `site` (a station's desk, the town's site): "title · site", the desk's
/// class, and its live script when `live` (a reload every 10 s without scripts).
pub fn staff_page(site: &str, title: &str, body: Markup, status: StatusCode, live: bool) -> Response {
    let full = format!("{title} · {site}");
    Shell {
        title: &full,
        class: "deskpage",
        script: live.then_some("desk.js"),
        noscript_refresh: live.then_some(10),
        refresh_to: None,
    }
    .response(status, body)
}

/// A bar of links to the parts of a site (`parts`: address and label, marked `tr_later!`),
/// the current one marked for the eye and for screen readers.
pub fn parts_nav(class: &str, label: &str, parts: &[(&str, &'static str)], current: &str) -> Markup {
    html! {
        nav class=(class) aria-label=(label) {
            @for (href, name) in parts {
                @if *href == current {
                    a.here href=(href) aria-current="page" { (crate::lang::tr(name)) }
                } @else {
                    a href=(href) { (crate::lang::tr(name)) }
                }
            }
        }
    }
}

/// The parts of 站务管理, in the order of its bar.
pub const ADMIN_PARTS: [(&str, &str); 9] = [
    ("/desk/admin/matters", tr_later!("事项清单")),
    ("/desk/admin/staff", tr_later!("工作人员")),
    ("/desk/admin/duty", tr_later!("AB岗与值班")),
    ("/desk/admin/pads", tr_later!("评价器")),
    ("/desk/admin/holidays", tr_later!("节假日")),
    ("/desk/admin/settings", tr_later!("站点设置")),
    ("/desk/admin/reports", tr_later!("报表")),
    ("/desk/admin/wallchart", tr_later!("公示栏")),
    ("/desk/admin/audit", tr_later!("审计日志")),
];

/// A page of 站务管理: the desk's bar, the parts of 站务管理 (the current one marked), the
/// flash, the title and the part's content.
pub fn admin_page(
    s: &AppState,
    sess: &Session,
    current: &str,
    title: &str,
    inner: Markup,
    status: StatusCode,
) -> Response {
    let body = html! {
        main.desk.admin {
            (desk_bar(s, sess, "/desk/admin"))
            (parts_nav("admin-parts", tr!("站务管理"), &ADMIN_PARTS, current))
            (flash(sess))
            h1 { (title) }
            (inner)
        }
    };
    desk_page(s, title, body, status, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let page = Shell::new("<b>\"'&", "x").render(html! { p { ("</script><img src=x onerror=1>") } });
        let s = page.into_string();
        assert!(s.starts_with("<!DOCTYPE html>"));
        assert!(s.contains("<html lang=\"zh-CN\" translate=\"no\">"));
        assert!(s.contains("&lt;b&gt;&quot;'&amp;"), "{s}");
        assert!(s.contains("&lt;/script&gt;&lt;img src=x onerror=1&gt;"), "{s}");
        assert!(!s.contains("<img"));
    }

    #[test]
    fn filled_escapes_its_text_and_keeps_its_values_as_markup() {
        let parts = [html! { b { "3" } }, html! { b { "<i>" } }];
        let s = filled("<前面> {} 人，{1} · {0} · {} · {7} {x}", &parts).into_string();
        assert_eq!(s, "&lt;前面&gt; <b>3</b> 人，<b>&lt;i&gt;</b> · <b>3</b> · <b>&lt;i&gt;</b> · {7} {x}");
    }

    #[test]
    fn an_unclosed_brace_is_text_said_once() {
        let parts = [html! { b { "3" } }];
        assert_eq!(filled("前面还有 {} 人 {未完", &parts).into_string(), "前面还有 <b>3</b> 人 {未完");
        assert_eq!(filled("前面 {", &[]).into_string(), "前面 {");
        assert_eq!(filled("{", &parts).into_string(), "{");
    }
}
