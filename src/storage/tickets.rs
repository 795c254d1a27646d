//! Ticket numbers, allocated so that several processes issuing at once never collide.
//!
//! The counter row for (day, prefix) is read and bumped inside `BEGIN IMMEDIATE`, which
//! takes SQLite's write lock before the read: a second writer waits (busy timeout) and
//! then sees the bumped value. `UNIQUE(day, number)` is the backstop.

use super::StoreError;
use crate::domain::print::{JobStatus, PrintJob};
use crate::domain::ticket::{self, ServiceTimes, Ticket, Waiting};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

#[derive(Debug, Clone)]
pub struct NewTicket {
    pub day: NaiveDate,
    pub prefix: String,
    pub category: String,
    pub matter_code: Option<String>,
    pub matter_name: String,
    pub priority: bool,
    pub issued_at: DateTime<Utc>,
    pub token: String,
}

fn waiting_on(conn: &Connection, day: NaiveDate) -> Result<Vec<Waiting>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT id, priority, category FROM tickets WHERE day = ?1 AND status = 'waiting' ORDER BY id",
    )?;
    let rows = st.query_map(params![day.to_string()], |r| {
        Ok(Waiting { order: r.get(0)?, priority: r.get(1)?, category: r.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Allocates the next number for the ticket's prefix and day and stores the ticket, with
/// the people ahead and the wait estimate as they stand at this moment.
pub fn issue(conn: &mut Connection, t: &NewTicket, times: &ServiceTimes) -> Result<Ticket, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let day = t.day.to_string();
    let last: Option<u32> = tx
        .query_row("SELECT last_seq FROM ticket_counters WHERE day = ?1 AND prefix = ?2", params![day, t.prefix], |r| {
            r.get(0)
        })
        .optional()?;
    let seq = last.unwrap_or(0) + 1;
    if seq > ticket::MAX_SEQ {
        return Err(StoreError::NumbersExhausted { prefix: t.prefix.clone() });
    }
    tx.execute(
        "INSERT INTO ticket_counters (day, prefix, last_seq) VALUES (?1, ?2, ?3)
         ON CONFLICT(day, prefix) DO UPDATE SET last_seq = excluded.last_seq",
        params![day, t.prefix, seq],
    )?;
    let number = ticket::format_number(&t.prefix, seq);
    let mut waiting = waiting_on(&tx, t.day)?;
    // This ticket's order key is larger than every existing row id.
    let my_order = waiting.iter().map(|w| w.order).max().unwrap_or(0) + 1;
    let me = Waiting { order: my_order, priority: t.priority, category: t.category.clone() };
    ticket::call_order(&mut waiting);
    let ahead_list: Vec<&Waiting> = waiting.iter().filter(|w| ticket::goes_before(w, &me)).collect();
    let ahead = ahead_list.len() as u32;
    let wait = times.estimate(ahead_list.iter().map(|w| w.category.as_str()));
    tx.execute(
        "INSERT INTO tickets (day, prefix, seq, number, category, matter_code, matter_name, priority, issued_at, token,
                              ahead_at_issue, wait_min_at_issue)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            day,
            t.prefix,
            seq,
            number,
            t.category,
            t.matter_code,
            t.matter_name,
            t.priority,
            t.issued_at.to_rfc3339(),
            t.token,
            ahead,
            wait
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.commit()?;
    Ok(Ticket {
        id,
        day: t.day,
        number,
        category: t.category.clone(),
        matter_code: t.matter_code.clone(),
        matter_name: t.matter_name.clone(),
        priority: t.priority,
        issued_at: t.issued_at,
        token: t.token.clone(),
        ahead,
        estimated_wait_min: wait,
        status: "waiting".into(),
    })
}

fn row_to_ticket(r: &rusqlite::Row<'_>) -> rusqlite::Result<Ticket> {
    let day: String = r.get("day")?;
    let issued: String = r.get("issued_at")?;
    Ok(Ticket {
        id: r.get("id")?,
        day: day.parse().unwrap_or_default(),
        number: r.get("number")?,
        category: r.get("category")?,
        matter_code: r.get("matter_code")?,
        matter_name: r.get("matter_name")?,
        priority: r.get("priority")?,
        issued_at: DateTime::parse_from_rfc3339(&issued).map(|d| d.with_timezone(&Utc)).unwrap_or_default(),
        token: r.get("token")?,
        ahead: r.get("ahead_at_issue")?,
        estimated_wait_min: r.get("wait_min_at_issue")?,
        status: r.get("status")?,
    })
}

pub fn by_number(conn: &Connection, day: NaiveDate, number: &str) -> Result<Option<Ticket>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT * FROM tickets WHERE day = ?1 AND number = ?2",
            params![day.to_string(), number],
            row_to_ticket,
        )
        .optional()?)
}

