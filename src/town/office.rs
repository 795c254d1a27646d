//! The town centre's service layer: every face of the town (its site, its command line)
//! calls these for every read and write. A write takes a [`TownSigned`] (a sign-in with a
//! PIN, locked after five wrong ones), checks the member is still active, and records
//! itself in the town's audit trail in the same store.

use super::store::{self, Published, TownStoreError};
use crate::config::TownConfig;
use crate::domain::calling::TicketStatus;
use crate::domain::case::CaseState;
use crate::domain::clock::Clock;
use crate::domain::report::{self, CaseFact, Labels, RatingFact, Report, TicketFact};
use crate::domain::town::Health;
use crate::service::{Explain, Failure};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// Proof that a member of the town's staff signed in with their PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TownSigned {
    no: String,
    name: String,
    origin: Option<String>,
}

impl TownSigned {
    pub fn no(&self) -> &str {
        &self.no
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The same sign-in, marked with the PC it was made from.
    pub fn from_pc(mut self, origin: &str) -> TownSigned {
        self.origin = Some(origin.to_string());
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TownError {
    #[error("工号或密码不对。连续输错5次密码，账号会锁定。")]
    Wrong,
    #[error("密码输错次数太多，账号已锁定，请{0}分钟后再试")]
    Locked(i64),
    #[error("这个账号已停用，不能再使用。")]
    Disabled,
    /// A file or a form the town cannot publish, in words.
    #[error("{0}")]
    Refused(String),
    /// A case's step that does not fit its state (the command line exits 2).
    #[error("{0}")]
    Move(crate::domain::case::TransitionError),
    #[error("{0}")]
    Store(#[from] TownStoreError),
}

impl From<rusqlite::Error> for TownError {
    fn from(e: rusqlite::Error) -> Self {
        TownError::Store(TownStoreError::from(e))
    }
}

impl Explain for TownError {
    fn explain(&self) -> Failure {
        match self {
            TownError::Store(e) => Failure::Fault(e.to_string()),
            e => Failure::Refused(e.to_string()),
        }
    }
}

/// A publication made: its version and what it holds, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    pub what: Published,
    pub version: i64,
    pub summary: String,
    /// Matters, years or notices in it.
    pub count: usize,
    pub note: String,
}

/// What a publication would be, before it is made.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub summary: String,
    pub count: usize,
    /// The newest version now (0: none yet).
    pub latest: i64,
    pub diff: Option<crate::service::MattersDiff>,
    /// The same text as the newest version.
    pub same: bool,
}

/// One version of something the town published.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    pub version: i64,
    pub note: String,
    pub staff: String,
    pub published_at: String,
}

/// One station on the overview.
#[derive(Debug, Clone, PartialEq)]
pub struct StationRow {
    pub code: String,
    pub name: String,
    pub last_seen: Option<DateTime<Utc>>,
    pub health: Health,
    /// The software version its last heartbeat named.
    pub software: Option<String>,
    pub catalogue_version: Option<i64>,
    pub printer: Option<String>,
    pub last_backup: Option<String>,
    pub last_purge: Option<String>,
    /// The station's clock minus the town's, seconds (from its last heartbeat).
    pub clock_offset: Option<i64>,
    pub taken_today: i64,
    pub waiting: i64,
    pub served: i64,
    /// Average wait of today's called tickets, minutes.
    pub avg_wait: Option<f64>,
}

/// One station's page.
#[derive(Debug, Clone, PartialEq)]
pub struct StationPage {
    pub row: StationRow,
    /// Today's tickets: (number, category, status, window), in order taken.
    pub queue: Vec<(String, String, TicketStatus, Option<i64>)>,
    /// The latest calls: (time, number, window, staff).
    pub calls: Vec<(String, String, Option<i64>, Option<String>)>,
    /// Ratings of the last 30 days, newest first.
    pub ratings: Vec<RatingLine>,
    /// Heartbeats of the last days: (received at, body), newest first.
    pub heartbeats: Vec<(String, serde_json::Value)>,
    pub gaps: i64,
    pub events: i64,
}

/// A rating on a station's page.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingLine {
    /// Local time, "MM-DD HH:MM".
    pub at: String,
    pub level: i64,
    pub reason: Option<String>,
    pub followed_up: bool,
    /// A 差评 past its 15 working days without a follow-up.
    pub overdue: bool,
}

/// The township's monthly report: each station's figures, and all together.
#[derive(Debug, Clone)]
pub struct TownReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub all: Report,
    pub stations: Vec<(String, String, Report)>,
    pub town: String,
    pub generated: String,
}

