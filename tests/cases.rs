//! 全程代办 end to end on the real store and PDFs: submission, receipts without unmasked
//! personal data, AB routing, the state machine with its clock, the public view, and
//! all-or-nothing submission.

use crate::util::{decode_qr, pdf_text, TempStation};
use kiosk::domain::case::CaseState;
use kiosk::service::LocalAdmin;
use kiosk::service::{AdvanceError, CaseRequest, Signed, Station, SubmitError};

pub const ID: &str = "130110194503150138";
pub const PHONE: &str = "13812345678";

pub fn request(matter: &str, missing: &[&str]) -> CaseRequest {
    CaseRequest {
        matter: matter.into(),
        phone: PHONE.into(),
        phone2: Some("0311-88881234".into()),
        id_number: ID.into(),
        name: Some("张三".into()),
        missing: missing.iter().map(|s| s.to_string()).collect(),
    }
}

pub const PIN: &str = "246813";

/// Adds 001 张三丰, 002 李四 and 003 王五 (admin), each with the PIN [`PIN`].
pub fn add_staff(st: &Station) {
    for (no, name, role) in [("001", "张三丰", "staff"), ("002", "李四", "staff"), ("003", "王五", "admin")] {
        st.admin_add_staff(&LocalAdmin::on_this_box(), no, name, role, Some(PIN)).expect("add");
    }
}

/// Signs in as `no` with the test PIN.
pub fn signed(st: &Station, no: &str) -> Signed {
    st.sign_in(no, PIN).unwrap_or_else(|e| panic!("sign in {no}: {e}"))
}

fn assert_no_personal_data(text: &str) {
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for secret in [ID, PHONE, "88881234", "张三"] {
        assert!(!flat.contains(secret), "paper shows {secret:?} unmasked:\n{text}");
    }
}

#[test]
#[ignore = "full suite (./test.sh): needs pdftotext"]
fn submission_prints_masked_receipt_and_authorization() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-27T10:00:00+08:00");
    let sub = st.submit_case(&request("C01", &["户口簿"])).expect("submit");
    assert_eq!(sub.case.tracking, "D-261127-001");
    assert_eq!(sub.case.state, CaseState::Pending);
    // Fri 11-27 + 15 working days (no holidays in between): Fri 12-18.
    assert_eq!(sub.case.due_on.map(|d| d.to_string()).as_deref(), Some("2026-12-18"));

    let receipt = sub.receipt.clone().expect("receipt");
    let text = pdf_text(&receipt);
    for needle in [
        "代办受理回执",
        "D-261127-001",
        "高龄津贴申请",
        "130***********0138",
        "138****5678",
        "张*",
        "户口簿",
        "还需补交",
        "2026年12月18日",
    ] {
        assert!(text.contains(needle), "receipt lacks {needle:?}:\n{text}");
    }
    assert_no_personal_data(&text);
    let scratch = tempfile::tempdir().expect("tmp");
    assert_eq!(decode_qr(&receipt, scratch.path()), vec![sub.status_url.clone()]);
    assert!(sub.status_url.ends_with(&format!("/c/{}", sub.case.token)));

    let auth = sub.authorization.clone().expect("C01 needs a signed authorisation");
    let text = pdf_text(&auth);
    assert!(text.contains("委") && text.contains("签字或按手印") && text.contains("高龄津贴申请"), "{text}");
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with(['。', '，', '、', '）'])),
        "no line starts with closing punctuation:\n{text}"
    );
    assert_no_personal_data(&text);

    // A second request the same day gets the next code.
    let sub2 = st.submit_case(&request("A01", &[])).expect("submit");
    assert_eq!(sub2.case.tracking, "D-261127-002");
}

