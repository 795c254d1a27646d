//! Calling tickets at the windows. Every action reads the ticket and writes its new state
//! and its append-only event in one `BEGIN IMMEDIATE` transaction: two windows calling at
//! the same instant are serialised by SQLite's write lock, so the second sees the first's
//! call and never gets the same ticket; two staff pressing the same button get one
//! change and one refusal.

use super::tickets::{candidates, order_on, row_to_ticket};
use super::{By, StoreError};
use crate::domain::calling::{self, CallAction, Limits, PauseReason, PriorityRule, Refusal, WindowRule};
use crate::domain::ticket::Ticket;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum CallStoreError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("{0}号窗口已暂停，请先点“恢复”")]
    Paused(u32),
    #[error("今天没有 {0} 号")]
    NotFound(String),
    #[error("{0} {1}，只有等候中的号才能选叫")]
    NotWaiting(String, calling::TicketStatus),
    /// The window has a ticket it called but never started, and nobody said what became
    /// of it (the desk asks).
    #[error("{0} 还没有开始办理：按过号，还是已经办完？")]
    Unstarted(String),
    /// The page the button was pressed on showed another ticket at the window.
    #[error("本页面已过期，请刷新（窗口现在的号是 {0}）")]
    Stale(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// What 叫下一位 (and 回呼) do with a ticket the window called but never started: that
/// villager was not served, so it is never quietly counted as 办结.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unstarted {
    /// Refuse with [`CallStoreError::Unstarted`], so that staff are asked.
    Ask,
    /// The villager did not come: 过号 (it can be called back). With the number the page
    /// showed, if it came from a page.
    NoShow(Option<String>),
    /// Staff say it was dealt with although 开始办理 was never pressed: 办结.
    Finish(Option<String>),
}

impl From<rusqlite::Error> for CallStoreError {
    fn from(e: rusqlite::Error) -> Self {
        CallStoreError::Store(StoreError::Sql(e))
    }
}

/// Where a transfer sends a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transfer {
    Window(u32),
    Category(String),
}

/// A call and what it ended: the window's previous ticket, finished by 叫下一位 (or, if
/// it was called and never started, recorded as 过号).
#[derive(Debug, Clone)]
pub struct CallOutcome {
    pub ticket: Ticket,
    pub finished: Vec<Ticket>,
    pub no_shows: Vec<Ticket>,
}

/// One call as the display and the voice see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub event_id: i64,
    pub number: String,
    pub window: u32,
    pub at: DateTime<Utc>,
    pub kind: String,
}

fn event(
    tx: &Transaction<'_>,
    ticket_id: i64,
    now: DateTime<Utc>,
    kind: &str,
    by: By<'_>,
    window: u32,
    note: Option<&str>,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO ticket_events (ticket_id, at, kind, staff_no, window_no, note, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![ticket_id, now.to_rfc3339(), kind, by.staff, window, note, by.origin],
    )?;
    Ok(())
}

