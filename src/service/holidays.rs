//! The holiday calendar (限时办结 counts working days): holidays.toml ships the years known
//! when the software was built; each winter the State Council publishes the next year and
//! the station head imports it (a TOML file or the form at the desk). An imported year
//! replaces the same year of holidays.toml for every process; open cases whose due date
//! was counted past the calendar (未含明年节假日) get it recomputed, logged on each case.

use super::auth::{ActorError, Signed};
use super::Station;
use crate::config::{self, ConfigErrors, ConfigIssue};
use crate::domain::workdays::Calendar;
use crate::storage::holidays::{self as store, DueChange};
use crate::storage::{cases, StoreError};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// One year of an import.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct YearSummary {
    pub year: i32,
    pub holidays: usize,
    pub workdays: usize,
    /// The calendar had this year already (it is replaced).
    pub replaces: bool,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayImport {
    pub years: Vec<YearSummary>,
    pub recomputed: Vec<DueChange>,
}

/// A year the calendar knows, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayYear {
    pub year: i32,
    pub holidays: Vec<NaiveDate>,
    pub workdays: Vec<NaiveDate>,
    /// None: shipped in holidays.toml.
    pub imported: Option<(DateTime<Utc>, Option<String>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum HolidaysError {
    #[error("{0}")]
    Invalid(ConfigErrors),
    #[error("{0}")]
    Actor(#[from] ActorError),
    #[error("本站已加入镇中心，节假日安排由镇中心统一发布，本站不能自己导入。")]
    ByTown,
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A year as TOML, the form holidays.toml uses (what the store keeps and exports).
pub fn year_toml(year: i32, holidays: &[NaiveDate], workdays: &[NaiveDate]) -> String {
    let list = |days: &[NaiveDate]| days.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(", ");
    format!("[[year]]\nyear = {year}\nholidays = [{}]\nworkdays = [{}]\n", list(holidays), list(workdays))
}

/// The form at the desk as TOML: a year, and dates separated by spaces, commas, 、 or new
/// lines, where `2027-02-06~2027-02-12` (or 至) is every day from the one to the other.
pub fn form_toml(year: &str, holidays: &str, workdays: &str) -> Result<String, HolidaysError> {
    let issue = |field: &str, problem: String| {
        HolidaysError::Invalid(ConfigErrors(vec![ConfigIssue {
            file: "表单".into(),
            line: 1,
            field: field.into(),
            problem,
        }]))
    };
    let y: i32 = year
        .trim()
        .parse()
        .map_err(|_| issue("年份", format!("“{}”不是年份，请写 4 位数字，例如 2027", year.trim())))?;
    let dates = |text: &str, field: &str| -> Result<Vec<NaiveDate>, HolidaysError> {
        let mut out = Vec::new();
        let parse = |s: &str| {
            s.trim()
                .parse::<NaiveDate>()
                .map_err(|_| issue(field, format!("“{}”不是日期，请写成 {y}-02-06 这样", s.trim())))
        };
        for token in text.split(|c: char| c.is_whitespace() || ",，、;；".contains(c)).filter(|t| !t.is_empty()) {
            match token.split_once(['~', '至']) {
                Some((a, b)) => {
                    let (a, b) = (parse(a)?, parse(b)?);
                    if b < a || (b - a).num_days() > 31 {
                        return Err(issue(field, format!("“{token}”这个时间段不对（前一个日期要早，最长一个月）")));
                    }
                    out.extend(a.iter_days().take_while(|d| *d <= b));
                }
                None => out.push(parse(token)?),
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    };
    Ok(year_toml(y, &dates(holidays, "放假日期")?, &dates(workdays, "调休上班日期")?))
}

/// The line of `year = N` in a holidays file (1 when it cannot be found).
fn line_of_year(src: &str, year: i32) -> usize {
    src.lines()
        .position(|l| {
            let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
            l.starts_with(&format!("year={year}"))
        })
        .map(|i| i + 1)
        .unwrap_or(1)
}

impl Station {
    /// Takes up years another process imported (one tiny query when nothing changed).
    pub fn reload_holidays(&mut self) -> Result<bool, StoreError> {
        let stamp = store::stamp(self.conn())?;
        if stamp == self.calendar_stamp {
            return Ok(false);
        }
        let mut cal = self.base_calendar.clone();
        for y in store::years(self.conn())? {
            match config::parse_holidays(&format!("{}年", y.year), &y.source) {
                Ok(c) => cal.overlay(&c),
                Err(e) => tracing::warn!("imported holiday year {} not used: {e}", y.year),
            }
        }
        self.cfg.calendar = cal;
        self.calendar_stamp = stamp;
        Ok(true)
    }

    /// The years the calendar knows, oldest first.
    pub fn holiday_years(&self) -> Result<Vec<HolidayYear>, StoreError> {
        let stored = store::years(self.conn())?;
        Ok(self
            .cfg
            .calendar
            .years()
            .map(|&year| {
                let (holidays, workdays) = self.cfg.calendar.year_days(year);
                let imported = stored.iter().find(|s| s.year == year).map(|s| (s.imported_at, s.staff_no.clone()));
                HolidayYear { year, holidays, workdays, imported }
            })
            .collect())
    }

    /// From 1 November, the next year missing from the calendar (the desk warns); the
    /// current year missing, all year.
    pub fn holidays_missing(&self) -> Option<i32> {
        let today = self.clock.today();
        if !self.cfg.calendar.covers(today.year()) {
            return Some(today.year());
        }
        (today.month() >= 11 && !self.cfg.calendar.covers(today.year() + 1)).then_some(today.year() + 1)
    }

    /// The desk's warning, in words, while a year is missing.
    pub fn holidays_notice(&self) -> Option<String> {
        self.holidays_missing().map(|y| {
            tr_later!(
                "还没有导入{0}年的节假日安排：跨到{0}年的代办承诺日期只按周末计算，并标“未含明年节假日”。\
                 国务院办公厅公布后，请站长在“站务管理 → 节假日”导入。",
                y
            )
        })
    }

    /// Checks a holidays file for import: the file's own rules (real dates, inside their
    /// year, no day both off and on), and that each year is this year or the next.
    pub fn check_holidays(&self, file: &str, src: &str) -> Result<(Calendar, Vec<YearSummary>), HolidaysError> {
        let cal = config::parse_holidays(file, src).map_err(HolidaysError::Invalid)?;
        let this = self.clock.today().year();
        let mut issues = Vec::new();
        let mut issue = |line: usize, field: &str, problem: String| {
            issues.push(ConfigIssue { file: file.to_string(), line, field: field.to_string(), problem })
        };
        let years: Vec<i32> = cal.years().copied().collect();
        if years.is_empty() {
            issue(1, "year", "文件里没有任何年份（[[year]] year = …）".into());
        }
        let mut out = Vec::new();
        for &y in &years {
            let line = line_of_year(src, y);
            if y < this {
                issue(line, "year.year", format!("{y}年已经过去了：要导入的是{}年的安排", this + 1));
            } else if y > this + 1 {
                issue(
                    line,
                    "year.year",
                    format!("{y}年还早：国务院每年冬天只公布下一年（{}年）的安排，请核对年份", this + 1),
                );
            }
            let (h, w) = cal.year_days(y);
            if h.is_empty() {
                issue(line, "year.holidays", format!("{y}年一个放假日都没有，请核对（是不是放错了年份？）"));
            }
            out.push(YearSummary {
                year: y,
                holidays: h.len(),
                workdays: w.len(),
                replaces: self.cfg.calendar.covers(y),
            });
        }
        if !issues.is_empty() {
            return Err(HolidaysError::Invalid(ConfigErrors(issues)));
        }
        Ok((cal, out))
    }

    /// Imports a holidays file (station head): the years go live for every process, and
    /// open cases counted past the old calendar get their due dates recomputed.
    pub fn import_holidays(&mut self, who: &Signed, file: &str, src: &str) -> Result<HolidayImport, HolidaysError> {
        self.admin_actor(who)?;
        if self.cfg.join.is_some() {
            return Err(HolidaysError::ByTown);
        }
        self.import_holidays_by(who.by(), file, src)
    }

    /// The holiday calendar the town published as its version `town_version`: checked as
    /// a local import would be and imported (due dates recomputed), or refused whole with
    /// the reason; either way recorded, and so reported to the town.
    pub fn apply_town_holidays(&mut self, town_version: i64, src: &str) -> Result<bool, StoreError> {
        if let Some((v, _)) = crate::storage::sync::town_applied(self.conn(), "holidays")? {
            if v >= town_version {
                return Ok(false);
            }
        }
        let now = self.clock.now();
        let by = crate::storage::By { staff: "镇中心", origin: Some("镇中心") };
        match self.import_holidays_by(by, &format!("镇中心第{town_version}版"), src) {
            Ok(_) => {
                crate::storage::sync::set_town_applied(self.conn(), "holidays", town_version, true, None, now)?;
                Ok(true)
            }
            Err(HolidaysError::Store(e)) => Err(e),
            Err(e) => {
                let why = e.to_string();
                tracing::warn!("the town's holidays version {town_version} refused: {why}");
                crate::storage::sync::set_town_applied(self.conn(), "holidays", town_version, false, Some(&why), now)?;
                Ok(false)
            }
        }
    }

    fn import_holidays_by(
        &mut self,
        by: crate::storage::By<'_>,
        file: &str,
        src: &str,
    ) -> Result<HolidayImport, HolidaysError> {
        self.reload_holidays()?;
        let (parsed, years) = self.check_holidays(file, src)?;
        let mut cal = self.cfg.calendar.clone();
        cal.overlay(&parsed);
        let mut changes = Vec::new();
        for c in cases::open_cases(self.conn())? {
            let Some(old) = c.due_on else { continue };
            if !(c.state.clock_runs() && c.due_beyond_calendar) {
                continue;
            }
            let left = (c.promised_days + c.extension_days).saturating_sub(c.days_used);
            let due = cal.add_working_days(c.clock_start, left);
            changes.push(DueChange {
                case_id: c.id,
                tracking: c.tracking.clone(),
                from: old,
                to: due.date,
                beyond_calendar: due.beyond_calendar,
            });
        }
        let sources: Vec<(i32, String)> = years
            .iter()
            .map(|y| {
                let (h, w) = parsed.year_days(y.year);
                (y.year, year_toml(y.year, &h, &w))
            })
            .collect();
        let detail = format!(
            "{}；重算 {} 件代办的承诺日期",
            years
                .iter()
                .map(|y| format!("{}年放假 {} 天、调休上班 {} 天", y.year, y.holidays, y.workdays))
                .collect::<Vec<_>>()
                .join("；"),
            changes.len()
        );
        let now = self.clock.now();
        store::import(self.conn_mut(), &sources, &changes, by, &detail, now)?;
        self.reload_holidays()?;
        tracing::info!("holidays imported by {}: {detail}", by.staff);
        Ok(HolidayImport { years, recomputed: changes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_takes_lists_and_ranges() {
        let t = form_toml("2027", "2027-01-01, 2027-02-06~2027-02-08、2027-10-01至2027-10-02", "2027-02-13\n").unwrap();
        assert!(t.contains("year = 2027"));
        assert!(t.contains(
            "holidays = [\"2027-01-01\", \"2027-02-06\", \"2027-02-07\", \"2027-02-08\", \"2027-10-01\", \"2027-10-02\"]"
        ));
        assert!(t.contains("workdays = [\"2027-02-13\"]"));
        let e = form_toml("2027", "2027-02-30", "").unwrap_err().to_string();
        assert!(e.contains("放假日期: “2027-02-30”不是日期"), "{e}");
        assert!(form_toml("明年", "", "").unwrap_err().to_string().contains("不是年份"));
        assert!(form_toml("2027", "2027-02-10~2027-02-01", "").is_err());
    }

    #[test]
    fn the_year_line_is_found() {
        assert_eq!(line_of_year("# x\n[[year]]\nyear = 2027\n", 2027), 3);
        assert_eq!(line_of_year("[[year]]\n  year=2028\n", 2028), 2);
    }
}
