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
    st.rate(&second.ticket.token, 1, Some("attitude"), Some("打13812345678没人接"), kiosk::domain::rating::Channel::Qr)
        .expect("rate");
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
    for key in
        ["at", "version", "outbox_pending", "free_disk_mb", "printer_state", "unprinted", "last_backup", "last_purge"]
    {
        assert!(!b[key].is_null(), "{key} missing: {b}");
    }
    assert_eq!(b["version"], env!("CARGO_PKG_VERSION"));
    // By the town's numbers: none of the town's lists applied yet (the station's own list).
    assert!(b.get("catalogue_version").is_some_and(|v| v.is_null()), "{b}");
    assert!(b["free_disk_mb"].as_i64().is_some_and(|m| m > 0), "{b}");
    // The purge is on the audit trail too, where the heartbeat reads it.
    let n: i64 =
        db(&t).query_row("SELECT count(*) FROM audit_events WHERE action = 'purge'", [], |r| r.get(0)).expect("q");
    assert_eq!(n, 1);
}

/// The rest of what a station's desk does goes up too (issue 15, §2): 重呼, 过号, both
/// kinds of 转 (saying where the ticket went), a 差评's follow-up assigned and done, and a
/// receipt that did not print — each in the outbox, in order, with nothing personal.
#[test]
fn recalls_no_shows_transfers_follow_ups_and_print_failures_are_in_the_outbox() {
    use kiosk::service::TransferTo;
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let (who, head) = (signed(&st, "001"), signed(&st, "003"));
    for code in ["A01", "C01", "C02", "B01"] {
        st.take_ticket(&Target::Matter(code.into()), false).expect("ticket");
    }
    let first = st.call_next(&who, 1).expect("call").ticket.number;
    st.call_action(&who, 1, &first, CallAction::Recall).expect("recall");
    st.call_action(&who, 1, &first, CallAction::NoShow).expect("no-show");
    let second = st.call_next(&who, 1).expect("call").ticket;
    st.transfer(&who, 1, &second.number, TransferTo::Window(2)).expect("to window 2");
    let third = st.call_next(&who, 1).expect("call").ticket;
    let other = if third.category == "A" { "C" } else { "A" };
    st.transfer(&who, 1, &third.number, TransferTo::Category(other.into())).expect("to another category");
    // Window 2 serves the ticket sent to it; the villager gives a 差评 with a phone number
    // in their own words; the head assigns it, 001 puts it right.
    let served = st.call_next(&who, 2).expect("call").ticket;
    assert_eq!(served.number, second.number, "the ticket sent to window 2 is called there");
    st.call_action(&who, 2, &served.number, CallAction::Start).expect("start");
    st.call_action(&who, 2, &served.number, CallAction::Finish).expect("finish");
    st.rate(
        &served.token,
        2,
        Some("wait"),
        Some("等了一上午，打13812345678也没人接"),
        kiosk::domain::rating::Channel::Qr,
    )
    .expect("rate");
    let f = st.followups(&head).expect("followups").into_iter().next().expect("the 差评 to follow up");
    st.assign_followup(&head, f.id, f.version, "001").expect("assign");
    st.record_followup(&who, f.id, f.version + 1, "已向张大爷道歉，增开一个窗口").expect("done");

    let events = outbox(&t);
    let seqs: Vec<i64> = events.iter().map(|e| e.0).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>(), "gapless");
    let of = |kind: &str| events.iter().filter(|e| e.1 == kind).map(|e| e.2.clone()).collect::<Vec<_>>();
    let recalled = of("ticket.recalled");
    assert_eq!(recalled.len(), 1, "{events:#?}");
    assert_eq!((&recalled[0]["number"], &recalled[0]["window"]), (&serde_json::json!(first), &serde_json::json!(1)));
    assert_eq!(recalled[0]["staff"], "001");
    let no_show = of("ticket.no_show");
    assert_eq!(no_show.len(), 1, "{events:#?}");
    assert_eq!(no_show[0]["number"], serde_json::json!(first));
    let moved = of("ticket.transferred");
    assert_eq!(moved.len(), 2, "{events:#?}");
    assert_eq!(moved[0]["number"], serde_json::json!(second.number));
    assert_eq!((&moved[0]["to_window"], &moved[0]["window"]), (&serde_json::json!(2), &serde_json::json!(1)));
    assert_eq!(moved[1]["number"], serde_json::json!(third.number));
    assert_eq!(moved[1]["to_category"], other, "{:?}", moved[1]);
    assert!(moved[1]["to_window"].is_null(), "a move to a category names no window: {:?}", moved[1]);
    let rating = of("rating");
    assert_eq!((rating.len(), &rating[0]["level"]), (1, &serde_json::json!(2)));
    let steps = of("followup");
    let assigned = steps.iter().find(|b| b["assignee"] == "001" && b["done_at"].is_null());
    assert!(assigned.is_some_and(|b| b["assigned_by"] == "003" && b["rating"] == rating[0]["id"]), "{steps:#?}");
    let done = steps.last().expect("the follow-up's last step");
    assert!(done["done_at"].is_string() && done["done_by"] == "001", "{steps:#?}");
    // In the order things happened: the follow-up after the rating, the rating after the
    // ticket it rates was finished.
    let at = |kind: &str| events.iter().position(|e| e.1 == kind).expect("kind");
    assert!(at("ticket.recalled") < at("ticket.no_show") && at("ticket.no_show") < at("ticket.transferred"));
    assert!(at("ticket.finished") < at("rating") && at("rating") < at("followup"));

    // A receipt that does not print (a queue on a CUPS that is not there): its failure
    // goes up with the printer's words, for a ticket and for a 代办 receipt alike.
    let p = TempStation::with_station_toml(
        &kiosk::config::SHIPPED_STATION
            .replacen("name = \"\"\n# 打印命令", "name = \"nosuch\"\n# 打印命令", 1)
            .replace("server = \"\"", "server = \"/nonexistent/cups.sock\""),
    );
    let mut ps = p.station_at(NOW);
    let issued = ps.take_ticket(&Target::Matter("C02".into()), false).expect("the ticket is still issued");
    assert!(issued.printer_problem.is_some(), "the missing printer is seen");
    let case = ps.submit_case(&request("C01", &[])).expect("case").case;
    let pe = outbox(&p);
    let failed: Vec<_> = pe.iter().filter(|e| e.1 == "print.failed").collect();
    assert!(!failed.is_empty(), "{pe:#?}");
    assert!(failed.iter().all(|e| e.2["printer"] == "nosuch" && e.2["error"].as_str().is_some_and(|w| !w.is_empty())));
    assert!(pe.iter().position(|e| e.1 == "ticket.taken") < pe.iter().position(|e| e.1 == "print.failed"));

    // Nothing personal in either outbox: no ID, phone or name, not the villager's words,
    // not the text of what was put right.
    let all = events.iter().chain(&pe).map(|e| e.2.to_string()).collect::<String>();
    for secret in
        [case.id_number.as_str(), case.phone.as_str(), "13812345678", "一上午", "张大爷", "增开", "张三丰", "张三"]
    {
        assert!(!all.contains(secret), "{secret:?} went into the outbox: {all}");
    }
}
