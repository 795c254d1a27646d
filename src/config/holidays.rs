//! holidays.toml: the public holidays and make-up working days of each year.

use super::issues::ConfigErrors;
use super::issues::{syntax_issue, Issues};
use crate::domain::workdays::Calendar;
use serde::Deserialize;
use std::collections::HashSet;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawHolidays {
    #[serde(default)]
    year: Vec<RawYear>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawYear {
    year: Spanned<i32>,
    #[serde(default)]
    holidays: Vec<Spanned<String>>,
    #[serde(default)]
    workdays: Vec<Spanned<String>>,
}

/// Parses the holiday calendar: every date must be real and inside its year; a make-up
/// working day must not also be a holiday.
pub fn parse_holidays(file: &str, src: &str) -> Result<Calendar, ConfigErrors> {
    use chrono::Datelike;
    let raw: RawHolidays = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);
    let mut cal = Calendar::new();
    let mut years = HashSet::new();
    for y in &raw.year {
        let year = *y.year.get_ref();
        if !(2000..=2100).contains(&year) {
            issues.at(y.year.span(), "year.year", format!("{year} 不像是年份，请核对"));
        }
        if !years.insert(year) {
            issues.at(y.year.span(), "year.year", format!("{year} 年写了两次"));
        }
        let mut parse = |list: &Vec<Spanned<String>>, field: &str| -> Vec<chrono::NaiveDate> {
            let mut out = Vec::new();
            for d in list {
                match d.get_ref().parse::<chrono::NaiveDate>() {
                    Ok(date) if date.year() == year => out.push(date),
                    Ok(_) => issues.at(d.span(), field, format!("“{}”不在 {year} 年里（放错年份了）", d.get_ref())),
                    Err(_) => {
                        issues.at(d.span(), field, format!("“{}”不是日期，请写成 \"2026-10-01\" 这样", d.get_ref()))
                    }
                }
            }
            out
        };
        let hol = parse(&y.holidays, "year.holidays");
        let work = parse(&y.workdays, "year.workdays");
        for w in &work {
            if hol.contains(w) {
                issues.at(y.year.span(), "year.workdays", format!("{w} 既写成放假又写成调休上班，只能是一种"));
            }
        }
        cal.add_year(year, hol, work);
    }
    issues.finish(cal)
}
