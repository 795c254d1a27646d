//! Staff members of the station: who may act at the desk, the console and the command line.

use chrono::{DateTime, Utc};

/// A staff account as stored (the PIN only as its Argon2id hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub no: String,
    pub name: String,
    pub role: Role,
    pub pin_hash: Option<String>,
    pub failed_attempts: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub active: bool,
}

/// The names of the weekdays, Monday first (the rota's columns).
pub const WEEKDAYS: [&str; 7] = [
    tr_later!("周一"),
    tr_later!("周二"),
    tr_later!("周三"),
    tr_later!("周四"),
    tr_later!("周五"),
    tr_later!("周六"),
    tr_later!("周日"),
];

/// What a staff member may do: a staff member works the desk and the cases; the station
/// head (站长, `admin` on the command line and in the store) also runs 站务管理.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Staff,
    Admin,
}

impl Role {
    /// The key in the store and on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        match key {
            "staff" => Some(Role::Staff),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// In words: 站长 or 工作人员.
    pub fn words(self) -> &'static str {
        match self {
            Role::Staff => tr_later!("工作人员"),
            Role::Admin => tr_later!("站长"),
        }
    }
}