pub fn by_token(conn: &Connection, token: &str) -> Result<Option<Ticket>, StoreError> {
    Ok(conn.query_row("SELECT * FROM tickets WHERE token = ?1", params![token], row_to_ticket).optional()?)
}

/// The waiting tickets of a day in call order (priority first).
pub fn queue(conn: &Connection, day: NaiveDate) -> Result<Vec<Ticket>, StoreError> {
    let mut st =
        conn.prepare("SELECT * FROM tickets WHERE day = ?1 AND status = 'waiting' ORDER BY priority DESC, id")?;
    let rows = st.query_map(params![day.to_string()], row_to_ticket)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn count_on(conn: &Connection, day: NaiveDate) -> Result<u32, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM tickets WHERE day = ?1", params![day.to_string()], |r| r.get(0))?)
}

// --- print jobs ---------------------------------------------------------------------------

fn row_to_job(r: &rusqlite::Row<'_>) -> rusqlite::Result<PrintJob> {
    Ok(PrintJob {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        kind: r.get(2)?,
        pdf_path: r.get(3)?,
        printer: r.get(4)?,
        status: r.get(5)?,
        error: r.get(6)?,
        attempts: r.get(7)?,
    })
}

#[allow(clippy::too_many_arguments)]
pub fn create_job(
    conn: &Connection,
    ticket_id: Option<i64>,
    kind: &str,
    pdf_path: &str,
    printer: Option<&str>,
    status: JobStatus,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO print_jobs (ticket_id, kind, pdf_path, printer, status, error, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![ticket_id, kind, pdf_path, printer, status.key(), error, now.to_rfc3339()],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn finish_job(
    conn: &Connection,
    id: i64,
    status: JobStatus,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE print_jobs SET status = ?2, error = ?3, attempts = attempts + 1, updated_at = ?4 WHERE id = ?1",
        params![id, status.key(), error, now.to_rfc3339()],
    )?;
    Ok(())
}

pub fn jobs_for_ticket(conn: &Connection, ticket_id: i64) -> Result<Vec<PrintJob>, StoreError> {
    let mut st = conn.prepare(
        "SELECT id, ticket_id, kind, pdf_path, printer, status, error, attempts FROM print_jobs WHERE ticket_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map(params![ticket_id], row_to_job)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Jobs that did not reach paper, for staff to reprint.
pub fn unprinted_jobs(conn: &Connection) -> Result<Vec<PrintJob>, StoreError> {
    let mut st = conn.prepare(
        "SELECT id, ticket_id, kind, pdf_path, printer, status, error, attempts FROM print_jobs
         WHERE status IN ('failed', 'pending') ORDER BY id",
    )?;
    let rows = st.query_map([], row_to_job)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// --- calls for help -----------------------------------------------------------------------

pub fn record_help_request(conn: &Connection, screen: &str, now: DateTime<Utc>) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO help_requests (requested_at, screen) VALUES (?1, ?2)",
        params![now.to_rfc3339(), screen],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn open_help_requests(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM help_requests WHERE handled_at IS NULL", [], |r| r.get(0))?)
}
