//! The list of matters in the store: its published versions (a version is never changed or
//! removed; a rollback publishes an older version's content as a new version), and the
//! store's copy of the live version's categories and matters, kept in step with it.

use super::StoreError;
use crate::domain::matter::Catalog;
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

/// Replaces the categories and matters with the catalog's, in one transaction. Matters
/// no longer listed stay in the store, marked inactive (tickets and cases name them).
pub fn sync(conn: &mut Connection, catalog: &Catalog, now: DateTime<Utc>) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = now.to_rfc3339();
    tx.execute("DELETE FROM categories", [])?;
    for (i, c) in catalog.categories.iter().enumerate() {
        tx.execute(
            "INSERT INTO categories (code, name, full_name, description, position) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![c.code, c.name, c.full_name, c.description, i as i64],
        )?;
    }
    tx.execute("UPDATE matters SET active = 0", [])?;
    tx.execute("DELETE FROM matter_materials", [])?;
    for m in &catalog.matters {
        tx.execute(
            "INSERT INTO matters (code, category, name, short_name, mode, promised_days, department, fee, active, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9)
             ON CONFLICT(code) DO UPDATE SET category = excluded.category, name = excluded.name,
               short_name = excluded.short_name, mode = excluded.mode, promised_days = excluded.promised_days,
               department = excluded.department, fee = excluded.fee, active = 1, updated_at = excluded.updated_at",
            params![m.code, m.category, m.name, m.short_name, m.mode.key(), m.promised_days, m.department, m.fee, now],
        )?;
        for (i, mat) in m.materials.iter().enumerate() {
            tx.execute(
                "INSERT INTO matter_materials (matter_code, position, name, original, copies, quantity, spec, note, optional)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![m.code, i as i64, mat.name, mat.original, mat.copies, mat.quantity, mat.spec, mat.note, mat.optional],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Codes of the active matters, in order.
pub fn active_codes(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut st = conn.prepare("SELECT code FROM matters WHERE active = 1 ORDER BY code")?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
