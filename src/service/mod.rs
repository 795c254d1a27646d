//! THE one checked path: every read and write of every face (the kiosk, the staff
//! console, the command line, the station service) goes through [`Station`].
//!
//! A write that acts for a staff member takes a [`Signed`] — obtainable only by signing
//! in with the PIN — and checks again, inside the call, that the account is still
//! active; a write decided on something the staff member saw checks that it has not
//! changed meanwhile (the stale-write check); and every write leaves its event in the
//! store in the same transaction. Faces never touch the store themselves.

mod assist;
mod audit;
mod auth;
mod backup;
mod calling;
mod cases;
mod duty;
mod failure;
mod followups;
mod handover;
mod holidays;
mod matters;
mod pads;
mod privacy;
mod purge;
mod ratings;
mod reports;
mod settings;
mod snapshot;
mod staff;
mod sync;
mod tickets;

pub use assist::AssistEnd;
pub use audit::{action_words, AuditEntry, AuditFilter, LOCAL_ORIGIN};
pub use auth::{
    dummy_hash, hash_pin, lock_minutes, verify_pin, ActorError, LoginError, PinError, Signed, LOCK_MINUTES,
    MAX_ATTEMPTS,
};
pub use backup::{restore, BackedUp, BackupError, RestoreError, Restored};
pub use calling::{CallError, Called, TransferTo, Unstarted};
pub use cases::{
    case_status_url, AdvanceError, CasePage, CaseRequest, LookupError, PublicEvent, PublicView, SubmitError, Submitted,
    TownStepIn, LOOKUP_CODE_MISSES, LOOKUP_STATION_MISSES, MAX_EXTENSION_DAYS,
};
pub use failure::{Explain, Failure};
pub use followups::{Followup, FollowupError};
pub use holidays::{form_toml as holidays_form_toml, HolidayImport, HolidayYear, HolidaysError, YearSummary};
pub use matters::{diff as matters_diff, Checked, MatterChange, MattersDiff, MattersError, VersionInfo};
pub use pads::{is_device_token, Pad, PadError};
pub use privacy::{Erased, HeldCase, PrivacyError};
pub use purge::{Purged, FILE_DAYS};
pub use ratings::{PadOffer, RateError, Rated, RatingTarget, PAD_SECONDS};
pub use reports::{ReportError, WallPart};
pub use settings::{FieldView, Kind as SettingKind, SettingsError, FIELDS as SETTINGS};
pub use snapshot::{
    view_in, BadRatingItem, DeskView, DisplayCall, DisplayState, DisplayWindow, HelpItem, MaterialLine, Snapshot,
    TicketView, UnprintedItem, WaitingCount,
};
pub use staff::{LocalAdmin, RosterActor, StaffError};
pub use sync::SyncStatus;
pub use tickets::{DeskError, Issued, PrintTask, Recovered, Target, TicketError};

pub use crate::printing::{PrintError, PrintOutcome};
pub use crate::storage::StoreError;

use crate::config::LoadedConfig;
use crate::domain::clock::Clock;
use crate::domain::search::SearchIndex;
use crate::paths::{DataDirError, Paths};
use crate::receipt::{ReceiptError, ReceiptFont};
use crate::storage;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The parsed receipt font, shared by a station's handles; None until a receipt needs it
/// (and again after [`Station::release_font`]).
type FontCell = Arc<std::sync::Mutex<Option<Result<Arc<ReceiptFont>, String>>>>;

/// The station as one object: configuration, store, clock, receipt font and search.
pub struct Station {
    /// The configuration, with `cfg.catalog` the list of matters this handle uses (the
    /// published version `catalog_version`).
    pub cfg: LoadedConfig,
    pub paths: Paths,
    pub clock: Clock,
    pub index: Arc<SearchIndex>,
    conn: Connection,
    font: FontCell,
    catalog_version: i64,
    parsed: matters::Parsed,
    /// holidays.toml's calendar, before the years imported into the store are put in.
    base_calendar: crate::domain::workdays::Calendar,
    /// Which imported years `cfg.calendar` holds (see `reload_holidays`).
    calendar_stamp: String,
}

impl Station {
    /// Prepares the data folder, opens the store and takes the live list of matters from
    /// it (a new store starts with matters.toml as version 1; opening never rewrites it).
    pub fn open(mut cfg: LoadedConfig, paths: Paths, clock: Clock) -> Result<Station, StartError> {
        paths.ensure_data_dir()?;
        let mut conn = storage::open(&paths.db())?;
        let (catalog, catalog_version) = matters::open_live(&mut conn, &cfg, clock.now())?;
        cfg.catalog = catalog;
        let index = Arc::new(SearchIndex::build(&cfg.catalog));
        let base_calendar = cfg.calendar.clone();
        let mut st = Station {
            cfg,
            paths,
            clock,
            index,
            conn,
            font: Arc::new(std::sync::Mutex::new(None)),
            catalog_version,
            parsed: Default::default(),
            base_calendar,
            calendar_stamp: String::new(),
        };
        st.reload_holidays()?;
        st.take_up_settings()?;
        Ok(st)
    }

    /// Another handle on the same station with its own connection to the store (the
    /// station service serves several requests at once); shares the parsed font.
    pub fn reopen(&self) -> Result<Station, StartError> {
        let conn = storage::open(&self.paths.db())?;
        Ok(Station {
            cfg: self.cfg.clone(),
            paths: self.paths.clone(),
            clock: self.clock,
            index: self.index.clone(),
            conn,
            font: self.font.clone(),
            catalog_version: self.catalog_version,
            parsed: self.parsed.clone(),
            base_calendar: self.base_calendar.clone(),
            calendar_stamp: self.calendar_stamp.clone(),
        })
    }

    /// How long this handle waits for another process's write before it gives up (a
    /// page answers "busy" after this; a command waits the store's default, 30 s).
    pub fn wait_for_writers(&self, wait: std::time::Duration) -> Result<(), StoreError> {
        self.conn.busy_timeout(wait).map_err(StoreError::from)
    }

    fn conn(&self) -> &Connection {
        &self.conn
    }

    fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// A number that changes whenever another connection (another process, another
    /// handle) commits a change: the cheap way for a live page to know it must look again.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// The receipt font, parsed on first use (about 20 ms and 20 MB: the kiosk lets it go
    /// again on its home page, see [`Station::release_font`]).
    pub fn font(&self) -> Result<Arc<ReceiptFont>, String> {
        let mut slot = self.font.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert_with(|| load_font(&self.cfg.station.font_path, self.cfg.station.font_index)).clone()
    }

    /// Lets go of the parsed receipt font (the kiosk, back on its home page) and gives the
    /// memory back to the system; the next receipt parses it again.
    pub fn release_font(&self) {
        let had = self.font.lock().unwrap_or_else(|p| p.into_inner()).take().is_some();
        if had {
            crate::system::memory::trim();
        }
    }
}

fn load_font(path: &Path, index: u32) -> Result<Arc<ReceiptFont>, String> {
    ReceiptFont::load(path, index).map(Arc::new).map_err(|e: ReceiptError| e.to_string())
}

/// 128 random bits as a receipt token (base32, 26 characters).
fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; crate::domain::ticket::TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(crate::domain::ticket::base32(&bytes))
}

/// Whether `s` has the shape of a receipt token (26 characters of base32), checked before
/// any lookup so a tampered or garbage URL costs nothing.
pub fn is_token(s: &str) -> bool {
    s.len() == 26 && s.chars().all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c))
}
