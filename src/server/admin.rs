//! Station administration (站务管理) at the desk, for the station head (role admin) only:
//! the list of matters in published versions. A staff member who is not an admin gets a
//! plain 403 on every page and every action here; every change is an audit event (made in
//! the service).

use super::desk::{checked, hidden_csrf, login_page, logout_form, nav, session_of, shell};
use super::html::{esc, plain};
use super::public::unavailable;
use super::session::{Lookup, Session};
use super::state::AppState;
use super::typed;
use crate::service::{CatalogDiff, CatalogError};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// Matters files are larger than the desk's forms.
pub const UPLOAD_LIMIT: usize = 1024 * 1024;

fn not_admin() -> Response {
    plain(StatusCode::FORBIDDEN, "需要站长权限", "站务管理只有站长（管理员）可以使用。请用站长的工号登录。")
}

/// The signed-in station head, or the response to give instead.
fn admin_session(s: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    match session_of(s, headers).1 {
        Lookup::Active(sess) if sess.who.is_admin() => Ok(sess),
        Lookup::Active(_) => Err(not_admin()),
        Lookup::Expired => {
            Err(login_page(s, Some("已经15分钟没有操作，为了安全已自动退出，请重新登录。"), StatusCode::OK))
        }
        Lookup::Unknown => Err(login_page(s, None, StatusCode::OK)),
    }
}