#[test]
fn bad_requests_are_refused_before_anything_is_stored() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-27T10:00:00+08:00");
    let mut r = request("C01", &[]);
    r.id_number = "130110194503150130".into();
    let e = st.submit_case(&r).unwrap_err();
    assert!(matches!(e, SubmitError::Id(_)));
    assert!(e.to_string().contains("最后一位应为8"), "{e}");
    let mut r = request("C01", &[]);
    r.phone = "1381234567".into();
    assert!(st.submit_case(&r).unwrap_err().to_string().contains("手机号应为11位"));
    assert!(
        matches!(st.submit_case(&request("J01", &[])), Err(SubmitError::NotCarried(..))),
        "当场办结 matters are not 代办"
    );
    assert!(matches!(st.submit_case(&request("C01", &["不存在的材料"])), Err(SubmitError::UnknownMaterial(..))));
    // A name that would read backwards on the desk (a right-to-left override).
    let mut r = request("C01", &[]);
    r.name = Some("王\u{202E}五".into());
    assert!(matches!(st.submit_case(&r), Err(SubmitError::Name)));
    // +860-1234567 is no phone number.
    let mut r = request("C01", &[]);
    r.phone = "+860-1234567".into();
    assert!(matches!(st.submit_case(&r), Err(SubmitError::Phone(_))));
    assert!(st.open_cases().expect("list").is_empty());
    // A staff note is bounded, and has no hidden characters, like every stored field.
    add_staff(&st);
    let a = signed(&st, "001");
    let c = st.submit_case(&request("C01", &[])).expect("submit").case;
    let long = "很".repeat(201);
    for note in [long.as_str(), "报\u{202E}送"] {
        let e = st.advance_case(&a, &c.tracking, kiosk::domain::case::CaseState::Rejected, note, None).unwrap_err();
        assert!(matches!(e, kiosk::service::AdvanceError::BadNote), "{e}");
    }
}

#[test]
fn crash_mid_submission_leaves_no_half_case() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-27T10:00:00+08:00");
    // Make the second write of the submission (its first event) fail, as a crash or a full
    // disk would between the two statements.
    let db = crate::util::db(&t);
    db.execute_batch("CREATE TRIGGER boom BEFORE INSERT ON case_events BEGIN SELECT RAISE(ABORT, 'disk full'); END;")
        .expect("trigger");
    assert!(st.submit_case(&request("C01", &[])).is_err());
    let n: i64 = db.query_row("SELECT count(*) FROM cases", [], |r| r.get(0)).expect("count");
    assert_eq!(n, 0, "no case without its event");
    let c: i64 = db.query_row("SELECT count(*) FROM case_counters", [], |r| r.get(0)).expect("count");
    assert_eq!(c, 0, "the tracking serial was not used up");
    db.execute_batch("DROP TRIGGER boom").expect("drop");
    assert_eq!(st.submit_case(&request("C01", &[])).expect("submit").case.tracking, "D-261127-001");
}

#[test]
fn ab_routing_when_a_is_away() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-27T10:00:00+08:00");
    add_staff(&st);
    st.admin_set_post(&LocalAdmin::on_this_box(), "C", "001", Some("002")).expect("post");
    st.admin_set_post(&LocalAdmin::on_this_box(), "C02", "003", Some("001")).expect("post");
    assert_eq!(st.submit_case(&request("C01", &[])).expect("s").case.assignee.as_deref(), Some("001"));
    assert_eq!(
        st.submit_case(&request("C02", &[])).expect("s").case.assignee.as_deref(),
        Some("003"),
        "matter post wins"
    );
    st.admin_set_away(&LocalAdmin::on_this_box(), "001", st.clock.today(), true).expect("away");
    let c = st.submit_case(&request("C01", &[])).expect("s").case;
    assert_eq!(c.assignee.as_deref(), Some("002"), "B covers when A is away");
    assert!(!c.uncovered);
    st.admin_set_away(&LocalAdmin::on_this_box(), "002", st.clock.today(), true).expect("away");
    let c = st.submit_case(&request("C01", &[])).expect("s").case;
    assert!(c.uncovered, "both away is flagged, never an empty post");
    // On-duty names on the kiosk are masked.
    assert_eq!(st.on_duty_masked(), "王*");
    let moved =
        st.reassign_case(&signed(&st, "003"), &c.tracking, "003", "张、李都请假，王五顶岗", None).expect("reassign");
    assert_eq!(moved.assignee.as_deref(), Some("003"));
    assert!(!moved.uncovered);
}

