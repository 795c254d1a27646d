//! Working days (限时办结): promised days count from the day after acceptance, skipping
//! weekends and public holidays and counting make-up working days (调休).
//!
//! The calendar knows only the years the admin has entered. A date beyond them is
//! counted from weekends alone and the result says so (`beyond_calendar`), so staff see
//! it flagged instead of trusting a silent guess.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    years: BTreeSet<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDate {
    pub date: NaiveDate,
    /// Some day counted lies in a year the calendar does not cover.
    pub beyond_calendar: bool,
}

impl Calendar {
    pub fn new() -> Calendar {
        Calendar::default()
    }

    /// Adds a year: its holidays (days off) and make-up working days.
    pub fn add_year(
        &mut self,
        year: i32,
        holidays: impl IntoIterator<Item = NaiveDate>,
        workdays: impl IntoIterator<Item = NaiveDate>,
    ) {
        self.years.insert(year);
        self.holidays.extend(holidays);
        self.workdays.extend(workdays);
    }

    /// Puts in a year's schedule, replacing whatever the calendar had for that year.
    pub fn set_year(
        &mut self,
        year: i32,
        holidays: impl IntoIterator<Item = NaiveDate>,
        workdays: impl IntoIterator<Item = NaiveDate>,
    ) {
        self.holidays.retain(|d| d.year() != year);
        self.workdays.retain(|d| d.year() != year);
        self.add_year(year, holidays, workdays);
    }

    /// A year's days off and make-up working days, in date order.
    pub fn year_days(&self, year: i32) -> (Vec<NaiveDate>, Vec<NaiveDate>) {
        let of = |set: &BTreeSet<NaiveDate>| set.iter().filter(|d| d.year() == year).copied().collect();
        (of(&self.holidays), of(&self.workdays))
    }

    /// Every year of `other` put in, each replacing the same year here.
    pub fn overlay(&mut self, other: &Calendar) {
        for &y in &other.years {
            let (h, w) = other.year_days(y);
            self.set_year(y, h, w);
        }
    }

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = &i32> {
        self.years.iter()
    }

    /// A public holiday (a day off by the State Council's schedule).
    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.holidays.contains(&d)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        if self.holidays.contains(&d) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The day `n` working days after `start` (the count starts the day after `start`).
    /// With n = 0 the due day is `start` itself (当场办结).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> DueDate {
        let mut d = start;
        let mut left = n;
        let mut beyond = !self.covers(start.year()) && n > 0;
        while left > 0 {
            d += Duration::days(1);
            if !self.covers(d.year()) {
                beyond = true;
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        DueDate { date: d, beyond_calendar: beyond }
    }

    /// Working days strictly after `from` up to and including `to` (0 if `to` ≤ `from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The 2026 schedule from the State Council notice (DOMAIN §9).
    pub fn cal2026() -> Calendar {
        let mut c = Calendar::new();
        let mut hol = Vec::new();
        for (a, b) in [
            ("2026-01-01", "2026-01-03"),
            ("2026-02-15", "2026-02-23"),
            ("2026-04-04", "2026-04-06"),
            ("2026-05-01", "2026-05-05"),
            ("2026-06-19", "2026-06-21"),
            ("2026-09-25", "2026-09-27"),
            ("2026-10-01", "2026-10-07"),
        ] {
            let mut x = d(a);
            while x <= d(b) {
                hol.push(x);
                x += Duration::days(1);
            }
        }
        let work = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"].map(d);
        c.add_year(2026, hol, work);
        c
    }

    #[test]
    fn national_day_worked_example() {
        // DOMAIN §9: accepted Wed 2026-09-30, 3 working days → Sat 10-10 (a make-up day).
        let due = cal2026().add_working_days(d("2026-09-30"), 3);
        assert_eq!(due, DueDate { date: d("2026-10-10"), beyond_calendar: false });
    }

    #[test]
    fn spring_festival_with_makeup_saturdays() {
        let c = cal2026();
        // Fri 02-13: Sat 02-14 is a make-up working day (day 1), then the holiday runs to
        // Mon 02-23; Tue 02-24 is day 2.
        assert_eq!(c.add_working_days(d("2026-02-13"), 1).date, d("2026-02-14"));
        assert_eq!(c.add_working_days(d("2026-02-13"), 2).date, d("2026-02-24"));
        // From 02-24: 25, 26, 27 (Fri), 28 (Sat, make-up) → 4 days lands on the Saturday.
        assert_eq!(c.add_working_days(d("2026-02-24"), 4).date, d("2026-02-28"));
        assert_eq!(c.add_working_days(d("2026-02-24"), 5).date, d("2026-03-02"));
        assert!(!c.is_working_day(d("2026-02-15")) && c.is_working_day(d("2026-02-14")));
        assert!(!c.is_working_day(d("2026-02-21")), "a holiday Saturday is off");
    }

    #[test]
    fn zero_days_is_the_same_day_and_weekends_skip() {
        let c = cal2026();
        assert_eq!(c.add_working_days(d("2026-11-27"), 0).date, d("2026-11-27"));
        // Fri 11-27 + 1 → Mon 11-30.
        assert_eq!(c.add_working_days(d("2026-11-27"), 1).date, d("2026-11-30"));
        assert_eq!(c.working_days_between(d("2026-11-27"), d("2026-11-30")), 1);
        assert_eq!(c.working_days_between(d("2026-09-30"), d("2026-10-10")), 3);
    }

    #[test]
    fn beyond_the_calendar_is_flagged() {
        let c = cal2026();
        let due = c.add_working_days(d("2026-12-28"), 5);
        // 12-29, 12-30, 12-31, then 2027 (weekends only): 01-01 (Fri), 01-04 (Mon).
        assert_eq!(due.date, d("2027-01-04"));
        assert!(due.beyond_calendar);
        assert!(!c.add_working_days(d("2026-12-21"), 3).beyond_calendar);
    }

    #[test]
    fn a_year_set_again_replaces_the_old_one() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let mut base = Calendar::new();
        base.add_year(2026, [d("2026-10-01")], [d("2026-10-10")]);
        base.add_year(2027, [d("2027-01-01")], []);
        let mut new = Calendar::new();
        new.add_year(2027, [d("2027-02-11"), d("2027-02-12")], [d("2027-02-07")]);
        base.overlay(&new);
        assert!(base.is_working_day(d("2027-01-01")), "the old 2027 is gone");
        assert!(!base.is_working_day(d("2027-02-11")));
        assert!(base.is_working_day(d("2027-02-07")), "a make-up Sunday");
        assert!(!base.is_working_day(d("2026-10-01")), "2026 untouched");
        assert_eq!(base.year_days(2027), (vec![d("2027-02-11"), d("2027-02-12")], vec![d("2027-02-07")]));
        assert_eq!(base.years().copied().collect::<Vec<_>>(), [2026, 2027]);
    }
}
