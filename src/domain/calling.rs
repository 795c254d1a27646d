//! Calling tickets to the windows: which ticket a window calls next, what each button
//! may do in each state, and who is ahead of whom.
//!
//! Rules (DOMAIN §7, §7b): priority tickets (绿色通道) by the station's rule (always
//! first, one after every N others, or after the others once one has waited M minutes),
//! and first come first served within each class — never newest first (a peer's bug); a window calls only the categories it
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

/// Why a window is paused, shown on the calling display (暂停服务（午休）) and counted
/// per staff member in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PauseReason {
    Lunch,
    Errand,
    Meeting,
    Other,
}

impl PauseReason {
    pub const ALL: [PauseReason; 4] =
        [PauseReason::Lunch, PauseReason::Errand, PauseReason::Meeting, PauseReason::Other];

    pub fn key(self) -> &'static str {
        match self {
            PauseReason::Lunch => "lunch",
            PauseReason::Errand => "errand",
            PauseReason::Meeting => "meeting",
            PauseReason::Other => "other",
        }
    }

    /// The key, or the label as staff may type it.
    pub fn from_key(k: &str) -> Option<PauseReason> {
        let k = k.trim();
        PauseReason::ALL.into_iter().find(|r| r.key() == k || r.label() == k)
    }

    pub fn label(self) -> &'static str {
        match self {
            PauseReason::Lunch => tr_later!("午休"),
            PauseReason::Errand => tr_later!("外出代办"),
            PauseReason::Meeting => tr_later!("会议"),
            PauseReason::Other => tr_later!("其他"),
        }
    }
}

/// What becomes of tickets still waiting when the day's last session ends
/// (station.toml `[calling] at-closing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AtClosing {
    /// Closed as 过期.
    #[default]
    Expire,
    /// Kept for the next working day, called first in its first hour (then 过期).
    Keep,
}

impl AtClosing {
    pub fn from_key(k: &str) -> Option<AtClosing> {
        match k.trim() {
            "expire" => Some(AtClosing::Expire),
            "keep" => Some(AtClosing::Keep),
            _ => None,
        }
    }
}

/// How long a kept ticket waits into the next working day before it is 过期 too.
pub const KEPT_MINUTES: i64 = 60;

/// Reasons offered for calling a ticket out of turn (staff may type their own).
pub const OUT_OF_TURN_REASONS: [&str; 4] =
    [tr_later!("老人行动不便"), tr_later!("材料已预审"), tr_later!("预约到号"), tr_later!("身体不适")];

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
    /// When it was taken, in seconds since 1970 (the minutes a ticket has waited).
    pub issued_at: i64,
}

impl Candidate {
    /// Whether `window` may call this ticket.
    pub fn callable_by(&self, window: &WindowRule) -> bool {
        match self.only_window {
            Some(w) => w == window.number,
            None => window.serves(&self.category),
        }
    }
}

/// How priority tickets (绿色通道) take turns with the others (station.toml `[calling]
/// priority`). Within each class it is always first come, first served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PriorityRule {
    /// A priority ticket is always called before any other (it can starve the others).
    #[default]
    Strict,
    /// One priority ticket after every N normal ones (N ≥ 1).
    Every(u32),
    /// Priority first, but a normal ticket that has waited M minutes goes before them.
    After(u32),
}

impl PriorityRule {
    /// station.toml's word for the rule.
    pub fn key(self) -> &'static str {
        match self {
            PriorityRule::Strict => "strict",
            PriorityRule::Every(_) => "every",
            PriorityRule::After(_) => "after",
        }
    }

    /// The rule in words, for the settings page and the desk.
    pub fn describe(self) -> String {
        match self {
            PriorityRule::Strict => tr_later!("优先号总是先叫").to_string(),
            PriorityRule::Every(n) => tr_later!("每叫 {} 个普通号，插叫 1 个优先号", n),
            PriorityRule::After(m) => tr_later!("优先号先叫，但普通号等满 {} 分钟就先叫它", m),
        }
    }
}