#[test]
fn full_life_with_pause_extension_and_public_view() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-09-29T09:00:00+08:00");
    add_staff(&st);
    let (a, b) = (signed(&st, "001"), signed(&st, "002"));
    let sub = st.submit_case(&request("F03", &[])).expect("submit");
    let tr = sub.case.tracking.clone();
    let mut st = t.station_at("2026-09-30T09:00:00+08:00");
    // F03 promises 5 working days; accepted Wed 09-30: 10-08, 09, 10 (make-up Sat), 12, 13.
    let c = st.advance_case(&a, &tr, CaseState::Accepted, "", None).expect("accept");
    assert_eq!(c.first_responder.as_deref(), Some("001"));
    assert_eq!(c.due_on.map(|d| d.to_string()).as_deref(), Some("2026-10-13"));
    // Illegal moves are refused with the reason, and change nothing.
    let e = st.advance_case(&a, &tr, CaseState::Closed, "", None).unwrap_err();
    assert!(e.to_string().contains("不能从“已受理”直接变为“已领取/归档”"), "{e}");
    assert!(st.advance_case(&a, &tr, CaseState::Submitted, "", None).unwrap_err().to_string().contains("需要填写说明"));
    assert!(st.sign_in("999", PIN).is_err(), "unknown staff cannot act at all");

    // 退回补正 on Fri 10-09 (day 2 used): the clock stops.
    let mut st = t.station_at("2026-10-09T15:00:00+08:00");
    let c = st.advance_case(&b, &tr, CaseState::Returned, "缺土地承包合同复印件", None).expect("return");
    assert_eq!(c.due_on, None);
    assert_eq!(c.days_used, 2);
    let v = st.public_view(&c).expect("view");
    assert_eq!(v.due_note, "补齐材料前暂停计时");
    assert!(v.timeline.iter().any(|e| e.note.as_deref() == Some("缺土地承包合同复印件")));
    // Materials arrive Mon 10-12: 3 days left → 10-13, 10-14, 10-15.
    let mut st = t.station_at("2026-10-12T09:00:00+08:00");
    let c = st.advance_case(&b, &tr, CaseState::Accepted, "材料补齐", None).expect("resume");
    assert_eq!(c.due_on.map(|d| d.to_string()).as_deref(), Some("2026-10-15"));
    assert_eq!(c.first_responder.as_deref(), Some("001"), "首问责任人 stays the first");
    let c = st.extend_case(&a, &tr, 2, "乡镇需要实地核查", None).expect("extend");
    assert_eq!(c.due_on.map(|d| d.to_string()).as_deref(), Some("2026-10-19"));
    assert!(st.extend_case(&a, &tr, 2, " ", None).is_err(), "an extension needs a reason");
    assert!(st.extend_case(&a, &tr, 4_000_000_000, "很久", None).is_err(), "and a sane length");
    // A change decided on an older view of the case is refused, not written over it.
    let r = st.advance_case(&a, &tr, CaseState::Submitted, "x", Some(c.version - 1));
    assert!(matches!(r, Err(AdvanceError::Change(_))), "{r:?}");
    let r = st.set_case_materials(&a, &tr, &vec![true; c.materials.len()], Some(c.version - 1));
    assert!(matches!(r, Err(AdvanceError::Change(_))), "materials too: {r:?}");
    st.advance_case(&a, &tr, CaseState::Submitted, "报乡镇农经站，专人送达", None).expect("submit");
    st.advance_case(&a, &tr, CaseState::Completed, "已备案", None).expect("complete");
    st.advance_case(&a, &tr, CaseState::Notified, "电话通知本人", None).expect("notify");
    let c = st.advance_case(&a, &tr, CaseState::Closed, "", None).expect("close");
    assert_eq!(c.state, CaseState::Closed);
    assert!(st.open_cases().expect("open").is_empty());

    let events = st.case_events(&c).expect("events");
    let moves: Vec<&str> = events.iter().filter_map(|e| e.to_state.map(|s| s.key())).collect();
    assert_eq!(moves, ["pending", "accepted", "returned", "accepted", "submitted", "completed", "notified", "closed"]);
    assert!(events.iter().all(|e| e.kind != "transition" || e.staff_no.is_some()), "every move names its staff");
    // Events are append-only, enforced by the store itself.
    let db = crate::util::db(&t);
    assert!(db.execute("UPDATE case_events SET note = 'x'", []).is_err());
    assert!(db.execute("DELETE FROM case_events", []).is_err());

    let v = st.public_view(&c).expect("view");
    assert_eq!(v.state_label, "已领取/归档");
    assert_eq!(v.extension.as_deref(), Some("延长2个工作日：乡镇需要实地核查"));
    let json = serde_json::to_string(&v).expect("json");
    assert!(!json.contains(ID) && !json.contains(PHONE) && !json.contains("张三"), "{json}");
    assert!(!json.contains("报乡镇农经站"), "staff notes stay inside: {json}");
}

