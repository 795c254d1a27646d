//! The station's store: one SQLite file in the data folder (rusqlite, bundled SQLite).
//!
//! Every connection runs in WAL mode with `synchronous=FULL` and foreign keys on, so a
//! power cut loses nothing that was committed. Schema versions live in `user_version`;
//! a database from a newer build is refused, never modified.

pub mod audit;

/// Who acts, and from which PC (the audit log's 来自: the desk PC's address, or 本机命令行).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct By<'a> {
    pub staff: &'a str,
    pub origin: Option<&'a str>,
}

impl<'a> By<'a> {
    /// An automatic step recorded under a staff number (no PC: nobody pressed anything).
    pub fn automatic(staff: &'a str) -> By<'a> {
        By { staff, origin: None }
    }
}

pub mod calling;
pub mod cases;
pub mod catalog;
pub mod followups;
pub mod holidays;
pub mod lookups;
pub mod matters;
pub mod purge;
pub mod ratings;
pub mod reports;
pub mod settings;
pub mod staff;
pub mod tickets;

use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Migrations in order; schema version N means the first N have been applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_cases.sql"),
    include_str!("migrations/003_calling.sql"),
    include_str!("migrations/004_catalog_versions.sql"),
    include_str!("migrations/005_people.sql"),
    include_str!("migrations/006_followups.sql"),
    include_str!("migrations/007_holidays.sql"),
    include_str!("migrations/008_settings.sql"),
    include_str!("migrations/009_origins.sql"),
    include_str!("migrations/010_guards.sql"),
    include_str!("migrations/011_purge.sql"),
    include_str!("migrations/012_print_jobs.sql"),
];

pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "the database {path} was written by a newer kiosk (schema {found}, this build knows up to {known}); \
         install the newer kiosk. The database was not changed."
    )]
    TooNew { path: PathBuf, found: u32, known: u32 },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("all 999 numbers for prefix {prefix} are used today")]
    NumbersExhausted { prefix: String },
    #[error("upgrading the database failed: {0}; the database was left as it was")]
    Migration(String),
    #[error(
        "数据库文件 {path} 不是本终端的数据库（{detail}）。文件没有被改动。\
         请把它移走后用 kiosk restore 从备份恢复，或请乡镇管理员处理。"
    )]
    Foreign { path: PathBuf, detail: String },
    #[error(
        "数据库文件 {path} 已损坏（{detail}）。文件没有被改动。\
         请用 kiosk restore 从最近的备份恢复（kiosk backup 写在备份文件夹里），或请乡镇管理员处理。"
    )]
    Damaged { path: PathBuf, detail: String },
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Looks at the file before anything writes to it: an SQLite database (or nothing yet),
/// and not from a newer build. Neither check changes a byte of it.
fn precheck(path: &Path) -> Result<(), StoreError> {
    use std::io::Read;
    // The 100-byte database header: the magic string, and user_version at offset 60
    // (big-endian). Read as a plain file: SQLite is not asked to open it, so nothing,
    // not even a journal, is created beside a file that is not ours.
    let mut head = [0u8; 100];
    let n = match std::fs::File::open(path) {
        Ok(mut f) => {
            let mut n = 0;
            while n < head.len() {
                match f.read(&mut head[n..]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) => return Err(StoreError::Damaged { path: path.to_path_buf(), detail: e.to_string() }),
                }
            }
            n
        }
        Err(_) => return Ok(()), // not there yet: it will be created
    };
    if n == 0 {
        return Ok(());
    }
    if n < 100 || &head[..16] != SQLITE_MAGIC {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(), detail: "开头不是 SQLite 数据库的标记".into()
        });
    }
    let found = u32::from_be_bytes([head[60], head[61], head[62], head[63]]);
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, known: SCHEMA_VERSION });
    }
    Ok(())
}

/// `PRAGMA quick_check` on the store, read-only: Err(Damaged) with SQLite's first
/// complaint. The kiosk and the station service run it at start.
pub fn quick_check(path: &Path) -> Result<(), StoreError> {
    precheck(path)?;
    if !path.exists() {
        return Ok(());
    }
    let ro = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| StoreError::Open { path: path.to_path_buf(), source: e })?;
    let _ = ro.busy_timeout(Duration::from_secs(30));
    let damaged = |detail: String| StoreError::Damaged { path: path.to_path_buf(), detail };
    let mut st = ro.prepare("PRAGMA quick_check").map_err(|e| damaged(e.to_string()))?;
    let rows: Vec<String> =
        st.query_map([], |r| r.get(0)).and_then(|rows| rows.collect()).map_err(|e| damaged(e.to_string()))?;
    match rows.first().map(String::as_str) {
        Some("ok") => Ok(()),
        Some(first) => Err(damaged(first.chars().take(200).collect())),
        None => Err(damaged("quick_check 没有结果".into())),
    }
}

