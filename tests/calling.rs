//! Calling tickets to the windows: order, window categories, transfers keeping their
//! place, caps on 重呼 and 回呼, events, ratings, and no ticket called twice when two
//! processes call at once.

use crate::cases::{add_staff, signed};
use crate::util::{stderr, stdout, TempStation};
use kiosk::domain::calling::{CallAction, PauseReason, TicketStatus};
use kiosk::service::{CallError, Signed, Station, Target, TransferTo, Unstarted};
use std::collections::HashSet;

const NOW: &str = "2026-11-30T09:00:00+08:00";

/// A station whose window 1 serves 人社 (A) and 医保 (B), window 2 民政 (C) only, and
/// window 3 everything.
pub fn windows_toml() -> String {
    let shipped = kiosk::config::SHIPPED_STATION;
    let start = shipped.find("[[window]]").expect("windows in the template");
    let end = shipped[start..].find("\n# 办公时间").map(|i| start + i).expect("end of windows");
    format!(
        "{}[[window]]\nnumber = 1\nname = \"1号窗口\"\ncategories = [\"A\", \"B\"]\n\n[[window]]\nnumber = 2\nname = \"2号窗口\"\ncategories = [\"C\"]\n\n[[window]]\nnumber = 3\nname = \"3号窗口\"\n{}",
        &shipped[..start],
        &shipped[end..]
    )
}

fn take(st: &mut Station, code: &str, priority: bool) -> String {
    st.take_ticket(&Target::Matter(code.into()), priority).expect("ticket").ticket.number
}

fn next(st: &mut Station, who: &Signed, window: u32) -> String {
    st.call_next(who, window).expect("call next").ticket.number
}

#[test]
fn priority_first_then_first_come_within_window_categories() {
    let t = TempStation::with_station_toml(&windows_toml());
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let a = signed(&st, "001");
    for (code, prio) in
        [("A01", false), ("C02", false), ("A04", false), ("C01", true), ("B01", false), ("A02", true), ("C05", false)]
    {
        take(&mut st, code, prio);
    }
    // Window 1 (A, B): the priority A ticket first, then A001, A002, B001 by issue order.
    let w1: Vec<String> = (0..4).map(|_| next(&mut st, &a, 1)).collect();
    assert_eq!(w1, ["A003", "A001", "A002", "B001"]);
    assert!(matches!(st.call_next(&a, 1), Err(CallError::NoneWaiting)), "nothing left for window 1");
    // Window 2 (C): the priority C ticket, then C001, C003.
    let w2: Vec<String> = (0..3).map(|_| next(&mut st, &a, 2)).collect();
    assert_eq!(w2, ["C002", "C001", "C003"]);
    // Calling the next over a ticket called and never started does not count it as
    // served (issue 13): it is 过号, and can be called back.
    let a3 = st.ticket_today("A003").expect("q").expect("A003");
    assert_eq!(a3.status, TicketStatus::NoShow);
    assert!(matches!(st.call_next(&a, 9), Err(CallError::NoWindow(9, _))));
}

#[test]
fn transfer_keeps_the_original_place() {
    let t = TempStation::with_station_toml(&windows_toml());
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let a = signed(&st, "001");
    take(&mut st, "A01", false); // A001
    take(&mut st, "C01", false); // C001
    take(&mut st, "A02", false); // A002
    take(&mut st, "C02", false); // C002
    assert_eq!(next(&mut st, &a, 1), "A001");
    // A001 really belongs to 民政: moved to category C it goes before C001 (issued later).
    let moved = st.transfer(&a, 1, "A001", TransferTo::Category("C".into())).expect("transfer");
    assert_eq!(moved.ticket.status, TicketStatus::Waiting);
    assert_eq!(moved.ticket.category, "C");
    assert_eq!(next(&mut st, &a, 2), "A001", "kept its place ahead of C001");
    // 转窗口: only that window calls it, still in its place.
    st.transfer(&a, 2, "A001", TransferTo::Window(3)).expect("to window 3");
    assert_eq!(next(&mut st, &a, 2), "C001", "window 2 no longer sees A001");
    assert_eq!(next(&mut st, &a, 3), "A001");
    assert!(matches!(st.transfer(&a, 3, "A001", TransferTo::Window(7)), Err(CallError::NoWindow(7, _))));
    assert!(matches!(st.transfer(&a, 3, "A001", TransferTo::Category("Q".into())), Err(CallError::NoCategory(_))));
}

