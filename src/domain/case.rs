//! 全程代办 cases: the states a case moves through and which moves are legal.
//!
//! Every move is recorded as an append-only event (by the store); this module only
//! decides whether a move is allowed and what it needs (a note, a staff member), so the
//! same rules hold for the staff console, the CLI and the station service.

use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseState {
    /// 待受理: handed in at the kiosk, not yet checked by staff.
    Pending,
    /// 已受理: staff checked the papers; the 首问责任人 is recorded; the clock runs.
    Accepted,
    /// 已报送: sent to the township or county department.
    Submitted,
    /// 镇中心已接收: the town's 便民服务中心 has the papers (recorded there, or by hand).
    Received,
    /// 已转县级部门: the town passed the case on to a county department (the note names it).
    Forwarded,
    /// 已办结: the department decided.
    Completed,
    /// 已通知: the villager was told.
    Notified,
    /// 已领取/归档: result collected, case archived.
    Closed,
    /// 退回补正: materials missing; the clock stops until they arrive.
    Returned,
    /// 不予受理.
    Rejected,
    /// 撤回.
    Withdrawn,
}

impl CaseState {
    pub const ALL: [CaseState; 11] = [
        CaseState::Pending,
        CaseState::Accepted,
        CaseState::Submitted,
        CaseState::Received,
        CaseState::Forwarded,
        CaseState::Completed,
        CaseState::Notified,
        CaseState::Closed,
        CaseState::Returned,
        CaseState::Rejected,
        CaseState::Withdrawn,
    ];

