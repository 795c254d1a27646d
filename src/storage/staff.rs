//! Staff accounts, days away, and the A/B posts.

use super::StoreError;
use crate::domain::duty::Post;
use crate::domain::staff::{Role, StaffMember};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashSet;

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StaffMember> {
    let locked: Option<String> = r.get("locked_until")?;
    Ok(StaffMember {
        no: r.get("no")?,
        name: r.get("name")?,
        role: super::decode::keyed(r, "role", Role::from_key)?,
        pin_hash: r.get("pin_hash")?,
        failed_attempts: r.get("failed_attempts")?,
        locked_until: locked.map(|s| super::decode::stamp("staff.locked_until", &s)).transpose()?,
        active: r.get("active")?,
    })
}

/// Adds a staff member; an existing number is an error (names are not silently replaced).
pub fn add(conn: &Connection, no: &str, name: &str, role: Role, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let n = conn.execute(
        "INSERT INTO staff (no, name, role, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(no) DO NOTHING",
        params![no, name, role.key(), now.to_rfc3339()],
    )?;
    Ok(n == 1)
}

pub fn get(conn: &Connection, no: &str) -> Result<Option<StaffMember>, StoreError> {
    Ok(conn.query_row("SELECT * FROM staff WHERE no = ?1", params![no], row).optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<StaffMember>, StoreError> {
    let mut st = conn.prepare("SELECT * FROM staff ORDER BY no")?;
    let rows = st.query_map([], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set_pin_hash(conn: &Connection, no: &str, hash: &str) -> Result<bool, StoreError> {
    let n = conn.execute(
        "UPDATE staff SET pin_hash = ?2, failed_attempts = 0, locked_until = NULL, lockouts = 0 WHERE no = ?1",
        params![no, hash],
    )?;
    Ok(n == 1)
}

/// One sign-in attempt, counted before its PIN is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// This attempt's number since the last good sign-in or the end of the last lock.
    pub n: u32,
    /// The lock in force, if any.
    pub locked_until: Option<DateTime<Utc>>,
    /// Locks since the last good sign-in.
    pub lockouts: u32,
}

/// Counts an attempt in a single statement (so guesses in parallel each get their own
/// number and none goes uncounted); a lock that has run out starts the count again.
pub fn begin_attempt(conn: &Connection, no: &str, now: DateTime<Utc>) -> Result<Attempt, StoreError> {
    let expired = "locked_until IS NOT NULL AND locked_until <= ?2";
    let (n, locked, lockouts): (u32, Option<String>, u32) = conn.query_row(
        &format!(
            "UPDATE staff SET
                failed_attempts = CASE WHEN {expired} THEN 1 ELSE failed_attempts + 1 END,
                locked_until = CASE WHEN {expired} THEN NULL ELSE locked_until END
             WHERE no = ?1
             RETURNING failed_attempts, locked_until, lockouts"
        ),
        params![no, now.to_rfc3339()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let locked_until = locked.map(|s| super::decode::stamp("staff.locked_until", &s)).transpose()?;
    Ok(Attempt { n, locked_until, lockouts })
}

/// Locks the account until `until` unless a lock is already in force; returns the lock
/// that holds.
pub fn lock(
    conn: &Connection,
    no: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<DateTime<Utc>, StoreError> {
    conn.execute(
        "UPDATE staff SET locked_until = ?3, lockouts = lockouts + 1
         WHERE no = ?1 AND (locked_until IS NULL OR locked_until <= ?2)",
        params![no, now.to_rfc3339(), until.to_rfc3339()],
    )?;
    let held: Option<String> =
        conn.query_row("SELECT locked_until FROM staff WHERE no = ?1", params![no], |r| r.get(0))?;
    match held {
        Some(s) => Ok(super::decode::stamp("staff.locked_until", &s)?),
        None => Ok(until),
    }
}

/// A good sign-in: the counts start again.
pub fn clear_failures(conn: &Connection, no: &str) -> Result<(), StoreError> {
    conn.execute("UPDATE staff SET failed_attempts = 0, locked_until = NULL, lockouts = 0 WHERE no = ?1", params![no])?;
    Ok(())
}

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

pub fn set_active(conn: &Connection, no: &str, active: bool) -> Result<bool, StoreError> {
    Ok(conn.execute("UPDATE staff SET active = ?2 WHERE no = ?1", params![no, active])? == 1)
}

pub fn set_role(conn: &Connection, no: &str, role: Role) -> Result<bool, StoreError> {
    Ok(conn.execute("UPDATE staff SET role = ?2 WHERE no = ?1", params![no, role.key()])? == 1)
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
