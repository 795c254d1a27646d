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
