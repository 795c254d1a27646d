//! 节假日 at the desk (station head): the years the calendar knows, the warning while next
//! year is missing, and the import — by a form (dates and ranges) or a TOML file — with the
//! errors named and the text kept, and the due dates it moved listed.

use super::admin::{admin_change, admin_page, admin_session};
use super::desk::hidden_csrf;
use super::html::esc;
use super::public::unavailable;
use super::session::Session;
use super::state::AppState;
use crate::service::{holidays_form_toml, CalendarError, CalendarYear, HolidayImport};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;

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
        out.push(if i == j { f(days[i]) } else { format!("{}至{}", f(days[i]), f(days[j])) });
        i = j + 1;
    }
    if out.is_empty() {
        "—".into()
    } else {
        out.join("、")
    }
}

struct Typed {
    year: String,
    holidays: String,
    workdays: String,
    source: String,
}

fn render(
    s: &AppState,
    sess: &Session,
    years: &[CalendarYear],
    notice: Option<String>,
    typed: &Typed,
    errors: Option<&str>,
) -> Response {
    let csrf = hidden_csrf(sess);
    let tz = s.clock().tz();
    let rows: String = years
        .iter()
        .map(|y| {
            let from = match &y.imported {
                Some((at, staff)) => {
                    format!("{} 由 {} 导入", at.with_timezone(&tz).format("%Y-%m-%d"), staff.as_deref().unwrap_or("—"))
                }
                None => "随软件提供（holidays.toml）".into(),
            };
            format!(
                "<tr><td>{}年</td><td>{} 天：{}</td><td>{} 天：{}</td><td>{}</td></tr>",
                y.year,
                y.holidays.len(),
                esc(&runs(&y.holidays)),
                y.workdays.len(),
                esc(&runs(&y.workdays)),
                esc(&from)
            )
        })
        .collect();
    let notice = notice.map(|n| format!("<p class=\"notice\">{}</p>", esc(&n))).unwrap_or_default();
    let errors = errors
        .map(|e| {
            let items: String = e.lines().map(|l| format!("<li>{}</li>", esc(l))).collect();
            format!("<h2 class=\"error\">没有导入：请改正下面的问题</h2><ul class=\"errors\">{items}</ul>")
        })
        .unwrap_or_default();
    let inner = format!(
        "<p>代办的承诺办结日期按工作日计算：跳过周末和法定节假日，调休的周六、周日算上班。\
         国务院办公厅每年冬天公布下一年的安排，公布后在这里导入；已受理的代办中承诺日期标“未含明年节假日”的，会按新安排重算并记在该代办的记录里。</p>\
         {notice}{errors}\
         <section><h2>已有的年份</h2><table class=\"cases years\"><thead><tr><th>年份</th><th>放假</th><th>调休上班</th><th>来源</th></tr></thead>\
         <tbody>{rows}</tbody></table></section>\
         <section><h2>按通知填写</h2><form method=\"post\" action=\"/desk/admin/holidays/import\" class=\"holidays\">{csrf}\
         <input type=\"hidden\" name=\"mode\" value=\"form\">\
         <label>年份 <input name=\"year\" value=\"{}\" inputmode=\"numeric\" size=\"6\" required></label>\
         <label>放假日期（含周末；一段连休写成 2027-02-06~2027-02-12，用逗号或换行隔开）<textarea name=\"holidays\" rows=\"4\">{}</textarea></label>\
         <label>调休上班日期（要上班的周六、周日）<textarea name=\"workdays\" rows=\"2\">{}</textarea></label>\
         <button class=\"primary\" type=\"submit\">导入</button></form></section>\
         <section><h2>或导入 TOML 文件</h2><form method=\"post\" action=\"/desk/admin/holidays/import\">{csrf}\
         <input type=\"hidden\" name=\"mode\" value=\"toml\">\
         <label>选择文件 <input type=\"file\" data-into=\"holidays-source\" accept=\".toml,text/plain\"></label>\
         <label>或粘贴内容（格式同 holidays.toml）<textarea name=\"source\" id=\"holidays-source\" rows=\"8\">{}</textarea></label>\
         <button class=\"primary\" type=\"submit\">导入</button></form></section><script src=\"/assets/admin.js\" defer></script>",
        esc(&typed.year),
        esc(&typed.holidays),
        esc(&typed.workdays),
        esc(&typed.source),
    );
    admin_page(s, sess, "节假日", inner, if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST })
}

pub async fn page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let sess = match admin_session(&s, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let found = s
        .with_station(|st| {
            Ok::<_, crate::service::StoreError>((st.calendar_years()?, st.calendar_notice(), st.clock.today()))
        })
        .await;
    let (years, notice, today) = match found {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return unavailable(&e.to_string()),
        Err(e) => return unavailable(&e.0),
    };
    let next = chrono::Datelike::year(&today) + 1;
    let typed =
        Typed { year: next.to_string(), holidays: String::new(), workdays: String::new(), source: String::new() };
    render(&s, &sess, &years, notice, &typed, None)
}

pub async fn import(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (id, sess, f) = match admin_change(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let typed =
        Typed { year: get("year"), holidays: get("holidays"), workdays: get("workdays"), source: get("source") };
    let (file, src) = if get("mode") == "form" {
        match holidays_form_toml(&typed.year, &typed.holidays, &typed.workdays) {
            Ok(src) => ("表单".to_string(), Ok(src)),
            Err(e) => ("表单".to_string(), Err(e)),
        }
    } else {
        ("上传的文件".to_string(), Ok(typed.source.clone()))
    };
    let who = sess.who.clone();
    let result = s
        .with_station(move |st| {
            let done = src.and_then(|src| st.import_holidays(&who, &file, &src));
            (done, st.calendar_years(), st.calendar_notice())
        })
        .await;
    let (done, years, notice) = match result {
        Ok((done, Ok(years), notice)) => (done, years, notice),
        Ok((_, Err(e), _)) => return unavailable(&e.to_string()),
        Err(e) => return unavailable(&e.0),
    };
    match done {
        Ok(HolidayImport { years: imported, recomputed }) => {
            let mut text = imported
                .iter()
                .map(|y| format!("已导入{}年：放假 {} 天、调休上班 {} 天", y.year, y.holidays, y.workdays))
                .collect::<Vec<_>>()
                .join("；");
            text.push_str(&format!("；重算 {} 件代办的承诺日期", recomputed.len()));
            for c in recomputed.iter().take(20) {
                text.push_str(&format!("（{} {} → {}）", c.tracking, c.from, c.to));
            }
            s.sessions().flash(&id, false, text);
            Redirect::to("/desk/admin/holidays").into_response()
        }
        Err(CalendarError::Invalid(errs)) => render(&s, &sess, &years, notice, &typed, Some(&errs.to_string())),
        Err(CalendarError::Actor(e)) => super::html::plain(StatusCode::FORBIDDEN, "需要站长权限", &e.to_string()),
        Err(CalendarError::Store(e)) => unavailable(&e.to_string()),
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
