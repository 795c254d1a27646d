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
    /// The list of matters in force here.
    pub catalogue_version: i64,
}

impl Station {
    pub fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        Ok(SyncStatus {
            // No join file, no link: a station on its own is never connected.
            connected: false,
            outbox_pending: store::pending(self.conn())?,
            catalogue_version: self.published_version()?,
        })
    }

    /// The oldest events waiting to go up, in order.
    pub fn outbox_unsent(&self, limit: u32) -> Result<Vec<store::OutboxEvent>, StoreError> {
        store::unsent(self.conn(), limit)
    }

    /// Marks an event acknowledged by the town's server.
    pub fn outbox_sent(&self, seq: i64) -> Result<(), StoreError> {
        store::mark_sent(self.conn(), seq, self.clock.now())
    }
}
