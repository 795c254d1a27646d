//! Plain HTML for the station's pages: a page shell, escaping, and the plain 4xx pages.
//! No framework and no third-party assets: the station may have no internet, and a phone
//! on a weak signal must get a whole page in one small response.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page: its title, body class, body HTML (already escaped), its script (served from
/// /assets), and a refresh for browsers without scripts.
pub struct Page<'a> {
    pub title: &'a str,
    pub class: &'a str,
    pub body: String,
    pub script: Option<&'a str>,
    pub noscript_refresh: Option<u32>,
    /// Go to this address after this many seconds (scripts or not).
    pub refresh_to: Option<(u32, &'a str)>,
}

impl Page<'_> {
    pub fn render(&self) -> String {
        let refresh = self
            .noscript_refresh
            .map(|s| format!("<noscript><meta http-equiv=\"refresh\" content=\"{s}\"></noscript>"))
            .unwrap_or_default();
        let refresh_to = self
            .refresh_to
            .map(|(s, url)| format!("<meta http-equiv=\"refresh\" content=\"{s};url={}\">", esc(url)))
            .unwrap_or_default();
        let script = self.script.map(|s| format!("<script src=\"/assets/{s}\" defer></script>")).unwrap_or_default();
        format!(
            "<!doctype html>\n<html lang=\"zh-CN\" translate=\"no\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <meta name=\"referrer\" content=\"no-referrer\"><meta name=\"google\" content=\"notranslate\">\
             <title>{}</title><link rel=\"stylesheet\" href=\"/assets/site.css\">{refresh}{refresh_to}{script}</head>\
             <body class=\"{}\">{}</body></html>",
            esc(self.title),
            esc(self.class),
            self.body
        )
    }

    pub fn response(&self, status: StatusCode) -> Response {
        (status, Html(self.render())).into_response()
    }
}

/// A plain page for a refused request: what happened and what to do, nothing more.
pub fn plain(status: StatusCode, title: &str, text: &str) -> Response {
    Page {
        title,
        class: "plain",
        body: format!("<main class=\"plain\"><h1>{}</h1><p>{}</p></main>", esc(title), esc(text)),
        script: None,
        noscript_refresh: None,
        refresh_to: None,
    }
    .response(status)
}

/// The one answer for an unknown, expired or tampered token: it reveals nothing, not even
/// which of those it was.
pub fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "没有找到", "没有找到这张号票或这件代办。请核对号票上的二维码，或到服务站窗口询问。")
}

pub fn bad_request(why: &str) -> Response {
    plain(StatusCode::BAD_REQUEST, "请求有误", why)
}
