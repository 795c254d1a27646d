//! Holiday years imported into the store, and the import itself: the years, the due dates
//! of open cases recomputed with them (each logged on its case), and the audit event, in
//! one transaction.

use super::{audit, cases, By, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredYear {
    pub year: i32,
    pub source: String,
    pub imported_at: DateTime<Utc>,
    pub staff_no: Option<String>,
}

pub fn years(conn: &Connection) -> Result<Vec<StoredYear>, StoreError> {
    let mut st = conn.prepare_cached("SELECT year, source, imported_at, staff_no FROM holiday_years ORDER BY year")?;
    let rows = st.query_map([], |r| {
        Ok(StoredYear {
            year: r.get(0)?,
            source: r.get(1)?,
            imported_at: super::decode::time(r, 2)?,
            staff_no: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Changes whenever a year is imported (by any process): the cheap check before reloading.
pub fn stamp(conn: &Connection) -> Result<String, StoreError> {
    Ok(conn
        .query_row("SELECT count(*) || '/' || coalesce(max(imported_at), '') FROM holiday_years", [], |r| r.get(0))?)
}

/// A case's due date moved by the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueChange {
    pub case_id: i64,
    pub tracking: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub beyond_calendar: bool,
}

/// Stores the years (replacing the same years), moves the due dates, logs each on its
/// case ("due-recomputed") and the whole in the audit trail.
pub fn import(
    conn: &mut Connection,
    years: &[(i32, String)],
    changes: &[DueChange],
    by: By<'_>,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for (year, source) in years {
        tx.execute(
            "INSERT INTO holiday_years (year, source, imported_at, staff_no) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (year) DO UPDATE SET source = ?2, imported_at = ?3, staff_no = ?4",
            params![year, source, now.to_rfc3339(), by.staff],
        )?;
    }
    for c in changes {
        tx.execute(
            "UPDATE cases SET due_on = ?2, due_beyond_calendar = ?3 WHERE id = ?1",
            params![c.case_id, c.to.to_string(), c.beyond_calendar],
        )?;
        let note = format!(
            "节假日安排更新，承诺办结日期 {} → {}{}",
            c.from,
            c.to,
            if c.beyond_calendar { "（仍未含之后年份的节假日）" } else { "" }
        );
        cases::insert_event(&tx, c.case_id, now, "due-recomputed", None, None, Some(by), Some(&note))?;
    }
    let subject: Vec<String> = years.iter().map(|(y, _)| format!("{y}年")).collect();
    audit::record(&tx, now, Some(by.staff), "holidays-import", Some(&subject.join("、")), Some(detail), by.origin)?;
    tx.commit()?;
    Ok(())
}
