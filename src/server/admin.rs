//! Station administration (站务管理) at the desk, for the station head (role admin) only:
//! the list of matters in published versions. A staff member who is not an admin gets a
//! plain 403 on every page and every action here; every change is an audit event (made in
//! the service).

use super::desk::{checked, hidden_csrf, logout_form_html as logout_form, nav, shell, signed_in};
use super::html::{esc, plain};
use super::public::unavailable;
use super::session::Session;
use super::state::AppState;
use super::typed;
use crate::service::{CatalogDiff, CatalogError};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

/// Matters files are larger than the desk's forms.
pub const UPLOAD_LIMIT: usize = 1024 * 1024;

fn not_admin() -> Response {
    plain(StatusCode::FORBIDDEN, "需要站长权限", "站务管理只有站长（管理员）可以使用。请用站长的工号登录。")
}

/// The signed-in station head (the role as it is now), or the response to give instead.
pub(super) async fn admin_session(s: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    signed_in(s, headers, true).await
}

/// A change by the station head: session, CSRF and role checked.
pub(super) fn admin_change(
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

pub(super) fn admin_page(s: &AppState, sess: &Session, title: &str, inner: String, status: StatusCode) -> Response {
    let flash = sess
        .message()
        .map(|(err, text)| {
            format!("<p class=\"{}\" role=\"status\">{}</p>", if err { "error" } else { "ok" }, esc(text))
        })
        .unwrap_or_default();
    let body = format!(
        "<main class=\"desk admin\"><header class=\"bar\"><span class=\"station\">{}</span>{}<span class=\"who\">{} {}</span>{}</header>\
         <nav class=\"admin-parts\"><a href=\"/desk/admin/matters\">事项清单</a><a href=\"/desk/admin/people\">工作人员</a>\
         <a href=\"/desk/admin/duty\">AB岗与值班</a><a href=\"/desk/admin/pads\">评价器</a><a href=\"/desk/admin/holidays\">节假日</a><a href=\"/desk/admin/settings\">站点设置</a><a href=\"/desk/admin/reports\">报表</a><a href=\"/desk/admin/wallchart\">公示栏</a><a href=\"/desk/admin/audit\">审计日志</a></nav>{flash}<h1>{}</h1>{inner}</main>",
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
    match admin_session(&s, &headers).await {
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
    let sess = match admin_session(&s, &headers).await {
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
                // First the changes and a note, as for a publish: nothing changes on one click.
                format!(
                    "<a class=\"button\" href=\"/desk/admin/matters/rollback?version={}\">回滚到这一版…</a>",
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
         <label>选择文件 <input type=\"file\" id=\"matters-file\" data-into=\"matters-source\" accept=\".toml,text/plain\"></label>\
         <label>或粘贴内容<textarea name=\"source\" id=\"matters-source\" rows=\"10\" required></textarea></label>\
         <button class=\"primary\" type=\"submit\">检查并查看改动</button></form></section>\
         <section><h2>历次版本</h2><table class=\"cases\"><thead><tr><th>版本</th><th>发布时间</th><th>发布人</th><th>说明</th><th></th></tr></thead>\
         <tbody>{rows}</tbody></table></section><script src=\"/assets/admin.js\" defer></script>"
    );
    admin_page(&s, &sess, "事项清单", inner, StatusCode::OK)
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
            admin_page(&s, &sess, "核对改动", inner, StatusCode::OK)
        }
        Ok(Err(CatalogError::Invalid(errs))) => {
            let items: String = errs.0.iter().map(|e| format!("<li>{}</li>", esc(&e.to_string()))).collect();
            let inner = format!(
                "<p class=\"error\">文件有 {} 处错误，没有发布。请按行号改好后重新上传：</p><ul class=\"errors\">{items}</ul>\
                 <p><a href=\"/desk/admin/matters\">返回</a></p>",
                errs.0.len()
            );
            admin_page(&s, &sess, "文件有错误", inner, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Ok(Err(e)) => admin_page(
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

/// 回滚到这一版…: what it would change, and the note and confirmation a publish asks for.
pub async fn rollback_review(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let sess = match admin_session(&s, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(version) = q.get("version").and_then(|v| v.trim().parse::<i64>().ok()) else {
        return super::html::bad_request("请选择版本。");
    };
    let csrf = hidden_csrf(&sess);
    match s.with_station(move |st| st.check_rollback(version)).await {
        Ok(Ok(c)) => {
            let confirm = if c.diff.is_empty() {
                "<p>这一版和现在使用的内容一样，不用回滚。</p>".to_string()
            } else {
                format!(
                    "<form method=\"post\" action=\"/desk/admin/matters/rollback\">{csrf}\
                     <input type=\"hidden\" name=\"version\" value=\"{version}\">\
                     <label>回滚说明（为什么回滚）<input name=\"note\" maxlength=\"200\" required></label>\
                     <button class=\"primary\" type=\"submit\">确认回滚：用第{version}版的内容发布为第{}版</button></form>",
                    c.live_version + 1
                )
            };
            let inner = format!(
                "<p>第{version}版：{} 个类别，{} 个事项。和现在使用的第{}版相比，回滚会：</p>{}{confirm}\
                 <p><a href=\"/desk/admin/matters\">不回滚，返回</a></p>",
                c.catalog.categories.len(),
                c.catalog.matters.len(),
                c.live_version,
                diff_html(&c.diff)
            );
            admin_page(&s, &sess, "核对回滚", inner, StatusCode::OK)
        }
        Ok(Err(e)) => admin_page(
            &s,
            &sess,
            "不能回滚",
            format!("<p class=\"error\">{}</p><p><a href=\"/desk/admin/matters\">返回</a></p>", esc(&e.to_string())),
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => unavailable(&e.0),
    }
}

pub async fn rollback(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (id, sess, f) = match admin_change(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(version) = f.get("version").and_then(|v| v.parse::<i64>().ok()) else {
        return super::html::bad_request("请选择版本。");
    };
    let note = f.get("note").map(|n| n.trim().to_string()).unwrap_or_default();
    if note.is_empty() {
        s.sessions().flash(&id, true, "回滚要写说明（为什么回滚），没有回滚。");
        return Redirect::to(&format!("/desk/admin/matters/rollback?version={version}")).into_response();
    }
    let who = sess.who.clone();
    match s.with_station(move |st| st.rollback_matters(&who, version, Some(&note))).await {
        Ok(Ok((v, _))) => s.sessions().flash(&id, false, format!("已回滚：第{v}版用第{version}版的内容")),
        Ok(Err(e)) => s.sessions().flash(&id, true, e.to_string()),
        Err(e) => return unavailable(&e.0),
    }
    Redirect::to("/desk/admin/matters").into_response()
}

pub async fn export(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = admin_session(&s, &headers).await {
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

fn act_form(csrf: &str, path: &str, action: &str, fields: &[(&str, String)], label: &str) -> String {
    let hidden: String =
        fields.iter().map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v))).collect();
    format!(
        "<form method=\"post\" action=\"{path}\" class=\"inline\">{csrf}<input type=\"hidden\" name=\"action\" value=\"{action}\">{hidden}\
         <button type=\"submit\">{}</button></form>",
        esc(label)
    )
}

/// 工作人员: add, disable/enable, role, a new PIN.
pub async fn people(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let sess = match admin_session(&s, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let list = match s.with_station(|st| st.staff_list()).await {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return unavailable(&e.to_string()),
        Err(e) => return unavailable(&e.0),
    };
    let csrf = hidden_csrf(&sess);
    let path = "/desk/admin/people/act";
    let rows: String = list
        .iter()
        .map(|m| {
            let no = vec![("no", m.no.clone())];
            let active = if m.active {
                act_form(&csrf, path, "disable", &no, "停用")
            } else {
                act_form(&csrf, path, "enable", &no, "启用")
            };
            let role = if m.role == "admin" {
                act_form(&csrf, path, "role-staff", &no, "改为工作人员")
            } else {
                act_form(&csrf, path, "role-admin", &no, "设为站长")
            };
            let pin = format!(
                "<form method=\"post\" action=\"{path}\" class=\"inline\">{csrf}<input type=\"hidden\" name=\"action\" value=\"pin\">\
                 <input type=\"hidden\" name=\"no\" value=\"{}\"><input name=\"pin\" type=\"password\" inputmode=\"numeric\" \
                 minlength=\"6\" maxlength=\"12\" placeholder=\"新密码（6位以上数字）\" aria-label=\"{} 的新密码\" required>\
                 <button type=\"submit\">重置密码</button></form>",
                esc(&m.no),
                esc(&m.no)
            );
            format!(
                "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{active} {role} {pin}</td></tr>",
                if m.active { "" } else { "u-paused" },
                esc(&m.no),
                esc(&m.name),
                role_words(&m.role),
                if m.active { "在用" } else { "已停用" },
            )
        })
        .collect();
    let inner = format!(
        "<table class=\"cases\"><thead><tr><th>工号</th><th>姓名</th><th>角色</th><th>状态</th><th></th></tr></thead><tbody>{rows}</tbody></table>\
         <section><h2>新增工作人员</h2><form method=\"post\" action=\"{path}\">{csrf}<input type=\"hidden\" name=\"action\" value=\"add\">\
         <label>工号 <input name=\"no\" maxlength=\"20\" required></label><label>姓名 <input name=\"name\" maxlength=\"20\" required></label>\
         <label>角色 <select name=\"role\"><option value=\"staff\">工作人员</option><option value=\"admin\">站长</option></select></label>\
         <label>初始密码（6位以上数字）<input name=\"pin\" type=\"password\" inputmode=\"numeric\" minlength=\"6\" maxlength=\"12\" required></label>\
         <button class=\"primary\" type=\"submit\">新增</button></form></section>"
    );
    admin_page(&s, &sess, "工作人员", inner, StatusCode::OK)
}

pub async fn people_act(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (id, sess, f) = match admin_change(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let who = sess.who.clone();
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let (action, no, name, role, pin) = (get("action"), get("no"), get("name"), get("role"), get("pin"));
    let r = s
        .with_station(move |st| match action.as_str() {
            "add" => st.admin_add_staff(&who, &no, &name, &role, &pin).map(|_| format!("已新增 {no} {name}")),
            "disable" => st.admin_set_active(&who, &no, false).map(|m| format!("{} {} 已停用", m.no, m.name)),
            "enable" => st.admin_set_active(&who, &no, true).map(|m| format!("{} {} 已启用", m.no, m.name)),
            "role-admin" => st.admin_set_role(&who, &no, "admin").map(|m| format!("{} {} 已设为站长", m.no, m.name)),
            "role-staff" => {
                st.admin_set_role(&who, &no, "staff").map(|m| format!("{} {} 已改为工作人员", m.no, m.name))
            }
            "pin" => st.admin_reset_pin(&who, &no, &pin).map(|m| format!("{} {} 的密码已重置", m.no, m.name)),
            _ => Err(crate::service::StaffError::Empty),
        })
        .await;
    match r {
        Ok(Ok(text)) => s.sessions().flash(&id, false, text),
        Ok(Err(e)) => s.sessions().flash(&id, true, e.to_string()),
        Err(e) => return unavailable(&e.0),
    }
    Redirect::to("/desk/admin/people").into_response()
}

use crate::domain::staff::{role_words, WEEKDAYS};

/// AB岗, days away (the next two weeks), the weekly rota and the windows' categories.
pub async fn duty(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let sess = match admin_session(&s, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = s
        .with_station(|st| {
            let today = st.clock.today();
            let until = today + chrono::Duration::days(13);
            Ok::<_, crate::service::StoreError>((
                st.staff_list()?,
                st.posts()?,
                st.away_between(today, until)?,
                st.rota()?,
                st.window_rules(),
                st.cfg.catalog.categories.iter().map(|c| (c.code.clone(), c.name.clone())).collect::<Vec<_>>(),
                today,
            ))
        })
        .await;
    let (staff, posts, away, rota, windows, categories, today) = match r {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return unavailable(&e.to_string()),
        Err(e) => return unavailable(&e.0),
    };
    let csrf = hidden_csrf(&sess);
    let path = "/desk/admin/duty/act";
    let active: Vec<_> = staff.iter().filter(|m| m.active).collect();
    let staff_opts = |sel: Option<&str>, none: bool| {
        let mut o = if none { "<option value=\"\">（无）</option>".to_string() } else { String::new() };
        for m in &active {
            let s = if sel == Some(m.no.as_str()) { " selected" } else { "" };
            o.push_str(&format!("<option value=\"{}\"{s}>{} {}</option>", esc(&m.no), esc(&m.no), esc(&m.name)));
        }
        o
    };
    let post_rows: String = posts
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&p.scope),
                esc(&p.a),
                esc(p.b.as_deref().unwrap_or("（无）")),
                act_form(&csrf, path, "post-remove", &[("scope", p.scope.clone())], "删除")
            )
        })
        .collect();
    let days: Vec<chrono::NaiveDate> = (0..14).map(|i| today + chrono::Duration::days(i)).collect();
    let head: String = days
        .iter()
        .map(|d| {
            format!(
                "<th>{}<br>{}</th>",
                d.format("%m-%d"),
                WEEKDAYS[chrono::Datelike::weekday(d).num_days_from_monday() as usize]
            )
        })
        .collect();
    let away_rows: String = active
        .iter()
        .map(|m| {
            let cells: String = days
                .iter()
                .map(|d| {
                    let is_away = away.iter().any(|(n, day)| n == &m.no && day == d);
                    format!(
                        "<td>{}</td>",
                        act_form(
                            &csrf,
                            path,
                            if is_away { "away-clear" } else { "away-set" },
                            &[("no", m.no.clone()), ("day", d.to_string())],
                            if is_away { "休" } else { "·" }
                        )
                    )
                })
                .collect();
            format!("<tr><th>{} {}</th>{cells}</tr>", esc(&m.no), esc(&m.name))
        })
        .collect();
    let rota_rows: String = active
        .iter()
        .map(|m| {
            let cells: String = (1..=7u32)
                .map(|wd| {
                    let on = rota.iter().any(|(d, n)| *d == wd && n == &m.no);
                    format!(
                        "<td>{}</td>",
                        act_form(
                            &csrf,
                            path,
                            if on { "rota-off" } else { "rota-on" },
                            &[("no", m.no.clone()), ("weekday", wd.to_string())],
                            if on { "值班" } else { "·" }
                        )
                    )
                })
                .collect();
            format!("<tr><th>{} {}</th>{cells}</tr>", esc(&m.no), esc(&m.name))
        })
        .collect();
    let window_rows: String = windows
        .iter()
        .map(|w| {
            let boxes: String = categories
                .iter()
                .map(|(c, n)| {
                    let on = w.categories.iter().any(|x| x == c);
                    format!(
                        "<label class=\"inline\"><input type=\"checkbox\" name=\"cat\" value=\"{}\"{}> {} {}</label>",
                        esc(c),
                        if on { " checked" } else { "" },
                        esc(c),
                        esc(n)
                    )
                })
                .collect();
            format!(
                "<form method=\"post\" action=\"{path}\" class=\"windowcats\">{csrf}<input type=\"hidden\" name=\"action\" value=\"window\">\
                 <input type=\"hidden\" name=\"window\" value=\"{}\"><b>{}号窗口</b> {boxes} <button type=\"submit\">保存</button>\
                 <small>一个都不选 = 叫所有类别</small></form>",
                w.number, w.number
            )
        })
        .collect();
    let scope_opts: String = categories
        .iter()
        .map(|(c, n)| format!("<option value=\"{}\">{} {}（类别）</option>", esc(c), esc(c), esc(n)))
        .collect();
    let rota_head: String = WEEKDAYS.iter().map(|d| format!("<th>{d}</th>")).collect();
    let inner = format!(
        "<section><h2>AB岗</h2><p>新的代办交给A岗；A岗当天不在时交给B岗；两人都不在会提醒安排顶岗。事项编号（如 C02）的设置优先于类别。</p>\
         <table class=\"cases\"><thead><tr><th>范围</th><th>A岗</th><th>B岗</th><th></th></tr></thead><tbody>{post_rows}</tbody></table>\
         <form method=\"post\" action=\"{path}\">{csrf}<input type=\"hidden\" name=\"action\" value=\"post-set\">\
         <label>范围 <select name=\"scope_cat\">{scope_opts}</select></label><label>或事项编号 <input name=\"scope\" maxlength=\"3\" placeholder=\"C02\"></label>\
         <label>A岗 <select name=\"a\">{}</select></label><label>B岗 <select name=\"b\">{}</select></label>\
         <button type=\"submit\">设置</button></form></section>\
         <section><h2>请假（今后两周，点一下切换）</h2><table class=\"grid\"><thead><tr><th></th>{head}</tr></thead><tbody>{away_rows}</tbody></table></section>\
         <section><h2>每周值班（村两委干部轮流坐班，自助终端首页显示当天值班人）</h2>\
         <table class=\"grid\"><thead><tr><th></th>{rota_head}</tr></thead><tbody>{rota_rows}</tbody></table></section>\
         <section><h2>窗口叫哪些类别的号</h2>{window_rows}</section>",
        staff_opts(None, false),
        staff_opts(None, true),
    );
    admin_page(&s, &sess, "AB岗与值班", inner, StatusCode::OK)
}

pub async fn duty_act(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (id, sess, _) = match admin_change(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    // Checkbox lists repeat a field: read the pairs in order.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let cats: Vec<String> = pairs.iter().filter(|(k, _)| k == "cat").map(|(_, v)| v.clone()).collect();
    let (action, no) = (get("action"), get("no"));
    let scope = if get("scope").trim().is_empty() { get("scope_cat") } else { get("scope") };
    let (a, b) = (get("a"), get("b"));
    let day = get("day").parse::<chrono::NaiveDate>().ok();
    let weekday = get("weekday").parse::<u32>().unwrap_or(0);
    let window = get("window").parse::<u32>().unwrap_or(0);
    let who = sess.who.clone();
    let r = s
        .with_station(move |st| match (action.as_str(), day) {
            ("post-set", _) => {
                let b = (!b.trim().is_empty()).then_some(b.as_str());
                st.admin_set_post(&who, &scope, &a, b).map(|sc| format!("已设置 {sc} 的AB岗"))
            }
            ("post-remove", _) => st.admin_remove_post(&who, &scope).map(|_| format!("已删除 {scope} 的AB岗")),
            ("away-set", Some(d)) => st.admin_set_away(&who, &no, d, true).map(|_| format!("{no} {d} 请假")),
            ("away-clear", Some(d)) => st.admin_set_away(&who, &no, d, false).map(|_| format!("{no} {d} 在岗")),
            ("rota-on", _) => st.admin_set_rota(&who, weekday, &no, true).map(|_| format!("{no} 加入值班")),
            ("rota-off", _) => st.admin_set_rota(&who, weekday, &no, false).map(|_| format!("{no} 移出值班")),
            ("window", _) => {
                st.admin_set_window_categories(&who, window, &cats).map(|_| format!("{window}号窗口已保存"))
            }
            _ => Err(crate::service::StaffError::Empty),
        })
        .await;
    match r {
        Ok(Ok(text)) => s.sessions().flash(&id, false, text),
        Ok(Err(e)) => s.sessions().flash(&id, true, e.to_string()),
        Err(e) => return unavailable(&e.0),
    }
    Redirect::to("/desk/admin/duty").into_response()
}

/// 评价器: the rating pads paired with each window, and pairing the device in hand.
pub async fn pads(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let sess = match admin_session(&s, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let list = match s.with_station(|st| st.pads()).await {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => return unavailable(&e.to_string()),
        Err(e) => return unavailable(&e.0),
    };
    let csrf = hidden_csrf(&sess);
    let tz = s.clock().tz();
    let when = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let windows: String = s
        .cfg()
        .station
        .windows
        .iter()
        .map(|w| {
            let paired: String = list
                .iter()
                .filter(|p| p.window == w.number)
                .map(|p| {
                    format!(
                        "<li>评价器 #{}：{} 由 {} 配对{}{} \
                         <form method=\"post\" action=\"/desk/admin/pads/revoke\" class=\"inline\">{csrf}\
                         <input type=\"hidden\" name=\"id\" value=\"{}\"><button type=\"submit\">取消配对</button></form></li>",
                        p.id,
                        when(p.paired_at),
                        esc(&p.paired_by),
                        p.origin.as_ref().map(|o| format!("（{}）", esc(o))).unwrap_or_default(),
                        p.last_seen.map(|t| format!("，最近使用 {}", when(t))).unwrap_or_default(),
                        p.id
                    )
                })
                .collect();
            format!(
                "<section><h2>{}</h2><ul class=\"list\">{}</ul>\
                 <form method=\"post\" action=\"/desk/admin/pads/pair\">{csrf}<input type=\"hidden\" name=\"window\" value=\"{}\">\
                 <button type=\"submit\">把这台设备配对为 {} 号窗口评价器</button></form></section>",
                esc(&w.name),
                if paired.is_empty() { "<li class=\"empty\">还没有配对的评价器</li>".to_string() } else { paired },
                w.number,
                w.number
            )
        })
        .collect();
    let inner = format!(
        "<p>评价器是窗口前给村民评价用的平板。只有配对过的设备，评价才算数（别的设备冒充评价会被拒绝）。\
         配对方法：在评价器平板上打开 /desk，用站长账号登录，到这一页点对应窗口的“把这台设备配对为…”。\
         配对后本设备自动签退，并打开该窗口的评价页面。设备丢失或更换时，点“取消配对”。</p>{windows}"
    );
    admin_page(&s, &sess, "评价器", inner, StatusCode::OK)
}

/// Pairs the device the station head is using with a window: it gets the pad's cookie,
/// the head's session on it ends, and it opens the window's pad.
pub async fn pads_pair(
    State(s): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (id, sess, f) = match admin_change(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(window) = f.get("window").and_then(|w| w.trim().parse::<u32>().ok()) else {
        return super::html::bad_request("请选择窗口。");
    };
    let who = sess.who.clone();
    let origin = peer.ip().to_string();
    match s.with_station(move |st| st.pair_pad(&who, window, Some(&origin))).await {
        Ok(Ok(token)) => {
            // The head's session does not stay on a tablet the villagers touch.
            s.sessions().end(&id);
            let mut r = Redirect::to(&format!("/pad/{window}")).into_response();
            let pad = format!(
                "{}={token}; HttpOnly; SameSite=Strict; Path=/pad; Max-Age=315360000",
                super::display::PAD_COOKIE
            );
            let desk = format!("{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", super::session::COOKIE);
            for c in [pad, desk] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    r.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            r
        }
        Ok(Err(e)) => {
            s.sessions().flash(&id, true, e.to_string());
            Redirect::to("/desk/admin/pads").into_response()
        }
        Err(e) => unavailable(&e.0),
    }
}

pub async fn pads_revoke(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (id, sess, f) = match admin_change(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(pad) = f.get("id").and_then(|w| w.trim().parse::<i64>().ok()) else {
        return super::html::bad_request("请选择评价器。");
    };
    let who = sess.who.clone();
    match s.with_station(move |st| st.revoke_pad(&who, pad)).await {
        Ok(Ok(w)) => s.sessions().flash(&id, false, format!("已取消 {w} 号窗口评价器 #{pad} 的配对")),
        Ok(Err(e)) => s.sessions().flash(&id, true, e.to_string()),
        Err(e) => return unavailable(&e.0),
    }
    Redirect::to("/desk/admin/pads").into_response()
}
