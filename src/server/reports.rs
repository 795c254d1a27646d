//! Reports at the desk (station head): any date range, the figures with charts drawn as
//! SVG on the page (no script, no library), and the CSV and PDF to download.

use super::admin::{admin_page, admin_session};
use super::html::esc;
use super::public::unavailable;
use super::state::AppState;
use super::typed;
use crate::domain::report::{mins, pct, Labels, Report};
use crate::receipt::report::{chart_hours, ticket_rows, TICKET_HEAD};
use crate::service::ReportError;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;

/// A bar chart as inline SVG (presentation attributes only: the CSP allows no inline style).
pub fn svg_bars(title: &str, labels: &[String], values: &[f64], color: &str) -> String {
    svg_bars_each(title, labels, values, &vec![color; labels.len()])
}

/// [`svg_bars`] with a colour for each bar (好差评: the good ones green, 差评 red).
pub fn svg_bars_each(title: &str, labels: &[String], values: &[f64], colors: &[&str]) -> String {
    let (w, h, top, bottom) = (720.0_f64, 220.0_f64, 24.0_f64, 36.0_f64);
    let max = values.iter().cloned().fold(0.0_f64, f64::max).max(1e-9);
    let n = labels.len().max(1) as f64;
    let slot = (w - 20.0) / n;
    let bar = (slot * 0.7).clamp(1.0, 60.0);
    let mut s = format!(
        "<figure class=\"chart\"><figcaption>{}</figcaption><svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">",
        esc(title),
        esc(title)
    );
    let base = h - bottom;
    s.push_str(&format!("<line x1=\"10\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#595959\"/>", w - 10.0));
    for (i, (label, v)) in labels.iter().zip(values).enumerate() {
        let bh = v / max * (base - top);
        let x = 10.0 + i as f64 * slot + (slot - bar) / 2.0;
        let value = if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") };
        let color = colors.get(i).copied().unwrap_or("#595959");
        s.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#1A1A1A\">{value}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#1A1A1A\">{}</text>",
            base - bh,
            x + bar / 2.0,
            base - bh - 4.0,
            x + bar / 2.0,
            base + 18.0,
            esc(label)
        ));
    }
    s.push_str("</svg></figure>");
    s
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let th: String = head.iter().map(|h| format!("<th>{}</th>", esc(h))).collect();
    let body: String = rows
        .iter()
        .map(|r| format!("<tr>{}</tr>", r.iter().map(|c| format!("<td>{}</td>", esc(c))).collect::<String>()))
        .collect();
    format!("<table class=\"cases\"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>")
}

fn report_html(r: &Report, l: &Labels) -> String {
    let a = &r.all;
    let mut h = format!(
        "<section class=\"figures\"><p>取号 <b>{}</b> 人次 · 办结 <b>{}</b> · 过号 <b>{}</b>（过号率 {}）· 等候中位数 <b>{}</b> 分钟，P90 {} 分钟 · \
         平均办理 {} 分钟</p><p>全程代办：新增 <b>{}</b> · 办结 <b>{}</b> · 按时率 <b>{}</b> · 目前超期 <b>{}</b></p>\
         <p>好差评 <b>{}</b> 次 · 满意率 <b>{}</b></p></section>",
        a.issued,
        a.served,
        a.no_show,
        pct(a.no_show_rate()),
        mins(a.wait_median),
        mins(a.wait_p90),
        mins(a.service_mean),
        r.cases.opened,
        r.cases.completed,
        pct(r.cases.on_time_rate()),
        r.cases.overdue.len(),
        r.ratings.total(),
        pct(r.ratings.satisfaction()),
    );
    let hours = chart_hours(r);
    h.push_str(&svg_bars(
        "每小时取号人次",
        &hours.clone().map(|x| format!("{x}时")).collect::<Vec<_>>(),
        &hours.map(|x| r.per_hour[x] as f64).collect::<Vec<_>>(),
        "#0B5CAD",
    ));
    h.push_str(&svg_bars(
        "各类别取号人次",
        &r.by_category.keys().map(|c| l.categories.get(c).cloned().unwrap_or_else(|| c.clone())).collect::<Vec<_>>(),
        &r.by_category.values().map(|f| f.issued as f64).collect::<Vec<_>>(),
        "#1E6B34",
    ));
    let levels = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];
    h.push_str(&svg_bars_each(
        "好差评",
        &levels.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        &r.ratings.counts.iter().rev().map(|n| *n as f64).collect::<Vec<_>>(),
        &["#1E6B34", "#1E6B34", "#1E6B34", "#A4161A", "#A4161A"],
    ));
    h.push_str("<h2>取号与办理</h2>");
    h.push_str(&table(&TICKET_HEAD, &ticket_rows(r, l)));
    h.push_str("<h2>工作人员</h2>");
    let staff: Vec<Vec<String>> = r
        .by_staff
        .iter()
        .map(|(s, f)| {
            vec![
                l.staff(s),
                f.cases_completed.to_string(),
                f.ratings.total().to_string(),
                pct(f.ratings.satisfaction()),
            ]
        })
        .collect();
    h.push_str(&table(&["工作人员", "代办办结", "评价数", "满意率"], &staff));
    if !r.cases.overdue.is_empty() {
        h.push_str("<h2>超期代办</h2>");
        let rows: Vec<Vec<String>> = r
            .cases
            .overdue
            .iter()
            .map(|(t, m, due, days)| vec![t.clone(), m.clone(), due.to_string(), format!("{days} 天")])
            .collect();
        h.push_str(&table(&["编号", "事项", "承诺日期", "超期"], &rows));
    }
    h
}

