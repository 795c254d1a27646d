//! Staff accounts: numbers, names, roles, PIN hashes and sign-in lockouts.

use super::StoreError;
use crate::domain::staff::{Role, StaffMember};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

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

pub fn set_active(conn: &Connection, no: &str, active: bool) -> Result<bool, StoreError> {
    Ok(conn.execute("UPDATE staff SET active = ?2 WHERE no = ?1", params![no, active])? == 1)
}

pub fn set_role(conn: &Connection, no: &str, role: Role) -> Result<bool, StoreError> {
    Ok(conn.execute("UPDATE staff SET role = ?2 WHERE no = ?1", params![no, role.key()])? == 1)
}
