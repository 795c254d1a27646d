//! The station's figures for a date range (the monthly report to the town): tickets
//! issued and served, waiting and service times, no-shows, tickets per hour of day, per
//! category, window and staff member; 代办 cases opened, completed, on time, overdue;
//! 好差评 counts and the satisfaction rate. Pure: facts in, figures out.
//!
//! Definitions: waiting = first call − issue; service = 办结 − 开始办理 (or the first call
//! when staff went straight to 办结); no-show rate = 过号 / (办结 + 过号); satisfaction =
//! (非常满意 + 满意 + 基本满意) / all ratings; on time = completed on or before the due date.

use super::calling::{PauseReason, TicketStatus};
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::BTreeMap;

/// One ticket, as the report needs it (local times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFact {
    pub category: String,
    pub window: Option<u32>,
    pub staff: Option<String>,
    pub status: TicketStatus,
    pub issued: NaiveDateTime,
    pub first_called: Option<NaiveDateTime>,
    pub started: Option<NaiveDateTime>,
    pub finished: Option<NaiveDateTime>,
    /// Closed as 过期: still waiting when the day's hours ended.
    pub expired: bool,
    /// Kept at closing for the next working day (`[calling] at-closing = "keep"`).
    pub kept: bool,
}

/// A staff member's timed step (local time), from the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffStep {
    pub staff: String,
    pub at: NaiveDateTime,
    pub what: Step,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    SignIn,
    SignOut,
    Pause(u32, PauseReason),
    Resume(u32),
    OutOfTurn,
}

/// A staff member's time over the range, in minutes: signed in (from each sign-in to the
/// sign-out, or to their last step that day), paused by reason (from the pause to the
/// window's resume, or to the end of their day), serving (the service times of the
/// tickets they served) and idle (signed in, neither serving nor paused).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffTime {
    pub signed_in: f64,
    pub paused: BTreeMap<PauseReason, f64>,
    pub serving: f64,
    pub idle: f64,
    /// Tickets called out of turn (选叫).
    pub out_of_turn: u32,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFact {
    pub tracking: String,
    pub matter: String,
    pub category: String,
    pub created: NaiveDate,
    pub completed: Option<NaiveDate>,
    pub completed_by: Option<String>,
    pub due: Option<NaiveDate>,
    pub open: bool,
    pub clock_runs: bool,
}

/// One rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingFact {
    pub level: u8,
    pub staff: Option<String>,
    pub window: Option<u32>,
    pub on: NaiveDate,
    /// Given for a ticket or request taken with a staff member's help at the kiosk (帮办).
    pub assisted: bool,
}

/// Ticket figures for one slice (the station, a category, a window, a staff member).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketFigures {
    pub issued: u32,
    pub called: u32,
    pub served: u32,
    pub no_show: u32,
    /// Closed as 过期 at closing time.
    pub expired: u32,
    /// Kept at closing time for the next working day.
    pub kept: u32,
    pub wait_median: Option<f64>,
    /// The mean wait of the tickets served.
    pub wait_served_mean: Option<f64>,
    pub wait_p90: Option<f64>,
    pub service_median: Option<f64>,
    pub service_mean: Option<f64>,
}

