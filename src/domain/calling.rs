//! Calling tickets to the windows: which ticket a window calls next, what each button
//! may do in each state, and who is ahead of whom.
//!
//! Rules (DOMAIN §7, §7b): priority tickets (绿色通道) first, then first come first
//! served — never newest first (a peer's bug); a window calls only the categories it
//! serves; 转窗口 / 转类别 keep the ticket's original place (its issue order); 重呼 and 回呼
//! are capped so one absent villager cannot hold a window forever.

use super::ticket::ServiceTimes;
use std::fmt;

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketStatus {
    /// 等候中.
    Waiting,
    /// 已叫号: called to a window, not yet being served.
    Called,
    /// 正在办理.
    Serving,
    /// 已办结.
    Served,
    /// 已过号: called and did not come; kept in the day's 过号 list for 回呼.
    NoShow,
    Cancelled,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 6] = [
        TicketStatus::Waiting,
        TicketStatus::Called,
        TicketStatus::Serving,
        TicketStatus::Served,
        TicketStatus::NoShow,
        TicketStatus::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            TicketStatus::Waiting => "waiting",
            TicketStatus::Called => "called",
            TicketStatus::Serving => "serving",
            TicketStatus::Served => "served",
            TicketStatus::NoShow => "no_show",
            TicketStatus::Cancelled => "cancelled",
        }
    }

    pub fn from_key(k: &str) -> Option<TicketStatus> {
        TicketStatus::ALL.into_iter().find(|s| s.key() == k)
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Waiting => tr_later!("等候中"),
            TicketStatus::Called => tr_later!("已叫号"),
            TicketStatus::Serving => tr_later!("正在办理"),
            TicketStatus::Served => tr_later!("已办结"),
            TicketStatus::NoShow => tr_later!("已过号"),
            TicketStatus::Cancelled => tr_later!("已取消"),
        }
    }

    /// At a window now (called or being served).
    pub fn at_window(self) -> bool {
        matches!(self, TicketStatus::Called | TicketStatus::Serving)
    }
}

impl fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What staff can do to a ticket at a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallAction {
    /// 重呼: call the same ticket again.
    Recall,
    /// 过号: called and did not come.
    NoShow,
    /// 回呼: call a 过号 ticket back to this window.
    Callback,
    /// 开始办理.
    Start,
    /// 办结.
    Finish,
    /// 转窗口 / 转类别: back into the queue at its original place.
    Transfer,
}

impl CallAction {
    pub fn key(self) -> &'static str {
        match self {
            CallAction::Recall => "recall",
            CallAction::NoShow => "no-show",
            CallAction::Callback => "callback",
            CallAction::Start => "start",
            CallAction::Finish => "finish",
            CallAction::Transfer => "transfer",
        }
    }

    pub fn from_key(k: &str) -> Option<CallAction> {
        [
            CallAction::Recall,
            CallAction::NoShow,
            CallAction::Callback,
            CallAction::Start,
            CallAction::Finish,
            CallAction::Transfer,
        ]
        .into_iter()
        .find(|a| a.key() == k)
    }

    pub fn label(self) -> &'static str {
        match self {
            CallAction::Recall => "重呼",
            CallAction::NoShow => "过号",
            CallAction::Callback => "回呼",
            CallAction::Start => "开始办理",
            CallAction::Finish => "办结",
            CallAction::Transfer => "转窗口/转类别",
        }
    }

    /// The event kind written for this action.
    pub fn event(self) -> &'static str {
        match self {
            CallAction::Recall => "recalled",
            CallAction::NoShow => "no_show",
            CallAction::Callback => "callback",
            CallAction::Start => "started",
            CallAction::Finish => "finished",
            CallAction::Transfer => "transferred",
        }
    }

    /// The status after the action.
    pub fn result(self) -> TicketStatus {
        match self {
            CallAction::Recall | CallAction::Callback => TicketStatus::Called,
            CallAction::NoShow => TicketStatus::NoShow,
            CallAction::Start => TicketStatus::Serving,
            CallAction::Finish => TicketStatus::Served,
            CallAction::Transfer => TicketStatus::Waiting,
        }
    }
}

/// Caps from station.toml `[calling]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// 重呼 per call (default 3).
    pub max_recalls: u32,
    /// 回呼 after 过号 per ticket (default 1: "过号重排" once).
    pub max_callbacks: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_recalls: 3, max_callbacks: 1 }
    }
}

/// The facts an action is judged on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketAt {
    pub number: String,
    pub status: TicketStatus,
    /// The window it was called to (called, serving, served, no-show).
    pub window: Option<u32>,
    pub recalls: u32,
    pub callbacks: u32,
}

