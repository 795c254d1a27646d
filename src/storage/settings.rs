//! Station settings saved at the desk: station.toml keys and their TOML values.

use super::{audit, By, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

/// The saved keys and values, by key.
pub fn all(conn: &Connection) -> Result<Vec<(String, String)>, StoreError> {
    let mut st = conn.prepare_cached("SELECT key, value FROM station_settings ORDER BY key")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many times settings were saved: a form shown before another save is stale.
pub fn saves(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM audit_events WHERE action = 'settings-save'", [], |r| r.get(0))?)
}

/// Replaces the saved settings with `values`, with the audit event, in one transaction.
pub fn replace(
    conn: &mut Connection,
    values: &[(String, String)],
    by: By<'_>,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM station_settings", [])?;
    for (k, v) in values {
        tx.execute(
            "INSERT INTO station_settings (key, value, saved_at, staff_no) VALUES (?1, ?2, ?3, ?4)",
            params![k, v, now.to_rfc3339(), by.staff],
        )?;
    }
    audit::by(&tx, now, by, "settings-save", Some("站点设置"), Some(detail))?;
    tx.commit()?;
    Ok(())
}
