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
CREATE TABLE IF NOT EXISTS reasons_versions (
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
-- What the overview and the reports read, kept from the events as they are applied (in
-- the same transaction): one row per ticket of each station, one per rating.
CREATE TABLE IF NOT EXISTS tickets (
    station      TEXT NOT NULL,
    day          TEXT NOT NULL,
    number       TEXT NOT NULL,
    category     TEXT NOT NULL,
    matter       TEXT,
    taken_at     TEXT,
    first_called TEXT,
    started_at   TEXT,
    finished_at  TEXT,
    status       TEXT NOT NULL,
    window_no    INTEGER,
    staff        TEXT,
    last_seq     INTEGER NOT NULL,
    PRIMARY KEY (station, day, number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tickets_by_day ON tickets(day, station);
CREATE TABLE IF NOT EXISTS ratings (
    station        TEXT NOT NULL,
    id             INTEGER NOT NULL,
    level          INTEGER NOT NULL,
    reason         TEXT,
    channel        TEXT,
    staff          TEXT,
    window_no      INTEGER,
    at             TEXT NOT NULL,
    assignee       TEXT,
    followed_up_at TEXT,
    assisted_by    TEXT,
    PRIMARY KEY (station, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ratings_by_at ON ratings(at);
CREATE INDEX IF NOT EXISTS ratings_open ON ratings(station) WHERE level <= 2 AND followed_up_at IS NULL;
-- Each station's heartbeats of the last days (the station page's history).
CREATE TABLE IF NOT EXISTS heartbeat_log (
    station     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS heartbeat_log_by_station ON heartbeat_log(station, received_at);
-- What the town's staff did (sign-in, publications), append-only.
CREATE TABLE IF NOT EXISTS audit (
    at      TEXT NOT NULL,
    staff   TEXT,
    action  TEXT NOT NULL,
    subject TEXT,
    detail  TEXT,
    origin  TEXT
);
-- 全程代办 cases handed to the town (issue 16): the case as the station sent it on 已报送,
-- masked when the station's retention masks it; every step of both ends in order, the
-- town's own ones sent down to the station (sent_at: when the hub acknowledged).
CREATE TABLE IF NOT EXISTS cases (
    station              TEXT NOT NULL,
    tracking             TEXT NOT NULL,
    matter               TEXT NOT NULL,
    matter_name          TEXT NOT NULL,
    matter_version       INTEGER,
    category             TEXT,
    name                 TEXT,
    id_number            TEXT NOT NULL,
    phone                TEXT NOT NULL,
    phone2               TEXT,
    materials            TEXT NOT NULL,
    due                  TEXT,
    promised_days        INTEGER,
    first_responder      TEXT,
    first_responder_name TEXT,
    station_note         TEXT,
    state                TEXT NOT NULL,
    handed_at            TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    conflict             TEXT,
    masked_at            TEXT,
    PRIMARY KEY (station, tracking)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cases_by_due ON cases(due);
CREATE INDEX IF NOT EXISTS cases_by_state ON cases(state);
CREATE TABLE IF NOT EXISTS case_steps (
    id         INTEGER PRIMARY KEY,
    station    TEXT NOT NULL,
    tracking   TEXT NOT NULL,
    at         TEXT NOT NULL,
    origin     TEXT NOT NULL CHECK (origin IN ('town', 'station')),
    kind       TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT,
    staff      TEXT,
    note       TEXT,
    sent_at    TEXT
);
CREATE INDEX IF NOT EXISTS case_steps_by_case ON case_steps(station, tracking, id);
CREATE INDEX IF NOT EXISTS case_steps_unsent ON case_steps(id) WHERE origin = 'town' AND sent_at IS NULL;
-- The papers a station printed for a handed case (its PDF, unless too large for the link);
-- gone when the station's retention masks the case.
CREATE TABLE IF NOT EXISTS case_docs (
    station  TEXT NOT NULL,
    tracking TEXT NOT NULL,
    kind     TEXT NOT NULL,
    title    TEXT NOT NULL,
    pdf      BLOB,
    at       TEXT NOT NULL,
    PRIMARY KEY (station, tracking, kind)
) WITHOUT ROWID;
-- Subjects of the town's stream to erase (a masked case's events), until done.
CREATE TABLE IF NOT EXISTS stream_erase (
    subject TEXT PRIMARY KEY,
    since   TEXT NOT NULL
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
    // Freed space is zeroed: a masked case's personal data does not linger in the file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    let id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if id == 0 {
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    conn.execute_batch(SCHEMA)?;
    upgrade(&conn)?;
    Ok(conn)
}

/// The schema's version in `user_version`: 1 added the staff's lock-out columns, 2 the
/// tables kept from the events (filled from the events already held), 3 the 代办 cases
/// (new tables only: no station sent a case before), 4 the papers of the cases (a new table),
/// 5 the 帮办 mark of a rating (a new column: no station sent one before).
const VERSION: i32 = 5;

fn upgrade(conn: &Connection) -> Result<(), TownStoreError> {
    let v: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if v >= VERSION {
        return Ok(());
    }
    let rated_assisted: bool =
        conn.query_row("SELECT count(*) > 0 FROM pragma_table_info('ratings') WHERE name = 'assisted_by'", [], |r| {
            r.get(0)
        })?;
    if !rated_assisted {
        conn.execute_batch("ALTER TABLE ratings ADD COLUMN assisted_by TEXT")?;
    }
    if (2..=4).contains(&v) {
        conn.pragma_update(None, "user_version", VERSION)?;
        return Ok(());
    }
    let has = |col: &str| -> Result<bool, rusqlite::Error> {
        conn.query_row("SELECT count(*) > 0 FROM pragma_table_info('staff') WHERE name = ?1", [col], |r| r.get(0))
    };
    let tx = conn.unchecked_transaction()?;
    for (col, def) in [
        ("failed", "INTEGER NOT NULL DEFAULT 0"),
        ("lockouts", "INTEGER NOT NULL DEFAULT 0"),
        ("locked_until", "TEXT"),
        ("active", "INTEGER NOT NULL DEFAULT 1"),
    ] {
        if !has(col)? {
            tx.execute_batch(&format!("ALTER TABLE staff ADD COLUMN {col} {def}"))?;
        }
    }
    tx.execute_batch("DELETE FROM tickets; DELETE FROM ratings;")?;
    {
        let mut st = tx.prepare("SELECT station, seq, kind, body FROM events ORDER BY station, seq")?;
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        for row in rows {
            let (station, seq, kind, body) = row?;
            derive(&tx, &station, seq, &kind, &body)?;
        }
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Keeps the tickets and ratings tables up to date with one applied event. An event that
/// comes late (a gap filled) never undoes a later one: a ticket's status follows the
/// highest sequence seen.
fn derive(conn: &Connection, station: &str, seq: i64, kind: &str, body: &str) -> Result<(), TownStoreError> {
    let b: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let text = |k: &str| b[k].as_str().map(str::to_string);
    if let Some(step) = kind.strip_prefix("ticket.") {
        let Some(status) = crate::domain::town::status_after(step) else { return Ok(()) };
        let (Some(day), Some(number)) = (text("day"), text("number")) else { return Ok(()) };
        let at = text("at");
        if let (true, Some(from)) = (step == "kept", text("from_day")) {
            // Kept for the next working day: the same ticket moves to its new day.
            conn.prepare_cached(
                "UPDATE OR IGNORE tickets SET day = ?2 WHERE station = ?1 AND day = ?4 AND number = ?3",
            )?
            .execute(params![station, day, number, from])?;
        }
        conn.prepare_cached(
            "INSERT INTO tickets (station, day, number, category, matter, taken_at, status, last_seq)
             VALUES (?1, ?2, ?3, coalesce(?4, ''), ?5, ?6, ?7, ?8)
             ON CONFLICT(station, day, number) DO NOTHING",
        )?
        .execute(params![
            station,
            day,
            number,
            text("category"),
            text("matter"),
            (step == "taken").then_some(&at),
            status.key(),
            seq
        ])?;
        let called = matches!(step, "called" | "recalled" | "callback");
        conn.prepare_cached(
            "UPDATE tickets SET
                taken_at = CASE WHEN ?4 = 'taken' THEN ?5 ELSE taken_at END,
                first_called = CASE WHEN ?6 AND (first_called IS NULL OR ?5 < first_called) THEN ?5 ELSE first_called END,
                started_at = CASE WHEN ?4 = 'started' THEN ?5 ELSE started_at END,
                finished_at = CASE WHEN ?7 = 'served' THEN ?5 ELSE finished_at END,
                window_no = CASE WHEN ?9 IS NOT NULL AND ?8 >= last_seq THEN ?9 ELSE window_no END,
                staff = CASE WHEN ?10 IS NOT NULL AND ?8 >= last_seq THEN ?10 ELSE staff END,
                status = CASE WHEN ?8 >= last_seq THEN ?7 ELSE status END,
                last_seq = max(last_seq, ?8)
             WHERE station = ?1 AND day = ?2 AND number = ?3",
        )?
        .execute(params![station, day, number, step, at, called, status.key(), seq, b["window"].as_i64(), text("staff")])?;
        if step == "transferred" {
            // 转类别: the ticket now waits in its new category (转窗口 keeps it).
            if let Some(category) = text("to_category") {
                conn.prepare_cached(
                    "UPDATE tickets SET category = ?4 WHERE station = ?1 AND day = ?2 AND number = ?3 AND last_seq <= ?5",
                )?
                .execute(params![station, day, number, category, seq])?;
            }
        }
    } else if kind == "rating" {
        let (Some(id), Some(level)) = (b["id"].as_i64(), b["level"].as_i64()) else { return Ok(()) };
        conn.execute(
            "INSERT INTO ratings (station, id, level, reason, channel, staff, window_no, at, assisted_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, ''), ?9)
             ON CONFLICT(station, id) DO NOTHING",
            params![
                station,
                id,
                level,
                text("reason"),
                text("channel"),
                text("staff"),
                b["window"].as_i64(),
                text("at"),
                text("assisted_by")
            ],
        )?;
    } else if let Some(rest) = kind.strip_prefix("case.") {
        if let Some((what, tracking)) = rest.split_once('.') {
            derive_case(conn, station, what, tracking, &b)?;
        }
    } else if kind == "followup" {
        let Some(rating) = b["rating"].as_i64() else { return Ok(()) };
        conn.execute(
            "UPDATE ratings SET assignee = coalesce(?3, assignee), followed_up_at = coalesce(?4, followed_up_at)
             WHERE station = ?1 AND id = ?2",
            params![station, rating, text("assignee"), text("done_at")],
        )?;
    }
    Ok(())
}

/// A case's event from the station: 已报送 (the case itself), a later step, or its masking.
fn derive_case(
    conn: &Connection,
    station: &str,
    what: &str,
    tracking: &str,
    b: &serde_json::Value,
) -> Result<(), TownStoreError> {
    use crate::domain::case::CaseState;
    let text = |k: &str| b[k].as_str().map(str::to_string);
    let at = text("at").unwrap_or_default();
    let current: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT state, masked_at FROM cases WHERE station = ?1 AND tracking = ?2",
            params![station, tracking],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let step = |kind: &str, from: Option<&str>, to: Option<&str>, note: Option<String>| {
        conn.execute(
            "INSERT INTO case_steps (station, tracking, at, origin, kind, from_state, to_state, staff, note)
             VALUES (?1, ?2, ?3, 'station', ?4, ?5, ?6, ?7, ?8)",
            params![station, tracking, at, kind, from, to, text("staff"), note],
        )
    };
    match what {
        "handed" => {
            let masked = current.as_ref().is_some_and(|c| c.1.is_some());
            let materials = b["materials"].to_string();
            match &current {
                None => {
                    conn.execute(
                        "INSERT INTO cases (station, tracking, matter, matter_name, matter_version, category, name,
                            id_number, phone, phone2, materials, due, promised_days, first_responder,
                            first_responder_name, station_note, state, handed_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 'submitted', ?17, ?17)",
                        params![
                            station,
                            tracking,
                            text("matter").unwrap_or_default(),
                            text("matter_name").unwrap_or_default(),
                            b["matter_version"].as_i64(),
                            text("category"),
                            text("name"),
                            text("id_number").unwrap_or_default(),
                            text("phone").unwrap_or_default(),
                            text("phone2"),
                            materials,
                            text("due"),
                            b["promised_days"].as_i64().map(|d| d + b["extension_days"].as_i64().unwrap_or(0)),
                            text("first_responder"),
                            text("first_responder_name"),
                            text("note"),
                            at
                        ],
                    )?;
                }
                Some((state, _)) => {
                    // 报送 again after 补正: the newest papers; a masked copy stays masked.
                    let fits = state == "submitted"
                        || CaseState::from_key(state).is_some_and(|s| s.next_states().contains(&CaseState::Submitted));
                    conn.execute(
                        "UPDATE cases SET materials = ?3, due = ?4, station_note = ?5, updated_at = ?6,
                             state = CASE WHEN ?7 THEN 'submitted' ELSE state END,
                             conflict = CASE WHEN ?7 THEN conflict ELSE ?8 END
                         WHERE station = ?1 AND tracking = ?2",
                        params![
                            station,
                            tracking,
                            materials,
                            text("due"),
                            text("note"),
                            at,
                            fits,
                            format!("服务站再次报送，但镇中心这件是“{}”：请与服务站核对", state_label(state))
                        ],
                    )?;
                    if !masked {
                        conn.execute(
                            "UPDATE cases SET name = ?3, id_number = ?4, phone = ?5, phone2 = ?6
                             WHERE station = ?1 AND tracking = ?2",
                            params![
                                station,
                                tracking,
                                text("name"),
                                text("id_number").unwrap_or_default(),
                                text("phone").unwrap_or_default(),
                                text("phone2")
                            ],
                        )?;
                    }
                }
            }
            step("handed", text("from").as_deref(), Some("submitted"), text("note"))?;
        }
        "step" => {
            let Some((state, _)) = current else { return Ok(()) };
            let kind = text("kind").unwrap_or_default();
            // The station's due date and materials, whoever made the step.
            conn.execute(
                "UPDATE cases SET due = ?3, materials = ?4, updated_at = ?5 WHERE station = ?1 AND tracking = ?2",
                params![station, tracking, text("due"), b["materials"].to_string(), at],
            )?;
            if text("origin").as_deref() == Some("town") {
                // The town's own step, taken in at the station: known here already.
                return Ok(());
            }
            match kind.as_str() {
                "transition" => {
                    let to = text("to").unwrap_or_default();
                    let fits = CaseState::from_key(&state)
                        .zip(CaseState::from_key(&to))
                        .is_some_and(|(s, t)| s.next_states().contains(&t));
                    if to == state {
                        step("move", text("from").as_deref(), Some(&to), text("note"))?;
                    } else if fits {
                        conn.execute(
                            "UPDATE cases SET state = ?3 WHERE station = ?1 AND tracking = ?2",
                            params![station, tracking, to],
                        )?;
                        step("move", Some(&state), Some(&to), text("note"))?;
                    } else {
                        let detail = format!(
                            "服务站登记了“{}”{}，但镇中心这件已是“{}”：请与服务站核对，再写明怎么处理",
                            state_label(&to),
                            text("note").map(|n| format!("（{n}）")).unwrap_or_default(),
                            state_label(&state)
                        );
                        conn.execute(
                            "UPDATE cases SET conflict = ?3 WHERE station = ?1 AND tracking = ?2",
                            params![station, tracking, detail],
                        )?;
                        step("conflict", Some(&state), Some(&to), Some(detail))?;
                    }
                }
                "conflict" => {
                    conn.execute(
                        "UPDATE cases SET conflict = coalesce(conflict, ?3) WHERE station = ?1 AND tracking = ?2",
                        params![station, tracking, text("note")],
                    )?;
                    step("conflict", None, None, text("note"))?;
                }
                "settled" => {
                    conn.execute(
                        "UPDATE cases SET conflict = NULL WHERE station = ?1 AND tracking = ?2",
                        params![station, tracking],
                    )?;
                    step("settled", None, None, text("note"))?;
                }
                other => step(other, None, None, text("note")).map(|_| ())?,
            }
        }
        "masked" => {
            let Some(_) = current else { return Ok(()) };
            mask_case(conn, station, tracking, b, &at)?;
        }
        "doc" => {
            // A paper of a case the town holds, not yet masked (a paper erased at the station
            // before it went up arrives without its PDF, and is not kept).
            let Some((_, None)) = current else { return Ok(()) };
            let (Some(kind), Some(title)) = (text("kind"), text("title")) else { return Ok(()) };
            use base64::Engine as _;
            let pdf = match text("pdf") {
                Some(p) => match base64::engine::general_purpose::STANDARD.decode(p) {
                    Ok(b) => Some(b),
                    Err(_) => return Ok(()),
                },
                None if b["too_big"].as_bool() == Some(true) => None,
                None => return Ok(()),
            };
            conn.execute(
                "INSERT INTO case_docs (station, tracking, kind, title, pdf, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(station, tracking, kind) DO UPDATE SET title = excluded.title, pdf = excluded.pdf, at = excluded.at",
                params![station, tracking, kind, title, pdf, at],
            )?;
        }
        _ => {}
    }
    Ok(())
}

fn state_label(key: &str) -> &'static str {
    crate::domain::case::CaseState::from_key(key).map(|s| s.label()).unwrap_or("未知")
}

/// The station masked a handed case (its retention): the town's copy, the events that
/// carried it, and (by the hub, later) the messages in the town's stream.
fn mask_case(
    conn: &Connection,
    station: &str,
    tracking: &str,
    b: &serde_json::Value,
    at: &str,
) -> Result<(), TownStoreError> {
    let text = |k: &str| b[k].as_str().map(str::to_string);
    let (id, phone, phone2, name): (String, String, Option<String>, Option<String>) = conn.query_row(
        "SELECT id_number, phone, phone2, name FROM cases WHERE station = ?1 AND tracking = ?2",
        params![station, tracking],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let masked_id = text("id_number").unwrap_or_else(|| crate::domain::identity::mask_id(&id));
    let masked_phone = text("phone").unwrap_or_else(|| crate::domain::identity::mask_phone(&phone));
    let masked_phone2 = text("phone2");
    let masked_name = text("name");
    conn.execute(
        "UPDATE cases SET id_number = ?3, phone = ?4, phone2 = ?5, name = ?6, masked_at = ?7
         WHERE station = ?1 AND tracking = ?2",
        params![station, tracking, masked_id, masked_phone, masked_phone2, masked_name, at],
    )?;
    let swap = |t: &str| {
        let mut t = t.to_string();
        for (full, m) in [
            (Some(id.as_str()), Some(masked_id.as_str())),
            (Some(phone.as_str()), Some(masked_phone.as_str())),
            (phone2.as_deref(), masked_phone2.as_deref()),
            (name.as_deref(), masked_name.as_deref()),
        ] {
            if let (Some(full), Some(m)) = (full, m) {
                if !full.is_empty() {
                    t = t.replace(full, m);
                }
            }
        }
        crate::domain::identity::mask_patterns(&t)
    };
    let rows: Vec<(i64, String)> = conn
        .prepare("SELECT seq, body FROM events WHERE station = ?1 AND kind IN (?2, ?3)")?
        .query_map(params![station, format!("case.handed.{tracking}"), format!("case.step.{tracking}")], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    for (seq, body) in rows {
        let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&body) else { continue };
        crate::storage::purge::mask_strings(&mut v, &swap);
        conn.execute(
            "UPDATE events SET body = ?3 WHERE station = ?1 AND seq = ?2",
            params![station, seq, v.to_string()],
        )?;
    }
    let notes: Vec<(i64, String)> = conn
        .prepare("SELECT id, note FROM case_steps WHERE station = ?1 AND tracking = ?2 AND note IS NOT NULL")?
        .query_map(params![station, tracking], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, note) in notes {
        let m = swap(&note);
        if m != note {
            conn.execute("UPDATE case_steps SET note = ?2 WHERE id = ?1", params![id, m])?;
        }
    }
    conn.execute("DELETE FROM case_docs WHERE station = ?1 AND tracking = ?2", params![station, tracking])?;
    for kind in ["handed", "step", "doc"] {
        conn.execute(
            "INSERT OR IGNORE INTO stream_erase (subject, since) VALUES (?1, ?2)",
            params![format!("evt.{station}.case.{kind}.{tracking}"), at],
        )?;
    }
    Ok(())
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
    let added = apply_in(&tx, station, &Event { seq, kind, at, body }, now)?;
    tx.commit()?;
    if added && kind.starts_with("case.masked.") {
        // The old pages are zeroed in the file; the log is emptied of them too.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    Ok(added)
}

/// One event of a station as it arrives.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub seq: i64,
    pub kind: &'a str,
    pub at: &'a str,
    pub body: &'a str,
}

/// Applies many events of `station` in one transaction (a backlog, a benchmark's year);
/// how many were new.
pub fn apply_batch(
    conn: &mut Connection,
    station: &str,
    events: &[Event<'_>],
    now: &str,
) -> Result<usize, TownStoreError> {
    let tx = conn.transaction()?;
    let mut added = 0;
    for e in events {
        added += apply_in(&tx, station, e, now)? as usize;
    }
    tx.commit()?;
    Ok(added)
}

fn apply_in(tx: &Connection, station: &str, e: &Event<'_>, now: &str) -> Result<bool, TownStoreError> {
    let last: Option<i64> = tx
        .prepare_cached("SELECT max(seq) FROM events WHERE station = ?1")?
        .query_row(params![station], |r| r.get(0))
        .optional()?
        .flatten();
    let added = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO events (station, seq, kind, at, body, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![station, e.seq, e.kind, e.at, kept_body(e.kind, e.body).as_ref(), now])?
        == 1;
    if added {
        derive(tx, station, e.seq, e.kind, e.body)?;
        let expected = last.unwrap_or(0) + 1;
        if e.seq > expected {
            tx.execute(
                "INSERT INTO gaps (station, after_seq, got_seq, noticed_at) VALUES (?1, ?2, ?3, ?4)",
                params![station, expected - 1, e.seq, now],
            )?;
        }
    }
    Ok(added)
}

/// The body the events table keeps: a case's paper without its PDF (kept once, in
/// case_docs, where retention finds it).
fn kept_body<'a>(kind: &str, body: &'a str) -> std::borrow::Cow<'a, str> {
    if !kind.starts_with("case.doc.") {
        return body.into();
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.remove("pdf");
            }
            v.to_string().into()
        }
        Err(_) => body.into(),
    }
}

/// How long the town keeps each station's heartbeat history.
const HEARTBEAT_DAYS: i64 = 7;

pub fn apply_heartbeat(
    conn: &Connection,
    station: &str,
    at: &str,
    body: &str,
    now: &str,
) -> Result<(), TownStoreError> {
    conn.execute(
        "INSERT INTO heartbeat_log (station, received_at, body) VALUES (?1, ?2, ?3)",
        params![station, now, body],
    )?;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(now) {
        let before =
            (t - chrono::Duration::days(HEARTBEAT_DAYS)).to_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        conn.execute("DELETE FROM heartbeat_log WHERE station = ?1 AND received_at < ?2", params![station, before])?;
    }
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
}

/// `today` is the town's local day (YYYY-MM-DD), as the stations write a ticket's day.
pub fn seen(conn: &Connection, station: &str, today: &str) -> Result<Seen, TownStoreError> {
    // The last event applied in the station's order (the primary key's end, not a scan).
    let last_event: Option<String> = conn
        .query_row(
            "SELECT received_at FROM events WHERE station = ?1 ORDER BY seq DESC LIMIT 1",
            params![station],
            |r| r.get(0),
        )
        .optional()?;
    let beat: Option<(String, Option<i64>)> = conn
        .query_row(
            "SELECT received_at, json_extract(body, '$.catalogue_version') FROM heartbeats WHERE station = ?1",
            params![station],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let tickets_today: i64 = conn.query_row(
        "SELECT count(*) FROM tickets WHERE station = ?1 AND day = ?2 AND taken_at IS NOT NULL",
        params![station, today],
        |r| r.get(0),
    )?;
    let last_seen = match (last_event, beat.as_ref().map(|b| b.0.clone())) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    Ok(Seen { last_seen, tickets_today, catalogue_version: beat.and_then(|b| b.1) })
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
    /// The 差评 reasons (a reasons.toml).
    Reasons,
}

impl Published {
    pub const ALL: [Published; 4] = [Published::Matters, Published::Holidays, Published::Notices, Published::Reasons];

    /// Its key in the town's bucket and in a station's record of what it applied.
    pub fn key(self) -> &'static str {
        match self {
            Published::Matters => "matters",
            Published::Holidays => "holidays",
            Published::Notices => "notices",
            Published::Reasons => "reasons",
        }
    }
    /// Its table of versions in the town's store.
    pub fn table(self) -> &'static str {
        match self {
            Published::Matters => "matters_versions",
            Published::Holidays => "holidays_versions",
            Published::Notices => "notices_versions",
            Published::Reasons => "reasons_versions",
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
