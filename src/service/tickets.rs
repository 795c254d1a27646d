//! Taking a queue ticket, its receipt and print job; calls for help; reading tickets.
//!
//! Order matters: the ticket is committed first, then its PDF is written, then it is
//! printed; a failure in a later step never takes back an earlier one, so a ticket taken
//! from a script is the same ticket, receipt and print job as one taken at the screen.

use super::auth::{ActorError, Signed};
use super::{new_token, Station, StoreError};
use crate::config::PrinterConfig;
use crate::domain::clock::Clock;
use crate::domain::print::{JobStatus, PrintJob};
use crate::domain::ticket::{self, Ticket};
use crate::printing::{self, PrintError, PrintOutcome};
use crate::receipt;
use crate::storage::{self, audit, tickets};
use crate::system::write_atomically;
use std::path::PathBuf;

/// Why a desk action on help requests or receipts did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("{0}")]
    Actor(#[from] ActorError),
    #[error("没有这张回执的打印记录")]
    NoJob,
    #[error("回执文件不见了（{0}），无法补打；请让村民到窗口重新取号")]
    NoPdf(String),
    #[error("上一次的打印任务 {0} 还没能取消（打印服务没有确认），现在补打可能打出两张；请稍后再试")]
    StillQueued(String),
    #[error("打印没有成功：{0}")]
    Print(#[from] PrintError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error("没有事项“{0}”")]
    UnknownMatter(String),
    #[error("没有类别“{0}”")]
    UnknownCategory(String),
    #[error("没有取到号：{0}")]
    Store(#[from] StoreError),
    #[error("没有取得随机数：{0}")]
    Random(String),
    #[error("{0}")]
    Helper(#[from] super::auth::ActorError),
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
    pub ticket: Ticket,
    /// Display name of what the ticket is for.
    pub what: String,
    /// The PDF in the spool folder, if it could be written.
    pub receipt: Option<PathBuf>,
    pub job_id: Option<i64>,
    /// Why there is no receipt (font missing, disk full), in plain words for the log.
    pub receipt_error: Option<String>,
    /// Why the printer could not print when the ticket was taken (no paper, stopped): the
    /// receipt is not sent and the screen shows the number instead.
    pub printer_problem: Option<String>,
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
    /// Prints, waiting until CUPS reports the job completed, and records the outcome on
    /// the job (through its own connection): the CUPS job as soon as `lp` takes it, then
    /// printed, or failed with why.
    pub fn run(&self, clock: &Clock) -> Result<PrintOutcome, PrintError> {
        let db = storage::open(&self.db);
        match &db {
            // This process waits for the job now: if it dies, the next recovery cancels it.
            Ok(c) => {
                if let Err(e) = tickets::start_job(c, self.job_id, clock.now()) {
                    tracing::error!("print job {}: not marked as being printed: {e}", self.job_id);
                }
            }
            Err(e) => tracing::error!("print job {}: the store cannot be opened: {e}", self.job_id),
        }
        let mut queued = |cups_job: &str| {
            if let Ok(c) = &db {
                if let Err(e) = tickets::set_cups_job(c, self.job_id, cups_job, clock.now()) {
                    tracing::error!("recording CUPS job {cups_job} for print job {} failed: {e}", self.job_id);
                }
            }
        };
        let result = printing::print(&self.printer, &self.pdf, &self.title, &mut queued);
        let (status, error) = match &result {
            Ok(PrintOutcome::Printed) => (JobStatus::Printed, None),
            Ok(PrintOutcome::SpoolOnly) => (JobStatus::Spooled, None),
            Err(e) => (JobStatus::Failed, Some(e.to_string())),
        };
        let not_cancelled = matches!(&result, Err(PrintError::NotCompleted { cancelled: false, .. }));
        let recorded = db.and_then(|c| {
            tickets::finish_job(&c, self.job_id, status, error.as_deref(), clock.now())?;
            // CUPS did not confirm the cancel: the recovery asks again until it does.
            tickets::set_cancel_wanted(&c, self.job_id, not_cancelled)
        });
        if let Err(e) = recorded {
            tracing::error!("recording print job {} failed: {e}", self.job_id);
        }
        if let Some(e) = &error {
            tracing::warn!("print job {} failed: {e}", self.job_id);
        }
        result
    }
}

impl Station {
    /// Commits a ticket, writes its receipt PDF to the spool and records a print job.
    /// Only the first step can fail the call: after the commit the ticket is real.
    pub fn take_ticket(&mut self, target: &Target, priority: bool) -> Result<Issued, TicketError> {
        self.take_ticket_helped(target, priority, None)
    }

    /// [`Station::take_ticket`] at the kiosk during 帮办: the staff member beside the
    /// villager (still active) is recorded on the ticket and in the audit log, acting from
    /// the kiosk, in the ticket's transaction; the receipt prints 帮办人.
    pub fn take_ticket_helped(
        &mut self,
        target: &Target,
        priority: bool,
        helper: Option<&Signed>,
    ) -> Result<Issued, TicketError> {
        if let Some(who) = helper {
            self.actor(who)?;
        }
        let helper_name = helper.map(|w| crate::domain::identity::mask_name(w.name()));
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
        let token = new_token().map_err(TicketError::Random)?;
        let now = self.clock.now();
        let new = tickets::NewTicket {
            day: self.clock.today(),
            prefix: self.cfg.station.prefix_for(&category),
            category: category.clone(),
            matter_code: matter.as_ref().map(|m| m.code.clone()),
            matter_name: what.clone(),
            priority,
            issued_at: now,
            token,
            catalog_version: self.catalog_version,
            assisted_by: helper.map(|w| w.no().to_string()),
        };
        let times = self.service_times();
        let windows = self.window_rules();
        let st = &self.cfg.station;
        // An empty or stopped printer is known before the ticket is issued: its job is
        // recorded failed with why, and the screen shows the number at once.
        let printer_problem = printing::readiness(&st.printer).err().map(|e| e.to_string());
        let spool_day = self.paths.spool_dir().join(new.day.to_string());
        let path_of = |number: &str, token: &str| {
            spool_day.join(format!("{number}-{}.pdf", token.get(..8).unwrap_or(token))).display().to_string()
        };
        let plan = tickets::JobPlan {
            kind: "ticket",
            printer: st.printer.name.as_deref(),
            status: if printer_problem.is_some() { JobStatus::Failed } else { JobStatus::Pending },
            error: printer_problem.as_deref(),
            path: &path_of,
        };
        let (t, job_ids) =
            tickets::issue(&mut self.conn, &new, &times, &windows, self.cfg.station.calling.priority, &[plan])?;
        let job_id = job_ids.first().copied();
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
            helper: helper_name.as_deref(),
        };
        let pdf_path = PathBuf::from(path_of(&t.number, &t.token));
        let written = self.font().and_then(|font| {
            let bytes = receipt::render(&font, &receipt::ticket::build(&data)).map_err(|e| e.to_string())?;
            write_atomically(&pdf_path, &bytes).map_err(|e| format!("cannot write {}: {e}", pdf_path.display()))
        });
        let (receipt, receipt_error) = match written {
            Ok(()) => (Some(pdf_path.clone()), None),
            Err(e) => {
                tracing::error!("receipt for {} not written: {e}", t.number);
                if let Some(id) = job_id {
                    if let Err(e2) = tickets::finish_job(&self.conn, id, JobStatus::Failed, Some(&e), now) {
                        tracing::error!("print job for {} not updated: {e2}", t.number);
                    }
                }
                (None, Some(e))
            }
        };
        if let Some(p) = &printer_problem {
            tracing::warn!("ticket {}: not printed, the printer cannot print: {p}", t.number);
        }
        Ok(Issued { ticket: t, what, receipt, job_id, receipt_error, printer_problem, status_url })
    }

    /// The print step for an issued ticket, ready to run here or on another thread.
    /// None when there is nothing to print (the receipt could not be written).
    pub fn print_task(&self, issued: &Issued) -> Option<PrintTask> {
        if issued.printer_problem.is_some() {
            return None;
        }
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
        tickets::record_help_request(self.conn(), screen, self.clock.now())
    }

    /// Today's ticket with this number (A001), if any.
    pub fn ticket_today(&self, number: &str) -> Result<Option<Ticket>, StoreError> {
        tickets::by_number(self.conn(), self.clock.today(), number.trim())
    }

    /// The ticket a receipt token names; None for anything that is not a token.
    pub fn ticket_by_token(&self, token: &str) -> Result<Option<Ticket>, StoreError> {
        if !super::is_token(token) {
            return Ok(None);
        }
        tickets::by_token(self.conn(), token)
    }

    /// Today's waiting tickets in call order (priority first).
    pub fn waiting_today(&self) -> Result<Vec<Ticket>, StoreError> {
        tickets::queue(self.conn(), self.clock.today())
    }

    pub fn print_jobs_for_ticket(&self, ticket_id: i64) -> Result<Vec<PrintJob>, StoreError> {
        tickets::jobs_for_ticket(self.conn(), ticket_id)
    }

    /// Receipts that did not reach paper, for staff to reprint.
    pub fn unprinted_jobs(&self) -> Result<Vec<PrintJob>, StoreError> {
        tickets::unprinted_jobs(self.conn())
    }

    pub fn open_help_requests(&self) -> Result<u32, StoreError> {
        tickets::open_help_requests(self.conn())
    }

    /// A call for help answered by `who` (it leaves the desk's list).
    pub fn answer_help(&self, who: &Signed, id: i64) -> Result<bool, DeskError> {
        self.actor(who)?;
        let now = self.clock.now();
        let done = tickets::handle_help(self.conn(), id, who.no(), now)?;
        if done {
            audit::by(self.conn(), now, who.by(), "help-answered", Some(&id.to_string()), None)?;
        }
        Ok(done)
    }

    /// 重新打印: sends a receipt that did not reach paper to the printer again, and records
    /// the outcome on its job. The PDF is the one kept in the spool.
    pub fn reprint(&self, who: &Signed, job_id: i64) -> Result<PrintOutcome, DeskError> {
        self.actor(who)?;
        let job = tickets::job(self.conn(), job_id)?.ok_or(DeskError::NoJob)?;
        if let Some(cups_job) = tickets::cancel_wanted(self.conn(), job_id)? {
            // The last attempt may still come out: not a second copy before CUPS confirms.
            match printing::cancel_confirmed(&self.cfg.station.printer, &cups_job) {
                printing::Cancelled::NotYet => return Err(DeskError::StillQueued(cups_job)),
                _ => tickets::set_cancel_wanted(self.conn(), job_id, false)?,
            }
        }
        let pdf = PathBuf::from(&job.pdf_path);
        if !pdf.is_file() {
            return Err(DeskError::NoPdf(job.pdf_path.clone()));
        }
        let task = PrintTask {
            printer: self.cfg.station.printer.clone(),
            db: self.paths.db(),
            job_id,
            pdf,
            title: format!("补打 {}", job.kind),
        };
        let outcome = task.run(&self.clock);
        let detail = match &outcome {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string(),
        };
        audit::by(self.conn(), self.clock.now(), who.by(), "reprint", Some(&job_id.to_string()), Some(&detail))?;
        Ok(outcome?)
    }
}

/// What the print recovery found left over from a process that died mid-print.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// Half-written receipts (`.part`) removed from the spool (at start only).
    pub parts_removed: u32,
    /// Print jobs that never got an answer, now listed for reprint.
    pub jobs_failed: u32,
    /// CUPS jobs whose cancel CUPS confirmed, so they cannot print late for someone else.
    pub cups_cancelled: u32,
    /// CUPS jobs whose cancel is still not confirmed (asked again at the next round).
    pub cancels_pending: u32,
}

impl Station {
    /// Cleans up after a crash or power cut, at start and then every few seconds while the
    /// kiosk or the service runs: a print job whose process died is failed at once,
    /// however young (its CUPS job cancelled, so it never comes out later for the next
    /// villager), and one whose process is stuck past the print timeout too; a CUPS job
    /// whose cancel was not confirmed is cancelled again until CUPS confirms it.
    /// Half-written receipts are removed only `at_start` (later, a living process may be
    /// writing one).
    pub fn recover_prints_now(&self, at_start: bool) -> Result<Recovered, StoreError> {
        let mut r = Recovered::default();
        if at_start {
            let spool = self.paths.spool_dir();
            if let Ok(days) = std::fs::read_dir(&spool) {
                for day in days.flatten() {
                    let Ok(files) = std::fs::read_dir(day.path()) else { continue };
                    for f in files.flatten() {
                        let p = f.path();
                        if p.extension().is_some_and(|e| e == "part") && std::fs::remove_file(&p).is_ok() {
                            r.parts_removed += 1;
                        }
                    }
                }
            }
        }
        let now = self.clock.now();
        let printer = &self.cfg.station.printer;
        let grace = chrono::Duration::seconds(printer.timeout_secs as i64 + 10);
        let me = crate::paths::process_identity();
        for p in tickets::pending_jobs(self.conn())? {
            let stale = p.updated_at < now - grace;
            let abandoned = match p.owner.as_deref() {
                Some(o) if o == me => stale,
                Some(o) => !crate::paths::process_alive(o) || stale,
                None => stale,
            };
            if !abandoned {
                continue;
            }
            let (status, why, wanted) = if !std::path::Path::new(&p.job.pdf_path).is_file() {
                (JobStatus::Failed, "程序中断，回执没有写成".to_string(), false)
            } else if let Some(cj) = &p.cups_job {
                match printing::cancel_confirmed(printer, cj) {
                    printing::Cancelled::Yes => {
                        r.cups_cancelled += 1;
                        (JobStatus::Failed, format!("程序中断，没有等到打印结果；打印任务 {cj} 已取消，请补打"), false)
                    }
                    printing::Cancelled::PrintedFirst => (JobStatus::Printed, String::new(), false),
                    printing::Cancelled::NotYet => {
                        r.cancels_pending += 1;
                        let why = format!(
                            "程序中断，没有等到打印结果；打印任务 {cj} 还没能取消，会自动再试，确认前请不要补打"
                        );
                        (JobStatus::Failed, why, true)
                    }
                }
            } else {
                (JobStatus::Failed, "程序中断，回执没有送到打印机，请补打".to_string(), false)
            };
            let why = (!why.is_empty()).then_some(why);
            tickets::finish_job(self.conn(), p.job.id, status, why.as_deref(), now)?;
            tickets::set_cancel_wanted(self.conn(), p.job.id, wanted)?;
            if status == JobStatus::Failed {
                r.jobs_failed += 1;
            }
        }
        for (id, cj) in tickets::cancels_wanted(self.conn())? {
            match printing::cancel_confirmed(printer, &cj) {
                printing::Cancelled::NotYet => r.cancels_pending += 1,
                outcome => {
                    tickets::set_cancel_wanted(self.conn(), id, false)?;
                    if outcome == printing::Cancelled::PrintedFirst {
                        tracing::warn!("print job {id}: CUPS job {cj} printed before its cancel reached it");
                    } else {
                        r.cups_cancelled += 1;
                    }
                }
            }
        }
        if r.parts_removed + r.jobs_failed + r.cups_cancelled > 0 {
            tracing::warn!(
                "recovered after an interruption: {} half-written receipts removed, {} print jobs listed for reprint, \
                 {} CUPS jobs cancelled, {} cancels not yet confirmed",
                r.parts_removed,
                r.jobs_failed,
                r.cups_cancelled,
                r.cancels_pending
            );
        }
        Ok(r)
    }

    /// [`Station::recover_prints_now`] at start.
    pub fn recover_prints(&self) -> Result<Recovered, StoreError> {
        self.recover_prints_now(true)
    }

    /// Runs the print recovery every few seconds on its own thread and connection, while
    /// a printer is configured (the kiosk and the station service both do).
    pub fn watch_prints(&self) {
        if self.cfg.station.printer.name.is_none() {
            return;
        }
        let Ok(st) = self.reopen() else {
            tracing::warn!("print recovery not started: the store cannot be opened again");
            return;
        };
        let _ = std::thread::Builder::new().name("print-recovery".into()).spawn(move || loop {
            std::thread::sleep(PRINT_RECOVERY);
            if let Err(e) = st.recover_prints_now(false) {
                tracing::warn!("print recovery failed: {e}");
            }
        });
    }
}

/// How often the running kiosk and service look for abandoned prints and unconfirmed
/// cancels.
pub const PRINT_RECOVERY: std::time::Duration = std::time::Duration::from_secs(5);
