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
