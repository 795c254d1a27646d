//! Ticket numbers: per category, priority order, daily reset, and no collisions across
//! processes.

use crate::util::TempStation;
use kiosk::service::Target;
use kiosk::storage::{self, tickets};
use std::collections::HashSet;

fn take(st: &mut kiosk::service::Station, code: &str, priority: bool) -> kiosk::domain::ticket::Ticket {
    st.take_ticket(&Target::Matter(code.into()), priority).expect("ticket").ticket
}

#[test]
fn sequence_per_category() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-28T09:00:00+08:00");
    let got: Vec<String> =
        ["C02", "C01", "A01", "C02", "A04", "J01"].iter().map(|c| take(&mut st, c, false).number).collect();
    assert_eq!(got, ["C001", "C002", "A001", "C003", "A002", "J001"]);
    let cat = st.take_ticket(&Target::Category("C".into()), false).expect("category ticket");
    assert_eq!(cat.ticket.number, "C004");
    assert_eq!(cat.ticket.matter_code, None);
}

#[test]
fn priority_tickets_go_first() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-28T09:00:00+08:00");
    let n1 = take(&mut st, "C02", false);
    let n2 = take(&mut st, "A01", false);
    let p1 = take(&mut st, "D01", true);
    let n3 = take(&mut st, "C01", false);
    let p2 = take(&mut st, "A04", true);
    assert_eq!((n1.ahead, n2.ahead, p1.ahead, n3.ahead, p2.ahead), (0, 1, 0, 3, 1));
    // The estimate follows the people ahead: 3 ahead of n3 (C 12 + A 8 + D 8 = 28 min, 2 windows).
    assert_eq!(n3.estimated_wait_min, 14);
    let order: Vec<String> = st.waiting_today().expect("queue").into_iter().map(|t| t.number).collect();
    assert_eq!(order, ["D001", "A002", "C001", "A001", "C002"]);
}

#[test]
fn numbers_restart_at_local_midnight() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-28T23:59:00+08:00");
    assert_eq!(take(&mut st, "C02", false).number, "C001");
    assert_eq!(take(&mut st, "C02", false).number, "C002");
    // 16:30 UTC is 00:30 the next day in Shanghai: a new day, a new series.
    let mut st = t.station_at("2026-11-28T16:30:00Z");
    let first = take(&mut st, "C02", false);
    assert_eq!(first.number, "C001");
    assert_eq!(first.day.to_string(), "2026-11-29");
    assert_eq!(first.ahead, 0, "yesterday's waiting tickets are not ahead of today's");
    let mut st = t.station_at("2026-11-29T08:00:00+08:00");
    assert_eq!(take(&mut st, "C02", false).number, "C002");
}

/// Not a test on its own: the body each of the concurrent processes runs.
#[test]
fn worker_issue_100() {
    let (Ok(db), Ok(out)) = (std::env::var("KIOSK_TEST_WORKER_DB"), std::env::var("KIOSK_TEST_WORKER_OUT")) else {
        return;
    };
    let mut numbers = Vec::new();
    let mut conn = storage::open(std::path::Path::new(&db)).expect("open");
    let day: chrono::NaiveDate = "2026-11-28".parse().expect("day");
    let times =
        kiosk::domain::ticket::ServiceTimes { default_minutes: 8, per_category: Default::default(), windows: 1 };
    for i in 0..100 {
        let new = tickets::NewTicket {
            day,
            prefix: "A".into(),
            category: "A".into(),
            matter_code: Some("A01".into()),
            matter_name: "x".into(),
            priority: false,
            issued_at: chrono::Utc::now(),
            token: format!("{}-{i}", std::process::id()),
            catalog_version: 1,
            assisted_by: None,
        };
        let (t, _) = tickets::issue(&mut conn, &new, &times, &[], Default::default(), &[]).expect("issue");
        numbers.push(t.number);
    }
    std::fs::write(out, numbers.join("\n")).expect("write numbers");
}

#[test]
fn four_processes_issuing_at_once_never_collide() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("kiosk.db");
    drop(storage::open(&db).expect("create"));
    let exe = std::env::current_exe().expect("test exe");
    let children: Vec<_> = (0..4)
        .map(|i| {
            let out = dir.path().join(format!("worker-{i}.txt"));
            let child = std::process::Command::new(&exe)
                .args(["--exact", "numbering::worker_issue_100", "--test-threads=1"])
                .env("KIOSK_TEST_WORKER_DB", &db)
                .env("KIOSK_TEST_WORKER_OUT", &out)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn worker");
            (child, out)
        })
        .collect();
    let mut all = Vec::new();
    for (mut c, out) in children {
        assert!(c.wait().expect("worker").success(), "worker failed");
        let text = std::fs::read_to_string(&out).expect("worker output");
        let mine: Vec<String> = text.lines().map(str::to_string).collect();
        assert_eq!(mine.len(), 100, "each worker issues 100");
        all.extend(mine);
    }
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 400);
    assert_eq!(distinct.len(), 400, "every number distinct");
    let expected: HashSet<String> = (1..=400).map(|i| format!("A{i:03}")).collect();
    assert_eq!(distinct.into_iter().cloned().collect::<HashSet<_>>(), expected, "no gaps either");
}
