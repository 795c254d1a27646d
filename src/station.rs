//! The station as one object: configuration, store, clock, receipt font and search.
//!
//! Both the kiosk UI and the CLI go through here, so a ticket taken from a script is the
//! same ticket, receipt and print job as one taken at the screen. Order matters: the
//! ticket is committed first, then its PDF is written, then it is printed; a failure in a
//! later step never takes back an earlier one.

use crate::config::{LoadedConfig, PrinterConfig};
use crate::domain::clock::Clock;
use crate::domain::search::SearchIndex;
use crate::domain::ticket;
use crate::paths::{DataDirError, Paths};
use crate::printing::{self, PrintError, PrintOutcome};
use crate::receipt::{self, ReceiptError, ReceiptFont};
use crate::storage::{self, tickets, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error("unknown matter {0:?}")]
    UnknownMatter(String),
    #[error("unknown category {0:?}")]
    UnknownCategory(String),
    #[error("could not take a ticket: {0}")]
    Store(#[from] StoreError),
    #[error("could not make random token: {0}")]
    Random(String),
}

/// What the villager asked a ticket for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Matter(String),
    Category(String),
}

/// A committed ticket and what became of its receipt so far.
#[derive(Debug, Clone)]
pub struct Issued {
    pub ticket: tickets::Ticket,
    /// Display name of what the ticket is for.
    pub what: String,
    /// The PDF in the spool folder, if it could be written.
    pub receipt: Option<PathBuf>,
    pub job_id: Option<i64>,
    /// Why there is no receipt (font missing, disk full), in plain words for the log.
    pub receipt_error: Option<String>,
    pub status_url: String,
}

/// A print that may run on another thread: everything it needs, nothing borrowed.
#[derive(Debug, Clone)]
pub struct PrintTask {
    pub printer: PrinterConfig,
    pub db: PathBuf,
    pub job_id: i64,
    pub pdf: PathBuf,
    pub title: String,
}

impl PrintTask {
    /// Prints and records the outcome on the job (through its own connection).
    pub fn run(&self, clock: &Clock) -> Result<PrintOutcome, PrintError> {
        let result = printing::print(&self.printer, &self.pdf, &self.title);
        let (status, error) = match &result {
            Ok(PrintOutcome::Printed) => (tickets::JobStatus::Printed, None),
            Ok(PrintOutcome::SpoolOnly) => (tickets::JobStatus::Spooled, None),
            Err(e) => (tickets::JobStatus::Failed, Some(e.to_string())),
        };
        if let Err(e) = storage::open(&self.db)
            .and_then(|c| tickets::finish_job(&c, self.job_id, status, error.as_deref(), clock.now()))
        {
            tracing::error!("recording print job {} failed: {e}", self.job_id);
        }
        if let Some(e) = &error {
            tracing::warn!("print job {} failed: {e}", self.job_id);
        }
        result
    }
}

type FontCell = Arc<OnceLock<Result<Arc<ReceiptFont>, String>>>;

pub struct Station {
    pub cfg: LoadedConfig,
    pub paths: Paths,
    pub clock: Clock,
    pub index: SearchIndex,
    conn: Connection,
    font: FontCell,
}

