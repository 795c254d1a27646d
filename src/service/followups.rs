//! 差评 follow-up (整改): the station head assigns every 不满意 / 非常不满意 rating to someone
//! (谁办理谁负责: the person who served is suggested), that person — or the head — records
//! what was put right, and a follow-up with no result 15 working days after the rating is
//! overdue. Staff see the ones assigned to them; the head sees all.

use super::auth::{ActorError, Signed};
use super::Station;
use crate::domain::followup::{self, ResultProblem, Stage};
use crate::domain::rating::Level;
use crate::storage::followups::{self as store, FollowupRow, Written};
use crate::storage::{staff, StoreError};
use chrono::{DateTime, NaiveDate, Utc};

/// A 差评 and its follow-up, as the desk shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followup {
    pub id: i64,
    pub level: &'static str,
    /// The reason chosen and the villager's own words, joined.
    pub reason: String,
    pub rated_at: DateTime<Utc>,
    pub channel: String,
    pub window: Option<u32>,
    pub subject: String,
    pub matter: String,
    pub served_by: Option<String>,
    pub assignee: Option<String>,
    pub assigned_by: Option<String>,
    pub result: Option<String>,
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub category: Option<followup::Category>,
    pub plan: Option<String>,
    pub fixed_at: Option<String>,
    pub callback_at: Option<String>,
    pub callback_result: Option<String>,
    pub appeal: Option<String>,
    pub stage: Stage,
    pub due: NaiveDate,
    pub due_beyond_calendar: bool,
    pub overdue: bool,
    pub version: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum FollowupError {
    #[error("没有找到这条差评")]
    NotFound,
    #[error("这条差评刚被别人处理过，页面已刷新，请看清后再操作")]
    Stale,
    #[error("这条差评已经记录了整改结果，不能再改")]
    Finished,
    #[error("没有工号 {0}，或这个账号已停用")]
    NoSuchStaff(String),
    #[error("只有被分派的人或站长可以记录整改结果")]
    NotYours,
    #[error("{0}")]
    Result(#[from] ResultProblem),
    #[error("{0}")]
    Details(#[from] followup::DetailsProblem),
    #[error("{0}")]
    Actor(#[from] ActorError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl Station {
    fn followup_of(&self, r: FollowupRow, today: NaiveDate) -> Followup {
        let tz = self.clock.tz();
        let stage = match (&r.result, &r.assignee) {
            (Some(_), _) => Stage::Done,
            (None, Some(_)) => Stage::Assigned,
            (None, None) => Stage::New,
        };
        let due = followup::due(
            &self.cfg.calendar,
            r.rated_at.with_timezone(&tz).date_naive(),
            self.cfg.station.followup_days,
        );
        let reason = [r.reason, r.comment].into_iter().flatten().filter(|s| !s.trim().is_empty()).collect::<Vec<_>>();
        Followup {
            id: r.rating_id,
            level: Level::new(r.level).map(|l| l.label()).unwrap_or("差评"),
            reason: reason.join("：").to_string(),
            rated_at: r.rated_at,
            channel: r.channel,
            window: r.window,
            subject: r.subject,
            matter: r.matter,
            served_by: r.served_by,
            assignee: r.assignee,
            assigned_by: r.assigned_by,
            result: r.result,
            done_by: r.done_by,
            done_at: r.done_at,
            category: r.category.as_deref().and_then(followup::Category::from_key),
            plan: r.plan,
            fixed_at: r.fixed_at,
            callback_at: r.callback_at,
            callback_result: r.callback_result,
            appeal: r.appeal,
            stage,
            due: due.date,
            due_beyond_calendar: due.beyond_calendar,
            overdue: followup::overdue(stage, due.date, today),
            version: r.version,
        }
    }

    /// The 差评 to follow up: for the station head all of them, for staff those assigned
    /// to them; open ones first (overdue, then oldest), then the finished ones, newest first.
    pub fn followups(&self, who: &Signed) -> Result<Vec<Followup>, FollowupError> {
        let me = self.actor(who)?;
        let today = self.clock.today();
        let mut all: Vec<Followup> = store::list(self.conn(), None)?
            .into_iter()
            .map(|r| self.followup_of(r, today))
            .filter(|f| me.role == crate::domain::staff::Role::Admin || f.assignee.as_deref() == Some(me.no.as_str()))
            .collect();
        all.sort_by(|a, b| {
            let open = |f: &Followup| f.stage != Stage::Done;
            open(b).cmp(&open(a)).then(b.overdue.cmp(&a.overdue)).then_with(|| {
                if open(a) {
                    a.rated_at.cmp(&b.rated_at)
                } else {
                    b.rated_at.cmp(&a.rated_at)
                }
            })
        });
        Ok(all)
    }

    /// How many open 差评 the desk should nag about: (open, overdue) — all for the head,
    /// one's own for staff.
    pub fn followup_counts(&self, who: &Signed) -> Result<(usize, usize), FollowupError> {
        let open: Vec<Followup> = self.followups(who)?.into_iter().filter(|f| f.stage != Stage::Done).collect();
        Ok((open.len(), open.iter().filter(|f| f.overdue).count()))
    }

    /// The station head gives a 差评 to someone to put right.
    pub fn assign_followup(
        &mut self,
        who: &Signed,
        id: i64,
        version: i64,
        assignee: &str,
    ) -> Result<(), FollowupError> {
        self.admin_actor(who)?;
        let current = store::get(self.conn(), id)?.ok_or(FollowupError::NotFound)?;
        if current.result.is_some() {
            return Err(FollowupError::Finished);
        }
        let assignee = assignee.trim();
        match staff::get(self.conn(), assignee)? {
            Some(m) if m.active => {}
            _ => return Err(FollowupError::NoSuchStaff(assignee.to_string())),
        }
        let now = self.clock.now();
        match store::assign(self.conn_mut(), id, version, assignee, who.by(), now)? {
            Written::Done => Ok(()),
            Written::Stale => Err(FollowupError::Stale),
        }
    }

    /// The 整改 result, by the person it was assigned to or the station head; once.
    pub fn record_followup(&mut self, who: &Signed, id: i64, version: i64, result: &str) -> Result<(), FollowupError> {
        let d = followup::Details { result: result.to_string(), ..Default::default() };
        self.record_followup_details(who, id, version, d)
    }

    /// The 整改 result with what the rules ask beside it: the category (误评 / 诉求合理 /
    /// 无法定依据), the plan, the day it was put right, the call-back and its result, and
    /// an appeal for a rating staff think wrong (an audit event of its own).
    pub fn record_followup_details(
        &mut self,
        who: &Signed,
        id: i64,
        version: i64,
        details: followup::Details,
    ) -> Result<(), FollowupError> {
        let me = self.actor(who)?;
        let current = store::get(self.conn(), id)?.ok_or(FollowupError::NotFound)?;
        if current.result.is_some() {
            return Err(FollowupError::Finished);
        }
        if me.role != crate::domain::staff::Role::Admin && current.assignee.as_deref() != Some(me.no.as_str()) {
            return Err(FollowupError::NotYours);
        }
        let d = match followup::check_details(details, self.clock.today()) {
            Ok(d) => d,
            Err(followup::DetailsProblem::Result(p)) => return Err(FollowupError::Result(p)),
            Err(e) => return Err(e.into()),
        };
        let now = self.clock.now();
        match store::finish(self.conn_mut(), id, version, &d, who.by(), now)? {
            Written::Done => Ok(()),
            Written::Stale => Err(FollowupError::Stale),
        }
    }
}
