//! `kiosk call …` and `kiosk rate`: the window's buttons and the villager's rating from
//! the command line, through the same service calls as the desk and the phone.

use super::{fail, sign_in_from_stdin, CallArgs, CallCmd, RateArgs};
use crate::domain::calling::{CallAction, PauseReason};
use crate::service::{CallError, Called, Station, TransferTo, Unstarted};

fn called_json(c: &Called) -> serde_json::Value {
    let t = &c.ticket;
    serde_json::json!({
        "number": t.number,
        "matter": t.matter_code.clone().unwrap_or_else(|| t.category.clone()),
        "window": c.window,
        "token": t.token,
        "priority": t.priority,
        "matter_name": t.matter_name,
        "category": t.category,
        "status": t.status.key(),
        "recalls": t.recalls,
        "callbacks": t.callbacks,
        "only_window": t.only_window,
        "finished": c.finished.iter().map(|f| f.number.clone()).collect::<Vec<_>>(),
        // A ticket the window had called and never started: recorded as 过号, so it can be
        // called back (and is not counted as served).
        "no_show": c.no_shows.iter().map(|f| f.number.clone()).collect::<Vec<_>>(),
    })
}

fn report(result: Result<Called, CallError>, json: bool) -> i32 {
    match result {
        Ok(c) => {
            if json {
                crate::outln!("{}", called_json(&c));
            } else {
                let t = &c.ticket;
                crate::outln!("{}  {}  {}号窗口  {}", t.number, t.matter_name, c.window, t.status.label());
            }
            0
        }
        Err(CallError::NoneWaiting) => fail("no one waiting", 3),
        Err(e) => super::explained(&e),
    }
}

pub fn run(st: &mut Station, cmd: CallCmd) -> i32 {
    let staff = match &cmd {
        CallCmd::Next { staff, .. } | CallCmd::Transfer { staff, .. } => staff,
        CallCmd::Pause { staff, .. } | CallCmd::Resume { staff, .. } | CallCmd::Pick { staff, .. } => staff,
        CallCmd::Recall(a) | CallCmd::NoShow(a) | CallCmd::Callback(a) | CallCmd::Start(a) | CallCmd::Finish(a) => {
            &a.staff
        }
    };
    let who = match sign_in_from_stdin(st, staff) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let act = |st: &mut Station, a: &CallArgs, action: CallAction| {
        report(st.call_action(&who, a.window, &a.number, action), a.json)
    };
    match &cmd {
        CallCmd::Next { window, json, .. } => report(st.call_next(&who, *window), *json),
        CallCmd::Recall(a) => act(st, a, CallAction::Recall),
        CallCmd::NoShow(a) => act(st, a, CallAction::NoShow),
        CallCmd::Callback(a) => act(st, a, CallAction::Callback),
        CallCmd::Start(a) => act(st, a, CallAction::Start),
        CallCmd::Finish(a) => act(st, a, CallAction::Finish),
        CallCmd::Transfer { number, to_window, to_category, window, json, .. } => {
            let to = match (to_window, to_category) {
                (Some(w), _) => TransferTo::Window(*w),
                (None, Some(c)) => TransferTo::Category(c.trim().to_uppercase()),
                (None, None) => return fail("use --to-window M or --to-category C", 2),
            };
            // Acting window: the one given, else the window the ticket is at, else the
            // first window (a waiting ticket may be moved from any desk).
            let acting = match window {
                Some(w) => *w,
                None => match st.ticket_today(&number.trim().to_uppercase()) {
                    Ok(Some(t)) => t.window.or_else(|| st.cfg.station.windows.first().map(|w| w.number)).unwrap_or(1),
                    Ok(None) => return fail(&format!("今天没有 {} 号", number.trim()), 2),
                    Err(e) => return fail(&e.to_string(), 1),
                },
            };
            report(st.transfer(&who, acting, number, to), *json)
        }
        CallCmd::Pick { number, window, reason, json, .. } => {
            report(st.call_chosen(&who, *window, number, reason, &Unstarted::NoShow(None)), *json)
        }
        CallCmd::Pause { window, reason, .. } => {
            let Some(r) = PauseReason::from_key(reason) else {
                return fail(&format!("--reason {reason}: use lunch, errand, meeting or other"), 2);
            };
            match st.set_window_paused(&who, *window, Some(r)) {
                Ok(()) => {
                    crate::outln!("{window}号窗口已暂停（{}）", r.label());
                    0
                }
                Err(e) => super::explained(&e),
            }
        }
        CallCmd::Resume { window, .. } => match st.set_window_paused(&who, *window, None) {
            Ok(()) => {
                crate::outln!("{window}号窗口已恢复");
                0
            }
            Err(e) => super::explained(&e),
        },
    }
}

pub fn rate(st: &mut Station, a: RateArgs) -> i32 {
    // A token or the status URL the receipt's QR code holds.
    let token = a.token.trim().rsplit('/').next().unwrap_or("").to_string();
    match st.rate(&token, a.level, a.reason.as_deref(), a.comment.as_deref(), crate::domain::rating::Channel::Qr) {
        Ok(r) => {
            if a.json {
                crate::outln!("{}", serde_json::to_value(&r).unwrap_or_default());
            } else {
                crate::outln!("{} {}：{}", r.key, r.level_label, r.reason.unwrap_or_default());
            }
            0
        }
        Err(e) => super::explained(&e),
    }
}