/// Why an action was refused, in the words shown to staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{number} {status}，不能{action}（现在可以：{allowed}）")]
    State { number: String, status: TicketStatus, action: &'static str, allowed: String },
    #[error("{number} 在{window}号窗口，不在本窗口，不能{action}")]
    OtherWindow { number: String, window: u32, action: &'static str },
    #[error("{number} 已重呼{max}次，请按“过号”")]
    RecallCap { number: String, max: u32 },
    #[error("{number} 已回呼过{max}次，不能再回呼，请重新取号")]
    CallbackCap { number: String, max: u32 },
}

/// The actions allowed for a ticket in `status` (for the refusal message and the desk).
pub fn allowed(status: TicketStatus) -> &'static [CallAction] {
    use CallAction::*;
    match status {
        TicketStatus::Waiting => &[Transfer],
        TicketStatus::Called => &[Recall, NoShow, Start, Finish, Transfer],
        TicketStatus::Serving => &[Finish, Transfer],
        TicketStatus::NoShow => &[Callback],
        TicketStatus::Served | TicketStatus::Cancelled => &[],
    }
}

/// Checks `action` on `t` by staff at `window`.
pub fn check(t: &TicketAt, action: CallAction, window: u32, limits: Limits) -> Result<(), Refusal> {
    if !allowed(t.status).contains(&action) {
        let list: Vec<&str> = allowed(t.status).iter().map(|a| a.label()).collect();
        return Err(Refusal::State {
            number: t.number.clone(),
            status: t.status,
            action: action.label(),
            allowed: if list.is_empty() { "无，已结束".into() } else { list.join("、") },
        });
    }
    // A ticket at a window is that window's: another window must not recall, finish or
    // move it (two staff pressing buttons for the same villager).
    if t.status.at_window() {
        if let Some(w) = t.window.filter(|w| *w != window) {
            return Err(Refusal::OtherWindow { number: t.number.clone(), window: w, action: action.label() });
        }
    }
    match action {
        CallAction::Recall if t.recalls >= limits.max_recalls => {
            Err(Refusal::RecallCap { number: t.number.clone(), max: limits.max_recalls })
        }
        CallAction::Callback if t.callbacks >= limits.max_callbacks => {
            Err(Refusal::CallbackCap { number: t.number.clone(), max: limits.max_callbacks })
        }
        _ => Ok(()),
    }
}

/// A window and the categories it serves (station.toml `[[window]] categories`; empty
/// means every category).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRule {
    pub number: u32,
    pub categories: Vec<String>,
}

impl WindowRule {
    pub fn serves(&self, category: &str) -> bool {
        self.categories.is_empty() || self.categories.iter().any(|c| c == category)
    }
}

/// A waiting ticket as the calling order sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Issue order (the store's row id): earlier tickets have smaller keys. A transfer
    /// keeps it, so a moved ticket keeps its place.
    pub order: i64,
    pub priority: bool,
    pub category: String,
    /// 转窗口: only this window may call it.
    pub only_window: Option<u32>,
}

impl Candidate {
    /// Whether `window` may call this ticket.
    pub fn callable_by(&self, window: &WindowRule) -> bool {
        match self.only_window {
            Some(w) => w == window.number,
            None => window.serves(&self.category),
        }
    }

    /// Call order: priority first, then by issue order.
    fn key(&self) -> (bool, i64) {
        (!self.priority, self.order)
    }
}

/// The ticket `window` calls next: the first, in call order, that it may call.
pub fn pick_next<'a>(waiting: &'a [Candidate], window: &WindowRule) -> Option<&'a Candidate> {
    waiting.iter().filter(|c| c.callable_by(window)).min_by_key(|c| c.key())
}

/// The waiting tickets that will be called before `me`: those earlier in call order that
/// compete for a window that could call `me`.
pub fn ahead<'a>(me: &Candidate, waiting: &'a [Candidate], windows: &[WindowRule]) -> Vec<&'a Candidate> {
    let mine: Vec<&WindowRule> = windows.iter().filter(|w| me.callable_by(w)).collect();
    waiting
        .iter()
        .filter(|c| c.order != me.order && c.key() < me.key())
        .filter(|c| mine.is_empty() || mine.iter().any(|w| c.callable_by(w)))
        .collect()
}

pub fn ahead_of(me: &Candidate, waiting: &[Candidate], windows: &[WindowRule]) -> usize {
    ahead(me, waiting, windows).len()
}

/// People ahead of `me` now and the estimated minutes until they are served, shared
/// among the windows that can call `me`.
pub fn outlook(me: &Candidate, waiting: &[Candidate], windows: &[WindowRule], times: &ServiceTimes) -> (u32, u32) {
    let before = ahead(me, waiting, windows);
    let minutes = times.estimate_with(before.iter().map(|c| c.category.as_str()), windows_for(me, windows));
    (before.len() as u32, minutes)
}

/// How many windows can call `me` (at least 1, for the wait estimate).
pub fn windows_for(me: &Candidate, windows: &[WindowRule]) -> u32 {
    (windows.iter().filter(|w| me.callable_by(w)).count() as u32).max(1)
}

