//! Backups of the store and restoring one.
//!
//! A backup is `VACUUM INTO` a new file (a consistent snapshot even while the kiosk and the
//! station service write), checked with `quick_check`, synced and only then given its
//! name, in the configured folder (a USB stick) or `backups` in the data folder. Backups
//! older than `[backup] keep-days` are deleted after a new one is written. A restore
//! refuses while the kiosk or the station service runs, keeps the store it replaces
//! beside it, and never puts in place a file that is not a sound kiosk database.

use super::Station;
use crate::paths::{Paths, RunLock};
use crate::storage::{self, StoreError};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A backup written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackedUp {
    pub file: PathBuf,
    pub bytes: u64,
    pub tickets: i64,
    pub cases: i64,
    /// Older backups deleted (past keep-days).
    pub removed: usize,
}

/// A store restored from a backup.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Restored {
    pub from: PathBuf,
    /// Where the store that was replaced now is (None if there was none).
    pub previous: Option<PathBuf>,
    pub tickets: i64,
    pub cases: i64,
    pub schema: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("备份文件夹 {path} 不能用（{reason}）。如果是 U 盘，请插好后再试；或在 station.toml 的 [backup] folder 改成别的文件夹")]
    Folder { path: PathBuf, reason: String },
    #[error("备份没有写成：{0}")]
    Write(String),
    #[error("写出的备份 {path} 检查不通过（{reason}），已删除")]
    Check { path: PathBuf, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("终端或服务站服务正在运行，不能恢复。请先停止它们（装了软件包的：sudo systemctl stop kiosk-ui kiosk-serve），再运行 kiosk restore")]
    Running,
    #[error("找不到备份文件 {0}")]
    Missing(PathBuf),
    #[error("{0} 不能用来恢复：{1}")]
    Unusable(PathBuf, StoreError),
    #[error("恢复没有完成（{0}）；原来的数据库没有动")]
    Io(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn counts(path: &Path) -> Result<(i64, i64), StoreError> {
    let c = storage::open_read_only(path)?;
    let t = c.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))?;
    let k = c.query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?;
    Ok((t, k))
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Backups this kiosk wrote: kiosk-YYYYMMDD-HHMMSS[-n].db.
fn is_backup_name(name: &str) -> bool {
    name.starts_with("kiosk-") && name.ends_with(".db") && name.len() >= "kiosk-20260101-000000.db".len()
}

impl Station {
    /// The folder the nightly backup goes to.
    pub fn backup_folder(&self) -> PathBuf {
        self.cfg.station.backup_folder.clone().unwrap_or_else(|| self.paths.default_backup_dir())
    }

    /// Writes a backup of the store into `to` (default: the configured folder) and deletes
    /// backups there older than keep-days.
    pub fn backup(&self, to: Option<&Path>) -> Result<BackedUp, BackupError> {
        let dir = to.map(Path::to_path_buf).unwrap_or_else(|| self.backup_folder());
        let folder_err = |e: std::io::Error| BackupError::Folder { path: dir.clone(), reason: e.to_string() };
        if to.is_none() && self.cfg.station.backup_folder.is_some() && !dir.is_dir() {
            // A USB stick that is not plugged in: do not write onto the mount point.
            return Err(BackupError::Folder {
                path: dir.clone(), reason: "文件夹不存在（U 盘没插？）".into()
            });
        }
        std::fs::create_dir_all(&dir).map_err(folder_err)?;
        let stamp = self.clock.now_local().format("%Y%m%d-%H%M%S").to_string();
        let mut file = dir.join(format!("kiosk-{stamp}.db"));
        let mut n = 2;
        while file.exists() {
            file = dir.join(format!("kiosk-{stamp}-{n}.db"));
            n += 1;
        }
        let part = file.with_extension("db.part");
        let _ = std::fs::remove_file(&part);
        let target = part.to_str().ok_or_else(|| BackupError::Write(format!("{} 路径不能用", part.display())))?;
        let written = self
            .conn()
            .execute("VACUUM INTO ?1", [target])
            .map_err(|e| BackupError::Write(format!("{}: {e}", part.display())));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        let checked = std::fs::File::open(&part)
            .and_then(|f| f.sync_all())
            .map_err(|e| e.to_string())
            .and_then(|_| storage::quick_check(&part).map_err(|e| e.to_string()))
            .and_then(|_| counts(&part).map_err(|e| e.to_string()));
        let (tickets, cases) = match checked {
            Ok(c) => c,
            Err(reason) => {
                let _ = std::fs::remove_file(&part);
                return Err(BackupError::Check { path: file, reason });
            }
        };
        std::fs::rename(&part, &file).map_err(|e| BackupError::Write(e.to_string()))?;
        sync_dir(&dir);
        let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        let removed = self.prune_backups(&dir, &file);
        tracing::info!("backup written: {} ({bytes} bytes, {tickets} tickets, {cases} cases)", file.display());
        Ok(BackedUp { file, bytes, tickets, cases, removed })
    }

