//! The list of matters in published versions: import with file:line errors, the diff,
//! publish, versions, rollback, export; opening the station never rewrites it; tickets
//! keep their version; the kiosk switches at its home screen only.

use crate::cases::{add_staff, PIN};
use crate::util::{stderr, stdout, TempStation};
use kiosk::service::Target;

const NOW: &str = "2026-11-30T09:30:00+08:00";

/// The shipped list with one matter added (K01 in category J's place? no: a new J03).
pub fn with_new_matter() -> String {
    format!(
        "{}\n[[matter]]\ncode = \"J03\"\ncategory = \"J\"\nname = \"公共法律服务预约\"\nmode = \"relay\"\npromised-days = 3\n\n\
         [[matter.materials]]\nname = \"居民身份证\"\noriginal = true\n",
        kiosk::config::SHIPPED_MATTERS
    )
}

fn pin() -> String {
    format!("{PIN}\n")
}

#[test]
fn import_diff_publish_versions_rollback_and_export() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW)); // 003 王五 is the admin
    let dir = t.dir.path();
    // A file with errors: named by line, nothing published.
    let broken = kiosk::config::SHIPPED_MATTERS.replacen("mode = \"relay\"", "mode = \"sideways\"", 1);
    std::fs::write(dir.join("broken.toml"), &broken).expect("write");
    let o = t.kiosk_stdin(
        NOW,
        &[
            "matters",
            "import",
            dir.join("broken.toml").to_str().expect("utf8"),
            "--note",
            "x",
            "--staff",
            "003",
            "--json",
        ],
        &pin(),
    );
    assert_eq!(o.status.code(), Some(1));
    let line = broken.lines().position(|l| l.contains("sideways")).expect("line") + 1;
    assert!(
        stderr(&o).contains(&format!("broken.toml:{line}: matter.mode: 办理方式“sideways”不认识")),
        "{}",
        stderr(&o)
    );
    let o = t.kiosk(NOW, &["matters", "versions", "--json"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(v.as_array().map(|a| a.len()), Some(1), "only the first version: {v}");
    assert_eq!(v[0]["version"], 1);
    for key in ["version", "published_at", "staff", "note"] {
        assert!(v[0].get(key).is_some(), "{key} missing: {v}");
    }

    // A new matter and a changed promise.
    let new = with_new_matter().replacen("promised-days = 15", "promised-days = 10", 1);
    std::fs::write(dir.join("new.toml"), &new).expect("write");
    let file = dir.join("new.toml");
    let file = file.to_str().expect("utf8");
    let o = t.kiosk_stdin(
        NOW,
        &["matters", "import", file, "--note", "新增法律服务预约", "--staff", "003", "--dry-run", "--json"],
        &pin(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let d: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(d["added"], serde_json::json!(["J03"]));
    assert_eq!(d["removed"], serde_json::json!([]));
    assert_eq!(d["changed"][0]["fields"], serde_json::json!(["promised-days"]));
    assert!(d["version"].is_null(), "a dry run publishes nothing");
    // Not the station head: refused.
    let o = t.kiosk_stdin(NOW, &["matters", "import", file, "--note", "x", "--staff", "001", "--json"], &pin());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("管理员"), "{}", stderr(&o));
    let o = t.kiosk_stdin(
        NOW,
        &["matters", "import", file, "--note", "新增法律服务预约", "--staff", "003", "--json"],
        &pin(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let d: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(d["version"], 2);
    let o = t.kiosk(NOW, &["matters", "list", "--json"]);
    assert!(stdout(&o).lines().any(|l| l.contains("\"J03\"")), "the live list has the new matter");
    // The same file again: nothing to publish.
    let o = t.kiosk_stdin(NOW, &["matters", "import", file, "--note", "again", "--staff", "003"], &pin());
    assert_eq!(o.status.code(), Some(2));

    // Rollback to version 1 publishes its content as version 3.
    let o = t.kiosk_stdin(NOW, &["matters", "rollback", "1", "--staff", "003", "--json"], &pin());
    assert!(o.status.success(), "{}", stderr(&o));
    let d: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!((d["version"].as_i64(), d["removed"].clone()), (Some(3), serde_json::json!(["J03"])));
    let o = t.kiosk(NOW, &["matters", "list", "--json"]);
    assert!(!stdout(&o).contains("\"J03\""));
    let o = t.kiosk(NOW, &["matters", "versions", "--json"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    let notes: Vec<&str> = v.as_array().expect("list").iter().map(|x| x["note"].as_str().unwrap_or("")).collect();
    assert_eq!(notes, ["初始导入（matters.toml）", "新增法律服务预约", "回滚到第1版"], "oldest first");
    assert_eq!(v[1]["staff"], "003");
    // Export: exactly the live version's file.
    let o = t.kiosk(NOW, &["matters", "export"]);
    assert_eq!(stdout(&o), kiosk::config::SHIPPED_MATTERS);
    // Every publish is in the audit trail.
    let db = crate::util::db(&t);
    let n: i64 = db
        .query_row(
            "SELECT count(*) FROM audit_events WHERE action IN ('matters-publish', 'matters-rollback')",
            [],
            |r| r.get(0),
        )
        .expect("audit");
    assert_eq!(n, 2);
}

#[test]
fn opening_never_rewrites_and_tickets_keep_their_version() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let before = st.take_ticket(&Target::Matter("C02".into()), false).expect("ticket").ticket;
    assert_eq!(before.catalog_version, 1);
    // Editing matters.toml by hand changes nothing live: opening again keeps version 1.
    std::fs::write(t.config_dir().join("matters.toml"), with_new_matter()).expect("edit");
    let st2 = t.station_at(NOW);
    assert!(st2.cfg.catalog.matter("J03").is_none(), "the file is not the live list");
    assert_eq!(st2.catalog_versions().expect("versions").len(), 1);
    // Published: new tickets carry version 2, the old one keeps 1.
    let admin = st.sign_in("003", PIN).expect("admin");
    let (v, _) = st.publish_matters(&admin, "new.toml", &with_new_matter(), "新增").expect("publish");
    assert_eq!(v, 2);
    assert!(st.cfg.catalog.matter("J03").is_some(), "the publishing handle switched at once");
    let after = st.take_ticket(&Target::Matter("J03".into()), false).expect("ticket").ticket;
    assert_eq!(after.catalog_version, 2);
    assert_eq!(st.ticket_today(&before.number).expect("q").expect("t").catalog_version, 1);
    // Another handle switches when it looks.
    let mut other = t.station_at(NOW);
    assert_eq!(other.catalog_version(), 2, "a new handle opens on the live version");
    let mut stale = st2;
    assert!(stale.reload_matters().expect("reload"));
    assert!(stale.cfg.catalog.matter("J03").is_some());
    assert!(!other.reload_matters().expect("reload"), "nothing newer");
}
