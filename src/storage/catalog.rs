//! Published versions of the list of matters. A version is never changed or removed; a
//! rollback publishes an older version's content as a new version.

use super::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub version: i64,
    pub published_at: DateTime<Utc>,
    pub staff_no: Option<String>,
    pub note: String,
    pub rollback_of: Option<i64>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<VersionRow> {
    Ok(VersionRow {
        version: r.get("version")?,
        published_at: super::decode::time(r, "published_at")?,
        staff_no: r.get("staff_no")?,
        note: r.get("note")?,
        rollback_of: r.get("rollback_of")?,
    })
}

/// The live (newest) version number, if any was published.
pub fn live_version(conn: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(conn.query_row("SELECT max(version) FROM catalog_versions", [], |r| r.get(0))?)
}

/// A version's TOML source.
pub fn source(conn: &Connection, version: i64) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT source FROM catalog_versions WHERE version = ?1", params![version], |r| r.get(0))
        .optional()?)
}

/// Publishes `source` as the next version; returns its number. `only_if_none`: publish
/// only when nothing was ever published (the first start seeding the store), atomically,
/// so two processes starting together publish one version 1.
pub fn publish(
    conn: &mut Connection,
    source: &str,
    staff: Option<&str>,
    note: &str,
    rollback_of: Option<i64>,
    only_if_none: bool,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let last: Option<i64> = tx.query_row("SELECT max(version) FROM catalog_versions", [], |r| r.get(0))?;
    if let (true, Some(v)) = (only_if_none, last) {
        return Ok(v);
    }
    let version = last.unwrap_or(0) + 1;
    tx.execute(
        "INSERT INTO catalog_versions (version, published_at, staff_no, note, source, rollback_of)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![version, now.to_rfc3339(), staff, note, source, rollback_of],
    )?;
    tx.commit()?;
    Ok(version)
}

/// Every version, oldest first.
pub fn versions(conn: &Connection) -> Result<Vec<VersionRow>, StoreError> {
    let mut st = conn
        .prepare("SELECT version, published_at, staff_no, note, rollback_of FROM catalog_versions ORDER BY version")?;
    let rows = st.query_map([], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
