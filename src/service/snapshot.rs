//! What the live pages show: a villager's ticket (`/t/`), the calling display on the wall
//! and a window's desk. Built from one snapshot of the day, so the station service can
//! answer thousands of phone requests without asking the store each time, and rebuilt
//! whenever anything changes (another process's commit included).
//!
//! Nothing here carries a name, an ID number or a phone number: tickets hold none, and
//! the display never shows more than numbers and windows.

use super::ratings::PadOffer;
use super::Station;
use crate::config::{LoadedConfig, StationConfig};
use crate::domain::calling::{self, Candidate, Limits, Order, PauseReason, TicketStatus, WindowRule};
use crate::domain::clock::date_cn;
use crate::domain::hours::{self, OpenState, OpeningHours};
use crate::domain::matter::Catalog;
use crate::domain::ticket::{ServiceTimes, Ticket};
use crate::storage::calling as calls;
use crate::storage::{tickets, StoreError};
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// How many recent calls the display lists.
pub const RECENT_CALLS: u32 = 6;
/// How many call events are read to find them (a ticket recalled three times is one line).
const RECENT_EVENTS: u32 = 60;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DisplayWindow {
    pub number: u32,
    pub name: String,
    /// The number it is calling or serving.
    pub serving: Option<String>,
    /// "called", "serving", "paused" or "idle".
    pub state: &'static str,
    /// Why it is paused (午休, 外出代办, 会议, 其他), shown under 暂停服务.
    pub pause_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DisplayCall {
    /// The call's event id: a new id is a new call (the display blinks; no call is lost
    /// to a reconnect, because the whole state comes on every connect).
    pub id: i64,
    pub number: String,
    pub window: u32,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WaitingCount {
    pub category: String,
    pub name: String,
    pub count: u32,
}

/// The calling display's whole state (sent on connect and on every change).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DisplayState {
    pub station: String,
    pub windows: Vec<DisplayWindow>,
    /// Every call, recall and call-back, newest first (the banner shows each in turn).
    pub calls: Vec<DisplayCall>,
    /// 最近叫号: each ticket once, with its latest call, newest first.
    pub recent: Vec<DisplayCall>,
    pub waiting: Vec<WaitingCount>,
    pub hints: Vec<String>,
    pub notice: Option<String>,
    /// The town's notice for the displays of every station (a joined station's).
    pub town_notice: Option<String>,
}

/// One material line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MaterialLine {
    pub name: String,
    pub requirement: String,
    pub note: String,
}

/// A villager's ticket as their phone shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TicketView {
    pub number: String,
    pub what: String,
    pub priority: bool,
    pub status: &'static str,
    /// The state in words: 等候中 / 请到 1 号窗口 / 正在办理 / 已办结 / 已过号，请到窗口说明.
    pub state_text: String,
    pub window: Option<u32>,
    pub ahead: Option<u32>,
    pub wait_min: Option<u32>,
    /// Waiting with `[calling] nearly-up` people or fewer ahead: the phone says 快到您了.
    pub nearly_up: bool,
    pub issued: String,
    /// When the ticket was taken, the station's local time (a page words it in its language).
    #[serde(skip)]
    pub issued_at: chrono::NaiveDateTime,
    pub materials: Vec<MaterialLine>,
    /// Finished: the page can stop updating and offer the rating.
    pub finished: bool,
    pub can_rate: bool,
    pub rated: Option<&'static str>,
    /// Not today's ticket and never called: numbers are valid on their day only.
    pub expired: bool,
    pub closed_notice: Option<String>,
}

/// Everything the live pages need about today, taken at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub day: NaiveDate,
    pub tickets: Vec<Ticket>,
    by_token: HashMap<String, usize>,
    pub waiting: Vec<Candidate>,
    pub rated: HashSet<i64>,
    pub times: ServiceTimes,
    pub open: OpenState,
    pub closed_notice: Option<String>,
    pub display: DisplayState,
    pub pads: HashMap<u32, PadOffer>,
    /// The lists of matters today's tickets were issued under (usually one version).
    pub catalogs: HashMap<i64, Arc<Catalog>>,
    pub catalog: Arc<Catalog>,
    /// The windows and the categories each calls.
    pub windows: Vec<WindowRule>,
    /// The 差评 reasons in force (the town's, or the shipped ones).
    pub reasons: Arc<crate::domain::rating::Reasons>,
    /// The calling order when the snapshot was taken.
    pub order: Order,
}

