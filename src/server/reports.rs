//! Reports at the desk (station head): any date range, the figures with charts drawn as
//! SVG on the page (no script, no library), and the CSV and PDF to download.

use super::access::{Head, PageError};
use super::audit::date;
use super::chrome::admin_page;
use super::chrome::filled;
use super::state::AppState;
use super::typed;
use crate::domain::report::{mins, pct, Labels, Report};
use crate::receipt::report::{chart_hours, staff_time_rows, ticket_rows, STAFF_TIME_HEAD, TICKET_HEAD};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use maud::{html, Markup};

const HERE: &str = "/desk/admin/reports";
const GOOD: &str = "#1E6B34";
const BAD: &str = "#A4161A";

/// A bar chart as inline SVG (presentation attributes only: the CSP allows no inline style).
pub fn svg_bars(title: &str, labels: &[String], values: &[f64], color: &str) -> Markup {
    svg_bars_each(title, labels, values, &vec![color; labels.len()])
}

/// [`svg_bars`] with a colour for each bar (好差评: the good ones green, 差评 red).
pub fn svg_bars_each(title: &str, labels: &[String], values: &[f64], colors: &[&str]) -> Markup {
    let (w, h, top, bottom) = (720.0_f64, 220.0_f64, 24.0_f64, 36.0_f64);
    let max = values.iter().cloned().fold(0.0_f64, f64::max).max(1e-9);
    let n = labels.len().max(1) as f64;
    let slot = (w - 20.0) / n;
    let bar = (slot * 0.7).clamp(1.0, 60.0);
    let base = h - bottom;
    let f1 = |x: f64| format!("{x:.1}");
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(title) {
                line x1="10" y1=(base) x2=(w - 10.0) y2=(base) stroke="#595959" {}
                @for (i, (label, v)) in labels.iter().zip(values).enumerate() {
                    @let bh = v / max * (base - top);
                    @let x = 10.0 + i as f64 * slot + (slot - bar) / 2.0;
                    @let value = if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") };
                    rect x=(f1(x)) y=(f1(base - bh)) width=(f1(bar)) height=(f1(bh)) fill=(colors.get(i).copied().unwrap_or("#595959")) {}
                    text x=(f1(x + bar / 2.0)) y=(f1(base - bh - 4.0)) font-size="12" text-anchor="middle" fill="#1A1A1A" { (value) }
                    text x=(f1(x + bar / 2.0)) y=(f1(base + 18.0)) font-size="12" text-anchor="middle" fill="#1A1A1A" { (label) }
                }
            }
        }
    }
}

fn table(caption: &str, head: &[&str], rows: &[Vec<String>]) -> Markup {
    html! {
        h2 { (caption) }
        table.cases {
            thead { tr { @for h in head { th { (h) } } } }
            tbody { @for r in rows { tr { @for c in r { td { (c) } } } } }
        }
    }
}

