//! Printing through a real command: a failing or hanging printer leaves the ticket valid,
//! recorded as unprinted with its error, and the PDF kept for reprint.

use crate::util::TempStation;
use kiosk::printing::{PrintError, PrintOutcome};
use kiosk::service::Target;

#[test]
fn failing_printer_keeps_ticket_valid_and_unprinted() {
    let t =
        TempStation::with_printer_script("#!/bin/sh\necho 'lp: Printer \"receipt\" is not connected' >&2\nexit 1\n");
    let mut st = t.station_at("2026-11-28T10:00:00+08:00");
    let issued = st.take_ticket(&Target::Matter("C02".into()), false).expect("ticket");
    let task = st.print_task(&issued).expect("print task");
    let result = task.run(&st.clock);
    assert!(matches!(result, Err(PrintError::Failed { .. })), "{result:?}");

    let stored = st.ticket_today("C001").expect("query").expect("ticket stored");
    assert_eq!(stored.status.key(), "waiting", "the ticket stays valid");
    let jobs = st.print_jobs_for_ticket(stored.id).expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, "failed");
    assert!(jobs[0].error.as_deref().unwrap_or_default().contains("not connected"), "{:?}", jobs[0].error);
    assert!(std::path::Path::new(&jobs[0].pdf_path).is_file(), "PDF kept for reprint");
    assert_eq!(st.unprinted_jobs().expect("unprinted").len(), 1);
}

#[test]
fn hanging_printer_times_out() {
    let t = TempStation::with_printer_script("#!/bin/sh\nexec sleep 30\n");
    let mut st = t.station_at("2026-11-28T10:00:00+08:00");
    let issued = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    let started = std::time::Instant::now();
    let result = st.print_task(&issued).expect("task").run(&st.clock);
    assert!(matches!(result, Err(PrintError::TimedOut { secs: 2, .. })), "{result:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let jobs = st.print_jobs_for_ticket(issued.ticket.id).expect("jobs");
    assert_eq!(jobs[0].status, "failed");
}

#[test]
fn working_printer_is_recorded_printed() {
    let t = TempStation::with_printer_script(
        "#!/bin/sh\n[ -f \"$5\" ] || exit 3\necho \"request id is receipt-1 (1 file(s))\"\n",
    );
    let mut st = t.station_at("2026-11-28T10:00:00+08:00");
    let issued = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    assert_eq!(st.print_task(&issued).expect("task").run(&st.clock), Ok(PrintOutcome::Printed));
    let jobs = st.print_jobs_for_ticket(issued.ticket.id).expect("jobs");
    assert_eq!(jobs[0].status, "printed");
    assert!(st.unprinted_jobs().expect("unprinted").is_empty());
}
