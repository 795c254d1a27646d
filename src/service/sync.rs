//! The township link as the station sees it: what waits in the outbox, which list of
//! matters is in force, and whether the station is joined and linked to the town.

use super::*;
use crate::storage::sync as store;

/// `kiosk sync status`: the station's side of the link.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncStatus {
    /// Linked to the town's server now (never, for a station that has not joined).
    pub connected: bool,
    /// Events recorded here and not yet acknowledged upstream.
    pub outbox_pending: i64,
    /// The list of matters in force here: by the town's numbers at a joined station (0
    /// before it applied any), by the station's own otherwise.
    pub catalogue_version: i64,
}

impl Station {
    pub fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        Ok(SyncStatus {
            // Linked when the station's own server holds a leaf link to the town's (asked
            // on its monitoring port); a station that has not joined never is.
            connected: self
                .cfg
                .join
                .as_ref()
                .is_some_and(|j| crate::town::nats::leaf_count(&j.nats_monitor).unwrap_or(0) > 0),
            outbox_pending: store::pending(self.conn())?,
            catalogue_version: match self.cfg.join {
                Some(_) => self.town_catalogue_version()?.unwrap_or(0),
                None => self.published_version()?,
            },
        })
    }

    /// The town's version of the list of matters in force here (None: none applied yet,
    /// the station is on its own list).
    pub fn town_catalogue_version(&self) -> Result<Option<i64>, StoreError> {
        store::town_in_force(self.conn(), "matters")
    }

    /// The oldest events waiting to go up, in order.
    pub fn outbox_unsent(&self, limit: u32) -> Result<Vec<store::OutboxEvent>, StoreError> {
        store::unsent(self.conn(), limit)
    }

    /// Marks an event acknowledged by the town's server.
    pub fn outbox_sent(&self, seq: i64) -> Result<(), StoreError> {
        store::mark_sent(self.conn(), seq, self.clock.now())
    }

    /// The highest sequence the station's own server acknowledged.
    pub fn outbox_last_sent(&self) -> Result<i64, StoreError> {
        store::last_sent(self.conn())
    }

    /// Sends again every event after `confirmed` (the town's own count of what it holds).
    pub fn outbox_resend_after(&self, confirmed: i64) -> Result<usize, StoreError> {
        store::resend_after(self.conn(), confirmed)
    }

    /// Marks every event up to `seq` acknowledged (the relay publishes in order).
    pub fn outbox_sent_upto(&self, seq: i64) -> Result<usize, StoreError> {
        store::mark_sent_upto(self.conn(), seq, self.clock.now())
    }

    /// The town's notice for the kiosk's home screen (`home`) or the calling display
    /// (`display`), if one is up.
    pub fn town_notice(&self, place: &str) -> Result<Option<String>, StoreError> {
        store::town_notice(self.conn(), place)
    }

    /// The notices the town published as its version `town_version` ({"home", "display"},
    /// each at most 200 characters; empty takes a notice down): put up, or refused whole
    /// with the reason; either way the town is told.
    pub fn apply_town_notices(&mut self, town_version: i64, src: &str) -> Result<bool, StoreError> {
        if let Some((v, _)) = store::town_applied(self.conn(), "notices")? {
            if v >= town_version {
                return Ok(false);
            }
        }
        let now = self.clock.now();
        let v: serde_json::Value = serde_json::from_str(src).unwrap_or_default();
        // One line of plain text: hidden characters (controls, direction overrides) and line
        // breaks out.
        let text = |k: &str| {
            v[k].as_str().map(|s| {
                s.chars()
                    .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
                    .filter(|c| !crate::domain::text::is_hidden(*c))
                    .collect::<String>()
                    .trim()
                    .to_string()
            })
        };
        let (home, display) = (text("home"), text("display"));
        let problem = match (&home, &display) {
            (None, _) | (_, None) => Some("通知的格式不对（缺少 home 或 display）".to_string()),
            (Some(h), Some(d)) if h.chars().count() > 200 || d.chars().count() > 200 => {
                Some("通知太长了（每条最多 200 个字）".to_string())
            }
            _ => None,
        };
        if let Some(why) = problem {
            store::set_town_applied(self.conn(), "notices", town_version, false, Some(&why), now)?;
            return Ok(false);
        }
        store::set_town_notices(
            self.conn_mut(),
            home.as_deref().unwrap_or(""),
            display.as_deref().unwrap_or(""),
            town_version,
            now,
        )?;
        Ok(true)
    }

    /// The 差评 reasons in force: the town's, once this station applied a list of it, else
    /// the shipped ones.
    pub fn rating_reasons(&self) -> Result<crate::domain::rating::Reasons, StoreError> {
        let list = store::rating_reasons(self.conn())?;
        Ok(crate::domain::rating::Reasons::new(list).unwrap_or_default())
    }

    /// The version of the 差评 reasons in force: the town's, or 0 for the shipped list.
    pub fn rating_reasons_version(&self) -> Result<i64, StoreError> {
        store::rating_reasons_version(self.conn())
    }

    /// The reasons the town published as its version `town_version` (a reasons.toml):
    /// applied, or refused whole with the reason; either way the town is told.
    pub fn apply_town_reasons(&mut self, town_version: i64, src: &str) -> Result<bool, StoreError> {
        if let Some((v, _)) = store::town_applied(self.conn(), "reasons")? {
            if v >= town_version {
                return Ok(false);
            }
        }
        let now = self.clock.now();
        match crate::config::parse_reasons("镇中心的差评原因", src) {
            Ok(r) => {
                store::set_rating_reasons(self.conn_mut(), r.list(), town_version, now)?;
                Ok(true)
            }
            Err(e) => {
                store::set_town_applied(self.conn(), "reasons", town_version, false, Some(&e.to_string()), now)?;
                Ok(false)
            }
        }
    }

    /// What the town hears from the station every minute besides its events.
    pub fn heartbeat(&self) -> Result<serde_json::Value, StoreError> {
        let free_mb = rustix::fs::statvfs(&self.paths.data_dir)
            .map(|s| s.f_bavail.saturating_mul(s.f_frsize) / (1024 * 1024))
            .ok();
        let last_backup = self.newest_backup().map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339());
        let unprinted = self.unprinted_jobs()?.len();
        let printer = self.cfg.station.printer.name.clone();
        // The printer as the town weighs it: none set up, receipts not printed, or fine.
        let printer_state = match (&printer, unprinted) {
            (_, n) if n > 0 => "failing",
            (None, _) => "none",
            _ => "ok",
        };
        Ok(serde_json::json!({
            "at": self.clock.now().to_rfc3339(),
            "version": env!("CARGO_PKG_VERSION"),
            // By the town's numbers (null: still on the station's own list), as the town's
            // publishing and rollout pages count.
            "catalogue_version": self.town_catalogue_version()?,
            "outbox_pending": store::pending(self.conn())?,
            "free_disk_mb": free_mb,
            "last_backup": last_backup,
            "last_purge": store::last_purge(self.conn())?,
            // The printer as the desk sees it: its name, and receipts that did not print.
            "printer": printer,
            "printer_state": printer_state,
            "unprinted": unprinted,
        }))
    }
}
