//! Staff members of the station: who may act at the desk, the console and the command line.

use chrono::{DateTime, Utc};

/// A staff account as stored (the PIN only as its Argon2id hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub no: String,
    pub name: String,
    pub role: String,
    pub pin_hash: Option<String>,
    pub failed_attempts: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub active: bool,
}

/// The names of the weekdays, Monday first (the rota's columns).
pub const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/// A role in words: 站长 or 工作人员.
pub fn role_words(role: &str) -> &'static str {
    if role == "admin" {
        "站长"
    } else {
        "工作人员"
    }
}
