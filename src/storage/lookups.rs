//! Missed progress lookups (tracking code + last 4 phone digits), kept a day so that the
//! limits hold across 首页, idle, restarts and processes.

use super::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

/// Misses since `since`: for one code, or for the whole station (None).
pub fn misses_since(conn: &Connection, tracking: Option<&str>, since: DateTime<Utc>) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM lookup_misses WHERE (?1 IS NULL OR tracking = ?1) AND at >= ?2",
        params![tracking, since.to_rfc3339()],
        |r| r.get(0),
    )?)
}

/// The oldest station-wide miss since `since` (when the station-wide pause ends).
pub fn oldest_since(conn: &Connection, since: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
    let at: Option<String> =
        conn.query_row("SELECT min(at) FROM lookup_misses WHERE at >= ?1", params![since.to_rfc3339()], |r| r.get(0))?;
    Ok(at.map(|s| super::decode::stamp("lookup_misses.at", &s)).transpose()?)
}

/// Records a miss, and forgets those older than `forget_before`.
pub fn record_miss(
    conn: &Connection,
    tracking: &str,
    now: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.execute("INSERT INTO lookup_misses (tracking, at) VALUES (?1, ?2)", params![tracking, now.to_rfc3339()])?;
    conn.execute("DELETE FROM lookup_misses WHERE at < ?1", params![forget_before.to_rfc3339()])?;
    Ok(())
}
