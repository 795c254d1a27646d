//! 差评 follow-up rows: every bad rating with what it was about, and its assignment and
//! 整改 result once given. Writes are conditional on the row's version (stale check) and
//! carry their audit event in the same transaction.

use super::decode::{opt_time, time};
use super::{audit, By, StoreError};
use crate::domain::followup::Details;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

/// A 差评 and its follow-up as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowupRow {
    pub rating_id: i64,
    pub level: u8,
    pub reason: Option<String>,
    pub comment: Option<String>,
    pub rated_at: DateTime<Utc>,
    pub channel: String,
    pub window: Option<u32>,
    /// Who served (the ticket's window staff, or the case's assignee).
    pub served_by: Option<String>,
    /// "C001 2026-11-30" for a ticket, the tracking code for a case.
    pub subject: String,
    pub matter: String,
    pub assignee: Option<String>,
    pub assigned_by: Option<String>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub result: Option<String>,
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub category: Option<String>,
    pub plan: Option<String>,
    pub fixed_at: Option<String>,
    pub callback_at: Option<String>,
    pub callback_result: Option<String>,
    pub appeal: Option<String>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FollowupRow> {
    Ok(FollowupRow {
        rating_id: r.get("id")?,
        level: r.get("level")?,
        reason: r.get("reason")?,
        comment: r.get("comment")?,
        rated_at: time(r, "at")?,
        channel: r.get("channel")?,
        window: r.get("window_no")?,
        served_by: r.get("served_by")?,
        subject: r.get("subject")?,
        matter: r.get("matter")?,
        assignee: r.get("assignee")?,
        assigned_by: r.get("assigned_by")?,
        assigned_at: opt_time(r, "assigned_at")?,
        result: r.get("result")?,
        done_by: r.get("done_by")?,
        done_at: opt_time(r, "done_at")?,
        version: r.get("version")?,
        category: r.get("category")?,
        plan: r.get("plan")?,
        fixed_at: r.get("fixed_at")?,
        callback_at: r.get("callback_at")?,
        callback_result: r.get("callback_result")?,
        appeal: r.get("appeal")?,
    })
}

const SELECT: &str = "SELECT r.id, r.level, r.reason, r.comment, r.at, r.channel, r.window_no,
        coalesce(r.staff_no, c.assignee) AS served_by,
        coalesce(t.number || ' ' || t.day, c.tracking, '') AS subject,
        coalesce(t.matter_name, c.matter_name, '') AS matter,
        f.assignee, f.assigned_by, f.assigned_at, f.result, f.done_by, f.done_at,
        coalesce(f.version, 0) AS version,
        f.category, f.plan, f.fixed_at, f.callback_at, f.callback_result, f.appeal
    FROM ratings r
    LEFT JOIN tickets t ON t.id = r.ticket_id
    LEFT JOIN cases c ON c.id = r.case_id
    LEFT JOIN followups f ON f.rating_id = r.id
    WHERE r.level <= 2";

/// Every 差评 rated on or after `since` (all when None), newest first.
pub fn list(conn: &Connection, since: Option<DateTime<Utc>>) -> Result<Vec<FollowupRow>, StoreError> {
    let mut st =
        conn.prepare_cached(&format!("{SELECT} AND (?1 IS NULL OR r.at >= ?1) ORDER BY r.at DESC, r.id DESC"))?;
    let rows = st.query_map(params![since.map(|d| d.to_rfc3339())], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The open (not yet put right) 差评 rated before `before`: those may be overdue.
pub fn open_before(conn: &Connection, before: DateTime<Utc>) -> Result<Vec<FollowupRow>, StoreError> {
    let mut st = conn.prepare_cached(&format!("{SELECT} AND f.result IS NULL AND r.at < ?1 ORDER BY r.at, r.id"))?;
    let rows = st.query_map(params![before.to_rfc3339()], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(conn: &Connection, rating_id: i64) -> Result<Option<FollowupRow>, StoreError> {
    let mut st = conn.prepare_cached(&format!("{SELECT} AND r.id = ?1"))?;
    Ok(st.query_row(params![rating_id], row).optional()?)
}

/// What became of a conditional write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Done,
    /// The row changed since the page was shown (or was finished meanwhile).
    Stale,
}

/// One change of a follow-up: `set` (SQL assignments with ?2 = the value, ?3 = who,
/// ?4 = when) applied if the row is still at `version` and not finished, with its audit
/// event, in one transaction.
fn change(
    conn: &mut Connection,
    rating_id: i64,
    version: i64,
    set: &str,
    (action, value): (&str, &str),
    by: By<'_>,
    now: DateTime<Utc>,
) -> Result<Written, StoreError> {
    let tx = conn.transaction()?;
    tx.execute("INSERT INTO followups (rating_id) VALUES (?1) ON CONFLICT DO NOTHING", params![rating_id])?;
    let n = tx.execute(
        &format!("UPDATE followups SET {set}, version = version + 1 WHERE rating_id = ?1 AND version = ?5 AND result IS NULL"),
        params![rating_id, value, by.staff, now.to_rfc3339(), version],
    )?;
    if n == 0 {
        return Ok(Written::Stale); // dropping the transaction rolls the insert back
    }
    audit::by(&tx, now, by, action, Some(&format!("差评{rating_id}")), Some(value))?;
    tx.commit()?;
    Ok(Written::Done)
}

/// Assigns the follow-up of `rating_id` to `assignee`, if the row is still at `version`
/// and not finished; with its audit event.
pub fn assign(
    conn: &mut Connection,
    rating_id: i64,
    version: i64,
    assignee: &str,
    by: By<'_>,
    now: DateTime<Utc>,
) -> Result<Written, StoreError> {
    let set = "assignee = ?2, assigned_by = ?3, assigned_at = ?4";
    change(conn, rating_id, version, set, ("followup-assign", assignee), by, now)
}

/// Records the 整改 result of `rating_id` with its details, if still at `version` and not
/// yet finished, with its audit event.
pub fn finish(
    conn: &mut Connection,
    rating_id: i64,
    version: i64,
    d: &Details,
    by: By<'_>,
    now: DateTime<Utc>,
) -> Result<Written, StoreError> {
    let tx = conn.transaction()?;
    tx.execute("INSERT INTO followups (rating_id) VALUES (?1) ON CONFLICT DO NOTHING", params![rating_id])?;
    let n = tx.execute(
        "UPDATE followups SET result = ?2, done_by = ?3, done_at = ?4, assignee = coalesce(assignee, ?3),
             category = ?6, plan = ?7, fixed_at = ?8, callback_at = ?9, callback_result = ?10, appeal = ?11,
             version = version + 1
         WHERE rating_id = ?1 AND version = ?5 AND result IS NULL",
        params![
            rating_id,
            d.result,
            by.staff,
            now.to_rfc3339(),
            version,
            d.category.map(|c| c.key()),
            d.plan,
            d.fixed_on.map(|x| x.to_string()),
            d.callback_on.map(|x| x.to_string()),
            d.callback_result,
            d.appeal
        ],
    )?;
    if n == 0 {
        return Ok(Written::Stale);
    }
    let detail = match d.category {
        Some(c) => format!("{}：{}", c.label(), d.result),
        None => d.result.clone(),
    };
    audit::by(&tx, now, by, "followup-result", Some(&format!("差评{rating_id}")), Some(&detail))?;
    if let Some(a) = &d.appeal {
        audit::by(&tx, now, by, "followup-appeal", Some(&format!("差评{rating_id}")), Some(a))?;
    }
    tx.commit()?;
    Ok(Written::Done)
}