fn report_html(r: &Report, l: &Labels) -> Markup {
    let a = &r.all;
    let hours = chart_hours(r);
    let levels: Vec<String> = [tr!("非常满意"), tr!("满意"), tr!("基本满意"), tr!("不满意"), tr!("非常不满意")]
        .iter()
        .map(|s| s.to_string())
        .collect();
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
    let overdue: Vec<Vec<String>> = r
        .cases
        .overdue
        .iter()
        .map(|(t, m, due, days)| vec![t.clone(), m.clone(), due.to_string(), tr!("{} 天", days)])
        .collect();
    html! {
        section.figures {
            p {
                (filled(
                    tr!("取号 {} 人次 · 办结 {} · 过号 {}（过号率 {}）· 等候中位数 {} 分钟，P90 {} 分钟 · 平均办理 {} 分钟"),
                    &[
                        html! { b { (a.issued) } },
                        html! { b { (a.served) } },
                        html! { b { (a.no_show) } },
                        html! { (pct(a.no_show_rate())) },
                        html! { b { (mins(a.wait_median)) } },
                        html! { (mins(a.wait_p90)) },
                        html! { (mins(a.service_mean)) },
                    ],
                ))
            }
            p {
                (filled(
                    tr!("全程代办：新增 {} · 办结 {} · 按时率 {} · 目前超期 {}"),
                    &[
                        html! { b { (r.cases.opened) } },
                        html! { b { (r.cases.completed) } },
                        html! { b { (pct(r.cases.on_time_rate())) } },
                        html! { b { (r.cases.overdue.len()) } },
                    ],
                ))
            }
            p {
                (filled(
                    tr!("好差评 {} 次 · 满意率 {}"),
                    &[html! { b { (r.ratings.total()) } }, html! { b { (pct(r.ratings.satisfaction())) } }],
                ))
                @if r.assisted_ratings.total() > 0 {
                    " "
                    (filled(
                        tr!("（其中帮办 {} 次 · 满意率 {}）"),
                        &[
                            html! { b { (r.assisted_ratings.total()) } },
                            html! { b { (pct(r.assisted_ratings.satisfaction())) } },
                        ],
                    ))
                }
            }
        }
        (svg_bars(
            tr!("每小时取号人次"),
            &hours.clone().map(|x| tr!("{}时", x)).collect::<Vec<_>>(),
            &hours.map(|x| r.per_hour[x] as f64).collect::<Vec<_>>(),
            "#0B5CAD",
        ))
        (svg_bars(
            tr!("各类别取号人次"),
            &r.by_category.keys().map(|c| l.categories.get(c).cloned().unwrap_or_else(|| c.clone())).collect::<Vec<_>>(),
            &r.by_category.values().map(|f| f.issued as f64).collect::<Vec<_>>(),
            "#1E6B34",
        ))
        (svg_bars_each(
            tr!("好差评"),
            &levels,
            &r.ratings.counts.iter().rev().map(|n| *n as f64).collect::<Vec<_>>(),
            &[GOOD, GOOD, GOOD, BAD, BAD],
        ))
        (table(tr!("取号与办理"), &TICKET_HEAD, &ticket_rows(r, l)))
        (table(tr!("工作人员"), &[tr!("工作人员"), tr!("代办办结"), tr!("评价数"), tr!("满意率")], &staff))
        (table(tr!("工作人员用时（分钟）"), &STAFF_TIME_HEAD, &staff_time_rows(r, l)))
        @if !overdue.is_empty() { (table(tr!("超期代办"), &[tr!("编号"), tr!("事项"), tr!("承诺日期"), tr!("超期")], &overdue)) }
    }
}

/// The range asked for, ?from=&to= (by default this month up to today), and the file's
/// format.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Range {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    format: String,
}

impl Range {
    fn dates(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), String> {
        let first = today.with_day(1).unwrap_or(today);
        Ok((date(&self.from)?.unwrap_or(first), date(&self.to)?.unwrap_or(today)))
    }
}

pub async fn page(State(s): State<AppState>, Head(desk): Head, Query(q): Query<Range>) -> Result<Response, PageError> {
    let sess = &desk.sess;
    let (from, to) = match q.dates(s.clock().today()) {
        Ok(x) => x,
        Err(msg) => {
            return Ok(admin_page(&s, sess, HERE, tr!("报表"), html! { p.error { (msg) } }, StatusCode::BAD_REQUEST))
        }
    };
    let form = html! {
        form.filters method="get" action=(HERE) {
            label { (tr!("从 ")) input type="date" name="from" value=(from); }
            label { (tr!("到 ")) input type="date" name="to" value=(to); }
            button type="submit" { (tr!("统计")) }
            a href={ "/desk/admin/reports/file?from=" (from) "&to=" (to) "&format=pdf" } { (tr!("下载月报（PDF）")) }
            a href={ "/desk/admin/reports/file?from=" (from) "&to=" (to) "&format=csv" } { (tr!("下载表格（Excel CSV）")) }
        }
    };
    let (inner, status) = match s.call(move |st| st.report(from, to)).await? {
        Ok((r, l)) => (html! { (form) (report_html(&r, &l)) }, StatusCode::OK),
        Err(words) => (html! { (form) p.error { (words) } }, StatusCode::BAD_REQUEST),
    };
    Ok(admin_page(&s, sess, HERE, tr!("报表"), inner, status))
}

