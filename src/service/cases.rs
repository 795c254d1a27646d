//! 全程代办 as the station does it: a villager's request from the kiosk becomes a case
//! with a tracking code, a due date in working days, an A/B post holder, a receipt and
//! (when the matter needs a signature) an authorisation to sign; staff move it through
//! its states; anyone with the receipt sees a masked public view of its progress.

use super::auth::{ActorError, Signed};
use super::{is_token, new_token, PrintTask, Station};
use crate::domain::case::{
    check_transition, normalize_tracking, Case, CaseEvent, CaseMaterial, CaseState, TransitionError, Urgency,
};
use crate::domain::duty;
use crate::domain::identity::{self, IdError, PhoneError};
use crate::domain::print::JobStatus;
use crate::receipt;
use crate::storage::cases::{self, ChangeError, ClockUpdate, NewCase};
use crate::storage::{lookups, staff, tickets, StoreError};
use crate::system::write_atomically;
use chrono::{DateTime, NaiveDate, Utc};
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct CaseRequest {
    pub matter: String,
    pub phone: String,
    pub phone2: Option<String>,
    pub id_number: String,
    pub name: Option<String>,
    /// Materials not brought yet: names (or 1-based positions) from the matter's list.
    pub missing: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("没有事项“{0}”")]
    UnknownMatter(String),
    #[error("{0} 不能申请代办（{1}）")]
    NotCarried(String, &'static str),
    #[error("身份证号：{0}")]
    Id(IdError),
    #[error("联系电话：{0}")]
    Phone(PhoneError),
    #[error("第二个电话：{0}")]
    Phone2(PhoneError),
    #[error("姓名太长或含有不能用的字符")]
    Name,
    #[error("这个事项没有“{0}”这项材料（材料有：{1}）")]
    UnknownMaterial(String, String),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("没有取得随机数：{0}")]
    Random(String),
    #[error("{0}")]
    Helper(#[from] ActorError),
}

#[derive(Debug, Clone)]
pub struct Submitted {
    pub case: Case,
    pub receipt: Option<PathBuf>,
    pub authorization: Option<PathBuf>,
    pub receipt_error: Option<String>,
    /// Why the printer could not print at submission (no paper, stopped): nothing is sent.
    pub printer_problem: Option<String>,
    pub print_tasks: Vec<PrintTask>,
    pub status_url: String,
}

/// What anyone holding the receipt may see: no unmasked personal data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublicView {
    pub tracking: String,
    pub matter: String,
    pub state: String,
    pub state_label: String,
    pub explanation: String,
    pub submitted_on: String,
    pub due: Option<String>,
    pub due_note: String,
    pub extension: Option<String>,
    pub missing: Vec<String>,
    pub id_masked: String,
    pub phone_masked: String,
    pub name_masked: String,
    pub timeline: Vec<PublicEvent>,
}