impl Station {
    /// Prepares the data folder, opens the store and loads the matters into it.
    pub fn open(cfg: LoadedConfig, paths: Paths, clock: Clock) -> Result<Station, StartError> {
        paths.ensure_data_dir()?;
        let mut conn = storage::open(&paths.db())?;
        storage::matters::sync(&mut conn, &cfg.catalog, clock.now())?;
        let index = SearchIndex::build(&cfg.catalog);
        Ok(Station { cfg, paths, clock, index, conn, font: Arc::new(OnceLock::new()) })
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Parses the receipt font on a background thread so the first ticket is not slow.
    pub fn preload_font(&self) {
        let cell = self.font.clone();
        let (path, index) = (self.cfg.station.font_path.clone(), self.cfg.station.font_index);
        std::thread::spawn(move || {
            cell.get_or_init(|| load_font(&path, index));
        });
    }

    pub fn font(&self) -> Result<Arc<ReceiptFont>, String> {
        let (path, index) = (&self.cfg.station.font_path, self.cfg.station.font_index);
        self.font.get_or_init(|| load_font(path, index)).clone()
    }

    /// Commits a ticket, writes its receipt PDF to the spool and records a print job.
    /// Only the first step can fail the call: after the commit the ticket is real.
    pub fn take_ticket(&mut self, target: &Target, priority: bool) -> Result<Issued, TicketError> {
        let catalog = &self.cfg.catalog;
        let (category, matter) = match target {
            Target::Matter(code) => {
                let m = catalog.matter(code).ok_or_else(|| TicketError::UnknownMatter(code.clone()))?;
                (m.category.clone(), Some(m.clone()))
            }
            Target::Category(code) => {
                let c = catalog.category(code).ok_or_else(|| TicketError::UnknownCategory(code.clone()))?;
                (c.code.clone(), None)
            }
        };
        let category_name = catalog.category(&category).map(|c| c.name.clone()).unwrap_or_default();
        let what = match &matter {
            Some(m) => m.name.clone(),
            None => format!("{category_name}类事项"),
        };
        let mut bytes = [0u8; ticket::TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| TicketError::Random(e.to_string()))?;
        let token = ticket::base32(&bytes);
        let now = self.clock.now();
        let new = tickets::NewTicket {
            day: self.clock.today(),
            prefix: self.cfg.station.prefix_for(&category),
            category: category.clone(),
            matter_code: matter.as_ref().map(|m| m.code.clone()),
            matter_name: what.clone(),
            priority,
            issued_at: now,
            token: token.clone(),
        };
        let t = tickets::issue(&mut self.conn, &new, &self.cfg.station.service_times)?;
        tracing::info!("ticket {} issued for {}", t.number, what);
        let status_url = ticket::status_url(&self.cfg.station.public_base_url, &t.token);

        let st = &self.cfg.station;
        let hours = st.hours_text();
        let data = receipt::ticket::TicketReceiptData {
            station_name: &st.name,
            station_phone: &st.phone,
            hours: &hours,
            footer: &st.receipt_footer,
            number: &t.number,
            priority,
            matter: matter.as_ref(),
            category_name: &category_name,
            issued_local: now.with_timezone(&self.clock.tz()).naive_local(),
            ahead: t.ahead,
            estimated_wait_min: t.estimated_wait_min,
            status_url: &status_url,
            token: &t.token,
        };
        let pdf_path =
            self.paths.spool_dir().join(t.day.to_string()).join(format!("{}-{}.pdf", t.number, &t.token[..8]));
        let written = self.font().and_then(|font| {
            let bytes = receipt::render(&font, &receipt::ticket::build(&data)).map_err(|e| e.to_string())?;
            write_atomically(&pdf_path, &bytes).map_err(|e| format!("cannot write {}: {e}", pdf_path.display()))
        });
        let printer = st.printer.name.as_deref();
        let (receipt, receipt_error, status) = match written {
            Ok(()) => (Some(pdf_path.clone()), None, tickets::JobStatus::Pending),
            Err(e) => {
                tracing::error!("receipt for {} not written: {e}", t.number);
                (None, Some(e), tickets::JobStatus::Failed)
            }
        };
        let job_id = match tickets::create_job(
            &self.conn,
            Some(t.id),
            "ticket",
            &pdf_path.display().to_string(),
            printer,
            status,
            receipt_error.as_deref(),
            now,
        ) {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::error!("print job for {} not recorded: {e}", t.number);
                None
            }
        };
        Ok(Issued { ticket: t, what, receipt, job_id, receipt_error, status_url })
    }

    /// The print step for an issued ticket, ready to run here or on another thread.
    /// None when there is nothing to print (the receipt could not be written).
    pub fn print_task(&self, issued: &Issued) -> Option<PrintTask> {
        Some(PrintTask {
            printer: self.cfg.station.printer.clone(),
            db: self.paths.db(),
            job_id: issued.job_id?,
            pdf: issued.receipt.clone()?,
            title: format!("排队凭条 {}", issued.ticket.number),
        })
    }

    /// Records a press of 呼叫工作人员 on `screen`.
    pub fn call_for_help(&self, screen: &str) -> Result<i64, StoreError> {
        tickets::record_help_request(&self.conn, screen, self.clock.now())
    }
}

fn load_font(path: &Path, index: u32) -> Result<Arc<ReceiptFont>, String> {
    ReceiptFont::load(path, index).map(Arc::new).map_err(|e: ReceiptError| e.to_string())
}

/// Writes to a temporary file and renames it, so a full disk leaves no half receipt.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("pdf.part");
    let result = (|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
