//! `kiosk ticket take`: a ticket as the kiosk issues it, receipt and print included.

use super::TakeArgs;
use crate::service::{PrintOutcome, Station, Target, TicketError};

pub fn take(station: &mut Station, a: TakeArgs) -> i32 {
    let target = match (&a.matter, &a.category) {
        (Some(m), _) => Target::Matter(m.trim().to_uppercase()),
        (None, Some(c)) => Target::Category(c.trim().to_uppercase()),
        (None, None) => return 2,
    };
    let issued = match station.take_ticket(&target, a.priority) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return match e {
                TicketError::UnknownMatter(_) | TicketError::UnknownCategory(_) => 2,
                _ => 1,
            };
        }
    };
    let print = station.print_task(&issued).map(|t| t.run(&station.clock));
    let printed = matches!(print, Some(Ok(PrintOutcome::Printed)));
    let print_error = match (&print, &issued.receipt_error, &issued.printer_problem) {
        (Some(Err(e)), _, _) => Some(e.to_string()),
        (_, Some(e), _) | (_, _, Some(e)) => Some(e.clone()),
        _ => None,
    };
    let t = &issued.ticket;
    if a.json {
        let v = serde_json::json!({
            "number": t.number,
            "matter": t.matter_code.clone().unwrap_or_else(|| t.category.clone()),
            "matter_name": issued.what,
            "token": t.token,
            "ahead": t.ahead,
            "estimated_wait_min": t.estimated_wait_min,
            "receipt": issued.receipt.as_ref().map(|p| p.display().to_string()),
            "printed": printed,
            "priority": t.priority,
            "status_url": issued.status_url,
            "print_error": print_error,
            "closed_notice": station.closed_notice(),
        });
        crate::outln!("{v}");
    } else {
        crate::outln!(
            "{}  {}  前面还有 {} 人，预计等候约 {} 分钟",
            t.number,
            issued.what,
            t.ahead,
            t.estimated_wait_min
        );
        match &issued.receipt {
            Some(p) => crate::outln!("receipt: {}", p.display()),
            None => crate::outln!("receipt: not written"),
        }
        crate::outln!("printed: {printed}");
        if let Some(n) = station.closed_notice() {
            crate::outln!("{n}");
        }
        if let Some(e) = print_error {
            eprintln!("warning: the ticket is valid but its receipt was not printed: {e}");
        }
    }
    0
}