fn paused(tx: &Transaction<'_>, window: u32) -> rusqlite::Result<bool> {
    Ok(tx
        .query_row("SELECT paused FROM window_state WHERE number = ?1", params![window], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(false))
}

fn by_id(tx: &Transaction<'_>, id: i64) -> rusqlite::Result<Ticket> {
    tx.query_row("SELECT * FROM tickets WHERE id = ?1", params![id], row_to_ticket)
}

/// 叫下一位 moves on: a ticket being served is finished; one called and never started
/// goes as `unstarted` says. Returns (finished, recorded as 过号).
fn move_on(
    tx: &Transaction<'_>,
    day: NaiveDate,
    window: u32,
    by: By<'_>,
    now: DateTime<Utc>,
    unstarted: &Unstarted,
) -> Result<(Vec<Ticket>, Vec<Ticket>), CallStoreError> {
    let mut st = tx.prepare(
        "SELECT * FROM tickets WHERE day = ?1 AND window_no = ?2 AND status IN ('called', 'serving') ORDER BY id",
    )?;
    let current: Vec<Ticket> =
        st.query_map(params![day.to_string(), window], row_to_ticket)?.collect::<Result<_, _>>()?;
    drop(st);
    // The page's question was about one ticket: if the window has another now, it is stale.
    let called: Vec<&Ticket> = current.iter().filter(|t| t.status == calling::TicketStatus::Called).collect();
    if let Unstarted::NoShow(Some(seen)) | Unstarted::Finish(Some(seen)) = unstarted {
        if !called.iter().any(|t| &t.number == seen) {
            let now_at = called.first().map(|t| t.number.clone()).unwrap_or_else(|| "空".into());
            return Err(CallStoreError::Stale(now_at));
        }
    }
    if let (Unstarted::Ask, Some(t)) = (unstarted, called.first()) {
        return Err(CallStoreError::Unstarted(t.number.clone()));
    }
    let (mut done, mut skipped) = (Vec::new(), Vec::new());
    let at = now.to_rfc3339();
    for t in &current {
        if t.status == calling::TicketStatus::Called && matches!(unstarted, Unstarted::NoShow(_)) {
            tx.execute("UPDATE tickets SET status = 'no_show' WHERE id = ?1", params![t.id])?;
            event(tx, t.id, now, "no_show", by, window, Some("叫下一位时还没有开始办理，按过号"))?;
            skipped.push(by_id(tx, t.id)?);
        } else if t.status == calling::TicketStatus::Called {
            tx.execute("UPDATE tickets SET status = 'served', finished_at = ?2 WHERE id = ?1", params![t.id, at])?;
            event(tx, t.id, now, "finished", by, window, Some("叫下一位时工作人员确认已办完（没有按开始办理）"))?;
            done.push(by_id(tx, t.id)?);
        } else {
            tx.execute("UPDATE tickets SET status = 'served', finished_at = ?2 WHERE id = ?1", params![t.id, at])?;
            event(tx, t.id, now, "auto_finished", by, window, Some("叫下一位时自动办结"))?;
            done.push(by_id(tx, t.id)?);
        }
    }
    Ok((done, skipped))
}

/// 叫下一位 at `window`: the first waiting ticket in call order (under the station's
/// priority `rule`) that the window may call. None (and nothing changed) when nobody is
/// waiting for this window.
pub fn call_next(
    conn: &mut Connection,
    day: NaiveDate,
    window: &WindowRule,
    rule: PriorityRule,
    by: By<'_>,
    unstarted: &Unstarted,
    now: DateTime<Utc>,
) -> Result<Option<CallOutcome>, CallStoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if paused(&tx, window.number)? {
        return Err(CallStoreError::Paused(window.number));
    }
    let waiting = candidates(&tx, day)?;
    let order = order_on(&tx, day, rule, now)?;
    let Some(next) = calling::pick_next(&waiting, window, order) else {
        return Ok(None);
    };
    let id = next.order;
    let out = call_it(tx, day, id, window.number, by, unstarted, None, now)?;
    Ok(Some(out))
}

/// Calls today's waiting ticket `number` to `window` out of turn (staff chose it from the
/// waiting list), with the reason in its event.
#[allow(clippy::too_many_arguments)]
pub fn call_chosen(
    conn: &mut Connection,
    day: NaiveDate,
    number: &str,
    window: u32,
    by: By<'_>,
    unstarted: &Unstarted,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<CallOutcome, CallStoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if paused(&tx, window)? {
        return Err(CallStoreError::Paused(window));
    }
    let t = tx
        .query_row(
            "SELECT * FROM tickets WHERE day = ?1 AND number = ?2",
            params![day.to_string(), number],
            row_to_ticket,
        )
        .optional()?
        .ok_or_else(|| CallStoreError::NotFound(number.to_string()))?;
    if t.status != calling::TicketStatus::Waiting {
        return Err(CallStoreError::NotWaiting(t.number, t.status));
    }
    let note = format!("不按顺序叫号：{reason}");
    call_it(tx, day, t.id, window, by, unstarted, Some(&note), now)
}

