//! The audit log at the desk (审计日志, station head only): who did what, when, from which
//! PC; filtered by person, case or ticket, and date. Read-only: the trail is append-only.

use super::access::{Head, PageError};
use super::chrome::admin_page;
use super::state::AppState;
use crate::service::{action_words, AuditFilter};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use maud::html;

const HERE: &str = "/desk/admin/audit";

/// The filters, as typed.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Search {
    #[serde(default)]
    staff: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// A date typed in a filter: empty is none; otherwise it must be a date.
pub fn date(typed: &str) -> Result<Option<NaiveDate>, String> {
    match typed.trim() {
        "" => Ok(None),
        s => s.parse().map(Some).map_err(|_| tr!("日期“{}”看不懂，请写成 2026-11-01 这样", s)),
    }
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub async fn page(State(s): State<AppState>, Head(desk): Head, Query(q): Query<Search>) -> Result<Response, PageError> {
    let sess = &desk.sess;
    let (from, to) = match (date(&q.from), date(&q.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(m), _) | (_, Err(m)) => {
            return Ok(admin_page(&s, sess, HERE, tr!("审计日志"), html! { p.error { (m) } }, StatusCode::BAD_REQUEST))
        }
    };
    let filter = AuditFilter { staff: some(&q.staff), subject: some(&q.subject), from, to };
    let f2 = filter.clone();
    let tz = s.clock().tz();
    let (lines, people) = s
        .call(move |st| Ok::<_, crate::service::StoreError>((st.audit_log(&f2)?, st.staff_list()?)))
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let name = |no: &str| {
        people.iter().find(|p| p.no == no).map(|p| format!("{no} {}", p.name)).unwrap_or_else(|| no.to_string())
    };
    let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let inner = html! {
        p { (tr!("每一次登录、叫号、代办办理、查看完整个人信息和管理修改都记在这里，只能查看，不能修改或删除。")) }
        form.filters method="get" action=(HERE) {
            label {
                (tr!("工作人员 "))
                select name="staff" {
                    option value="" { (tr!("全部")) }
                    @for p in &people {
                        option value=(p.no) selected[filter.staff.as_deref() == Some(p.no.as_str())] { (p.no) " " (p.name) }
                    }
                }
            }
            label { (tr!("代办编号或票号 ")) input name="subject" value=(filter.subject.as_deref().unwrap_or("")) size="12"; }
            label { (tr!("从 ")) input type="date" name="from" value=(show(filter.from)); }
            label { (tr!("到 ")) input type="date" name="to" value=(show(filter.to)); }
            button type="submit" { (tr!("查找")) }
        }
        p.count {
            @if lines.len() >= 500 { (tr!("最近 500 条（请缩小范围）")) } @else { (tr!("共 {} 条", lines.len())) }
        }
        table.cases.audit {
            thead { tr { th { (tr!("时间")) } th { (tr!("工作人员")) } th { (tr!("操作")) } th { (tr!("对象")) } th { (tr!("内容")) } th { (tr!("来自")) } } }
            tbody {
                @for l in &lines {
                    tr {
                        td { (l.at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S")) }
                        td { (l.staff.as_deref().map(name).unwrap_or_else(|| "—".into())) }
                        td { (action_words(&l.action)) }
                        td { (l.subject) }
                        td { (l.detail) }
                        td { (l.origin.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    };
    Ok(admin_page(&s, sess, HERE, tr!("审计日志"), inner, StatusCode::OK))
}
