//! Integration tests: one binary, one module per capability, helpers in util.rs.
//! Everything runs on temp folders with the real store, PDFs, printer command and UI.

mod util;
mod webdriver;

mod browser;
mod calendar;
mod calling;
mod cases;
mod cli;
mod durability;
mod config;
mod crash;
mod matters;
mod numbering;
mod package;
mod privacy;
mod people;
mod printing;
mod properties;
mod receipt;
mod reports;
mod server;
mod ui;
mod voice;