pub struct Office {
    town: TownConfig,
    conn: Connection,
    clock: Clock,
}

/// Sign-in tries before the lock.
const MAX_TRIES: i64 = crate::service::MAX_ATTEMPTS as i64;

pub(super) fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse(t: &str) -> Option<DateTime<Utc>> {
    chrono::DateTime::parse_from_rfc3339(t).ok().map(|t| t.to_utc())
}

impl Office {
    pub fn open(town: TownConfig, db: &Path, clock: Clock) -> Result<Office, TownStoreError> {
        Ok(Office { town, conn: store::open(db)?, clock })
    }

    pub fn town(&self) -> &TownConfig {
        &self.town
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// An RFC 3339 time as the town reads it: local, to the minute (as given if it is not
    /// a time).
    pub fn local(&self, t: &str) -> String {
        parse(t)
            .map(|t| t.with_timezone(&self.clock.tz()).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| t.to_string())
    }

    fn audit(
        &self,
        who: Option<&TownSigned>,
        action: &str,
        subject: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), TownError> {
        self.conn.execute(
            "INSERT INTO audit (at, staff, action, subject, detail, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                rfc(self.clock.now()),
                who.map(|w| w.no()),
                action,
                subject,
                detail,
                who.and_then(|w| w.origin.as_deref())
            ],
        )?;
        Ok(())
    }

