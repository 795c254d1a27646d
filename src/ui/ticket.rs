//! Priority question, taking the ticket, and following its print job.
//!
//! The ticket is committed before anything is printed; the print runs on its own thread
//! (a jammed printer must not freeze the screen) and reports back through a channel
//! polled by a timer. Whatever happens to the paper, the number on screen stays valid.

use super::{reset, show_ticket_page, toast, AppWindow, Page, PrintState, PriorityAdapter, Shared, TicketAdapter};
use crate::service::{Issued, PrintError, PrintOutcome, Target};
use slint::ComponentHandle;
use std::sync::mpsc;
use std::time::Duration;

pub fn clear_adapter(app: &AppWindow) {
    let t = app.global::<TicketAdapter>();
    t.set_number("".into());
    t.set_what("".into());
    t.set_ahead(0);
    t.set_priority(false);
    t.set_closed_notice("".into());
}

fn parse_target(arg: &str) -> Option<Target> {
    match arg.split_once(':') {
        Some(("M", code)) => Some(Target::Matter(code.to_string())),
        Some(("C", code)) => Some(Target::Category(code.to_string())),
        _ => None,
    }
}

pub fn show_priority(app: &AppWindow, state: &Shared, arg: &str) {
    let mut s = state.borrow_mut();
    let target = parse_target(arg);
    let catalog = &s.station.cfg.catalog;
    let what = match &target {
        Some(Target::Matter(code)) => catalog.matter(code).map(|m| m.name.clone()),
        Some(Target::Category(code)) => catalog.category(code).map(|c| tr!("{}类事项", c.name)),
        None => None,
    }
    .unwrap_or_default();
    s.session.target = target;
    app.global::<PriorityAdapter>().set_what(what.into());
}

/// The message under the number, in plain words, for each print outcome.
pub fn print_message(state: PrintState, number: &str) -> String {
    match state {
        PrintState::Printing => tr!("正在打印号票，请稍候……").to_string(),
        PrintState::Printed => tr!("号票已打印，请从下方出票口取走。").to_string(),
        PrintState::SpoolOnly => {
            tr!("本机不打印号票，请记住您的号码 {}，听到叫号请到窗口。", number)
        }
        PrintState::Failed => {
            tr!("打印机暂时无法出票，请记住您的号码 {}，或联系工作人员", number)
        }
    }
}

fn set_print_state(app: &AppWindow, state: PrintState) {
    let t = app.global::<TicketAdapter>();
    let number = t.get_number();
    t.set_print_state(state);
    t.set_print_message(print_message(state, &number).into());
}

fn take(app: &AppWindow, state: &Shared, priority: bool) {
    let target = state.borrow().session.target.clone();
    let Some(target) = target else {
        super::navigate(app, state, Page::Home, "");
        return;
    };
    let result = {
        let mut s = state.borrow_mut();
        let helper = s.assist.clone();
        s.station.take_ticket_helped(&target, priority, helper.as_ref())
    };
    let issued: Issued = match result {
        Ok(i) => i,
        Err(e) => {
            let sorry = tr!("暂时无法取号，请到窗口找工作人员，我们马上为您办理。");
            if let Some(why) = super::failure::refusal_or_toast(app, "ticket not issued", &e, sorry) {
                // The screen has no field to put it at: the refusal is the toast.
                toast(app, &tr!("{}。请到窗口找工作人员。", why));
            }
            return;
        }
    };
    let t = app.global::<TicketAdapter>();
    t.set_number(issued.ticket.number.clone().into());
    t.set_what(issued.what.clone().into());
    t.set_priority(issued.ticket.priority);
    t.set_ahead(issued.ticket.ahead as i32);
    t.set_closed_notice(crate::lang::sentence(&state.borrow().station.closed_notice().unwrap_or_default()).into());
    t.set_wait_text(if issued.ticket.ahead == 0 {
        tr!("马上就到您").into()
    } else {
        tr!("约 {} 分钟", issued.ticket.estimated_wait_min).into()
    });
    let task = state.borrow().station.print_task(&issued);
    match task {
        None => set_print_state(app, PrintState::Failed),
        Some(task) if task.printer.name.is_none() => {
            // No printer: record the job as spooled right away.
            let clock = state.borrow().station.clock;
            let _ = task.run(&clock);
            set_print_state(app, PrintState::SpoolOnly);
        }
        Some(task) => {
            set_print_state(app, PrintState::Printing);
            let (tx, rx) = mpsc::channel();
            let clock = state.borrow().station.clock;
            std::thread::spawn(move || {
                let _ = tx.send(task.run(&clock));
            });
            state.borrow_mut().print_rx = Some((super::PrintTarget::Ticket, rx));
        }
    }
    {
        let mut s = state.borrow_mut();
        s.last_ticket = Some(issued);
        s.session.no_way_back();
    }
    show_ticket_page(app, state);
}

/// Checks the print thread's answer; runs on a short timer.
pub fn poll(app: &AppWindow, state: &Shared) {
    let (target, outcome): (super::PrintTarget, Option<Result<PrintOutcome, PrintError>>) = {
        let s = state.borrow();
        match &s.print_rx {
            Some((target, rx)) => match rx.try_recv() {
                Ok(r) => (*target, Some(r)),
                Err(mpsc::TryRecvError::Empty) => return,
                Err(mpsc::TryRecvError::Disconnected) => (
                    *target,
                    Some(Err(PrintError::NotRunnable { command: "print thread".into(), reason: "stopped".into() })),
                ),
            },
            None => return,
        }
    };
    state.borrow_mut().print_rx = None;
    if target == super::PrintTarget::Case {
        let tracking = app.global::<super::CaseFormAdapter>().get_tracking();
        let o = match outcome {
            Some(Ok(PrintOutcome::Printed)) => Ok(true),
            Some(Ok(PrintOutcome::SpoolOnly)) => Ok(false),
            _ => Err(()),
        };
        super::case::set_print(app, o, &tracking);
        return;
    }
    let st = match outcome {
        Some(Ok(PrintOutcome::Printed)) => PrintState::Printed,
        Some(Ok(PrintOutcome::SpoolOnly)) => PrintState::SpoolOnly,
        _ => PrintState::Failed,
    };
    set_print_state(app, st);
}

pub fn start_print_poll(app: &AppWindow, state: &Shared) -> slint::Timer {
    let (w, s) = (app.as_weak(), state.clone());
    let timer = slint::Timer::default();
    timer.start(slint::TimerMode::Repeated, Duration::from_millis(100), move || {
        let Some(app) = w.upgrade() else { return };
        poll(&app, &s);
        super::case::poll_card(&app, &s);
    });
    timer
}

pub fn wire(app: &AppWindow, state: &Shared) {
    let (w, s) = (app.as_weak(), state.clone());
    app.global::<PriorityAdapter>().on_choose(move |priority| {
        let Some(app) = w.upgrade() else { return };
        take(&app, &s, priority);
    });
    let (w, s) = (app.as_weak(), state.clone());
    app.global::<TicketAdapter>().on_done(move || {
        let Some(app) = w.upgrade() else { return };
        reset(&app, &s);
    });
}
