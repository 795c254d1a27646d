//! When the station is open: office hours on working days (make-up working days 调休
//! included), weekend hours if the station keeps any, closed on public holidays. The
//! kiosk and the ticket page say plainly when it is closed and when it opens next.

use super::clock::date_cn;
use super::workdays::Calendar;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// Opening sessions of a day, in minutes after midnight, e.g. [(510, 720), (840, 1050)].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpeningHours {
    pub working_days: Vec<(u32, u32)>,
    pub weekends: Vec<(u32, u32)>,
}

/// Why the station is not serving now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Earlier than the first session of a day it opens.
    BeforeOpening,
    /// Between two sessions (午休).
    Break,
    /// After the last session of the day.
    AfterHours,
    /// Saturday or Sunday without weekend hours.
    Weekend,
    /// A public holiday (holidays.toml).
    Holiday,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenState {
    Open,
    Closed { why: Closed, next: Option<NaiveDateTime> },
}

/// Parses "08:30-12:00" into minutes; None if malformed.
pub fn parse_range(s: &str) -> Option<(u32, u32)> {
    let parse = |t: &str| {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let (a, b) = s.split_once('-')?;
    let (a, b) = (parse(a)?, parse(b)?);
    (a < b).then_some((a, b))
}

impl OpeningHours {
    pub fn from_text(working_days: &[String], weekends: &[String]) -> OpeningHours {
        let parse = |v: &[String]| {
            let mut r: Vec<(u32, u32)> = v.iter().filter_map(|s| parse_range(s)).collect();
            r.sort();
            r
        };
        OpeningHours { working_days: parse(working_days), weekends: parse(weekends) }
    }

    /// The sessions of `day`, and why there are none.
    fn sessions(&self, day: NaiveDate, cal: &Calendar) -> Result<&[(u32, u32)], Closed> {
        if cal.is_working_day(day) {
            return Ok(&self.working_days);
        }
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        if weekend && !self.weekends.is_empty() && !cal.is_holiday(day) {
            return Ok(&self.weekends);
        }
        Err(if weekend && !cal.is_holiday(day) { Closed::Weekend } else { Closed::Holiday })
    }

    pub fn state(&self, now: NaiveDateTime, cal: &Calendar) -> OpenState {
        let minute = now.hour_minute();
        let day = now.date();
        let why = match self.sessions(day, cal) {
            Ok(s) if s.iter().any(|(a, b)| (*a..*b).contains(&minute)) => return OpenState::Open,
            Ok([]) => Closed::Holiday,
            Ok(s) if s.first().is_some_and(|(a, _)| minute < *a) => Closed::BeforeOpening,
            Ok(s) if s.iter().any(|(a, _)| *a > minute) => Closed::Break,
            Ok(_) => Closed::AfterHours,
            Err(why) => why,
        };
        OpenState::Closed { why, next: self.next_opening(now, cal) }
    }

    /// Whether the day of `now` had sessions and the last one has ended: tickets still
    /// waiting then are closed as 过期. (A ticket taken on a closed day waits until the day
    /// is over.)
    pub fn day_is_over(&self, now: NaiveDateTime, cal: &Calendar) -> bool {
        let minute = now.hour_minute();
        match self.sessions(now.date(), cal) {
            Ok(s) => !s.is_empty() && s.iter().all(|(_, end)| *end <= minute),
            Err(_) => false,
        }
    }

    /// The next moment a session starts after `now` (looking at most 60 days ahead).
    pub fn next_opening(&self, now: NaiveDateTime, cal: &Calendar) -> Option<NaiveDateTime> {
        let minute = now.hour_minute();
        for offset in 0..60 {
            let day = now.date() + Duration::days(offset);
            let Ok(sessions) = self.sessions(day, cal) else { continue };
            for (a, _) in sessions {
                if offset > 0 || *a > minute {
                    let t = NaiveTime::from_hms_opt(a / 60, a % 60, 0)?;
                    return Some(day.and_time(t));
                }
            }
        }
        None
    }
}

trait HourMinute {
    fn hour_minute(&self) -> u32;
}

impl HourMinute for NaiveDateTime {
    fn hour_minute(&self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

/// A villager's sentence for a closed station, or None when it is open: what is happening
/// and when it opens next.
pub fn closed_notice(state: &OpenState, now: NaiveDateTime) -> Option<String> {
    let OpenState::Closed { why, next } = state else { return None };
    let when = |n: &NaiveDateTime| {
        let time = n.format("%-H:%M").to_string();
        if n.date() == now.date() {
            tr_later!("今天 {}", time)
        } else if n.date() == now.date() + Duration::days(1) {
            tr_later!("明天 {}", time)
        } else {
            format!("{} {time}", date_cn(n.date()))
        }
    };
    let next_text = next.as_ref().map(when);
    Some(match (why, next_text) {
        (Closed::BeforeOpening, Some(n)) => tr_later!("还没到办公时间，{} 开始办理。可以先取号等候。", n),
        (Closed::Break, Some(n)) => tr_later!("现在是午休时间，{} 开始办理。可以先取号等候。", n),
        (Closed::AfterHours, Some(n)) => tr_later!("今天已经下班了。下次办公时间：{}。", n),
        (Closed::Weekend, Some(n)) => tr_later!("今天是周末，服务站不办公。下次办公时间：{}。", n),
        (Closed::Holiday, Some(n)) => tr_later!("今天是法定节假日，服务站不办公。下次办公时间：{}。", n),
        (_, None) => tr_later!("服务站现在不办公，请看门口公告或拨打服务电话。").to_string(),
    })
}

/// Whether the station serves again later today (a ticket taken now can still be called).
pub fn serves_later_today(state: &OpenState, now: NaiveDateTime) -> bool {
    match state {
        OpenState::Open => true,
        OpenState::Closed { next: Some(n), .. } => n.date() == now.date(),
        OpenState::Closed { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal() -> Calendar {
        let mut c = Calendar::new();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        c.add_year(2026, (1..=7).map(|i| d(&format!("2026-10-0{i}"))), [d("2026-09-20"), d("2026-10-10")]);
        c
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn hours() -> OpeningHours {
        OpeningHours::from_text(&["08:30-12:00".into(), "14:00-17:30".into()], &[])
    }

    #[test]
    fn open_break_and_after_hours() {
        let (h, c) = (hours(), cal());
        assert_eq!(h.state(at("2026-11-30 09:00"), &c), OpenState::Open);
        let s = h.state(at("2026-11-30 12:30"), &c);
        assert_eq!(s, OpenState::Closed { why: Closed::Break, next: Some(at("2026-11-30 14:00")) });
        assert_eq!(
            closed_notice(&s, at("2026-11-30 12:30")).as_deref(),
            Some("现在是午休时间，今天 14:00 开始办理。可以先取号等候。")
        );
        let s = h.state(at("2026-11-30 07:50"), &c);
        assert!(matches!(s, OpenState::Closed { why: Closed::BeforeOpening, .. }));
        assert!(serves_later_today(&s, at("2026-11-30 07:50")));
        let s = h.state(at("2026-11-30 18:00"), &c);
        assert_eq!(s, OpenState::Closed { why: Closed::AfterHours, next: Some(at("2026-12-01 08:30")) });
        assert!(!serves_later_today(&s, at("2026-11-30 18:00")));
        assert_eq!(
            closed_notice(&s, at("2026-11-30 18:00")).as_deref(),
            Some("今天已经下班了。下次办公时间：明天 8:30。")
        );
    }

    #[test]
    fn weekends_holidays_and_make_up_days() {
        let (h, c) = (hours(), cal());
        // Sat 2026-11-28: closed, opens Mon 11-30.
        let s = h.state(at("2026-11-28 10:00"), &c);
        assert_eq!(s, OpenState::Closed { why: Closed::Weekend, next: Some(at("2026-11-30 08:30")) });
        assert!(closed_notice(&s, at("2026-11-28 10:00")).is_some_and(|t| t.contains("11月30日")), "{s:?}");
        // National Day: closed through 10-07; 10-08 (Thu) opens.
        let s = h.state(at("2026-10-03 10:00"), &c);
        assert_eq!(s, OpenState::Closed { why: Closed::Holiday, next: Some(at("2026-10-08 08:30")) });
        // Sat 10-10 is a make-up working day: open.
        assert_eq!(h.state(at("2026-10-10 10:00"), &c), OpenState::Open);
        // A station with Saturday morning hours is open then, but not on a holiday Saturday.
        let sat = OpeningHours::from_text(&["08:30-17:30".into()], &["09:00-11:00".into()]);
        assert_eq!(sat.state(at("2026-11-28 10:00"), &c), OpenState::Open);
        assert!(matches!(sat.state(at("2026-10-03 10:00"), &c), OpenState::Closed { why: Closed::Holiday, .. }));
    }
}
