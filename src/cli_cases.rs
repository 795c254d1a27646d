//! Command-line faces of 全程代办 and staff accounts (`kiosk request …`, `kiosk staff …`).

use crate::cli::{RequestCmd, StaffCmd};
use crate::domain::case::CaseState;
use crate::domain::identity::{mask_id, mask_phone};
use crate::printing::PrintOutcome;
use crate::proxy::{AdvanceError, ProxyRequest, RequestError};
use crate::station::Station;
use crate::storage::cases::{self, CaseRow};
use crate::storage::staff;
use std::io::Read;

fn case_json(st: &Station, c: &CaseRow) -> serde_json::Value {
    serde_json::json!({
        "tracking": c.tracking,
        "matter": c.matter_code,
        "state": c.state.key(),
        "state_label": c.state.label(),
        "due": c.due_on.map(|d| d.to_string()),
        "due_beyond_calendar": c.due_beyond_calendar,
        "first_responder": c.first_responder,
        "assignee": c.assignee,
        "urgency": format!("{:?}", st.urgency(c)).to_lowercase(),
    })
}

fn advance_exit(e: &AdvanceError) -> i32 {
    match e {
        AdvanceError::Store(_) | AdvanceError::Change(_) => 1,
        _ => 2,
    }
}

pub fn request(st: &mut Station, cmd: RequestCmd) -> i32 {
    match cmd {
        RequestCmd::Submit(a) => {
            let req = ProxyRequest {
                matter: a.matter.trim().to_uppercase(),
                phone: a.phone,
                phone2: a.phone2,
                id_number: a.id_number,
                name: a.name,
                missing: a.missing,
            };
            let sub = match st.submit_request(&req) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return if matches!(e, RequestError::Store(_) | RequestError::Random(_)) { 1 } else { 2 };
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
                .collect();
            let c = &sub.case;
            if a.json {
                println!(
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
                println!(
                    "{}  {}  承诺办结 {}",
                    c.tracking,
                    c.matter_name,
                    c.due_on.map(|d| d.to_string()).unwrap_or_default()
                );
                if let Some(p) = &sub.receipt {
                    println!("receipt: {}", p.display());
                }
                if let Some(p) = &sub.authorization {
                    println!("authorization: {}", p.display());
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
                        println!("{}", serde_json::to_string(&v).unwrap_or_default());
                    } else {
                        println!("{}  {}  {}", v.tracking, v.matter, v.state_label);
                        println!("{}", v.explanation);
                        for e in &v.timeline {
                            println!(
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
            match st.advance_case(&tracking, to_state, &staff, &note) {
                Ok(c) => {
                    if json {
                        println!("{}", case_json(st, &c));
                    } else {
                        println!("{} → {}", c.tracking, c.state.label());
                    }
                    0
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    advance_exit(&e)
                }
            }
        }
        RequestCmd::Extend { tracking, days, reason, staff, json } => {
            match st.extend_case(&tracking, days, &reason, &staff) {
                Ok(c) => {
                    if json {
                        println!("{}", case_json(st, &c));
                    } else {
                        println!("{} 延长至 {}", c.tracking, c.due_on.map(|d| d.to_string()).unwrap_or_default());
                    }
                    0
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    advance_exit(&e)
                }
            }
        }
        RequestCmd::Reassign { tracking, to_staff, staff, note } => {
            match st.reassign_case(&tracking, &to_staff, &staff, &note) {
                Ok(c) => {
                    println!("{} → {}", c.tracking, c.assignee.unwrap_or_default());
                    0
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    advance_exit(&e)
                }
            }
        }
        RequestCmd::List { json } => match cases::open_cases(st.conn()) {
            Ok(list) => {
                for c in &list {
                    if json {
                        println!("{}", case_json(st, c));
                    } else {
                        println!(
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

pub fn staff(st: &mut Station, cmd: StaffCmd) -> i32 {
    let now = st.clock.now();
    let result: Result<String, String> = match cmd {
        StaffCmd::Add { no, name, role } => {
            let no = no.trim().to_string();
            if no.is_empty() || name.trim().is_empty() {
                Err("--no and --name must not be empty".into())
            } else {
                match staff::add(st.conn(), &no, name.trim(), &role, now) {
                    Ok(true) => Ok(format!("added staff {no} ({})", name.trim())),
                    Ok(false) => Err(format!("staff number {no} already exists")),
                    Err(e) => Err(e.to_string()),
                }
            }
        }
        StaffCmd::SetPin { no } => {
            let mut input = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut input) {
                return fail(&format!("reading the PIN from standard input: {e}"), 1);
            }
            let pin = input.lines().next().unwrap_or_default().trim().to_string();
            match staff::get(st.conn(), no.trim()) {
                Ok(Some(_)) => match crate::staff::hash_pin(&pin) {
                    Ok(h) => staff::set_pin_hash(st.conn(), no.trim(), &h)
                        .map(|_| format!("PIN set for {no}"))
                        .map_err(|e| e.to_string()),
                    Err(e) => return fail(&e.to_string(), 2),
                },
                Ok(None) => return fail(&format!("no staff number {no:?}"), 2),
                Err(e) => Err(e.to_string()),
            }
        }
        StaffCmd::Away { no, date, back } => {
            let day = match date.as_deref().map(|d| d.parse::<chrono::NaiveDate>()) {
                Some(Ok(d)) => d,
                Some(Err(_)) => return fail("--date: use YYYY-MM-DD", 2),
                None => st.clock.today(),
            };
            match staff::get(st.conn(), no.trim()) {
                Ok(Some(s)) => staff::set_away(st.conn(), &s.no, day, !back)
                    .map(|_| {
                        if back {
                            format!("{} is on duty on {day}", s.no)
                        } else {
                            format!("{} is away on {day}", s.no)
                        }
                    })
                    .map_err(|e| e.to_string()),
                Ok(None) => return fail(&format!("no staff number {no:?}"), 2),
                Err(e) => Err(e.to_string()),
            }
        }
        StaffCmd::Post { scope, a, b } => {
            let scope = scope.trim().to_uppercase();
            let known_scope = st.cfg.catalog.category(&scope).is_some() || st.cfg.catalog.matter(&scope).is_some();
            let exists = |no: &str| staff::get(st.conn(), no).ok().flatten().is_some();
            if !known_scope {
                return fail(&format!("{scope:?} is neither a category nor a matter code"), 2);
            }
            if !exists(&a) || b.as_deref().is_some_and(|b| !exists(b)) {
                return fail("unknown staff number for --a or --b (add them first)", 2);
            }
            if b.as_deref() == Some(a.as_str()) {
                return fail("A and B must be two different people", 2);
            }
            staff::set_post(st.conn(), &scope, &a, b.as_deref())
                .map(|_| format!("post {scope}: A {a}, B {}", b.unwrap_or_else(|| "-".into())))
                .map_err(|e| e.to_string())
        }
        StaffCmd::List => {
            let today = st.clock.today();
            let away = staff::away_on(st.conn(), today).unwrap_or_default();
            let mut out = String::new();
            for s in staff::list(st.conn()).unwrap_or_default() {
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\n",
                    s.no,
                    s.name,
                    s.role,
                    if away.contains(&s.no) { "今日不在岗" } else { "在岗" }
                ));
            }
            for p in staff::posts(st.conn()).unwrap_or_default() {
                out.push_str(&format!("post {}\tA {}\tB {}\n", p.scope, p.a, p.b.unwrap_or_default()));
            }
            Ok(out.trim_end().to_string())
        }
    };
    match result {
        Ok(msg) => {
            println!("{msg}");
            0
        }
        Err(e) => fail(&e, 1),
    }
}

fn fail(msg: &str, code: i32) -> i32 {
    eprintln!("error: {msg}");
    code
}
