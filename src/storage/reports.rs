//! What the reports read: tickets of a date range with their first call, every case
//! with the day it was completed and by whom, ratings of a time range. UTC instants; the
//! service turns them into the station's local times.

use super::decode::{keyed, opt_day, opt_time, time};
use super::StoreError;
use crate::domain::calling::TicketStatus;
use crate::domain::case::CaseState;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection};

pub struct TicketRow {
    pub category: String,
    pub window: Option<u32>,
    pub staff: Option<String>,
    pub status: TicketStatus,
    pub issued: DateTime<Utc>,
    pub first_called: Option<DateTime<Utc>>,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    /// Closed as 过期 at closing time.
    pub expired: bool,
    /// Kept at closing time for the next working day.
    pub kept: bool,
}

pub fn tickets_between(conn: &Connection, from: NaiveDate, to: NaiveDate) -> Result<Vec<TicketRow>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT t.category, t.window_no, t.staff_no, t.status, t.issued_at,
                (SELECT min(e.at) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'called'),
                t.started_at, t.finished_at, t.expired_at IS NOT NULL, t.kept_from IS NOT NULL
         FROM tickets t WHERE t.day >= ?1 AND t.day <= ?2",
    )?;
    let rows = st.query_map(params![from.to_string(), to.to_string()], |r| {
        Ok(TicketRow {
            category: r.get(0)?,
            window: r.get(1)?,
            staff: r.get(2)?,
            status: keyed(r, "status", TicketStatus::from_key)?,
            issued: time(r, 4)?,
            first_called: opt_time(r, 5)?,
            started: opt_time(r, 6)?,
            finished: opt_time(r, 7)?,
            expired: r.get(8)?,
            kept: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub struct CaseRow {
    pub tracking: String,
    pub matter: String,
    pub category: String,
    pub created: DateTime<Utc>,
    pub state: CaseState,
    pub due: Option<NaiveDate>,
    pub completed: Option<DateTime<Utc>>,
    pub completed_by: Option<String>,
}

/// Cases created up to `to` (the overdue list needs the open ones of any age).
pub fn cases_until(conn: &Connection, to: NaiveDate) -> Result<Vec<CaseRow>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT c.tracking, c.matter_name, c.category, c.created_at, c.state, c.due_on,
                done.at, done.staff_no
         FROM cases c
         LEFT JOIN (SELECT case_id, min(at) AS at, staff_no FROM case_events
                    WHERE kind = 'transition' AND to_state = 'completed' GROUP BY case_id) done
           ON done.case_id = c.id
         WHERE substr(c.created_at, 1, 10) <= ?1",
    )?;
    let rows = st.query_map(params![(to + chrono::Duration::days(1)).to_string()], |r| {
        Ok(CaseRow {
            tracking: r.get(0)?,
            matter: r.get(1)?,
            category: r.get(2)?,
            created: time(r, 3)?,
            state: keyed(r, "state", CaseState::from_key)?,
            due: opt_day(r, 5)?,
            completed: opt_time(r, 6)?,
            completed_by: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub struct RatingRow {
    /// Given for a ticket or request taken during 帮办.
    pub assisted: bool,
    pub level: u8,
    pub staff: Option<String>,
    pub window: Option<u32>,
    pub at: DateTime<Utc>,
}

pub fn ratings_between(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<RatingRow>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT level, staff_no, window_no, at, assisted_by IS NOT NULL FROM ratings WHERE at >= ?1 AND at < ?2",
    )?;
    let rows = st.query_map(params![from.to_rfc3339(), to.to_rfc3339()], |r| {
        Ok(RatingRow { level: r.get(0)?, staff: r.get(1)?, window: r.get(2)?, at: time(r, 3)?, assisted: r.get(4)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A staff member's step the report times: signing in and out, pausing a window and
/// resuming it, calling out of turn (from the audit trail).
pub struct StaffStepRow {
    pub at: DateTime<Utc>,
    pub staff: String,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
}

pub fn staff_steps_between(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<StaffStepRow>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT at, staff_no, action, subject, detail FROM audit_events
         WHERE at >= ?1 AND at < ?2 AND staff_no IS NOT NULL
           AND action IN ('sign-in', 'sign-out', 'window-pause', 'window-resume', 'call-out-of-turn')
         ORDER BY id",
    )?;
    let rows = st.query_map(params![from.to_rfc3339(), to.to_rfc3339()], |r| {
        Ok(StaffStepRow { at: time(r, 0)?, staff: r.get(1)?, action: r.get(2)?, subject: r.get(3)?, detail: r.get(4)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
