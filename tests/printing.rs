//! Printing through a real CUPS (the test's own cupsd): a receipt counts as printed only
//! when CUPS reports the job completed; a stopped, held, slow or paperless queue leaves the
//! ticket valid, the job listed for reprint with why, and no stale job left in CUPS.

use crate::util::{kiosk_bin, stdout, Cups, TempStation};
use kiosk::printing::{PrintError, PrintOutcome};
use kiosk::service::Target;
use std::time::{Duration, Instant};

const AT: &str = "2026-11-28T10:00:00+08:00";

#[test]
#[ignore = "full suite (./test.sh): needs a CUPS scheduler (cupsd)"]
fn a_completed_job_is_printed() {
    let cups = Cups::start();
    let t = TempStation::with_cups(&cups, "ok", 10);
    let mut st = t.station_at(AT);
    let issued = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    assert_eq!(issued.printer_problem, None);
    let task = st.print_task(&issued).expect("task");
    assert_eq!(task.run(&st.clock), Ok(PrintOutcome::Printed));
    let jobs = st.print_jobs_for_ticket(issued.ticket.id).expect("jobs");
    assert_eq!((jobs[0].status.as_str(), jobs[0].attempts), ("printed", 1));
    let cups_job: String = crate::util::db(&t)
        .query_row("SELECT cups_job FROM print_jobs WHERE id = ?1", [jobs[0].id], |r| r.get(0))
        .expect("CUPS job recorded");
    assert!(cups.completed().contains(&cups_job), "{cups_job} completed: {}", cups.completed());
    assert!(st.unprinted_jobs().expect("unprinted").is_empty());
}

#[test]
#[ignore = "full suite (./test.sh): needs a CUPS scheduler (cupsd)"]
fn a_stopped_queue_is_seen_before_the_ticket_and_nothing_is_sent() {
    let cups = Cups::start();
    assert!(cups.cmd("/usr/sbin/cupsdisable", &["ok"]).status.success());
    let t = TempStation::with_cups(&cups, "ok", 10);
    let mut st = t.station_at(AT);
    let issued = st.take_ticket(&Target::Matter("C02".into()), false).expect("the ticket is still issued");
    let problem = issued.printer_problem.clone().expect("the stopped queue is seen");
    assert!(problem.contains("停用"), "{problem}");
    assert!(st.print_task(&issued).is_none(), "nothing goes to a stopped queue");
    let jobs = st.print_jobs_for_ticket(issued.ticket.id).expect("jobs");
    assert_eq!(jobs[0].status, "failed");
    assert!(jobs[0].error.as_deref().unwrap_or_default().contains("停用"), "{:?}", jobs[0].error);
    assert!(std::path::Path::new(&jobs[0].pdf_path).is_file(), "the PDF is kept for reprint");
    assert_eq!(st.unprinted_jobs().expect("unprinted").len(), 1);
    assert!(cups.not_completed().trim().is_empty() && cups.completed().trim().is_empty());

    // The command line says the same.
    let o = std::process::Command::new(kiosk_bin())
        .args(["--config-dir", t.config_dir().to_str().unwrap(), "--data-dir", t.data_dir().to_str().unwrap()])
        .args(["ticket", "take", "--matter", "A01", "--json"])
        .env("KIOSK_NOW", AT)
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["printed"], false);
    assert!(v["print_error"].as_str().unwrap_or_default().contains("停用"), "{v}");
}

#[test]
#[ignore = "full suite (./test.sh): needs a CUPS scheduler (cupsd)"]
fn a_held_job_is_cancelled_at_the_timeout_and_listed_for_reprint() {
    let cups = Cups::start();
    let t = TempStation::with_cups(&cups, "held", 2);
    let mut st = t.station_at(AT);
    let issued = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    let result = st.print_task(&issued).expect("task").run(&st.clock);
    assert!(
        matches!(&result, Err(PrintError::NotCompleted { secs: 2, state, .. }) if state.contains("挂起")),
        "{result:?}"
    );
    assert!(cups.not_completed().trim().is_empty(), "the held job was cancelled: {}", cups.not_completed());
    let jobs = st.unprinted_jobs().expect("unprinted");
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].error.as_deref().unwrap_or_default().contains("已取消"), "{:?}", jobs[0].error);
}

