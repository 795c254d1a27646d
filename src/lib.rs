//! kiosk: self-service terminal software for a village comprehensive service station.
//!
//! The layout shows the architecture. Faces — the touchscreen ([`ui`]), the station
//! service on the LAN ([`server`]) and the command line ([`cli`]) — call one checked path,
//! [`service`], for every read and write; it holds the staff checks, the stale-write
//! checks and the events. Below it: pure rules ([`domain`]), the SQLite store
//! ([`storage`]), documents ([`receipt`]), paper ([`printing`]) and the calling voice
//! ([`voice`]). [`app`] is the composition root: it parses the command line, opens the
//! station and starts the face asked for.

// axum's rejections and a handler's refusals are whole `Response`s; boxing each one to
// make its `Err` smaller gains nothing on a LAN server and costs a line at every site.
#![allow(clippy::result_large_err)]

/// Writes to standard output like `print!`/`println!`, but a reader that went away
/// (`kiosk matters list --json | head -1`) ends the program quietly, as ripgrep does,
/// instead of a panic with a backtrace.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => { $crate::system::out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// [`outln!`] without the line end.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::system::out(format_args!($($arg)*)) };
}

// First, so that `tr!` and `tr_later!` are in scope in every module after it.
#[macro_use]
pub mod lang;

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod paths;
pub mod printing;
pub mod receipt;
pub mod server;
pub mod service;
pub mod storage;
pub mod system;
pub mod town;
pub mod ui;
pub mod voice;

/// Runs the program and returns the process exit code.
pub fn main() -> i32 {
    app::main(std::env::args_os())
}