#[test]
fn recall_and_callback_caps_and_the_no_show_list() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let (a, b) = (signed(&st, "001"), signed(&st, "002"));
    take(&mut st, "C01", false);
    take(&mut st, "C02", false);
    assert_eq!(next(&mut st, &a, 1), "C001");
    for n in 1..=3 {
        let r = st.call_action(&a, 1, "C001", CallAction::Recall).expect("recall");
        assert_eq!(r.ticket.recalls, n);
    }
    let e = st.call_action(&a, 1, "C001", CallAction::Recall).unwrap_err();
    assert_eq!(e.to_string(), "C001 已重呼3次，请按“过号”");
    // Another window cannot finish window 1's ticket.
    assert!(matches!(
        st.call_action(&b, 2, "C001", CallAction::Finish),
        Err(CallError::Refused(kiosk::domain::calling::Refusal::OtherWindow { window: 1, .. }))
    ));
    st.call_action(&a, 1, "C001", CallAction::NoShow).expect("no-show");
    assert_eq!(next(&mut st, &a, 1), "C002", "the queue moves on");
    let desk = st.desk_view(1).expect("desk");
    assert_eq!(desk.no_shows.iter().map(|t| t.number.as_str()).collect::<Vec<_>>(), ["C001"]);
    // 回呼 brings it back to a window (once), and C002 is finished on the way.
    let back = st.call_action(&b, 2, "C001", CallAction::Callback).expect("callback");
    assert_eq!((back.ticket.status, back.ticket.window, back.ticket.recalls), (TicketStatus::Called, Some(2), 0));
    st.call_action(&b, 2, "C001", CallAction::NoShow).expect("no-show again");
    let e = st.call_action(&b, 2, "C001", CallAction::Callback).unwrap_err();
    assert!(e.to_string().contains("不能再回呼"), "{e}");
    // Illegal moves say what is allowed.
    let e = st.call_action(&a, 1, "C002", CallAction::Callback).unwrap_err();
    assert!(e.to_string().contains("现在可以：重呼、过号、开始办理、办结、转窗口/转类别"), "{e}");
    st.call_action(&a, 1, "C002", CallAction::Start).expect("start");
    let done = st.call_action(&a, 1, "C002", CallAction::Finish).expect("finish");
    assert_eq!(done.ticket.status, TicketStatus::Served);
    assert!(st.call_action(&a, 1, "C002", CallAction::Finish).is_err(), "the same button twice changes nothing");
    assert!(matches!(st.call_action(&a, 1, "C999", CallAction::Start), Err(CallError::NotFound(_))));

    // Every action is an event with its staff member and window, and events cannot change.
    let db = crate::util::db(&t);
    let kinds: Vec<(String, String, u32)> = db
        .prepare(
            "SELECT e.kind, e.staff_no, e.window_no FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
             WHERE t.number = 'C001' ORDER BY e.id",
        )
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let expected = [
        ("called", "001", 1),
        ("recalled", "001", 1),
        ("recalled", "001", 1),
        ("recalled", "001", 1),
        ("no_show", "001", 1),
        ("callback", "002", 2),
        ("no_show", "002", 2),
    ];
    assert_eq!(kinds, expected.map(|(k, s, w)| (k.to_string(), s.to_string(), w)));
    assert!(db.execute("UPDATE ticket_events SET kind = 'x'", []).is_err());
    assert!(db.execute("DELETE FROM ticket_events", []).is_err());
}

#[test]
fn paused_windows_do_not_call() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let a = signed(&st, "001");
    take(&mut st, "C01", false);
    st.set_window_paused(&a, 1, Some(PauseReason::Lunch)).expect("pause");
    assert!(matches!(st.call_next(&a, 1), Err(CallError::Paused(1))));
    let shown = &st.snapshot().expect("snap").display.windows[0];
    assert_eq!((shown.state, shown.pause_reason.as_deref()), ("paused", Some("午休")), "暂停服务（午休）");
    assert!(matches!(st.call_chosen(&a, 1, "C001", "老人行动不便", &Unstarted::Ask), Err(CallError::Paused(1))));
    st.set_window_paused(&a, 1, None).expect("resume");
    assert_eq!(next(&mut st, &a, 1), "C001");
    assert_eq!(st.snapshot().expect("snap").display.windows[0].pause_reason, None);
}