    /// Records a step of a signed-in member in the audit trail.
    pub(super) fn audit_as(
        &self,
        who: &TownSigned,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<(), TownError> {
        self.audit(Some(who), action, Some(subject), (!detail.is_empty()).then_some(detail))
    }

    /// Adds a member of the town's staff, or gives an existing one a new PIN (the town's
    /// own box, as root: the command line).
    pub fn put_staff(&self, no: &str, name: &str, pin: &str) -> Result<(), TownError> {
        let (no, name) = (no.trim(), name.trim());
        if no.is_empty() || name.is_empty() {
            return Err(TownError::Refused("请写上工号和 --name 姓名".into()));
        }
        let hash = crate::service::hash_pin(pin).map_err(|e| TownError::Refused(e.to_string()))?;
        store::put_staff(&self.conn, no, name, &hash, &rfc(self.clock.now()))?;
        self.conn.execute("UPDATE staff SET failed = 0, locked_until = NULL, active = 1 WHERE no = ?1", [no])?;
        self.audit(None, "staff-add", Some(no), Some(name))
    }

    /// Checks a staff number and PIN: five wrong PINs lock the number (5 minutes, then
    /// twice as long each time, up to a day), as at the stations. The try is counted
    /// before the PIN is checked, so guesses in parallel cannot exceed five.
    pub fn sign_in(&self, no: &str, pin: &str, origin: Option<&str>) -> Result<TownSigned, TownError> {
        self.sign_in_counting(no, pin, origin, true)
    }

    /// A sign-in whose wrong PIN does not count towards the account's lock: the site's
    /// for an address that has already used its counted tries (see server/guard.rs), so
    /// one device cannot lock a member out. A lock already in place still holds.
    pub fn sign_in_uncounted(&self, no: &str, pin: &str, origin: Option<&str>) -> Result<TownSigned, TownError> {
        self.sign_in_counting(no, pin, origin, false)
    }

    fn sign_in_counting(
        &self,
        no: &str,
        pin: &str,
        origin: Option<&str>,
        counted: bool,
    ) -> Result<TownSigned, TownError> {
        let now = self.clock.now();
        let no = crate::domain::text::half_width(no).trim().to_string();
        let row: Option<(String, String, i64, i64, Option<String>, bool)> = self
            .conn
            .query_row(
                "SELECT name, pin_hash, failed, lockouts, locked_until, active FROM staff WHERE no = ?1",
                [&no],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .optional()?;
        let Some((name, hash, _, lockouts, locked_until, active)) = row else {
            let _ = crate::service::verify_pin(crate::service::dummy_hash(), pin);
            return Err(TownError::Wrong);
        };
        let minutes = |until: DateTime<Utc>| (((until - now).num_seconds() + 59) / 60).max(1);
        if let Some(until) = locked_until.as_deref().and_then(parse).filter(|u| *u > now) {
            return Err(TownError::Locked(minutes(until)));
        }
        let tries: i64 = if counted {
            self.conn
                .query_row("UPDATE staff SET failed = failed + 1 WHERE no = ?1 RETURNING failed", [&no], |r| r.get(0))?
        } else {
            0
        };
        let lock = || -> Result<TownError, TownError> {
            let until = now + chrono::Duration::minutes(crate::service::lock_minutes(lockouts as u32));
            self.conn.execute(
                "UPDATE staff SET failed = 0, lockouts = lockouts + 1, locked_until = ?2 WHERE no = ?1",
                params![no, rfc(until)],
            )?;
            tracing::warn!("town staff {no} locked until {until} after {MAX_TRIES} wrong PINs");
            self.audit(None, "sign-in-locked", Some(&no), origin)?;
            Ok(TownError::Locked(minutes(until)))
        };
        if tries > MAX_TRIES {
            return Err(lock()?);
        }
        if crate::service::verify_pin(&hash, pin) {
            if !active {
                return Err(TownError::Disabled);
            }
            self.conn.execute("UPDATE staff SET failed = 0, lockouts = 0, locked_until = NULL WHERE no = ?1", [&no])?;
            let who = TownSigned { no, name, origin: origin.map(str::to_string) };
            self.audit(Some(&who), "sign-in", None, None)?;
            return Ok(who);
        }
        if counted && tries >= MAX_TRIES {
            return Err(lock()?);
        }
        Err(TownError::Wrong)
    }

    /// The member behind `who` is still active.
    pub fn check(&self, who: &TownSigned) -> Result<(), TownError> {
        let active: Option<bool> =
            self.conn.query_row("SELECT active FROM staff WHERE no = ?1", [who.no()], |r| r.get(0)).optional()?;
        match active {
            Some(true) => Ok(()),
            _ => Err(TownError::Disabled),
        }
    }

    pub fn sign_out(&self, who: &TownSigned) -> Result<(), TownError> {
        self.audit(Some(who), "sign-out", None, None)
    }

    /// Checks a file as every station will (the same parser as a local import) and says
    /// what it holds: (summary, count).
    pub fn check_source(what: Published, name: &str, src: &str) -> Result<(String, usize), TownError> {
        match what {
            Published::Matters => crate::config::parse_matters(name, src)
                .map(|c| (format!("{} 个类别，{} 个事项", c.categories.len(), c.matters.len()), c.matters.len())),
            Published::Holidays => crate::config::parse_holidays(name, src).map(|c| {
                let years: Vec<String> = c.years().map(|y| format!("{y}年")).collect();
                (years.join("、"), years.len())
            }),
            Published::Notices => return notices_of(src).map(|_| ("首页和叫号屏的通知".to_string(), 2)),
            Published::Reasons => crate::config::parse_reasons(name, src)
                .map(|r| (r.list().iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>().join("、"), r.list().len())),
        }
        .map_err(|e| TownError::Refused(e.to_string()))
    }

    /// What publishing `src` would do: what it holds, the version it would follow, and
    /// (for matters) what changes against the newest version (the shipped list before the
    /// town's first).
    pub fn review(&self, what: Published, name: &str, src: &str) -> Result<Review, TownError> {
        let (summary, count) = Office::check_source(what, name, src)?;
        let latest = store::latest(&self.conn, what)?;
        let diff = match what {
            Published::Matters => {
                let old_src = latest.as_ref().map(|l| l.2.as_str()).unwrap_or(crate::config::SHIPPED_MATTERS);
                let old =
                    crate::config::parse_matters("old", old_src).map_err(|e| TownError::Refused(e.to_string()))?;
                let new = crate::config::parse_matters(name, src).map_err(|e| TownError::Refused(e.to_string()))?;
                Some(crate::service::matters_diff(&old, &new))
            }
            _ => None,
        };
        let same = latest.as_ref().is_some_and(|l| l.2 == src);
        Ok(Review { summary, count, latest: latest.map(|l| l.0).unwrap_or(0), diff, same })
    }

    /// Publishes `src` for every station as the next version of `what`.
    pub fn publish(
        &mut self,
        who: &TownSigned,
        what: Published,
        name: &str,
        src: &str,
        note: &str,
    ) -> Result<Publication, TownError> {
        self.check(who)?;
        let (summary, count) = Office::check_source(what, name, src)?;
        let note = note.trim();
        if note.is_empty() {
            return Err(TownError::Refused("发布要写一句说明（改了什么、为什么）".into()));
        }
        if note.chars().count() > 200 {
            return Err(TownError::Refused("说明太长了（最多 200 字）".into()));
        }
        let version = store::add_version(&mut self.conn, what, src, note, who.no(), &rfc(self.clock.now()))?;
        self.audit(Some(who), &format!("{}-publish", what.key()), Some(&version.to_string()), Some(note))?;
        Ok(Publication { what, version, summary, count, note: note.to_string() })
    }

    /// The two notices as published (home, display).
    pub fn notices_source(home: &str, display: &str) -> Result<String, TownError> {
        for (place, text) in [("首页", home), ("叫号屏", display)] {
            if text.chars().count() > 200 || text.contains(['\n', '\r']) {
                return Err(TownError::Refused(format!("{place}通知只能是一行，最多 200 个字")));
            }
        }
        Ok(serde_json::json!({ "home": home.trim(), "display": display.trim() }).to_string())
    }

    /// Publishes an earlier version again, as the newest (the stations take it up like
    /// any other).
    pub fn rollback(
        &mut self,
        who: &TownSigned,
        what: Published,
        version: i64,
        note: &str,
    ) -> Result<Publication, TownError> {
        let src: Option<String> = self
            .conn
            .query_row(&format!("SELECT source FROM {} WHERE version = ?1", what.table()), [version], |r| r.get(0))
            .optional()?;
        let Some(src) = src else {
            return Err(TownError::Refused(format!("没有第{version}版")));
        };
        let note = if note.trim().is_empty() { format!("回滚到第{version}版") } else { note.trim().to_string() };
        self.publish(who, what, &format!("第{version}版"), &src, &note)
    }

    /// Versions of `what`, newest first.
    pub fn versions(&self, what: Published) -> Result<Vec<VersionRow>, TownError> {
        let mut st = self.conn.prepare(&format!(
            "SELECT version, note, staff, published_at FROM {} ORDER BY version DESC LIMIT 100",
            what.table()
        ))?;
        let rows = st.query_map([], |r| {
            Ok(VersionRow { version: r.get(0)?, note: r.get(1)?, staff: r.get(2)?, published_at: r.get(3)? })
        })?;
        let mut rows: Vec<VersionRow> = rows.collect::<Result<_, _>>()?;
        for r in &mut rows {
            r.published_at = self.local(&r.published_at);
        }
        Ok(rows)
    }

    /// The source of a version (the newest when None).
    pub fn source(&self, what: Published, version: Option<i64>) -> Result<Option<(i64, String)>, TownError> {
        let sql = match version {
            Some(_) => format!("SELECT version, source FROM {} WHERE version = ?1", what.table()),
            None => {
                format!("SELECT version, source FROM {} WHERE ?1 IS NULL ORDER BY version DESC LIMIT 1", what.table())
            }
        };
        Ok(self.conn.query_row(&sql, [version], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
    }

    pub fn rollout(&self, what: Published) -> Result<Vec<store::Rollout>, TownError> {
        Ok(store::rollout(&self.conn, what)?)
    }

    /// Every joined station, the one that needs attention first on top.
    pub fn overview(&self) -> Result<Vec<StationRow>, TownError> {
        let mut rows = Vec::with_capacity(self.town.stations.len());
        let today = self.clock.today();
        let now = Utc::now();
        let calendar = self.calendar()?;
        for s in &self.town.stations {
            rows.push(self.station_row(&s.code, &s.name, today, now, &calendar)?);
        }
        rows.sort_by(|a, b| a.health.rank().cmp(&b.health.rank()).then_with(|| a.code.cmp(&b.code)));
        Ok(rows)
    }

    /// The calendar the town publishes (the shipped one until it publishes its own).
    pub(super) fn calendar(&self) -> Result<crate::domain::workdays::Calendar, TownError> {
        let src = store::latest(&self.conn, Published::Holidays)?.map(|l| l.2);
        let src = src.as_deref().unwrap_or(crate::config::SHIPPED_HOLIDAYS);
        Ok(crate::config::parse_holidays("holidays", src)
            .or_else(|_| crate::config::parse_holidays("holidays", crate::config::SHIPPED_HOLIDAYS))
            .unwrap_or_default())
    }

    fn station_row(
        &self,
        code: &str,
        name: &str,
        today: NaiveDate,
        now: DateTime<Utc>,
        calendar: &crate::domain::workdays::Calendar,
    ) -> Result<StationRow, TownError> {
        let seen = store::seen(&self.conn, code, &today.to_string())?;
        let last_seen = seen.last_seen.as_deref().and_then(parse);
        let beat: Option<(String, String)> = self
            .conn
            .query_row("SELECT body, received_at FROM heartbeats WHERE station = ?1", [code], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (body, received) = match &beat {
            Some((b, r)) => (serde_json::from_str::<serde_json::Value>(b).unwrap_or_default(), parse(r)),
            None => (serde_json::Value::Null, None),
        };
        let text = |k: &str| body[k].as_str().map(str::to_string);
        let clock_offset = match (text("at").as_deref().and_then(parse), received) {
            (Some(at), Some(rec)) => Some((at - rec).num_seconds()),
            _ => None,
        };
        let (waiting, served, avg_wait): (i64, i64, Option<f64>) = self.conn.query_row(
            "SELECT coalesce(sum(status IN ('waiting', 'called')), 0), coalesce(sum(status = 'served'), 0),
                    avg((julianday(first_called) - julianday(taken_at)) * 1440.0)
             FROM tickets WHERE day = ?2 AND station = ?1",
            params![code, today.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let open: Vec<String> = {
            let mut st = self.conn.prepare_cached(
                "SELECT at FROM ratings WHERE station = ?1 AND level <= 2 AND followed_up_at IS NULL",
            )?;
            let rows = st.query_map([code], |r| r.get::<_, String>(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let tz = self.clock.tz();
        let overdue = open
            .iter()
            .filter_map(|a| parse(a))
            .filter(|a| {
                crate::domain::followup::due(
                    calendar,
                    a.with_timezone(&tz).date_naive(),
                    crate::domain::followup::WORKING_DAYS,
                )
                .date
                    < today
            })
            .count() as i64;
        let health = Health {
            silent_for: last_seen.map(|l| (now - l).num_seconds().max(0)),
            unprinted: body["unprinted"].as_i64().unwrap_or(0),
            free_disk_mb: body["free_disk_mb"].as_i64(),
            overdue_followups: overdue,
            open_bad: open.len() as i64,
        };
        Ok(StationRow {
            code: code.to_string(),
            name: name.to_string(),
            last_seen,
            health,
            software: text("version"),
            catalogue_version: seen.catalogue_version,
            printer: text("printer"),
            last_backup: text("last_backup").map(|t| self.local(&t)),
            last_purge: text("last_purge").map(|t| self.local(&t)),
            clock_offset,
            taken_today: seen.tickets_today,
            waiting,
            served,
            avg_wait,
        })
    }

    /// One station's page; None for a code the town does not have.
    pub fn station(&self, code: &str) -> Result<Option<StationPage>, TownError> {
        let Some(s) = self.town.stations.iter().find(|s| s.code == code) else { return Ok(None) };
        let today = self.clock.today();
        let calendar = self.calendar()?;
        let row = self.station_row(&s.code, &s.name, today, Utc::now(), &calendar)?;
        let tz = self.clock.tz();
        let local = |t: &str| parse(t).map(|t| t.with_timezone(&tz).format("%H:%M").to_string()).unwrap_or_default();
        let mut st = self.conn.prepare(
            "SELECT number, category, status, window_no FROM tickets WHERE station = ?1 AND day = ?2
             ORDER BY taken_at, number LIMIT 500",
        )?;
        let queue = st
            .query_map(params![code, today.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    crate::storage::decode::keyed(r, "status", TicketStatus::from_key)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut st = self.conn.prepare(
            "SELECT at, json_extract(body, '$.number'), json_extract(body, '$.window'), json_extract(body, '$.staff')
             FROM events WHERE station = ?1 AND kind IN ('ticket.called', 'ticket.recalled', 'ticket.callback')
             ORDER BY seq DESC LIMIT 20",
        )?;
        let calls = st
            .query_map([code], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<(String, String, Option<i64>, Option<String>)>, _>>()?
            .into_iter()
            .map(|(at, n, w, s)| (local(&at), n, w, s))
            .collect();
        // The town's clock (`KIOSK_NOW` in tests), as the day and the ratings' due dates are.
        let since = rfc(self.clock.now() - chrono::Duration::days(30));
        let mut st = self.conn.prepare(
            "SELECT at, level, reason, followed_up_at FROM ratings WHERE station = ?1 AND at >= ?2 ORDER BY at DESC LIMIT 200",
        )?;
        let ratings = st
            .query_map(params![code, since], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<(String, i64, Option<String>, Option<String>)>, _>>()?
            .into_iter()
            .map(|(at, level, reason, done)| {
                let overdue = level <= 2
                    && done.is_none()
                    && parse(&at).is_some_and(|a| {
                        crate::domain::followup::due(
                            &calendar,
                            a.with_timezone(&tz).date_naive(),
                            crate::domain::followup::WORKING_DAYS,
                        )
                        .date
                            < today
                    });
                let when = parse(&at).map(|t| t.with_timezone(&tz).format("%m-%d %H:%M").to_string()).unwrap_or(at);
                RatingLine { at: when, level, reason, followed_up: done.is_some(), overdue }
            })
            .collect();
        let mut st = self.conn.prepare(
            "SELECT received_at, body FROM heartbeat_log WHERE station = ?1 ORDER BY received_at DESC LIMIT 60",
        )?;
        let heartbeats = st
            .query_map([code], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .map(|(at, b)| {
                let when = parse(&at).map(|t| t.with_timezone(&tz).format("%m-%d %H:%M:%S").to_string()).unwrap_or(at);
                (when, serde_json::from_str(&b).unwrap_or_default())
            })
            .collect();
        let gaps: i64 = self.conn.query_row("SELECT count(*) FROM gaps WHERE station = ?1", [code], |r| r.get(0))?;
        Ok(Some(StationPage { events: row_events(&self.conn, code)?, row, queue, calls, ratings, heartbeats, gaps }))
    }

    /// The township's report for `from..=to` (a month, usually).
    pub fn report(&self, from: NaiveDate, to: NaiveDate) -> Result<TownReport, TownError> {
        if from > to || (to - from).num_days() > 366 {
            return Err(TownError::Refused("报表的日期范围不对（开始不能晚于结束，最长一年）".into()));
        }
        let tz = self.clock.tz();
        let local = |t: &str| parse(t).map(|t| t.with_timezone(&tz).naive_local());
        let mut st = self.conn.prepare_cached(
            "SELECT station, category, window_no, staff, status, taken_at, first_called, started_at, finished_at
             FROM tickets WHERE day >= ?1 AND day <= ?2",
        )?;
        let mut tickets: std::collections::HashMap<String, Vec<TicketFact>> = Default::default();
        let rows = st.query_map(params![from.to_string(), to.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<u32>>(2)?,
                r.get::<_, Option<String>>(3)?,
                crate::storage::decode::keyed(r, "status", TicketStatus::from_key)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })?;
        for row in rows {
            let (station, category, window, staff, status, taken, called, started, finished) = row?;
            // A ticket whose taking has not come up yet (a gap) is not counted.
            let Some(issued) = taken.as_deref().and_then(local) else { continue };
            tickets.entry(station).or_default().push(TicketFact {
                category,
                window,
                staff,
                status,
                issued,
                first_called: called.as_deref().and_then(local),
                started: started.as_deref().and_then(local),
                finished: finished.as_deref().and_then(local),
                // The town counts a 过期 ticket as cancelled (its own report has no such column).
                expired: false,
                kept: false,
            });
        }
        let start =
            from.and_hms_opt(0, 0, 0).and_then(|d| d.and_local_timezone(tz).earliest()).map(|d| rfc(d.to_utc()));
        let end = (to + chrono::Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .and_then(|d| d.and_local_timezone(tz).earliest())
            .map(|d| rfc(d.to_utc()));
        let mut ratings: std::collections::HashMap<String, Vec<RatingFact>> = Default::default();
        let mut st = self.conn.prepare_cached(
            "SELECT station, level, staff, window_no, at, assisted_by IS NOT NULL FROM ratings
                 WHERE at >= ?1 AND at < ?2",
        )?;
        let rows = st.query_map(params![start, end], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u8>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })?;
        for row in rows {
            let (station, level, staff, window, at, assisted) = row?;
            let Some(on) = local(&at).map(|t| t.date()) else { continue };
            ratings.entry(station).or_default().push(RatingFact { level, staff, window, on, assisted });
        }
        // 全程代办 handed to the town: counted from the day it was handed up; done on the day
        // the town recorded 办结; on time by the station's promised date.
        let mut cases: std::collections::HashMap<String, Vec<CaseFact>> = Default::default();
        let mut st = self.conn.prepare_cached(
            "SELECT c.station, c.tracking, c.matter, c.category, c.handed_at, c.due, c.state,
                    s.at, s.staff
             FROM cases c
             LEFT JOIN case_steps s ON s.id = (SELECT max(id) FROM case_steps x
                 WHERE x.station = c.station AND x.tracking = c.tracking AND x.to_state = 'completed')
             WHERE c.handed_at < ?1",
        )?;
        let rows = st.query_map(params![end], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                crate::storage::decode::keyed(r, "state", CaseState::from_key)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })?;
        for row in rows {
            let (station, tracking, matter, category, handed, due, state, done_at, done_by) = row?;
            let Some(created) = local(&handed).map(|t| t.date()) else { continue };
            cases.entry(station.clone()).or_default().push(CaseFact {
                // The township's name of the case: a tracking code is the station's own.
                tracking: format!("{station}:{tracking}"),
                matter,
                category: category.unwrap_or_default(),
                created,
                completed: done_at.as_deref().and_then(local).map(|t| t.date()),
                completed_by: done_by,
                due: due.and_then(|d| d.parse().ok()),
                open: state.is_open(),
                clock_runs: state.clock_runs(),
            });
        }
        let today = self.clock.today();
        let mut stations = Vec::new();
        let (mut all_t, mut all_c, mut all_r) = (Vec::new(), Vec::new(), Vec::new());
        for s in &self.town.stations {
            let t = tickets.remove(&s.code).unwrap_or_default();
            let c = cases.remove(&s.code).unwrap_or_default();
            let r = ratings.remove(&s.code).unwrap_or_default();
            stations.push((s.code.clone(), s.name.clone(), report::compute(from, to, today, &t, &c, &r, &[])));
            all_t.extend(t);
            all_c.extend(c);
            all_r.extend(r);
        }
        Ok(TownReport {
            from,
            to,
            all: report::compute(from, to, today, &all_t, &all_c, &all_r, &[]),
            stations,
            town: self.town.name.clone(),
            generated: self.clock.now_local().format("%Y-%m-%d %H:%M").to_string(),
        })
    }

    /// The report as CSV for Excel: one line per station, and the township's.
    pub fn report_csv(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<u8>, TownError> {
        Ok(crate::receipt::report::town_csv(&self.report(from, to)?))
    }

    /// The printable report, A4 PDF, with the font the stations use.
    pub fn report_pdf(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<u8>, TownError> {
        let r = self.report(from, to)?;
        let font = crate::receipt::ReceiptFont::load(Path::new(crate::config::DEFAULT_FONT_PATH), 0)
            .map_err(|e| TownError::Refused(format!("报表要用的中文字体读不到：{e}")))?;
        crate::receipt::report::town_pdf(&font, &r).map_err(|e| TownError::Refused(e.to_string()))
    }

    /// The town's audit trail, newest first: (time, staff, action, subject, detail, origin).
    pub fn audit_log(&self, limit: u32) -> Result<Vec<[Option<String>; 6]>, TownError> {
        let mut st = self
            .conn
            .prepare("SELECT at, staff, action, subject, detail, origin FROM audit ORDER BY rowid DESC LIMIT ?1")?;
        let rows = st.query_map([limit], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?]))?;
        let mut rows: Vec<[Option<String>; 6]> = rows.collect::<Result<_, _>>()?;
        for r in &mut rows {
            r[0] = r[0].as_deref().map(|t| self.local(t));
        }
        Ok(rows)
    }
}

fn row_events(conn: &Connection, code: &str) -> Result<i64, TownError> {
    Ok(conn.query_row("SELECT count(*) FROM events WHERE station = ?1", [code], |r| r.get(0))?)
}

/// The notices in a published source: (home, display).
pub fn notices_of(src: &str) -> Result<(String, String), TownError> {
    let v: serde_json::Value = serde_json::from_str(src).map_err(|_| TownError::Refused("通知的内容不对".into()))?;
    let field = |k: &str| v[k].as_str().unwrap_or("").to_string();
    Ok((field("home"), field("display")))
}

/// Labels for one station's slice of the township report.
pub fn labels(r: &TownReport, name: &str) -> Labels {
    Labels {
        station: name.to_string(),
        township: r.town.clone(),
        categories: Default::default(),
        staff: Default::default(),
        generated: r.generated.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn town() -> TownConfig {
        crate::config::town_for_tests(&[("s01", "南村"), ("s02", "北村")])
    }

    fn handed(tracking: &str, due: &str, at: &str) -> String {
        serde_json::json!({
            "tracking": tracking, "matter": "C01", "matter_name": "养老", "category": "C",
            "name": "张三", "id_number": "110101194003074512", "phone": "13800138000",
            "materials": [], "due": due, "promised_days": 5, "at": at,
        })
        .to_string()
    }

    /// A step as the station sends it: with the case's due date, which the station keeps.
    fn step(tracking: &str, to: &str, due: &str, at: &str) -> String {
        serde_json::json!({"tracking": tracking, "kind": "transition", "to": to, "origin": "station",
            "staff": "001", "due": due, "materials": [], "at": at})
        .to_string()
    }

    #[test]
    fn the_township_report_counts_the_cases_each_station_handed_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tz = chrono_tz::Asia::Shanghai;
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-20T10:00:00+08:00").expect("now").to_utc();
        let mut o = Office::open(town(), &dir.path().join("town.db"), Clock::fixed(now, tz)).expect("office");
        let at = "2026-12-07T02:00:00Z";
        let events: [(&str, i64, &str, String); 6] = [
            // s01: one completed on time at the town, one overdue and open.
            ("s01", 1, "case.handed.D-261207-001", handed("D-261207-001", "2026-12-14", at)),
            ("s01", 2, "case.handed.D-261207-002", handed("D-261207-002", "2026-12-10", at)),
            // s02: one completed late.
            ("s02", 1, "case.handed.D-261207-001", handed("D-261207-001", "2026-12-08", at)),
            (
                "s01",
                3,
                "case.step.D-261207-001",
                step("D-261207-001", "received", "2026-12-14", "2026-12-08T02:00:00Z"),
            ),
            (
                "s01",
                4,
                "case.step.D-261207-001",
                step("D-261207-001", "completed", "2026-12-14", "2026-12-11T02:00:00Z"),
            ),
            (
                "s02",
                2,
                "case.step.D-261207-001",
                step("D-261207-001", "completed", "2026-12-08", "2026-12-15T02:00:00Z"),
            ),
        ];
        for (station, seq, kind, body) in &events {
            store::apply_event(&mut o.conn, station, *seq, kind, at, body, at).expect("apply");
        }
        let d = |s: &str| s.parse::<NaiveDate>().expect("day");
        let r = o.report(d("2026-12-01"), d("2026-12-31")).expect("report");
        let (s01, s02) = (&r.stations[0].2.cases, &r.stations[1].2.cases);
        assert_eq!((s01.opened, s01.completed, s01.on_time), (2, 1, 1));
        assert_eq!(s01.overdue.iter().map(|o| o.0.as_str()).collect::<Vec<_>>(), ["s01:D-261207-002"]);
        assert_eq!((s02.opened, s02.completed, s02.on_time), (1, 1, 0));
        assert_eq!((r.all.cases.opened, r.all.cases.completed, r.all.cases.on_time), (3, 2, 1));
        let csv = String::from_utf8(crate::receipt::report::town_csv(&r)).expect("utf-8");
        assert!(csv.contains("全程代办") && csv.contains("s01,南村,2,1,100.0%,1"), "{csv}");
        // A month before: nothing handed up yet.
        let r = o.report(d("2026-11-01"), d("2026-11-30")).expect("report");
        assert_eq!(r.all.cases.opened, 0);
        // The open one past its date is raised as overdue (the inbox's and the overview's
        // banner for the town head); the completed ones are not.
        let week = o.due_this_week().expect("week");
        let late: Vec<String> = week
            .iter()
            .filter(|c| c.urgency == crate::domain::case::Urgency::Overdue)
            .map(|c| format!("{}:{}", c.station, c.tracking))
            .collect();
        assert_eq!(late, ["s01:D-261207-002"]);
    }

    #[test]
    fn a_repeat_is_ignored_and_a_jump_in_a_stations_sequence_is_a_gap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-30T10:00:00+08:00").expect("now").to_utc();
        let mut o = Office::open(town(), &dir.path().join("town.db"), Clock::fixed(now, chrono_tz::Asia::Shanghai))
            .expect("office");
        let at = "2026-11-30T02:00:00Z";
        let taken = |n: &str| {
            serde_json::json!({"day": "2026-11-30", "number": n, "category": "C", "matter": "C02", "at": at})
                .to_string()
        };
        let mut apply =
            |seq: i64, n: &str| store::apply_event(&mut o.conn, "s01", seq, "ticket.taken", at, &taken(n), at);
        assert!(apply(1, "C001").expect("1"));
        assert!(!apply(1, "C001").expect("1 again"), "a repeat changes nothing");
        assert!(apply(3, "C003").expect("3"));
        assert!(apply(2, "C002").expect("2, late"), "a late event fills its place");
        let gaps: Vec<(i64, i64)> = o
            .conn
            .prepare("SELECT after_seq, got_seq FROM gaps WHERE station = 's01'")
            .expect("gaps")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("gaps")
            .collect::<Result<_, _>>()
            .expect("gaps");
        assert_eq!(gaps, [(1, 3)], "the jump from 1 to 3 was noticed");
        let tickets: i64 = o.conn.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0)).expect("tickets");
        assert_eq!(tickets, 3);
    }
}