#[test]
fn urgency_colours() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-23T09:00:00+08:00");
    add_staff(&st);
    let c = st.submit_case(&request("F03", &[])).expect("submit").case; // 5 days → Mon 11-30
    assert_eq!(c.due_on.map(|d| d.to_string()).as_deref(), Some("2026-11-30"));
    let st = t.station_at("2026-11-25T09:00:00+08:00");
    assert_eq!(st.urgency(&c), kiosk::domain::case::Urgency::Normal);
    let st = t.station_at("2026-11-27T09:00:00+08:00"); // Fri: due next working day
    assert_eq!(st.urgency(&c), kiosk::domain::case::Urgency::DueSoon);
    let st = t.station_at("2026-12-01T09:00:00+08:00");
    assert_eq!(st.urgency(&c), kiosk::domain::case::Urgency::Overdue);
}

#[test]
fn tampered_codes_find_nothing() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-27T10:00:00+08:00");
    let sub = st.submit_case(&request("C01", &[])).expect("submit");
    assert!(st.find_case(&sub.status_url).expect("find").is_some());
    let mut tampered = sub.case.token.clone();
    tampered.replace_range(0..1, if tampered.starts_with('a') { "b" } else { "a" });
    assert!(st.find_case(&tampered).expect("find").is_none());
    assert!(st.find_case("D-261127-999").expect("find").is_none());
    assert!(st.find_case("'; DROP TABLE cases; --").expect("find").is_none());
    assert!(st.lookup_case("D-261127-001", "5678").expect("lookup").is_some());
    assert!(st.lookup_case("D-261127-001", "1234").expect("lookup").is_some(), "the second phone works too");
    assert!(st.lookup_case("D-261127-001", "0000").expect("lookup").is_none());
    assert!(st.lookup_case("D-261127-001", "").expect("lookup").is_none());
}

#[test]
fn sign_in_locks_after_five_wrong_pins() {
    let t = TempStation::new();
    let st = t.station_at("2026-11-27T10:00:00+08:00");
    add_staff(&st);
    assert!(st.sign_in("001", PIN).is_ok());
    for _ in 1..=4 {
        let e = st.sign_in("001", "0000").unwrap_err();
        assert_eq!(e.to_string(), "工号或密码不对。连续输错5次密码，账号会锁定。");
    }
    // An unknown number gets the same words (and the same Argon2 work).
    assert_eq!(st.sign_in("777", "0000").unwrap_err().to_string(), "工号或密码不对。连续输错5次密码，账号会锁定。");
    // Full-width digits from a Chinese input method are digits.
    assert!(t.station_at("2026-11-27T10:05:30+08:00").sign_in("００１", "２４６８１３").is_ok());
    assert!(
        matches!(st.sign_in("001", "0000"), Err(kiosk::service::LoginError::Wrong)),
        "the good sign-in reset the count"
    );
    for _ in 1..=3 {
        let _ = st.sign_in("001", "0000");
    }
    assert!(matches!(st.sign_in("001", "0000"), Err(kiosk::service::LoginError::Locked(5))));
    assert!(matches!(st.sign_in("001", PIN), Err(kiosk::service::LoginError::Locked(_))), "even the right PIN waits");
    let later = t.station_at("2026-11-27T10:05:30+08:00");
    assert!(later.sign_in("001", PIN).is_ok(), "unlocked after five minutes");
    assert!(matches!(st.sign_in("009", PIN), Err(kiosk::service::LoginError::Wrong)));
    st.admin_add_staff(&LocalAdmin::on_this_box(), "004", "赵六", "staff", None).expect("add");
    assert!(matches!(st.sign_in("004", PIN), Err(kiosk::service::LoginError::Wrong)));
}

