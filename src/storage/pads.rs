//! Rating pads paired by the station head: each pad device holds a random token (in a
//! cookie); the store keeps only its BLAKE2b hash, the window, and who paired it when.

use super::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

/// A paired pad, as the admin page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pad {
    pub id: i64,
    pub window: u32,
    pub paired_at: DateTime<Utc>,
    pub paired_by: String,
    pub origin: Option<String>,
    pub last_seen: Option<DateTime<Utc>>,
}

pub fn add(
    conn: &Connection,
    window: u32,
    token_hash: &str,
    staff: &str,
    origin: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO pads (window_no, token_hash, paired_at, paired_by, origin) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![window, token_hash, now.to_rfc3339(), staff, origin],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The window of the paired (not revoked) pad with this token hash; notes it was seen.
pub fn window_of(conn: &Connection, token_hash: &str, now: DateTime<Utc>) -> Result<Option<u32>, StoreError> {
    let w: Option<(i64, u32, Option<String>)> = conn
        .query_row(
            "SELECT id, window_no, last_seen FROM pads WHERE token_hash = ?1 AND revoked_at IS NULL",
            params![token_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((id, window, seen)) = w else { return Ok(None) };
    // At most one write a minute per pad, not one per page (a value that does not read as
    // a time is written over with this one).
    let seen = seen.and_then(|s| super::decode::stamp("pads.last_seen", &s).ok());
    if seen.is_none_or(|s| now - s > chrono::Duration::minutes(1)) {
        conn.execute("UPDATE pads SET last_seen = ?2 WHERE id = ?1", params![id, now.to_rfc3339()])?;
    }
    Ok(Some(window))
}

pub fn revoke(conn: &Connection, id: i64, staff: &str, now: DateTime<Utc>) -> Result<Option<u32>, StoreError> {
    let window: Option<u32> = conn
        .query_row("SELECT window_no FROM pads WHERE id = ?1 AND revoked_at IS NULL", params![id], |r| r.get(0))
        .optional()?;
    if window.is_some() {
        conn.execute(
            "UPDATE pads SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1",
            params![id, now.to_rfc3339(), staff],
        )?;
    }
    Ok(window)
}

/// Pads paired and not revoked, by window.
pub fn list(conn: &Connection) -> Result<Vec<Pad>, StoreError> {
    let mut st = conn.prepare(
        "SELECT id, window_no, paired_at, paired_by, origin, last_seen FROM pads WHERE revoked_at IS NULL ORDER BY window_no, id",
    )?;
    let rows = st.query_map([], |r| {
        Ok(Pad {
            id: r.get(0)?,
            window: r.get(1)?,
            paired_at: super::decode::time(r, 2)?,
            paired_by: r.get(3)?,
            origin: r.get(4)?,
            last_seen: super::decode::opt_time(r, 5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
