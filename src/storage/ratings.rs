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
    })
}

/// Stores a rating; false when the ticket or case was already rated (nothing changes).
pub fn insert(conn: &Connection, r: &NewRating<'_>) -> Result<bool, StoreError> {
    let n = conn.execute(
        "INSERT INTO ratings (ticket_id, case_id, level, reason, comment, channel, staff_no, window_no, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
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
            r.at.to_rfc3339()
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