#[test]
fn a_chosen_ticket_out_of_turn_with_its_reason_on_record_and_in_the_report() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let a = signed(&st, "001");
    for _ in 0..3 {
        take(&mut st, "C01", false);
    }
    assert!(matches!(st.call_chosen(&a, 1, "C003", "  ", &Unstarted::Ask), Err(CallError::NoReason)));
    let c = st.call_chosen(&a, 1, "c003", "老人行动不便", &Unstarted::Ask).expect("pick");
    assert_eq!((c.ticket.number.as_str(), c.ticket.status), ("C003", TicketStatus::Called));
    // The window's ticket was called and never started: asked, as 叫下一位 asks.
    assert!(matches!(st.call_chosen(&a, 1, "C002", "材料已预审", &Unstarted::Ask), Err(CallError::Unstarted(_))));
    assert!(matches!(
        st.call_chosen(&a, 1, "C003", "材料已预审", &Unstarted::NoShow(None)),
        Err(CallError::NotWaiting(..))
    ));
    // 叫下一位 goes on in order.
    assert_eq!(next(&mut st, &a, 1), "C001");
    let db = rusqlite::Connection::open(t.data_dir().join("kiosk.db")).expect("db");
    let (action, subject, detail): (String, String, String) = db
        .query_row("SELECT action, subject, detail FROM audit_events WHERE action = 'call-out-of-turn'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("audit row");
    assert_eq!(
        (action.as_str(), subject.as_str(), detail.as_str()),
        ("call-out-of-turn", "C003 → 1号窗口", "老人行动不便")
    );
    let note: String = db
        .query_row("SELECT note FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = 'C003' AND kind = 'called'", [], |r| r.get(0))
        .expect("event");
    assert!(note.contains("老人行动不便"), "{note}");
    let day = st.clock.today();
    let (r, _) = st.report(day, day).expect("report");
    assert_eq!(r.by_staff["001"].time.out_of_turn, 1);
}

#[test]
fn one_priority_ticket_after_every_n_from_station_toml() {
    let toml = kiosk::config::SHIPPED_STATION
        .replace("priority = \"strict\"", "priority = \"every\"")
        .replace("priority-every = 3", "priority-every = 2");
    let t = TempStation::with_station_toml(&toml);
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let a = signed(&st, "001");
    for prio in [false, false, false, true, true, false] {
        take(&mut st, "C01", prio);
    }
    // The first priority ticket goes at once, then two normal ones before the next.
    let order: Vec<String> = (0..6).map(|_| next(&mut st, &a, 1)).collect();
    assert_eq!(order, ["C004", "C001", "C002", "C005", "C003", "C006"]);
}

#[test]
fn tickets_still_waiting_at_closing_time_are_closed_as_expired() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let a = signed(&st, "001");
    take(&mut st, "C01", false);
    let left = st.take_ticket(&Target::Matter("C01".into()), false).expect("t").ticket;
    next(&mut st, &a, 1);
    assert!(st.expire_waiting().expect("sweep").is_empty(), "open: nothing closes");
    // 17:31, after the last session (14:00-17:30).
    let mut st = t.station_at("2026-11-30T17:31:00+08:00");
    assert_eq!(st.expire_waiting().expect("sweep"), ["C002"]);
    let t2 = st.ticket_today("C002").expect("q").expect("C002");
    assert_eq!(t2.status, TicketStatus::Cancelled);
    assert!(t2.expired_at.is_some());
    let snap = st.snapshot().expect("snap");
    let v = st.ticket_view(&snap, &t2).expect("view");
    assert!(v.state_text.contains("到下班时间还没有叫到"), "{}", v.state_text);
    assert!(v.expired);
    assert_eq!(left.number, "C002");
    let day = st.clock.today();
    let (r, _) = st.report(day, day).expect("report");
    assert_eq!(r.all.expired, 1);
    assert!(st.expire_waiting().expect("again").is_empty(), "once");
}