impl TicketFigures {
    pub fn no_show_rate(&self) -> Option<f64> {
        let d = self.served + self.no_show;
        (d > 0).then(|| self.no_show as f64 / d as f64)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatingFigures {
    /// Counts for levels 1..=5 (index 0 = 非常不满意).
    pub counts: [u32; 5],
}

impl RatingFigures {
    pub fn total(&self) -> u32 {
        self.counts.iter().sum()
    }

    /// (非常满意 + 满意 + 基本满意) / all.
    pub fn satisfaction(&self) -> Option<f64> {
        let t = self.total();
        (t > 0).then(|| (self.counts[2] + self.counts[3] + self.counts[4]) as f64 / t as f64)
    }

    fn add(&mut self, level: u8) {
        if (1..=5).contains(&level) {
            self.counts[level as usize - 1] += 1;
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFigures {
    pub opened: u32,
    pub completed: u32,
    pub on_time: u32,
    /// Open cases past their due date at the end of the range: (tracking, matter, due, days late).
    pub overdue: Vec<(String, String, NaiveDate, i64)>,
}

impl CaseFigures {
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.completed > 0).then(|| self.on_time as f64 / self.completed as f64)
    }
}

/// A staff member's slice: their tickets, cases completed and ratings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffFigures {
    pub tickets: TicketFigures,
    pub cases_completed: u32,
    pub ratings: RatingFigures,
    pub time: StaffTime,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub all: TicketFigures,
    pub by_category: BTreeMap<String, TicketFigures>,
    pub by_window: BTreeMap<u32, TicketFigures>,
    pub by_staff: BTreeMap<String, StaffFigures>,
    /// Tickets issued per hour of day (0..24).
    pub per_hour: [u32; 24],
    /// Tickets issued per day of the range.
    pub per_day: BTreeMap<NaiveDate, u32>,
    pub cases: CaseFigures,
    pub ratings: RatingFigures,
    /// Of `ratings`, those given for tickets and requests taken during 帮办 (the villager's
    /// own rating, told apart).
    pub assisted_ratings: RatingFigures,
}

fn minutes(a: NaiveDateTime, b: NaiveDateTime) -> f64 {
    (b - a).num_seconds().max(0) as f64 / 60.0
}

/// The nearest-rank percentile of sorted values (p in 0..=1).
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

fn figures<'a>(tickets: impl Iterator<Item = &'a TicketFact>) -> TicketFigures {
    let mut f = TicketFigures::default();
    let mut waits = Vec::new();
    let mut services = Vec::new();
    let mut served_waits = Vec::new();
    for t in tickets {
        f.issued += 1;
        match t.status {
            TicketStatus::Served => f.served += 1,
            TicketStatus::NoShow => f.no_show += 1,
            _ => {}
        }
        if t.expired {
            f.expired += 1;
        }
        if t.kept {
            f.kept += 1;
        }
        if let Some(c) = t.first_called {
            f.called += 1;
            waits.push(minutes(t.issued, c));
            if t.status == TicketStatus::Served {
                served_waits.push(minutes(t.issued, c));
            }
        }
        if let (TicketStatus::Served, Some(end)) = (t.status, t.finished) {
            if let Some(start) = t.started.or(t.first_called) {
                services.push(minutes(start, end));
            }
        }
    }
    waits.sort_by(|a, b| a.total_cmp(b));
    services.sort_by(|a, b| a.total_cmp(b));
    f.wait_median = percentile(&waits, 0.5);
    f.wait_p90 = percentile(&waits, 0.9);
    f.service_median = percentile(&services, 0.5);
    f.service_mean = (!services.is_empty()).then(|| services.iter().sum::<f64>() / services.len() as f64);
    f.wait_served_mean =
        (!served_waits.is_empty()).then(|| served_waits.iter().sum::<f64>() / served_waits.len() as f64);
    f
}

/// The figures for `from..=to`; `today` decides which open cases count as overdue.
pub fn compute(
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    tickets: &[TicketFact],
    cases: &[CaseFact],
    ratings: &[RatingFact],
    steps: &[StaffStep],
) -> Report {
    let in_range = |d: NaiveDate| d >= from && d <= to;
    let tickets: Vec<&TicketFact> = tickets.iter().filter(|t| in_range(t.issued.date())).collect();
    let mut r = Report { from, to, all: figures(tickets.iter().copied()), ..Default::default() };
    let mut cats: BTreeMap<String, Vec<&TicketFact>> = BTreeMap::new();
    let mut wins: BTreeMap<u32, Vec<&TicketFact>> = BTreeMap::new();
    let mut staff: BTreeMap<String, Vec<&TicketFact>> = BTreeMap::new();
    for t in &tickets {
        cats.entry(t.category.clone()).or_default().push(t);
        if let Some(w) = t.window {
            wins.entry(w).or_default().push(t);
        }
        if let Some(s) = &t.staff {
            staff.entry(s.clone()).or_default().push(t);
        }
        use chrono::Timelike;
        r.per_hour[t.issued.hour() as usize % 24] += 1;
        *r.per_day.entry(t.issued.date()).or_default() += 1;
    }
    r.by_category = cats.into_iter().map(|(k, v)| (k, figures(v.into_iter()))).collect();
    r.by_window = wins.into_iter().map(|(k, v)| (k, figures(v.into_iter()))).collect();
    for (k, v) in staff {
        r.by_staff.entry(k).or_default().tickets = figures(v.into_iter());
    }
    let end = to.min(today);
    for c in cases {
        if in_range(c.created) {
            r.cases.opened += 1;
        }
        if let Some(done) = c.completed.filter(|d| in_range(*d)) {
            r.cases.completed += 1;
            if c.due.is_none_or(|due| done <= due) {
                r.cases.on_time += 1;
            }
            if let Some(s) = &c.completed_by {
                r.by_staff.entry(s.clone()).or_default().cases_completed += 1;
            }
        }
        if let (true, true, Some(due)) = (c.open, c.clock_runs, c.due) {
            if due < end && c.created <= to {
                r.cases.overdue.push((c.tracking.clone(), c.matter.clone(), due, (end - due).num_days()));
            }
        }
    }
    r.cases.overdue.sort_by_key(|o| std::cmp::Reverse(o.3));
    for g in ratings.iter().filter(|g| in_range(g.on)) {
        r.ratings.add(g.level);
        if g.assisted {
            r.assisted_ratings.add(g.level);
        }
        if let Some(s) = &g.staff {
            r.by_staff.entry(s.clone()).or_default().ratings.add(g.level);
        }
    }
    let steps: Vec<&StaffStep> = steps.iter().filter(|s| in_range(s.at.date())).collect();
    let mut people: Vec<String> = steps.iter().map(|s| s.staff.clone()).collect();
    people.sort();
    people.dedup();
    for who in people {
        let mine: Vec<&StaffStep> = steps.iter().copied().filter(|s| s.staff == who).collect();
        let served: Vec<&TicketFact> =
            tickets.iter().copied().filter(|t| t.staff.as_deref() == Some(who.as_str())).collect();
        r.by_staff.entry(who).or_default().time = staff_time(&mine, &served);
    }
    r
}

/// One staff member's time from their steps (in order) and the tickets they served.
pub fn staff_time(steps: &[&StaffStep], tickets: &[&TicketFact]) -> StaffTime {
    let mut t = StaffTime::default();
    let mut days: BTreeMap<NaiveDate, Vec<&StaffStep>> = BTreeMap::new();
    for s in steps {
        days.entry(s.at.date()).or_default().push(s);
    }
    for (day, list) in days {
        // The end of their day: the last thing they did (a ticket finished counts).
        let last_ticket = tickets.iter().filter_map(|x| x.finished).filter(|f| f.date() == day).max();
        let end = list.iter().map(|s| s.at).chain(last_ticket).max().unwrap_or_default();
        let mut signed_since: Option<NaiveDateTime> = None;
        let mut paused_since: BTreeMap<u32, (NaiveDateTime, PauseReason)> = BTreeMap::new();
        for s in &list {
            match s.what {
                Step::SignIn => {
                    signed_since.get_or_insert(s.at);
                }
                Step::SignOut => {
                    if let Some(a) = signed_since.take() {
                        t.signed_in += minutes(a, s.at);
                    }
                }
                Step::Pause(w, why) => {
                    paused_since.entry(w).or_insert((s.at, why));
                }
                Step::Resume(w) => {
                    if let Some((a, why)) = paused_since.remove(&w) {
                        *t.paused.entry(why).or_default() += minutes(a, s.at);
                    }
                }
                Step::OutOfTurn => t.out_of_turn += 1,
            }
        }
        if let Some(a) = signed_since {
            t.signed_in += minutes(a, end);
        }
        for (_, (a, why)) in paused_since {
            *t.paused.entry(why).or_default() += minutes(a, end);
        }
    }
    t.serving = tickets.iter().filter_map(|x| Some(minutes(x.started.or(x.first_called)?, x.finished?))).sum();
    t.idle = (t.signed_in - t.serving - t.paused.values().sum::<f64>()).max(0.0);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn t(cat: &str, issued: &str, called: Option<&str>, finished: Option<&str>, status: TicketStatus) -> TicketFact {
        TicketFact {
            category: cat.into(),
            window: called.map(|_| 1),
            staff: called.map(|_| "001".into()),
            status,
            issued: at(issued),
            first_called: called.map(at),
            started: None,
            finished: finished.map(at),
            expired: false,
            kept: false,
        }
    }

    #[test]
    fn figures_by_definition() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let tickets = vec![
            t("A", "2026-11-02 09:00", Some("2026-11-02 09:10"), Some("2026-11-02 09:20"), TicketStatus::Served),
            t("A", "2026-11-02 09:05", Some("2026-11-02 09:35"), Some("2026-11-02 09:41"), TicketStatus::Served),
            t("C", "2026-11-03 14:00", Some("2026-11-03 14:02"), None, TicketStatus::NoShow),
            t("C", "2026-11-03 14:30", None, None, TicketStatus::Waiting),
            t("C", "2026-12-01 09:00", None, None, TicketStatus::Waiting), // outside the range
        ];
        let cases = vec![CaseFact {
            tracking: "D-1102-001".into(),
            matter: "高龄津贴申请".into(),
            category: "C".into(),
            created: d("2026-11-02"),
            completed: Some(d("2026-11-10")),
            completed_by: Some("001".into()),
            due: Some(d("2026-11-09")),
            open: true,
            clock_runs: false,
        }];
        let ratings = vec![
            RatingFact { level: 5, staff: Some("001".into()), window: Some(1), on: d("2026-11-02"), assisted: false },
            RatingFact { level: 2, staff: Some("001".into()), window: Some(1), on: d("2026-11-02"), assisted: true },
        ];
        let steps = vec![
            StaffStep { staff: "001".into(), at: at("2026-11-02 08:30"), what: Step::SignIn },
            StaffStep { staff: "001".into(), at: at("2026-11-02 08:35"), what: Step::OutOfTurn },
            StaffStep { staff: "001".into(), at: at("2026-11-02 12:00"), what: Step::Pause(1, PauseReason::Lunch) },
            StaffStep { staff: "001".into(), at: at("2026-11-02 14:00"), what: Step::Resume(1) },
            StaffStep { staff: "001".into(), at: at("2026-11-02 16:00"), what: Step::Pause(1, PauseReason::Meeting) },
            StaffStep { staff: "001".into(), at: at("2026-11-02 17:30"), what: Step::SignOut },
        ];
        let r = compute(d("2026-11-01"), d("2026-11-30"), d("2026-12-05"), &tickets, &cases, &ratings, &steps);
        let time = &r.by_staff["001"].time;
        assert_eq!(time.signed_in, 540.0, "08:30 to 17:30");
        assert_eq!(time.paused[&PauseReason::Lunch], 120.0);
        assert_eq!(time.paused[&PauseReason::Meeting], 90.0, "a pause never resumed ends with the day");
        assert_eq!(time.out_of_turn, 1);
        // Served 10 + 6 minutes (and the no-show's 0 since it never finished).
        assert_eq!(time.serving, 16.0);
        assert_eq!(time.idle, 540.0 - 16.0 - 210.0);
        assert_eq!(r.by_staff["001"].tickets.wait_served_mean, Some(20.0), "waits 10 and 30");
        assert_eq!((r.all.issued, r.all.called, r.all.served, r.all.no_show), (4, 3, 2, 1));
        assert_eq!(r.all.no_show_rate(), Some(1.0 / 3.0));
        // Waits 10, 30, 2 → median 10, p90 30; services 10 and 6.
        assert_eq!((r.all.wait_median, r.all.wait_p90), (Some(10.0), Some(30.0)));
        assert_eq!((r.all.service_median, r.all.service_mean), (Some(6.0), Some(8.0)));
        assert_eq!(r.by_category["A"].served, 2);
        assert_eq!(r.per_hour[9], 2);
        assert_eq!(r.per_hour[14], 2);
        assert_eq!((r.cases.opened, r.cases.completed, r.cases.on_time), (1, 1, 0), "a day late");
        assert_eq!(r.ratings.satisfaction(), Some(0.5));
        assert_eq!(r.assisted_ratings.counts, [0, 1, 0, 0, 0], "the 帮办 rating is told apart");
        assert_eq!(r.by_staff["001"].cases_completed, 1);
        assert_eq!(r.by_staff["001"].ratings.total(), 2);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9), Some(9.0));
    }
}

/// What a report shows besides the figures: whose, and the names behind the codes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels {
    pub station: String,
    pub township: String,
    pub categories: BTreeMap<String, String>,
    pub staff: BTreeMap<String, String>,
    pub generated: String,
}

impl Labels {
    pub fn category(&self, code: &str) -> String {
        self.categories.get(code).map(|n| format!("{code} {n}")).unwrap_or_else(|| code.to_string())
    }

    pub fn staff(&self, no: &str) -> String {
        self.staff.get(no).map(|n| format!("{no} {n}")).unwrap_or_else(|| no.to_string())
    }
}

/// A share as a percentage with one decimal ("83.3%"), or "—".
pub fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".into())
}

/// Minutes with one decimal, or "—".
pub fn mins(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into())
}
