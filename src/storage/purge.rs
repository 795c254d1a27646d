//! Retention: cases whose last activity is older than the retention period — closed or
//! not — keep only the masked forms of the ID number, phones and name, and the ID and
//! phone numbers in their notes are masked too. The store runs with `secure_delete` (freed space is
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

const LAST_ACTIVITY: &str = "(SELECT max(e.at) FROM case_events e WHERE e.case_id = c.id AND e.kind != 'reveal')";

/// Cases not yet masked whose last activity (their last event but a look) was before
/// `before`, whatever their state.
pub fn due(conn: &Connection, before: DateTime<Utc>) -> Result<Vec<Due>, StoreError> {
    let mut st = conn.prepare(&format!(
        "SELECT c.id, c.tracking, c.id_number, c.phone, c.phone2, c.name FROM cases c
         WHERE c.purged_at IS NULL AND {LAST_ACTIVITY} < ?1
         ORDER BY c.id"
    ))?;
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

/// Open cases (not closed, rejected or withdrawn) not yet masked whose last activity was
/// before `before`: (tracking code, last activity), for staff to see before retention
/// masks them.
pub fn idle_open(conn: &Connection, before: DateTime<Utc>) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
    let mut st = conn.prepare(&format!(
        "SELECT c.tracking, {LAST_ACTIVITY} AS last FROM cases c
         WHERE c.purged_at IS NULL AND c.state NOT IN ('closed', 'rejected', 'withdrawn') AND last < ?1
         ORDER BY last"
    ))?;
    let rows = st.query_map(params![before.to_rfc3339()], |r| Ok((r.get(0)?, super::decode::time(r, 1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The notes of a case's events and its extension reason, for masking.
/// A case's event notes (event id, note) and its extension reason.
pub type Notes = (Vec<(i64, String)>, Option<String>);

pub fn notes(conn: &Connection, case_id: i64) -> Result<Notes, StoreError> {
    let mut st = conn.prepare("SELECT id, note FROM case_events WHERE case_id = ?1 AND note IS NOT NULL")?;
    let rows = st.query_map(params![case_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let notes = rows.collect::<Result<_, _>>()?;
    let ext: Option<String> =
        conn.query_row("SELECT extension_reason FROM cases WHERE id = ?1", params![case_id], |r| r.get(0))?;
    Ok((notes, ext))
}

/// Replaces the personal fields of each case (already masked by the caller), in one
/// transaction, then truncates the write-ahead log.
pub fn mask(
    conn: &mut Connection,
    masked: &[Due],
    mask_note: impl Fn(&str) -> String,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for d in masked {
        // What goes up to the town for a handed case (kept in the outbox after it was sent):
        // the same values masked there too.
        let (id, phone, phone2, name): (String, String, Option<String>, Option<String>) =
            tx.query_row("SELECT id_number, phone, phone2, name FROM cases WHERE id = ?1", params![d.id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
        let mut st = tx.prepare("SELECT seq, body FROM outbox WHERE kind IN (?1, ?2)")?;
        let rows: Vec<(i64, String)> = st
            .query_map(params![format!("case.handed.{}", d.tracking), format!("case.step.{}", d.tracking)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        drop(st);
        let swap = |text: &str| {
            let mut t = text.to_string();
            for (full, m) in [
                (Some(id.as_str()), Some(d.id_number.as_str())),
                (Some(phone.as_str()), Some(d.phone.as_str())),
                (phone2.as_deref(), d.phone2.as_deref()),
                (name.as_deref(), d.name.as_deref()),
            ] {
                if let (Some(full), Some(m)) = (full, m) {
                    if !full.is_empty() {
                        t = t.replace(full, m);
                    }
                }
            }
            mask_note(&t)
        };
        for (seq, body) in rows {
            let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&body) else { continue };
            mask_strings(&mut v, &swap);
            let b = v.to_string();
            if b != body {
                tx.execute("UPDATE outbox SET body = ?2 WHERE seq = ?1", params![seq, b])?;
            }
        }
        // The papers that went up with it: the PDF itself goes from the outbox.
        tx.execute(
            "UPDATE outbox SET body = json_set(json_remove(body, '$.pdf'), '$.erased', json('true'))
             WHERE kind = ?1 AND json_extract(body, '$.pdf') IS NOT NULL",
            params![format!("case.doc.{}", d.tracking)],
        )?;
        tx.execute(
            "UPDATE cases SET id_number = ?2, phone = ?3, phone2 = ?4, name = ?5, purged_at = ?6 WHERE id = ?1",
            params![d.id, d.id_number, d.phone, d.phone2, d.name, now.to_rfc3339()],
        )?;
        // The numbers staff typed into the case's notes, masked the same way (the
        // events' trigger allows exactly this change, after the case is marked purged).
        let (notes, ext) = notes(&tx, d.id)?;
        for (id, note) in notes {
            let m = mask_note(&note);
            if m != note {
                tx.execute("UPDATE case_events SET note = ?2 WHERE id = ?1", params![id, m])?;
            }
        }
        if let Some(e) = ext {
            tx.execute("UPDATE cases SET extension_reason = ?2 WHERE id = ?1", params![d.id, mask_note(&e)])?;
        }
    }
    tx.commit()?;
    // The old pages are in the main file (zeroed by secure_delete as they are freed)
    // and in the log until a checkpoint: write them through and empty the log.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// Every string in a JSON value, through `f` (the personal data in an event's body).
pub fn mask_strings(v: &mut serde_json::Value, f: &dyn Fn(&str) -> String) {
    match v {
        serde_json::Value::String(s) => *s = f(s),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| mask_strings(x, f)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| mask_strings(x, f)),
        _ => {}
    }
}

/// A person's cases still holding their data (not yet masked): the case, its state key,
/// matter, when it was made and the privacy notice it was taken under.
pub struct Held {
    pub due: Due,
    pub state: String,
    pub matter: String,
    pub created_at: DateTime<Utc>,
    pub notice_version: Option<u32>,
}

/// The cases of the person with ID number `id_number` that still hold personal data.
pub fn held_for(conn: &Connection, id_number: &str) -> Result<Vec<Held>, StoreError> {
    let mut st = conn.prepare(
        "SELECT id, tracking, id_number, phone, phone2, name, state, matter_name, created_at, notice_version
         FROM cases WHERE id_number = ?1 AND purged_at IS NULL ORDER BY id",
    )?;
    let rows = st.query_map(params![id_number], |r| {
        Ok(Held {
            due: Due {
                id: r.get(0)?,
                tracking: r.get(1)?,
                id_number: r.get(2)?,
                phone: r.get(3)?,
                phone2: r.get(4)?,
                name: r.get(5)?,
            },
            state: r.get(6)?,
            matter: r.get(7)?,
            created_at: super::decode::time(r, 8)?,
            notice_version: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