#[test]
fn live_views_show_the_call_without_personal_data() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let a = signed(&st, "001");
    let first = st.take_ticket(&Target::Matter("C02".into()), false).expect("t").ticket;
    let second = st.take_ticket(&Target::Matter("C01".into()), false).expect("t").ticket;
    let snap = st.snapshot().expect("snapshot");
    let v = st.ticket_view(&snap, &second).expect("view");
    assert_eq!((v.state_text.as_str(), v.ahead), ("等候中", Some(1)));
    assert!(v.materials.iter().any(|m| m.name.contains("身份证")), "{:?}", v.materials);
    next(&mut st, &a, 1);
    let snap = st.snapshot().expect("snapshot");
    let v = st.ticket_view(&snap, snap.ticket(&first.token).expect("today")).expect("view");
    assert_eq!(v.state_text, "请到 1 号窗口");
    let v = st.ticket_view(&snap, snap.ticket(&second.token).expect("today")).expect("view");
    assert_eq!(v.ahead, Some(0));
    let d = &snap.display;
    assert_eq!(d.calls[0].text, "请 C001 号 到 1 号窗口");
    assert_eq!(d.windows[0].serving.as_deref(), Some("C001"));
    assert_eq!(d.waiting.iter().map(|w| w.count).sum::<u32>(), 1);
    let json = serde_json::to_string(d).expect("json");
    assert!(!json.contains("张") && !json.contains("李"), "no names on the display: {json}");
}

#[test]
fn ratings_once_with_reasons_for_bad_ones() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let a = signed(&st, "001");
    let tk = st.take_ticket(&Target::Matter("C02".into()), false).expect("t").ticket;
    assert!(st.rate(&tk.token, 5, None, None, kiosk::domain::rating::Channel::Qr).is_err(), "not finished yet");
    next(&mut st, &a, 1);
    assert!(st.pad_offer(1).expect("pad").is_none(), "the pad waits for 办结");
    st.call_action(&a, 1, &tk.number, CallAction::Finish).expect("finish");
    let offer = st.pad_offer(1).expect("pad").expect("the five buttons");
    assert_eq!(offer.number, tk.number);
    // Only from window 1's paired pad (issue 13: any device could post a 差评).
    let head = signed(&st, "003");
    let pad = st.pair_pad(&head, 1, None).expect("paired");
    let other = st.pair_pad(&head, 2, None).expect("paired");
    assert!(matches!(
        st.rate_from_pad(1, &other, offer.offer, 5, None, None),
        Err(kiosk::service::RateError::NotPaired)
    ));
    assert!(matches!(
        st.rate_from_pad(1, "notatoken", offer.offer, 5, None, None),
        Err(kiosk::service::RateError::NotPaired)
    ));
    assert!(st.rate_from_pad(1, &pad, offer.offer + 1, 5, None, None).is_err(), "only the ticket the pad shows");
    assert!(st.rate_from_pad(1, &pad, offer.offer, 2, None, None).is_err(), "不满意 needs a reason");
    let r = st.rate_from_pad(1, &pad, offer.offer, 2, Some("wait"), None).expect("rated");
    assert_eq!((r.level_label, r.reason.as_deref(), r.flagged), ("不满意", Some("等候时间太长"), true));
    assert_eq!((r.staff.as_deref(), r.window), (Some("001"), Some(1)));
    assert!(st.pad_offer(1).expect("pad").is_none(), "rated: the pad goes quiet");
    assert!(matches!(
        st.rate(&tk.token, 5, None, None, kiosk::domain::rating::Channel::Qr),
        Err(kiosk::service::RateError::AlreadyRated)
    ));
    assert_eq!(st.desk_view(1).expect("desk").bad_ratings.len(), 1, "flagged for follow-up");
    // Thirty seconds later the pad no longer offers anything.
    let tk2 = st.take_ticket(&Target::Matter("C01".into()), false).expect("t").ticket;
    next(&mut st, &a, 1);
    st.call_action(&a, 1, &tk2.number, CallAction::Finish).expect("finish");
    let later = t.station_at("2026-11-30T09:00:31+08:00");
    assert!(later.pad_offer(1).expect("pad").is_none());
}

/// Not a test on its own: the body each concurrent process runs (50 calls at one window).
#[test]
fn worker_call_50() {
    let (Ok(dir), Ok(window), Ok(out)) = (
        std::env::var("KIOSK_TEST_CALL_DIR"),
        std::env::var("KIOSK_TEST_CALL_WINDOW"),
        std::env::var("KIOSK_TEST_CALL_OUT"),
    ) else {
        return;
    };
    let t = TempStation::at(std::path::PathBuf::from(dir));
    let mut st = t.station_at(NOW);
    let who = signed(&st, "001");
    let window: u32 = window.parse().expect("window");
    let mut got = Vec::new();
    for _ in 0..50 {
        got.push(st.call_next(&who, window).expect("call next").ticket.number);
    }
    std::fs::write(out, got.join("\n")).expect("write");
}

