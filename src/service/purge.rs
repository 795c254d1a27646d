//! Keeping personal data only as long as needed (`kiosk purge`, and daily by the running
//! kiosk and station service): a case whose last activity is older than `[privacy]
//! retention-days` — closed or not — keeps only the masked ID number, phones and name, and
//! the numbers staff typed into its notes are masked too; an open case is shown to staff
//! for its last 30 days before that. Receipts in the spool (one folder a day) and log
//! files older than 30 days are deleted, and the copies a restore kept of the replaced
//! store after `[backup] keep-days`.

use super::Station;
use crate::domain::identity::{mask_id, mask_name, mask_phone};
use crate::storage::{purge as store, StoreError};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Receipts and logs are kept this many days.
pub const FILE_DAYS: u64 = 30;

/// An open case is flagged to staff this many days before retention masks it.
pub const RETENTION_NOTICE_DAYS: i64 = 30;

/// What a purge did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    pub dry_run: bool,
    /// Tracking codes of the cases masked.
    pub cases: Vec<String>,
    pub receipts: usize,
    pub logs: usize,
    /// Open cases that will be masked within [`RETENTION_NOTICE_DAYS`] (shown to staff).
    pub flagged: Vec<String>,
    /// Copies of a replaced store (`kiosk.db.before-restore-*`) deleted.
    pub restore_copies: usize,
}

/// Files in `dir` (and in the folders in it: the spool keeps a folder a day) last
/// written more than `days` ago, whose name `keep_name` accepts: deleted unless `dry`. A
/// day folder left empty goes too.
fn old_files(dir: &Path, days: u64, dry: bool, keep_name: &dyn Fn(&str) -> bool) -> usize {
    let Some(limit) = SystemTime::now().checked_sub(Duration::from_secs(days * 86_400)) else { return 0 };
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut n = 0;
    for e in entries.flatten() {
        let Ok(meta) = e.metadata() else { continue };
        if meta.is_dir() {
            let sub = e.path();
            n += old_files(&sub, days, dry, keep_name);
            if !dry && std::fs::read_dir(&sub).is_ok_and(|mut d| d.next().is_none()) {
                let _ = std::fs::remove_dir(&sub);
            }
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        if !meta.is_file() || !keep_name(&name) || meta.modified().map(|m| m >= limit).unwrap_or(true) {
            continue;
        }
        if dry || std::fs::remove_file(e.path()).is_ok() {
            n += 1;
        } else {
            tracing::warn!("could not delete {}", e.path().display());
        }
    }
    n
}

/// Only the copies a restore kept (`kiosk.db.before-restore-<time>` and its journal).
fn is_restore_copy(name: &str) -> bool {
    name.starts_with("kiosk.db.before-restore-")
}

impl Station {
    pub fn purge(&mut self, dry_run: bool) -> Result<Purged, StoreError> {
        let now = self.clock.now();
        let before = now - chrono::Duration::days(self.cfg.station.retention_days as i64);
        let mut due = store::due(self.conn(), before)?;
        let cases: Vec<String> = due.iter().map(|d| d.tracking.clone()).collect();
        if !dry_run && !due.is_empty() {
            for d in &mut due {
                d.id_number = mask_id(&d.id_number);
                d.phone = mask_phone(&d.phone);
                d.phone2 = d.phone2.as_deref().map(mask_phone);
                d.name = d.name.as_deref().map(mask_name);
            }
            store::mask(self.conn_mut(), &due, crate::domain::identity::mask_patterns, now)?;
        }
        let flagged = self.retention_soon()?.into_iter().map(|(t, _)| t).collect();
        // The outbox keeps what the town acknowledged no longer than the station keeps the
        // rest; what is still unsent stays until it is sent.
        if !dry_run {
            crate::storage::sync::forget_sent(self.conn(), before)?;
        }
        let any = |_: &str| true;
        let receipts = old_files(&self.paths.spool_dir(), FILE_DAYS, dry_run, &any);
        let logs = old_files(&self.paths.log_dir(), FILE_DAYS, dry_run, &any);
        // Only the data folder itself: copies of a replaced store hold every villager's
        // data, for as long as backups are kept and no longer.
        let keep = self.cfg.station.backup_keep_days.max(1) as u64;
        let restore_copies = old_files_here(&self.paths.data_dir, keep, dry_run, &is_restore_copy);
        if !dry_run && (!cases.is_empty() || receipts > 0 || logs > 0 || restore_copies > 0) {
            tracing::info!(
                "purge: {} cases masked, {receipts} receipts, {logs} log files and {restore_copies} restore copies deleted",
                cases.len()
            );
        }
        if !dry_run {
            // That it ran (the town's overview shows each station's last purge).
            let what = format!("{} 件代办遮盖，{receipts} 份回执、{logs} 个日志文件删除", cases.len());
            crate::storage::audit::record(self.conn(), now, None, "purge", None, Some(&what), None)?;
        }
        Ok(Purged { dry_run, cases, receipts, logs, flagged, restore_copies })
    }

    /// Open cases that retention will mask within [`RETENTION_NOTICE_DAYS`]: (tracking
    /// code, days left), for the desk to show before it happens.
    pub fn retention_soon(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let days = self.cfg.station.retention_days as i64;
        let now = self.clock.now();
        let from = now - chrono::Duration::days((days - RETENTION_NOTICE_DAYS).max(0));
        Ok(store::idle_open(self.conn(), from)?
            .into_iter()
            .map(|(t, last)| (t, (days - (now - last).num_days()).max(0)))
            .collect())
    }
}

/// [`old_files`] without going into folders.
fn old_files_here(dir: &Path, days: u64, dry: bool, keep_name: &dyn Fn(&str) -> bool) -> usize {
    let Some(limit) = SystemTime::now().checked_sub(Duration::from_secs(days * 86_400)) else { return 0 };
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut n = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(meta) = e.metadata() else { continue };
        if !meta.is_file() || !keep_name(&name) || meta.modified().map(|m| m >= limit).unwrap_or(true) {
            continue;
        }
        if dry || std::fs::remove_file(e.path()).is_ok() {
            n += 1;
        }
    }
    n
}
