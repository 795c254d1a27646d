//! The duty arrangements: A/B posts (AB岗), days away, and the weekly rota.

use super::StoreError;
use crate::domain::duty::Post;
use chrono::NaiveDate;
use rusqlite::{params, Connection};
use std::collections::HashSet;

pub fn set_away(conn: &Connection, no: &str, day: NaiveDate, away: bool) -> Result<(), StoreError> {
    if away {
        conn.execute("INSERT OR IGNORE INTO staff_away (staff_no, day) VALUES (?1, ?2)", params![no, day.to_string()])?;
    } else {
        conn.execute("DELETE FROM staff_away WHERE staff_no = ?1 AND day = ?2", params![no, day.to_string()])?;
    }
    Ok(())
}

pub fn away_on(conn: &Connection, day: NaiveDate) -> Result<HashSet<String>, StoreError> {
    let mut st = conn.prepare("SELECT staff_no FROM staff_away WHERE day = ?1")?;
    let rows = st.query_map(params![day.to_string()], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set_post(conn: &Connection, scope: &str, a: &str, b: Option<&str>) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO posts (scope, a_staff, b_staff) VALUES (?1, ?2, ?3)
         ON CONFLICT(scope) DO UPDATE SET a_staff = excluded.a_staff, b_staff = excluded.b_staff",
        params![scope, a, b],
    )?;
    Ok(())
}

pub fn posts(conn: &Connection) -> Result<Vec<Post>, StoreError> {
    let mut st = conn.prepare("SELECT scope, a_staff, b_staff FROM posts ORDER BY scope")?;
    let rows = st.query_map([], |r| Ok(Post { scope: r.get(0)?, a: r.get(1)?, b: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn remove_post(conn: &Connection, scope: &str) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM posts WHERE scope = ?1", params![scope])? == 1)
}

/// Days away from `from` to `to` inclusive: (staff, day).
pub fn away_between(conn: &Connection, from: NaiveDate, to: NaiveDate) -> Result<Vec<(String, NaiveDate)>, StoreError> {
    let mut st =
        conn.prepare("SELECT staff_no, day FROM staff_away WHERE day >= ?1 AND day <= ?2 ORDER BY day, staff_no")?;
    let rows = st.query_map(params![from.to_string(), to.to_string()], |r| {
        Ok((r.get::<_, String>(0)?, super::decode::day(r, 1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The weekly rota: (weekday 1 = Monday, staff).
pub fn rota(conn: &Connection) -> Result<Vec<(u32, String)>, StoreError> {
    let mut st = conn.prepare("SELECT weekday, staff_no FROM rota ORDER BY weekday, staff_no")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set_rota(conn: &Connection, weekday: u32, no: &str, on: bool) -> Result<(), StoreError> {
    if on {
        conn.execute("INSERT OR IGNORE INTO rota (weekday, staff_no) VALUES (?1, ?2)", params![weekday, no])?;
    } else {
        conn.execute("DELETE FROM rota WHERE weekday = ?1 AND staff_no = ?2", params![weekday, no])?;
    }
    Ok(())
}