#[test]
fn two_processes_calling_at_once_never_get_the_same_ticket() {
    let t = TempStation::new();
    {
        let mut st = t.station_at(NOW);
        add_staff(&st);
        for i in 0..100 {
            take(&mut st, if i % 2 == 0 { "A01" } else { "C01" }, i % 7 == 0);
        }
    }
    let me = std::env::current_exe().expect("test binary");
    let children: Vec<(std::process::Child, std::path::PathBuf)> = (1..=2)
        .map(|w| {
            let out = t.dir.path().join(format!("calls-{w}.txt"));
            let child = std::process::Command::new(&me)
                .args(["--exact", "calling::worker_call_50", "--nocapture"])
                .env("KIOSK_TEST_CALL_DIR", t.dir.path())
                .env("KIOSK_TEST_CALL_WINDOW", w.to_string())
                .env("KIOSK_TEST_CALL_OUT", &out)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn worker");
            (child, out)
        })
        .collect();
    let mut all = Vec::new();
    for (mut c, out) in children {
        assert!(c.wait().expect("wait").success(), "worker failed");
        all.extend(std::fs::read_to_string(out).expect("calls").lines().map(str::to_string).collect::<Vec<_>>());
    }
    assert_eq!(all.len(), 100);
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), 100, "a ticket was called twice: {all:?}");
    let db = crate::util::db(&t);
    let calls: i64 =
        db.query_row("SELECT count(*) FROM ticket_events WHERE kind = 'called'", [], |r| r.get(0)).expect("count");
    assert_eq!(calls, 100, "exactly one call event per ticket");
}

