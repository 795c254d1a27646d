//! `kiosk request …`: 全程代办 cases from the command line. "request" is the CLI word
//! for a case; `advance`, `extend` and `reassign` act as a staff member (PIN on stdin).

use super::{sign_in_from_stdin, RequestCmd};
use crate::domain::case::{Case, CaseState};
use crate::domain::identity::{mask_id, mask_phone};
use crate::service::{AdvanceError, CaseRequest, PrintOutcome, Signed, Station, SubmitError};

fn case_json(st: &Station, c: &Case) -> serde_json::Value {
    serde_json::json!({
        "tracking": c.tracking,
        "matter": c.matter_code,
        "state": c.state.key(),
        "state_label": c.state.label(),
        "due": c.due_on.map(|d| d.to_string()),
        "due_beyond_calendar": c.due_beyond_calendar,
        "first_responder": c.first_responder,
        "assignee": c.assignee,
        "urgency": st.urgency(c).key(),
    })
}

/// A change to a case by a staff member: signs in with the PIN on standard input, makes
/// the change, prints the case (JSON or `human`), or the refusal with its exit code.
fn staff_change(
    st: &mut Station,
    staff: &str,
    json: bool,
    human: impl Fn(&Case) -> String,
    change: impl FnOnce(&mut Station, &Signed) -> Result<Case, AdvanceError>,
) -> i32 {
    let who = match sign_in_from_stdin(st, staff) {
        Ok(w) => w,
        Err(code) => return code,
    };
    match change(st, &who) {
        Ok(c) => {
            if json {
                crate::outln!("{}", case_json(st, &c));
            } else {
                crate::outln!("{}", human(&c));
            }
            0
        }
        Err(e) => super::explained(&e),
    }
}

pub fn run(st: &mut Station, cmd: RequestCmd) -> i32 {
    match cmd {
        RequestCmd::Submit(a) => {
            let req = CaseRequest {
                matter: a.matter.trim().to_uppercase(),
                phone: a.phone,
                phone2: a.phone2,
                id_number: a.id_number,
                name: a.name,
                missing: a.missing,
            };
            let sub = match st.submit_case(&req) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return if matches!(e, SubmitError::Store(_) | SubmitError::Random(_)) { 1 } else { 2 };
                }
            };
            let outcomes: Vec<_> = sub.print_tasks.iter().map(|t| t.run(&st.clock)).collect();
            let printed = !outcomes.is_empty()
                && sub.receipt_error.is_none()
                && outcomes.iter().all(|o| matches!(o, Ok(PrintOutcome::Printed)));
            let print_error: Vec<String> = outcomes
                .iter()
                .filter_map(|o| o.as_ref().err().map(|e| e.to_string()))
                .chain(sub.receipt_error.clone())
                .chain(sub.printer_problem.clone())
                .collect();
            let c = &sub.case;
            if a.json {
                crate::outln!(
                    "{}",
                    serde_json::json!({
                        "tracking": c.tracking,
                        "token": c.token,
                        "due": c.due_on.map(|d| d.to_string()),
                        "receipt": sub.receipt.as_ref().map(|p| p.display().to_string()),
                        "printed": printed,
                        "authorization": sub.authorization.as_ref().map(|p| p.display().to_string()),
                        "status_url": sub.status_url,
                        "due_beyond_calendar": c.due_beyond_calendar,
                        "assignee": c.assignee,
                        "print_error": (!print_error.is_empty()).then(|| print_error.join("; ")),
                    })
                );
            } else {
                crate::outln!(
                    "{}  {}  承诺办结 {}",
                    c.tracking,
                    c.matter_name,
                    c.due_on.map(|d| d.to_string()).unwrap_or_default()
                );
                if let Some(p) = &sub.receipt {
                    crate::outln!("receipt: {}", p.display());
                }
                if let Some(p) = &sub.authorization {
                    crate::outln!("authorization: {}", p.display());
                }
                for e in print_error {
                    eprintln!("warning: not printed: {e}");
                }
            }
            0
        }
        RequestCmd::Status { tracking, json } => {
            let found = st.find_case(&tracking).and_then(|c| c.map(|c| st.public_view(&c)).transpose());
            match found {
                Ok(Some(v)) => {
                    if json {
                        crate::outln!("{}", serde_json::to_string(&v).unwrap_or_default());
                    } else {
                        crate::outln!("{}  {}  {}", v.tracking, v.matter, v.state_label);
                        crate::outln!("{}", v.explanation);
                        for e in &v.timeline {
                            crate::outln!(
                                "  {}  {}{}",
                                e.date,
                                e.label,
                                e.note.as_ref().map(|n| format!("：{n}")).unwrap_or_default()
                            );
                        }
                    }
                    0
                }
                Ok(None) => {
                    // A wrong or tampered code learns nothing, not even what was wrong.
                    eprintln!("error: not found (没有找到)");
                    1
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    1
                }
            }
        }
        RequestCmd::Advance { tracking, to, staff, note, json } => {
            let Some(to_state) = CaseState::from_key(to.trim()).filter(|s| *s != CaseState::Pending) else {
                eprintln!("error: --to {to:?}: use one of accepted submitted completed notified closed returned rejected withdrawn");
                return 2;
            };
            staff_change(
                st,
                &staff,
                json,
                |c| format!("{} → {}", c.tracking, c.state.label()),
                |st, who| st.advance_case(who, &tracking, to_state, &note, None),
            )
        }
        RequestCmd::Extend { tracking, days, reason, staff, json } => staff_change(
            st,
            &staff,
            json,
            |c| format!("{} 延长至 {}", c.tracking, c.due_on.map(|d| d.to_string()).unwrap_or_default()),
            |st, who| st.extend_case(who, &tracking, days, &reason, None),
        ),
        RequestCmd::Reassign { tracking, to_staff, staff, note } => staff_change(
            st,
            &staff,
            false,
            |c| format!("{} → {}", c.tracking, c.assignee.clone().unwrap_or_default()),
            |st, who| st.reassign_case(who, &tracking, &to_staff, &note, None),
        ),
        RequestCmd::Handover { date, out, json } => {
            let day = match date.as_deref().map(|d| d.trim().parse::<chrono::NaiveDate>()) {
                None => st.clock.today(),
                Some(Ok(d)) => d,
                Some(Err(_)) => {
                    eprintln!("error: --date: write the day as 2026-11-30");
                    return 2;
                }
            };
            match st.handover_pdf(day) {
                Ok((pdf, n)) => {
                    if let Err(e) = crate::system::files::write_atomically(&out, &pdf) {
                        eprintln!("error: {}: cannot write ({e})", out.display());
                        return 1;
                    }
                    if json {
                        crate::outln!(
                            "{}",
                            serde_json::json!({"date": day.to_string(), "cases": n, "file": out.display().to_string()})
                        );
                    } else {
                        crate::outln!("{day} 报送的代办 {n} 件：交接单 {}", out.display());
                    }
                    0
                }
                Err(e) => super::explained(&e),
            }
        }
        RequestCmd::List { json } => match st.open_cases() {
            Ok(list) => {
                for c in &list {
                    if json {
                        crate::outln!("{}", case_json(st, c));
                    } else {
                        crate::outln!(
                            "{}\t{}\t{}\t{}\t{}\t{}",
                            c.tracking,
                            c.state.label(),
                            c.due_on.map(|d| d.to_string()).unwrap_or_else(|| "暂停".into()),
                            c.matter_name,
                            mask_id(&c.id_number),
                            mask_phone(&c.phone)
                        );
                    }
                }
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        },
    }
}
