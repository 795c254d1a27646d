//! The command-line contract: `kiosk ticket take --json`, `KIOSK_NOW`, global options,
//! and clear errors for a bad clock override, a database from the future, and an
//! unwritable data folder.

use crate::util::{stderr, stdout, TempStation};

#[test]
fn ticket_take_json_contract() {
    let t = TempStation::new();
    let o = t.kiosk("2026-11-28T09:30:00+08:00", &["ticket", "take", "--matter", "C02", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    for key in ["number", "matter", "token", "ahead", "estimated_wait_min", "receipt", "printed"] {
        assert!(v.get(key).is_some(), "missing key {key}: {v}");
    }
    assert_eq!(v["number"], "C001");
    assert_eq!(v["matter"], "C02");
    assert_eq!(v["ahead"], 0);
    assert_eq!(v["printed"], false, "no printer configured: spooled only");
    let receipt = v["receipt"].as_str().expect("receipt path");
    assert!(std::path::Path::new(receipt).is_file());
    assert!(receipt.contains("2026-11-28"));

    let o = t.kiosk("2026-11-28T09:31:00+08:00", &["ticket", "take", "--matter", "c01", "--priority", "--json"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(v["number"], "C002");
    assert_eq!(v["ahead"], 0, "priority goes before the waiting C001");
}

#[test]
fn unknown_matter_and_bad_clock() {
    let t = TempStation::new();
    let o = t.kiosk("2026-11-28T09:30:00+08:00", &["ticket", "take", "--matter", "Z99", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("没有事项“Z99”"), "{}", stderr(&o));
    let o = t.kiosk("next tuesday", &["ticket", "take", "--matter", "C02"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("KIOSK_NOW"), "{}", stderr(&o));
}

#[test]
fn newer_database_is_refused() {
    let t = TempStation::new();
    std::fs::create_dir_all(t.data_dir()).expect("dir");
    {
        let c = rusqlite::Connection::open(t.data_dir().join("kiosk.db")).expect("db");
        c.execute_batch("PRAGMA user_version = 42;").expect("version");
    }
    let o = t.kiosk("2026-11-28T09:30:00+08:00", &["ticket", "take", "--matter", "C02"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("newer kiosk (schema 42"), "{}", stderr(&o));
}

#[test]
fn unwritable_data_dir_is_named() {
    let t = TempStation::new();
    let file = t.dir.path().join("not-a-dir");
    std::fs::write(&file, "x").expect("file");
    let o = std::process::Command::new(crate::util::kiosk_bin())
        .arg("--config-dir")
        .arg(t.config_dir())
        .arg("--data-dir")
        .arg(&file)
        .args(["ticket", "take", "--matter", "C02"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not-a-dir") && stderr(&o).contains("not writable"), "{}", stderr(&o));
}

#[test]
fn global_options_before_the_command_and_screenshot() {
    let t = TempStation::new();
    let out = t.dir.path().join("home.png");
    let o = t.kiosk(
        "2026-11-28T09:30:00+08:00",
        &[
            "screenshot",
            "--page",
            "matter:C02",
            "--out",
            out.to_str().expect("utf8"),
            "--large-text",
            "--size",
            "1280x720",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let img = image::open(&out).expect("png").to_rgb8();
    assert_eq!(img.dimensions(), (1280, 720));
    // Not a blank frame: the brand-red top bar and dark text are both there.
    let brand = img.pixels().filter(|p| p.0 == [0x8B, 0, 0]).count();
    let dark = img.pixels().filter(|p| p.0.iter().all(|&c| c < 0x40)).count();
    assert!(brand > 10_000, "top bar missing ({brand} px)");
    assert!(dark > 2_000, "no text drawn ({dark} px): is a CJK font installed?");
    let o = t.kiosk("2026-11-28T09:30:00+08:00", &["screenshot", "--page", "nowhere", "--out", "x.png"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn request_and_staff_contract() {
    let t = TempStation::new();
    let now = "2026-11-27T10:00:00+08:00";
    let ok = |o: &std::process::Output| assert!(o.status.success(), "{}", stderr(o));
    ok(&t.kiosk(now, &["staff", "add", "--no", "001", "--name", "张三丰"]));
    ok(&t.kiosk(now, &["staff", "add", "--no", "002", "--name", "李四", "--role", "admin"]));
    let dup = t.kiosk(now, &["staff", "add", "--no", "001", "--name", "别人"]);
    assert!(!dup.status.success(), "an existing number is not replaced");
    let o = t.kiosk_stdin(now, &["staff", "set-pin", "001"], "2468\n");
    assert_eq!(o.status.code(), Some(2), "new PINs have at least 6 digits");
    assert!(stderr(&o).contains("6 到 12 位"), "{}", stderr(&o));
    let o = t.kiosk_stdin(now, &["staff", "set-pin", "001"], "246813\n");
    ok(&o);
    ok(&t.kiosk(now, &["staff", "post", "C", "--a", "001", "--b", "002"]));
    ok(&t.kiosk(now, &["staff", "away", "001", "--date", "2026-11-27"]));

    let o = t.kiosk(
        now,
        &[
            "request",
            "submit",
            "--matter",
            "C01",
            "--phone",
            "13812345678",
            "--id",
            "130110194503150138",
            "--missing",
            "户口簿",
            "--json",
        ],
    );
    ok(&o);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    for key in ["tracking", "token", "due", "receipt", "printed"] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["tracking"], "D-261127-001");
    assert_eq!(v["due"], "2026-12-18");
    assert_eq!(v["printed"], false);
    assert_eq!(v["assignee"], "002", "A is away: B takes it");
    assert!(std::path::Path::new(v["receipt"].as_str().expect("path")).is_file());

    let o = t.kiosk(now, &["request", "status", "D-261127-001", "--json"]);
    ok(&o);
    let text = stdout(&o);
    assert!(!text.contains("130110194503150138") && !text.contains("13812345678"), "{text}");
    let s: serde_json::Value = serde_json::from_str(text.trim()).expect("json");
    assert_eq!(s["state"], "pending");
    assert_eq!(s["id_masked"], "130***********0138");
    assert_eq!(s["phone_masked"], "138****5678");

    let o = t.kiosk_stdin(
        now,
        &["request", "advance", "D-261127-001", "--to", "accepted", "--staff", "001", "--json"],
        "1111\n",
    );
    assert_eq!(o.status.code(), Some(2), "a wrong PIN on standard input is refused");
    assert!(stderr(&o).contains("工号或密码不对"), "and counted toward the lockout: {}", stderr(&o));
    let o = t.kiosk(now, &["request", "advance", "D-261127-001", "--to", "accepted", "--staff", "001", "--json"]);
    assert_eq!(o.status.code(), Some(2), "no PIN at all is refused too");
    let o = t.kiosk_stdin(
        now,
        &["request", "advance", "D-261127-001", "--to", "completed", "--staff", "001", "--json"],
        "246813\n",
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("不能从“待受理”直接变为“已办结”"), "{}", stderr(&o));
    for (to, note) in [
        ("accepted", ""),
        ("submitted", "报乡镇民政办"),
        ("completed", "审核通过"),
        ("notified", "电话通知"),
        ("closed", ""),
    ] {
        let o = t.kiosk_stdin(
            now,
            &["request", "advance", "D-261127-001", "--to", to, "--staff", "001", "--note", note, "--json"],
            "246813\n",
        );
        ok(&o);
        let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
        assert_eq!(v["state"], to);
    }
    let o = t.kiosk(now, &["request", "status", "D-261127-999", "--json"]);
    assert!(!o.status.success());
    assert!(!stdout(&o).contains("D-1127"), "nothing revealed");
    let o = t.kiosk(now, &["request", "advance", "D-261127-001", "--to", "sideways", "--staff", "001"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_data_folder_is_for_the_kiosk_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let t = TempStation::new();
    let data = t.data_dir();
    // What an older version left readable by everyone.
    std::fs::create_dir_all(data.join("spool")).expect("mkdir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(data.join("spool/old.pdf"), b"%PDF").expect("write");
    std::fs::set_permissions(data.join("spool/old.pdf"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let o = t.kiosk("2026-11-30T09:30:00+08:00", &["ticket", "take", "--matter", "C02", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let receipt = serde_json::from_str::<serde_json::Value>(stdout(&o).trim()).expect("json")["receipt"]
        .as_str()
        .expect("receipt")
        .to_string();
    let mut checked = 0;
    let mut walk = vec![data.clone()];
    while let Some(p) = walk.pop() {
        let meta = std::fs::metadata(&p).expect("meta");
        let mode = meta.permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} is {mode:o}", p.display());
        checked += 1;
        if meta.is_dir() {
            walk.extend(std::fs::read_dir(&p).expect("dir").map(|e| e.expect("entry").path()));
        }
    }
    assert!(checked >= 5, "the folder, the store, the spool, its receipts: {checked}");
    assert!(std::path::Path::new(&receipt).exists());
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    // `kiosk matters list --json | head -1`: the reader leaves; the command used to panic
    // with a backtrace.
    let t = TempStation::new();
    for args in [&["matters", "list", "--json"][..], &["matters", "list"], &["staff", "list"], &["matters", "export"]] {
        let mut c = std::process::Command::new(crate::util::kiosk_bin());
        c.arg("--config-dir").arg(t.config_dir()).arg("--data-dir").arg(t.data_dir()).args(args);
        c.env("KIOSK_NOW", "2026-11-27T10:00:00+08:00").env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
        c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        let mut child = c.spawn().expect("spawn");
        drop(child.stdout.take());
        let o = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success() && !err.contains("panicked"), "{args:?}: {:?} {err}", o.status);
    }
}
