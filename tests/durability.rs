//! The store survives: a full disk, a read-only disk, a garbage file, a damaged file and a
//! database from a newer version are refused plainly and left as they are; backups are
//! sound snapshots and a restore brings back every ticket and case of one.

use crate::cases::request;
use crate::util::{stderr, stdout, Serve, TempStation};
use std::path::{Path, PathBuf};
use std::process::Command;

const AT: &str = "2026-11-30T09:00:00+08:00";

/// A small tmpfs mounted on the station's data folder for the test's life.
struct Mount {
    dir: PathBuf,
}

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Mount {
        std::fs::create_dir_all(dir).expect("mount point");
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("mount");
        assert!(o.status.success(), "mounting a tmpfs needs root (CI runs as root): {}", stderr(&o));
        Mount { dir: dir.to_path_buf() }
    }

    fn remount(&self, opt: &str) {
        let o = Command::new("mount").args(["-o", &format!("remount,{opt}")]).arg(&self.dir).output().expect("mount");
        assert!(o.status.success(), "remount {opt}: {}", stderr(&o));
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).output();
    }
}

fn take(t: &TempStation) -> std::process::Output {
    t.kiosk(AT, &["ticket", "take", "--matter", "A01", "--json"])
}

fn number(o: &std::process::Output) -> String {
    let v: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap_or_else(|_| panic!("json: {}", stdout(o)));
    v["number"].as_str().expect("number").to_string()
}

fn sound(t: &TempStation) {
    let c = crate::util::db(t);
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
    assert_eq!(ok, "ok");
    let orphans: i64 = c
        .query_row(
            "SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM print_jobs j WHERE j.ticket_id = t.id)",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(orphans, 0, "every committed ticket has its print job");
}

#[test]
fn a_full_disk_refuses_plainly_loses_nothing_and_recovers_by_itself() {
    let t = TempStation::new();
    let m = Mount::tmpfs(&t.data_dir(), "3m");
    assert!(take(&t).status.success(), "{}", stderr(&take(&t)));
    // Fill the disk to the last block.
    let filler = t.data_dir().join("filler");
    let _ = Command::new("dd").args(["if=/dev/zero", "bs=64k"]).arg(format!("of={}", filler.display())).output();
    let mut refused = None;
    for _ in 0..50 {
        let o = take(&t);
        if !o.status.success() {
            refused = Some(o);
            break;
        }
    }
    let o = refused.expect("a full disk refuses a ticket");
    let err = stderr(&o);
    assert!(err.contains("full") || err.contains("满") || err.contains("No space"), "{err}");
    // Space freed: the next ticket works without anyone restarting anything.
    std::fs::remove_file(&filler).expect("free space");
    let o = take(&t);
    assert!(o.status.success(), "{}", stderr(&o));
    sound(&t);
    assert!(
        crate::util::part_files(&t.data_dir()).is_empty(),
        "no half-written receipt: {:?}",
        crate::util::part_files(&t.data_dir())
    );
    drop(m);
}

#[test]
fn the_kiosk_screen_shows_the_fallback_when_the_disk_is_full() {
    use kiosk::ui::{Nav, PrintState, TicketAdapter};
    use slint::ComponentHandle;
    let t = TempStation::new();
    let _m = Mount::tmpfs(&t.data_dir(), "3m");
    let k = crate::ui::kiosk(&t, "2026-11-30T09:30:00+08:00");
    let filler = t.data_dir().join("filler");
    let _ = Command::new("dd").args(["if=/dev/zero", "bs=64k"]).arg(format!("of={}", filler.display())).output();
    // The store may still have room in its journal for a ticket or two; its receipt then
    // cannot be written. Either way the villager is told plainly what to do.
    let mut refused = false;
    for _ in 0..30 {
        crate::ui::tap(&k, "办事指南");
        crate::ui::tap(&k, "民政");
        crate::ui::tap(&k, "高龄津贴申请");
        crate::ui::tap(&k, "取号办理");
        crate::ui::tap(&k, "不是，普通取号");
        let toast = k.app.global::<Nav>().get_toast().to_string();
        if toast.contains("暂时无法取号，请到窗口找工作人员") {
            refused = true;
            break;
        }
        let ta = k.app.global::<TicketAdapter>();
        assert_eq!(ta.get_print_state(), PrintState::Failed, "no receipt on a full disk");
        assert!(ta.get_print_message().contains("请记住您的号码"), "{}", ta.get_print_message());
        crate::ui::tap(&k, "首页");
    }
    assert!(refused, "a full store refuses a ticket with the fallback message");
    std::fs::remove_file(&filler).expect("free space");
    crate::ui::tap(&k, "不是，普通取号");
    assert_eq!(k.app.global::<Nav>().get_page(), kiosk::ui::Page::Ticket, "a ticket again once there is space");
    assert!(crate::util::part_files(&t.data_dir()).is_empty());
}

#[test]
fn a_read_only_disk_is_refused_plainly_and_nothing_is_lost() {
    let t = TempStation::new();
    let m = Mount::tmpfs(&t.data_dir(), "8m");
    let first = take(&t);
    assert!(first.status.success(), "{}", stderr(&first));
    m.remount("ro");
    let o = take(&t);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains(&t.data_dir().display().to_string()) && err.contains("Read-only"), "{err}");
    m.remount("rw");
    let o = take(&t);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!((number(&first), number(&o)), ("A001".to_string(), "A002".to_string()));
    sound(&t);
}

