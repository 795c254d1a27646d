//! 好差评 ratings: one per ticket or case (the store's UNIQUE constraints are the
//! guarantee, so two phones rating at once store one rating).

use super::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRating<'a> {
    pub ticket_id: Option<i64>,
    pub case_id: Option<i64>,
    pub level: u8,
    pub reason: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub channel: &'a str,
    pub staff_no: Option<&'a str>,
    pub window: Option<u32>,
    pub at: DateTime<Utc>,
    /// The codes of the reasons picked.
    pub reasons: &'a [String],
    /// A paper form: the staff member who typed it in.
    pub entered_by: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRow {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub case_id: Option<i64>,
    pub level: u8,
    pub reason: Option<String>,
    pub comment: Option<String>,
    pub channel: String,
    pub staff_no: Option<String>,
    pub window: Option<u32>,
    pub at: DateTime<Utc>,
    pub reasons: Vec<String>,
    pub entered_by: Option<String>,
}

/// The reason codes as stored (a JSON array of strings); anything else is a fault.
fn codes<I: rusqlite::RowIndex + Copy>(r: &rusqlite::Row<'_>, i: I) -> rusqlite::Result<Vec<String>> {
    let text: String = r.get(i)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RatingRow> {
    Ok(RatingRow {
        id: r.get("id")?,
        ticket_id: r.get("ticket_id")?,
        case_id: r.get("case_id")?,
        level: r.get("level")?,
        reason: r.get("reason")?,
        comment: r.get("comment")?,
        channel: r.get("channel")?,
        staff_no: r.get("staff_no")?,
        window: r.get("window_no")?,
        at: super::decode::time(r, "at")?,
        reasons: codes(r, "reasons")?,
        entered_by: r.get("entered_by")?,
    })
}

/// Stores a rating; false when the ticket or case was already rated (nothing changes).
pub fn insert(conn: &Connection, r: &NewRating<'_>) -> Result<bool, StoreError> {
    let n = conn.execute(
        "INSERT INTO ratings (ticket_id, case_id, level, reason, comment, channel, staff_no, window_no, at,
                              reasons, entered_by, reasons_version, matter_code, matter_version, served_at,
                              assisted_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
                 (SELECT coalesce(max(version), 0) FROM rating_reasons),
                 coalesce((SELECT matter_code FROM tickets WHERE id = ?1), (SELECT matter_code FROM cases WHERE id = ?2)),
                 coalesce((SELECT catalog_version FROM tickets WHERE id = ?1),
                          (SELECT catalog_version FROM cases WHERE id = ?2)),
                 coalesce((SELECT finished_at FROM tickets WHERE id = ?1),
                          (SELECT min(at) FROM case_events
                           WHERE case_id = ?2 AND kind = 'transition' AND to_state = 'completed')),
                 coalesce((SELECT assisted_by FROM tickets WHERE id = ?1), (SELECT assisted_by FROM cases WHERE id = ?2)))
         ON CONFLICT DO NOTHING",
        params![
            r.ticket_id,
            r.case_id,
            r.level,
            r.reason,
            r.comment,
            r.channel,
            r.staff_no,
            r.window,
            r.at.to_rfc3339(),
            serde_json::to_string(r.reasons).unwrap_or_else(|_| "[]".into()),
            r.entered_by
        ],
    )?;
    Ok(n == 1)
}

pub fn for_ticket(conn: &Connection, ticket_id: i64) -> Result<Option<RatingRow>, StoreError> {
    Ok(conn.query_row("SELECT * FROM ratings WHERE ticket_id = ?1", params![ticket_id], row).optional()?)
}

pub fn for_case(conn: &Connection, case_id: i64) -> Result<Option<RatingRow>, StoreError> {
    Ok(conn.query_row("SELECT * FROM ratings WHERE case_id = ?1", params![case_id], row).optional()?)
}