#[test]
fn guessing_across_codes_pauses_every_lookup_at_the_station() {
    use kiosk::service::{LookupError, LOOKUP_STATION_MISSES};
    let t = TempStation::new();
    let code = {
        let mut st = t.station_at("2026-11-27T10:00:00+08:00");
        st.submit_case(&request("A01", &[])).expect("submit").case.tracking
    };
    let st = t.station_at("2026-11-28T09:00:00+08:00");
    // Someone tries a different code each time (never five on one): the station counts.
    for i in 0..LOOKUP_STATION_MISSES {
        let guess = format!("D-261128-{:03}", 100 + i);
        assert!(st.lookup_case(&guess, "0000").expect("a miss").is_none());
    }
    let e = t.station_at("2026-11-28T09:20:00+08:00").lookup_case(&code, "5678").expect_err("paused");
    assert!(matches!(e, LookupError::Paused(40)), "{e:?}");
    assert!(e.to_string().contains("请40分钟后再试"));
    // An hour after the first miss, lookups work again.
    let st = t.station_at("2026-11-28T10:00:30+08:00");
    assert!(st.lookup_case(&code, "5678").expect("open again").is_some());
}

/// The 代办交接单: the cases marked 已报送 on the day (not the ones still at the station),
/// each with a QR code a scanner reads as its tracking code, masked like every paper.
#[test]
#[ignore = "full suite (./test.sh): needs pdftotext, pdftoppm and zbarimg"]
fn the_handover_list_carries_the_days_submitted_cases_with_a_code_each() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-30T09:30:00+08:00");
    add_staff(&st);
    let a = signed(&st, "001");
    let mut sent = Vec::new();
    for (i, matter) in ["C01", "C02", "A01"].iter().enumerate() {
        let sub = st.submit_case(&request(matter, &["户口簿"])).expect("submit");
        st.advance_case(&a, &sub.case.tracking, CaseState::Accepted, "", None).expect("accept");
        if i < 2 {
            st.advance_case(&a, &sub.case.tracking, CaseState::Submitted, "报乡镇便民服务中心", None).expect("submit");
            sent.push(sub.case.tracking.clone());
        }
    }
    let out = t.data_dir().join("handover.pdf");
    let o =
        t.kiosk("2026-11-30T09:30:00+08:00", &["request", "handover", "--out", out.to_str().expect("utf8"), "--json"]);
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    let said: serde_json::Value = serde_json::from_str(crate::util::stdout(&o).trim()).expect("json");
    assert_eq!(said["cases"], 2);
    let text = crate::util::pdf_text(&out);
    assert!(text.contains("代办交接单") && text.contains("交件人") && text.contains("接收人"), "{text}");
    for tr in &sent {
        assert!(text.contains(tr.as_str()), "{tr} on the list:\n{text}");
    }
    assert!(!text.contains(ID) && !text.contains(PHONE), "masked on paper:\n{text}");
    assert!(text.contains("130***********0138"), "{text}");
    let mut codes = crate::util::decode_qr(&out, t.data_dir().as_path());
    codes.sort();
    assert_eq!(codes, sent, "one code per case, its tracking code (no station code: not joined)");
    // Another day has none.
    let o = t.kiosk(
        "2026-11-30T09:30:00+08:00",
        &["request", "handover", "--date", "2026-11-01", "--out", out.to_str().expect("utf8"), "--json"],
    );
    assert!(crate::util::stdout(&o).contains("\"cases\":0"), "{}", crate::util::stdout(&o));
    let o = t.kiosk(
        "2026-11-30T09:30:00+08:00",
        &["request", "handover", "--date", "yesterday", "--out", out.to_str().expect("utf8")],
    );
    assert_eq!(o.status.code(), Some(2));
}
