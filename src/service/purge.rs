//! Keeping personal data only as long as needed (`kiosk purge`, and daily by the running
//! kiosk and station service): closed cases past `[privacy] retention-days` keep only the
//! masked ID number, phones and name; receipts in the spool and log files older than 30
//! days are deleted.

use super::Station;
use crate::domain::identity::{mask_id, mask_name, mask_phone};
use crate::storage::{purge as store, StoreError};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Receipts and logs are kept this many days.
pub const FILE_DAYS: u64 = 30;

/// What a purge did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    pub dry_run: bool,
    /// Tracking codes of the cases masked.
    pub cases: Vec<String>,
    pub receipts: usize,
    pub logs: usize,
}

/// Files directly in `dir` last written more than `days` ago: deleted unless `dry`.
fn old_files(dir: &Path, days: u64, dry: bool) -> usize {
    let Some(limit) = SystemTime::now().checked_sub(Duration::from_secs(days * 86_400)) else { return 0 };
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut n = 0;
    for e in entries.flatten() {
        let Ok(meta) = e.metadata() else { continue };
        if !meta.is_file() || meta.modified().map(|m| m >= limit).unwrap_or(true) {
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
            store::mask(self.conn_mut(), &due, now)?;
        }
        let receipts = old_files(&self.paths.spool_dir(), FILE_DAYS, dry_run);
        let logs = old_files(&self.paths.log_dir(), FILE_DAYS, dry_run);
        if !dry_run && (!cases.is_empty() || receipts > 0 || logs > 0) {
            tracing::info!("purge: {} cases masked, {receipts} receipts and {logs} log files deleted", cases.len());
        }
        Ok(Purged { dry_run, cases, receipts, logs })
    }
}
