//! The few things the kiosk asks of the operating system, each done once, here: running a
//! child program with a deadline, writing a file atomically and durably, the run lock,
//! telling systemd how we are (sd_notify), the start trace, and the process's memory and
//! file-mode settings. The faces (`ui`, `server`, `cli`) and the lower layers use these;
//! none of them reaches into `app` for them.

pub mod child;
pub mod files;
pub mod memory;
pub mod sdnotify;
pub mod starttrace;

pub use child::{run, ChildError, Finished};
pub use files::write_atomically;

/// Whether this process runs as root (effective user 0).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Files this process creates from now on are for its own user only (umask 077).
pub fn private_files() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}