    /// The key used on the command line and in the store.
    pub fn key(self) -> &'static str {
        match self {
            CaseState::Pending => "pending",
            CaseState::Accepted => "accepted",
            CaseState::Submitted => "submitted",
            CaseState::Received => "received",
            CaseState::Forwarded => "forwarded",
            CaseState::Completed => "completed",
            CaseState::Notified => "notified",
            CaseState::Closed => "closed",
            CaseState::Returned => "returned",
            CaseState::Rejected => "rejected",
            CaseState::Withdrawn => "withdrawn",
        }
    }

    pub fn from_key(k: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|s| s.key() == k)
    }

    /// The Chinese name shown on screens and receipts.
    pub fn label(self) -> &'static str {
        match self {
            CaseState::Pending => tr_later!("待受理"),
            CaseState::Accepted => tr_later!("已受理"),
            CaseState::Submitted => tr_later!("已报送"),
            CaseState::Received => tr_later!("镇中心已接收"),
            CaseState::Forwarded => tr_later!("已转县级部门"),
            CaseState::Completed => tr_later!("已办结"),
            CaseState::Notified => tr_later!("已通知"),
            CaseState::Closed => tr_later!("已领取/归档"),
            CaseState::Returned => tr_later!("退回补正"),
            CaseState::Rejected => tr_later!("不予受理"),
            CaseState::Withdrawn => tr_later!("已撤回"),
        }
    }

    /// The staff's button for moving a case into this state.
    pub fn action_label(self) -> &'static str {
        match self {
            CaseState::Accepted => tr_later!("受理"),
            CaseState::Submitted => tr_later!("报送"),
            CaseState::Received => tr_later!("已接收"),
            CaseState::Forwarded => tr_later!("转县级部门"),
            CaseState::Completed => tr_later!("办结"),
            CaseState::Notified => tr_later!("已通知村民"),
            CaseState::Closed => tr_later!("领取/归档"),
            CaseState::Returned => tr_later!("退回补正"),
            CaseState::Rejected => tr_later!("不予受理"),
            CaseState::Withdrawn => tr_later!("撤回"),
            CaseState::Pending => tr_later!("待受理"),
        }
    }

    /// What the villager is told about this state on the progress page.
    pub fn public_explanation(self) -> &'static str {
        match self {
            CaseState::Pending => tr_later!("服务站已收到您的申请，工作人员会尽快核对材料。"),
            CaseState::Accepted => tr_later!("材料已核对受理，工作人员正在为您办理。"),
            CaseState::Submitted => tr_later!("已报送乡镇或县里的主管部门审核。"),
            CaseState::Received => tr_later!("镇便民服务中心已接收，正在办理。"),
            CaseState::Forwarded => tr_later!("已转县级部门办理，办好后由服务站通知您。"),
            CaseState::Completed => tr_later!("已办结，请到本站领取办理结果；服务站也会通知您。"),
            CaseState::Notified => tr_later!("已通知您办理结果，请到服务站领取。"),
            CaseState::Closed => tr_later!("已领取，事项办完了。"),
            CaseState::Returned => tr_later!("还缺材料，请按通知补齐后交到服务站。补齐前办理时间暂停计算。"),
            CaseState::Rejected => tr_later!("不符合办理条件，未予受理。详情请问服务站。"),
            CaseState::Withdrawn => tr_later!("申请已撤回。"),
        }
    }

    /// Open cases are on the staff queue; closed ones are history.
    pub fn is_open(self) -> bool {
        !matches!(self, CaseState::Closed | CaseState::Rejected | CaseState::Withdrawn)
    }

    /// Whether the promised-days clock runs in this state.
    pub fn clock_runs(self) -> bool {
        matches!(
            self,
            CaseState::Pending
                | CaseState::Accepted
                | CaseState::Submitted
                | CaseState::Received
                | CaseState::Forwarded
        )
    }

    /// The moves the town's 便民服务中心 records on a case handed to it (at the station they
    /// come down over the link; a station without it records them by hand).
    pub const TOWN_MOVES: [CaseState; 5] =
        [CaseState::Received, CaseState::Returned, CaseState::Forwarded, CaseState::Completed, CaseState::Rejected];

    /// Whether the case is with the town or county (handed over, not yet back).
    pub fn with_town(self) -> bool {
        matches!(self, CaseState::Submitted | CaseState::Received | CaseState::Forwarded)
    }

    /// States reachable from here.
    pub fn next_states(self) -> &'static [CaseState] {
        use CaseState::*;
        match self {
            Pending => &[Accepted, Returned, Rejected, Withdrawn],
            Accepted => &[Submitted, Returned, Rejected, Withdrawn],
            Submitted => &[Received, Forwarded, Completed, Returned, Rejected, Withdrawn],
            Received => &[Forwarded, Completed, Returned, Rejected, Withdrawn],
            Forwarded => &[Completed, Returned, Rejected, Withdrawn],
            Completed => &[Notified],
            Notified => &[Closed],
            // The materials arrived: at the station (受理 again), or at the town (已接收).
            Returned => &[Accepted, Received, Rejected, Withdrawn],
            Closed | Rejected | Withdrawn => &[],
        }
    }

    /// Moves that must say why or how (the note is shown to staff, and for 退回补正 /
    /// 不予受理 / 撤回 the reason is what the villager is told).
    pub fn needs_note(self) -> Option<&'static str> {
        match self {
            CaseState::Submitted => Some("报送到哪个部门、怎么报送"),
            CaseState::Forwarded => Some("转到哪个县级部门"),
            CaseState::Completed => Some("办理结果，村民要领取或带来什么"),
            CaseState::Notified => Some("怎么通知的村民（电话、上门、村干部转告）"),
            CaseState::Returned => Some("还缺什么材料"),
            CaseState::Rejected => Some("不予受理的原因"),
            CaseState::Withdrawn => Some("撤回的原因"),
            _ => None,
        }
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("不能从“{from}”直接变为“{to}”（可以变为：{allowed}）")]
    Illegal { from: CaseState, to: CaseState, allowed: String },
    #[error("“{to}”需要填写说明：{what}")]
    NoteRequired { to: CaseState, what: &'static str },
}

/// Checks a move; `note` is the staff member's note (may be empty).
pub fn check_transition(from: CaseState, to: CaseState, note: &str) -> Result<(), TransitionError> {
    check_move(from, to, note, from.next_states())
}