impl Snapshot {
    /// The list of matters a ticket was issued under (the live one for older tickets).
    pub fn catalog_of(&self, t: &Ticket) -> &Catalog {
        self.catalogs.get(&t.catalog_version).map(|c| c.as_ref()).unwrap_or(&self.catalog)
    }

    pub fn ticket(&self, token: &str) -> Option<&Ticket> {
        self.by_token.get(token).and_then(|i| self.tickets.get(*i))
    }

    /// Whether anything a page shows differs (the countdown of a pad offer aside).
    pub fn differs(&self, other: &Snapshot) -> bool {
        self.tickets != other.tickets
            || self.rated != other.rated
            || self.display != other.display
            || self.open != other.open
            || self.day != other.day
            || self.windows != other.windows
            || self.reasons != other.reasons
            || self.pads.iter().map(|(w, p)| (*w, p.offer)).collect::<HashMap<_, _>>()
                != other.pads.iter().map(|(w, p)| (*w, p.offer)).collect::<HashMap<_, _>>()
    }
}

/// Builds a ticket's view from the day's snapshot inputs. Pure: the live page calls it on
/// every change for every phone watching.
#[allow(clippy::too_many_arguments)]
pub fn ticket_view(
    t: &Ticket,
    today: NaiveDate,
    waiting: &[Candidate],
    windows: &[WindowRule],
    times: &ServiceTimes,
    order: Order,
    catalog: &Catalog,
    rated: bool,
    closed_notice: Option<&str>,
    issued_local: NaiveDateTime,
) -> TicketView {
    let stale = t.day < today;
    let expired = (stale && matches!(t.status, TicketStatus::Waiting | TicketStatus::Called)) || t.expired_at.is_some();
    let kept_ahead = t.kept_until.is_some() && t.day > today && t.status == TicketStatus::Waiting;
    let state_text = match (t.status, t.window) {
        _ if kept_ahead => {
            tr_later!("下班前没有叫到：本号留到 {} 上班后第一个小时先叫，请那时来服务站", date_cn(t.day))
        }
        _ if t.expired_at.is_some() => {
            tr_later!("本号已过期：到下班时间还没有叫到，按规定作废。请在下次办公时间重新取号").to_string()
        }
        _ if expired => tr_later!("本号已过期（号码只在取号当天有效），请重新取号").to_string(),
        (TicketStatus::Waiting, _) => tr_later!("等候中").to_string(),
        (TicketStatus::Called, Some(w)) => tr_later!("请到 {} 号窗口", w),
        (TicketStatus::Serving, Some(w)) => tr_later!("正在办理（{} 号窗口）", w),
        (TicketStatus::Called | TicketStatus::Serving, None) => tr_later!("正在办理").to_string(),
        (TicketStatus::Served, _) => tr_later!("已办结").to_string(),
        (TicketStatus::NoShow, _) => tr_later!("已过号，请到窗口说明").to_string(),
        (TicketStatus::Cancelled, _) => tr_later!("已取消").to_string(),
    };
    let (ahead, wait_min) = if t.status == TicketStatus::Waiting && !stale && !kept_ahead {
        let (a, m) = calling::outlook(&t.candidate(), waiting, windows, times, order);
        (Some(a), Some(m))
    } else {
        (None, None)
    };
    let materials = t
        .matter_code
        .as_deref()
        .and_then(|c| catalog.matter(c))
        .map(|m| {
            m.materials
                .iter()
                .map(|x| MaterialLine { name: x.name.clone(), requirement: x.requirement(), note: x.note.clone() })
                .collect()
        })
        .unwrap_or_default();
    let finished = t.status == TicketStatus::Served;
    TicketView {
        number: t.number.clone(),
        what: t.matter_name.clone(),
        priority: t.priority,
        status: t.status.key(),
        state_text,
        window: t.window,
        ahead,
        wait_min,
        nearly_up: false,
        issued: format!("{} {}", date_cn(issued_local.date()), issued_local.format("%H:%M")),
        issued_at: issued_local,
        materials,
        finished,
        can_rate: finished && !rated,
        rated: rated.then_some(tr_later!("已评价")),
        expired,
        closed_notice: if t.status == TicketStatus::Waiting && !stale {
            closed_notice.map(str::to_string)
        } else {
            None
        },
    }
}

