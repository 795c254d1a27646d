//! The outbox of the township link (schema 14): rows written by triggers in the same
//! transaction as the change they report, read in order by the relay and marked sent
//! after the station's NATS server acknowledged them.

use super::decode;
use super::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

/// One event waiting to go up (or gone).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// The station's own order, gapless per station; with the station's code it is the
    /// message id, so a repeat is harmless.
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub body: serde_json::Value,
}

/// How many events have not been acknowledged yet.
pub fn pending(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM outbox WHERE sent_at IS NULL", [], |r| r.get(0))?)
}

/// When the last purge ran (the audit trail's newest `purge`), RFC 3339.
pub fn last_purge(conn: &Connection) -> Result<Option<String>, StoreError> {
    Ok(conn.query_row("SELECT max(at) FROM audit_events WHERE action = 'purge'", [], |r| r.get(0))?)
}

/// The oldest unsent events, in order, at most `limit`.
pub fn unsent(conn: &Connection, limit: u32) -> Result<Vec<OutboxEvent>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT seq, at, kind, body FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?1")?;
    let rows = stmt.query_map(params![limit], |r| {
        Ok(OutboxEvent {
            seq: r.get(0)?,
            at: r.get(1)?,
            kind: r.get(2)?,
            body: decode::json("outbox.body", &r.get::<_, String>(3)?)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Marks the event `seq` sent (the town's server acknowledged it).
pub fn mark_sent(conn: &Connection, seq: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    conn.execute("UPDATE outbox SET sent_at = ?2 WHERE seq = ?1 AND sent_at IS NULL", params![seq, now.to_rfc3339()])?;
    Ok(())
}

/// Marks every event up to `seq` sent (acknowledged in order).
pub fn mark_sent_upto(conn: &Connection, seq: i64, now: DateTime<Utc>) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "UPDATE outbox SET sent_at = ?2 WHERE seq <= ?1 AND sent_at IS NULL",
        params![seq, now.to_rfc3339()],
    )?)
}

/// The town's version of `kind` this station last applied or refused.
pub fn town_applied(conn: &Connection, kind: &str) -> Result<Option<(i64, String)>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT version, outcome FROM town_applied WHERE kind = ?1", params![kind], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// Records the outcome of the town's version of `kind` (the trigger tells the town).
pub fn set_town_applied(
    conn: &Connection,
    kind: &str,
    version: i64,
    applied: bool,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO town_applied (kind, version, outcome, detail, at, in_force)
         VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?6 THEN ?2 END)
         ON CONFLICT(kind) DO UPDATE SET version = excluded.version, outcome = excluded.outcome,
             detail = excluded.detail, at = excluded.at,
             in_force = CASE WHEN ?6 THEN excluded.version ELSE in_force END",
        params![kind, version, if applied { "applied" } else { "refused" }, detail, now.to_rfc3339(), applied],
    )?;
    Ok(())
}

/// The town's version of `kind` in force here (the last applied; None before any).
pub fn town_in_force(conn: &Connection, kind: &str) -> Result<Option<i64>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT in_force FROM town_applied WHERE kind = ?1", params![kind], |r| r.get(0))
        .optional()?
        .flatten())
}

/// The town's notice for `place` (home, display), if one is up.
pub fn town_notice(conn: &Connection, place: &str) -> Result<Option<String>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT text FROM town_notices WHERE place = ?1 AND text <> ''", params![place], |r| r.get(0))
        .optional()?)
}

/// Puts up (or, with an empty text, takes down) the town's notices, and records the
/// version as applied, in one transaction.
pub fn set_town_notices(
    conn: &mut Connection,
    home: &str,
    display: &str,
    version: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for (place, text) in [("home", home), ("display", display)] {
        tx.execute(
            "INSERT INTO town_notices (place, text, version, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(place) DO UPDATE SET text = excluded.text, version = excluded.version, at = excluded.at",
            params![place, text, version, now.to_rfc3339()],
        )?;
    }
    set_town_applied(&tx, "notices", version, true, None, now)?;
    tx.commit()?;
    Ok(())
}

/// The 差评 reasons the town published and this station applied: (key, label) in order;
/// empty when it never did (the shipped list is in force).
pub fn rating_reasons(conn: &Connection) -> Result<Vec<(String, String)>, StoreError> {
    let mut st = conn.prepare_cached("SELECT key, label FROM rating_reasons ORDER BY position")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The town's version of the reasons in force; 0 for the shipped list.
pub fn rating_reasons_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT coalesce(max(version), 0) FROM rating_reasons", [], |r| r.get(0))?)
}

/// Replaces the reasons with the town's version `version`, and records it as applied, in
/// one transaction.
pub fn set_rating_reasons(
    conn: &mut Connection,
    list: &[(String, String)],
    version: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM rating_reasons", [])?;
    for (i, (k, l)) in list.iter().enumerate() {
        tx.execute(
            "INSERT INTO rating_reasons (position, key, label, version) VALUES (?1, ?2, ?3, ?4)",
            params![i as i64 + 1, k, l, version],
        )?;
    }
    set_town_applied(&tx, "reasons", version, true, None, now)?;
    tx.commit()?;
    Ok(())
}

/// The highest sequence sent (acknowledged by the station's own server).
pub fn last_sent(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT coalesce(max(seq), 0) FROM outbox WHERE sent_at IS NOT NULL", [], |r| r.get(0))?)
}

/// Sends again every event after `confirmed` (the town confirmed it holds 1..=confirmed):
/// an acknowledgement of the station's own server is not the town's.
pub fn resend_after(conn: &Connection, confirmed: i64) -> Result<usize, StoreError> {
    Ok(conn.execute("UPDATE outbox SET sent_at = NULL WHERE seq > ?1 AND sent_at IS NOT NULL", params![confirmed])?)
}

/// Deletes events sent before `before` (the link's copy is the town's now); unsent events
/// are kept whatever their age.
pub fn forget_sent(conn: &Connection, before: DateTime<Utc>) -> Result<usize, StoreError> {
    Ok(conn.execute("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?1", params![before.to_rfc3339()])?)
}