/// The same for a step the town records: the moves it may suggest are only the town's own
/// (已通知, 已领取 and the others are the station's to record).
pub fn check_town_transition(from: CaseState, to: CaseState, note: &str) -> Result<(), TransitionError> {
    let town: Vec<CaseState> =
        from.next_states().iter().copied().filter(|s| CaseState::TOWN_MOVES.contains(s)).collect();
    check_move(from, to, note, &town).map_err(|e| match e {
        TransitionError::Illegal { from, to, allowed } if town.is_empty() => TransitionError::Illegal {
            from,
            to,
            allowed: if from.is_open() { "无，之后的步骤由服务站登记".to_string() } else { allowed },
        },
        e => e,
    })
}

fn check_move(from: CaseState, to: CaseState, note: &str, moves: &[CaseState]) -> Result<(), TransitionError> {
    if !moves.contains(&to) {
        let allowed: Vec<&str> = moves.iter().map(|s| s.label()).collect();
        return Err(TransitionError::Illegal {
            from,
            to,
            allowed: if allowed.is_empty() { "无，已结束".to_string() } else { allowed.join("、") },
        });
    }
    if let Some(what) = to.needs_note() {
        if note.trim().is_empty() {
            return Err(TransitionError::NoteRequired { to, what });
        }
    }
    Ok(())
}

/// One material of a case's checklist and whether it was handed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMaterial {
    pub name: String,
    pub requirement: String,
    pub received: bool,
}

/// A 代办 case as stored. The ID number, phones and name are the villager's own: only the
/// staff case view shows them unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: i64,
    pub tracking: String,
    pub token: String,
    pub matter_code: String,
    pub matter_name: String,
    pub category: String,
    pub id_number: String,
    pub phone: String,
    pub phone2: Option<String>,
    pub name: Option<String>,
    pub state: CaseState,
    pub created_at: DateTime<Utc>,
    pub promised_days: u32,
    pub clock_start: NaiveDate,
    pub days_used: u32,
    pub extension_days: u32,
    pub extension_reason: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub due_beyond_calendar: bool,
    pub first_responder: Option<String>,
    pub assignee: Option<String>,
    pub uncovered: bool,
    pub materials: Vec<CaseMaterial>,
    /// The last change (event) this row reflects: what a stale-write check compares.
    pub version: i64,
    /// The personal data was masked for good after the retention period (its notes are
    /// kept, and flagged to staff).
    pub purged: bool,
    /// A step of the other end that no longer fits (the town completed what the station
    /// withdrew), in words, until a person settles it.
    pub conflict: Option<String>,
    /// 帮办: the staff number of who helped the villager ask at the kiosk.
    pub assisted_by: Option<String>,
}

/// One entry of a case's append-only history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub from_state: Option<CaseState>,
    pub to_state: Option<CaseState>,
    pub staff_no: Option<String>,
    pub note: Option<String>,
}

/// A tracking code staff can read over the phone: `D-261128-007` (year, month, day of
/// submission, and the serial of that date). The year is in it, so a code never names two
/// cases (issue 13: codes of the form D-1128-007 went on counting a year later).
pub fn tracking_code(year: i32, month: u32, day: u32, seq: u32) -> String {
    format!("D-{:02}{month:02}{day:02}-{seq:03}", year.rem_euclid(100))
}

/// How many digits a tracking code has after its `D` (codes made before the year was in
/// them have 7).
pub const TRACKING_DIGITS: usize = 9;

/// Normalises what a villager or staff typed: `d261128007`, `D 261128 007` →
/// `D-261128-007`; the older seven-digit codes (`D-1128-007`) are still understood.
pub fn normalize_tracking(input: &str) -> Option<String> {
    let input = super::text::half_width(input);
    let s: String = input.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase();
    let digits = s.strip_prefix('D')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits.len() {
        TRACKING_DIGITS => Some(format!("D-{}-{}", &digits[..6], &digits[6..])),
        7 => Some(format!("D-{}-{}", &digits[..4], &digits[4..])),
        _ => None,
    }
}

/// Urgency of an open case for the staff queue colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// Red: past the due date.
    Overdue,
    /// Amber: due within one working day.
    DueSoon,
    Normal,
    /// The clock is stopped (退回补正) or the case is past the deciding stage.
    Paused,
}