/// Calls ticket `id` to `window` and commits: the window's previous ticket moves on first.
#[allow(clippy::too_many_arguments)]
fn call_it(
    tx: Transaction<'_>,
    day: NaiveDate,
    id: i64,
    window: u32,
    by: By<'_>,
    unstarted: &Unstarted,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<CallOutcome, CallStoreError> {
    let (finished, no_shows) = move_on(&tx, day, window, by, now, unstarted)?;
    let n = tx.execute(
        "UPDATE tickets SET status = 'called', window_no = ?2, staff_no = ?3, called_at = ?4, recalls = 0,
                only_window = NULL
         WHERE id = ?1 AND status = 'waiting'",
        params![id, window, by.staff, now.to_rfc3339()],
    )?;
    if n != 1 {
        // Cannot happen under the write lock; refuse rather than call a ticket twice.
        return Err(CallStoreError::Store(StoreError::Sql(rusqlite::Error::StatementChangedRows(n))));
    }
    event(&tx, id, now, "called", by, window, note)?;
    let ticket = by_id(&tx, id)?;
    tx.commit()?;
    Ok(CallOutcome { ticket, finished, no_shows })
}

/// One button at `window` on today's ticket `number`.
#[allow(clippy::too_many_arguments)]
pub fn act(
    conn: &mut Connection,
    day: NaiveDate,
    number: &str,
    window: u32,
    by: By<'_>,
    action: CallAction,
    transfer: Option<&Transfer>,
    unstarted: &Unstarted,
    limits: Limits,
    now: DateTime<Utc>,
) -> Result<CallOutcome, CallStoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let t = tx
        .query_row(
            "SELECT * FROM tickets WHERE day = ?1 AND number = ?2",
            params![day.to_string(), number],
            row_to_ticket,
        )
        .optional()?
        .ok_or_else(|| CallStoreError::NotFound(number.to_string()))?;
    calling::check(&t.at(), action, window, limits)?;
    let at = now.to_rfc3339();
    let (mut finished, mut no_shows) = (Vec::new(), Vec::new());
    let mut note = None;
    match action {
        CallAction::Recall => {
            tx.execute("UPDATE tickets SET recalls = recalls + 1, called_at = ?2 WHERE id = ?1", params![t.id, at])?;
            note = Some(format!("第{}次重呼", t.recalls + 1));
        }
        CallAction::NoShow => {
            tx.execute("UPDATE tickets SET status = 'no_show' WHERE id = ?1", params![t.id])?;
        }
        CallAction::Callback => {
            if paused(&tx, window)? {
                return Err(CallStoreError::Paused(window));
            }
            (finished, no_shows) = move_on(&tx, day, window, by, now, unstarted)?;
            tx.execute(
                "UPDATE tickets SET status = 'called', window_no = ?2, staff_no = ?3, called_at = ?4, recalls = 0,
                        callbacks = callbacks + 1
                 WHERE id = ?1",
                params![t.id, window, by.staff, at],
            )?;
        }
        CallAction::Start => {
            tx.execute(
                "UPDATE tickets SET status = 'serving', started_at = ?2, staff_no = ?3 WHERE id = ?1",
                params![t.id, at, by.staff],
            )?;
        }
        CallAction::Finish => {
            tx.execute(
                "UPDATE tickets SET status = 'served', finished_at = ?2, staff_no = ?3 WHERE id = ?1",
                params![t.id, at, by.staff],
            )?;
        }
        CallAction::Transfer => {
            // Back into the queue with its issue order (its row id) unchanged: it keeps
            // its place among the waiting.
            match transfer {
                Some(Transfer::Window(w)) => {
                    tx.execute(
                        "UPDATE tickets SET status = 'waiting', window_no = NULL, staff_no = NULL, called_at = NULL,
                                started_at = NULL, recalls = 0, only_window = ?2
                         WHERE id = ?1",
                        params![t.id, w],
                    )?;
                    note = Some(format!("转到{w}号窗口"));
                }
                Some(Transfer::Category(c)) => {
                    tx.execute(
                        "UPDATE tickets SET status = 'waiting', window_no = NULL, staff_no = NULL, called_at = NULL,
                                started_at = NULL, recalls = 0, only_window = NULL, category = ?2
                         WHERE id = ?1",
                        params![t.id, c],
                    )?;
                    note = Some(format!("转到{c}类"));
                }
                None => return Err(CallStoreError::NotFound(number.to_string())),
            }
        }
    }
    event(&tx, t.id, now, action.event(), by, window, note.as_deref())?;
    let ticket = by_id(&tx, t.id)?;
    tx.commit()?;
    Ok(CallOutcome { ticket, finished, no_shows })
}

/// 暂停 / 恢复 a window; `staff` is recorded as working it.
pub fn set_window(
    conn: &Connection,
    window: u32,
    paused: Option<PauseReason>,
    staff: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO window_state (number, paused, pause_reason, staff_no, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(number) DO UPDATE SET paused = excluded.paused, pause_reason = excluded.pause_reason,
             staff_no = COALESCE(excluded.staff_no, window_state.staff_no), updated_at = excluded.updated_at",
        params![window, paused.is_some(), paused.map(|r| r.key()), staff, now.to_rfc3339()],
    )?;
    Ok(())
}

/// A window's live state as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowRow {
    /// Paused, and why (a pause from before reasons were kept counts as 其他).
    pub paused: Option<PauseReason>,
    pub staff: Option<String>,
}

