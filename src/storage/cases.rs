//! 全程代办 cases and their append-only events.
//!
//! A case and its first event are written in one transaction (a crash mid-submission
//! leaves a whole case or none); every later change writes the new state and its event
//! together, after checking that the state is still the one the change was decided on.

use super::decode::{day, key, keyed, opt_day, time};
use super::{By, StoreError};
use crate::domain::case::{tracking_code, Case, CaseEvent, CaseMaterial, CaseState};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

#[derive(Debug, Clone)]
pub struct NewCase {
    pub token: String,
    pub matter_code: String,
    pub matter_name: String,
    pub category: String,
    pub id_number: String,
    pub phone: String,
    pub phone2: Option<String>,
    pub name: Option<String>,
    pub promised_days: u32,
    pub clock_start: NaiveDate,
    pub due_on: NaiveDate,
    pub due_beyond_calendar: bool,
    pub assignee: Option<String>,
    pub uncovered: bool,
    pub materials: Vec<CaseMaterial>,
    pub created_local: NaiveDate,
    pub catalog_version: i64,
    /// The privacy notice the villager acknowledged before giving their data: its version
    /// and when (None: taken at the window or the command line, where staff tell them).
    pub notice: Option<(u32, DateTime<Utc>)>,
    /// 帮办: the staff member helping at the kiosk (audited with the case, from the kiosk).
    pub assisted_by: Option<String>,
}

fn materials_to_json(m: &[CaseMaterial]) -> String {
    serde_json::Value::Array(
        m.iter()
            .map(|x| serde_json::json!({"name": x.name, "requirement": x.requirement, "received": x.received}))
            .collect(),
    )
    .to_string()
}

/// A case's materials as stored (a list of name, requirement, received).
fn materials_from_json(s: &str) -> rusqlite::Result<Vec<CaseMaterial>> {
    #[derive(serde::Deserialize)]
    struct Stored {
        name: String,
        #[serde(default)]
        requirement: String,
        #[serde(default)]
        received: bool,
    }
    let list: Vec<Stored> = serde_json::from_str(s).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            Box::new(super::decode::Undecodable {
                column: "cases.materials_json".into(),
                value: crate::domain::text::capped(s, 40).into_owned(),
                wanted: "a list of materials",
            }),
        )
    })?;
    Ok(list
        .into_iter()
        .map(|m| CaseMaterial { name: m.name, requirement: m.requirement, received: m.received })
        .collect())
}