#[test]
fn a_garbage_file_or_a_newer_database_is_left_byte_for_byte() {
    for (what, bytes) in [
        ("garbage", b"PK\x03\x04 this is a zip file, not a kiosk store ".repeat(200)),
        ("newer", {
            let dir = tempfile::tempdir().expect("tmp");
            let p = dir.path().join("k.db");
            let c = rusqlite::Connection::open(&p).expect("db");
            c.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE future(x); INSERT INTO future VALUES (1); PRAGMA user_version = 99;")
                .expect("newer");
            drop(c);
            std::fs::read(&p).expect("bytes")
        }),
        // Another program's SQLite file, with tables but no kiosk schema version: it used
        // to be "migrated" in place.
        ("stranger", {
            let dir = tempfile::tempdir().expect("tmp");
            let p = dir.path().join("k.db");
            let c = rusqlite::Connection::open(&p).expect("db");
            c.execute_batch("CREATE TABLE photos(x); INSERT INTO photos VALUES (1);").expect("stranger");
            drop(c);
            std::fs::read(&p).expect("bytes")
        }),
        ("another application", {
            let dir = tempfile::tempdir().expect("tmp");
            let p = dir.path().join("k.db");
            let c = rusqlite::Connection::open(&p).expect("db");
            c.execute_batch("PRAGMA application_id = 1234; PRAGMA user_version = 3; CREATE TABLE t(x);")
                .expect("other");
            drop(c);
            std::fs::read(&p).expect("bytes")
        }),
    ] {
        let t = TempStation::new();
        std::fs::create_dir_all(t.data_dir()).expect("data");
        let db = t.data_dir().join("kiosk.db");
        std::fs::write(&db, &bytes).expect("write");
        for args in [&["ticket", "take", "--matter", "A01"][..], &["migrate"], &["serve", "--listen", "127.0.0.1:0"]] {
            let o = t.kiosk(AT, args);
            assert!(!o.status.success(), "{what}: {args:?} must refuse");
            let err = stderr(&o);
            let expected = if what == "newer" { "newer" } else { "不是本终端的数据库" };
            assert!(err.contains(expected), "{what} {args:?}: {err}");
            assert_eq!(std::fs::read(&db).expect("read"), bytes, "{what}: {args:?} changed the file");
            assert!(!t.data_dir().join("kiosk.db-wal").exists(), "{what}: no journal created");
        }
        assert_eq!(t.kiosk(AT, &["migrate"]).status.code(), Some(2), "{what}: migrate says 2 for the package");
    }
}

#[test]
fn a_damaged_store_gets_nothing_written_by_any_process() {
    let t = TempStation::new();
    for _ in 0..30 {
        assert!(take(&t).status.success());
    }
    let db = t.data_dir().join("kiosk.db");
    // Fold the journal in, then scribble over pages in the middle of the file.
    crate::util::db(&t).execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").expect("checkpoint");
    let mut bytes = std::fs::read(&db).expect("read");
    let len = bytes.len();
    assert!(len > 8 * 4096, "store large enough: {len}");
    for b in &mut bytes[4 * 4096..len - 4096] {
        *b ^= 0x5a;
    }
    std::fs::write(&db, &bytes).expect("damage");
    // Not the service, nor any command that writes (issue 13: `ticket take` used to issue
    // tickets into the damaged file).
    let staff = ["call", "next", "--window", "1", "--staff", "001", "--json"];
    for args in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["ticket", "take", "--matter", "A01", "--json"],
        &["request", "submit", "--matter", "A01", "--phone", "13812345678", "--id", "130110194503150138", "--json"],
        &staff,
        &["staff", "add", "--no", "009", "--name", "李四"],
        &["purge", "--json"],
        &["migrate"],
    ] {
        let o = t.kiosk_stdin(AT, args, "246813\n");
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("已损坏") && err.contains("kiosk restore"), "{args:?}: {err}");
        assert_eq!(std::fs::read(&db).expect("read"), bytes, "{args:?}: the damaged file is left as it was");
    }
}

