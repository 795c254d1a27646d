//! 好差评: one rating per finished ticket or completed case, from the window's rating
//! pad, the villager's phone (the receipt's QR code) or the command line. Stored with the
//! staff member and window it rates; 不满意 / 非常不满意 need a reason and are flagged.

use super::Station;
use crate::domain::calling::TicketStatus;
use crate::domain::case::{Case, CaseState};
use crate::domain::rating::{self, RatingProblem};
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
        channel: &str,
    ) -> Result<Rated, RateError> {
        let target = self.rating_target(token.trim())?.ok_or(RateError::NotFound)?;
        self.store_rating(&target, level, reason, comment, channel)
    }

    fn store_rating(
        &self,
        target: &RatingTarget,
        level: u8,
        reason: Option<&str>,
        comment: Option<&str>,
        channel: &str,
    ) -> Result<Rated, RateError> {
        let r = rating::check_with(level, reason, comment, &self.rating_reasons()?)?;
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
            channel,
            staff_no: staff.as_deref(),
            window,
            at: self.clock.now(),
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
        self.store_rating(&RatingTarget::Ticket(t), level, reason, comment, "pad")
    }

    /// 差评 given today, for the desk's follow-up list.
    pub fn bad_ratings_today(&self) -> Result<Vec<RatingRow>, StoreError> {
        ratings::bad_since(self.conn(), self.day_start())
    }
}
