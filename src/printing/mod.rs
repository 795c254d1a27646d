//! Where a receipt goes: the CUPS queue through `lp`, or only the spool folder.
//!
//! A print must never make a ticket a phantom: the caller commits the ticket first, and
//! every failure here comes back as a plain error to record beside the job, while the PDF
//! stays in the spool for reprint. A receipt counts as printed only when CUPS says the job
//! is completed: before sending, `lpstat` must show the queue enabled, accepting and with
//! no paper, jam or offline alert; after, the job's state is asked over IPP until it is
//! completed, and a job not done within the timeout is cancelled so that a stale receipt
//! never comes out later for the next villager.

pub mod ipp;

use crate::config::PrinterConfig;
use crate::system::ChildError;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error("打印命令 {command:?} 无法运行：{reason}")]
    NotRunnable { command: String, reason: String },
    #[error("打印命令 {command:?} 失败（退出码 {code}）：{stderr}")]
    Failed { command: String, code: String, stderr: String },
    #[error("打印命令 {command:?} {secs} 秒内没有结束，已停止")]
    TimedOut { command: String, secs: u32 },
    #[error("打印机 {printer} 现在不能打印：{reason}")]
    NotReady { printer: String, reason: String },
    #[error("打印任务 {job} {secs} 秒内没有打完（{state}），{}", if *cancelled { "已取消，等待补打" } else { "还没能取消（打印服务没有确认），会自动再取消；确认取消前请不要补打" })]
    NotCompleted { job: String, secs: u32, state: String, cancelled: bool },
    #[error("打印任务 {job} {state}，没有打出来")]
    Ended { job: String, state: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintOutcome {
    /// CUPS reports the job completed.
    Printed,
    /// No printer configured: the PDF is only in the spool folder.
    SpoolOnly,
}

/// One of the CUPS client programs, beside the configured `lp` when that is a path, run
/// in the C locale (their words are parsed) against the configured server.
fn tool(cfg: &PrinterConfig, name: &str) -> Command {
    let program = if name == "lp" {
        PathBuf::from(&cfg.command)
    } else if cfg.command.contains('/') {
        Path::new(&cfg.command).with_file_name(name)
    } else {
        PathBuf::from(name)
    };
    let mut c = Command::new(program);
    c.env("LC_ALL", "C").env("LANG", "C").stdin(Stdio::null());
    if let Some(s) = &cfg.server {
        c.env("CUPS_SERVER", s);
    }
    c
}

/// Runs a CUPS client program to its end (at most `secs`): (success, stdout, stderr).
fn run(cmd: Command, secs: u32) -> Result<(bool, String, String), PrintError> {
    let command = cmd.get_program().to_string_lossy().into_owned();
    let done = crate::system::run(cmd, Duration::from_secs(secs.max(1) as u64), &|| false).map_err(|e| match e {
        ChildError::TimedOut(_) => PrintError::TimedOut { command: command.clone(), secs },
        e => PrintError::NotRunnable { command: command.clone(), reason: e.to_string() },
    })?;
    if !done.status.success() && done.stdout.is_empty() && done.stderr.is_empty() {
        return Err(PrintError::Failed {
            command,
            code: done.status.code().map(|c| c.to_string()).unwrap_or_else(|| "signal".into()),
            stderr: String::new(),
        });
    }
    Ok((done.status.success(), done.stdout, done.stderr))
}

/// Reads `lpstat -l -p P -a P`: Ok when the queue can print now, else why not, in words
/// for the villager's fallback and the staff's list.
pub fn readiness_from_lpstat(printer: &str, ok: bool, stdout: &str, stderr: &str) -> Result<(), String> {
    let err = stderr.to_ascii_lowercase();
    if err.contains("scheduler is not running") || err.contains("unable to connect") {
        return Err("打印服务（CUPS）没有运行".into());
    }
    if err.contains("invalid destination") || err.contains("does not exist") || err.contains("unknown destination") {
        return Err(format!("没有名叫 {printer} 的打印机队列"));
    }
    if !ok {
        let first = stderr.lines().next().unwrap_or("lpstat 失败").trim();
        return Err(format!("查不到打印机的状态（{first}）"));
    }
    let mut seen = false;
    for line in stdout.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("printer ") {
            seen = true;
            if rest.split_whitespace().nth(1) == Some("disabled") {
                return Err(stopped_reason(stdout));
            }
        } else if l.contains("not accepting requests") {
            return Err("打印机队列不接收新任务".into());
        }
    }
    if !seen {
        return Err(format!("没有名叫 {printer} 的打印机队列"));
    }
    match alert(stdout) {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// The first alert of the printer that stops paper coming out.
fn alert(stdout: &str) -> Option<String> {
    for line in stdout.lines() {
        let Some(list) = line.trim().strip_prefix("Alerts:") else { continue };
        for reason in list.split([',', ' ']).map(str::trim).filter(|r| !r.is_empty()) {
            if reason.ends_with("-warning") || (reason.ends_with("-report") && reason != "offline-report") {
                continue;
            }
            let base = reason.trim_end_matches("-error").trim_end_matches("-report");
            let words = match base {
                "media-empty" | "media-needed" => "打印纸用完了，请换纸",
                "media-jam" => "卡纸了",
                "offline" | "connecting-to-device" => "打印机没开或没连上",
                "door-open" | "cover-open" => "打印机盖子没关好",
                "paused" => "打印机已暂停",
                "shutdown" | "stopped" => "打印机已停止",
                _ => continue,
            };
            return Some(words.to_string());
        }
    }
    None
}

fn stopped_reason(stdout: &str) -> String {
    match alert(stdout) {
        Some(why) if why != "打印机已暂停" => format!("打印机已停用：{why}"),
        _ => "打印机已停用（暂停），请工作人员在电脑上恢复".into(),
    }
}

/// Whether the configured printer can print right now (a second at most). Ok with no
/// printer configured.
pub fn readiness(cfg: &PrinterConfig) -> Result<(), PrintError> {
    let Some(printer) = cfg.name.as_deref() else { return Ok(()) };
    let mut cmd = tool(cfg, "lpstat");
    cmd.args(["-l", "-p", printer, "-a", printer]);
    let (ok, stdout, stderr) = run(cmd, cfg.timeout_secs.clamp(1, 5))?;
    readiness_from_lpstat(printer, ok, &stdout, &stderr).map_err(|reason| {
        // With cupsd down, lpstat says the queue does not exist: ask the scheduler itself
        // before blaming the queue's name.
        let reason = if reason.starts_with("没有名叫") && !scheduler_running(cfg) {
            "打印服务（CUPS）没有运行，请工作人员重新启动打印服务或电脑".to_string()
        } else {
            reason
        };
        PrintError::NotReady { printer: printer.to_string(), reason }
    })
}

/// Whether the CUPS scheduler answers (`lpstat -r`).
fn scheduler_running(cfg: &PrinterConfig) -> bool {
    let mut cmd = tool(cfg, "lpstat");
    cmd.arg("-r");
    match run(cmd, 3) {
        Ok((_, stdout, _)) => stdout.contains("scheduler is running"),
        Err(_) => false,
    }
}

/// The job named in lp's "request id is receipt-12 (1 file(s))".
pub fn job_from_lp(stdout: &str) -> Option<String> {
    let rest = stdout.split("request id is ").nth(1)?;
    let id = rest.split_whitespace().next()?;
    job_number(id).map(|_| id.to_string())
}

/// 12 for "receipt-12".
pub fn job_number(job: &str) -> Option<u32> {
    job.rsplit('-').next()?.parse().ok()
}

/// Asks CUPS to cancel a job (a receipt that must not come out any more).
pub fn cancel(cfg: &PrinterConfig, job: &str) -> Result<(), PrintError> {
    let mut cmd = tool(cfg, "cancel");
    cmd.arg(job);
    let (ok, _, stderr) = run(cmd, 5)?;
    let gone = stderr.contains("already") || stderr.contains("not found") || stderr.contains("does not exist");
    if ok || gone {
        Ok(())
    } else {
        Err(PrintError::Failed { command: "cancel".into(), code: "1".into(), stderr: stderr.trim().to_string() })
    }
}

/// What became of a job CUPS was asked to cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// CUPS confirms it will never print (cancelled, aborted, or no longer known).
    Yes,
    /// It printed before the cancel reached it.
    PrintedFirst,
    /// Not confirmed (the print service did not answer, or the job is still waiting):
    /// ask again later.
    NotYet,
}

/// Cancels `job` and asks CUPS what became of it: a cancel only counts once CUPS says the
/// job will not print (issue 13: a cancel that failed while cupsd was down was recorded
/// as done, and the receipt came out when cupsd came back).
pub fn cancel_confirmed(cfg: &PrinterConfig, job: &str) -> Cancelled {
    if cancel(cfg, job).is_err() {
        return Cancelled::NotYet;
    }
    let Some(number) = job_number(job) else { return Cancelled::Yes };
    let server = ipp::Server::resolve(cfg.server.as_deref());
    for _ in 0..10 {
        match ipp::job_state(&server, number, Duration::from_secs(2)) {
            Ok(Some(ipp::JobState::Canceled | ipp::JobState::Aborted)) | Ok(None) => return Cancelled::Yes,
            Ok(Some(ipp::JobState::Completed)) => return Cancelled::PrintedFirst,
            Ok(Some(_)) => std::thread::sleep(Duration::from_millis(100)),
            Err(_) => return Cancelled::NotYet,
        }
    }
    Cancelled::NotYet
}

/// Sends `pdf` to the configured printer and waits, at most the configured timeout, for
/// CUPS to report it completed. `queued` hears the CUPS job as soon as `lp` took it, so
/// the caller can record it (and cancel it after a crash).
pub fn print(
    cfg: &PrinterConfig,
    pdf: &Path,
    title: &str,
    queued: &mut dyn FnMut(&str),
) -> Result<PrintOutcome, PrintError> {
    let Some(printer) = cfg.name.as_deref() else {
        return Ok(PrintOutcome::SpoolOnly);
    };
    let secs = cfg.timeout_secs.max(1);
    let deadline = Instant::now() + Duration::from_secs(secs as u64);
    readiness(cfg)?;
    let mut cmd = tool(cfg, "lp");
    cmd.arg("-d").arg(printer).arg("-t").arg(title).arg(pdf);
    let (ok, stdout, stderr) = run(cmd, secs)?;
    if !ok {
        return Err(PrintError::Failed {
            command: cfg.command.clone(),
            code: "1".into(),
            stderr: stderr.trim().chars().take(300).collect(),
        });
    }
    let Some(job) = job_from_lp(&stdout) else {
        return Err(PrintError::Failed {
            command: cfg.command.clone(),
            code: "0".into(),
            stderr: format!("没有得到任务号：{}", stdout.trim().chars().take(200).collect::<String>()),
        });
    };
    queued(&job);
    let number = job_number(&job).unwrap_or(0);
    let server = ipp::Server::resolve(cfg.server.as_deref());
    loop {
        let last: String = match ipp::job_state(&server, number, Duration::from_secs(2)) {
            Ok(Some(ipp::JobState::Completed)) => return Ok(PrintOutcome::Printed),
            Ok(Some(s @ (ipp::JobState::Canceled | ipp::JobState::Aborted))) => {
                return Err(PrintError::Ended { job, state: s.words().into() })
            }
            Ok(Some(s)) => s.words().into(),
            Ok(None) => "打印服务查不到这个任务".into(),
            Err(e) => e,
        };
        if Instant::now() >= deadline {
            // Tried a few times over a few seconds; what is still not confirmed is left to
            // the periodic recovery, which asks again until CUPS confirms.
            let mut outcome = Cancelled::NotYet;
            for _ in 0..3 {
                outcome = cancel_confirmed(cfg, &job);
                if outcome != Cancelled::NotYet {
                    break;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
            if outcome == Cancelled::PrintedFirst {
                return Ok(PrintOutcome::Printed);
            }
            let why = match readiness(cfg) {
                Err(PrintError::NotReady { reason, .. }) => format!("{last}；{reason}"),
                _ => last,
            };
            return Err(PrintError::NotCompleted { job, secs, state: why, cancelled: outcome == Cancelled::Yes });
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(command: &str, timeout: u32) -> PrinterConfig {
        PrinterConfig { name: Some("receipt".into()), command: command.into(), timeout_secs: timeout, server: None }
    }

    #[test]
    fn no_printer_means_spool_only() {
        let c = PrinterConfig { name: None, command: "lp".into(), timeout_secs: 5, server: None };
        assert_eq!(print(&c, Path::new("/nonexistent.pdf"), "t", &mut |_| {}), Ok(PrintOutcome::SpoolOnly));
        assert_eq!(readiness(&c), Ok(()));
    }

    #[test]
    fn missing_command_is_an_error() {
        let e = print(&cfg("/nonexistent/lp", 5), Path::new("x.pdf"), "t", &mut |_| {}).unwrap_err();
        assert!(matches!(e, PrintError::NotRunnable { .. }), "{e}");
    }

    #[test]
    fn lpstat_words() {
        let idle = "printer receipt is idle.  enabled since Sun Nov 29 07:18:15 2026\n\tAlerts: none\nreceipt accepting requests since Sun\n";
        assert_eq!(readiness_from_lpstat("receipt", true, idle, ""), Ok(()));
        let stopped = "printer receipt disabled since Sun Nov 29 -\n\tPaused\n\tAlerts: paused\nreceipt accepting requests since\n";
        assert!(readiness_from_lpstat("receipt", true, stopped, "").unwrap_err().contains("停用"));
        let paper = "printer receipt disabled since Sun -\n\tAlerts: media-empty-error paused\n";
        assert!(readiness_from_lpstat("receipt", true, paper, "").unwrap_err().contains("纸"));
        let paper_idle = "printer receipt is idle.  enabled since Sun\n\tAlerts: media-empty\n";
        assert!(readiness_from_lpstat("receipt", true, paper_idle, "").unwrap_err().contains("纸"));
        let low = "printer receipt is idle.  enabled since Sun\n\tAlerts: media-low-report, toner-low-warning\n";
        assert_eq!(readiness_from_lpstat("receipt", true, low, ""), Ok(()));
        let rejecting = "printer receipt is idle.  enabled since Sun\nreceipt not accepting requests since Sun -\n";
        assert!(readiness_from_lpstat("receipt", true, rejecting, "").unwrap_err().contains("不接收"));
        let e = readiness_from_lpstat("receipt", false, "", "lpstat: Invalid destination name in list \"receipt\".");
        assert!(e.unwrap_err().contains("没有名叫"));
        let e = readiness_from_lpstat("receipt", false, "", "lpstat: Scheduler is not running.");
        assert!(e.unwrap_err().contains("CUPS"));
    }

    #[test]
    fn job_ids() {
        assert_eq!(job_from_lp("request id is receipt-12 (1 file(s))\n").as_deref(), Some("receipt-12"));
        assert_eq!(job_from_lp("request id is a-b-7 (1 file(s))").as_deref(), Some("a-b-7"));
        assert_eq!(job_from_lp("nothing"), None);
        assert_eq!(job_number("receipt-12"), Some(12));
    }
}