#[test]
fn backup_and_restore_bring_back_every_ticket_and_case() {
    let t = TempStation::new();
    let mut st = t.station_at(AT);
    for _ in 0..5 {
        st.take_ticket(&kiosk::service::Target::Matter("A01".into()), false).expect("ticket");
    }
    let case = st.submit_case(&request("C02", &[])).expect("case").case;
    let backups = t.dir.path().join("usb");
    let o = t.kiosk(AT, &["backup", "--to", backups.to_str().expect("path"), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!((b["tickets"].as_i64(), b["cases"].as_i64()), (Some(5), Some(1)), "{b}");
    let file = PathBuf::from(b["file"].as_str().expect("file"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).expect("backup").permissions().mode() & 0o077, 0, "for the kiosk user only");
    assert!(crate::util::part_files(&backups).is_empty());

    // Later tickets, then the store is lost.
    for _ in 0..3 {
        st.take_ticket(&kiosk::service::Target::Matter("A01".into()), false).expect("ticket");
    }
    drop(st);

    // Not while the service runs.
    let srv = Serve::start(&t, Some(AT));
    let o = t.kiosk(AT, &["restore", file.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(3), "restore while serve runs: stdout {:?} stderr {:?}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("正在运行"), "{}", stderr(&o));
    srv.stop();

    // A garbage file is not restored.
    let junk = t.dir.path().join("junk.db");
    std::fs::write(&junk, b"not a backup").expect("junk");
    let o = t.kiosk(AT, &["restore", junk.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("不能用来恢复"), "{}", stderr(&o));

    let o = t.kiosk(AT, &["restore", file.to_str().expect("path"), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!((r["tickets"].as_i64(), r["cases"].as_i64()), (Some(5), Some(1)), "{r}");
    let previous = PathBuf::from(r["previous"].as_str().expect("the replaced store is kept"));
    let kept: i64 = rusqlite::Connection::open(&previous)
        .and_then(|c| c.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0)))
        .expect("previous store readable");
    assert_eq!(kept, 8, "nothing of the replaced store is lost");
    let mut st = t.station_at(AT);
    assert!(st.ticket_today("A005").expect("q").is_some() && st.ticket_today("A006").expect("q").is_none());
    // A006–A008 were handed out before the store was lost: the restored store goes on
    // after them, never giving a number to two villagers on one day.
    let next = st.take_ticket(&kiosk::service::Target::Matter("A01".into()), false).expect("ticket");
    assert_eq!(next.ticket.number, "A009");
    drop(st);
    let back: String = crate::util::db(&t)
        .query_row("SELECT id_number FROM cases WHERE tracking = ?1", [&case.tracking], |r| r.get(0))
        .expect("the case is back");
    assert_eq!(back, case.id_number);
    sound(&t);
}

#[test]
fn old_backups_go_and_a_missing_stick_is_said_plainly() {
    let usb = tempfile::tempdir().expect("usb");
    let toml = kiosk::config::SHIPPED_STATION
        .replace("folder = \"\"", &format!("folder = \"{}\"", usb.path().display()))
        .replace("keep-days = 14", "keep-days = 3");
    let t = TempStation::with_station_toml(&toml);
    let old = usb.path().join("kiosk-20261101-023000.db");
    std::fs::write(&old, b"old").expect("old backup");
    let other = usb.path().join("photos.db");
    std::fs::write(&other, b"not ours").expect("other file");
    for f in [&old, &other] {
        assert!(Command::new("touch").args(["-d", "10 days ago"]).arg(f).status().expect("touch").success());
    }
    let o = t.kiosk(AT, &["backup", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(b["removed"], 1);
    assert!(!old.exists() && other.exists(), "only the kiosk's own old backups are deleted");

    let toml = kiosk::config::SHIPPED_STATION.replace("folder = \"\"", "folder = \"/media/no-such-stick\"");
    let t = TempStation::with_station_toml(&toml);
    let o = t.kiosk(AT, &["backup"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("U 盘") && stderr(&o).contains("/media/no-such-stick"), "{}", stderr(&o));
    assert!(!Path::new("/media/no-such-stick").exists());
}