/// A call as the display shows it: "请 A001 号 到 1 号窗口" (the voice says
/// "请 A零零一 号 到 一号窗口 办理").
pub fn call_text(number: &str, window: u32) -> String {
    tr_later!("请 {} 号 到 {} 号窗口", number, window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(order: i64, priority: bool, category: &str) -> Candidate {
        Candidate { order, priority, category: category.into(), only_window: None }
    }

    fn w(number: u32, cats: &[&str]) -> WindowRule {
        WindowRule { number, categories: cats.iter().map(|s| s.to_string()).collect() }
    }

    fn at(status: TicketStatus, window: Option<u32>, recalls: u32, callbacks: u32) -> TicketAt {
        TicketAt { number: "A001".into(), status, window, recalls, callbacks }
    }

    #[test]
    fn priority_first_then_first_come() {
        let q = vec![c(1, false, "A"), c(2, false, "C"), c(3, true, "C"), c(4, false, "A"), c(5, true, "A")];
        let all = w(1, &[]);
        assert_eq!(pick_next(&q, &all).map(|x| x.order), Some(3));
        let rest: Vec<Candidate> = q.iter().filter(|x| x.order != 3).cloned().collect();
        assert_eq!(pick_next(&rest, &all).map(|x| x.order), Some(5));
        let plain: Vec<Candidate> = q.iter().filter(|x| !x.priority).cloned().collect();
        assert_eq!(pick_next(&plain, &all).map(|x| x.order), Some(1), "never newest first");
    }

    #[test]
    fn windows_call_only_their_categories_and_transfers() {
        let q = vec![c(1, false, "A"), c(2, false, "C"), Candidate { only_window: Some(2), ..c(0, false, "A") }];
        assert_eq!(pick_next(&q, &w(1, &["C"])).map(|x| x.order), Some(2));
        assert_eq!(pick_next(&q, &w(3, &["A"])).map(|x| x.order), Some(1), "a ticket sent to window 2 is 2's");
        assert_eq!(pick_next(&q, &w(2, &["C"])).map(|x| x.order), Some(0), "kept its early place");
        assert_eq!(pick_next(&q, &w(4, &["B"])), None);
    }

    #[test]
    fn ahead_counts_only_competitors() {
        let windows = vec![w(1, &["A"]), w(2, &["C"])];
        let q = vec![c(1, false, "A"), c(2, false, "C"), c(3, false, "A"), c(4, true, "C")];
        assert_eq!(ahead_of(&q[2], &q, &windows), 1, "only A001 competes for window 1");
        assert_eq!(ahead_of(&q[1], &q, &windows), 1, "the priority C ticket is ahead");
        let shared = vec![w(1, &[]), w(2, &[])];
        assert_eq!(ahead_of(&q[2], &q, &shared), 3);
        assert_eq!(windows_for(&q[0], &shared), 2);
        assert_eq!(windows_for(&q[0], &[w(9, &["Z"])]), 1);
    }

    #[test]
    fn actions_by_state() {
        let l = Limits::default();
        assert!(check(&at(TicketStatus::Called, Some(1), 0, 0), CallAction::Recall, 1, l).is_ok());
        assert!(check(&at(TicketStatus::Called, Some(1), 3, 0), CallAction::Recall, 1, l).is_err(), "recall cap");
        assert_eq!(
            check(&at(TicketStatus::Called, Some(1), 3, 0), CallAction::Recall, 1, l).unwrap_err().to_string(),
            "A001 已重呼3次，请按“过号”"
        );
        assert!(check(&at(TicketStatus::NoShow, Some(1), 0, 0), CallAction::Callback, 2, l).is_ok());
        assert!(matches!(
            check(&at(TicketStatus::NoShow, Some(1), 0, 1), CallAction::Callback, 1, l),
            Err(Refusal::CallbackCap { .. })
        ));
        assert!(matches!(
            check(&at(TicketStatus::Called, Some(2), 0, 0), CallAction::Finish, 1, l),
            Err(Refusal::OtherWindow { window: 2, .. })
        ));
        let e = check(&at(TicketStatus::Served, Some(1), 0, 0), CallAction::Recall, 1, l).unwrap_err();
        assert_eq!(e.to_string(), "A001 已办结，不能重呼（现在可以：无，已结束）");
        let e = check(&at(TicketStatus::Waiting, None, 0, 0), CallAction::Finish, 1, l).unwrap_err();
        assert!(e.to_string().contains("现在可以：转窗口/转类别"), "{e}");
        assert!(check(&at(TicketStatus::Serving, Some(1), 0, 0), CallAction::Start, 1, l).is_err());
        assert!(check(&at(TicketStatus::Serving, Some(1), 0, 0), CallAction::Finish, 1, l).is_ok());
    }

    #[test]
    fn keys_round_trip() {
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::from_key(s.key()), Some(s));
        }
        for a in ["recall", "no-show", "callback", "start", "finish", "transfer"] {
            assert_eq!(CallAction::from_key(a).map(|x| x.key()), Some(a));
        }
    }
}
