//! kiosk: self-service terminal software for a village comprehensive service station.
//!
//! `main` parses the command line and dispatches; the kiosk UI, the CLI and (later) the
//! station service all work through [`station::Station`].

pub mod cli;
pub mod cli_cases;
pub mod config;
pub mod domain;
pub mod paths;
pub mod printing;
pub mod proxy;
pub mod receipt;
pub mod staff;
pub mod station;
pub mod storage;
pub mod ui;

/// Runs the program and returns the process exit code.
pub fn main() -> i32 {
    cli::run(std::env::args_os())
}
