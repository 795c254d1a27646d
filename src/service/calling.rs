//! Calling tickets at the windows, for the desk in the browser and the command line.
//!
//! Every action acts for a signed-in staff member at a configured window, checks the
//! ticket's state and the caps (domain rules) inside the store's transaction, and leaves
//! an append-only ticket event (staff, window, time).

use super::auth::{ActorError, Signed};
use super::Station;
use crate::domain::calling::{
    AtClosing, CallAction, Order, PauseReason, Refusal, TicketStatus, WindowRule, KEPT_MINUTES,
};
use crate::domain::ticket::{ServiceTimes, Ticket};
pub use crate::storage::calling::Unstarted;
use crate::storage::calling::{self as store, CallStoreError, Transfer};
use crate::storage::{audit, StoreError};
use chrono::Duration;
use chrono::TimeZone;

pub use crate::storage::calling::Transfer as TransferTo;

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{0}")]
    Actor(#[from] ActorError),
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("{0}号窗口已暂停，请先点“恢复”")]
    Paused(u32),
    #[error("今天没有 {0} 号")]
    NotFound(String),
    #[error("{0} {1}，只有等候中的号才能选叫")]
    NotWaiting(String, TicketStatus),
    #[error("请说明为什么不按顺序叫这个号（选一个原因，或写几个字）")]
    NoReason,
    #[error("没有{0}号窗口（station.toml 里的窗口：{1}）")]
    NoWindow(u32, String),
    #[error("没有“{0}”这个类别")]
    NoCategory(String),
    #[error("现在没有人等候这个窗口")]
    NoneWaiting,
    /// 叫下一位 over a ticket called and never started: staff are asked what became of it.
    #[error("{0} 还没有开始办理：按过号，还是已经办完？")]
    Unstarted(String),
    /// The button was pressed on a page that showed another state of the window.
    #[error("本页面已过期，请刷新（窗口现在的号是 {0}）")]
    Stale(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl From<CallStoreError> for CallError {
    fn from(e: CallStoreError) -> Self {
        match e {
            CallStoreError::Refused(r) => CallError::Refused(r),
            CallStoreError::Paused(w) => CallError::Paused(w),
            CallStoreError::NotFound(n) => CallError::NotFound(n),
            CallStoreError::NotWaiting(n, s) => CallError::NotWaiting(n, s),
            CallStoreError::Unstarted(n) => CallError::Unstarted(n),
            CallStoreError::Stale(n) => CallError::Stale(n),
            CallStoreError::Store(s) => CallError::Store(s),
        }
    }
}

/// A calling action done: the ticket as it is now, at which window, and what became of
/// the ticket the window still had (叫下一位 finishes one being served; one called and
/// never started is 过号, or 办结 when staff say so).
#[derive(Debug, Clone)]
pub struct Called {
    pub ticket: Ticket,
    pub window: u32,
    pub finished: Vec<Ticket>,
    pub no_shows: Vec<Ticket>,
}

impl Station {
    /// The windows and the categories each calls: the station head's setting at the desk
    /// where there is one, station.toml's otherwise.
    pub fn window_rules(&self) -> Vec<WindowRule> {
        let set = store::window_categories(self.conn()).unwrap_or_else(|e| {
            tracing::warn!("window categories: {e}");
            Default::default()
        });
        self.cfg
            .station
            .window_rules()
            .into_iter()
            .map(|mut w| {
                if let Some(c) = set.get(&w.number) {
                    w.categories = c.clone();
                }
                w
            })
            .collect()
    }

    fn window_rule(&self, window: u32) -> Result<WindowRule, CallError> {
        self.window_rules().into_iter().find(|w| w.number == window).ok_or_else(|| {
            let list: Vec<String> = self.cfg.station.windows.iter().map(|w| w.number.to_string()).collect();
            CallError::NoWindow(window, list.join("、"))
        })
    }

    /// 叫下一位 at `window`: priority first, then first come first served, among the
    /// categories the window serves. `NoneWaiting` when nobody waits for this window. A
    /// ticket the window called and never started is recorded as 过号 (it can be called
    /// back): the command line's contract.
    pub fn call_next(&mut self, who: &Signed, window: u32) -> Result<Called, CallError> {
        self.call_next_then(who, window, &Unstarted::NoShow(None))
    }

    /// 叫下一位, with what staff said of a ticket called and never started (the desk asks
    /// with [`Unstarted::Ask`] and gets [`CallError::Unstarted`] back).
    pub fn call_next_then(&mut self, who: &Signed, window: u32, unstarted: &Unstarted) -> Result<Called, CallError> {
        self.actor(who)?;
        let rule = self.window_rule(window)?;
        let (day, now) = (self.clock.today(), self.clock.now());
        let priority = self.cfg.station.calling.priority;
        match store::call_next(self.conn_mut(), day, &rule, priority, who.by(), unstarted, now)? {
            Some(out) => {
                tracing::info!("{} called to window {window} by {}", out.ticket.number, who.no());
                Ok(Called { ticket: out.ticket, window, finished: out.finished, no_shows: out.no_shows })
            }
            None => Err(CallError::NoneWaiting),
        }
    }

    /// 重呼, 过号, 回呼, 开始办理 or 办结 on today's ticket `number` at `window`.
    pub fn call_action(
        &mut self,
        who: &Signed,
        window: u32,
        number: &str,
        action: CallAction,
    ) -> Result<Called, CallError> {
        self.act(who, window, number, action, None, &Unstarted::NoShow(None))
    }

    /// 回呼 with what staff said of a ticket the window called and never started.
    pub fn call_back_then(
        &mut self,
        who: &Signed,
        window: u32,
        number: &str,
        unstarted: &Unstarted,
    ) -> Result<Called, CallError> {
        self.act(who, window, number, CallAction::Callback, None, unstarted)
    }

    /// 转窗口 / 转类别: the ticket goes back into the queue at its original place.
    pub fn transfer(&mut self, who: &Signed, window: u32, number: &str, to: Transfer) -> Result<Called, CallError> {
        match &to {
            Transfer::Window(w) => {
                self.window_rule(*w)?;
            }
            Transfer::Category(c) => {
                if self.cfg.catalog.category(c).is_none() {
                    return Err(CallError::NoCategory(c.clone()));
                }
            }
        }
        self.act(who, window, number, CallAction::Transfer, Some(&to), &Unstarted::NoShow(None))
    }

    fn act(
        &mut self,
        who: &Signed,
        window: u32,
        number: &str,
        action: CallAction,
        to: Option<&Transfer>,
        unstarted: &Unstarted,
    ) -> Result<Called, CallError> {
        self.actor(who)?;
        self.window_rule(window)?;
        let number = number.trim().to_uppercase();
        let (day, now, limits) = (self.clock.today(), self.clock.now(), self.cfg.station.calling.limits);
        let out = store::act(self.conn_mut(), day, &number, window, who.by(), action, to, unstarted, limits, now)?;
        tracing::info!("{number} {} at window {window} by {}", action.key(), who.no());
        Ok(Called { ticket: out.ticket, window, finished: out.finished, no_shows: out.no_shows })
    }

    /// 暂停 / 恢复 a window.
    pub fn set_window_paused(
        &mut self,
        who: &Signed,
        window: u32,
        paused: Option<PauseReason>,
    ) -> Result<(), CallError> {
        self.actor(who)?;
        self.window_rule(window)?;
        let now = self.clock.now();
        store::set_window(self.conn(), window, paused, Some(who.no()), now)?;
        let action = if paused.is_some() { "window-pause" } else { "window-resume" };
        // The reason's key, so that the report can add up the time paused by reason.
        let detail = paused.map(|r| r.key());
        audit::by(self.conn(), now, who.by(), action, Some(&format!("{window}号窗口")), detail)?;
        Ok(())
    }

    /// 选叫: calls the waiting ticket `number` to `window` out of turn, for a reason staff
    /// give (a short list or their own words): recorded on the ticket and in the audit log,
    /// and counted per staff member in the report.
    pub fn call_chosen(
        &mut self,
        who: &Signed,
        window: u32,
        number: &str,
        reason: &str,
        unstarted: &Unstarted,
    ) -> Result<Called, CallError> {
        self.actor(who)?;
        self.window_rule(window)?;
        let reason: String =
            reason.chars().filter(|c| !c.is_control()).collect::<String>().trim().chars().take(40).collect();
        if reason.is_empty() {
            return Err(CallError::NoReason);
        }
        let (day, now) = (self.clock.today(), self.clock.now());
        let number = number.trim().to_uppercase();
        let out = store::call_chosen(self.conn_mut(), day, &number, window, who.by(), unstarted, &reason, now)?;
        audit::by(
            self.conn(),
            now,
            who.by(),
            "call-out-of-turn",
            Some(&format!("{} → {window}号窗口", out.ticket.number)),
            Some(&reason),
        )?;
        tracing::info!("{} called out of turn to window {window} by {}", out.ticket.number, who.no());
        Ok(Called { ticket: out.ticket, window, finished: out.finished, no_shows: out.no_shows })
    }

    /// The calling order today (the station's priority rule and today's calls so far).
    pub fn calling_order(&self) -> Result<Order, StoreError> {
        crate::storage::tickets::order_on(
            self.conn(),
            self.clock.today(),
            self.cfg.station.calling.priority,
            self.clock.now(),
        )
    }

    /// At the end of the day: tickets still waiting from earlier days, and kept tickets
    /// whose hour is over, are closed as 过期; once the day's last session is over, today's
    /// waiting tickets are closed too, or kept for the next working day's first hour where
    /// the station says so (`[calling] at-closing`). The station service does this every
    /// minute. Returns the numbers closed as 过期.
    pub fn expire_waiting(&mut self) -> Result<Vec<String>, StoreError> {
        let st = &self.cfg.station;
        let hours = crate::domain::hours::OpeningHours::from_text(&st.weekday_hours, &st.weekend_hours);
        let now_local = self.clock.now_local().naive_local();
        let today_over = hours.day_is_over(now_local, &self.cfg.calendar);
        let (today, now) = (self.clock.today(), self.clock.now());
        let keep = st.calling.at_closing == AtClosing::Keep;
        let next = hours.next_opening(now_local, &self.cfg.calendar);
        if let (true, true, Some(opens)) = (keep, today_over, next) {
            let until_local = opens + Duration::minutes(KEPT_MINUTES);
            let until = self.clock.tz().from_local_datetime(&until_local).earliest().map(|t| t.to_utc());
            if let Some(until) = until {
                let (kept, _) = store::keep_waiting(self.conn_mut(), today, opens.date(), until, now)?;
                if !kept.is_empty() {
                    tracing::info!("{} waiting tickets kept for {}: {}", kept.len(), opens.date(), kept.join(" "));
                }
            }
        }
        let closed = store::expire_waiting(self.conn_mut(), today, today_over, now)?;
        if !closed.is_empty() {
            tracing::info!("{} waiting tickets closed as expired: {}", closed.len(), closed.join(" "));
        }
        Ok(closed)
    }

    /// Records that `who` now works `window` (the desk's choice of window).
    pub fn take_window(&self, who: &Signed, window: u32, origin: Option<&str>) -> Result<(), CallError> {
        self.actor(who)?;
        self.window_rule(window)?;
        let now = self.clock.now();
        let paused = store::windows(self.conn())?.get(&window).and_then(|w| w.paused);
        store::set_window(self.conn(), window, paused, Some(who.no()), now)?;
        audit::record(
            self.conn(),
            now,
            Some(who.no()),
            "window-take",
            Some(&format!("{window}号窗口")),
            None,
            origin.or(who.origin()),
        )?;
        Ok(())
    }

    /// The service minutes used for wait estimates: measured over recent days where a
    /// category has enough services, the configured guesses elsewhere.
    pub fn service_times(&self) -> ServiceTimes {
        let c = &self.cfg.station.calling;
        let since = self.clock.now() - Duration::days(c.measured_days as i64);
        let measured = store::measured_minutes(self.conn(), since, c.min_samples).unwrap_or_else(|e| {
            tracing::warn!("measured service times: {e}");
            Default::default()
        });
        self.cfg.station.service_times.with_measured(&measured)
    }

    /// Calls after event `after` (for the announcer), oldest first.
    pub fn calls_since(&self, after: i64) -> Result<Vec<store::CallEvent>, StoreError> {
        store::calls_since(self.conn(), after, 100)
    }

    pub fn last_ticket_event(&self) -> Result<i64, StoreError> {
        store::last_event_id(self.conn())
    }
}
