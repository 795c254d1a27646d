//! 节假日 in 站务管理 (station head): the years the calendar knows, the warning while next
//! year is missing, and the import — by a form (dates and ranges) or a TOML file — with the
//! errors named and the text kept, and the due dates it moved listed.

use super::access::{Checked, Head, PageError};
use super::chrome::{admin_page, csrf};
use super::session::Session;
use super::state::AppState;
use crate::service::{holidays_form_toml, HolidayImport, HolidayYear, HolidaysError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::html;

const HERE: &str = "/desk/admin/holidays";

/// Days as short runs: 01-01、02-15至02-23.
fn runs(days: &[NaiveDate]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + chrono::Duration::days(1) {
            j += 1;
        }
        let f = |d: NaiveDate| d.format("%m-%d").to_string();
        out.push(if i == j { f(days[i]) } else { tr!("{}至{}", f(days[i]), f(days[j])) });
        i = j + 1;
    }
    if out.is_empty() {
        "—".into()
    } else {
        out.join("、")
    }
}

/// An import as posted (and as typed, shown again when it has errors): by the form
/// (`mode=form`: the year and the dates) or a TOML file (`mode=toml`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Import {
    #[serde(default)]
    mode: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    holidays: String,
    #[serde(default)]
    workdays: String,
    #[serde(default)]
    source: String,
}

fn render(
    s: &AppState,
    sess: &Session,
    years: &[HolidayYear],
    notice: Option<String>,
    typed: &Import,
    errors: Option<&str>,
) -> Response {
    let tz = s.clock().tz();
    let town = s.cfg().join.as_ref().map(|j| j.town.clone());
    let inner = html! {
        @if let Some(t) = &town {
            p.notice { (tr!("由镇中心统一发布：本站已加入{}，节假日安排由镇中心发布，各站自动导入；本站不能自己导入。", t)) }
        }
        p {
            (tr!("代办的承诺办结日期按工作日计算：跳过周末和法定节假日，调休的周六、周日算上班。"))
            (tr!("国务院办公厅每年冬天公布下一年的安排，公布后在这里导入；已受理的代办中承诺日期标“未含明年节假日”的，会按新安排重算并记在该代办的记录里。"))
        }
        @if let Some(n) = &notice { p.notice { (crate::lang::sentence(n)) } }
        @if let Some(e) = errors {
            h2.error { (tr!("没有导入：请改正下面的问题")) }
            ul.errors { @for l in e.lines() { li { (l) } } }
        }
        section {
            h2 { (tr!("已有的年份")) }
            table.cases.years {
                thead { tr { th { (tr!("年份")) } th { (tr!("放假")) } th { (tr!("调休上班")) } th { (tr!("来源")) } } }
                tbody {
                    @for y in years {
                        tr {
                            td { (y.year) (tr!("年")) }
                            td { (y.holidays.len()) (tr!(" 天：")) (runs(&y.holidays)) }
                            td { (y.workdays.len()) (tr!(" 天：")) (runs(&y.workdays)) }
                            td {
                                @match &y.imported {
                                    Some((at, staff)) => { (at.with_timezone(&tz).format("%Y-%m-%d")) (tr!(" 由 ")) (staff.as_deref().unwrap_or("—")) (tr!(" 导入")) },
                                    None => (tr!("随软件提供（holidays.toml）")),
                                }
                            }
                        }
                    }
                }
            }
        }
        // A joined station takes the town's calendar: no import here (the service refuses it too).
        @if town.is_none() { section {
            h2 { (tr!("按通知填写")) }
            form.holidays method="post" action="/desk/admin/holidays/import" {
                (csrf(sess))
                input type="hidden" name="mode" value="form";
                label { (tr!("年份 ")) input name="year" value=(typed.year) inputmode="numeric" size="6" required; }
                label {
                    (tr!("放假日期（含周末；一段连休写成 2027-02-06~2027-02-12，用逗号或换行隔开）"))
                    textarea name="holidays" rows="4" { (typed.holidays) }
                }
                label { (tr!("调休上班日期（要上班的周六、周日）")) textarea name="workdays" rows="2" { (typed.workdays) } }
                button.primary type="submit" { (tr!("导入")) }
            }
        }
        section {
            h2 { (tr!("或导入 TOML 文件")) }
            form method="post" action="/desk/admin/holidays/import" {
                (csrf(sess))
                input type="hidden" name="mode" value="toml";
                label { (tr!("选择文件 ")) input type="file" data-into="holidays-source" accept=".toml,text/plain"; }
                label { (tr!("或粘贴内容（格式同 holidays.toml）")) textarea name="source" id="holidays-source" rows="8" { (typed.source) } }
                button.primary type="submit" { (tr!("导入")) }
            }
        } }
        script src="/assets/admin.js" defer {}
    };
    let status = if errors.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    admin_page(s, sess, HERE, tr!("节假日"), inner, status)
}

pub async fn page(State(s): State<AppState>, Head(desk): Head) -> Result<Response, PageError> {
    let (years, notice, today) = s
        .call(|st| Ok::<_, crate::service::StoreError>((st.holiday_years()?, st.holidays_notice(), st.clock.today())))
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let next = chrono::Datelike::year(&today) + 1;
    let typed = Import { year: next.to_string(), ..Import::default() };
    Ok(render(&s, &desk.sess, &years, notice, &typed, None))
}

pub async fn import(
    State(s): State<AppState>,
    Head(desk): Head,
    Checked(typed): Checked<Import>,
) -> Result<Response, PageError> {
    let (file, src) = if typed.mode == "form" {
        (tr!("表单").to_string(), holidays_form_toml(&typed.year, &typed.holidays, &typed.workdays))
    } else {
        (tr!("上传的文件").to_string(), Ok(typed.source.clone()))
    };
    let who = desk.sess.who.clone();
    let (done, years, notice) = s
        .with_station(move |st| {
            let done = src.and_then(|src| st.import_holidays(&who, &file, &src));
            (done, st.holiday_years(), st.holidays_notice())
        })
        .await?;
    let years = years.map_err(|e| PageError::Fault(e.to_string()))?;
    match done {
        Ok(HolidayImport { years: imported, recomputed }) => {
            let mut text = imported
                .iter()
                .map(|y| tr!("已导入{}年：放假 {} 天、调休上班 {} 天", y.year, y.holidays, y.workdays))
                .collect::<Vec<_>>()
                .join("；");
            text.push_str(&tr!("；重算 {} 件代办的承诺日期", recomputed.len()));
            for c in recomputed.iter().take(20) {
                text.push_str(&format!("（{} {} → {}）", c.tracking, c.from, c.to));
            }
            desk.flash(&s, false, text);
            Ok(Redirect::to(HERE).into_response())
        }
        Err(HolidaysError::Invalid(errs)) => {
            Ok(render(&s, &desk.sess, &years, notice, &typed, Some(&errs.to_string())))
        }
        Err(e) => Err(PageError::from_service(&e, StatusCode::FORBIDDEN)),
    }
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn days_read_as_runs() {
        let d = |s: &str| s.parse().unwrap();
        assert_eq!(runs(&[d("2027-01-01"), d("2027-02-06"), d("2027-02-07"), d("2027-02-08")]), "01-01、02-06至02-08");
        assert_eq!(runs(&[]), "—");
    }
}
