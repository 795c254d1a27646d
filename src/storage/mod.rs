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
pub mod counters;
pub mod decode;
pub mod duty;
pub mod followups;
pub mod holidays;
pub mod lookups;
pub mod matters;
pub mod pads;
pub mod purge;
pub mod ratings;
pub mod reports;
pub mod settings;
pub mod staff;
pub mod sync;
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
    include_str!("migrations/013_devices_and_failures.sql"),
    include_str!("migrations/014_outbox.sql"),
    include_str!("migrations/015_town_applied.sql"),
    include_str!("migrations/016_town_notices.sql"),
    include_str!("migrations/017_rating_reasons.sql"),
    include_str!("migrations/018_town_cases.sql"),
    include_str!("migrations/019_township_details.sql"),
    include_str!("migrations/020_desk_and_ratings.sql"),
    include_str!("migrations/021_assist.sql"),
];

pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Where a staff member acts from during 帮办: the kiosk (the audit log's origin).
pub const ASSIST_ORIGIN: &str = "kiosk";

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

/// `PRAGMA application_id` of a kiosk store ("KIOS"): a store this kiosk made says so in
/// its header, so a stranger's SQLite file is never taken for an empty store.
pub const APPLICATION_ID: i32 = 0x4B49_4F53;

/// The files (device, inode) this process has had open through SQLite, and the lock under
/// which a file is first looked at and opened.
///
/// POSIX drops *every* lock a process holds on a file when the process closes *any*
/// descriptor of that file (SQLite's "How To Corrupt An SQLite Database File", §2.2).
/// SQLite's own connections in one process share their descriptors and locks, so they
/// are safe with each other; but a plain `File::open` + close of the store by a process
/// that holds a connection silently unlocks it, and the next `sqlite3` shell that closes
/// believes it is the last user, checkpoints and deletes the write-ahead log under us.
/// So the file is read outside SQLite only while this process has never opened it
/// through SQLite; after that every look goes through a connection.
static OPENED: std::sync::Mutex<Option<std::collections::HashSet<(u64, u64)>>> = std::sync::Mutex::new(None);

/// The file's device and inode, by `stat` (which opens nothing).
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Runs `open` (which makes SQLite connections to `path`) after looking at the file's
/// header raw — only if no SQLite connection of this process can be holding locks on it —
/// and remembers the file as opened. One lock for all, so no thread reads the file raw
/// while another opens it.
fn guarded<T>(path: &Path, open: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let mut opened = OPENED.lock().unwrap_or_else(|p| p.into_inner());
    let seen = file_id(path).is_some_and(|id| opened.as_ref().is_some_and(|set| set.contains(&id)));
    if !seen {
        precheck_unopened(path)?;
    }
    let result = open();
    // Remember the file even when the open failed part-way: a connection may have taken
    // locks before it was dropped, and the file is now SQLite's to look at.
    if let Some(id) = file_id(path) {
        opened.get_or_insert_with(Default::default).insert(id);
    }
    result
}

/// Looks at a file this process has never opened through SQLite, before SQLite is asked
/// to open it: an SQLite database (or nothing yet), and not from a newer build. Read as a
/// plain file, so nothing, not even a journal, is created beside a file that is not ours.
/// Never call this on a file a connection of this process may hold (see [`OPENED`]).
fn precheck_unopened(path: &Path) -> Result<(), StoreError> {
    use std::io::Read;
    // The 100-byte database header: the magic string, user_version at offset 60 and
    // application_id at 68 (big-endian).
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
    let app = i32::from_be_bytes([head[68], head[69], head[70], head[71]]);
    if app != 0 && app != APPLICATION_ID {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
            detail: format!("别的程序的数据库（application_id {app:#x}）"),
        });
    }
    let found = u32::from_be_bytes([head[60], head[61], head[62], head[63]]);
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, known: SCHEMA_VERSION });
    }
    Ok(())
}

/// Whose file this is, asked through the connection before anything is written to it:
/// another program's SQLite file (another application_id, or tables without a kiosk
/// schema version), or one from a newer build, is refused.
fn identify(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let foreign = |detail: String| StoreError::Foreign { path: path.to_path_buf(), detail };
    let read = |sql: &str| -> Result<i64, StoreError> {
        conn.query_row(sql, [], |r| r.get(0)).map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => foreign("开头不是 SQLite 数据库的标记".into()),
            _ => StoreError::Open { path: path.to_path_buf(), source: e },
        })
    };
    let app = read("PRAGMA application_id")? as i32;
    if app != 0 && app != APPLICATION_ID {
        return Err(foreign(format!("别的程序的数据库（application_id {app:#x}）")));
    }
    let found = read("PRAGMA user_version")? as u32;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, known: SCHEMA_VERSION });
    }
    if found == 0 && app != APPLICATION_ID {
        let objects = read("SELECT count(*) FROM sqlite_master")?;
        if objects > 0 {
            return Err(foreign(format!("已经有 {objects} 个表或索引，却没有本终端的版本号")));
        }
    }
    Ok(())
}

