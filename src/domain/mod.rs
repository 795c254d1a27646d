//! The station's rules as plain Rust: matters, tickets, search, idle policy, clock.
//!
//! Nothing here imports Slint, rusqlite, printpdf or tokio: these rules must be testable
//! on their own and reusable by every face of the product (kiosk, staff console, server).

pub mod calling;
pub mod case;
pub mod clock;
pub mod duty;
pub mod followup;
pub mod guidance;
pub mod hours;
pub mod idcard;
pub mod identity;
pub mod idle;
pub mod ime;
pub mod matter;
pub mod print;
pub mod privacy;
pub mod rating;
pub mod report;
pub mod search;
pub mod staff;
pub mod text;
pub mod ticket;
pub mod town;
pub mod workdays;
