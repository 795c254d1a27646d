//! Running a child program (lp, lpstat, cancel, espeak-ng, aplay) to its end, never longer
//! than a deadline: its output is read on threads so that a chatty program never blocks on
//! a full pipe, and a program that overstays — or that the caller asks to stop — is killed
//! and reaped.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How much of each output stream is kept (the rest is read and dropped).
const KEEP: u64 = 64 * 1024;

/// A child that ran to its end (successfully or not).
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Why a child did not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    #[error("could not be started: {0}")]
    Spawn(std::io::Error),
    #[error("ran longer than {:.1} s and was stopped", .0.as_secs_f64())]
    TimedOut(Duration),
    #[error("was stopped before it finished")]
    Stopped,
}

impl ChildError {
    /// The program is not installed.
    pub fn is_missing(&self) -> bool {
        matches!(self, ChildError::Spawn(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Runs `cmd` (standard input closed; standard output and error captured) until it exits,
/// at most `timeout`; `stop()` is asked while it runs and ends it early when true.
pub fn run(mut cmd: Command, timeout: Duration, stop: &dyn Fn() -> bool) -> Result<Finished, ChildError> {
    let mut child =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(ChildError::Spawn)?;
    let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let status = wait(&mut child, timeout, stop)?;
    // A child's own children may still hold the pipes open: do not wait for them long.
    let collect = |rx: mpsc::Receiver<String>| rx.recv_timeout(Duration::from_millis(500)).unwrap_or_default();
    Ok(Finished { status, stdout: collect(out), stderr: collect(err) })
}

fn wait(child: &mut Child, timeout: Duration, stop: &dyn Fn() -> bool) -> Result<ExitStatus, ChildError> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        let failure = match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if stop() => ChildError::Stopped,
            Ok(None) if Instant::now() >= deadline => ChildError::TimedOut(timeout),
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
                continue;
            }
            Err(e) => ChildError::Spawn(e),
        };
        let _ = child.kill();
        let _ = child.wait();
        return Err(failure);
    }
}

/// Reads a stream to its end on a thread, keeping the first `KEEP` bytes.
fn drain(pipe: Option<Box<dyn Read + Send>>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::Builder::new().name("child-output".into()).spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut p) = pipe {
            let _ = (&mut p).take(KEEP).read_to_end(&mut kept);
            let _ = std::io::copy(&mut p, &mut std::io::sink());
        }
        let _ = tx.send(String::from_utf8_lossy(&kept).into_owned());
    });
    if let Err(e) = reader {
        tracing::debug!("a child's output is not read: {e}");
    }
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    }

    #[test]
    fn output_exit_deadline_stop_and_a_missing_program() {
        let done = run(sh("echo out; echo err >&2; exit 3"), Duration::from_secs(5), &|| false).unwrap();
        assert_eq!((done.status.code(), done.stdout.trim(), done.stderr.trim()), (Some(3), "out", "err"));
        assert!(matches!(run(sh("sleep 5"), Duration::from_millis(200), &|| false), Err(ChildError::TimedOut(_))));
        assert!(matches!(run(sh("sleep 5"), Duration::from_secs(10), &|| true), Err(ChildError::Stopped)));
        let missing = run(Command::new("/nonexistent/espeak-ng"), Duration::from_secs(1), &|| false).unwrap_err();
        assert!(missing.is_missing(), "{missing}");
    }

    #[test]
    fn a_chatty_child_never_blocks_on_a_full_pipe() {
        let done = run(sh("head -c 1000000 /dev/zero; echo end >&2"), Duration::from_secs(10), &|| false).unwrap();
        assert!(done.status.success());
        assert_eq!(done.stdout.len(), KEEP as usize);
        assert_eq!(done.stderr.trim(), "end");
    }
}
