//! The township link at the station (issue 15, first part): everything the town must hear
//! of is in the outbox, written in the same transaction as the change whichever process
//! made it, in order, with nothing personal in it; `kiosk sync status` tells what waits.

use crate::cases::{add_staff, request, signed};
use crate::util::{db, stdout, TempStation};
use kiosk::domain::calling::CallAction;
use kiosk::service::Target;

const NOW: &str = "2026-11-30T09:30:00+08:00";

fn outbox(t: &TempStation) -> Vec<(i64, String, serde_json::Value)> {
    let c = db(t);
    let mut stmt = c.prepare("SELECT seq, kind, body FROM outbox ORDER BY seq").expect("prepare");
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
        .expect("query");
    rows.map(|r| {
        let (seq, kind, body) = r.expect("row");
        (seq, kind, serde_json::from_str(&body).expect("json"))
    })
    .collect()
}

fn status(t: &TempStation) -> serde_json::Value {
    let o = t.kiosk(NOW, &["sync", "status", "--json"]);
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    serde_json::from_str(stdout(&o).trim()).expect("json")
}

#[test]
fn every_change_the_town_needs_is_in_the_outbox_in_order_and_nothing_personal() {
    let t = TempStation::new();
    assert_eq!(status(&t), serde_json::json!({"connected": false, "outbox_pending": 0, "catalogue_version": 1}));

    // A ticket from the command line and one through the service; called, started,
    // finished and rated; a 呼叫工作人员 pressed and answered; a case submitted.
    let o = t.kiosk(NOW, &["ticket", "take", "--matter", "C02", "--json"]);
    assert!(o.status.success());
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let who = signed(&st, "001");
    let second = st.take_ticket(&Target::Matter("A01".into()), true).expect("ticket");
    let called = st.call_next(&who, 1).expect("call").ticket.number;
    assert_eq!(called, second.ticket.number, "priority first");
    st.call_action(&who, 1, &called, CallAction::Start).expect("start");
    st.call_action(&who, 1, &called, CallAction::Finish).expect("finish");
    st.rate(&second.ticket.token, 1, Some("attitude"), Some("打13812345678没人接"), "phone").expect("rate");
    let help = st.call_for_help("matter").expect("help");
    assert!(st.answer_help(&who, help).expect("answer"));
    let case = st.submit_case(&request("C01", &[])).expect("case").case;

    let events = outbox(&t);
    let kinds: Vec<&str> = events.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "ticket.taken",
            "ticket.taken",
            "ticket.called",
            "ticket.started",
            "ticket.finished",
            "rating",
            "help.pressed",
            "help.handled"
        ],
        "{events:#?}"
    );
    let seqs: Vec<i64> = events.iter().map(|e| e.0).collect();
    assert_eq!(seqs, (1..=8).collect::<Vec<_>>(), "gapless, in the order things happened");
    let called_ev = &events[2].2;
    assert_eq!(called_ev["number"], serde_json::json!(called));
    assert_eq!(called_ev["window"], serde_json::json!(1));
    assert_eq!(called_ev["staff"], serde_json::json!("001"));
    assert_eq!(events[5].2["level"], serde_json::json!(1));
    assert_eq!(events[5].2["reason"], serde_json::json!("工作人员态度不好"));

    // Nothing personal: no ID number, phone or name, not the villager's own words.
    let all = events.iter().map(|e| e.2.to_string()).collect::<String>();
    for secret in [case.id_number.as_str(), case.phone.as_str(), "13812345678", "没人接", "张三丰"] {
        assert!(!all.contains(secret), "{secret:?} went into the outbox: {all}");
    }
    assert_eq!(status(&t)["outbox_pending"], serde_json::json!(8));

    // A change that is rolled back leaves no event: the outbox row is in its transaction.
    {
        let mut c = db(&t);
        let tx = c.transaction().expect("tx");
        tx.execute("INSERT INTO help_requests (requested_at, screen) VALUES ('2026-11-30T01:40:00Z', 'home')", [])
            .expect("insert");
        drop(tx);
    }
    assert_eq!(outbox(&t).len(), 8, "the rolled-back press has no event");

    // Sent events are no longer pending.
    st.outbox_sent(1).expect("sent");
    st.outbox_sent(2).expect("sent");
    assert_eq!(st.outbox_unsent(100).expect("unsent").first().map(|e| e.seq), Some(3));
    assert_eq!(status(&t)["outbox_pending"], serde_json::json!(6));
}

/// The heartbeat carries what the town's overview watches: software and list version,
/// events waiting, free disk, the printer and receipts not printed, the last backup and
/// the last purge (the town reads the clock offset from its `at`).
#[test]
fn the_heartbeat_says_what_the_town_watches() {
    let t = TempStation::new();
    let before = t.station_at(NOW).heartbeat().expect("heartbeat");
    assert!(before["last_backup"].is_null() && before["last_purge"].is_null(), "{before}");
    let o = t.kiosk(NOW, &["backup"]);
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    let o = t.kiosk(NOW, &["purge"]);
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    let b = t.station_at(NOW).heartbeat().expect("heartbeat");
    for key in [
        "at",
        "version",
        "catalogue_version",
        "outbox_pending",
        "free_disk_mb",
        "printer_state",
        "unprinted",
        "last_backup",
        "last_purge",
    ] {
        assert!(!b[key].is_null(), "{key} missing: {b}");
    }
    assert_eq!(b["version"], env!("CARGO_PKG_VERSION"));
    assert!(b["free_disk_mb"].as_i64().is_some_and(|m| m > 0), "{b}");
    // The purge is on the audit trail too, where the heartbeat reads it.
    let n: i64 =
        db(&t).query_row("SELECT count(*) FROM audit_events WHERE action = 'purge'", [], |r| r.get(0)).expect("q");
    assert_eq!(n, 1);
}