/// `PRAGMA quick_check` on the store, read-only: Err(Damaged) with SQLite's first
/// complaint. Every process that writes to the store runs it before its first write.
pub fn quick_check(path: &Path) -> Result<(), StoreError> {
    guarded(path, || {
        if !path.exists() {
            return Ok(());
        }
        let ro = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| StoreError::Open { path: path.to_path_buf(), source: e })?;
        let _ = ro.busy_timeout(Duration::from_secs(30));
        identify(&ro, path)?;
        let damaged = |detail: String| StoreError::Damaged { path: path.to_path_buf(), detail };
        let mut st = ro.prepare("PRAGMA quick_check").map_err(|e| damaged(e.to_string()))?;
        let rows: Vec<String> =
            st.query_map([], |r| r.get(0)).and_then(|rows| rows.collect()).map_err(|e| damaged(e.to_string()))?;
        match rows.first().map(String::as_str) {
            Some("ok") => Ok(()),
            Some(first) => Err(damaged(first.chars().take(200).collect())),
            None => Err(damaged("quick_check 没有结果".into())),
        }
    })
}

/// A read-only connection to a kiosk store (a backup being checked or restored), through
/// the same guard as every other connection.
pub fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    guarded(path, || {
        let ro = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| StoreError::Open { path: path.to_path_buf(), source: e })?;
        let _ = ro.busy_timeout(Duration::from_secs(30));
        identify(&ro, path)?;
        Ok(ro)
    })
}

/// Opens (creating if needed) the database at `path` and brings it to the current schema.
/// A file that is not a kiosk store, or is from a newer build, is refused before
/// anything is written to it.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    guarded(path, || {
        let mut conn = Connection::open(path).map_err(|e| StoreError::Open { path: path.to_path_buf(), source: e })?;
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(|e| StoreError::Open { path: path.to_path_buf(), source: e })?;
        identify(&conn, path)?;
        configure(&conn).map_err(|e| StoreError::Open { path: path.to_path_buf(), source: e })?;
        migrate(&mut conn, path)?;
        Ok(conn)
    })
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
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        if app != APPLICATION_ID {
            // A store of this schema made before the stores were marked.
            conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        }
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
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
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

    /// The POSIX locks this process holds on the file at `p`, from /proc/locks.
    fn my_locks(p: &Path) -> usize {
        use std::os::unix::fs::MetadataExt;
        let ino = std::fs::metadata(p).unwrap().ino();
        let pid = std::process::id().to_string();
        std::fs::read_to_string("/proc/locks")
            .unwrap()
            .lines()
            .filter(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.get(1) == Some(&"POSIX")
                    && f.get(4) == Some(&pid.as_str())
                    && f.get(5).and_then(|d| d.rsplit(':').next()) == Some(ino.to_string().as_str())
            })
            .count()
    }

    #[test]
    fn opening_the_store_again_keeps_the_locks_this_process_holds() {
        // Issue 13: a second open looked at the file with File::open and closed it, which
        // dropped every lock the first connection held; a sqlite3 shell closing beside it
        // then deleted the write-ahead log.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.db");
        let a = open(&p).unwrap();
        let _: i64 = a.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).unwrap();
        let held = my_locks(&p);
        assert!(held > 0, "a connection in WAL mode holds a shared lock on the store");
        let b = open(&p).unwrap();
        quick_check(&p).unwrap();
        let r = open_read_only(&p).unwrap();
        assert!(my_locks(&p) >= held, "opening and checking again kept this process's locks");
        drop((b, r));
        assert!(my_locks(&p) >= held, "closing the others kept the first connection's lock");
    }

    #[test]
    fn another_programs_database_is_refused_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        for (i, sql) in
            ["CREATE TABLE photos(x);", "PRAGMA application_id = 7; PRAGMA user_version = 2; CREATE TABLE t(x);"]
                .iter()
                .enumerate()
        {
            let p = dir.path().join(format!("k{i}.db"));
            Connection::open(&p).unwrap().execute_batch(sql).unwrap();
            let before = std::fs::read(&p).unwrap();
            assert!(matches!(open(&p), Err(StoreError::Foreign { .. })), "{sql}");
            assert!(matches!(quick_check(&p), Err(StoreError::Foreign { .. })), "{sql}");
            assert_eq!(std::fs::read(&p).unwrap(), before);
        }
        // A store this kiosk made carries its mark.
        let p = dir.path().join("ours.db");
        let c = open(&p).unwrap();
        let app: i32 = c.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
        assert_eq!(app, APPLICATION_ID);
    }
}