#[test]
#[ignore = "full suite (./test.sh): needs a CUPS scheduler (cupsd)"]
fn a_slow_printer_is_waited_for_up_to_the_timeout() {
    let cups = Cups::start();
    // Its backend takes 4 s: with 2 s it is cancelled, so it never prints late ...
    let t = TempStation::with_cups(&cups, "slow", 2);
    let mut st = t.station_at(AT);
    let issued = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    let result = st.print_task(&issued).expect("task").run(&st.clock);
    assert!(matches!(&result, Err(PrintError::NotCompleted { .. })), "{result:?}");
    assert!(cups.not_completed().trim().is_empty(), "{}", cups.not_completed());
    // ... with 10 s it is printed.
    let t = TempStation::with_cups(&cups, "slow", 10);
    let mut st = t.station_at(AT);
    let issued = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    assert_eq!(st.print_task(&issued).expect("task").run(&st.clock), Ok(PrintOutcome::Printed));
    // Printed means CUPS finished the job: none is left waiting or printing.
    assert!(
        cups.not_completed().trim().is_empty(),
        "completed only when the backend finished: {}",
        cups.not_completed()
    );
    assert!(!cups.completed().trim().is_empty());
}

#[test]
#[ignore = "full suite (./test.sh): needs a CUPS scheduler (cupsd)"]
fn a_printer_out_of_paper_fails_the_first_receipt_and_is_seen_before_the_next() {
    let cups = Cups::start();
    let t = TempStation::with_cups(&cups, "nopaper", 3);
    let mut st = t.station_at(AT);
    let first = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    let result = st.print_task(&first).expect("task").run(&st.clock);
    assert!(matches!(&result, Err(PrintError::NotCompleted { state, .. }) if state.contains("纸")), "{result:?}");
    assert!(cups.not_completed().trim().is_empty(), "{}", cups.not_completed());
    let second = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    assert!(second.printer_problem.as_deref().unwrap_or_default().contains("纸"), "{:?}", second.printer_problem);
    assert!(st.print_task(&second).is_none());
    assert_eq!(st.unprinted_jobs().expect("unprinted").len(), 2);
}

#[test]
#[ignore = "full suite (./test.sh): needs a CUPS scheduler (cupsd)"]
fn no_scheduler_and_no_queue_are_plain_reasons() {
    let cups = Cups::start();
    let t = TempStation::with_cups(&cups, "nosuchqueue", 3);
    let mut st = t.station_at(AT);
    let issued = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    assert!(issued.printer_problem.as_deref().unwrap_or_default().contains("没有名叫 nosuchqueue"), "{issued:?}");
    drop(cups);
    let issued = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    // cupsd down: lpstat says the queue does not exist; the words say the service is down.
    let problem = issued.printer_problem.clone().unwrap_or_default();
    assert!(problem.contains("打印服务（CUPS）没有运行") && !problem.contains("没有名叫"), "{problem}");
}

#[test]
#[ignore = "full suite (./test.sh): needs a CUPS scheduler (cupsd)"]
fn after_a_crash_the_waiting_job_is_cancelled_and_listed() {
    let cups = Cups::start();
    let t = TempStation::with_cups(&cups, "held", 5);
    let mut st = t.station_at(AT);
    let issued = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    // The process sent the receipt and died before CUPS answered.
    let pdf = issued.receipt.clone().expect("pdf");
    let o = cups.cmd("lp", &["-d", "held", pdf.to_str().expect("path")]);
    let cups_job = kiosk::printing::job_from_lp(&String::from_utf8_lossy(&o.stdout)).expect("queued");
    kiosk::storage::tickets::set_cups_job(&crate::util::db(&t), issued.job_id.expect("job"), &cups_job, st.clock.now())
        .expect("recorded");
    let part = pdf.with_extension("pdf.part");
    std::fs::write(&part, b"half").expect("a half-written receipt");
    // Restarted a minute later.
    let st = t.station_at("2026-11-28T10:01:00+08:00");
    let r = st.recover_prints().expect("recover");
    assert_eq!((r.parts_removed, r.jobs_failed, r.cups_cancelled), (1, 1, 1), "{r:?}");
    assert!(!part.exists());
    assert!(cups.not_completed().trim().is_empty(), "{}", cups.not_completed());
    let jobs = st.unprinted_jobs().expect("unprinted");
    assert!(jobs[0].error.as_deref().unwrap_or_default().contains("已取消"), "{:?}", jobs[0].error);
    // A job still young may belong to a process that is printing it: left alone.
    let mut st = t.station_at("2026-11-28T10:02:00+08:00");
    let young = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    assert_eq!(st.recover_prints().expect("recover").jobs_failed, 0);
    assert_eq!(st.print_jobs_for_ticket(young.ticket.id).expect("jobs")[0].status, "pending");
}