/// The range asked for: ?from=&to=, by default this month up to today.
fn range(q: &HashMap<String, String>, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), String> {
    let parse = |k: &str, default: NaiveDate| match q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => s.parse::<NaiveDate>().map_err(|_| format!("日期“{s}”看不懂，请写成 2026-11-01 这样")),
        None => Ok(default),
    };
    let first = today.with_day(1).unwrap_or(today);
    Ok((parse("from", first)?, parse("to", today)?))
}

pub async fn page(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let sess = match admin_session(&s, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let today = s.clock().today();
    let (from, to) = match range(&q, today) {
        Ok(x) => x,
        Err(msg) => {
            return admin_page(
                &s,
                &sess,
                "报表",
                format!("<p class=\"error\">{}</p>", esc(&msg)),
                StatusCode::BAD_REQUEST,
            )
        }
    };
    let form = format!(
        "<form method=\"get\" action=\"/desk/admin/reports\" class=\"filters\"><label>从 <input type=\"date\" name=\"from\" value=\"{from}\"></label>\
         <label>到 <input type=\"date\" name=\"to\" value=\"{to}\"></label><button type=\"submit\">统计</button>\
         <a href=\"/desk/admin/reports/file?from={from}&amp;to={to}&amp;format=pdf\">下载月报（PDF）</a>\
         <a href=\"/desk/admin/reports/file?from={from}&amp;to={to}&amp;format=csv\">下载表格（Excel CSV）</a></form>"
    );
    match s.with_station(move |st| st.report(from, to)).await {
        Ok(Ok((r, l))) => admin_page(&s, &sess, "报表", format!("{form}{}", report_html(&r, &l)), StatusCode::OK),
        Ok(Err(e @ (ReportError::Backwards(..) | ReportError::TooLong))) => admin_page(
            &s,
            &sess,
            "报表",
            format!("{form}<p class=\"error\">{}</p>", esc(&e.to_string())),
            StatusCode::BAD_REQUEST,
        ),
        Ok(Err(e)) => unavailable(&e.to_string()),
        Err(e) => unavailable(&e.0),
    }
}

pub async fn file(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = admin_session(&s, &headers).await {
        return r;
    }
    let today = s.clock().today();
    let (from, to) = match range(&q, today) {
        Ok(x) => x,
        Err(msg) => return super::html::bad_request(&msg),
    };
    let pdf = q.get("format").map(String::as_str) == Some("pdf");
    let r = s.with_station(move |st| if pdf { st.report_pdf(from, to) } else { st.report_csv(from, to) }).await;
    match r {
        Ok(Ok(bytes)) => {
            let (ty, ext) = if pdf { ("application/pdf", "pdf") } else { ("text/csv; charset=utf-8", "csv") };
            let mut res = typed(StatusCode::OK, ty, bytes);
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"report-{from}-{to}.{ext}\"")) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Ok(Err(e @ (ReportError::Backwards(..) | ReportError::TooLong))) => super::html::bad_request(&e.to_string()),
        Ok(Err(e)) => unavailable(&e.to_string()),
        Err(e) => unavailable(&e.0),
    }
}

/// The 公示栏 sheets to print.
pub async fn wall(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let sess = match admin_session(&s, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let inner = "<p>打印出来贴在服务站的公示栏。工作人员姓名印全名（公职人员），不含任何村民信息。</p>\
         <ul class=\"list\"><li><a href=\"/desk/admin/wallchart/file?part=matters\">便民服务事项清单（PDF）</a></li>\
         <li><a href=\"/desk/admin/wallchart/file?part=rules\">工作制度（PDF）</a></li>\
         <li><a href=\"/desk/admin/wallchart/file?part=rota\">本周值班和AB岗安排（PDF）</a></li>\
         <li><a href=\"/desk/admin/wallchart/file\">全部三张（PDF）</a></li></ul>"
        .to_string();
    admin_page(&s, &sess, "公示栏", inner, StatusCode::OK)
}

pub async fn wall_file(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = admin_session(&s, &headers).await {
        return r;
    }
    let parts: Vec<crate::service::WallPart> = match q.get("part") {
        Some(p) => match crate::service::WallPart::from_key(p) {
            Some(x) => vec![x],
            None => return super::html::bad_request("没有这一张：请选 matters、rules 或 rota。"),
        },
        None => Vec::new(),
    };
    let name = q.get("part").cloned().unwrap_or_else(|| "all".into());
    match s.with_station(move |st| st.wallchart(&parts)).await {
        Ok(Ok(bytes)) => {
            let mut res = typed(StatusCode::OK, "application/pdf", bytes);
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"wallchart-{name}.pdf\"")) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Ok(Err(e)) => unavailable(&e.to_string()),
        Err(e) => unavailable(&e.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ratings_are_not_drawn_in_the_good_ones_green() {
        let labels: Vec<String> =
            ["非常满意", "满意", "基本满意", "不满意", "非常不满意"].iter().map(|s| s.to_string()).collect();
        let svg = svg_bars_each(
            "好差评",
            &labels,
            &[5.0, 4.0, 3.0, 2.0, 1.0],
            &["#1E6B34", "#1E6B34", "#1E6B34", "#A4161A", "#A4161A"],
        );
        assert_eq!(svg.matches("fill=\"#1E6B34\"").count(), 3);
        assert_eq!(svg.matches("fill=\"#A4161A\"").count(), 2);
    }
}
