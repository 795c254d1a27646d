//! The second language: every text of the code has its English in the one catalogue
//! (`lang/en/LC_MESSAGES/kiosk.po`), the faces mark every Chinese text they show, the web
//! pages follow the browser's language, and the kiosk's 中/EN control switches the screens
//! and is forgotten when the villager leaves.

#[path = "lang/extract.rs"]
mod extract;

use crate::util::{http, Serve, TempStation};
use kiosk::lang::{tr_in, Catalogue, Lang, ENGLISH_PO};
use std::collections::HashMap;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn english() -> HashMap<String, String> {
    Catalogue::entries(ENGLISH_PO).expect("the catalogue reads").into_iter().collect()
}

#[test]
fn every_string_of_the_code_has_its_english() {
    let en = english();
    let found = extract::strings(root());
    assert!(found.len() > 500, "the extractor finds the strings ({} found)", found.len());
    let mut problems = Vec::new();
    for f in &found {
        match en.get(&f.text).map(String::as_str) {
            None | Some("") => problems.push(format!("{}:{}: no English for {:?}", f.file, f.line, f.text)),
            Some(s) if !kiosk::lang::same_placeholders(&f.text, s) => problems
                .push(format!("{}:{}: {:?} and its English {:?} name different values", f.file, f.line, f.text, s)),
            Some(s) if extract::has_han(s) && !s.contains("\"张\"") && !s.contains("低保申请") => {
                problems.push(format!("{}:{}: the English of {:?} still has Chinese: {s:?}", f.file, f.line, f.text))
            }
            Some(_) => {}
        }
    }
    assert!(
        problems.is_empty(),
        "{} strings need work (write them in lang/en/LC_MESSAGES/kiosk.po; \
         `cargo run --example lang_sync` adds the new ones):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_catalogue_holds_only_what_the_code_says() {
    let found: Vec<String> = extract::strings(root()).into_iter().map(|f| f.text).collect();
    let stale: Vec<String> = english().into_keys().filter(|k| !k.is_empty() && !found.contains(k)).collect();
    assert!(stale.is_empty(), "entries the code no longer has (run `cargo run --example lang_sync`): {stale:?}");
}

#[test]
fn the_faces_mark_every_chinese_text_they_show() {
    let mut left = extract::unmarked(root(), "src/server");
    // The kiosk's Rust side, but not the screenshot's sample data, the window title of
    // the X11 code or the systemd status lines.
    left.extend(extract::unmarked(root(), "src/ui").into_iter().filter(|f| {
        !f.file.ends_with("screenshot.rs") && !f.file.ends_with("x11.rs") && !f.text.starts_with("READY=1")
    }));
    let list: Vec<String> = left.iter().map(|f| format!("{}:{}: {:?}", f.file, f.line, f.text)).collect();
    assert!(list.is_empty(), "Chinese shown without tr!(…) (so it has no English):\n{}", list.join("\n"));
}

fn get_in(srv: &Serve, path: &str, accept: Option<&str>) -> (u16, String, String) {
    let mut req = http().get(&srv.url(path));
    if let Some(a) = accept {
        req = req.header("Accept-Language", a);
    }
    let mut r = req.call().expect("get");
    let vary = r.headers().get("vary").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default(), vary)
}

/// The page's text with its tags, the station's name (data) and the language names
/// removed: what is left must be in the page's language.
fn chrome_text(page: &str, station: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in page.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace(station, "")
}

#[test]
fn the_web_pages_follow_the_browsers_language() {
    let t = TempStation::new();
    crate::cases::add_staff(&t.station_at("2026-11-30T09:30:00+08:00"));
    let srv = Serve::start(&t, Some("2026-11-30T09:30:00+08:00"));
    let station = t.station_at("2026-11-30T09:30:00+08:00").cfg.station.name.clone();

    // A Chinese browser, and one that names no language: the source.
    for accept in [Some("zh-CN,zh;q=0.9,en;q=0.8"), None, Some("fr-FR")] {
        let (status, page, vary) = get_in(&srv, "/desk", accept);
        assert_eq!(status, 200);
        assert!(page.contains("<html lang=\"zh-CN\""), "{accept:?}: {page}");
        assert!(page.contains(">登录<"), "{accept:?}");
        assert!(vary.contains("Accept-Language"), "caches keep the languages apart: {vary:?}");
    }
    // An English one: the page in English, nothing of its own words left in Chinese.
    let (_, page, _) = get_in(&srv, "/desk", Some("en-US,en;q=0.9"));
    assert!(page.contains("<html lang=\"en\""), "{page}");
    assert!(page.contains(tr_in(Lang::English, "登录")), "{page}");
    let text = chrome_text(&page, &station);
    assert!(!extract::has_han(&text), "Chinese left on the English sign-in page: {text}");
    // A plain 404 page and a villager's unknown ticket, too.
    for path in ["/no-such-page", "/t/AAAAAAAAAAAAAAAAAAAAAAAA"] {
        let (status, page, _) = get_in(&srv, path, Some("en"));
        assert_eq!(status, 404, "{path}");
        let text = chrome_text(&page, &station);
        assert!(!extract::has_han(&text), "{path}: Chinese left: {text}");
    }
    // A refusal of the service (its sentence, matched whole): a wrong PIN.
    let mut r = http()
        .post(&srv.url("/desk/login"))
        .header("Accept-Language", "en")
        .send_form([("staff", "001"), ("pin", "999999")])
        .expect("post");
    let page = r.body_mut().read_to_string().unwrap_or_default();
    let text = chrome_text(&page, &station);
    assert!(!extract::has_han(&text), "the refusal of a wrong PIN in English: {text}");
    srv.stop();
}

#[test]
fn the_kiosk_switches_to_english_and_the_next_villager_gets_chinese() {
    use crate::ui::{kiosk, tap};
    use kiosk::ui::{IdleAdapter, Nav};
    use slint::ComponentHandle;
    let t = TempStation::new();
    let k = kiosk(&t, "2026-11-28T09:30:00+08:00");
    let call_staff_en = tr_in(Lang::English, "呼叫工作人员");
    assert_ne!(call_staff_en, "呼叫工作人员");
    let labelled =
        |label: &str| i_slint_backend_testing::ElementHandle::find_by_accessible_label(&k.app, label).next().is_some();
    assert!(labelled("呼叫工作人员"));
    tap(&k, "English");
    assert!(k.app.global::<Nav>().get_english());
    assert!(labelled(call_staff_en), "the home page in English");
    assert!(!labelled("呼叫工作人员"));
    // Pages reached afterwards are in English too, the Rust side's texts included.
    tap(&k, tr_in(Lang::English, "办事指南"));
    assert!(labelled(tr_in(Lang::English, "返回")));
    // Idle: the next villager finds the screen in Chinese.
    for _ in 0..120 {
        i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_secs(1));
    }
    assert!(!k.app.global::<IdleAdapter>().get_warning());
    assert!(!k.app.global::<Nav>().get_english(), "idle sets Chinese back");
    assert!(labelled("呼叫工作人员"));
    assert_eq!(kiosk::lang::current(), Lang::Zh);
}
