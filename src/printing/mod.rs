//! Where a receipt goes: the CUPS queue through `lp`, or only the spool folder.
//!
//! A print must never make a ticket a phantom: the caller commits the ticket first, and
//! every failure here (no `lp`, a non-zero exit, a hang past the timeout) comes back as a
//! plain error to record beside the job, while the PDF stays in the spool for reprint.

use crate::config::PrinterConfig;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error("print command {command:?} not found or not runnable: {reason}")]
    NotRunnable { command: String, reason: String },
    #[error("print command {command:?} failed (exit {code}): {stderr}")]
    Failed { command: String, code: String, stderr: String },
    #[error("print command {command:?} did not finish within {secs} s and was stopped")]
    TimedOut { command: String, secs: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintOutcome {
    /// Accepted by the printer queue.
    Printed,
    /// No printer configured: the PDF is only in the spool folder.
    SpoolOnly,
}

/// Sends `pdf` to the configured printer, waiting at most the configured timeout.
pub fn print(cfg: &PrinterConfig, pdf: &Path, title: &str) -> Result<PrintOutcome, PrintError> {
    let Some(printer) = cfg.name.as_deref() else {
        return Ok(PrintOutcome::SpoolOnly);
    };
    let mut child = Command::new(&cfg.command)
        .arg("-d")
        .arg(printer)
        .arg("-t")
        .arg(title)
        .arg(pdf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| PrintError::NotRunnable { command: cfg.command.clone(), reason: e.to_string() })?;
    let deadline = Instant::now() + Duration::from_secs(cfg.timeout_secs.max(1) as u64);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                if status.success() {
                    return Ok(PrintOutcome::Printed);
                }
                let mut stderr = String::new();
                if let Some(mut s) = child.stderr.take() {
                    let _ = s.read_to_string(&mut stderr);
                }
                return Err(PrintError::Failed {
                    command: cfg.command.clone(),
                    code: status.code().map(|c| c.to_string()).unwrap_or_else(|| "signal".into()),
                    stderr: stderr.trim().chars().take(300).collect(),
                });
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PrintError::TimedOut { command: cfg.command.clone(), secs: cfg.timeout_secs });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(PrintError::NotRunnable { command: cfg.command.clone(), reason: e.to_string() }),
        }
    }
}

/// Writes to a temporary file and renames it, so a full disk leaves no half receipt.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = std::path::PathBuf::from(tmp);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(command: &str, timeout: u32) -> PrinterConfig {
        PrinterConfig { name: Some("receipt".into()), command: command.into(), timeout_secs: timeout }
    }

    #[test]
    fn no_printer_means_spool_only() {
        let c = PrinterConfig { name: None, command: "lp".into(), timeout_secs: 5 };
        assert_eq!(print(&c, Path::new("/nonexistent.pdf"), "t"), Ok(PrintOutcome::SpoolOnly));
    }

    #[test]
    fn missing_command_is_an_error() {
        let e = print(&cfg("/nonexistent/lp", 5), Path::new("x.pdf"), "t").unwrap_err();
        assert!(matches!(e, PrintError::NotRunnable { .. }), "{e}");
    }

    #[test]
    fn failing_and_hanging_commands() {
        let dir = tempfile::tempdir().unwrap();
        let fail = dir.path().join("fail.sh");
        std::fs::write(&fail, "#!/bin/sh\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n").unwrap();
        let hang = dir.path().join("hang.sh");
        std::fs::write(&hang, "#!/bin/sh\nexec sleep 30\n").unwrap();
        let ok = dir.path().join("ok.sh");
        std::fs::write(&ok, "#!/bin/sh\nexit 0\n").unwrap();
        for p in [&fail, &hang, &ok] {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let e = print(&cfg(fail.to_str().unwrap(), 5), Path::new("x.pdf"), "t").unwrap_err();
        assert!(matches!(&e, PrintError::Failed { stderr, .. } if stderr.contains("does not exist")), "{e}");
        let started = Instant::now();
        let e = print(&cfg(hang.to_str().unwrap(), 1), Path::new("x.pdf"), "t").unwrap_err();
        assert!(matches!(e, PrintError::TimedOut { secs: 1, .. }), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(print(&cfg(ok.to_str().unwrap(), 5), Path::new("x.pdf"), "t"), Ok(PrintOutcome::Printed));
    }
}
