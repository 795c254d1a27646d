//! The audit trail of staff actions that are neither a ticket nor a case event: sign-in,
//! sign-out, a window paused, a receipt reprinted, a call for help answered. Append-only.

use super::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

pub fn record(
    conn: &Connection,
    now: DateTime<Utc>,
    staff: Option<&str>,
    action: &str,
    subject: Option<&str>,
    detail: Option<&str>,
    origin: Option<&str>,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO audit_events (at, staff_no, action, subject, detail, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![now.to_rfc3339(), staff, action, subject, detail, origin],
    )?;
    Ok(())
}

/// A failed sign-in from `origin`: one row per address and day counts them all, with the
/// staff numbers typed (capped), so a flood of guesses cannot fill the disk.
pub fn failed_sign_in(
    conn: &Connection,
    now: DateTime<Utc>,
    day: &str,
    origin: &str,
    staff: &str,
) -> Result<(), StoreError> {
    let staff: String = staff.chars().filter(|c| !c.is_control() && !c.is_whitespace()).take(16).collect();
    let origin: String = origin.chars().take(64).collect();
    let at = now.to_rfc3339();
    conn.execute(
        "INSERT INTO failed_sign_ins (origin, day, count, first_at, last_at, last_staff, staff_tried)
         VALUES (?1, ?2, 1, ?3, ?3, ?4, ?4)
         ON CONFLICT(origin, day) DO UPDATE SET
            count = count + 1,
            last_at = excluded.last_at,
            last_staff = excluded.last_staff,
            staff_tried = CASE
                WHEN instr(' ' || staff_tried || ' ', ' ' || excluded.last_staff || ' ') > 0 THEN staff_tried
                WHEN length(staff_tried) - length(replace(staff_tried, ' ', '')) >= 9 THEN staff_tried
                ELSE staff_tried || ' ' || excluded.last_staff END",
        params![origin, day, at, staff],
    )?;
    Ok(())
}

/// A staff action, with who and the PC they act from.
pub fn by(
    conn: &Connection,
    now: DateTime<Utc>,
    by: super::By<'_>,
    action: &str,
    subject: Option<&str>,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    record(conn, now, Some(by.staff), action, subject, detail, by.origin)
}

/// One line of the audit trail, from any of the three append-only logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLine {
    pub at: DateTime<Utc>,
    pub staff: Option<String>,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub origin: Option<String>,
}

/// What to look for; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub staff: Option<String>,
    /// A case's tracking code or a ticket number (matched at the start of the subject).
    pub subject: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// The trail, newest first: staff and admin actions, every case event done by staff, and
/// every calling action.
pub fn search(conn: &Connection, q: &AuditQuery) -> Result<Vec<AuditLine>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT at, staff_no, action, subject, detail, origin FROM (
            SELECT id AS k, 0 AS src, at, staff_no, action, coalesce(subject, '') AS subject,
                   coalesce(detail, '') AS detail, origin FROM audit_events
            UNION ALL
            SELECT e.id, 1, e.at, e.staff_no, 'case-' || e.kind, c.tracking,
                   coalesce(e.to_state, '') || char(31) || coalesce(e.note, ''), e.origin
            FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.staff_no IS NOT NULL AND e.kind != 'assigned'
            UNION ALL
            SELECT e.id, 2, e.at, e.staff_no, 'ticket-' || e.kind, t.number || ' ' || t.day,
                   coalesce(e.note, ''),
                   CASE WHEN e.origin IS NULL THEN e.window_no || '号窗口'
                        ELSE e.origin || '（' || e.window_no || '号窗口）' END
            FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
            UNION ALL
            SELECT rowid, 3, last_at, last_staff, 'sign-in-failed', '',
                   '共' || count || '次' || CASE WHEN staff_tried != last_staff THEN '，试过的工号：' || staff_tried ELSE '' END,
                   origin
            FROM failed_sign_ins
         )
         WHERE (?1 IS NULL OR staff_no = ?1)
           AND (?2 IS NULL OR subject LIKE ?2 || '%')
           AND (?3 IS NULL OR at >= ?3)
           AND (?4 IS NULL OR at < ?4)
         ORDER BY at DESC, src, k DESC
         LIMIT ?5",
    )?;
    let rows = st.query_map(
        params![
            q.staff.as_deref(),
            q.subject.as_deref(),
            q.from.map(|d| d.to_rfc3339()),
            q.to.map(|d| d.to_rfc3339()),
            q.limit.max(1)
        ],
        |r| {
            Ok(AuditLine {
                at: super::decode::time(r, 0)?,
                staff: r.get(1)?,
                action: r.get(2)?,
                subject: r.get(3)?,
                detail: r.get(4)?,
                origin: r.get(5)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}
