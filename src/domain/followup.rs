//! 差评 follow-up (整改): every 不满意 / 非常不满意 rating is followed up and put right within
//! 15 working days of the rating (DOMAIN §5: "100% 跟进，15个工作日内整改"), 谁办理谁负责.

use super::workdays::{Calendar, DueDate};
use chrono::NaiveDate;

/// Working days to put a 差评 right, counted from the day after the rating, unless the
/// station sets its own (`[rating] followup-days`).
pub const WORKING_DAYS: u32 = 15;

/// The longest 整改 result kept (characters).
pub const RESULT_MAX: usize = 500;

/// What staff found a 差评 to be, once checked (the follow-up's category).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// 误评: the villager pressed the wrong button or rated the wrong service.
    Mistaken,
    /// 诉求合理: the complaint is fair; put it right.
    Reasonable,
    /// 无法定依据: what was asked has no basis in law or policy; explain it.
    NoBasis,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Mistaken, Category::Reasonable, Category::NoBasis];

    pub fn key(self) -> &'static str {
        match self {
            Category::Mistaken => "mistaken",
            Category::Reasonable => "reasonable",
            Category::NoBasis => "no_basis",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Mistaken => tr_later!("误评"),
            Category::Reasonable => tr_later!("诉求合理"),
            Category::NoBasis => tr_later!("无法定依据"),
        }
    }

    pub fn from_key(k: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.key() == k.trim() || c.label() == k.trim())
    }
}

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Nobody assigned yet.
    New,
    /// Assigned, no result yet.
    Assigned,
    /// The 整改 result is recorded.
    Done,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::New => tr_later!("待分派"),
            Stage::Assigned => tr_later!("整改中"),
            Stage::Done => tr_later!("已整改"),
        }
    }
}

/// What the follow-up records once checked: its category, the plan, when it was put
/// right, the call-back (回访) and its result, an appeal when staff think the rating
/// wrong, and the result in words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Details {
    pub category: Option<Category>,
    pub plan: Option<String>,
    pub fixed_on: Option<NaiveDate>,
    pub callback_on: Option<NaiveDate>,
    pub callback_result: Option<String>,
    pub appeal: Option<String>,
    pub result: String,
}

/// Why the details cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetailsProblem {
    #[error("{0}")]
    Result(#[from] ResultProblem),
    #[error("申诉只用于误评：请把分类选为“误评”，或不填申诉理由")]
    AppealNeedsMistaken,
    #[error("回访结果要写回访日期；回访日期也要写结果")]
    CallbackHalf,
    #[error("日期不能晚于今天")]
    Future,
    #[error("文字太长了（每项最多 {RESULT_MAX} 字）")]
    TooLong,
}

/// The details as typed, checked: words trimmed and bounded, an appeal only for 误评, a
/// call-back with both its day and its result, no day in the future.
pub fn check_details(d: Details, today: NaiveDate) -> Result<Details, DetailsProblem> {
    let result = check_result(&d.result)?;
    let words = |w: Option<String>| -> Result<Option<String>, DetailsProblem> {
        match w.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
            Some(t) if t.chars().count() > RESULT_MAX => Err(DetailsProblem::TooLong),
            other => Ok(other),
        }
    };
    let (plan, callback_result, appeal) = (words(d.plan)?, words(d.callback_result)?, words(d.appeal)?);
    if appeal.is_some() && d.category != Some(Category::Mistaken) {
        return Err(DetailsProblem::AppealNeedsMistaken);
    }
    if d.callback_on.is_some() != callback_result.is_some() {
        return Err(DetailsProblem::CallbackHalf);
    }
    if [d.fixed_on, d.callback_on].into_iter().flatten().any(|day| day > today) {
        return Err(DetailsProblem::Future);
    }
    Ok(Details {
        category: d.category,
        plan,
        fixed_on: d.fixed_on,
        callback_on: d.callback_on,
        callback_result,
        appeal,
        result,
    })
}

/// The day a 差评 given on `rated_on` must be put right by.
pub fn due(cal: &Calendar, rated_on: NaiveDate, days: u32) -> DueDate {
    cal.add_working_days(rated_on, days)
}

/// Overdue: not put right and the due day has passed.
pub fn overdue(stage: Stage, due: NaiveDate, today: NaiveDate) -> bool {
    stage != Stage::Done && today > due
}

/// Why a result cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultProblem {
    #[error("请写明整改结果（做了什么、是否已向村民说明）")]
    Empty,
    #[error("整改结果太长了（最多 {RESULT_MAX} 字）")]
    TooLong,
}

/// A result as typed: trimmed, not empty, bounded.
pub fn check_result(text: &str) -> Result<String, ResultProblem> {
    let t = text.trim();
    if t.chars().count() < 2 {
        return Err(ResultProblem::Empty);
    }
    if t.chars().count() > RESULT_MAX {
        return Err(ResultProblem::TooLong);
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn fifteen_working_days_skip_weekends_and_holidays() {
        let mut cal = Calendar::new();
        cal.add_year(2026, [d("2026-12-25")], []);
        // Monday 30 November + 15 working days: 1–4, 7–11, 14–18, 21 December.
        assert_eq!(due(&cal, d("2026-11-30"), WORKING_DAYS).date, d("2026-12-21"));
        assert!(!due(&cal, d("2026-11-30"), WORKING_DAYS).beyond_calendar);
        // From 10 December the count skips the (made-up) holiday on the 25th and reaches
        // 2027, which this calendar does not know: 1 January counts as a plain Friday, flagged.
        let late = due(&cal, d("2026-12-10"), WORKING_DAYS);
        assert_eq!(late.date, d("2027-01-01"));
        assert!(late.beyond_calendar);
    }

    #[test]
    fn overdue_only_when_not_done_and_past_due() {
        let due = d("2026-12-21");
        assert!(!overdue(Stage::Assigned, due, d("2026-12-21")), "the due day itself is in time");
        assert!(overdue(Stage::Assigned, due, d("2026-12-22")));
        assert!(overdue(Stage::New, due, d("2026-12-22")));
        assert!(!overdue(Stage::Done, due, d("2027-03-01")));
    }

    #[test]
    fn results_are_words() {
        assert_eq!(check_result("  已向村民道歉并当场补办  "), Ok("已向村民道歉并当场补办".into()));
        assert_eq!(check_result(" 好 "), Err(ResultProblem::Empty));
        assert_eq!(check_result(&"字".repeat(501)), Err(ResultProblem::TooLong));
    }
}
