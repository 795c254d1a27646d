//! The station's clock: local calendar day in the station's time zone, with an override.
//!
//! Ticket numbers restart every local day, so "today" must be computed in the station's
//! zone (Asia/Shanghai), never in UTC. `KIOSK_NOW` (RFC 3339) freezes the clock for tests
//! and demos; it is parsed here so every face of the product reads it the same way.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

pub const NOW_ENV: &str = "KIOSK_NOW";

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
    tz: Tz,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClockError {
    #[error("{NOW_ENV}={value:?} is not an RFC 3339 time (for example 2026-11-28T09:30:00+08:00): {reason}")]
    BadOverride { value: String, reason: String },
}

impl Clock {
    pub fn system(tz: Tz) -> Clock {
        Clock { fixed: None, tz }
    }

    pub fn fixed(at: DateTime<Utc>, tz: Tz) -> Clock {
        Clock { fixed: Some(at), tz }
    }

    /// The system clock unless `KIOSK_NOW` is set (then that instant, frozen).
    pub fn from_env(tz: Tz) -> Result<Clock, ClockError> {
        match std::env::var(NOW_ENV) {
            Ok(v) if !v.trim().is_empty() => Ok(Clock::fixed(parse_rfc3339(&v)?, tz)),
            _ => Ok(Clock::system(tz)),
        }
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now)
    }

    pub fn now_local(&self) -> DateTime<Tz> {
        self.now().with_timezone(&self.tz)
    }

    /// The station's calendar day: the unit ticket numbers restart on.
    pub fn today(&self) -> NaiveDate {
        self.now_local().date_naive()
    }

    /// A clock whose battery died reads 1970 or 2000; numbers issued then would collide
    /// with a real day's. The kiosk warns staff instead of trusting it silently.
    pub fn is_plausible(&self) -> bool {
        self.now().year() >= 2025
    }
}

pub fn parse_rfc3339(v: &str) -> Result<DateTime<Utc>, ClockError> {
    DateTime::parse_from_rfc3339(v.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| ClockError::BadOverride { value: v.to_string(), reason: e.to_string() })
}

/// "2026年11月28日 星期六"
pub fn date_cn(d: NaiveDate) -> String {
    format!("{}年{}月{}日 {}", d.year(), d.month(), d.day(), weekday_cn(d))
}

pub fn weekday_cn(d: NaiveDate) -> &'static str {
    ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"][d.weekday().num_days_from_monday() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_day_is_shanghai_not_utc() {
        // 2026-11-27T16:30Z is already 00:30 on the 28th in Shanghai.
        let c = Clock::fixed(parse_rfc3339("2026-11-27T16:30:00Z").unwrap(), chrono_tz::Asia::Shanghai);
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
        let c = Clock::fixed(parse_rfc3339("2026-11-28T23:59:59+08:00").unwrap(), chrono_tz::Asia::Shanghai);
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
    }

    #[test]
    fn bad_override_names_the_variable() {
        let e = parse_rfc3339("tomorrow").unwrap_err().to_string();
        assert!(e.contains("KIOSK_NOW") && e.contains("tomorrow"), "{e}");
    }

    #[test]
    fn date_in_chinese() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(date_cn(d), "2026年11月28日 星期六");
    }

    #[test]
    fn implausible_clock_detected() {
        let c = Clock::fixed(parse_rfc3339("2000-01-01T08:00:00+08:00").unwrap(), chrono_tz::Asia::Shanghai);
        assert!(!c.is_plausible());
    }
}
