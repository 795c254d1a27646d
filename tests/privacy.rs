//! Personal data kept only as long as needed: closed cases past the retention period keep
//! only masked forms, and the old bytes are gone from the store file and its journal;
//! old receipts and logs are deleted.

use crate::cases::{add_staff, request, signed};
use crate::util::{stderr, stdout, TempStation};
use kiosk::domain::case::CaseState;
use kiosk::service::CaseRequest;

const OLD_ID: &str = "131127194805072313";
const OLD_PHONE: &str = "13987654321";

fn raw_store(t: &TempStation) -> Vec<u8> {
    let mut bytes = std::fs::read(t.data_dir().join("kiosk.db")).expect("db");
    if let Ok(wal) = std::fs::read(t.data_dir().join("kiosk.db-wal")) {
        bytes.extend(wal);
    }
    bytes
}

fn holds(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn age(path: &std::path::Path, days: u32) {
    let o = std::process::Command::new("touch")
        .arg("-d")
        .arg(format!("{days} days ago"))
        .arg(path)
        .output()
        .expect("touch");
    assert!(o.status.success());
}

#[test]
fn closed_cases_past_retention_keep_only_masked_data_and_old_files_go() {
    let t = TempStation::new();
    let may = "2026-05-04T10:00:00+08:00";
    let tracking = {
        let mut st = t.station_at(may);
        add_staff(&st);
        let a = signed(&st, "001");
        let req = CaseRequest {
            matter: "C01".into(),
            phone: OLD_PHONE.into(),
            phone2: None,
            id_number: OLD_ID.into(),
            name: Some("赵小梅".into()),
            missing: vec![],
        };
        let c = st.submit_case(&req).expect("submit").case;
        for (to, note) in [
            (CaseState::Accepted, ""),
            (CaseState::Submitted, "报乡镇民政办"),
            (CaseState::Completed, "审核通过"),
            (CaseState::Notified, "已电话通知本人"),
            (CaseState::Closed, "材料归档"),
        ] {
            st.advance_case(&a, &c.tracking, to, note, None).expect("advance");
        }
        // Another case of the same day, still open: untouched.
        st.submit_case(&request("A01", &[])).expect("open case");
        c.tracking
    };
    // Old and new receipts and logs.
    let spool = t.data_dir().join("spool");
    let logs = t.data_dir().join("logs");
    std::fs::create_dir_all(&logs).expect("logs");
    for (dir, name, days) in [(&spool, "old.pdf", 31), (&spool, "new.pdf", 2), (&logs, "serve-2026-10-01.log", 40)] {
        std::fs::write(dir.join(name), b"x").expect("write");
        age(&dir.join(name), days);
    }
    assert!(holds(&raw_store(&t), OLD_ID) && holds(&raw_store(&t), OLD_PHONE));

    // 30 November: the case was closed 210 days ago (retention 180).
    let now = "2026-11-30T09:30:00+08:00";
    let o = t.kiosk(now, &["purge", "--dry-run", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dry: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(dry["cases"], serde_json::json!([tracking]));
    assert_eq!(
        (dry["receipts"].as_u64(), dry["logs"].as_u64(), dry["dry_run"].as_bool()),
        (Some(1), Some(1), Some(true))
    );
    assert!(holds(&raw_store(&t), OLD_ID), "a dry run changes nothing");
    assert!(spool.join("old.pdf").exists());

    let o = t.kiosk(now, &["purge", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let done: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(done["cases"], serde_json::json!([tracking]));
    // The old bytes are gone from the file and its journal; the masked forms remain.
    let raw = raw_store(&t);
    for secret in [OLD_ID, OLD_PHONE, "赵小梅"] {
        assert!(!holds(&raw, secret), "{secret} still in the store's bytes");
    }
    let st = t.station_at(now);
    let c = st.find_case(&tracking).expect("find").expect("case");
    assert_eq!(
        (c.id_number.as_str(), c.phone.as_str(), c.name.as_deref()),
        ("131***********2313", "139****4321", Some("赵**"))
    );
    assert!(c.purged);
    let events = st.case_events(&c).expect("events");
    assert!(events.iter().any(|e| e.note.as_deref() == Some("已电话通知本人")), "the notes are kept");
    // The open case keeps its data; the old files are gone, the new kept.
    assert!(holds(&raw, crate::cases::ID));
    assert!(!spool.join("old.pdf").exists() && spool.join("new.pdf").exists());
    assert!(!logs.join("serve-2026-10-01.log").exists());
    // Done once: the next run finds nothing.
    let again: serde_json::Value =
        serde_json::from_str(stdout(&t.kiosk(now, &["purge", "--json"])).trim()).expect("json");
    assert_eq!(again["cases"], serde_json::json!([]));
}