/// A ticket's view from the snapshot and the configuration alone (no store): what the
/// live page computes for every watching phone on every change.
pub fn view_in(cfg: &LoadedConfig, snap: &Snapshot, t: &Ticket, rated: bool) -> TicketView {
    let local = t.issued_at.with_timezone(&cfg.station.tz).naive_local();
    let mut v = ticket_view(
        t,
        snap.day,
        &snap.waiting,
        &snap.windows,
        &snap.times,
        snap.order,
        snap.catalog_of(t),
        rated,
        snap.closed_notice.as_deref(),
        local,
    );
    v.nearly_up = v.ahead.is_some_and(|a| a <= cfg.station.calling.nearly_up);
    v
}

fn display_state(
    st: &StationConfig,
    catalog: &Catalog,
    day_tickets: &[Ticket],
    windows_state: &HashMap<u32, calls::WindowRow>,
    recent: &[calls::CallEvent],
    notice: Option<String>,
) -> DisplayState {
    let windows = st
        .windows
        .iter()
        .map(|w| {
            let current = day_tickets.iter().rev().find(|t| t.status.at_window() && t.window == Some(w.number));
            let paused = windows_state.get(&w.number).and_then(|s| s.paused);
            let state = match current.map(|t| t.status) {
                Some(TicketStatus::Called) => "called",
                Some(TicketStatus::Serving) => "serving",
                _ if paused.is_some() => "paused",
                _ => "idle",
            };
            DisplayWindow {
                number: w.number,
                name: w.name.clone(),
                serving: current.map(|t| t.number.clone()),
                state,
                pause_reason: paused.filter(|_| state == "paused").map(|r| crate::lang::tr(r.label()).to_string()),
            }
        })
        .collect();
    let call = |c: &calls::CallEvent| DisplayCall {
        id: c.event_id,
        number: c.number.clone(),
        window: c.window,
        text: calling::call_text(&c.number, c.window),
    };
    let calls = recent.iter().take(RECENT_CALLS as usize).map(call).collect();
    let mut listed = std::collections::HashSet::new();
    let recent_list =
        recent.iter().filter(|c| listed.insert(c.number.clone())).take(RECENT_CALLS as usize).map(call).collect();
    DisplayState {
        station: st.name.clone(),
        windows,
        calls,
        recent: recent_list,
        waiting: waiting_counts(catalog, day_tickets),
        hints: st.display_hints.clone(),
        notice,
        town_notice: None,
    }
}

/// People waiting per category, in catalogue order (categories with nobody left out).
fn waiting_counts(catalog: &Catalog, day_tickets: &[Ticket]) -> Vec<WaitingCount> {
    catalog
        .categories
        .iter()
        .filter_map(|c| {
            let count =
                day_tickets.iter().filter(|t| t.status == TicketStatus::Waiting && t.category == c.code).count() as u32;
            (count > 0).then(|| WaitingCount { category: c.code.clone(), name: c.name.clone(), count })
        })
        .collect()
}

