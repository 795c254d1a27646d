//! Ticket numbers, allocated so that several processes issuing at once never collide.
//!
//! The counter row for (day, prefix) is read and bumped inside `BEGIN IMMEDIATE`, which
//! takes SQLite's write lock before the read: a second writer waits (busy timeout) and
//! then sees the bumped value. `UNIQUE(day, number)` is the backstop.

use super::decode::{day, keyed, opt_time, time};
use super::StoreError;
use crate::domain::calling::{self, Candidate, Order, PriorityRule, TicketStatus, WindowRule};
use crate::domain::print::{JobStatus, PrintJob};
use crate::domain::ticket::{self, ServiceTimes, Ticket};
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
    pub catalog_version: i64,
    /// 帮办: the staff member helping at the kiosk (audited with the ticket, from the kiosk).
    pub assisted_by: Option<String>,
}

/// Today's waiting tickets as the calling order sees them.
pub(super) fn candidates(conn: &Connection, day: NaiveDate) -> Result<Vec<Candidate>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT id, priority, category, only_window, issued_at FROM tickets WHERE day = ?1 AND status = 'waiting'
         ORDER BY id",
    )?;
    let rows = st.query_map(params![day.to_string()], |r| {
        Ok(Candidate {
            order: r.get(0)?,
            priority: r.get(1)?,
            category: r.get(2)?,
            only_window: r.get(3)?,
            issued_at: time(r, "issued_at")?.timestamp(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The calling order of `day` under `rule` at `now`: for "one priority after every N",
/// the normal tickets called since today's last priority ticket.
pub fn order_on(
    conn: &Connection,
    day: NaiveDate,
    rule: PriorityRule,
    now: DateTime<Utc>,
) -> Result<Order, StoreError> {
    let mut since = None;
    if matches!(rule, PriorityRule::Every(_)) {
        let mut st = conn.prepare_cached(
            "SELECT t.priority FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
             WHERE t.day = ?1 AND e.kind = 'called'
               AND e.ticket_id >= (SELECT coalesce(min(id), 0) FROM tickets WHERE day = ?1)
             ORDER BY e.id DESC",
        )?;
        let mut rows = st.query(params![day.to_string()])?;
        let mut normals = 0u32;
        while let Some(r) = rows.next()? {
            if r.get::<_, bool>(0)? {
                since = Some(normals);
                break;
            }
            normals += 1;
        }
    }
    Ok(Order { rule, normals_since_priority: since, now: now.timestamp() })
}

/// Allocates the next number for the ticket's prefix and day and stores the ticket, with
/// the people ahead and the wait estimate as they stand at this moment.
/// A print job to record in the same transaction as its ticket or case, so that a crash
/// can never leave a committed ticket without one. `path` names the receipt's PDF from
/// the number (or tracking code) and token the transaction gives.
pub struct JobPlan<'a> {
    pub kind: &'a str,
    pub printer: Option<&'a str>,
    pub status: JobStatus,
    pub error: Option<&'a str>,
    pub path: &'a dyn Fn(&str, &str) -> String,
}

fn plan_jobs(
    tx: &Connection,
    plans: &[JobPlan<'_>],
    ticket_id: Option<i64>,
    case_id: Option<i64>,
    number: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    plans
        .iter()
        .map(|p| {
            create_job(tx, ticket_id, case_id, p.kind, &(p.path)(number, token), p.printer, p.status, p.error, now)
        })
        .collect()
}

pub(super) fn plan_case_jobs(
    tx: &Connection,
    plans: &[JobPlan<'_>],
    case_id: i64,
    tracking: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    plan_jobs(tx, plans, None, Some(case_id), tracking, token, now)
}

/// Takes the next number of the day for `t.prefix` and stores the ticket with its print
/// jobs, all in one transaction.
pub fn issue(
    conn: &mut Connection,
    t: &NewTicket,
    times: &ServiceTimes,
    windows: &[WindowRule],
    rule: PriorityRule,
    jobs: &[JobPlan<'_>],
) -> Result<(Ticket, Vec<i64>), StoreError> {
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
    let waiting = candidates(&tx, t.day)?;
    // This ticket's order key is larger than every existing row id.
    let my_order = waiting.iter().map(|w| w.order).max().unwrap_or(0) + 1;
    let me = Candidate {
        order: my_order,
        priority: t.priority,
        category: t.category.clone(),
        only_window: None,
        issued_at: t.issued_at.timestamp(),
    };
    let order = order_on(&tx, t.day, rule, t.issued_at)?;
    let (ahead, wait) = calling::outlook(&me, &waiting, windows, times, order);
    tx.execute(
        "INSERT INTO tickets (day, prefix, seq, number, category, matter_code, matter_name, priority, issued_at, token,
                              ahead_at_issue, wait_min_at_issue, catalog_version, assisted_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
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
            wait,
            t.catalog_version,
            t.assisted_by
        ],
    )?;
    let id = tx.last_insert_rowid();
    if let Some(staff) = &t.assisted_by {
        super::audit::record(
            &tx,
            t.issued_at,
            Some(staff),
            "assist-ticket",
            Some(&number),
            Some(&t.matter_name),
            Some(super::ASSIST_ORIGIN),
        )?;
    }
    let ticket = tx.query_row("SELECT * FROM tickets WHERE id = ?1", params![id], row_to_ticket)?;
    let job_ids = plan_jobs(&tx, jobs, Some(id), None, &number, &t.token, t.issued_at)?;
    tx.commit()?;
    Ok((ticket, job_ids))
}

pub(super) fn row_to_ticket(r: &rusqlite::Row<'_>) -> rusqlite::Result<Ticket> {
    Ok(Ticket {
        id: r.get("id")?,
        day: day(r, "day")?,
        number: r.get("number")?,
        category: r.get("category")?,
        matter_code: r.get("matter_code")?,
        matter_name: r.get("matter_name")?,
        priority: r.get("priority")?,
        issued_at: time(r, "issued_at")?,
        token: r.get("token")?,
        ahead: r.get("ahead_at_issue")?,
        estimated_wait_min: r.get("wait_min_at_issue")?,
        status: keyed(r, "status", TicketStatus::from_key)?,
        window: r.get("window_no")?,
        only_window: r.get("only_window")?,
        recalls: r.get("recalls")?,
        callbacks: r.get("callbacks")?,
        staff_no: r.get("staff_no")?,
        called_at: opt_time(r, "called_at")?,
        started_at: opt_time(r, "started_at")?,
        finished_at: opt_time(r, "finished_at")?,
        catalog_version: r.get::<_, Option<i64>>("catalog_version")?.unwrap_or(0),
        expired_at: opt_time(r, "expired_at")?,
        kept_until: opt_time(r, "kept_until")?,
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
    case_id: Option<i64>,
    kind: &str,
    pdf_path: &str,
    printer: Option<&str>,
    status: JobStatus,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    // The process that made a pending job is the one that will print it (and wait).
    let owner = (status == JobStatus::Pending).then(crate::paths::process_identity);
    conn.execute(
        "INSERT INTO print_jobs (ticket_id, case_id, kind, pdf_path, printer, status, error, created_at, updated_at, owner)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
        params![ticket_id, case_id, kind, pdf_path, printer, status.key(), error, now.to_rfc3339(), owner],
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

/// The CUPS job a print job went to, recorded as soon as `lp` took it.
pub fn set_cups_job(conn: &Connection, id: i64, cups_job: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE print_jobs SET cups_job = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, cups_job, now.to_rfc3339()],
    )?;
    Ok(())
}

/// A job still pending, with the CUPS job it went to, the process waiting for it and when
/// it was last touched.
pub struct PendingJob {
    pub job: PrintJob,
    pub cups_job: Option<String>,
    pub owner: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Every job still pending (the recovery decides which are abandoned).
pub fn pending_jobs(conn: &Connection) -> Result<Vec<PendingJob>, StoreError> {
    let mut st = conn.prepare(
        "SELECT id, ticket_id, kind, pdf_path, printer, status, error, attempts, cups_job, owner, updated_at FROM print_jobs
         WHERE status = 'pending' ORDER BY id",
    )?;
    let rows = st.query_map([], |r| {
        Ok(PendingJob { job: row_to_job(r)?, cups_job: r.get(8)?, owner: r.get(9)?, updated_at: time(r, 10)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A new attempt at a job (a reprint) by this process: pending, waited for by it.
pub fn start_job(conn: &Connection, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE print_jobs SET status = 'pending', owner = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, crate::paths::process_identity(), now.to_rfc3339()],
    )?;
    Ok(())
}

/// Whether the job's CUPS job still has to be cancelled (the cancel is not confirmed).
pub fn set_cancel_wanted(conn: &Connection, id: i64, wanted: bool) -> Result<(), StoreError> {
    conn.execute("UPDATE print_jobs SET cancel_wanted = ?2 WHERE id = ?1", params![id, wanted])?;
    Ok(())
}

/// Jobs whose CUPS job still has to be cancelled: (job id, CUPS job).
pub fn cancels_wanted(conn: &Connection) -> Result<Vec<(i64, String)>, StoreError> {
    let mut st = conn
        .prepare("SELECT id, cups_job FROM print_jobs WHERE cancel_wanted = 1 AND cups_job IS NOT NULL ORDER BY id")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether the job has a CUPS job that still has to be cancelled.
pub fn cancel_wanted(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT cups_job FROM print_jobs WHERE id = ?1 AND cancel_wanted = 1", params![id], |r| r.get(0))
        .optional()?
        .flatten())
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

/// Calls for help since `since` that nobody answered yet: (id, when, kiosk page).
pub fn open_help_list(
    conn: &Connection,
    since: DateTime<Utc>,
) -> Result<Vec<(i64, DateTime<Utc>, String)>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT id, requested_at, screen FROM help_requests WHERE handled_at IS NULL AND requested_at >= ?1 ORDER BY id",
    )?;
    let rows = st.query_map(params![since.to_rfc3339()], |r| Ok((r.get(0)?, time(r, 1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Marks a call for help answered; false if it was already (or never existed).
pub fn handle_help(conn: &Connection, id: i64, staff: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let n = conn.execute(
        "UPDATE help_requests SET handled_at = ?2, handled_by = ?3 WHERE id = ?1 AND handled_at IS NULL",
        params![id, now.to_rfc3339(), staff],
    )?;
    Ok(n == 1)
}

/// Ticket ids of `day` that have been rated.
pub fn rated_on(conn: &Connection, day: NaiveDate) -> Result<std::collections::HashSet<i64>, StoreError> {
    let mut st =
        conn.prepare_cached("SELECT r.ticket_id FROM ratings r JOIN tickets t ON t.id = r.ticket_id WHERE t.day = ?1")?;
    let rows = st.query_map(params![day.to_string()], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn job(conn: &Connection, id: i64) -> Result<Option<PrintJob>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id, ticket_id, kind, pdf_path, printer, status, error, attempts FROM print_jobs WHERE id = ?1",
            params![id],
            row_to_job,
        )
        .optional()?)
}

/// Receipts made since `since` that did not reach paper (failed, pending, or only saved to
/// the spool), with the ticket number or the case's tracking code they belong to, and
/// when they were made.
pub fn unprinted_since(
    conn: &Connection,
    since: DateTime<Utc>,
) -> Result<Vec<(PrintJob, String, DateTime<Utc>)>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT j.id, j.ticket_id, j.kind, j.pdf_path, j.printer, j.status, j.error, j.attempts,
                coalesce(t.number, c.tracking, ''), j.created_at
         FROM print_jobs j LEFT JOIN tickets t ON t.id = j.ticket_id LEFT JOIN cases c ON c.id = j.case_id
         WHERE j.status IN ('failed', 'pending', 'spooled') AND j.created_at >= ?1 ORDER BY j.id",
    )?;
    let rows = st.query_map(params![since.to_rfc3339()], |r| Ok((row_to_job(r)?, r.get(8)?, time(r, 9)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn open_help_requests(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM help_requests WHERE handled_at IS NULL", [], |r| r.get(0))?)
}