/// 差评 (levels 1 and 2) given since `since`, newest first: flagged for follow-up.
pub fn bad_since(conn: &Connection, since: DateTime<Utc>) -> Result<Vec<RatingRow>, StoreError> {
    let mut st = conn.prepare_cached("SELECT * FROM ratings WHERE level <= 2 AND at >= ?1 ORDER BY id DESC")?;
    let rows = st.query_map(params![since.to_rfc3339()], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A rating as exported (one row of the monthly CSV / JSON Lines), with its follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub id: i64,
    pub level: u8,
    pub channel: String,
    pub matter: Option<String>,
    pub matter_version: Option<i64>,
    /// "2026-11-30 A003" for a ticket.
    pub ticket: Option<String>,
    pub case: Option<String>,
    pub staff: Option<String>,
    pub window: Option<u32>,
    pub served_at: Option<DateTime<Utc>>,
    pub rated_at: DateTime<Utc>,
    pub reasons: Vec<String>,
    pub reasons_version: Option<i64>,
    pub comment: Option<String>,
    pub entered_by: Option<String>,
    /// 帮办: the staff number of who helped the villager at the kiosk with the rated ticket
    /// or request (the rating is still the villager's own).
    pub assisted_by: Option<String>,
    pub followup: Option<FollowupExport>,
}

/// A rating's follow-up as exported (the times as stored, RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct FollowupExport {
    pub assignee: Option<String>,
    pub category: Option<String>,
    pub plan: Option<String>,
    pub fixed_at: Option<String>,
    pub callback_at: Option<String>,
    pub callback_result: Option<String>,
    pub appeal: Option<String>,
    pub result: Option<String>,
    pub done_at: Option<String>,
}

/// Ratings given in `[from, to)`, oldest first, with their follow-ups.
pub fn export_between(conn: &Connection, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ExportRow>, StoreError> {
    use super::decode::opt_time;
    let mut st = conn.prepare_cached(
        "SELECT r.id, r.level, r.channel, r.matter_code, r.matter_version,
                (SELECT day || ' ' || number FROM tickets WHERE id = r.ticket_id),
                (SELECT tracking FROM cases WHERE id = r.case_id),
                r.staff_no, r.window_no, r.served_at, r.at, r.reasons, r.reasons_version, r.comment, r.entered_by,
                f.rating_id, f.assignee, f.category, f.plan, f.fixed_at, f.callback_at, f.callback_result, f.appeal,
                f.result, f.done_at, r.assisted_by
         FROM ratings r LEFT JOIN followups f ON f.rating_id = r.id
         WHERE r.at >= ?1 AND r.at < ?2 ORDER BY r.at, r.id",
    )?;
    let rows = st.query_map(params![from.to_rfc3339(), to.to_rfc3339()], |r| {
        let followup = match r.get::<_, Option<i64>>(15)? {
            Some(_) => Some(FollowupExport {
                assignee: r.get(16)?,
                category: r.get(17)?,
                plan: r.get(18)?,
                fixed_at: r.get(19)?,
                callback_at: r.get(20)?,
                callback_result: r.get(21)?,
                appeal: r.get(22)?,
                result: r.get(23)?,
                done_at: opt_time(r, 24)?.map(|t| t.to_rfc3339()),
            }),
            None => None,
        };
        Ok(ExportRow {
            id: r.get(0)?,
            level: r.get(1)?,
            channel: r.get(2)?,
            matter: r.get(3)?,
            matter_version: r.get(4)?,
            ticket: r.get(5)?,
            case: r.get(6)?,
            staff: r.get(7)?,
            window: r.get(8)?,
            served_at: opt_time(r, 9)?,
            rated_at: super::decode::time(r, 10)?,
            reasons: codes(r, 11)?,
            reasons_version: r.get(12)?,
            comment: r.get(13)?,
            entered_by: r.get(14)?,
            assisted_by: r.get(25)?,
            followup,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
