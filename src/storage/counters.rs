//! The serials a store has handed out (ticket numbers per day and prefix, tracking codes
//! per date), read from one store and carried into another: a restore in the middle of
//! a day goes on after the numbers already given to villagers, never repeating one.

use super::StoreError;
use rusqlite::{params, Connection};

/// Every serial a store has handed out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// (day, prefix, last serial)
    pub tickets: Vec<(String, String, i64)>,
    /// (key, last serial) of the tracking codes
    pub cases: Vec<(String, i64)>,
}

pub fn read(conn: &Connection) -> Result<Counters, StoreError> {
    let mut st = conn.prepare("SELECT day, prefix, last_seq FROM ticket_counters")?;
    let tickets = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
    let mut st = conn.prepare("SELECT mmdd, last_seq FROM case_counters")?;
    let cases = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(Counters { tickets, cases })
}

/// Raises the store's serials to at least `c`'s, in one transaction.
pub fn carry_forward(conn: &mut Connection, c: &Counters) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (day, prefix, seq) in &c.tickets {
        tx.execute(
            "INSERT INTO ticket_counters (day, prefix, last_seq) VALUES (?1, ?2, ?3)
             ON CONFLICT(day, prefix) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)",
            params![day, prefix, seq],
        )?;
    }
    for (key, seq) in &c.cases {
        tx.execute(
            "INSERT INTO case_counters (mmdd, last_seq) VALUES (?1, ?2)
             ON CONFLICT(mmdd) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)",
            params![key, seq],
        )?;
    }
    tx.commit()?;
    Ok(())
}