/// A change by the station head: session, CSRF and role checked.
fn admin_change(
    s: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(String, Session, std::collections::HashMap<String, String>), Response> {
    let (id, sess, f) = checked(s, headers, body)?;
    if !sess.who.is_admin() {
        return Err(not_admin());
    }
    Ok((id, sess, f))
}

fn page(s: &AppState, sess: &Session, title: &str, inner: String, status: StatusCode) -> Response {
    let flash = sess
        .message()
        .map(|(err, text)| {
            format!("<p class=\"{}\" role=\"status\">{}</p>", if err { "error" } else { "ok" }, esc(text))
        })
        .unwrap_or_default();
    let body = format!(
        "<main class=\"desk admin\"><header class=\"bar\"><span class=\"station\">{}</span>{}<span class=\"who\">{} {}</span>{}</header>\
         <nav class=\"admin-parts\"><a href=\"/desk/admin/matters\">事项清单</a></nav>{flash}<h1>{}</h1>{inner}</main>",
        esc(&s.cfg().station.name),
        nav(sess, "/desk/admin"),
        esc(sess.who.no()),
        esc(sess.who.name()),
        logout_form(sess),
        esc(title)
    );
    shell(s, title, body, status, false)
}

pub async fn home(State(s): State<AppState>, headers: HeaderMap) -> Response {
    match admin_session(&s, &headers) {
        Ok(_) => Redirect::to("/desk/admin/matters").into_response(),
        Err(r) => r,
    }
}

fn diff_html(d: &CatalogDiff) -> String {
    let mut items = String::new();
    for c in &d.added {
        items.push_str(&format!("<li class=\"added\">新增事项 <b>{}</b></li>", esc(c)));
    }
    for c in &d.removed {
        items.push_str(&format!("<li class=\"removed\">删除事项 <b>{}</b></li>", esc(c)));
    }
    for c in &d.changed {
        for x in &c.described {
            items.push_str(&format!("<li class=\"changed\">修改 <b>{}</b> {}</li>", esc(&c.code), esc(x)));
        }
    }
    for c in &d.categories {
        items.push_str(&format!("<li class=\"changed\">{}</li>", esc(c)));
    }
    if items.is_empty() {
        "<p>和现在用的版本完全一样。</p>".into()
    } else {
        format!("<ul class=\"diff\">{items}</ul>")
    }
}

pub async fn matters(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let sess = match admin_session(&s, &headers) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (versions, live) = match s
        .with_station(|st| Ok::<_, crate::service::StoreError>((st.catalog_versions()?, st.published_version()?)))
        .await
    {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return unavailable(&e.to_string()),
        Err(e) => return unavailable(&e.0),
    };
    let csrf = hidden_csrf(&sess);
    let rows: String = versions
        .iter()
        .rev()
        .map(|v| {
            let action = if v.version == live {
                "<b>正在使用</b>".to_string()
            } else {
                format!(
                    "<form method=\"post\" action=\"/desk/admin/matters/rollback\" class=\"inline\">{csrf}\
                     <input type=\"hidden\" name=\"version\" value=\"{}\"><button type=\"submit\">回滚到这一版</button></form>",
                    v.version
                )
            };
            format!(
                "<tr><td>第{}版</td><td>{}</td><td>{}</td><td>{}</td><td>{action}</td></tr>",
                v.version,
                esc(&v.published_at),
                esc(v.staff.as_deref().unwrap_or("（系统）")),
                esc(&v.note)
            )
        })
        .collect();
    let inner = format!(
        "<p>现在使用第{live}版。村民在自助终端回到首页时换用新版本；已取的号和已受理的代办仍按原来的版本。\
         <a href=\"/desk/admin/matters/export\">下载现在的版本（TOML）</a></p>\
         <section><h2>上传新的事项清单</h2>\
         <form method=\"post\" action=\"/desk/admin/matters/check\">{csrf}\
         <label>选择文件 <input type=\"file\" id=\"matters-file\" accept=\".toml,text/plain\"></label>\
         <label>或粘贴内容<textarea name=\"source\" id=\"matters-source\" rows=\"10\" required></textarea></label>\
         <button class=\"primary\" type=\"submit\">检查并查看改动</button></form></section>\
         <section><h2>历次版本</h2><table class=\"cases\"><thead><tr><th>版本</th><th>发布时间</th><th>发布人</th><th>说明</th><th></th></tr></thead>\
         <tbody>{rows}</tbody></table></section><script src=\"/assets/admin.js\" defer></script>"
    );
    page(&s, &sess, "事项清单", inner, StatusCode::OK)
}

/// Checks an uploaded file: its errors by line, or its changes and the publish form.
pub async fn check(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (_, sess, f) = match admin_change(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let src = f.get("source").cloned().unwrap_or_default();
    let src2 = src.clone();
    let result = s.with_station(move |st| st.check_matters("上传的文件", &src2)).await;
    let csrf = hidden_csrf(&sess);
    match result {
        Ok(Ok(c)) => {
            let publish = if c.diff.is_empty() {
                "<p>没有改动，不用发布。</p>".to_string()
            } else {
                format!(
                    "<form method=\"post\" action=\"/desk/admin/matters/publish\">{csrf}\
                     <textarea name=\"source\" hidden>{}</textarea>\
                     <label>发布说明（改了什么、为什么）<input name=\"note\" maxlength=\"200\" required></label>\
                     <button class=\"primary\" type=\"submit\">发布为第{}版</button></form>",
                    esc(&src),
                    c.live_version + 1
                )
            };
            let inner = format!(
                "<p>文件检查通过：{} 个类别，{} 个事项。和现在使用的第{}版相比：</p>{}{publish}\
                 <p><a href=\"/desk/admin/matters\">不发布，返回</a></p>",
                c.catalog.categories.len(),
                c.catalog.matters.len(),
                c.live_version,
                diff_html(&c.diff)
            );
            page(&s, &sess, "核对改动", inner, StatusCode::OK)
        }
        Ok(Err(CatalogError::Invalid(errs))) => {
            let items: String = errs.0.iter().map(|e| format!("<li>{}</li>", esc(&e.to_string()))).collect();
            let inner = format!(
                "<p class=\"error\">文件有 {} 处错误，没有发布。请按行号改好后重新上传：</p><ul class=\"errors\">{items}</ul>\
                 <p><a href=\"/desk/admin/matters\">返回</a></p>",
                errs.0.len()
            );
            page(&s, &sess, "文件有错误", inner, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Ok(Err(e)) => page(
            &s,
            &sess,
            "不能检查",
            format!("<p class=\"error\">{}</p>", esc(&e.to_string())),
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => unavailable(&e.0),
    }
}

pub async fn publish(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (id, sess, f) = match admin_change(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let src = f.get("source").cloned().unwrap_or_default();
    let note = f.get("note").cloned().unwrap_or_default();
    let who = sess.who.clone();
    match s.with_station(move |st| st.publish_matters(&who, "上传的文件", &src, &note)).await {
        Ok(Ok((v, _))) => s.sessions().flash(&id, false, format!("已发布第{v}版")),
        Ok(Err(e)) => s.sessions().flash(&id, true, e.to_string()),
        Err(e) => return unavailable(&e.0),
    }
    Redirect::to("/desk/admin/matters").into_response()
}

pub async fn rollback(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (id, sess, f) = match admin_change(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(version) = f.get("version").and_then(|v| v.parse::<i64>().ok()) else {
        return super::html::bad_request("请选择版本。");
    };
    let who = sess.who.clone();
    match s.with_station(move |st| st.rollback_matters(&who, version)).await {
        Ok(Ok((v, _))) => s.sessions().flash(&id, false, format!("已回滚：第{v}版用第{version}版的内容")),
        Ok(Err(e)) => s.sessions().flash(&id, true, e.to_string()),
        Err(e) => return unavailable(&e.0),
    }
    Redirect::to("/desk/admin/matters").into_response()
}

pub async fn export(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = admin_session(&s, &headers) {
        return r;
    }
    match s
        .with_station(|st| Ok::<_, crate::service::StoreError>((st.published_version()?, st.export_matters()?)))
        .await
    {
        Ok(Ok((v, src))) => {
            let mut r = typed(StatusCode::OK, "text/plain; charset=utf-8", src);
            if let Ok(h) = HeaderValue::from_str(&format!("attachment; filename=\"matters-v{v}.toml\"")) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, h);
            }
            r
        }
        Ok(Err(e)) => unavailable(&e.to_string()),
        Err(e) => unavailable(&e.0),
    }
}
