//! Bad configuration is reported as FILE:LINE: field: problem, and the kiosk refuses to
//! start on an invalid list of matters.

use crate::util::{kiosk_bin, stderr, stdout, TempStation};
use std::process::Command;

fn check(src: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("matters.toml");
    std::fs::write(&f, src).expect("write");
    let o = Command::new(kiosk_bin()).args(["matters", "check"]).arg(&f).output().expect("run");
    (o.status.code().unwrap_or(-1), stderr(&o).replace(&f.display().to_string(), "FILE"))
}

fn line_of(src: &str, needle: &str, nth: usize) -> usize {
    src.lines().enumerate().filter(|(_, l)| l.contains(needle)).nth(nth).map(|(i, _)| i + 1).expect("needle")
}

#[test]
fn shipped_list_checks_clean() {
    let o = Command::new(kiosk_bin()).args(["matters", "check", "kiosk-config/matters.toml"]).output().expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("34 matters in 9 categories"), "{}", stdout(&o));
}

#[test]
fn broken_toml() {
    let src = kiosk::config::SHIPPED_MATTERS.replacen("mode = \"relay\"", "mode = relay\"", 1);
    let (code, err) = check(&src);
    assert_ne!(code, 0);
    let line = line_of(&src, "mode = relay\"", 0);
    assert!(err.starts_with(&format!("FILE:{line}: ")), "{err}");
}

#[test]
fn duplicate_code() {
    let src = kiosk::config::SHIPPED_MATTERS.replacen("code = \"A02\"", "code = \"A01\"", 1);
    let (code, err) = check(&src);
    assert_ne!(code, 0);
    let line = line_of(&src, "code = \"A01\"", 1);
    assert!(err.contains(&format!("FILE:{line}: matter.code: 事项代码“A01”重复了")), "{err}");
}

#[test]
fn unknown_category() {
    let src = kiosk::config::SHIPPED_MATTERS.replacen("category = \"B\"", "category = \"Q\"", 1);
    let (code, err) = check(&src);
    assert_ne!(code, 0);
    let line = line_of(&src, "category = \"Q\"", 0);
    assert!(err.contains(&format!("FILE:{line}: matter.category: 没有“Q”这个类别")), "{err}");
}

#[test]
fn empty_materials() {
    let src = "[[category]]\ncode = \"A\"\nname = \"人社\"\n\n[[matter]]\ncode = \"A01\"\ncategory = \"A\"\nname = \"参保登记\"\nmode = \"relay\"\npromised-days = 1\n";
    let (code, err) = check(src);
    assert_ne!(code, 0);
    let line = line_of(src, "[[matter]]", 0);
    assert!(err.contains(&format!("FILE:{line}: matter.materials: 事项 A01 没有列出材料")), "{err}");
    // A material that says neither original, copies nor quantity is refused too.
    let src = format!("{src}\n[[matter.materials]]\nname = \"身份证\"\n");
    let (_, err) = check(&src);
    let line = line_of(&src, "[[matter.materials]]", 0);
    assert!(err.contains(&format!("FILE:{line}: matter.materials: “身份证”没说怎么带")), "{err}");
}

#[test]
fn kiosk_refuses_to_start_on_invalid_list() {
    let t = TempStation::new();
    let bad = kiosk::config::SHIPPED_MATTERS.replacen("category = \"B\"", "category = \"Q\"", 1);
    std::fs::write(t.config_dir().join("matters.toml"), &bad).expect("write");
    // No command = the full-screen kiosk; it must stop before opening any window.
    let o = t.kiosk("2026-11-28T09:00:00+08:00", &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let file = t.config_dir().join("matters.toml").display().to_string();
    assert!(err.contains(&format!("{file}:")) && err.contains("没有“Q”这个类别"), "{err}");
    assert!(err.contains("will not start"), "{err}");
    assert!(!t.data_dir().join("kiosk.db").exists(), "nothing was written");
}

#[test]
fn broken_station_file_names_line_and_field() {
    let toml = kiosk::config::SHIPPED_STATION.replace("countdown-secs = 30", "countdown-secs = 5");
    let t = TempStation::with_station_toml(&toml);
    let o = t.kiosk("2026-11-28T09:00:00+08:00", &["config", "check"]);
    assert_eq!(o.status.code(), Some(2));
    let line = line_of(&toml, "countdown-secs = 5", 0);
    let file = t.config_dir().join("station.toml").display().to_string();
    assert!(stderr(&o).contains(&format!("{file}:{line}: idle.countdown-secs: 至少 20 秒")), "{}", stderr(&o));
}

#[test]
fn config_check_warns_about_prefixes_the_voice_says_ambiguously() {
    // The shipped prefixes are heard right (卫健 is K, not E: E001 sounded like 一零零一).
    let t = crate::util::TempStation::new();
    let o = t.kiosk("2026-11-27T10:00:00+08:00", &["config", "check"]);
    assert!(o.status.success());
    assert!(!crate::util::stdout(&o).contains("warning"), "{}", crate::util::stdout(&o));
    let toml =
        kiosk::config::SHIPPED_STATION.replacen("E = \"K\"", "E = \"E\"", 1).replacen("J = \"J\"", "J = \"P\"", 1);
    let t = crate::util::TempStation::with_station_toml(&toml);
    let o = t.kiosk("2026-11-27T10:00:00+08:00", &["config", "check"]);
    assert!(o.status.success(), "a warning, not an error");
    let out = crate::util::stdout(&o);
    let line = toml.lines().position(|l| l.starts_with("E = \"E\"")).expect("line") + 1;
    assert!(out.contains(&format!("station.toml:{line}: tickets.prefixes.E: warning: 字头 E 读出来像“一”")), "{out}");
    assert!(out.contains("字头 B 和 P 读出来只差送气"), "{out}");
    // A recorded clip replaces the synthesised letter: no warning for it.
    let clips = t.config_dir().join("clips");
    std::fs::create_dir_all(&clips).expect("clips");
    std::fs::write(clips.join("letter-e.wav"), b"RIFF").expect("clip");
    let toml = toml.replacen("custom-clips = \"\"", "custom-clips = \"clips\"", 1);
    std::fs::write(t.config_dir().join("station.toml"), &toml).expect("toml");
    let out = crate::util::stdout(&t.kiosk("2026-11-27T10:00:00+08:00", &["config", "check"]));
    assert!(!out.contains("字头 E"), "{out}");
}
