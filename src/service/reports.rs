//! Reports for any date range: the figures (domain::report) from the store's facts, in
//! the station's local time, with the names of categories and staff.

use super::Station;
use crate::domain::calling::PauseReason;
use crate::domain::report::{self, CaseFact, Labels, RatingFact, Report, StaffStep, Step, TicketFact};
use crate::storage::{reports as store, StoreError};
use chrono::{NaiveDate, TimeZone};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("日期范围不对：开始日期 {0} 晚于结束日期 {1}")]
    Backwards(NaiveDate, NaiveDate),
    #[error("日期范围太长：最多一年（366天）")]
    TooLong,
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("报表字体：{0}")]
    Font(String),
}

impl Station {
    /// The figures for `from..=to` and the labels to show them with.
    pub fn report(&self, from: NaiveDate, to: NaiveDate) -> Result<(Report, Labels), ReportError> {
        if from > to {
            return Err(ReportError::Backwards(from, to));
        }
        if (to - from).num_days() > 366 {
            return Err(ReportError::TooLong);
        }
        let tz = self.clock.tz();
        let local = |d: chrono::DateTime<chrono::Utc>| d.with_timezone(&tz).naive_local();
        let tickets: Vec<TicketFact> = store::tickets_between(self.conn(), from, to)?
            .into_iter()
            .map(|t| TicketFact {
                category: t.category,
                window: t.window,
                staff: t.staff,
                status: t.status,
                issued: local(t.issued),
                first_called: t.first_called.map(local),
                started: t.started.map(local),
                finished: t.finished.map(local),
                expired: t.expired,
                kept: t.kept,
            })
            .collect();
        let cases: Vec<CaseFact> = store::cases_until(self.conn(), to)?
            .into_iter()
            .map(|c| CaseFact {
                tracking: c.tracking,
                matter: c.matter,
                category: c.category,
                created: local(c.created).date(),
                completed: c.completed.map(|d| local(d).date()),
                completed_by: c.completed_by,
                due: c.due,
                open: c.state.is_open(),
                clock_runs: c.state.clock_runs(),
            })
            .collect();
        let start = tz.from_local_datetime(&from.and_hms_opt(0, 0, 0).unwrap_or_default()).earliest();
        let end = tz
            .from_local_datetime(&(to + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest();
        let ratings: Vec<RatingFact> = match (start, end) {
            (Some(s), Some(e)) => store::ratings_between(self.conn(), s.to_utc(), e.to_utc())?
                .into_iter()
                .map(|g| RatingFact {
                    level: g.level,
                    staff: g.staff,
                    window: g.window,
                    on: local(g.at).date(),
                    assisted: g.assisted,
                })
                .collect(),
            _ => Vec::new(),
        };
        let steps: Vec<StaffStep> = match (start, end) {
            (Some(s), Some(e)) => store::staff_steps_between(self.conn(), s.to_utc(), e.to_utc())?
                .into_iter()
                .filter_map(|x| {
                    let window = || x.subject.as_deref().and_then(|s| s.trim_end_matches("号窗口").parse::<u32>().ok());
                    let what = match x.action.as_str() {
                        "sign-in" => Step::SignIn,
                        "sign-out" => Step::SignOut,
                        "window-pause" => Step::Pause(
                            window()?,
                            x.detail.as_deref().and_then(PauseReason::from_key).unwrap_or(PauseReason::Other),
                        ),
                        "window-resume" => Step::Resume(window()?),
                        "call-out-of-turn" => Step::OutOfTurn,
                        _ => return None,
                    };
                    Some(StaffStep { staff: x.staff, at: local(x.at), what })
                })
                .collect(),
            _ => Vec::new(),
        };
        let r = report::compute(from, to, self.clock.today(), &tickets, &cases, &ratings, &steps);
        let labels = Labels {
            station: self.cfg.station.name.clone(),
            township: self.cfg.station.township.clone(),
            categories: self.cfg.catalog.categories.iter().map(|c| (c.code.clone(), c.name.clone())).collect(),
            staff: self.staff_list()?.into_iter().map(|s| (s.no, s.name)).collect(),
            generated: self.clock.now_local().format("%Y-%m-%d %H:%M").to_string(),
        };
        Ok((r, labels))
    }
}

impl Station {
    /// The report as CSV (UTF-8 with BOM: Excel shows the Chinese).
    pub fn report_csv(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<u8>, ReportError> {
        let (r, l) = self.report(from, to)?;
        Ok(crate::receipt::report::csv(&r, &l))
    }

    /// The printable monthly report, A4 PDF.
    pub fn report_pdf(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<u8>, ReportError> {
        let (r, l) = self.report(from, to)?;
        let font = self.font().map_err(ReportError::Font)?;
        crate::receipt::report::pdf(&font, &r, &l).map_err(|e| ReportError::Font(e.to_string()))
    }
}

pub use crate::receipt::wallchart::Part as WallPart;

impl Station {
    /// The 公示栏 sheets as one A4 PDF (all three parts when `parts` is empty).
    pub fn wallchart(&self, parts: &[WallPart]) -> Result<Vec<u8>, ReportError> {
        use crate::receipt::wallchart::{MatterLine, WallData};
        use chrono::Datelike;
        let st = &self.cfg.station;
        let catalog = &self.cfg.catalog;
        let staff = self.staff_list()?;
        let name = |no: &str| staff.iter().find(|s| s.no == no).map(|s| s.name.clone()).unwrap_or_else(|| no.into());
        let matters = catalog
            .categories
            .iter()
            .map(|c| {
                let list = catalog
                    .matters_in(&c.code)
                    .map(|m| MatterLine {
                        code: m.code.clone(),
                        name: m.name.clone(),
                        how: m.mode.label().to_string(),
                        promise: m.promise_text(),
                        department: m.department.clone(),
                        fee: m.fee.clone(),
                    })
                    .collect();
                (format!("{} {}", c.code, c.full_name), list)
            })
            .filter(|(_, l): &(String, Vec<MatterLine>)| !l.is_empty())
            .collect();
        let today = self.clock.today();
        let monday = today - chrono::Duration::days(today.weekday().num_days_from_monday() as i64);
        let rota = self.rota()?;
        let away = self.away_between(monday, monday + chrono::Duration::days(6))?;
        let week = (0..7)
            .map(|i| {
                let day = monday + chrono::Duration::days(i);
                let names = rota
                    .iter()
                    .filter(|(wd, _)| *wd == day.weekday().number_from_monday())
                    .filter(|(_, no)| staff.iter().any(|s| &s.no == no && s.active))
                    .map(|(_, no)| {
                        let off = away.iter().any(|(n, d)| n == no && *d == day);
                        if off {
                            format!("{}（请假）", name(no))
                        } else {
                            name(no)
                        }
                    })
                    .collect();
                (format!("{} {}", day.format("%m月%d日"), crate::domain::clock::weekday_cn(day)), names)
            })
            .collect();
        let posts = self
            .posts()?
            .into_iter()
            .map(|p| {
                let scope = catalog
                    .matter(&p.scope)
                    .map(|m| m.name.clone())
                    .or_else(|| catalog.category(&p.scope).map(|c| format!("{}类事项", c.name)))
                    .unwrap_or_else(|| p.scope.clone());
                (scope, name(&p.a), p.b.as_deref().map(name).unwrap_or_else(|| "—".into()))
            })
            .collect();
        let printed = self.clock.now_local().format("%Y年%m月%d日").to_string();
        let hours = st.hours_text();
        let data = WallData {
            station: &st.name,
            phone: &st.phone,
            hours: &hours,
            printed: &printed,
            catalog_version: self.catalog_version(),
            matters,
            rules: self.cfg.rules.iter().map(|r| (r.title.clone(), r.text.clone())).collect(),
            week,
            posts,
            reasons: self.rating_reasons()?.list().iter().map(|(_, l)| l.clone()).collect(),
            reasons_version: self.rating_reasons_version()?,
            followup_days: st.followup_days,
        };
        let font = self.font().map_err(ReportError::Font)?;
        crate::receipt::wallchart::pdf(&font, &data, parts).map_err(|e| ReportError::Font(e.to_string()))
    }
}
