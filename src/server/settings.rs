//! 站点设置 at the desk (station head): the form, checked as `kiosk config check` checks
//! station.toml, the errors named field by field with the typing kept.

use super::admin::{admin_change, admin_page, admin_session};
use super::desk::hidden_csrf;
use super::html::esc;
use super::public::unavailable;
use super::session::Session;
use super::state::AppState;
use crate::service::{FieldView, SettingsError};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

fn render(
    s: &AppState,
    sess: &Session,
    fields: &[FieldView],
    version: i64,
    typed: Option<&HashMap<String, String>>,
    errors: &[String],
) -> Response {
    let csrf = format!("{}<input type=\"hidden\" name=\"version\" value=\"{version}\">", hidden_csrf(sess));
    let rows: String = fields
        .iter()
        .map(|v| {
            let value = typed.and_then(|t| t.get(v.field.key)).cloned().unwrap_or_else(|| v.value.clone());
            let marks = [
                v.from_desk.then_some("在这里改过"),
                v.pending.then_some("重启后生效"),
            ]
            .into_iter()
            .flatten()
            .map(|m| format!("<span class=\"badge\">{m}</span>"))
            .collect::<String>();
            format!(
                "<label class=\"setting\"><span>{}{marks}</span><input name=\"{}\" value=\"{}\"><small>{}</small></label>",
                esc(v.field.label),
                v.field.key,
                esc(&value),
                esc(v.field.hint)
            )
        })
        .collect();
    let errors_html = if errors.is_empty() {
        String::new()
    } else {
        let items: String = errors.iter().map(|e| format!("<li>{}</li>", esc(e))).collect();
        format!("<h2 class=\"error\">没有保存：请改正下面的问题</h2><ul class=\"errors\">{items}</ul>")
    };
    let inner = format!(
        "<p>这些设置保存在本站的数据里，优先于配置文件 station.toml（和文件一样的值不另外保存）。保存前按 <code>kiosk config check</code> \
         的同样规则检查。<b>自助终端和服务程序重启后才用新设置</b>（关机再开机即可）。窗口、票号字头、语音等其他设置仍在 station.toml 里改。</p>\
         {errors_html}<form method=\"post\" action=\"/desk/admin/settings/save\" class=\"settings\">{csrf}{rows}\
         <button class=\"primary\" type=\"submit\">检查并保存</button></form>"
    );
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    admin_page(s, sess, "站点设置", inner, status)
}

pub async fn page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let sess = match admin_session(&s, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match s.with_station(|st| st.settings().and_then(|f| Ok((f, st.settings_version()?)))).await {
        Ok(Ok((fields, version))) => render(&s, &sess, &fields, version, None, &[]),
        Ok(Err(SettingsError::Invalid(problems))) => render(&s, &sess, &[], 0, None, &problems),
        Ok(Err(e)) => unavailable(&e.to_string()),
        Err(e) => unavailable(&e.0),
    }
}

pub async fn save(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (id, sess, f) = match admin_change(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let who = sess.who.clone();
    let form = f.clone();
    let seen = f.get("version").and_then(|v| v.parse::<i64>().ok());
    let result =
        s.with_station(move |st| (st.save_settings(&who, &form, seen), st.settings(), st.settings_version())).await;
    let (saved, fields, version) = match result {
        Ok(x) => x,
        Err(e) => return unavailable(&e.0),
    };
    let (fields, version) = (fields.unwrap_or_default(), version.unwrap_or_default());
    match saved {
        Ok(changes) => {
            let text = if changes.is_empty() {
                "没有改动".to_string()
            } else {
                format!("已保存：{}。自助终端和服务重启后生效。", changes.join("；"))
            };
            s.sessions().flash(&id, false, text);
            Redirect::to("/desk/admin/settings").into_response()
        }
        Err(SettingsError::Invalid(problems)) => render(&s, &sess, &fields, version, Some(&f), &problems),
        Err(e @ SettingsError::Stale) => render(&s, &sess, &fields, version, None, &[e.to_string()]),
        Err(SettingsError::Actor(e)) => super::html::plain(StatusCode::FORBIDDEN, "需要站长权限", &e.to_string()),
        Err(SettingsError::Store(e)) => unavailable(&e.to_string()),
    }
}
