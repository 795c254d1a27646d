//! Reading stored values back. A stored time, day, state or role that does not decode is
//! an error naming the column and the value (the store is damaged, or was edited by
//! hand), never a quiet default: a 1970 date or a ticket read as 已取消 would be a wrong
//! answer shown as a right one.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Type;
use rusqlite::{Row, RowIndex};
use std::fmt::Debug;

/// A stored value that is not what its column holds.
#[derive(Debug)]
pub struct Undecodable {
    pub column: String,
    pub value: String,
    pub wanted: &'static str,
}

impl std::fmt::Display for Undecodable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "column {}: {:?} is not {} (the store is damaged or was edited by hand)",
            self.column, self.value, self.wanted
        )
    }
}

impl std::error::Error for Undecodable {}

fn bad(column: impl Debug, value: &str, wanted: &'static str) -> rusqlite::Error {
    let column = format!("{column:?}").trim_matches('"').to_string();
    let value = crate::domain::text::capped(value, 40).into_owned();
    rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(Undecodable { column, value, wanted }))
}

/// A time stored as RFC 3339 text.
pub fn stamp(column: impl Debug, text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).map(|d| d.with_timezone(&Utc)).map_err(|_| bad(column, text, "a time"))
}

/// A day stored as YYYY-MM-DD.
pub fn date(column: impl Debug, text: &str) -> rusqlite::Result<NaiveDate> {
    text.parse().map_err(|_| bad(column, text, "a day"))
}

/// A JSON document stored as text.
pub fn json(column: impl Debug, text: &str) -> rusqlite::Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|_| bad(column, text, "a JSON document"))
}

/// A key of one of the store's vocabularies (a state, a status, a role).
pub fn key<T>(column: impl Debug, text: &str, from_key: impl Fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    from_key(text).ok_or_else(|| bad(column, text, "a known key"))
}

/// The time in column `i`.
pub fn time<I: RowIndex + Debug + Copy>(r: &Row<'_>, i: I) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = r.get(i)?;
    stamp(i, &text)
}

/// The time in column `i`, if there is one.
pub fn opt_time<I: RowIndex + Debug + Copy>(r: &Row<'_>, i: I) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = r.get(i)?;
    text.map(|t| stamp(i, &t)).transpose()
}

/// The day in column `i`.
pub fn day<I: RowIndex + Debug + Copy>(r: &Row<'_>, i: I) -> rusqlite::Result<NaiveDate> {
    let text: String = r.get(i)?;
    date(i, &text)
}

/// The day in column `i`, if there is one.
pub fn opt_day<I: RowIndex + Debug + Copy>(r: &Row<'_>, i: I) -> rusqlite::Result<Option<NaiveDate>> {
    let text: Option<String> = r.get(i)?;
    text.map(|t| date(i, &t)).transpose()
}

/// The vocabulary key in column `i`, decoded.
pub fn keyed<T, I: RowIndex + Debug + Copy>(
    r: &Row<'_>,
    i: I,
    from_key: impl Fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    key(i, &text, from_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_that_does_not_decode_names_its_column() {
        let conn = rusqlite::Connection::open_in_memory().expect("db");
        let e = conn
            .query_row("SELECT 'yesterday' AS issued_at", [], |r| time(r, "issued_at"))
            .expect_err("not a time")
            .to_string();
        assert!(e.contains("issued_at") && e.contains("yesterday"), "{e}");
        let ok = conn.query_row("SELECT '2026-11-30T01:30:00+00:00'", [], |r| time(r, 0)).expect("a time");
        assert_eq!(ok.to_rfc3339(), "2026-11-30T01:30:00+00:00");
        assert!(conn.query_row("SELECT NULL", [], |r| opt_day(r, 0)).expect("none").is_none());
        assert!(conn.query_row("SELECT 'x'", [], |r| keyed(r, 0, |_| None::<u8>)).is_err());
    }
}