fn attachment(mut r: Response, name: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

pub async fn file(State(s): State<AppState>, _: Head, Query(q): Query<Range>) -> Result<Response, PageError> {
    let (from, to) = q.dates(s.clock().today()).map_err(|m| PageError::Refused(StatusCode::BAD_REQUEST, m))?;
    let pdf = match q.format.as_str() {
        "pdf" => true,
        "csv" | "" => false,
        other => {
            let why = tr!("没有“{}”这种格式：请选 PDF 或 CSV", other);
            return Err(PageError::Refused(StatusCode::BAD_REQUEST, why));
        }
    };
    let bytes = s
        .call(move |st| if pdf { st.report_pdf(from, to) } else { st.report_csv(from, to) })
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let (ty, ext) = if pdf { ("application/pdf", "pdf") } else { ("text/csv; charset=utf-8", "csv") };
    Ok(attachment(typed(StatusCode::OK, ty, bytes), &format!("report-{from}-{to}.{ext}")))
}

/// The 公示栏 sheets to print.
pub async fn wall(State(s): State<AppState>, Head(desk): Head) -> Response {
    let inner = html! {
        p { (tr!("打印出来贴在服务站的公示栏。工作人员姓名印全名（公职人员），不含任何村民信息。")) }
        ul.list {
            li { a href="/desk/admin/wallchart/file?part=matters" { (tr!("便民服务事项清单（PDF）")) } }
            li { a href="/desk/admin/wallchart/file?part=rules" { (tr!("工作制度（PDF）")) } }
            li { a href="/desk/admin/wallchart/file?part=rota" { (tr!("本周值班和AB岗安排（PDF）")) } }
            li { a href="/desk/admin/wallchart/file" { (tr!("全部三张（PDF）")) } }
            li { a href="/desk/admin/wallchart/file?part=rating-form" { (tr!("空白书面评价表（PDF，给没有评价器时用）")) } }
        }
    };
    admin_page(&s, &desk.sess, "/desk/admin/wallchart", tr!("公示栏"), inner, StatusCode::OK)
}

/// Which 公示栏 sheet (none: all three).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Sheet {
    part: Option<String>,
}

pub async fn wall_file(State(s): State<AppState>, _: Head, Query(q): Query<Sheet>) -> Result<Response, PageError> {
    let parts: Vec<crate::service::WallPart> = match q.part.as_deref() {
        Some(p) => match crate::service::WallPart::from_key(p) {
            Some(x) => vec![x],
            None => {
                return Err(PageError::Refused(
                    StatusCode::BAD_REQUEST,
                    tr!("没有这一张：请选 matters、rules、rota 或 rating-form。").into(),
                ))
            }
        },
        None => Vec::new(),
    };
    let name = q.part.clone().unwrap_or_else(|| "all".into());
    let bytes =
        s.call(move |st| st.wallchart(&parts)).await?.map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    Ok(attachment(typed(StatusCode::OK, "application/pdf", bytes), &format!("wallchart-{name}.pdf")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ratings_are_not_drawn_in_the_good_ones_green() {
        let labels: Vec<String> =
            ["非常满意", "满意", "基本满意", "不满意", "非常不满意"].iter().map(|s| s.to_string()).collect();
        let svg =
            svg_bars_each("好差评", &labels, &[5.0, 4.0, 3.0, 2.0, 1.0], &[GOOD, GOOD, GOOD, BAD, BAD]).into_string();
        assert_eq!(svg.matches("fill=\"#1E6B34\"").count(), 3);
        assert_eq!(svg.matches("fill=\"#A4161A\"").count(), 2);
    }
}
