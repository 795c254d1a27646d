//! The few things the kiosk asks of the operating system, each done once, here: running a
//! child program with a deadline, writing a file atomically and durably, the run lock,
//! telling systemd how we are (sd_notify), the start trace, and the process's memory and
//! file-mode settings. The faces (`ui`, `server`, `cli`) and the lower layers use these;
//! none of them reaches into `app` for them. Also the log file writer and standard output
//! that ends quietly when its reader goes away.

pub mod certs;
pub mod child;
pub mod files;
pub mod idreader;
pub mod log;
pub mod memory;
pub mod sdnotify;
pub mod serial;
pub mod starttrace;

pub use child::{run, ChildError, Finished};
pub use files::write_atomically;

/// Writes to standard output (the [`outln!`](crate::outln) macro). A closed pipe ends the
/// program at once with exit 0 (the reader has what it wanted); any other failure to
/// write (a full disk behind a redirect) is said on standard error, exit 1.
pub fn out(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|_| stdout.flush()) {
        log::flush();
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        let _ = writeln!(std::io::stderr(), "error: standard output: {e}");
        std::process::exit(1);
    }
}

/// Whether this process runs as root (effective user 0).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Files this process creates from now on are for its own user only (umask 077).
pub fn private_files() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}