/// The calling order in force: the station's rule and what it needs of the day so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Order {
    pub rule: PriorityRule,
    /// Normal tickets called since the last priority ticket today; None when no priority
    /// ticket was called yet today (the next one may go at once).
    pub normals_since_priority: Option<u32>,
    /// Now, in seconds since 1970.
    pub now: i64,
}

impl Order {
    /// Strict priority (the order every test before the rules knew).
    pub fn strict() -> Order {
        Order::default()
    }

    /// Whether the next call goes to the priority class, given the first waiting ticket of
    /// each class.
    fn priority_turn(&self, p: Option<&Candidate>, n: Option<&Candidate>) -> bool {
        match (p, n) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(_), Some(n)) => match self.rule {
                PriorityRule::Strict => true,
                PriorityRule::Every(k) => self.normals_since_priority.is_none_or(|since| since >= k.max(1)),
                PriorityRule::After(m) => self.now - n.issued_at < i64::from(m) * 60,
            },
        }
    }

    /// The order after a ticket of `priority` class was called.
    fn after_call(self, priority: bool) -> Order {
        let since = if priority { Some(0) } else { self.normals_since_priority.map(|s| s.saturating_add(1)) };
        Order { normals_since_priority: since, ..self }
    }
}

/// The order in which `waiting` would be called by one window that may call them all,
/// if nobody else came: each class first come first served, the classes merged by the
/// rule.
pub fn sequence<'a>(waiting: &[&'a Candidate], order: Order) -> Vec<&'a Candidate> {
    let mut p: Vec<&Candidate> = waiting.iter().copied().filter(|c| c.priority).collect();
    let mut n: Vec<&Candidate> = waiting.iter().copied().filter(|c| !c.priority).collect();
    p.sort_by_key(|c| c.order);
    n.sort_by_key(|c| c.order);
    let (mut i, mut j, mut o) = (0, 0, order);
    let mut out = Vec::with_capacity(waiting.len());
    while i < p.len() || j < n.len() {
        let take_p = o.priority_turn(p.get(i).copied(), n.get(j).copied());
        if take_p {
            out.push(p[i]);
            i += 1;
        } else {
            out.push(n[j]);
            j += 1;
        }
        o = o.after_call(take_p);
    }
    out
}

/// The ticket `window` calls next: the first, in call order, that it may call.
pub fn pick_next<'a>(waiting: &'a [Candidate], window: &WindowRule, order: Order) -> Option<&'a Candidate> {
    let mine: Vec<&Candidate> = waiting.iter().filter(|c| c.callable_by(window)).collect();
    let p = mine.iter().copied().filter(|c| c.priority).min_by_key(|c| c.order);
    let n = mine.iter().copied().filter(|c| !c.priority).min_by_key(|c| c.order);
    if order.priority_turn(p, n) {
        p
    } else {
        n
    }
}

/// The waiting tickets that will be called before `me`: those earlier in call order that
/// compete for a window that could call `me`.
pub fn ahead<'a>(
    me: &'a Candidate,
    waiting: &'a [Candidate],
    windows: &[WindowRule],
    order: Order,
) -> Vec<&'a Candidate> {
    let mine: Vec<&WindowRule> = windows.iter().filter(|w| me.callable_by(w)).collect();
    let competing: Vec<&Candidate> = waiting
        .iter()
        .filter(|c| c.order != me.order)
        .filter(|c| mine.is_empty() || mine.iter().any(|w| c.callable_by(w)))
        .chain(std::iter::once(me))
        .collect();
    sequence(&competing, order).into_iter().take_while(|c| c.order != me.order).collect()
}

pub fn ahead_of(me: &Candidate, waiting: &[Candidate], windows: &[WindowRule], order: Order) -> usize {
    ahead(me, waiting, windows, order).len()
}

