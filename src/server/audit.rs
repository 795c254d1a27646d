//! The audit log at the desk (审计日志, station head only): who did what, when, from which
//! PC; filtered by person, case or ticket, and date. Read-only: the trail is append-only.

use super::admin::{admin_page, admin_session};
use super::html::esc;
use super::public::unavailable;
use super::state::AppState;
use crate::service::{action_words, AuditFilter};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use std::collections::HashMap;

fn date(q: &HashMap<String, String>, k: &str) -> Result<Option<NaiveDate>, String> {
    match q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => s.parse().map(Some).map_err(|_| format!("日期“{s}”看不懂，请写成 2026-11-01 这样")),
        None => Ok(None),
    }
}

pub async fn page(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let sess = match admin_session(&s, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let (from, to) = match (date(&q, "from"), date(&q, "to")) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(m), _) | (_, Err(m)) => {
            return admin_page(
                &s,
                &sess,
                "审计日志",
                format!("<p class=\"error\">{}</p>", esc(&m)),
                StatusCode::BAD_REQUEST,
            )
        }
    };
    let filter = AuditFilter { staff: get("staff"), subject: get("subject"), from, to };
    let f2 = filter.clone();
    let tz = s.clock().tz();
    let found =
        s.with_station(move |st| Ok::<_, crate::service::StoreError>((st.audit_log(&f2)?, st.staff_list()?))).await;
    let (lines, people) = match found {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return unavailable(&e.to_string()),
        Err(e) => return unavailable(&e.0),
    };
    let name = |no: &str| {
        people.iter().find(|p| p.no == no).map(|p| format!("{no} {}", p.name)).unwrap_or_else(|| no.to_string())
    };
    let mut options = String::from("<option value=\"\">全部</option>");
    for p in &people {
        let sel = if filter.staff.as_deref() == Some(p.no.as_str()) { " selected" } else { "" };
        options.push_str(&format!("<option value=\"{}\"{sel}>{} {}</option>", esc(&p.no), esc(&p.no), esc(&p.name)));
    }
    let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let form = format!(
        "<form method=\"get\" action=\"/desk/admin/audit\" class=\"filters\">\
         <label>工作人员 <select name=\"staff\">{options}</select></label>\
         <label>代办编号或票号 <input name=\"subject\" value=\"{}\" size=\"12\"></label>\
         <label>从 <input type=\"date\" name=\"from\" value=\"{}\"></label>\
         <label>到 <input type=\"date\" name=\"to\" value=\"{}\"></label><button type=\"submit\">查找</button></form>",
        esc(filter.subject.as_deref().unwrap_or("")),
        show(filter.from),
        show(filter.to),
    );
    let rows: String = lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                l.at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S"),
                esc(&l.staff.as_deref().map(name).unwrap_or_else(|| "—".into())),
                esc(&action_words(&l.action)),
                esc(&l.subject),
                esc(&l.detail),
                esc(l.origin.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let count = if lines.len() >= 500 {
        "最近 500 条（请缩小范围）".to_string()
    } else {
        format!("共 {} 条", lines.len())
    };
    let inner = format!(
        "<p>每一次登录、叫号、代办办理、查看完整个人信息和管理修改都记在这里，只能查看，不能修改或删除。</p>{form}\
         <p class=\"count\">{count}</p><table class=\"cases audit\"><thead><tr><th>时间</th><th>工作人员</th><th>操作</th>\
         <th>对象</th><th>内容</th><th>来自</th></tr></thead><tbody>{rows}</tbody></table>"
    );
    admin_page(&s, &sess, "审计日志", inner, StatusCode::OK)
}
