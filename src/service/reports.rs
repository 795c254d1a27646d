//! Reports for any date range: the figures (domain::report) from the store's facts, in
//! the station's local time, with the names of categories and staff.

use super::Station;
use crate::domain::calling::TicketStatus;
use crate::domain::case::CaseState;
use crate::domain::report::{self, CaseFact, Labels, RatingFact, Report, TicketFact};
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
                status: TicketStatus::from_key(&t.status).unwrap_or(TicketStatus::Cancelled),
                issued: local(t.issued),
                first_called: t.first_called.map(local),
                started: t.started.map(local),
                finished: t.finished.map(local),
            })
            .collect();
        let cases: Vec<CaseFact> = store::cases_until(self.conn(), to)?
            .into_iter()
            .map(|c| {
                let state = CaseState::from_key(&c.state).unwrap_or(CaseState::Pending);
                CaseFact {
                    tracking: c.tracking,
                    matter: c.matter,
                    category: c.category,
                    created: local(c.created).date(),
                    completed: c.completed.map(|d| local(d).date()),
                    completed_by: c.completed_by,
                    due: c.due,
                    open: state.is_open(),
                    clock_runs: state.clock_runs(),
                }
            })
            .collect();
        let start = tz.from_local_datetime(&from.and_hms_opt(0, 0, 0).unwrap_or_default()).earliest();
        let end = tz
            .from_local_datetime(&(to + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest();
        let ratings: Vec<RatingFact> = match (start, end) {
            (Some(s), Some(e)) => store::ratings_between(self.conn(), s.to_utc(), e.to_utc())?
                .into_iter()
                .map(|g| RatingFact { level: g.level, staff: g.staff, window: g.window, on: local(g.at).date() })
                .collect(),
            _ => Vec::new(),
        };
        let r = report::compute(from, to, self.clock.today(), &tickets, &cases, &ratings);
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