/// A case's public page: the masked view, and whether the villager can rate it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePage {
    pub view: PublicView,
    pub can_rate: bool,
    pub rated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublicEvent {
    pub date: String,
    pub label: String,
    pub note: Option<String>,
    /// A step the town's 便民服务中心 recorded (it came down the link).
    pub by_town: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// Too many misses on this code today: it is closed to lookups at the kiosk.
    #[error("这个编号今天查错的次数太多了，请到窗口请工作人员帮您查")]
    TooMany,
    /// Too many misses at the station within the hour: every lookup waits.
    #[error("查询暂时停止，请{0}分钟后再试，或到窗口请工作人员帮您查")]
    Paused(i64),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Misses on one tracking code within a day before it is closed to lookups.
pub const LOOKUP_CODE_MISSES: i64 = 5;
/// Misses at the whole station within an hour before every lookup waits.
pub const LOOKUP_STATION_MISSES: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum AdvanceError {
    #[error("没有代办“{0}”")]
    NotFound(String),
    #[error("没有工号 {0}，或这个账号已停用")]
    UnknownStaff(String),
    #[error("{0}")]
    Actor(#[from] ActorError),
    #[error("{0}")]
    Refused(#[from] TransitionError),
    #[error("{0}")]
    Change(#[from] ChangeError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("延期要写明原因，延长1到{MAX_EXTENSION_DAYS}个工作日")]
    BadExtension,
    /// A note longer than any note needs to be (or with invisible control characters).
    #[error("说明最多{MAX_NOTE_CHARS}个字，不能有看不见的控制字符，请改短一些")]
    BadNote,
}

/// The longest note, reason or hand-over words a case step keeps (the desk's fields say
/// the same); every stored field has a bound.
pub const MAX_NOTE_CHARS: usize = 200;

/// A note as it may be stored: at most [`MAX_NOTE_CHARS`], no hidden characters.
fn checked_note(note: &str) -> Result<&str, AdvanceError> {
    let n = note.trim();
    if n.chars().count() > MAX_NOTE_CHARS || crate::domain::text::has_hidden(n, false) {
        return Err(AdvanceError::BadNote);
    }
    Ok(n)
}

/// The longest single extension (working days); the legal limits are 20–60 days.
pub const MAX_EXTENSION_DAYS: u32 = 60;

fn material_index(names: &[String], wanted: &str) -> Option<usize> {
    let w = wanted.trim();
    if let Ok(n) = w.parse::<usize>() {
        return (n >= 1 && n <= names.len()).then(|| n - 1);
    }
    names.iter().position(|n| n == w).or_else(|| names.iter().position(|n| n.contains(w)))
}

impl Station {
    /// Checks and stores a request, then writes its receipt (and authorisation).
    pub fn submit_case(&mut self, req: &CaseRequest) -> Result<Submitted, SubmitError> {
        self.submit_case_noticed(req, None, None)
    }

    /// [`Station::submit_case`] from the kiosk, where the villager acknowledged the privacy
    /// notice (its version and when) before typing anything personal: kept on the case.
    pub fn submit_case_noticed(
        &mut self,
        req: &CaseRequest,
        notice: Option<(u32, DateTime<Utc>)>,
        helper: Option<&Signed>,
    ) -> Result<Submitted, SubmitError> {
        // 帮办: the staff member beside the villager must still be an active account.
        if let Some(who) = helper {
            self.actor(who)?;
        }
        let today = self.clock.today();
        let matter = self
            .cfg
            .catalog
            .matter(req.matter.trim())
            .cloned()
            .ok_or_else(|| SubmitError::UnknownMatter(req.matter.clone()))?;
        if !matter.mode.allows_case() {
            return Err(SubmitError::NotCarried(matter.name.clone(), matter.mode.explanation()));
        }
        let id = identity::parse_id(&req.id_number, today).map_err(SubmitError::Id)?;
        let phone = identity::parse_phone(&req.phone).map_err(SubmitError::Phone)?;
        let phone2 = match req.phone2.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(identity::parse_phone(p).map_err(SubmitError::Phone2)?),
            None => None,
        };
        let name = req.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        if let Some(n) = &name {
            if n.chars().count() > 20
                || crate::domain::text::has_hidden(n, false)
                || n.chars().any(|c| c.is_ascii_digit() || ('\u{FF10}'..='\u{FF19}').contains(&c))
            {
                return Err(SubmitError::Name);
            }
        }
        let names: Vec<String> = matter.materials.iter().map(|m| m.name.clone()).collect();
        let mut received = vec![true; names.len()];
        for m in req.missing.iter().filter(|m| !m.trim().is_empty()) {
            let i =
                material_index(&names, m).ok_or_else(|| SubmitError::UnknownMaterial(m.clone(), names.join("、")))?;
            received[i] = false;
        }
        let materials: Vec<CaseMaterial> = matter
            .materials
            .iter()
            .zip(&received)
            .map(|(m, r)| CaseMaterial { name: m.name.clone(), requirement: m.requirement(), received: *r })
            .collect();

        let posts = crate::storage::duty::posts(self.conn())?;
        let away = crate::storage::duty::away_on(self.conn(), today)?;
        let routing = duty::post_for(&posts, &matter.code, &matter.category).map(|p| duty::route(p, &away));
        let promised = matter.promised_days.unwrap_or(0);
        let due = self.cfg.calendar.add_working_days(today, promised);
        let new = NewCase {
            token: new_token().map_err(SubmitError::Random)?,
            matter_code: matter.code.clone(),
            matter_name: matter.name.clone(),
            category: matter.category.clone(),
            id_number: id.as_str().to_string(),
            phone,
            phone2,
            name,
            promised_days: promised,
            clock_start: today,
            due_on: due.date,
            due_beyond_calendar: due.beyond_calendar,
            assignee: routing.as_ref().map(|r| r.assignee.clone()),
            uncovered: routing.as_ref().is_some_and(|r| r.uncovered),
            materials,
            created_local: today,
            catalog_version: self.catalog_version,
            notice,
            assisted_by: helper.map(|w| w.no().to_string()),
        };
        let now = self.clock.now();
        // Paper: the receipt always; the authorisation when the matter needs a signature.
        // Their print jobs are stored with the case, in its transaction.
        let mut kinds = vec![("case-receipt", "代办受理回执")];
        if matter.needs_signature {
            kinds.push(("authorization", "委托书"));
        }
        let printer = self.cfg.station.printer.clone();
        let printer_problem = crate::printing::readiness(&printer).err().map(|e| e.to_string());
        let spool_day = self.paths.spool_dir().join(today.to_string());
        let paths_of: Vec<_> = kinds
            .iter()
            .map(|(kind, _)| {
                let dir = spool_day.clone();
                move |tracking: &str, _: &str| dir.join(format!("{tracking}-{kind}.pdf")).display().to_string()
            })
            .collect();
        let plans: Vec<tickets::JobPlan<'_>> = kinds
            .iter()
            .zip(&paths_of)
            .map(|((kind, _), path)| tickets::JobPlan {
                kind,
                printer: printer.name.as_deref(),
                status: if printer_problem.is_some() { JobStatus::Failed } else { JobStatus::Pending },
                error: printer_problem.as_deref(),
                path,
            })
            .collect();
        let (case, job_ids) = cases::create(self.conn_mut(), &new, &plans, now)?;
        drop(plans);
        tracing::info!("case {} submitted for {}", case.tracking, case.matter_code);
        let status_url = case_status_url(&self.cfg.station.public_base_url, &case.token);

        let mut paths: Vec<Option<PathBuf>> = Vec::new();
        let mut errors = Vec::new();
        let mut tasks = Vec::new();
        for (((kind, title), path_of), job_id) in kinds.iter().zip(&paths_of).zip(&job_ids) {
            let bytes = if *kind == "authorization" {
                self.render_authorization(&case)
            } else {
                self.render_case_receipt(&case, &status_url)
            };
            let path = PathBuf::from(path_of(&case.tracking, ""));
            let written = bytes
                .and_then(|b| write_atomically(&path, &b).map_err(|e| format!("cannot write {}: {e}", path.display())));
            match written {
                Ok(()) => {
                    if printer_problem.is_none() {
                        tasks.push(PrintTask {
                            printer: printer.clone(),
                            db: self.paths.db(),
                            job_id: *job_id,
                            pdf: path.clone(),
                            title: format!("{title} {}", case.tracking),
                        });
                    }
                    paths.push(Some(path));
                }
                Err(e) => {
                    tracing::error!("{title} for {} not written: {e}", case.tracking);
                    if let Err(e2) = tickets::finish_job(self.conn(), *job_id, JobStatus::Failed, Some(&e), now) {
                        tracing::error!("print job not updated: {e2}");
                    }
                    errors.push(e);
                    paths.push(None);
                }
            }
        }
        if let Some(p) = &printer_problem {
            tracing::warn!("case {}: receipts not printed, the printer cannot print: {p}", case.tracking);
        }
        Ok(Submitted {
            receipt: paths.first().cloned().flatten(),
            authorization: paths.get(1).cloned().flatten(),
            receipt_error: (!errors.is_empty()).then(|| errors.join("; ")),
            printer_problem,
            print_tasks: tasks,
            status_url,
            case,
        })
    }

    fn receipt_data<'a>(&'a self, case: &'a Case) -> receipt::case::CaseReceiptData<'a> {
        let st = &self.cfg.station;
        receipt::case::CaseReceiptData {
            station_name: &st.name,
            station_phone: &st.phone,
            case,
            submitted_local: case.created_at.with_timezone(&self.clock.tz()).naive_local(),
            promise: self.cfg.catalog.matter(&case.matter_code).map(|m| m.promise_text()).unwrap_or_default(),
            helper: case.assisted_by.as_deref().map(|no| self.helper_name(no)),
        }
    }

    fn render_case_receipt(&self, case: &Case, url: &str) -> Result<Vec<u8>, String> {
        let font = self.font()?;
        let r = receipt::case::acceptance(&self.receipt_data(case), url);
        receipt::render(&font, &r).map_err(|e| e.to_string())
    }

    fn render_authorization(&self, case: &Case) -> Result<Vec<u8>, String> {
        let font = self.font()?;
        let r = receipt::case::authorization(&self.receipt_data(case));
        receipt::render(&font, &r).map_err(|e| e.to_string())
    }

    /// Finds a case by its receipt token or status URL only: holding the receipt is the
    /// proof (a tracking code, which can be guessed, is never accepted here).
    pub fn find_case_by_token(&self, url_or_token: &str) -> Result<Option<Case>, StoreError> {
        let t = url_or_token.trim();
        let token = match t.rsplit_once("/c/") {
            Some((_, tok)) => tok,
            None if !t.contains('/') => t,
            None => return Ok(None),
        };
        if is_token(token) {
            return cases::by_token(self.conn(), token);
        }
        Ok(None)
    }

    /// Finds a case by its tracking code (any spelling) or by its receipt token / URL.
    pub fn find_case(&self, key: &str) -> Result<Option<Case>, StoreError> {
        let k = key.trim();
        if let Some(t) = normalize_tracking(k) {
            return cases::by_tracking(self.conn(), &t);
        }
        let token = k.rsplit('/').next().unwrap_or(k);
        if is_token(token) {
            return cases::by_token(self.conn(), token);
        }
        Ok(None)
    }

    /// The kiosk lookup by tracking code and the last 4 digits of the phone: both must
    /// match, and a miss says nothing about which part was wrong. Misses are kept in the
    /// store: five on one code in a day close that code to lookups (even with the right
    /// digits), and thirty at the station within an hour pause every lookup; neither 首页,
    /// nor idle, nor a restart resets them.
    pub fn lookup_case(&self, tracking: &str, last4: &str) -> Result<Option<Case>, LookupError> {
        let now = self.clock.now();
        let hour_ago = now - chrono::Duration::hours(1);
        if lookups::misses_since(self.conn(), None, hour_ago)? >= LOOKUP_STATION_MISSES {
            let oldest = lookups::oldest_since(self.conn(), hour_ago)?.unwrap_or(now);
            let mins = ((oldest + chrono::Duration::hours(1) - now).num_seconds() + 59) / 60;
            return Err(LookupError::Paused(mins.max(1)));
        }
        let code = normalize_tracking(tracking);
        let day_ago = now - chrono::Duration::days(1);
        if let Some(t) = &code {
            if lookups::misses_since(self.conn(), Some(t), day_ago)? >= LOOKUP_CODE_MISSES {
                return Err(LookupError::TooMany);
            }
        }
        let case = match &code {
            Some(t) => cases::by_tracking(self.conn(), t)?,
            None => None,
        };
        let found = case.filter(|c| {
            let l = last4.trim();
            l.len() == 4
                && (identity::phone_last4(&c.phone) == l
                    || c.phone2.as_deref().is_some_and(|p| identity::phone_last4(p) == l))
        });
        if found.is_none() {
            lookups::record_miss(self.conn(), code.as_deref().unwrap_or(""), now, day_ago)?;
            tracing::info!("progress lookup missed");
        }
        Ok(found)
    }

    /// The public page of the case a receipt token names, with whether it can be rated;
    /// None for an unknown or malformed token, or a case closed longer ago than
    /// `[server] case-page-days`.
    pub fn case_page(&self, token: &str) -> Result<Option<CasePage>, StoreError> {
        if !is_token(token) {
            return Ok(None);
        }
        let Some(case) = cases::by_token(self.conn(), token)? else { return Ok(None) };
        if !case.state.is_open() {
            let last = cases::events(self.conn(), case.id)?.last().map(|e| e.at).unwrap_or(case.created_at);
            let days = self.cfg.station.server.case_page_days as i64;
            if (self.clock.now() - last).num_days() > days {
                return Ok(None);
            }
        }
        let view = self.public_view(&case)?;
        let rated = self.case_rating(case.id)?.is_some();
        let done = matches!(case.state, CaseState::Completed | CaseState::Notified | CaseState::Closed);
        Ok(Some(CasePage { view, can_rate: done && !rated, rated }))
    }

    pub fn public_view(&self, case: &Case) -> Result<PublicView, StoreError> {
        let events = cases::events(self.conn(), case.id)?;
        let tz = self.clock.tz();
        let date = |d: chrono::DateTime<chrono::Utc>| d.with_timezone(&tz).format("%Y-%m-%d").to_string();
        let mut timeline = Vec::new();
        for e in &events {
            match (e.kind.as_str(), e.to_state) {
                ("created", _) => timeline.push(PublicEvent {
                    date: date(e.at),
                    label: tr_later!("提交申请").into(),
                    note: None,
                    by_town: false,
                }),
                ("transition", Some(to)) => {
                    let by_town = e.staff_no.as_deref().is_some_and(|s| s.starts_with("镇:"));
                    let note = e.note.clone().filter(|n| !n.trim().is_empty());
                    // In the villager's words: where the papers are, and what to do.
                    let (label, note) = match to {
                        CaseState::Received => (tr_later!("镇便民服务中心已接收").to_string(), None),
                        CaseState::Forwarded => match note {
                            Some(dept) => (tr_later!("已转{}办理", dept), None),
                            None => (tr_later!("已转县级部门办理").to_string(), None),
                        },
                        CaseState::Completed => (tr_later!("已办结，请到本站领取").to_string(), note),
                        // Only reasons owed to the villager are shown; staff notes stay inside.
                        CaseState::Returned | CaseState::Rejected | CaseState::Withdrawn => (to.label().into(), note),
                        _ => (to.label().into(), None),
                    };
                    timeline.push(PublicEvent { date: date(e.at), label, note, by_town });
                }
                ("extend", _) => timeline.push(PublicEvent {
                    date: date(e.at),
                    label: tr_later!("延期办理").into(),
                    note: e.note.clone(),
                    by_town: false,
                }),
                _ => {}
            }
        }
        let (due, due_note) = match (case.state, case.due_on) {
            (CaseState::Returned, _) => (None, tr_later!("补齐材料前暂停计时").to_string()),
            (s, Some(d)) if s.clock_runs() => {
                (Some(d.to_string()), tr_later!("承诺{}个工作日内办结", case.promised_days + case.extension_days))
            }
            (_, Some(d)) => (Some(d.to_string()), String::new()),
            (_, None) => (None, String::new()),
        };
        Ok(PublicView {
            tracking: case.tracking.clone(),
            matter: case.matter_name.clone(),
            state: case.state.key().into(),
            state_label: case.state.label().into(),
            explanation: case.state.public_explanation().into(),
            submitted_on: date(case.created_at),
            due,
            due_note,
            extension: case.extension_reason.as_ref().map(|r| tr_later!("延长{}个工作日：{}", case.extension_days, r)),
            missing: case.materials.iter().filter(|m| !m.received).map(|m| m.name.clone()).collect(),
            id_masked: identity::mask_id(&case.id_number),
            phone_masked: identity::mask_phone(&case.phone),
            name_masked: case.name.as_deref().map(identity::mask_name).unwrap_or_default(),
            timeline,
        })
    }

    /// Moves a case to `to`, recording who and why; refuses illegal moves with the reason.
    /// `seen` is the case version the staff member decided on (None: as it is now); a
    /// case changed meanwhile is refused, never written over.
    pub fn advance_case(
        &mut self,
        who: &Signed,
        key: &str,
        to: CaseState,
        note: &str,
        seen: Option<i64>,
    ) -> Result<Case, AdvanceError> {
        self.actor(who)?;
        let note = checked_note(note)?;
        let case = self.find_case(key)?.ok_or_else(|| AdvanceError::NotFound(key.to_string()))?;
        check_transition(case.state, to, note)?;
        let clock = self.clock_after(&case, to);
        let first = to == CaseState::Accepted;
        let now = self.clock.now();
        let expected = seen.unwrap_or(case.version);
        let docs = if to == CaseState::Submitted { self.handed_docs(&case)? } else { Vec::new() };
        cases::transition(self.conn_mut(), case.id, expected, to, who.by(), note, &clock, first, &docs, now)?;
        tracing::info!("case {} {} → {} by {}", case.tracking, case.state.key(), to.key(), who.no());
        cases::by_id(self.conn(), case.id)?.ok_or_else(|| AdvanceError::NotFound(key.to_string()))
    }

    /// The papers printed for a case, to go up with it when it is handed to the town (a
    /// joined station only; an unjoined one keeps them here). A paper whose file is gone
    /// (cleared by retention, moved by hand) is left out and logged.
    fn handed_docs(&self, case: &Case) -> Result<Vec<cases::CaseDoc>, StoreError> {
        if self.cfg.join.is_none() {
            return Ok(Vec::new());
        }
        let mut docs = Vec::new();
        for (kind, path) in cases::printed_docs(self.conn(), case.id)? {
            let title = match kind.as_str() {
                "authorization" => "委托书",
                _ => "代办受理回执",
            };
            match std::fs::read(&path) {
                Ok(b) => docs.push(cases::CaseDoc {
                    kind,
                    title: title.into(),
                    pdf: (b.len() <= cases::DOC_LIMIT).then_some(b),
                }),
                Err(e) => tracing::warn!("case {}: {title} not sent to the town: {path}: {e}", case.tracking),
            }
        }
        Ok(docs)
    }

    /// The case's clock after a move to `to` today.
    fn clock_after(&self, case: &Case, to: CaseState) -> ClockUpdate {
        let today = self.clock.today();
        let cal = &self.cfg.calendar;
        let remaining = |start: NaiveDate, used: u32| {
            let left = (case.promised_days + case.extension_days).saturating_sub(used);
            cal.add_working_days(start, left)
        };
        match (case.state, to) {
            // Acceptance starts the clock: promised days count from the day after it.
            (CaseState::Pending, CaseState::Accepted) => {
                let due = remaining(today, 0);
                ClockUpdate {
                    clock_start: today,
                    days_used: 0,
                    due_on: Some(due.date),
                    due_beyond_calendar: due.beyond_calendar,
                }
            }
            // Materials arrived after 退回补正 (at the station, or at the town: 已接收): the
            // clock resumes with the days left.
            (CaseState::Returned, CaseState::Accepted | CaseState::Received) => {
                let due = remaining(today, case.days_used);
                ClockUpdate {
                    clock_start: today,
                    days_used: case.days_used,
                    due_on: Some(due.date),
                    due_beyond_calendar: due.beyond_calendar,
                }
            }
            // 退回补正 stops the clock; the days already used are kept.
            (_, CaseState::Returned) => ClockUpdate {
                clock_start: case.clock_start,
                days_used: case.days_used + cal.working_days_between(case.clock_start, today),
                due_on: None,
                due_beyond_calendar: false,
            },
            _ => ClockUpdate {
                clock_start: case.clock_start,
                days_used: case.days_used,
                due_on: case.due_on,
                due_beyond_calendar: case.due_beyond_calendar,
            },
        }
    }

    /// Takes in the town's step number `seq` (its sequence in the town's stream for this
    /// station) — once. A move that fits is recorded as the case's event from the town; a
    /// case already there is left; a move that no longer fits (the station withdrew what
    /// the town completed) marks the case with the conflict for a person to settle; the
    /// town hears of each through the outbox. False if the step was taken in before.
    pub fn take_town_step(&mut self, seq: i64, step: &TownStepIn) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let staff = format!("镇:{}", step.staff);
        let by = crate::storage::By { staff: &staff, origin: Some("town") };
        let case = cases::by_tracking(self.conn(), &step.tracking)?;
        let note = step.note.trim();
        let change = match &case {
            None => cases::TownStep::Unknown,
            Some(c) if step.settled => cases::TownStep::Settled {
                case_id: c.id,
                by,
                note: if note.is_empty() { "镇中心已核对" } else { note },
            },
            Some(c) => match step.to {
                None => cases::TownStep::Unknown,
                Some(to) if c.state == to => cases::TownStep::Already,
                Some(to) if c.state.next_states().contains(&to) => cases::TownStep::Move {
                    case_id: c.id,
                    to,
                    by,
                    note: (!note.is_empty()).then_some(note),
                    clock: self.clock_after(c, to),
                },
                Some(to) => cases::TownStep::Conflict {
                    case_id: c.id,
                    detail: format!(
                        "镇中心登记了“{}”{}，但本站这件已是“{}”：请与镇中心核对，再写明怎么处理",
                        to.label(),
                        if note.is_empty() { String::new() } else { format!("（{note}）") },
                        c.state.label()
                    ),
                    by,
                },
            },
        };
        let taken = cases::take_town_step(self.conn_mut(), seq, &step.tracking, &change, now)?;
        if taken {
            tracing::info!("town step {seq} for case {} taken in", step.tracking);
        }
        Ok(taken)
    }

    /// The last of the town's steps taken in (0: none yet).
    pub fn last_town_step(&self) -> Result<i64, StoreError> {
        cases::last_town_step(self.conn())
    }

    /// A person settles a case's conflict with a note saying how; the town hears of it.
    pub fn settle_case(
        &mut self,
        who: &Signed,
        key: &str,
        note: &str,
        seen: Option<i64>,
    ) -> Result<Case, AdvanceError> {
        self.actor(who)?;
        let note = checked_note(note)?;
        if note.trim().is_empty() {
            return Err(AdvanceError::Refused(TransitionError::NoteRequired {
                to: CaseState::Submitted,
                what: "怎么处理的（与镇中心核对的结果）",
            }));
        }
        let case = self.find_case(key)?.ok_or_else(|| AdvanceError::NotFound(key.to_string()))?;
        let now = self.clock.now();
        let expected = seen.unwrap_or(case.version);
        cases::settle(self.conn_mut(), case.id, expected, who.by(), note.trim(), now)?;
        cases::by_id(self.conn(), case.id)?.ok_or_else(|| AdvanceError::NotFound(key.to_string()))
    }

    /// Subjects of the station's stream still to be erased (masked cases' events).
    pub fn stream_erase_pending(&self) -> Result<Vec<String>, StoreError> {
        cases::erase_pending(self.conn())
    }

    pub fn stream_erase_done(&self, subject: &str) -> Result<(), StoreError> {
        cases::erase_done(self.conn(), subject)
    }

    /// Grants an extension with a reason (shown to the villager).
    pub fn extend_case(
        &mut self,
        who: &Signed,
        key: &str,
        days: u32,
        reason: &str,
        seen: Option<i64>,
    ) -> Result<Case, AdvanceError> {
        self.actor(who)?;
        if !(1..=MAX_EXTENSION_DAYS).contains(&days) || reason.trim().is_empty() {
            return Err(AdvanceError::BadExtension);
        }
        let reason = checked_note(reason)?;
        let case = self.find_case(key)?.ok_or_else(|| AdvanceError::NotFound(key.to_string()))?;
        if !case.state.is_open() {
            return Err(AdvanceError::Refused(TransitionError::Illegal {
                from: case.state,
                to: case.state,
                allowed: "无，已结束".into(),
            }));
        }
        let due = case.state.clock_runs().then(|| {
            let left = (case.promised_days + case.extension_days + days).saturating_sub(case.days_used);
            let d = self.cfg.calendar.add_working_days(case.clock_start, left);
            (d.date, d.beyond_calendar)
        });
        let now = self.clock.now();
        let expected = seen.unwrap_or(case.version);
        cases::extend(self.conn_mut(), case.id, expected, days, reason.trim(), who.by(), due, now)?;
        cases::by_id(self.conn(), case.id)?.ok_or_else(|| AdvanceError::NotFound(key.to_string()))
    }

    /// Hands an open case to another (active) staff member, with a note.
    pub fn reassign_case(
        &mut self,
        who: &Signed,
        key: &str,
        to_staff: &str,
        note: &str,
        seen: Option<i64>,
    ) -> Result<Case, AdvanceError> {
        self.actor(who)?;
        let note = checked_note(note)?;
        staff::get(self.conn(), to_staff)?
            .filter(|s| s.active)
            .ok_or_else(|| AdvanceError::UnknownStaff(to_staff.to_string()))?;
        let case = self.find_case(key)?.ok_or_else(|| AdvanceError::NotFound(key.to_string()))?;
        if !case.state.is_open() {
            return Err(AdvanceError::Refused(TransitionError::Illegal {
                from: case.state,
                to: case.state,
                allowed: "无，已结束".into(),
            }));
        }
        let now = self.clock.now();
        let expected = seen.unwrap_or(case.version);
        cases::reassign(self.conn_mut(), case.id, expected, to_staff, who.by(), note.trim(), now)?;
        cases::by_id(self.conn(), case.id)?.ok_or_else(|| AdvanceError::NotFound(key.to_string()))
    }

    /// The case with its personal data in full, for the staff case view only; the look is
    /// recorded on the case (PIPL: who saw what, when).
    pub fn reveal_case(&self, who: &Signed, key: &str) -> Result<Case, AdvanceError> {
        self.actor(who)?;
        let case = self.find_case(key)?.ok_or_else(|| AdvanceError::NotFound(key.to_string()))?;
        cases::log_reveal(self.conn(), case.id, who.by(), self.clock.now())?;
        tracing::info!("case {} revealed to {}", case.tracking, who.no());
        Ok(case)
    }

    /// Records which materials have arrived; refused if the case changed since `seen`.
    pub fn set_case_materials(
        &mut self,
        who: &Signed,
        key: &str,
        received: &[bool],
        seen: Option<i64>,
    ) -> Result<Case, AdvanceError> {
        self.actor(who)?;
        let case = self.find_case(key)?.ok_or_else(|| AdvanceError::NotFound(key.to_string()))?;
        if received.len() != case.materials.len() {
            return Err(AdvanceError::Change(ChangeError::Stale(case.state)));
        }
        let materials: Vec<CaseMaterial> =
            case.materials.iter().zip(received).map(|(m, r)| CaseMaterial { received: *r, ..m.clone() }).collect();
        let now = self.clock.now();
        let expected = seen.unwrap_or(case.version);
        cases::set_materials(self.conn_mut(), case.id, expected, &materials, who.by(), now)?;
        cases::by_id(self.conn(), case.id)?.ok_or_else(|| AdvanceError::NotFound(key.to_string()))
    }

    /// Every open case, by due date (the staff queue).
    pub fn open_cases(&self) -> Result<Vec<Case>, StoreError> {
        cases::open_cases(self.conn())
    }

    /// How many cases are in each state.
    pub fn case_counts(&self) -> Result<Vec<(CaseState, u32)>, StoreError> {
        cases::counts(self.conn())
    }

    /// A case's whole history, for the staff case view.
    pub fn case_events(&self, case: &Case) -> Result<Vec<CaseEvent>, StoreError> {
        cases::events(self.conn(), case.id)
    }

    /// How pressing an open case is today: red overdue, amber within one working day.
    pub fn urgency(&self, case: &Case) -> Urgency {
        match (case.state.clock_runs(), case.due_on) {
            (true, Some(due)) => {
                let today = self.clock.today();
                if today > due {
                    Urgency::Overdue
                } else if self.cfg.calendar.working_days_between(today, due) <= 1 {
                    Urgency::DueSoon
                } else {
                    Urgency::Normal
                }
            }
            _ if case.state == CaseState::Returned => Urgency::Paused,
            _ => Urgency::Normal,
        }
    }
}

/// A step of the town's as it comes down the link.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct TownStepIn {
    pub tracking: String,
    /// The state the town moved the case to (None for a settled conflict).
    #[serde(default, deserialize_with = "state_key")]
    pub to: Option<CaseState>,
    #[serde(default)]
    pub settled: bool,
    #[serde(default, deserialize_with = "text")]
    pub note: String,
    #[serde(default, deserialize_with = "text")]
    pub staff: String,
}

fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let t: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(t.unwrap_or_default())
}

fn state_key<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<CaseState>, D::Error> {
    let k: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(k.and_then(|k| CaseState::from_key(&k)))
}

/// The URL a case receipt's QR code encodes.
pub fn case_status_url(base: &str, token: &str) -> String {
    format!("{}/c/{}", base.trim_end_matches('/'), token)
}
