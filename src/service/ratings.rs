//! 好差评: one rating per finished ticket or completed case, from the window's rating
//! pad, the villager's phone (the receipt's QR code) or the command line. Stored with the
//! staff member and window it rates; 不满意 / 非常不满意 need a reason and are flagged.

use super::Station;
use crate::domain::calling::TicketStatus;
use crate::domain::case::{Case, CaseState};
use crate::domain::rating::{self, Channel, RatingProblem};
use crate::domain::ticket::Ticket;
use crate::storage::calling as calls;
use crate::storage::ratings::{self, NewRating, RatingRow};
use crate::storage::{cases, tickets, StoreError};
use chrono::Duration;

/// Seconds the rating pad shows its five buttons after 办结.
pub const PAD_SECONDS: i64 = 30;
/// Grace after that for a tap already on its way.
const PAD_GRACE_SECONDS: i64 = 30;

/// What a receipt token names.
#[derive(Debug, Clone)]
pub enum RatingTarget {
    Ticket(Ticket),
    Case(Case),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rated {
    /// "ticket" or "case".
    pub kind: &'static str,
    /// The ticket number or the tracking code.
    pub key: String,
    pub level: u8,
    pub level_label: &'static str,
    pub reason: Option<String>,
    /// The codes of the reasons (the list in force).
    pub reasons: Vec<String>,
    pub channel: &'static str,
    /// A 差评: listed for the station's follow-up.
    pub flagged: bool,
    pub staff: Option<String>,
    pub window: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum RateError {
    #[error("没有找到")]
    NotFound,
    #[error("{0}")]
    NotYet(String),
    #[error("这次服务已经评价过了，谢谢您")]
    AlreadyRated,
    /// A pad's tap from a device that is not the window's paired pad.
    #[error("这台设备还不是这个窗口的评价器：请站长在这台设备上登录，到 站务管理 → 评价器 配对")]
    NotPaired,
    #[error("{0}")]
    Problem(#[from] RatingProblem),
    #[error("{0}")]
    Actor(#[from] super::auth::ActorError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// The five buttons on a window's rating pad: for which ticket, for how long.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PadOffer {
    /// The 办结 event the offer answers (what a tap sends back).
    pub offer: i64,
    pub number: String,
    pub seconds_left: i64,
}

impl Station {
    /// The ticket or case a receipt token names (None for anything else).
    pub fn rating_target(&self, token: &str) -> Result<Option<RatingTarget>, StoreError> {
        if !super::is_token(token) {
            return Ok(None);
        }
        if let Some(t) = tickets::by_token(self.conn(), token)? {
            return Ok(Some(RatingTarget::Ticket(t)));
        }
        Ok(cases::by_token(self.conn(), token)?.map(RatingTarget::Case))
    }

    pub fn ticket_rating(&self, ticket_id: i64) -> Result<Option<RatingRow>, StoreError> {
        ratings::for_ticket(self.conn(), ticket_id)
    }

    pub fn case_rating(&self, case_id: i64) -> Result<Option<RatingRow>, StoreError> {
        ratings::for_case(self.conn(), case_id)
    }

    /// Rates the ticket or case behind a receipt token (phone or command line).
    pub fn rate(
        &self,
        token: &str,
        level: u8,
        reason: Option<&str>,
        comment: Option<&str>,
        channel: Channel,
    ) -> Result<Rated, RateError> {
        let target = self.rating_target(token.trim())?.ok_or(RateError::NotFound)?;
        let picked: Vec<&str> = reason.into_iter().collect();
        self.store_rating(&target, level, &picked, comment, channel, None)
    }

    /// A paper form (书面评价表) typed in at the desk by `who`: the ticket ("A003" today,
    /// or "2026-11-30 A003") or the case's tracking code, the level and the reasons ticked.
    pub fn rate_on_paper(
        &self,
        who: &super::auth::Signed,
        target: &str,
        level: u8,
        picked: &[&str],
        comment: Option<&str>,
    ) -> Result<Rated, RateError> {
        self.actor(who)?;
        let target = self.paper_target(target)?.ok_or(RateError::NotFound)?;
        let rated = self.store_rating(&target, level, picked, comment, Channel::Paper, Some(who.no()))?;
        crate::storage::audit::by(
            self.conn(),
            self.clock.now(),
            who.by(),
            "rating-paper",
            Some(&rated.key),
            Some(rated.level_label),
        )?;
        Ok(rated)
    }

    /// What a paper form names: today's ticket number, a dated one, or a tracking code.
    fn paper_target(&self, text: &str) -> Result<Option<RatingTarget>, StoreError> {
        let text = text.trim().to_uppercase();
        let (day, number) = match text.split_once(' ') {
            Some((d, n)) => match d.parse::<chrono::NaiveDate>() {
                Ok(d) => (d, n.trim().to_string()),
                Err(_) => return Ok(None),
            },
            None => (self.clock.today(), text.clone()),
        };
        if let Some(t) = tickets::by_number(self.conn(), day, &number)? {
            return Ok(Some(RatingTarget::Ticket(t)));
        }
        Ok(cases::by_tracking(self.conn(), &text)?.map(RatingTarget::Case))
    }

    fn store_rating(
        &self,
        target: &RatingTarget,
        level: u8,
        picked: &[&str],
        comment: Option<&str>,
        channel: Channel,
        entered_by: Option<&str>,
    ) -> Result<Rated, RateError> {
        let r = rating::check_many(level, picked, comment, &self.rating_reasons()?)?;
        let (kind, key, ticket_id, case_id, staff, window) = match target {
            RatingTarget::Ticket(t) => {
                if t.status != TicketStatus::Served {
                    return Err(RateError::NotYet(format!("{} 还没有办结，办结后才能评价", t.number)));
                }
                ("ticket", t.number.clone(), Some(t.id), None, t.staff_no.clone(), t.window)
            }
            RatingTarget::Case(c) => {
                if !matches!(c.state, CaseState::Completed | CaseState::Notified | CaseState::Closed) {
                    return Err(RateError::NotYet(format!("{} 还没有办结，办结后才能评价", c.tracking)));
                }
                let staff = c.assignee.clone().or_else(|| c.first_responder.clone());
                ("case", c.tracking.clone(), None, Some(c.id), staff, None)
            }
        };
        let new = NewRating {
            ticket_id,
            case_id,
            level: r.level.value(),
            reason: r.reason.as_deref(),
            comment: r.comment.as_deref(),
            channel: channel.key(),
            staff_no: staff.as_deref(),
            window,
            at: self.clock.now(),
            reasons: &r.reasons,
            entered_by,
        };
        if !ratings::insert(self.conn(), &new)? {
            return Err(RateError::AlreadyRated);
        }
        if r.level.is_bad() {
            tracing::warn!("差评 for {kind} {key}: {} ({})", r.level.label(), r.reason.as_deref().unwrap_or(""));
        }
        Ok(Rated {
            kind,
            key,
            level: r.level.value(),
            level_label: r.level.label(),
            reason: r.reason,
            reasons: r.reasons,
            channel: channel.key(),
            flagged: r.level.is_bad(),
            staff,
            window,
        })
    }

    /// What the rating pad at `window` shows now: the five buttons for the ticket just
    /// finished there, for [`PAD_SECONDS`], unless it was rated already.
    pub fn pad_offer(&self, window: u32) -> Result<Option<PadOffer>, StoreError> {
        let Some((offer, t, at)) = calls::last_finish(self.conn(), window)? else { return Ok(None) };
        let left = PAD_SECONDS - (self.clock.now() - at).num_seconds();
        if left <= 0 || ratings::for_ticket(self.conn(), t.id)?.is_some() {
            return Ok(None);
        }
        Ok(Some(PadOffer { offer, number: t.number, seconds_left: left.min(PAD_SECONDS) }))
    }

    /// A tap on the pad at `window` answering `offer` (the 办结 it showed), from the device
    /// holding `device` (its pairing token): only a pad paired with this window counts.
    pub fn rate_from_pad(
        &self,
        window: u32,
        device: &str,
        offer: i64,
        level: u8,
        reason: Option<&str>,
        comment: Option<&str>,
    ) -> Result<Rated, RateError> {
        if self.pad_window(device)? != Some(window) {
            return Err(RateError::NotPaired);
        }
        let Some((latest, t, at)) = calls::last_finish(self.conn(), window)? else {
            return Err(RateError::NotFound);
        };
        // Only the ticket the pad was showing, and only while it was showing it.
        let limit = Duration::seconds(PAD_SECONDS + PAD_GRACE_SECONDS);
        if latest != offer || self.clock.now() - at > limit {
            return Err(RateError::NotFound);
        }
        let picked: Vec<&str> = reason.into_iter().collect();
        self.store_rating(&RatingTarget::Ticket(t), level, &picked, comment, Channel::Pad, None)
    }

    /// 差评 given today, for the desk's follow-up list.
    pub fn bad_ratings_today(&self) -> Result<Vec<RatingRow>, StoreError> {
        ratings::bad_since(self.conn(), self.day_start())
    }
}

/// One rating as exported each month (CSV for Excel, JSON Lines for an upward adapter):
/// everything GB/T 39734 and the upward interfaces seen ask a rating to carry, with the
/// station's 12-digit area code, and its follow-up when there is one. Times are local
/// (the station's time zone, with its offset).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RatingExport {
    pub id: i64,
    pub area_code: String,
    pub station: String,
    pub level: u8,
    pub level_label: &'static str,
    pub channel: String,
    pub matter: Option<String>,
    pub matter_version: Option<i64>,
    pub ticket: Option<String>,
    pub case: Option<String>,
    pub staff: Option<String>,
    pub window: Option<u32>,
    pub served_at: Option<String>,
    pub rated_at: String,
    pub reasons: Vec<String>,
    pub reason_labels: Vec<String>,
    pub reasons_version: Option<i64>,
    pub comment: Option<String>,
    pub entered_by: Option<String>,
    /// 帮办: given for a ticket or request taken with a staff member's help at the kiosk.
    pub assisted_by: Option<String>,
    pub followup: Option<FollowupExport>,
}

pub use crate::storage::ratings::FollowupExport;

/// The CSV's columns, in order.
pub const EXPORT_HEAD: [&str; 29] = [
    "评价编号",
    "统计用区划代码",
    "服务站",
    "评价渠道",
    "满意度(1-5)",
    "满意度",
    "事项编码",
    "事项版本",
    "号票",
    "代办编号",
    "被评价人",
    "窗口",
    "办结时间",
    "评价时间",
    "差评原因代码",
    "差评原因",
    "原因清单版本",
    "说明",
    "书面录入人",
    "跟进人",
    "跟进分类",
    "整改方案",
    "整改完成时间",
    "回访时间",
    "回访结果",
    "申诉",
    "整改结果",
    "跟进办结时间",
    "帮办人",
];

impl RatingExport {
    fn cells(&self) -> Vec<String> {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        // Words people typed: never a formula when Excel opens the file.
        let words = |v: &Option<String>| {
            let t = o(v);
            if t.starts_with(['=', '+', '-', '@']) {
                format!("'{t}")
            } else {
                t
            }
        };
        let f = self.followup.clone().unwrap_or_default();
        vec![
            self.id.to_string(),
            // Twelve digits: Excel would show a number in E notation; as a formula it stays text.
            if self.area_code.is_empty() { String::new() } else { format!("=\"{}\"", self.area_code) },
            self.station.clone(),
            Channel::from_key(&self.channel).map(|c| c.label().to_string()).unwrap_or_else(|| self.channel.clone()),
            self.level.to_string(),
            self.level_label.to_string(),
            o(&self.matter),
            self.matter_version.map(|v| v.to_string()).unwrap_or_default(),
            o(&self.ticket),
            o(&self.case),
            o(&self.staff),
            self.window.map(|w| w.to_string()).unwrap_or_default(),
            o(&self.served_at),
            self.rated_at.clone(),
            self.reasons.join(";"),
            self.reason_labels.join("；"),
            self.reasons_version.map(|v| v.to_string()).unwrap_or_default(),
            words(&self.comment),
            o(&self.entered_by),
            o(&f.assignee),
            f.category
                .as_deref()
                .and_then(crate::domain::followup::Category::from_key)
                .map(|c| c.label().to_string())
                .unwrap_or_default(),
            words(&f.plan),
            o(&f.fixed_at),
            o(&f.callback_at),
            words(&f.callback_result),
            words(&f.appeal),
            words(&f.result),
            o(&f.done_at),
            o(&self.assisted_by),
        ]
    }
}

impl Station {
    /// The ratings given from `from` to `to` (whole local days), oldest first.
    pub fn ratings_export(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<RatingExport>, super::ReportError> {
        use chrono::TimeZone;
        if from > to {
            return Err(super::ReportError::Backwards(from, to));
        }
        let tz = self.clock.tz();
        let at = |d: chrono::NaiveDate| {
            tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN)).earliest().map(|t| t.to_utc())
        };
        let (Some(start), Some(end)) = (at(from), at(to + Duration::days(1))) else {
            return Ok(Vec::new());
        };
        let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).to_rfc3339();
        let reasons = self.rating_reasons()?;
        let st = &self.cfg.station;
        Ok(ratings::export_between(self.conn(), start, end)?
            .into_iter()
            .map(|r| RatingExport {
                id: r.id,
                area_code: st.area_code.clone(),
                station: st.name.clone(),
                level: r.level,
                level_label: rating::Level::new(r.level).map(|l| l.label()).unwrap_or(""),
                channel: r.channel,
                matter: r.matter,
                matter_version: r.matter_version,
                ticket: r.ticket,
                case: r.case,
                staff: r.staff,
                window: r.window,
                served_at: r.served_at.map(local),
                rated_at: local(r.rated_at),
                reason_labels: r.reasons.iter().map(|k| reasons.label_of(k).to_string()).collect(),
                reasons: r.reasons,
                reasons_version: r.reasons_version,
                comment: r.comment,
                entered_by: r.entered_by,
                assisted_by: r.assisted_by,
                followup: r.followup.map(|mut f| {
                    let at = f.done_at.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
                    f.done_at = at.map(|t| local(t.to_utc()));
                    f
                }),
            })
            .collect())
    }

    /// The export as CSV bytes (UTF-8 with BOM: Excel shows the Chinese).
    pub fn ratings_csv(&self, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<Vec<u8>, super::ReportError> {
        let rows = self.ratings_export(from, to)?;
        let mut out = String::from("\u{feff}");
        let line = |cells: &[String]| {
            let quoted: Vec<String> = cells.iter().map(|c| crate::receipt::report::csv_cell(c)).collect();
            format!("{}\r\n", quoted.join(","))
        };
        out.push_str(&line(&EXPORT_HEAD.map(String::from)));
        for r in &rows {
            out.push_str(&line(&r.cells()));
        }
        Ok(out.into_bytes())
    }

    /// The export as JSON Lines: one rating per line.
    pub fn ratings_jsonl(&self, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<Vec<u8>, super::ReportError> {
        let mut out = String::new();
        for r in self.ratings_export(from, to)? {
            out.push_str(&serde_json::to_string(&r).unwrap_or_default());
            out.push('\n');
        }
        Ok(out.into_bytes())
    }
}