/// Each window's state as stored; windows never touched are open.
pub fn windows(conn: &Connection) -> Result<HashMap<u32, WindowRow>, StoreError> {
    let mut st = conn.prepare_cached("SELECT number, paused, pause_reason, staff_no FROM window_state")?;
    let rows = st.query_map([], |r| {
        let paused = r.get::<_, bool>(1)?.then(|| {
            r.get::<_, Option<String>>(2)
                .ok()
                .flatten()
                .and_then(|k| PauseReason::from_key(&k))
                .unwrap_or(PauseReason::Other)
        });
        Ok((r.get::<_, u32>(0)?, WindowRow { paused, staff: r.get(3)? }))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Closes as 过期 every ticket still waiting whose day is before `today`, or is `today`
/// when the day's hours are over (`today_too`), and every kept ticket whose hour is over.
/// Returns the numbers closed.
pub fn expire_waiting(
    conn: &mut Connection,
    today: NaiveDate,
    today_too: bool,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let ids: Vec<(i64, String)> = {
        let mut st = tx.prepare(
            "SELECT id, number FROM tickets WHERE status = 'waiting'
               AND (day < ?1 OR (?2 AND day = ?1) OR (kept_until IS NOT NULL AND kept_until < ?3))
             ORDER BY id",
        )?;
        let rows =
            st.query_map(params![today.to_string(), today_too, now.to_rfc3339()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let at = now.to_rfc3339();
    for (id, _) in &ids {
        tx.execute("UPDATE tickets SET status = 'cancelled', expired_at = ?2 WHERE id = ?1", params![id, at])?;
        // Nobody pressed anything: no staff, no window.
        tx.execute(
            "INSERT INTO ticket_events (ticket_id, at, kind, note) VALUES (?1, ?2, 'expired', ?3)",
            params![id, at, "下班时还没有叫到，按规定作废（过期）"],
        )?;
    }
    tx.commit()?;
    Ok(ids.into_iter().map(|(_, n)| n).collect())
}

/// Keeps today's tickets still waiting (and not kept already) for `next_day`, to be called
/// first until `until`; a number the next day already has is closed as 过期 instead. The
/// next day's numbers go on after the kept ones. Returns (kept, closed) numbers.
pub fn keep_waiting(
    conn: &mut Connection,
    today: NaiveDate,
    next_day: NaiveDate,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let waiting: Vec<(i64, String, String, u32)> = {
        let mut st = tx.prepare(
            "SELECT id, number, prefix, seq FROM tickets
             WHERE status = 'waiting' AND day = ?1 AND kept_until IS NULL ORDER BY id",
        )?;
        let rows = st.query_map(params![today.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let (mut kept, mut closed) = (Vec::new(), Vec::new());
    let at = now.to_rfc3339();
    for (id, number, prefix, seq) in waiting {
        let taken: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM tickets WHERE day = ?1 AND number = ?2)",
            params![next_day.to_string(), number],
            |r| r.get(0),
        )?;
        if taken {
            tx.execute("UPDATE tickets SET status = 'cancelled', expired_at = ?2 WHERE id = ?1", params![id, at])?;
            tx.execute(
                "INSERT INTO ticket_events (ticket_id, at, kind, note) VALUES (?1, ?2, 'expired', ?3)",
                params![id, at, "下班时还没有叫到；下一个工作日已有同号，按规定作废（过期）"],
            )?;
            closed.push(number);
            continue;
        }
        tx.execute(
            "UPDATE tickets SET day = ?2, kept_until = ?3, kept_from = ?4 WHERE id = ?1",
            params![id, next_day.to_string(), until.to_rfc3339(), today.to_string()],
        )?;
        tx.execute(
            "INSERT INTO ticket_counters (day, prefix, last_seq) VALUES (?1, ?2, ?3)
             ON CONFLICT(day, prefix) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)",
            params![next_day.to_string(), prefix, seq],
        )?;
        tx.execute(
            "INSERT INTO ticket_events (ticket_id, at, kind, note) VALUES (?1, ?2, 'kept', ?3)",
            params![id, at, format!("下班时还没有叫到，留到 {next_day} 上班第一个小时先叫")],
        )?;
        kept.push(number);
    }
    tx.commit()?;
    Ok((kept, closed))
}

/// Every ticket of `day` (the live pages' snapshot: a day has hundreds, not thousands).
pub fn day_tickets(conn: &Connection, day: NaiveDate) -> Result<Vec<Ticket>, StoreError> {
    let mut st = conn.prepare_cached("SELECT * FROM tickets WHERE day = ?1 ORDER BY id")?;
    let rows = st.query_map(params![day.to_string()], row_to_ticket)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Calls (called, recalled, called back) after event `after`, oldest first, at most `limit`.
pub fn calls_since(conn: &Connection, after: i64, limit: u32) -> Result<Vec<CallEvent>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT e.id, t.number, e.window_no, e.at, e.kind FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
         WHERE e.id > ?1 AND e.kind IN ('called', 'recalled', 'callback') ORDER BY e.id LIMIT ?2",
    )?;
    let rows = st.query_map(params![after, limit], call_event)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The last `n` calls of `day`, newest first.
pub fn recent_calls(conn: &Connection, day: NaiveDate, n: u32) -> Result<Vec<CallEvent>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT e.id, t.number, e.window_no, e.at, e.kind FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
         WHERE t.day = ?1 AND e.kind IN ('called', 'recalled', 'callback') ORDER BY e.id DESC LIMIT ?2",
    )?;
    let rows = st.query_map(params![day.to_string(), n], call_event)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn call_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<CallEvent> {
    Ok(CallEvent {
        event_id: r.get(0)?,
        number: r.get(1)?,
        window: r.get::<_, Option<u32>>(2)?.unwrap_or(0),
        at: super::decode::time(r, 3)?,
        kind: r.get(4)?,
    })
}

/// The newest ticket event id (where a new announcer starts listening).
pub fn last_event_id(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT coalesce(max(id), 0) FROM ticket_events", [], |r| r.get(0))?)
}

/// The last explicit 办结 at `window`: (event id, ticket, when). The rating pad offers the
/// five buttons for it for a short while.
pub fn last_finish(conn: &Connection, window: u32) -> Result<Option<(i64, Ticket, DateTime<Utc>)>, StoreError> {
    let found: Option<(i64, i64, String)> = conn
        .query_row(
            "SELECT id, ticket_id, at FROM ticket_events WHERE kind = 'finished' AND window_no = ?1
             ORDER BY id DESC LIMIT 1",
            params![window],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((event_id, ticket_id, at)) = found else { return Ok(None) };
    let t = conn.query_row("SELECT * FROM tickets WHERE id = ?1", params![ticket_id], row_to_ticket)?;
    let at = super::decode::stamp("ticket_events.at", &at)?;
    Ok(Some((event_id, t, at)))
}

/// Average minutes per service of each category over tickets finished since `since`, for
/// the categories with at least `min_samples` services. A service runs from 开始办理 (or
/// the call, when staff went straight to 办结) to 办结.
pub fn measured_minutes(
    conn: &Connection,
    since: DateTime<Utc>,
    min_samples: u32,
) -> Result<HashMap<String, u32>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT category, count(*), avg((julianday(finished_at) - julianday(coalesce(started_at, called_at))) * 1440.0)
         FROM tickets
         WHERE finished_at IS NOT NULL AND finished_at >= ?1 AND coalesce(started_at, called_at) IS NOT NULL
         GROUP BY category",
    )?;
    let rows = st.query_map(params![since.to_rfc3339()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?, r.get::<_, Option<f64>>(2)?))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (cat, n, avg) = row?;
        if let Some(avg) = avg.filter(|a| a.is_finite() && *a >= 0.0) {
            if n >= min_samples {
                out.insert(cat, avg.round().clamp(1.0, 240.0) as u32);
            }
        }
    }
    Ok(out)
}

/// The categories each window calls as the station head set them (windows not set are
/// left out: station.toml decides for them).
pub fn window_categories(conn: &Connection) -> Result<HashMap<u32, Vec<String>>, StoreError> {
    let mut st = conn.prepare_cached("SELECT number, categories FROM window_state WHERE categories IS NOT NULL")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = HashMap::new();
    for row in rows {
        let (n, json) = row?;
        let cats = serde_json::from_str::<Vec<String>>(&json).map_err(|_| {
            StoreError::Sql(rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                Box::new(super::decode::Undecodable {
                    column: "window_state.categories".into(),
                    value: json.clone(),
                    wanted: "a list of categories",
                }),
            ))
        })?;
        out.insert(n, cats);
    }
    Ok(out)
}

pub fn set_window_categories(
    conn: &Connection,
    window: u32,
    categories: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(categories).unwrap_or_else(|_| "[]".into());
    conn.execute(
        "INSERT INTO window_state (number, paused, updated_at, categories) VALUES (?1, 0, ?2, ?3)
         ON CONFLICT(number) DO UPDATE SET categories = excluded.categories, updated_at = excluded.updated_at",
        params![window, now.to_rfc3339(), json],
    )?;
    Ok(())
}
