//! Retention: closed cases past the retention period keep only the masked forms of the
//! ID number, phones and name. The store runs with `secure_delete` (freed space is
//! zeroed) and the write-ahead log is truncated afterwards, so the old bytes do not
//! linger in the file or its journal.

use super::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

/// A case due for masking: id, tracking code, ID number, phones and name as stored.
pub struct Due {
    pub id: i64,
    pub tracking: String,
    pub id_number: String,
    pub phone: String,
    pub phone2: Option<String>,
    pub name: Option<String>,
}

/// Cases closed, rejected or withdrawn before `before` (their last event) not yet masked.
pub fn due(conn: &Connection, before: DateTime<Utc>) -> Result<Vec<Due>, StoreError> {
    let mut st = conn.prepare(
        "SELECT c.id, c.tracking, c.id_number, c.phone, c.phone2, c.name FROM cases c
         WHERE c.state IN ('closed', 'rejected', 'withdrawn') AND c.purged_at IS NULL
           AND (SELECT max(e.at) FROM case_events e WHERE e.case_id = c.id AND e.kind != 'reveal') < ?1
         ORDER BY c.id",
    )?;
    let rows = st.query_map(params![before.to_rfc3339()], |r| {
        Ok(Due {
            id: r.get(0)?,
            tracking: r.get(1)?,
            id_number: r.get(2)?,
            phone: r.get(3)?,
            phone2: r.get(4)?,
            name: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Replaces the personal fields of each case (already masked by the caller), in one
/// transaction, then truncates the write-ahead log.
pub fn mask(conn: &mut Connection, masked: &[Due], now: DateTime<Utc>) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for d in masked {
        tx.execute(
            "UPDATE cases SET id_number = ?2, phone = ?3, phone2 = ?4, name = ?5, purged_at = ?6 WHERE id = ?1",
            params![d.id, d.id_number, d.phone, d.phone2, d.name, now.to_rfc3339()],
        )?;
    }
    tx.commit()?;
    // The old pages are in the main file (zeroed by secure_delete as they are freed)
    // and in the log until a checkpoint: write them through and empty the log.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}