/// Waits until `f` holds, at most `secs` seconds.
fn until(secs: u64, what: &str, f: impl Fn() -> bool) {
    let started = Instant::now();
    while !f() {
        assert!(started.elapsed() < Duration::from_secs(secs), "{what}: not within {secs} s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The newest print job: (status, CUPS job, cancel still owed, error); empty before any.
fn job_row(t: &TempStation) -> (String, Option<String>, i64, Option<String>) {
    crate::util::db(t)
        .query_row("SELECT status, cups_job, cancel_wanted, error FROM print_jobs ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap_or_default()
}

#[test]
#[ignore = "full suite (./test.sh): needs a CUPS scheduler (cupsd)"]
fn a_job_left_by_a_killed_process_is_cancelled_at_once_not_printed_later() {
    // Issue 13: after a kill and a quick restart the job was too young for the start-up
    // recovery, stayed pending in CUPS and printed 35 s later for the wrong person.
    let cups = Cups::start();
    let t = TempStation::with_cups(&cups, "held", 60);
    let srv = crate::util::Serve::start(&t, Some(AT));
    let mut take = std::process::Command::new(kiosk_bin())
        .args(["--config-dir", t.config_dir().to_str().unwrap(), "--data-dir", t.data_dir().to_str().unwrap()])
        .args(["ticket", "take", "--matter", "A01", "--json"])
        .env("KIOSK_NOW", AT)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ticket take");
    until(20, "the receipt reached CUPS", || job_row(&t).1.is_some());
    let cups_job = job_row(&t).1.expect("CUPS job");
    assert!(cups.not_completed().contains(&cups_job), "held in CUPS: {}", cups.not_completed());
    take.kill().expect("kill the printing process");
    let _ = take.wait();
    // The running service sees the job's process gone and cancels it within seconds.
    until(15, "the job is failed and its CUPS job cancelled", || job_row(&t).0 == "failed");
    let (_, _, wanted, error) = job_row(&t);
    assert_eq!(wanted, 0);
    assert!(error.unwrap_or_default().contains("已取消"));
    assert!(cups.not_completed().trim().is_empty(), "{}", cups.not_completed());
    drop(srv);
}

#[test]
#[ignore = "full suite (./test.sh): needs a CUPS scheduler (cupsd)"]
fn a_cancel_cups_did_not_confirm_is_asked_again_until_it_is() {
    // Issue 13: a cancel that failed (cupsd down) was recorded as 已取消, and the receipt
    // came out when cupsd came back.
    let mut cups = Cups::start();
    let t = TempStation::with_cups(&cups, "held", 3);
    let mut st = t.station_at(AT);
    let issued = st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    let task = st.print_task(&issued).expect("task");
    let clock = st.clock;
    let printing = std::thread::spawn(move || task.run(&clock));
    until(20, "the receipt reached CUPS", || job_row(&t).1.is_some());
    let cups_job = job_row(&t).1.expect("CUPS job");
    cups.stop();
    let result = printing.join().expect("print thread");
    assert!(matches!(&result, Err(PrintError::NotCompleted { cancelled: false, .. })), "{result:?}");
    assert!(result.unwrap_err().to_string().contains("还没能取消"));
    let (status, _, wanted, _) = job_row(&t);
    assert_eq!((status.as_str(), wanted), ("failed", 1), "the cancel is still owed");
    // A reprint now could give a second copy: refused while the cancel is owed.
    crate::cases::add_staff(&st);
    let who = crate::cases::signed(&st, "001");
    let job = issued.job_id.expect("job");
    assert!(matches!(st.reprint(&who, job), Err(kiosk::service::DeskError::StillQueued(_))));
    cups.restart();
    // cupsd reloads its saved jobs as it starts; on a loaded machine give it a moment.
    until(20, "cupsd kept the job", || cups.not_completed().contains(&cups_job));
    // The running service asks again, and CUPS confirms.
    let srv = crate::util::Serve::start(&t, Some(AT));
    until(20, "the owed cancel is confirmed", || job_row(&t).2 == 0);
    assert!(cups.not_completed().trim().is_empty(), "{}", cups.not_completed());
    drop(srv);
}