/// One window's desk: everything the staff member there needs on one page.
#[derive(Debug, Clone)]
pub struct DeskView {
    pub window: u32,
    pub window_name: String,
    /// Paused, and why.
    pub paused: Option<PauseReason>,
    pub current: Option<Ticket>,
    /// The waiting tickets this window may call, in the order it would call them (选叫
    /// picks one out of turn).
    pub queue: Vec<Ticket>,
    /// The station's priority rule in words.
    pub priority_rule: String,
    /// Waiting per category, and whether this window calls it.
    pub waiting: Vec<(WaitingCount, bool)>,
    /// Waiting tickets this window may call.
    pub mine: u32,
    pub no_shows: Vec<Ticket>,
    pub help: Vec<HelpItem>,
    /// Today's receipts that did not reach paper: failed, still pending, or (with no
    /// printer set up) only saved.
    pub unprinted: Vec<UnprintedItem>,
    /// Whether a printer is set up: without one, receipts are only saved, never "printed".
    pub printer: bool,
    pub bad_ratings: Vec<BadRatingItem>,
    pub windows: Vec<(u32, String)>,
    pub categories: Vec<(String, String)>,
    pub limits: Limits,
    pub closed_notice: Option<String>,
    /// From 1 November while next year's holidays are missing (see `holidays_notice`).
    pub holidays_notice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpItem {
    pub id: i64,
    pub time: String,
    pub screen: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnprintedItem {
    pub job: i64,
    pub what: String,
    pub time: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRatingItem {
    pub what: String,
    pub level: &'static str,
    pub reason: String,
    pub time: String,
}

impl Station {
    fn opening(&self) -> (OpenState, Option<String>) {
        let st = &self.cfg.station;
        let hours = OpeningHours::from_text(&st.weekday_hours, &st.weekend_hours);
        let now = self.clock.now_local().naive_local();
        let state = hours.state(now, &self.cfg.calendar);
        let notice = hours::closed_notice(&state, now);
        (state, notice)
    }

    /// When the station is closed: the sentence for villagers (None when open).
    pub fn closed_notice(&self) -> Option<String> {
        self.opening().1
    }

    /// Today, for the live pages, in one go.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let day = self.clock.today();
        let tickets = calls::day_tickets(self.conn(), day)?;
        let by_token = tickets.iter().enumerate().map(|(i, t)| (t.token.clone(), i)).collect();
        let waiting = tickets.iter().filter(|t| t.status == TicketStatus::Waiting).map(Ticket::candidate).collect();
        let rated = tickets::rated_on(self.conn(), day)?;
        let windows_state = calls::windows(self.conn())?;
        let recent = calls::recent_calls(self.conn(), day, RECENT_EVENTS)?;
        let (open, closed_notice) = self.opening();
        let mut display = display_state(
            &self.cfg.station,
            &self.cfg.catalog,
            &tickets,
            &windows_state,
            &recent,
            closed_notice.clone(),
        );
        display.town_notice = self.town_notice("display")?;
        let mut pads = HashMap::new();
        for w in &self.cfg.station.windows {
            if let Some(p) = self.pad_offer(w.number)? {
                pads.insert(w.number, p);
            }
        }
        let mut catalogs = HashMap::new();
        for v in tickets.iter().map(|t| t.catalog_version).collect::<HashSet<_>>() {
            catalogs.insert(v, self.catalog_at(v)?);
        }
        Ok(Snapshot {
            day,
            tickets,
            by_token,
            waiting,
            rated,
            times: self.service_times(),
            open,
            closed_notice,
            display,
            pads,
            catalogs,
            catalog: Arc::new(self.cfg.catalog.clone()),
            windows: self.window_rules(),
            reasons: Arc::new(self.rating_reasons()?),
            order: self.calling_order()?,
        })
    }

    /// A ticket's view from a snapshot (today's tickets) or, for an older ticket, the store.
    pub fn ticket_view(&self, snap: &Snapshot, t: &Ticket) -> Result<TicketView, StoreError> {
        let rated = if t.day == snap.day { snap.rated.contains(&t.id) } else { self.ticket_rating(t.id)?.is_some() };
        Ok(self.view_with(snap, t, rated))
    }

    /// A ticket's view when its rating state is known.
    pub fn view_with(&self, snap: &Snapshot, t: &Ticket, rated: bool) -> TicketView {
        view_in(&self.cfg, snap, t, rated)
    }

    /// The page of the ticket a receipt token names: from the snapshot for today's tickets,
    /// from the store for older ones; None for a token that is unknown, malformed or
    /// older than `[server] ticket-page-days`.
    /// [`Station::ticket_page`], with the rating read from the store itself, not from the
    /// snapshot: the page right after a rating must say it is rated, though the live
    /// snapshot may not have caught up yet.
    pub fn ticket_page_fresh(&self, snap: &Snapshot, token: &str) -> Result<Option<TicketView>, StoreError> {
        let Some(mut v) = self.ticket_page(snap, token)? else { return Ok(None) };
        if v.rated.is_none() {
            if let Some(t) = self.ticket_by_token(token)? {
                if self.ticket_rating(t.id)?.is_some() {
                    v.rated = Some("已评价");
                    v.can_rate = false;
                }
            }
        }
        Ok(Some(v))
    }

    pub fn ticket_page(&self, snap: &Snapshot, token: &str) -> Result<Option<TicketView>, StoreError> {
        if let Some(t) = snap.ticket(token) {
            return Ok(Some(view_in(&self.cfg, snap, t, snap.rated.contains(&t.id))));
        }
        let Some(t) = self.ticket_by_token(token)? else { return Ok(None) };
        let days = self.cfg.station.server.ticket_page_days as i64;
        if (snap.day - t.day).num_days() > days || t.day > snap.day {
            return Ok(None);
        }
        let rated = self.ticket_rating(t.id)?.is_some();
        Ok(Some(view_in(&self.cfg, snap, &t, rated)))
    }

    /// The desk of `window`.
    pub fn desk_view(&self, window: u32) -> Result<DeskView, StoreError> {
        let st = &self.cfg.station;
        let day = self.clock.today();
        let tz = self.clock.tz();
        let hm = |d: chrono::DateTime<chrono::Utc>| d.with_timezone(&tz).format("%H:%M").to_string();
        let tickets = calls::day_tickets(self.conn(), day)?;
        let rule = self.window_rules().into_iter().find(|w| w.number == window);
        let current = tickets.iter().rev().find(|t| t.status.at_window() && t.window == Some(window)).cloned();
        let paused = calls::windows(self.conn())?.get(&window).and_then(|w| w.paused);
        let queue = match &rule {
            Some(r) => {
                let candidates: Vec<Candidate> =
                    tickets.iter().filter(|t| t.status == TicketStatus::Waiting).map(Ticket::candidate).collect();
                let mine: Vec<&Candidate> = candidates.iter().filter(|c| c.callable_by(r)).collect();
                calling::sequence(&mine, self.calling_order()?)
                    .into_iter()
                    .filter_map(|c| tickets.iter().find(|t| t.id == c.order).cloned())
                    .collect()
            }
            None => Vec::new(),
        };
        let waiting = waiting_counts(&self.cfg.catalog, &tickets)
            .into_iter()
            .map(|w| {
                let mine = rule.as_ref().is_some_and(|r| r.serves(&w.category));
                (w, mine)
            })
            .collect();
        let mine = tickets
            .iter()
            .filter(|t| t.status == TicketStatus::Waiting)
            .filter(|t| rule.as_ref().is_some_and(|r| t.candidate().callable_by(r)))
            .count() as u32;
        let no_shows = tickets.iter().filter(|t| t.status == TicketStatus::NoShow).cloned().collect();
        let start = self.day_start();
        let help = tickets::open_help_list(self.conn(), start)?
            .into_iter()
            .map(|(id, at, screen)| HelpItem { id, time: hm(at), screen: screen_name(&screen).to_string() })
            .collect();
        let unprinted = tickets::unprinted_since(self.conn(), start)?
            .into_iter()
            .map(|(job, what, at)| UnprintedItem {
                job: job.id,
                what: match job.kind.as_str() {
                    "ticket" => format!("排队凭条 {what}"),
                    "authorization" => format!("委托书 {what}"),
                    _ => format!("代办受理回执 {what}"),
                },
                time: hm(at),
                error: match job.status.as_str() {
                    "spooled" => "只保存，没有打印".into(),
                    _ => job.error.unwrap_or_else(|| "未打印".into()),
                },
            })
            .collect();
        let bad_ratings = self
            .bad_ratings_today()?
            .into_iter()
            .map(|r| BadRatingItem {
                what: match (r.ticket_id, r.case_id) {
                    (Some(id), _) => tickets.iter().find(|t| t.id == id).map(|t| t.number.clone()).unwrap_or_default(),
                    _ => "代办".to_string(),
                },
                level: crate::domain::rating::Level::new(r.level).map(|l| l.label()).unwrap_or(""),
                reason: [r.reason, r.comment].into_iter().flatten().collect::<Vec<_>>().join("：").to_string(),
                time: hm(r.at),
            })
            .collect();
        Ok(DeskView {
            window,
            window_name: st.window(window).map(|w| w.name.clone()).unwrap_or_default(),
            paused,
            current,
            queue,
            priority_rule: st.calling.priority.describe(),
            waiting,
            mine,
            no_shows,
            help,
            unprinted,
            printer: st.printer.name.is_some(),
            bad_ratings,
            windows: st.windows.iter().map(|w| (w.number, w.name.clone())).collect(),
            categories: self.cfg.catalog.categories.iter().map(|c| (c.code.clone(), c.name.clone())).collect(),
            limits: st.calling.limits,
            closed_notice: self.closed_notice(),
            holidays_notice: self.holidays_notice(),
        })
    }

    /// The start of the station's day, as a UTC instant.
    pub(super) fn day_start(&self) -> chrono::DateTime<chrono::Utc> {
        let start = self.clock.today().and_hms_opt(0, 0, 0).unwrap_or_default();
        start.and_local_timezone(self.clock.tz()).earliest().map(|d| d.to_utc()).unwrap_or_default()
    }
}

/// The kiosk page a 呼叫工作人员 came from, in words.
fn screen_name(screen: &str) -> &str {
    match screen {
        "home" => "首页",
        "categories" => "选类别",
        "matters" => "事项列表",
        "matter" => "办事指南",
        "search" => "查找事项",
        "priority" => "取号",
        "ticket" => "号票",
        "lookup" | "lookup-result" => "进度查询",
        s if s.starts_with("case") => "申请代办",
        s => s,
    }
}
