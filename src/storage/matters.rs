//! Keeps the store's copy of the published matters in step with `matters.toml`.

use super::StoreError;
use crate::domain::matter::Catalog;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, TransactionBehavior};

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