/// People ahead of `me` now and the estimated minutes until they are served, shared
/// among the windows that can call `me`.
pub fn outlook(
    me: &Candidate,
    waiting: &[Candidate],
    windows: &[WindowRule],
    times: &ServiceTimes,
    order: Order,
) -> (u32, u32) {
    let before = ahead(me, waiting, windows, order);
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
        Candidate { order, priority, category: category.into(), only_window: None, issued_at: order * 60 }
    }

    const S: Order = Order { rule: PriorityRule::Strict, normals_since_priority: None, now: 0 };

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
        assert_eq!(pick_next(&q, &all, S).map(|x| x.order), Some(3));
        let rest: Vec<Candidate> = q.iter().filter(|x| x.order != 3).cloned().collect();
        assert_eq!(pick_next(&rest, &all, S).map(|x| x.order), Some(5));
        let plain: Vec<Candidate> = q.iter().filter(|x| !x.priority).cloned().collect();
        assert_eq!(pick_next(&plain, &all, S).map(|x| x.order), Some(1), "never newest first");
    }

    #[test]
    fn windows_call_only_their_categories_and_transfers() {
        let q = vec![c(1, false, "A"), c(2, false, "C"), Candidate { only_window: Some(2), ..c(0, false, "A") }];
        assert_eq!(pick_next(&q, &w(1, &["C"]), S).map(|x| x.order), Some(2));
        assert_eq!(pick_next(&q, &w(3, &["A"]), S).map(|x| x.order), Some(1), "a ticket sent to window 2 is 2's");
        assert_eq!(pick_next(&q, &w(2, &["C"]), S).map(|x| x.order), Some(0), "kept its early place");
        assert_eq!(pick_next(&q, &w(4, &["B"]), S), None);
    }

    #[test]
    fn ahead_counts_only_competitors() {
        let windows = vec![w(1, &["A"]), w(2, &["C"])];
        let q = vec![c(1, false, "A"), c(2, false, "C"), c(3, false, "A"), c(4, true, "C")];
        assert_eq!(ahead_of(&q[2], &q, &windows, S), 1, "only A001 competes for window 1");
        assert_eq!(ahead_of(&q[1], &q, &windows, S), 1, "the priority C ticket is ahead");
        let shared = vec![w(1, &[]), w(2, &[])];
        assert_eq!(ahead_of(&q[2], &q, &shared, S), 3);
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
    fn the_priority_rules_take_turns() {
        let q = vec![c(1, false, "A"), c(2, true, "A"), c(3, false, "A"), c(4, true, "A"), c(5, false, "A")];
        let refs: Vec<&Candidate> = q.iter().collect();
        let orders = |o: Order| sequence(&refs, o).iter().map(|c| c.order).collect::<Vec<_>>();
        assert_eq!(orders(S), vec![2, 4, 1, 3, 5]);
        let every = Order { rule: PriorityRule::Every(2), normals_since_priority: None, now: 0 };
        assert_eq!(orders(every), vec![2, 1, 3, 4, 5], "no priority yet today: one goes at once");
        assert_eq!(orders(Order { normals_since_priority: Some(1), ..every }), vec![1, 2, 3, 5, 4]);
        // Ticket 1 was taken at minute 1; at minute 11 it has waited 10.
        let after = Order { rule: PriorityRule::After(10), normals_since_priority: None, now: 11 * 60 };
        assert_eq!(orders(after), vec![1, 2, 4, 3, 5]);
        assert_eq!(orders(Order { now: 10 * 60, ..after }), vec![2, 4, 1, 3, 5]);
        let all = w(1, &[]);
        assert_eq!(pick_next(&q, &all, after).map(|x| x.order), Some(1));
        assert_eq!(ahead_of(&q[4], &q, &[all], every), 4);
        assert_eq!(ahead_of(&q[3], &q, &[w(1, &[])], every), 3, "the second priority waits for two normals");
    }

    /// One window, tickets arriving at random, one call a minute: under every rule each
    /// class is first come first served, and under the N and M rules no normal ticket
    /// waits forever however many priority tickets keep coming.
    mod property {
        use super::*;
        use proptest::prelude::*;

        /// (order, priority, issued at, called at minute) of each call.
        type Calls = Vec<(i64, bool, i64, i64)>;

        fn run(rule: PriorityRule, arrivals: &[(bool, bool)], minutes: i64) -> (Calls, Vec<i64>) {
            let window = w(1, &[]);
            let (mut waiting, mut called, mut next_id) = (Vec::<Candidate>::new(), Vec::new(), 1i64);
            let mut since: Option<u32> = None;
            for minute in 0..minutes {
                // Arrivals this minute: a normal one now and then, priority ones often.
                let (normal, priority) = arrivals.get(minute as usize).copied().unwrap_or((false, true));
                for p in [normal.then_some(false), priority.then_some(true)].into_iter().flatten() {
                    waiting.push(Candidate {
                        order: next_id,
                        priority: p,
                        category: "A".into(),
                        only_window: None,
                        issued_at: minute * 60,
                    });
                    next_id += 1;
                }
                let order = Order { rule, normals_since_priority: since, now: minute * 60 };
                if let Some(pick) = pick_next(&waiting, &window, order).cloned() {
                    waiting.retain(|c| c.order != pick.order);
                    since = if pick.priority { Some(0) } else { since.map(|s| s + 1) };
                    called.push((pick.order, pick.priority, pick.issued_at, minute));
                }
            }
            (called, waiting.iter().filter(|c| !c.priority).map(|c| c.issued_at).collect())
        }

        fn rules() -> impl Strategy<Value = PriorityRule> {
            prop_oneof![
                Just(PriorityRule::Strict),
                (1u32..6).prop_map(PriorityRule::Every),
                (1u32..40).prop_map(PriorityRule::After),
            ]
        }

        proptest! {
            #[test]
            fn each_class_in_turn_and_nobody_starves(
                rule in rules(),
                arrivals in proptest::collection::vec((proptest::bool::weighted(0.3), proptest::bool::weighted(0.9)), 0..120),
            ) {
                let minutes = 240;
                let (called, left_normals) = run(rule, &arrivals, minutes);
                for class in [false, true] {
                    let ids: Vec<i64> = called.iter().filter(|c| c.1 == class).map(|c| c.0).collect();
                    prop_assert!(ids.windows(2).all(|p| p[0] < p[1]), "{rule:?}: class {class} out of order: {ids:?}");
                }
                // The longest any normal ticket waited (called or still waiting at the end).
                let waited = called
                    .iter()
                    .filter(|c| !c.1)
                    .map(|c| c.3 * 60 - c.2)
                    .chain(left_normals.iter().map(|at| (minutes - 1) * 60 - at))
                    .max()
                    .unwrap_or(0);
                let normals_ever = arrivals.iter().filter(|a| a.0).count() as i64;
                match rule {
                    // Every N: a normal ticket waits at most for the normals before it and
                    // one priority ticket per N of them.
                    PriorityRule::Every(n) => prop_assert!(
                        waited <= (normals_ever + normals_ever / i64::from(n) + 2) * 60,
                        "{rule:?}: a normal ticket waited {waited} s"
                    ),
                    // After M: the first normal is called once it has waited M minutes, so no
                    // normal waits longer than M minutes plus those before it.
                    PriorityRule::After(m) => prop_assert!(
                        waited <= (i64::from(m) + normals_ever + 1) * 60,
                        "{rule:?}: a normal ticket waited {waited} s"
                    ),
                    PriorityRule::Strict => {}
                }
            }
        }

        #[test]
        fn strict_priority_can_starve_and_the_rules_do_not() {
            // A priority ticket every minute and one normal ticket at the start.
            let arrivals = vec![(true, true)];
            let (called, _) = run(PriorityRule::Strict, &arrivals, 60);
            assert!(called.iter().all(|c| c.1), "under strict priority the normal ticket never comes");
            for rule in [PriorityRule::Every(3), PriorityRule::After(15)] {
                let (called, _) = run(rule, &arrivals, 60);
                assert!(called.iter().any(|c| !c.1), "{rule:?}: the normal ticket is called");
            }
        }
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
