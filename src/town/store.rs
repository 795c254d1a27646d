//! The town's store (town.db in the town's data folder): every station's events, each
//! applied once (keyed by station and the station's own sequence), the last heartbeat of
//! each, and the gaps noticed in a station's sequence.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// Tells this file from a station's store (and from any other SQLite file).
const APPLICATION_ID: i32 = 0x4b54_4f57; // "KTOW"

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    station     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (station, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_kind ON events(kind, station);
CREATE TABLE IF NOT EXISTS heartbeats (
    station     TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS staff (
    no       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS matters_versions (
    version      INTEGER PRIMARY KEY,
    source       TEXT NOT NULL,
    note         TEXT NOT NULL,
    staff        TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS holidays_versions (
    version      INTEGER PRIMARY KEY,
    source       TEXT NOT NULL,
    note         TEXT NOT NULL,
    staff        TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notices_versions (
    version      INTEGER PRIMARY KEY,
    source       TEXT NOT NULL,
    note         TEXT NOT NULL,
    staff        TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS gaps (
    station    TEXT NOT NULL,
    after_seq  INTEGER NOT NULL,
    got_seq    INTEGER NOT NULL,
    noticed_at TEXT NOT NULL
);
";

/// A store error, with its detail for the log.
#[derive(Debug, thiserror::Error)]
#[error("镇中心的数据库出错：{0}")]
pub struct TownStoreError(#[from] rusqlite::Error);

pub fn open(path: &Path) -> Result<Connection, TownStoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if id == 0 {
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Applies one event of `station`: stored once whatever how often it comes; a sequence
/// that jumps is recorded as a gap. True when it was new.
pub fn apply_event(
    conn: &mut Connection,
    station: &str,
    seq: i64,
    kind: &str,
    at: &str,
    body: &str,
    now: &str,
) -> Result<bool, TownStoreError> {
    let tx = conn.transaction()?;
    let last: Option<i64> = tx
        .query_row("SELECT max(seq) FROM events WHERE station = ?1", params![station], |r| r.get(0))
        .optional()?
        .flatten();
    let added = tx.execute(
        "INSERT OR IGNORE INTO events (station, seq, kind, at, body, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![station, seq, kind, at, body, now],
    )? == 1;
    if added {
        let expected = last.unwrap_or(0) + 1;
        if seq > expected {
            tx.execute(
                "INSERT INTO gaps (station, after_seq, got_seq, noticed_at) VALUES (?1, ?2, ?3, ?4)",
                params![station, expected - 1, seq, now],
            )?;
        }
    }
    tx.commit()?;
    Ok(added)
}

pub fn apply_heartbeat(
    conn: &Connection,
    station: &str,
    at: &str,
    body: &str,
    now: &str,
) -> Result<(), TownStoreError> {
    conn.execute(
        "INSERT INTO heartbeats (station, at, body, received_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(station) DO UPDATE SET at = excluded.at, body = excluded.body, received_at = excluded.received_at",
        params![station, at, body, now],
    )?;
    Ok(())
}

/// The highest n such that the town holds every event 1..=n of `station`.
pub fn confirmed(conn: &Connection, station: &str) -> Result<i64, TownStoreError> {
    let (count, max): (i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(max(seq), 0) FROM events WHERE station = ?1",
        params![station],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if count == max {
        return Ok(max);
    }
    let has_first: bool =
        conn.query_row("SELECT count(*) > 0 FROM events WHERE station = ?1 AND seq = 1", params![station], |r| {
            r.get(0)
        })?;
    if !has_first {
        return Ok(0);
    }
    // The end of the run that starts at 1: the smallest sequence whose next is missing.
    Ok(conn.query_row(
        "SELECT min(e.seq) FROM events e WHERE e.station = ?1
           AND NOT EXISTS (SELECT 1 FROM events n WHERE n.station = e.station AND n.seq = e.seq + 1)",
        params![station],
        |r| r.get(0),
    )?)
}

/// What the town knows of one station.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// When the town last heard from it (an event or a heartbeat), RFC 3339.
    pub last_seen: Option<String>,
    pub tickets_today: i64,
    pub catalogue_version: Option<i64>,
    pub events: i64,
}

/// `today` is the town's local day (YYYY-MM-DD), as the stations write a ticket's day.
pub fn seen(conn: &Connection, station: &str, today: &str) -> Result<Seen, TownStoreError> {
    let last_event: Option<String> = conn
        .query_row("SELECT max(received_at) FROM events WHERE station = ?1", params![station], |r| r.get(0))
        .optional()?
        .flatten();
    let beat: Option<(String, Option<i64>)> = conn
        .query_row(
            "SELECT received_at, json_extract(body, '$.catalogue_version') FROM heartbeats WHERE station = ?1",
            params![station],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let tickets_today: i64 = conn.query_row(
        "SELECT count(*) FROM events WHERE station = ?1 AND kind = 'ticket.taken' AND json_extract(body, '$.day') = ?2",
        params![station, today],
        |r| r.get(0),
    )?;
    let events: i64 =
        conn.query_row("SELECT count(*) FROM events WHERE station = ?1", params![station], |r| r.get(0))?;
    let last_seen = match (last_event, beat.as_ref().map(|b| b.0.clone())) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    Ok(Seen { last_seen, tickets_today, catalogue_version: beat.and_then(|b| b.1), events })
}

/// Adds (or replaces the PIN and name of) a member of the town's staff.
pub fn put_staff(conn: &Connection, no: &str, name: &str, pin_hash: &str, now: &str) -> Result<(), TownStoreError> {
    conn.execute(
        "INSERT INTO staff (no, name, pin_hash, added_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(no) DO UPDATE SET name = excluded.name, pin_hash = excluded.pin_hash",
        params![no, name, pin_hash, now],
    )?;
    Ok(())
}

/// A member of the town's staff: (name, PIN hash).
pub fn staff(conn: &Connection, no: &str) -> Result<Option<(String, String)>, TownStoreError> {
    Ok(conn
        .query_row("SELECT name, pin_hash FROM staff WHERE no = ?1", params![no], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// What the town publishes for every station.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    Matters,
    Holidays,
    Notices,
}

impl Published {
    /// Its key in the town's bucket and in a station's record of what it applied.
    pub fn key(self) -> &'static str {
        match self {
            Published::Matters => "matters",
            Published::Holidays => "holidays",
            Published::Notices => "notices",
        }
    }
    fn table(self) -> &'static str {
        match self {
            Published::Matters => "matters_versions",
            Published::Holidays => "holidays_versions",
            Published::Notices => "notices_versions",
        }
    }
}

/// Records a file published for every station; its version.
pub fn add_version(
    conn: &mut Connection,
    what: Published,
    source: &str,
    note: &str,
    staff: &str,
    now: &str,
) -> Result<i64, TownStoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let last: Option<i64> = tx.query_row(&format!("SELECT max(version) FROM {}", what.table()), [], |r| r.get(0))?;
    let v = last.unwrap_or(0) + 1;
    tx.execute(
        &format!(
            "INSERT INTO {} (version, source, note, staff, published_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            what.table()
        ),
        params![v, source, note, staff, now],
    )?;
    tx.commit()?;
    Ok(v)
}

/// The newest version published: (version, note, source).
pub fn latest(conn: &Connection, what: Published) -> Result<Option<(i64, String, String)>, TownStoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT version, note, source FROM {} ORDER BY version DESC LIMIT 1", what.table()),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// What a station last said of something the town published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    pub station: String,
    pub version: i64,
    /// applied or refused
    pub outcome: String,
    /// Why it was refused, in the station's words.
    pub detail: Option<String>,
}

/// Each station's last `town.applied` / `town.refused` event about `what`.
pub fn rollout(conn: &Connection, what: Published) -> Result<Vec<Rollout>, TownStoreError> {
    let mut st = conn.prepare(
        "SELECT e.station, json_extract(e.body, '$.version'), substr(e.kind, 6), json_extract(e.body, '$.detail')
         FROM events e
         WHERE e.kind IN ('town.applied', 'town.refused') AND json_extract(e.body, '$.what') = ?1
           AND e.seq = (SELECT max(seq) FROM events x WHERE x.station = e.station
                        AND x.kind IN ('town.applied', 'town.refused') AND json_extract(x.body, '$.what') = ?1)
         ORDER BY e.station",
    )?;
    let rows = st.query_map([what.key()], |r| {
        Ok(Rollout { station: r.get(0)?, version: r.get(1)?, outcome: r.get(2)?, detail: r.get(3)? })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
