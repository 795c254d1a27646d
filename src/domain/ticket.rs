//! Queue tickets: numbers, the wait estimate and the receipt token (the call order is in
//! [`super::calling`]).
//!
//! Conventions (DOMAIN §7): a letter prefix per category plus a 3-digit serial that
//! restarts every local day (A001, A002 …). Priority tickets (≥70 years, disabled,
//! veterans: 绿色通道) keep their category's number but are called before the others.

use super::calling::{Candidate, TicketAt, TicketStatus};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// Highest serial a prefix can reach in one day (3 digits).
pub const MAX_SEQ: u32 = 999;

pub fn format_number(prefix: &str, seq: u32) -> String {
    format!("{prefix}{seq:03}")
}

/// A number read out digit by digit, the way a calling voice says it: "A 零 一 二 号".
pub fn spoken_number(number: &str) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let mut out = String::new();
    for c in number.chars() {
        match c.to_digit(10) {
            Some(d) => out.push_str(DIGITS[d as usize]),
            None => out.push(c),
        }
    }
    out.push('号');
    out
}

/// A ticket as stored: its number for the day, what it is for, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: i64,
    pub day: NaiveDate,
    pub number: String,
    pub category: String,
    pub matter_code: Option<String>,
    pub matter_name: String,
    pub priority: bool,
    pub issued_at: DateTime<Utc>,
    pub token: String,
    /// People ahead and the estimated wait when the ticket was issued (printed on it).
    pub ahead: u32,
    pub estimated_wait_min: u32,
    pub status: TicketStatus,
    /// The window it was called to; `only_window` after a 转窗口.
    pub window: Option<u32>,
    pub only_window: Option<u32>,
    pub recalls: u32,
    pub callbacks: u32,
    pub staff_no: Option<String>,
    pub called_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The published list of matters it was issued under (0: before versions existed).
    pub catalog_version: i64,
    /// Closed as 过期: still waiting when the day's hours ended (status cancelled).
    pub expired_at: Option<DateTime<Utc>>,
    /// Kept from an earlier day: called first until this moment (the next working day's
    /// first hour), then 过期.
    pub kept_until: Option<DateTime<Utc>>,
}

impl Ticket {
    /// The ticket as the calling order sees it.
    pub fn candidate(&self) -> Candidate {
        Candidate {
            order: self.id,
            priority: self.priority,
            category: self.category.clone(),
            only_window: self.only_window,
            issued_at: self.issued_at.timestamp(),
        }
    }

    /// The facts a calling action is judged on.
    pub fn at(&self) -> TicketAt {
        TicketAt {
            number: self.number.clone(),
            status: self.status,
            window: self.window,
            recalls: self.recalls,
            callbacks: self.callbacks,
        }
    }
}

/// Average service minutes, per category with a station default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTimes {
    pub default_minutes: u32,
    pub per_category: HashMap<String, u32>,
    /// Windows serving at the same time (at least 1).
    pub windows: u32,
}

impl ServiceTimes {
    pub fn minutes_for(&self, category: &str) -> u32 {
        self.per_category.get(category).copied().unwrap_or(self.default_minutes)
    }

    /// Minutes until the people ahead are served, shared among the open windows, rounded up.
    pub fn estimate<'a>(&self, ahead: impl IntoIterator<Item = &'a str>) -> u32 {
        self.estimate_with(ahead, self.windows)
    }

    /// As [`ServiceTimes::estimate`], shared among `windows` windows.
    pub fn estimate_with<'a>(&self, ahead: impl IntoIterator<Item = &'a str>, windows: u32) -> u32 {
        let total: u32 = ahead.into_iter().map(|c| self.minutes_for(c)).sum();
        total.div_ceil(windows.max(1))
    }

    /// These times with measured averages (minutes per category, from recent days)
    /// replacing the configured guesses where there were enough services to trust them.
    pub fn with_measured(&self, measured: &HashMap<String, u32>) -> ServiceTimes {
        let mut t = self.clone();
        for (cat, m) in measured {
            t.per_category.insert(cat.clone(), (*m).max(1));
        }
        t
    }
}

/// Encodes random bytes as lowercase RFC 4648 base32 without padding: only a-z and 2-7,
/// so a token survives being read aloud, typed, or put in a URL.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            let idx = (buffer >> (bits - 5)) & 31;
            out.push(ALPHABET[idx as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        let idx = (buffer << (5 - bits)) & 31;
        out.push(ALPHABET[idx as usize] as char);
    }
    out
}

/// Bytes of randomness in a receipt token: 128 bits (the issue asks for at least 96).
pub const TOKEN_BYTES: usize = 16;

/// The short form printed under the QR code: the first 8 characters in two groups.
pub fn short_token(token: &str) -> String {
    let t: String = token.chars().take(8).collect::<String>().to_uppercase();
    if t.len() == 8 {
        format!("{}-{}", &t[..4], &t[4..])
    } else {
        t
    }
}

/// The status URL a receipt's QR code encodes.
pub fn status_url(public_base_url: &str, token: &str) -> String {
    format!("{}/t/{}", public_base_url.trim_end_matches('/'), token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_three_digits() {
        assert_eq!(format_number("A", 1), "A001");
        assert_eq!(format_number("C", 42), "C042");
        assert_eq!(format_number("B", 999), "B999");
        assert_eq!(spoken_number("A012"), "A零一二号");
    }

    #[test]
    fn estimate_shares_minutes_among_windows() {
        let mut per = HashMap::new();
        per.insert("C".to_string(), 15);
        let t = ServiceTimes { default_minutes: 8, per_category: per, windows: 2 };
        assert_eq!(t.estimate(["A", "C"]), 12); // (8 + 15) / 2 rounded up
        assert_eq!(t.estimate(std::iter::empty()), 0);
        let one = ServiceTimes { windows: 0, ..t };
        assert_eq!(one.estimate(["A"]), 8);
    }

    #[test]
    fn base32_matches_rfc4648() {
        // RFC 4648 §10 test vectors, lowercased, without padding.
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "my");
        assert_eq!(base32(b"fo"), "mzxq");
        assert_eq!(base32(b"foo"), "mzxw6");
        assert_eq!(base32(b"foob"), "mzxw6yq");
        assert_eq!(base32(b"fooba"), "mzxw6ytb");
        assert_eq!(base32(b"foobar"), "mzxw6ytboi");
        assert_eq!(base32(&[0u8; TOKEN_BYTES]).len(), 26);
    }

    #[test]
    fn short_token_and_url() {
        assert_eq!(short_token("mzxw6ytboiabcdef"), "MZXW-6YTB");
        assert_eq!(status_url("http://10.0.0.2:8080/", "abc"), "http://10.0.0.2:8080/t/abc");
    }
}