/// Opens (creating if needed) the database at `path` and brings it to the current schema.
/// A file that is not an SQLite database, or is from a newer build, is refused before
/// anything is written to it.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    precheck(path)?;
    let mut conn = Connection::open(path).map_err(|e| StoreError::Open { path: path.to_path_buf(), source: e })?;
    configure(&conn).map_err(|e| StoreError::Open { path: path.to_path_buf(), source: e })?;
    migrate(&mut conn, path)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // Several kiosk processes (the kiosk, the CLI, the station service) share the file:
    // wait for a writer rather than fail.
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted and overwritten personal data is zeroed in the file, not left in free space.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

pub fn schema_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found = schema_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, known: SCHEMA_VERSION });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    // A migration may rebuild a table other tables refer to (SQLite's documented way to
    // change a constraint): foreign keys are off while it runs and checked after.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let result = (|| -> Result<(), StoreError> {
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            // IMMEDIATE: two processes starting together must not both apply a migration.
            // Any early return drops the transaction, which rolls it back.
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if schema_version(&tx)? as usize > i {
                continue;
            }
            tx.execute_batch(sql)?;
            let broken: Option<String> = tx.query_row("PRAGMA foreign_key_check", [], |r| r.get(0)).optional()?;
            if let Some(table) = broken {
                return Err(StoreError::Migration(format!("schema {}: broken references in {table}", i + 1)));
            }
            tx.pragma_update(None, "user_version", (i + 1) as u32)?;
            tx.commit()?;
        }
        Ok(())
    })();
    conn.pragma_update(None, "foreign_keys", "ON")?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.db");
        let c = open(&p).unwrap();
        assert_eq!(schema_version(&c).unwrap(), SCHEMA_VERSION);
        let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "synchronous must be FULL");
        drop(c);
        open(&p).unwrap();
    }

    #[test]
    fn a_version_1_database_with_data_upgrades() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.db");
        {
            // The database as the first release left it: schema 1 and a ticket in it.
            let c = Connection::open(&p).unwrap();
            c.execute_batch(MIGRATIONS[0]).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
            c.execute(
                "INSERT INTO tickets (day, prefix, seq, number, category, matter_code, matter_name, priority, issued_at, token,
                                      ahead_at_issue, wait_min_at_issue)
                 VALUES ('2026-11-28', 'C', 1, 'C001', 'C', 'C02', '最低生活保障申请', 0, '2026-11-28T01:30:00+00:00', 'tok', 0, 0)",
                [],
            )
            .unwrap();
            c.execute(
                "INSERT INTO print_jobs (ticket_id, kind, pdf_path, status, created_at, updated_at)
                 VALUES (1, 'ticket', '/x.pdf', 'failed', '2026-11-28T01:30:00+00:00', '2026-11-28T01:30:00+00:00')",
                [],
            )
            .unwrap();
        }
        let c = open(&p).unwrap();
        assert_eq!(schema_version(&c).unwrap(), SCHEMA_VERSION);
        let n: String = c.query_row("SELECT number FROM tickets WHERE token = 'tok'", [], |r| r.get(0)).unwrap();
        assert_eq!(n, "C001", "data survives the upgrade");
        // The tickets table was rebuilt (schema 3): its print job still points at it.
        let (status, job): (String, i64) = c
            .query_row(
                "SELECT t.status, j.id FROM print_jobs j JOIN tickets t ON t.id = j.ticket_id WHERE t.token = 'tok'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((status.as_str(), job), ("waiting", 1));
        let broken: i64 = c.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
        assert_eq!(broken, 0);
        let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1, "foreign keys are back on after the upgrade");
        let cases: i64 = c.query_row("SELECT count(*) FROM cases", [], |r| r.get(0)).unwrap();
        assert_eq!(cases, 0);
    }

    #[test]
    fn newer_database_is_refused_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.db");
        {
            let c = Connection::open(&p).unwrap();
            c.execute_batch("CREATE TABLE future(x); PRAGMA user_version = 99;").unwrap();
        }
        let err = open(&p).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        let c = Connection::open(&p).unwrap();
        assert_eq!(schema_version(&c).unwrap(), 99);
        let n: i64 = c.query_row("SELECT count(*) FROM sqlite_master WHERE name='tickets'", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0);
    }
}
