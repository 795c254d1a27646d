//! Integration tests: one binary, one module per capability, helpers in util.rs.
//! Everything runs on temp folders with the real store, PDFs, printer command and UI.

mod util;
mod webdriver;

mod browser;
mod calling;
mod cases;
mod cli;
mod config;
mod crash;
mod display;
mod durability;
mod guidance;
mod holidays;
mod hostile;
mod idcard;
mod lang;
mod matters;
mod numbering;
mod package;
mod pages;
mod printing;
mod privacy;
mod properties;
mod receipt;
mod reports;
mod server;
mod staff;
mod sync;
mod town;
mod ui;
mod voice;