    /// When the newest backup in the backup folder was written.
    pub fn newest_backup(&self) -> Option<SystemTime> {
        std::fs::read_dir(self.backup_folder())
            .ok()
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| is_backup_name(&e.file_name().to_string_lossy()))
            .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
            .max()
    }

    /// Deletes this kiosk's backups in `dir` older than keep-days (never `keep`).
    fn prune_backups(&self, dir: &Path, keep: &Path) -> usize {
        let days = self.cfg.station.backup_keep_days.max(1) as u64;
        let Some(limit) = SystemTime::now().checked_sub(Duration::from_secs(days * 86_400)) else { return 0 };
        let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
        let mut removed = 0;
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let old = e.metadata().and_then(|m| m.modified()).map(|m| m < limit).unwrap_or(false);
            if p != keep && is_backup_name(&name) && old && std::fs::remove_file(&p).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// The nightly backup, when the newest in the folder is older than 20 hours (the kiosk
    /// and the station service both ask; only one writes).
    pub fn backup_if_due(&self) -> Option<Result<BackedUp, BackupError>> {
        let due = self
            .newest_backup()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_none_or(|age| age > Duration::from_secs(20 * 3600));
        due.then(|| self.backup(None))
    }

    /// Runs the purge and the nightly backup a minute after start and then hourly when
    /// due, on their own thread with its own connection.
    pub fn maintain_daily(&self) {
        let Ok(mut st) = self.reopen() else {
            tracing::warn!("daily purge and backup not started: the store cannot be opened again");
            return;
        };
        let _ = std::thread::Builder::new().name("maintenance".into()).spawn(move || {
            // Not during start-up: the first screen (and the first villager) come first.
            std::thread::sleep(Duration::from_secs(60));
            let mut last_purge: Option<SystemTime> = None;
            loop {
                let purge_due = last_purge
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .is_none_or(|age| age >= Duration::from_secs(86_400));
                if purge_due {
                    if let Err(e) = st.purge(false) {
                        tracing::warn!("daily purge failed: {e}");
                    }
                    last_purge = Some(SystemTime::now());
                }
                if let Some(Err(e)) = st.backup_if_due() {
                    tracing::warn!("nightly backup failed: {e}");
                }
                std::thread::sleep(Duration::from_secs(3600));
            }
        });
    }
}

/// Puts the backup `file` in place of the store in `paths`, keeping the current store
/// beside it as kiosk.db.before-restore-<stamp>. Refuses while the kiosk or the station
/// service runs, and refuses a file that is not a sound kiosk database of this or an
/// older version.
pub fn restore(paths: &Paths, file: &Path, stamp: &str) -> Result<Restored, RestoreError> {
    if !file.is_file() {
        return Err(RestoreError::Missing(file.to_path_buf()));
    }
    paths.ensure_data_dir().map_err(|e| RestoreError::Io(e.to_string()))?;
    let Some(_lock) = RunLock::alone(paths).map_err(|e| RestoreError::Io(e.to_string()))? else {
        return Err(RestoreError::Running);
    };
    storage::quick_check(file).map_err(|e| RestoreError::Unusable(file.to_path_buf(), e))?;
    counts(file).map_err(|e| {
        RestoreError::Unusable(
            file.to_path_buf(),
            match e {
                e @ (StoreError::Foreign { .. } | StoreError::TooNew { .. }) => e,
                e => {
                    StoreError::Foreign { path: file.to_path_buf(), detail: format!("没有号票和代办表：{e}") }
                }
            },
        )
    })?;
    let db = paths.db();
    let part = db.with_extension("db.part");
    std::fs::copy(file, &part).and_then(|_| std::fs::File::open(&part)?.sync_all()).map_err(|e| {
        let _ = std::fs::remove_file(&part);
        RestoreError::Io(format!("复制到 {}：{e}", part.display()))
    })?;
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    let shm = PathBuf::from(format!("{}-shm", db.display()));
    // The numbers the current store has handed out: the restored store carries on after
    // them, so a restore in the middle of a day never issues a number (or a tracking
    // code) twice.
    let counters = if db.exists() && storage::quick_check(&db).is_ok() {
        storage::open(&db).ok().and_then(|c| {
            // Fold the current store's journal into it before it is moved aside.
            let _ = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            storage::counters::read(&c).ok()
        })
    } else {
        None
    };
    let previous = if db.exists() {
        // Move the current store (and anything left of its journal) aside: nothing of it
        // is lost.
        let aside = PathBuf::from(format!("{}.before-restore-{stamp}", db.display()));
        std::fs::rename(&db, &aside).map_err(|e| RestoreError::Io(e.to_string()))?;
        for (j, suffix) in [(&wal, "-wal"), (&shm, "-shm")] {
            if j.exists() {
                let _ = std::fs::rename(j, format!("{}{suffix}", aside.display()));
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&part, &db).map_err(|e| RestoreError::Io(e.to_string()))?;
    if let Some(dir) = db.parent() {
        sync_dir(dir);
    }
    let mut conn = storage::open(&db)?;
    if let Some(c) = &counters {
        storage::counters::carry_forward(&mut conn, c)?;
    }
    let schema = storage::schema_version(&conn).map_err(StoreError::from)?;
    drop(conn);
    let (tickets, cases) = counts(&db)?;
    Ok(Restored { from: file.to_path_buf(), previous, tickets, cases, schema })
}
