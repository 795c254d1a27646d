//! The holiday calendar imported by the station head: refusals (errors by line, a past or
//! far-off year, a staff member), the desk's warning from 1 November, and the due dates of
//! open cases counted past the old calendar recomputed and logged on each case.

use crate::cases::{add_staff, request, signed, PIN};
use crate::util::{stderr, stdout, TempStation};
use kiosk::domain::case::CaseState;

const NOW: &str = "2026-11-30T09:30:00+08:00"; // a Monday; 2027 is not in holidays.toml

/// A made-up 2027 (the real one is published by the State Council): New Year 1–3 January.
pub const Y2027: &str =
    "[[year]]\nyear = 2027\nholidays = [\"2027-01-01\", \"2027-01-02\", \"2027-01-03\"]\nworkdays = []\n";

#[test]
fn importing_next_year_recomputes_the_due_dates_counted_past_the_calendar() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    assert_eq!(st.holidays_missing(), Some(2027), "from 1 November the desk warns");
    assert!(st.holidays_notice().expect("notice").contains("还没有导入2027年的节假日安排"));
    assert_eq!(t.station_at("2026-10-31T09:00:00+08:00").holidays_missing(), None, "not before November");
    // G01 promises 30 working days: from Monday 30 November that is December's 23 and
    // seven of January 2027 — counted on weekends only, 11 January, flagged.
    let a = signed(&st, "001");
    let long = st.submit_case(&request("G01", &[])).expect("submit").case;
    let long = st.advance_case(&a, &long.tracking, CaseState::Accepted, "", None).expect("accept");
    assert_eq!((long.due_on.map(|d| d.to_string()), long.due_beyond_calendar), (Some("2027-01-11".into()), true));
    // C01 (15 days, 21 December) lies inside 2026: not touched.
    let short = st.submit_case(&request("C01", &[])).expect("submit").case;
    let short = st.advance_case(&a, &short.tracking, CaseState::Accepted, "", None).expect("accept");
    assert!(!short.due_beyond_calendar);
    // A case waiting for acceptance has a provisional due date, flagged too.
    let pending = st.submit_case(&request("G01", &[])).expect("submit").case;
    assert!(pending.due_beyond_calendar);

    let dir = tempfile::tempdir().expect("tmp");
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.display().to_string()
    };
    let import = |path: &str, staff: &str| {
        t.kiosk_stdin(NOW, &["holidays", "import", path, "--staff", staff, "--json"], &format!("{PIN}\n"))
    };
    // A file with errors: each named by line; nothing changes.
    let broken =
        file("broken.toml", "[[year]]\nyear = 2027\nholidays = [\"2027-02-30\"]\nworkdays = [\"2026-12-31\"]\n");
    let o = import(&broken, "003");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("broken.toml:3: year.holidays: “2027-02-30”不是日期"), "{}", stderr(&o));
    assert!(stderr(&o).contains("broken.toml:4: year.workdays: “2026-12-31”不在 2027 年里"), "{}", stderr(&o));
    // The wrong year: one gone by, one not yet published.
    let o = import(&file("old.toml", "[[year]]\nyear = 2025\nholidays = [\"2025-01-01\"]\n"), "003");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("old.toml:2: year.year: 2025年已经过去了：要导入的是2027年的安排"), "{}", stderr(&o));
    let o = import(&file("far.toml", "[[year]]\nyear = 2028\nholidays = [\"2028-01-01\"]\n"), "003");
    assert!(o.status.code() == Some(1) && stderr(&o).contains("2028年还早"), "{}", stderr(&o));
    // Staff, not the station head: refused.
    let good = file("2027.toml", Y2027);
    let o = import(&good, "001");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("站长"), "{}", stderr(&o));
    assert_eq!(t.station_at(NOW).holidays_missing(), Some(2027), "nothing changed");

    // The station head imports it: with 1–3 January off, the 30th working day is 12 January.
    let o = import(&good, "003");
    assert!(o.status.success(), "{}", stderr(&o));
    let out: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(out["years"][0]["year"], 2027);
    assert_eq!(out["years"][0]["holidays"], 3);
    let moved = out["recomputed"].as_array().expect("list");
    assert_eq!(moved.len(), 2, "the accepted and the pending G01, not C01: {out}");
    let st = t.station_at(NOW);
    assert_eq!(st.holidays_missing(), None);
    let long = st.find_case(&long.tracking).expect("find").expect("case");
    assert_eq!((long.due_on.map(|d| d.to_string()), long.due_beyond_calendar), (Some("2027-01-12".into()), false));
    let short2 = st.find_case(&short.tracking).expect("find").expect("case");
    assert_eq!(short2.due_on, short.due_on);
    // Each change is on its case's record, and the import in the audit trail.
    let db = crate::util::db(&t);
    let note: String = db
        .query_row("SELECT note FROM case_events WHERE case_id = ?1 AND kind = 'due-recomputed'", [long.id], |r| {
            r.get(0)
        })
        .expect("event");
    assert_eq!(note, "节假日安排更新，承诺办结日期 2027-01-11 → 2027-01-12");
    let n: i64 = db
        .query_row("SELECT count(*) FROM case_events WHERE kind = 'due-recomputed'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 2);
    let detail: String = db
        .query_row("SELECT detail FROM audit_events WHERE action = 'holidays-import' AND staff_no = '003'", [], |r| {
            r.get(0)
        })
        .expect("audit");
    assert!(detail.contains("2027年放假 3 天") && detail.contains("重算 2 件"), "{detail}");
    // Every process of the station counts with it; the list says where each year came from.
    let o = t.kiosk(NOW, &["holidays", "list"]);
    assert!(
        stdout(&o).contains("2026\t33 holidays")
            && stdout(&o).contains("2027\t3 holidays\t0 make-up workdays\timported")
    );
}