#[test]
fn call_and_rate_command_line_contract() {
    let t = TempStation::new();
    {
        let st = t.station_at(NOW);
        add_staff(&st);
    }
    let pin = format!("{}\n", crate::cases::PIN);
    let o = t.kiosk_stdin(NOW, &["call", "next", "--window", "1", "--staff", "001", "--json"], &pin);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("no one waiting"));
    let o = t.kiosk(NOW, &["ticket", "take", "--matter", "C02", "--priority", "--json"]);
    let issued: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    let o = t.kiosk_stdin(NOW, &["call", "next", "--window", "1", "--staff", "001", "--json"], "000000\n");
    assert_eq!(o.status.code(), Some(2), "a wrong PIN acts on nothing");
    let o = t.kiosk_stdin(NOW, &["call", "next", "--window", "1", "--staff", "001", "--json"], &pin);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    for key in ["number", "matter", "window", "token", "priority"] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(
        (v["number"].as_str(), v["matter"].as_str(), v["window"].as_u64()),
        (Some("C001"), Some("C02"), Some(1))
    );
    assert_eq!((v["token"].clone(), v["priority"].as_bool()), (issued["token"].clone(), Some(true)));
    let call = |args: &[&str]| {
        let mut a = vec!["call"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--staff", "001", "--json"]);
        t.kiosk_stdin(NOW, &a, &pin)
    };
    assert!(call(&["recall", "--number", "C001", "--window", "1"]).status.success());
    let o = call(&["callback", "--number", "C001", "--window", "1"]);
    assert_eq!(o.status.code(), Some(2), "not allowed in this state");
    assert!(stderr(&o).contains("不能回呼"), "{}", stderr(&o));
    assert!(call(&["start", "--number", "C001", "--window", "1"]).status.success());
    let o = call(&["transfer", "--number", "C001", "--to-category", "A"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = call(&["next", "--window", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = call(&["finish", "--number", "C001", "--window", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = call(&["no-show", "--number", "C001", "--window", "2"]);
    assert_eq!(o.status.code(), Some(2));

    let token = issued["token"].as_str().expect("token");
    let o = t.kiosk(NOW, &["rate", "--token", token, "--level", "1", "--json"]);
    assert_eq!(o.status.code(), Some(2), "非常不满意 needs a reason");
    let o = t.kiosk(NOW, &["rate", "--token", token, "--level", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!((r["level"].as_u64(), r["level_label"].as_str()), (Some(5), Some("非常满意")));
    let o = t.kiosk(NOW, &["rate", "--token", token, "--level", "4", "--json"]);
    assert_eq!(o.status.code(), Some(2), "one rating per ticket");
    let o = t.kiosk(NOW, &["rate", "--token", "aaaaaaaaaaaaaaaaaaaaaaaaaa", "--level", "4"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn estimates_follow_measured_service_times_once_there_are_enough() {
    let t = TempStation::new();
    add_staff(&t.station_at("2026-11-23T08:00:00+08:00"));
    // Monday: twelve 民政 services of 20 minutes each (the config guesses 12).
    for i in 0..12 {
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-23T08:30:00+08:00").expect("t")
            + chrono::Duration::minutes(25 * i);
        let at = |m: i64| (start + chrono::Duration::minutes(m)).to_rfc3339();
        let mut st = t.station_at(&at(0));
        let a = signed(&st, "001");
        let n = st.take_ticket(&Target::Matter("C01".into()), false).expect("t").ticket.number;
        st.call_next(&a, 1).expect("call");
        st.call_action(&a, 1, &n, CallAction::Start).expect("start");
        let mut later = t.station_at(&at(20));
        later.call_action(&a, 1, &n, CallAction::Finish).expect("finish");
        if i == 8 {
            // Nine services so far: not enough to trust, the configured minutes still count.
            assert_eq!(later.service_times().minutes_for("C"), 12);
        }
    }
    // Tuesday: two people wait for 民政; with two windows the third waits 20 minutes.
    let mut st = t.station_at("2026-11-24T09:00:00+08:00");
    assert_eq!(st.service_times().minutes_for("C"), 20, "measured");
    assert_eq!(st.service_times().minutes_for("A"), 8, "not measured: the configured default");
    for _ in 0..2 {
        st.take_ticket(&Target::Matter("C01".into()), false).expect("t");
    }
    let third = st.take_ticket(&Target::Matter("C02".into()), false).expect("t").ticket;
    assert_eq!((third.ahead, third.estimated_wait_min), (2, 20));
}

/// Issue 18: what a rating carries, the phone's path (`kiosk rate`, channel qr) with words
/// that are not a code kept under 其他, a paper form typed in at the desk, and the monthly
/// export in CSV (Excel, BOM) and JSON Lines, each row with the station's area code.
#[test]
fn ratings_carry_what_the_rules_ask_and_export_by_month() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let a = signed(&st, "001");
    let first = st.take_ticket(&Target::Matter("C02".into()), false).expect("t").ticket;
    let second = st.take_ticket(&Target::Matter("C01".into()), false).expect("t").ticket;
    for n in ["C001", "C002"] {
        st.call_next(&a, 1).expect("call");
        st.call_action(&a, 1, n, CallAction::Finish).expect("finish");
    }
    drop(st);
    let o = t.kiosk(
        NOW,
        &["rate", "--token", &first.token, "--level", "2", "--reason", "门口没有坡道，电话13912345678", "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!((r["channel"].as_str(), r["reasons"][0].as_str()), (Some("qr"), Some("other")));
    let st = t.station_at(NOW);
    let paper = st.rate_on_paper(&a, &second.number, 1, &["wait", "attitude"], Some("等了一上午")).expect("paper");
    assert_eq!((paper.channel, paper.reasons.clone()), ("paper", vec!["wait".to_string(), "attitude".to_string()]));
    assert!(matches!(st.rate_on_paper(&a, &second.number, 5, &[], None), Err(kiosk::service::RateError::AlreadyRated)));
    assert!(matches!(st.rate_on_paper(&a, "Z999", 5, &[], None), Err(kiosk::service::RateError::NotFound)));
    drop(st);

    let dir = tempfile::tempdir().expect("dir");
    let jsonl = dir.path().join("ratings.jsonl");
    let o = t.kiosk(
        NOW,
        &[
            "ratings",
            "export",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "jsonl",
            "--out",
            jsonl.to_str().expect("utf8"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&jsonl).expect("jsonl");
    let rows: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("one object a line")).collect();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        for key in ["level", "channel", "matter", "staff", "window", "rated_at", "reasons", "area_code"] {
            assert!(r.get(key).is_some(), "missing {key}: {r}");
        }
        assert_eq!(r["area_code"].as_str(), Some("130110100201"));
        assert!(r["reasons"].is_array());
    }
    assert_eq!(
        (rows[0]["level"].as_u64(), rows[0]["channel"].as_str(), rows[0]["matter"].as_str(), rows[0]["staff"].as_str()),
        (Some(2), Some("qr"), Some("C02"), Some("001"))
    );
    assert_eq!(rows[0]["window"].as_u64(), Some(1));
    let comment = rows[0]["comment"].as_str().expect("comment");
    assert!(comment.contains("门口没有坡道") && !comment.contains("13912345678"), "masked: {comment}");
    assert!(rows[0]["served_at"].as_str().is_some_and(|s| s.starts_with("2026-11-30T09:00")), "{}", rows[0]);
    assert_eq!((rows[1]["channel"].as_str(), rows[1]["entered_by"].as_str()), (Some("paper"), Some("001")));
    assert_eq!(rows[1]["reasons"], serde_json::json!(["wait", "attitude"]));
    // What goes up to the town: the codes, the list's version, the matter, the channel,
    // whether it came on paper; never the words.
    let ups: Vec<String> = {
        let db = rusqlite::Connection::open(t.data_dir().join("kiosk.db")).expect("db");
        let mut q = db.prepare("SELECT body FROM outbox WHERE kind = 'rating' ORDER BY seq").expect("q");
        let rows = q.query_map([], |r| r.get::<_, String>(0)).expect("rows");
        rows.map(|r| r.expect("row")).collect()
    };
    assert_eq!(ups.len(), 2);
    let up: serde_json::Value = serde_json::from_str(&ups[1]).expect("json");
    assert_eq!(up["reasons"], serde_json::json!(["wait", "attitude"]));
    assert_eq!(
        (up["paper"].as_bool(), up["matter"].as_str(), up["reasons_version"].as_i64()),
        (Some(true), Some("C01"), Some(0))
    );
    assert!(ups.iter().all(|b| !b.contains("门口") && !b.contains("等了一上午")), "no words go up: {ups:?}");
    // The phone's number never reached the store.
    let db = rusqlite::Connection::open(t.data_dir().join("kiosk.db")).expect("db");
    let n: i64 =
        db.query_row("SELECT count(*) FROM ratings WHERE comment LIKE '%13912345678%'", [], |r| r.get(0)).expect("q");
    assert_eq!(n, 0);

    let csv = dir.path().join("ratings.csv");
    let o = t.kiosk(
        NOW,
        &[
            "ratings",
            "export",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
            "--out",
            csv.to_str().expect("utf8"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&csv).expect("csv");
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a byte-order mark, so Excel reads UTF-8");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf8");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("评价编号,统计用区划代码,服务站,评价渠道,满意度(1-5)"), "{}", lines[0]);
    assert!(
        lines[1].contains(",\"=\"\"130110100201\"\"\",新集镇南刘庄村综合服务站,二维码,2,不满意,C02,"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains(",书面,1,非常不满意,") && lines[2].contains("wait;attitude"), "{}", lines[2]);
    let o = t.kiosk(
        NOW,
        &["ratings", "export", "--from", "2026-12-01", "--to", "2026-11-01", "--format", "csv", "--out", "x.csv"],
    );
    assert_eq!(o.status.code(), Some(2));
}

/// `[calling] at-closing = "keep"`: tickets still waiting at closing go to the next
/// working day, are called first in its first hour, and are 过期 after it; the next day's
/// numbers go on after them; the phone says so plainly.
#[test]
fn kept_tickets_are_called_first_the_next_working_day_then_expire() {
    let toml = kiosk::config::SHIPPED_STATION.replace("at-closing = \"expire\"", "at-closing = \"keep\"");
    let t = TempStation::with_station_toml(&toml);
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let a = signed(&st, "001");
    for _ in 0..3 {
        take(&mut st, "C01", false);
    }
    next(&mut st, &a, 1);
    drop(st);
    // Monday 17:31: C002 and C003 are kept for Tuesday.
    let mut st = t.station_at("2026-11-30T17:31:00+08:00");
    assert!(st.expire_waiting().expect("sweep").is_empty(), "kept, not closed");
    let db = rusqlite::Connection::open(t.data_dir().join("kiosk.db")).expect("db");
    let (token, day): (String, String) = db
        .query_row("SELECT token, day FROM tickets WHERE number = 'C002'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("C002");
    assert_eq!(day, "2026-12-01");
    let Some(kiosk::service::RatingTarget::Ticket(kept)) = st.rating_target(&token).expect("q") else {
        panic!("C002 kept")
    };
    assert!(kept.kept_until.is_some());
    // What goes up to the town moves the same ticket to its new day.
    let body: String = db
        .query_row("SELECT body FROM outbox WHERE kind = 'ticket.kept' ORDER BY seq LIMIT 1", [], |r| r.get(0))
        .expect("kept event in the outbox");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!((v["day"].as_str(), v["from_day"].as_str()), (Some("2026-12-01"), Some("2026-11-30")));
    let snap = st.snapshot().expect("snap");
    let v = st.ticket_view(&snap, &kept).expect("view");
    assert!(v.state_text.contains("留到") && v.state_text.contains("12月"), "{}", v.state_text);
    assert_eq!(v.ahead, None);
    drop(st);
    // Tuesday 08:40: a new ticket goes on after the kept numbers; the kept ones go first.
    let mut st = t.station_at("2026-12-01T08:40:00+08:00");
    let a = signed(&st, "001");
    assert_eq!(take(&mut st, "C01", false), "C004");
    assert_eq!(next(&mut st, &a, 1), "C002");
    drop(st);
    // 09:31, the first hour over: C003, never called, is 过期; C004 waits on.
    let mut st = t.station_at("2026-12-01T09:31:00+08:00");
    assert_eq!(st.expire_waiting().expect("sweep"), ["C003"]);
    let c4 = st.ticket_today("C004").expect("q").expect("C004");
    assert_eq!(c4.status, TicketStatus::Waiting);
    // The report counts both: two kept from Monday (one of them 过期 on Tuesday).
    let (r, _) = st.report("2026-11-30".parse().expect("d"), "2026-12-01".parse().expect("d")).expect("report");
    assert_eq!((r.all.kept, r.all.expired), (2, 1));
}

/// 帮办 (issue 17): a rating of a ticket taken with a staff member's help at the kiosk is
/// the villager's, marked with the helper so the export and the report tell it apart.
#[test]
fn a_rating_of_a_helped_ticket_is_told_apart() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let helper = st.assist_begin("002", crate::cases::PIN).expect("帮办 starts");
    let a = signed(&st, "001");
    let helped = st.take_ticket_helped(&Target::Matter("C02".into()), false, Some(&helper)).expect("t").ticket;
    let plain = st.take_ticket(&Target::Matter("C02".into()), false).expect("t").ticket;
    for tk in [&helped, &plain] {
        next(&mut st, &a, 1);
        st.call_action(&a, 1, &tk.number, CallAction::Finish).expect("finish");
    }
    st.rate(&helped.token, 2, Some("wait"), None, kiosk::domain::rating::Channel::Qr).expect("rated");
    st.rate(&plain.token, 5, None, None, kiosk::domain::rating::Channel::Qr).expect("rated");
    let day = st.clock.today();
    let rows = st.ratings_export(day, day).expect("export");
    let by = |n: &str| rows.iter().find(|r| r.ticket.as_deref().is_some_and(|x| x.ends_with(n))).cloned().unwrap();
    assert_eq!(by(&helped.number).assisted_by.as_deref(), Some("002"));
    assert_eq!(by(&plain.number).assisted_by, None);
    let jsonl = String::from_utf8(st.ratings_jsonl(day, day).expect("jsonl")).unwrap();
    assert!(jsonl.contains("\"assisted_by\":\"002\""), "{jsonl}");
    let csv = String::from_utf8(st.ratings_csv(day, day).expect("csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with("帮办人"), "{csv}");
    let report = String::from_utf8(st.report_csv(day, day).expect("report")).unwrap();
    let line = report.lines().find(|l| l.starts_with("其中帮办")).expect("the report's 帮办 row");
    assert_eq!(line, "其中帮办,0,0,0,1,0,1,0.0%", "one 不满意 of a helped ticket");
    // The mark goes up to the town with the rating (the staff number only).
    let db = crate::util::db(&t);
    let marks: Vec<Option<String>> = db
        .prepare("SELECT json_extract(body, '$.assisted_by') FROM outbox WHERE kind = 'rating' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(marks, vec![Some("002".to_string()), None]);
}