impl Urgency {
    /// Its name in the command line's JSON, at the station and at the town alike.
    pub fn key(self) -> &'static str {
        match self {
            Urgency::Overdue => "overdue",
            Urgency::DueSoon => "due_soon",
            Urgency::Normal => "normal",
            Urgency::Paused => "paused",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState::*;

    #[test]
    fn the_town_is_offered_only_its_own_moves() {
        assert_eq!(check_town_transition(Submitted, Received, ""), Ok(()));
        let Err(TransitionError::Illegal { allowed, .. }) = check_town_transition(Completed, Received, "") else {
            panic!("an illegal move");
        };
        assert_eq!(allowed, "无，之后的步骤由服务站登记");
        let Err(TransitionError::Illegal { allowed, .. }) = check_town_transition(Received, Accepted, "") else {
            panic!("受理 is the station's");
        };
        assert!(!allowed.contains("已受理") && allowed.contains("已办结"), "{allowed}");
    }

    #[test]
    fn every_legal_transition_is_accepted_with_a_note() {
        for from in CaseState::ALL {
            for &to in from.next_states() {
                assert_eq!(check_transition(from, to, "说明"), Ok(()), "{from:?} → {to:?}");
            }
        }
    }

    #[test]
    fn every_illegal_transition_is_refused() {
        let mut refused = 0;
        for from in CaseState::ALL {
            for to in CaseState::ALL {
                if from.next_states().contains(&to) {
                    continue;
                }
                let e = check_transition(from, to, "说明").unwrap_err();
                assert!(matches!(e, TransitionError::Illegal { .. }), "{from:?} → {to:?}");
                refused += 1;
            }
        }
        let legal: usize = CaseState::ALL.iter().map(|s| s.next_states().len()).sum();
        assert_eq!(legal, 29);
        assert_eq!(refused, 121 - legal);
        assert_eq!(
            check_transition(Pending, Completed, "").unwrap_err().to_string(),
            "不能从“待受理”直接变为“已办结”（可以变为：已受理、退回补正、不予受理、已撤回）"
        );
        assert!(check_transition(Closed, Accepted, "x").unwrap_err().to_string().contains("无，已结束"));
    }

    #[test]
    fn notes_required_where_a_reason_is_owed() {
        assert_eq!(check_transition(Pending, Accepted, ""), Ok(()));
        for (from, to) in [
            (Accepted, Submitted),
            (Submitted, Completed),
            (Completed, Notified),
            (Accepted, Returned),
            (Pending, Rejected),
            (Pending, Withdrawn),
        ] {
            assert!(matches!(check_transition(from, to, " "), Err(TransitionError::NoteRequired { .. })), "{to:?}");
        }
        assert_eq!(check_transition(Notified, Closed, ""), Ok(()));
    }

    #[test]
    fn tracking_codes() {
        assert_eq!(tracking_code(2026, 11, 28, 7), "D-261128-007");
        assert_eq!(tracking_code(2027, 11, 28, 7), "D-271128-007", "a year later, another code");
        assert_eq!(normalize_tracking("d261128007").as_deref(), Some("D-261128-007"));
        assert_eq!(normalize_tracking(" D-261128-007 ").as_deref(), Some("D-261128-007"));
        assert_eq!(normalize_tracking("Ｄ２６１１２８００７").as_deref(), Some("D-261128-007"));
        assert_eq!(normalize_tracking("d1128007").as_deref(), Some("D-1128-007"), "older codes");
        assert_eq!(normalize_tracking("D-1128-07"), None);
        assert_eq!(normalize_tracking("D-26112800"), None);
        assert_eq!(normalize_tracking("X-1128-007"), None);
    }

    #[test]
    fn keys_round_trip() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::from_key(s.key()), Some(s));
        }
        assert!(Accepted.is_open() && !Closed.is_open() && !Withdrawn.is_open());
        assert!(Accepted.clock_runs() && !Returned.clock_runs());
    }
}