/// Every case column plus its version: the last event that changed it (a look at the
/// personal data is not a change). A change decided on an older version is refused.
const SELECT: &str = "SELECT cases.*, (SELECT max(id) FROM case_events e WHERE e.case_id = cases.id AND e.kind != 'reveal') AS version FROM cases";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Case> {
    let mats: String = r.get("materials_json")?;
    Ok(Case {
        id: r.get("id")?,
        tracking: r.get("tracking")?,
        token: r.get("token")?,
        matter_code: r.get("matter_code")?,
        matter_name: r.get("matter_name")?,
        category: r.get("category")?,
        id_number: r.get("id_number")?,
        phone: r.get("phone")?,
        phone2: r.get("phone2")?,
        name: r.get("name")?,
        state: keyed(r, "state", CaseState::from_key)?,
        created_at: time(r, "created_at")?,
        promised_days: r.get("promised_days")?,
        clock_start: day(r, "clock_start")?,
        days_used: r.get("days_used")?,
        extension_days: r.get("extension_days")?,
        extension_reason: r.get("extension_reason")?,
        due_on: opt_day(r, "due_on")?,
        due_beyond_calendar: r.get("due_beyond_calendar")?,
        first_responder: r.get("first_responder")?,
        assignee: r.get("assignee")?,
        uncovered: r.get("uncovered")?,
        materials: materials_from_json(&mats)?,
        version: r.get::<_, Option<i64>>("version")?.unwrap_or(0),
        purged: r.get::<_, Option<String>>("purged_at")?.is_some(),
        conflict: r.get("conflict")?,
        assisted_by: r.get("assisted_by")?,
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn insert_event(
    conn: &Connection,
    case_id: i64,
    now: DateTime<Utc>,
    kind: &str,
    from: Option<CaseState>,
    to: Option<CaseState>,
    by: Option<By<'_>>,
    note: Option<&str>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO case_events (case_id, at, kind, from_state, to_state, staff_no, note, origin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            case_id,
            now.to_rfc3339(),
            kind,
            from.map(|s| s.key()),
            to.map(|s| s.key()),
            by.map(|b| b.staff),
            note,
            by.and_then(|b| b.origin)
        ],
    )?;
    Ok(())
}

/// Stores a new case with its tracking code and its first event, all or nothing.
pub fn create(
    conn: &mut Connection,
    c: &NewCase,
    jobs: &[super::tickets::JobPlan<'_>],
    now: DateTime<Utc>,
) -> Result<(Case, Vec<i64>), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // The serial of the submission's date (the column keeps its old name: it holds the
    // full date now, 2026-11-28, so the serials restart each day and never repeat).
    let date = c.created_local.to_string();
    let last: Option<u32> =
        tx.query_row("SELECT last_seq FROM case_counters WHERE mmdd = ?1", params![date], |r| r.get(0)).optional()?;
    let seq = last.unwrap_or(0) + 1;
    if seq > 999 {
        return Err(StoreError::NumbersExhausted { prefix: format!("D-{date}") });
    }
    tx.execute(
        "INSERT INTO case_counters (mmdd, last_seq) VALUES (?1, ?2) ON CONFLICT(mmdd) DO UPDATE SET last_seq = excluded.last_seq",
        params![date, seq],
    )?;
    let tracking = tracking_code(c.created_local.year(), c.created_local.month(), c.created_local.day(), seq);
    tx.execute(
        "INSERT INTO cases (tracking, token, matter_code, matter_name, category, id_number, phone, phone2, name, state,
                            created_at, promised_days, clock_start, due_on, due_beyond_calendar, assignee, uncovered, materials_json,
                            catalog_version, notice_version, notice_at, assisted_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
        params![
            tracking,
            c.token,
            c.matter_code,
            c.matter_name,
            c.category,
            c.id_number,
            c.phone,
            c.phone2,
            c.name,
            CaseState::Pending.key(),
            now.to_rfc3339(),
            c.promised_days,
            c.clock_start.to_string(),
            c.due_on.to_string(),
            c.due_beyond_calendar,
            c.assignee,
            c.uncovered,
            materials_to_json(&c.materials),
            c.catalog_version,
            c.notice.map(|n| n.0),
            c.notice.map(|n| n.1.to_rfc3339()),
            c.assisted_by,
        ],
    )?;
    let id = tx.last_insert_rowid();
    if let Some(staff) = &c.assisted_by {
        super::audit::record(
            &tx,
            now,
            Some(staff),
            "assist-case",
            Some(&tracking),
            Some(&c.matter_name),
            Some(super::ASSIST_ORIGIN),
        )?;
    }
    let missing: Vec<&str> = c.materials.iter().filter(|m| !m.received).map(|m| m.name.as_str()).collect();
    let note =
        if missing.is_empty() { "材料齐全".to_string() } else { format!("待补材料：{}", missing.join("、")) };
    insert_event(&tx, id, now, "created", None, Some(CaseState::Pending), None, Some(&note))?;
    if let Some(a) = &c.assignee {
        insert_event(
            &tx,
            id,
            now,
            "assigned",
            None,
            None,
            Some(By::automatic(a)),
            Some(if c.uncovered { "A、B岗今日都不在，请安排人员顶岗" } else { "按AB岗分派" }),
        )?;
    }
    let case = tx.query_row(&format!("{SELECT} WHERE id = ?1"), params![id], row)?;
    let job_ids = super::tickets::plan_case_jobs(&tx, jobs, id, &tracking, &c.token, now)?;
    tx.commit()?;
    Ok((case, job_ids))
}

pub fn by_tracking(conn: &Connection, tracking: &str) -> Result<Option<Case>, StoreError> {
    Ok(conn.query_row(&format!("{SELECT} WHERE tracking = ?1"), params![tracking], row).optional()?)
}

pub fn by_token(conn: &Connection, token: &str) -> Result<Option<Case>, StoreError> {
    Ok(conn.query_row(&format!("{SELECT} WHERE token = ?1"), params![token], row).optional()?)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<Case>, StoreError> {
    Ok(conn.query_row(&format!("{SELECT} WHERE id = ?1"), params![id], row).optional()?)
}

/// All cases still open (the staff queue), by due date (no due date last).
pub fn open_cases(conn: &Connection) -> Result<Vec<Case>, StoreError> {
    let mut st = conn.prepare(&format!(
        "{SELECT} WHERE state NOT IN ('closed', 'rejected', 'withdrawn') ORDER BY due_on IS NULL, due_on, id"
    ))?;
    let rows = st.query_map([], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn events(conn: &Connection, case_id: i64) -> Result<Vec<CaseEvent>, StoreError> {
    let mut st = conn.prepare(
        "SELECT at, kind, from_state, to_state, staff_no, note FROM case_events WHERE case_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map(params![case_id], |r| {
        let from: Option<String> = r.get(2)?;
        let to: Option<String> = r.get(3)?;
        Ok(CaseEvent {
            at: time(r, 0)?,
            kind: r.get(1)?,
            from_state: from.map(|s| key("case_events.from_state", &s, CaseState::from_key)).transpose()?,
            to_state: to.map(|s| key("case_events.to_state", &s, CaseState::from_key)).transpose()?,
            staff_no: r.get(4)?,
            note: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The clock fields after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockUpdate {
    pub clock_start: NaiveDate,
    pub days_used: u32,
    pub due_on: Option<NaiveDate>,
    pub due_beyond_calendar: bool,
}

/// Refuses a change decided on `expected` when the case has moved on meanwhile (another
/// desk, another process): the staff member must look again rather than write over it.
fn check_expected(tx: &rusqlite::Transaction<'_>, case_id: i64, expected: i64) -> Result<(), ChangeError> {
    let (state, version): (String, Option<i64>) = tx.query_row(
        "SELECT state, (SELECT max(id) FROM case_events e WHERE e.case_id = cases.id AND e.kind != 'reveal')
         FROM cases WHERE id = ?1",
        params![case_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if version.unwrap_or(0) != expected {
        return Err(ChangeError::Stale(key("cases.state", &state, CaseState::from_key)?));
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("这件代办刚被别人改过（现在是“{0}”），请刷新后再办")]
    Stale(CaseState),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ChangeError {
    fn from(e: rusqlite::Error) -> Self {
        ChangeError::Store(StoreError::Sql(e))
    }
}

/// A paper the station printed for a case (the 代办受理回执, the 委托书), carried up to the
/// town with the case when it is handed over (issue 16).
#[derive(Debug, Clone)]
pub struct CaseDoc {
    /// The print job's kind: `case-receipt`, `authorization`.
    pub kind: String,
    pub title: String,
    /// The PDF, or None when it is too large to go over the link (the paper goes).
    pub pdf: Option<Vec<u8>>,
}

/// The largest PDF carried inside an event (the link's messages are at most 1 MB).
pub const DOC_LIMIT: usize = 256 * 1024;

/// The papers printed for a case, newest of each kind: (kind, file).
pub fn printed_docs(conn: &Connection, case_id: i64) -> Result<Vec<(String, String)>, StoreError> {
    let mut st = conn.prepare(
        "SELECT kind, pdf_path FROM print_jobs WHERE id IN (SELECT max(id) FROM print_jobs WHERE case_id = ?1 GROUP BY kind)
         ORDER BY id",
    )?;
    let rows = st.query_map(params![case_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Moves a case from `from` to `to`, with its event, in one transaction. 受理
/// (`set_first_responder`) records who is answerable: the 首问责任人, and the 承办人 too
/// when no A post had been given the case.
#[allow(clippy::too_many_arguments)]
pub fn transition(
    conn: &mut Connection,
    case_id: i64,
    expected: i64,
    to: CaseState,
    by: By<'_>,
    note: &str,
    clock: &ClockUpdate,
    set_first_responder: bool,
    docs: &[CaseDoc],
    now: DateTime<Utc>,
) -> Result<(), ChangeError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    check_expected(&tx, case_id, expected)?;
    let note = (!note.trim().is_empty()).then_some(note.trim());
    move_case(&tx, case_id, to, by, note, clock, set_first_responder, now)?;
    // The papers go up after the case itself (the trigger wrote it with the event), in
    // the same transaction: the town has the case before its papers.
    for d in docs {
        use base64::Engine as _;
        let pdf = d.pdf.as_deref().map(|b| base64::engine::general_purpose::STANDARD.encode(b));
        tx.execute(
            "INSERT INTO outbox (at, kind, body)
             SELECT ?2, 'case.doc.' || tracking, json_object('tracking', tracking, 'kind', ?3, 'title', ?4,
                 'pdf', ?5, 'too_big', ?6, 'at', ?2)
             FROM cases WHERE id = ?1",
            params![case_id, now.to_rfc3339(), d.kind, d.title, pdf, d.pdf.is_none()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// A case's move inside the caller's transaction: its state and clock, who answers for it
/// (on 受理, `set_first_responder`), and the event the outbox and the timeline read.
#[allow(clippy::too_many_arguments)]
fn move_case(
    tx: &Connection,
    case_id: i64,
    to: CaseState,
    by: By<'_>,
    note: Option<&str>,
    clock: &ClockUpdate,
    set_first_responder: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let from: String = tx.query_row("SELECT state FROM cases WHERE id = ?1", params![case_id], |r| r.get(0))?;
    tx.execute(
        "UPDATE cases SET state = ?2, clock_start = ?3, days_used = ?4, due_on = ?5, due_beyond_calendar = ?6,
                first_responder = CASE WHEN ?7 AND first_responder IS NULL THEN ?8 ELSE first_responder END,
                assignee = CASE WHEN ?7 AND assignee IS NULL THEN ?8 ELSE assignee END
         WHERE id = ?1",
        params![
            case_id,
            to.key(),
            clock.clock_start.to_string(),
            clock.days_used,
            clock.due_on.map(|d| d.to_string()),
            clock.due_beyond_calendar,
            set_first_responder,
            by.staff
        ],
    )?;
    insert_event(tx, case_id, now, "transition", CaseState::from_key(&from), Some(to), Some(by), note)?;
    Ok(())
}

/// What a step of the town's does to a station's case.
pub enum TownStep<'a> {
    /// The move fits: the case moves, as the town recorded it.
    Move { case_id: i64, to: CaseState, by: By<'a>, note: Option<&'a str>, clock: ClockUpdate },
    /// The case is already where the step leads (recorded here by hand meanwhile).
    Already,
    /// It no longer fits: the case keeps its state and carries the conflict, in words.
    Conflict { case_id: i64, detail: String, by: By<'a> },
    /// No such case here (never, or no longer).
    Unknown,
    /// A person settled a conflict (at the town or here): the flag goes.
    Settled { case_id: i64, by: By<'a>, note: &'a str },
}

/// Takes in the town's step `seq` for `tracking` — once: a step already taken in is
/// skipped (false). The case's change and the record of the step are one transaction.
pub fn take_town_step(
    conn: &mut Connection,
    seq: i64,
    tracking: &str,
    step: &TownStep<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let seen: Option<i64> =
        tx.query_row("SELECT seq FROM town_steps WHERE seq = ?1", params![seq], |r| r.get(0)).optional()?;
    if seen.is_some() {
        return Ok(false);
    }
    let (outcome, detail) = match step {
        TownStep::Move { case_id, to, by, note, clock } => {
            move_case(&tx, *case_id, *to, *by, *note, clock, false, now)?;
            ("applied", None)
        }
        TownStep::Already => ("already", None),
        TownStep::Unknown => ("unknown", None),
        TownStep::Conflict { case_id, detail, by } => {
            tx.execute("UPDATE cases SET conflict = ?2 WHERE id = ?1", params![case_id, detail])?;
            insert_event(&tx, *case_id, now, "conflict", None, None, Some(*by), Some(detail))?;
            ("conflict", Some(detail.as_str()))
        }
        TownStep::Settled { case_id, by, note } => {
            tx.execute("UPDATE cases SET conflict = NULL WHERE id = ?1", params![case_id])?;
            insert_event(&tx, *case_id, now, "settled", None, None, Some(*by), Some(note))?;
            ("applied", None)
        }
    };
    tx.execute(
        "INSERT INTO town_steps (seq, tracking, outcome, detail, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![seq, tracking, outcome, detail, now.to_rfc3339()],
    )?;
    tx.commit()?;
    Ok(true)
}

/// The last of the town's steps taken in (0: none yet).
pub fn last_town_step(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT COALESCE(max(seq), 0) FROM town_steps", [], |r| r.get(0))?)
}

/// A conflict settled by a person at the station (the flag goes, the town hears of it).
pub fn settle(
    conn: &mut Connection,
    case_id: i64,
    expected: i64,
    by: By<'_>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), ChangeError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    check_expected(&tx, case_id, expected)?;
    tx.execute("UPDATE cases SET conflict = NULL WHERE id = ?1", params![case_id])?;
    insert_event(&tx, case_id, now, "settled", None, None, Some(by), Some(note))?;
    tx.commit()?;
    Ok(())
}

/// Subjects of the station's stream still to be erased (a masked case's events).
pub fn erase_pending(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut st = conn.prepare("SELECT subject FROM stream_erase ORDER BY since, subject")?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn erase_done(conn: &Connection, subject: &str) -> Result<(), StoreError> {
    conn.execute("DELETE FROM stream_erase WHERE subject = ?1", params![subject])?;
    Ok(())
}

/// Grants an extension; the new due date and the reason are recorded together.
#[allow(clippy::too_many_arguments)]
pub fn extend(
    conn: &mut Connection,
    case_id: i64,
    expected: i64,
    days: u32,
    reason: &str,
    by: By<'_>,
    due: Option<(NaiveDate, bool)>,
    now: DateTime<Utc>,
) -> Result<(), ChangeError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    check_expected(&tx, case_id, expected)?;
    tx.execute(
        "UPDATE cases SET extension_days = extension_days + ?2, extension_reason = ?3,
                due_on = COALESCE(?4, due_on), due_beyond_calendar = COALESCE(?5, due_beyond_calendar)
         WHERE id = ?1",
        params![case_id, days, reason, due.map(|d| d.0.to_string()), due.map(|d| d.1)],
    )?;
    insert_event(&tx, case_id, now, "extend", None, None, Some(by), Some(&format!("延长{days}个工作日：{reason}")))?;
    tx.commit()?;
    Ok(())
}

pub fn reassign(
    conn: &mut Connection,
    case_id: i64,
    expected: i64,
    to_staff: &str,
    by: By<'_>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), ChangeError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    check_expected(&tx, case_id, expected)?;
    tx.execute("UPDATE cases SET assignee = ?2, uncovered = 0 WHERE id = ?1", params![case_id, to_staff])?;
    insert_event(&tx, case_id, now, "reassign", None, None, Some(by), Some(&format!("转给 {to_staff}：{note}")))?;
    tx.commit()?;
    Ok(())
}

/// Records that a staff member looked at the unmasked ID and phone (PIPL: who saw what).
pub fn log_reveal(conn: &Connection, case_id: i64, by: By<'_>, now: DateTime<Utc>) -> Result<(), StoreError> {
    insert_event(conn, case_id, now, "reveal", None, None, Some(by), Some("查看完整身份证号和电话"))?;
    Ok(())
}

pub fn set_materials(
    conn: &mut Connection,
    case_id: i64,
    expected: i64,
    materials: &[CaseMaterial],
    by: By<'_>,
    now: DateTime<Utc>,
) -> Result<(), ChangeError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    check_expected(&tx, case_id, expected)?;
    tx.execute("UPDATE cases SET materials_json = ?2 WHERE id = ?1", params![case_id, materials_to_json(materials)])?;
    let missing: Vec<&str> = materials.iter().filter(|m| !m.received).map(|m| m.name.as_str()).collect();
    let note =
        if missing.is_empty() { "材料已齐".to_string() } else { format!("仍缺：{}", missing.join("、")) };
    insert_event(&tx, case_id, now, "materials", None, None, Some(by), Some(&note))?;
    tx.commit()?;
    Ok(())
}

/// Number of cases in each state (for the console's header).
pub fn counts(conn: &Connection) -> Result<Vec<(CaseState, u32)>, StoreError> {
    let mut st = conn.prepare("SELECT state, count(*) FROM cases GROUP BY state")?;
    let rows = st.query_map([], |r| Ok((keyed(r, "state", CaseState::from_key)?, r.get::<_, u32>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
