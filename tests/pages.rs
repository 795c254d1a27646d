//! The station's pages as a whole: whatever a person typed is shown as text on every page
//! that shows it, never as markup; and no refusal or fault of any form reaches a screen in
//! English, as a command-line flag or as SQL.

use crate::cases::{add_staff, request, PIN};
use crate::server::{csrf_of, sign_in_as};
use crate::util::{http, stdout, Serve, TempStation};

const NOW: &str = "2026-11-30T09:30:00+08:00";

/// What a person might type that a page must never take for markup.
const HOSTILE: &str = "<b>\"'&</script>\"><img src=x onerror=1>";
/// The same for fields capped at 20 characters (names).
const SHORT: &str = "<b>\"'&</script>";
/// How every one of them starts once escaped.
const ESCAPED: &str = "&lt;b&gt;&quot;'&amp;";

/// Raw pieces of [`HOSTILE`] that must never be in a page.
fn assert_never_markup(path: &str, body: &str) {
    for raw in ["<b>\"'&", "</script>\"", "<img src=x", "onerror=1>"] {
        assert!(!body.contains(raw), "{path} carries {raw:?} as markup:\n{body}");
    }
}

fn get_as(srv: &Serve, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut req = http().get(&srv.url(path));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let mut r = req.call().expect("get");
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
}

fn post_as(srv: &Serve, path: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String) {
    let mut r = http().post(&srv.url(path)).header("Cookie", cookie).send_form(form.iter().copied()).expect("post");
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
}

fn csrf(srv: &Serve, cookie: &str) -> String {
    csrf_of(&get_as(srv, "/desk/cases", Some(cookie)).1)
}

#[test]
fn what_people_type_is_text_on_every_page_never_markup() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    // Matter names and materials, through an import; the note of the publish.
    let src = crate::matters::with_new_matter()
        .replacen("name = \"公共法律服务预约\"", &format!("name = {:?}", format!("法律{SHORT}")), 1)
        .replacen("name = \"居民身份证\"\noriginal = true\n", &format!("name = {HOSTILE:?}\noriginal = true\n"), 1);
    let file = t.dir.path().join("hostile.toml");
    std::fs::write(&file, &src).expect("write");
    let o = t.kiosk_stdin(
        NOW,
        &["matters", "import", file.to_str().expect("utf8"), "--note", HOSTILE, "--staff", "003"],
        &format!("{PIN}\n"),
    );
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    // A villager's case for it, and a ticket served and rated.
    let case = t.station_at(NOW).submit_case(&request("J03", &[])).expect("case");
    let tracking = case.case.tracking.clone();
    let case_token = case.status_url.rsplit('/').next().expect("token").to_string();
    let o = t.kiosk(NOW, &["ticket", "take", "--matter", "C02", "--json"]);
    let ticket: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    let ticket_token = ticket["token"].as_str().expect("token").to_string();
    {
        let mut st = t.station_at(NOW);
        let a = crate::cases::signed(&st, "001");
        st.call_next(&a, 1).expect("call");
        let number = ticket["number"].as_str().expect("number");
        st.call_action(&a, 1, number, kiosk::domain::calling::CallAction::Finish).expect("finish");
    }

    let srv = Serve::start(&t, Some(NOW));
    let head = sign_in_as(&srv, "003", PIN).expect("head signs in");
    let token = csrf(&srv, &head);
    // Staff names; case notes; a rating's words; holiday dates; settings.
    let act = format!("/desk/cases/{tracking}/act");
    let extend = format!("/desk/cases/{tracking}/extend");
    let typed: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/desk/admin/staff/act",
            vec![("action", "add"), ("no", "009"), ("name", SHORT), ("role", "staff"), ("pin", "135792")],
        ),
        (&act, vec![("to", "accepted"), ("note", HOSTILE)]),
        (&act, vec![("to", "returned"), ("note", HOSTILE)]),
        (&extend, vec![("days", "x"), ("reason", HOSTILE)]),
        ("/desk/admin/settings/save", vec![("station.phone", HOSTILE)]),
    ];
    for (path, fields) in &typed {
        let mut form = fields.clone();
        form.push(("csrf", &token));
        let (status, body) = post_as(&srv, path, &head, &form);
        assert!(status < 500, "{path}: {status}");
        assert_never_markup(path, &body);
    }
    let rated = http()
        .post(&srv.url(&format!("/t/{ticket_token}/rate")))
        .send_form([("level", "1"), ("reason", "wait"), ("comment", HOSTILE)])
        .expect("rate");
    assert!(rated.status().as_u16() < 500);
    // Forms shown again with what was typed, and the errors quoting it.
    let echoed: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/desk/admin/holidays/import",
            vec![("mode", "form"), ("year", "2027"), ("holidays", HOSTILE), ("workdays", HOSTILE)],
        ),
        ("/desk/admin/holidays/import", vec![("mode", "toml"), ("source", HOSTILE)]),
        ("/desk/admin/matters/check", vec![("source", HOSTILE)]),
        ("/desk/admin/matters/check", vec![("source", &src)]),
        ("/desk/admin/settings/save", vec![("station.name", HOSTILE), ("idle.timeout-secs", HOSTILE)]),
    ];
    for (path, fields) in &echoed {
        let mut form = fields.clone();
        form.push(("csrf", &token));
        let (status, body) = post_as(&srv, path, &head, &form);
        assert!(status < 500, "{path}: {status}");
        assert_never_markup(path, &body);
        assert!(body.contains(ESCAPED), "{path} shows what was typed, escaped:\n{body}");
    }

    // Every page, as the station head and as anyone.
    let desk_pages = [
        "/desk",
        "/desk/cases",
        &format!("/desk/cases/{tracking}"),
        "/desk/followups",
        "/desk/admin/matters",
        "/desk/admin/matters/rollback?version=1",
        "/desk/admin/staff",
        "/desk/admin/duty",
        "/desk/admin/pads",
        "/desk/admin/holidays",
        "/desk/admin/settings",
        "/desk/admin/reports",
        "/desk/admin/wallchart",
        "/desk/admin/audit",
    ];
    let public_pages = ["/", &format!("/t/{ticket_token}"), &format!("/c/{case_token}"), "/display", "/pad/1"];
    let mut shown = Vec::new();
    for (path, cookie) in
        desk_pages.iter().map(|p| (*p, Some(head.as_str()))).chain(public_pages.iter().map(|p| (*p, None)))
    {
        let (status, body) = get_as(&srv, path, cookie);
        assert!(status < 500, "{path}: {status}");
        assert_never_markup(path, &body);
        if body.contains(ESCAPED) {
            shown.push(path.to_string());
        }
    }
    // Where each one is shown, it is shown (escaped): the test saw the text, not nothing.
    for path in [
        "/desk/cases".to_string(),
        format!("/desk/cases/{tracking}"),
        "/desk/followups".into(),
        "/desk/admin/matters".into(),
        "/desk/admin/staff".into(),
        "/desk/admin/duty".into(),
        "/desk/admin/settings".into(),
        "/desk/admin/audit".into(),
        format!("/c/{case_token}"),
    ] {
        assert!(shown.contains(&path), "{path} shows the typed text; pages that did: {shown:?}");
    }
    let (_, page) = get_as(&srv, &format!("/desk/cases/{tracking}"), Some(&head));
    assert!(page.matches(ESCAPED).count() >= 3, "matter name, material and note:\n{page}");
}

/// The text a person reads on a page: no tags, no scripts, no code samples (a command's
/// name shown as code is not an error in English).
fn visible_text(html: &str) -> String {
    let mut s = html.to_string();
    for (open, close) in [("<script", "</script>"), ("<style", "</style>"), ("<code", "</code>")] {
        while let Some(i) = s.find(open) {
            let j = s[i..].find(close).map(|j| i + j + close.len()).unwrap_or(s.len());
            s.replace_range(i..j, " ");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// What must never be on a screen: an English sentence (three English words in a row), a
/// command-line flag, an SQL or storage word.
fn assert_plain_chinese(what: &str, html: &str) {
    let text = visible_text(html);
    let words: Vec<String> =
        text.split(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '\'').map(str::to_string).collect();
    for w in &words {
        assert!(!w.starts_with("--"), "{what}: a command-line flag {w:?} in:\n{text}");
        let lower = w.to_ascii_lowercase();
        for sql in
            ["sql", "sqlite", "rusqlite", "database", "select", "insert", "constraint", "locked", "toml:", "serde"]
        {
            assert!(lower != sql, "{what}: {w:?} in:\n{text}");
        }
    }
    // Three English words in a row, with only spaces between them.
    let mut run = 0;
    let mut last = String::new();
    for token in text.split(' ') {
        let t = token.trim_matches(|c: char| matches!(c, ',' | '.' | ':' | ';' | '"' | '(' | ')'));
        if t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()) && !token.is_empty() {
            run += 1;
            last.push_str(t);
            last.push(' ');
            assert!(run < 3, "{what}: English {last:?} in:\n{text}");
        } else if !token.is_empty() {
            run = 0;
            last.clear();
        }
    }
}

/// Posts a form and reads what the person sees: the page answered, or the page the
/// redirect leads to (with its flash).
fn post_and_read(srv: &Serve, cookie: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let mut r = http().post(&srv.url(path)).header("Cookie", cookie).send_form(form.iter().copied()).expect("post");
    let status = r.status().as_u16();
    let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = r.body_mut().read_to_string().unwrap_or_default();
    match location {
        Some(to) if status == 303 && to.starts_with('/') && !to.starts_with("/pad") => {
            let (_, page) = get_as(srv, &to, Some(cookie));
            (status, page)
        }
        _ => (status, body),
    }
}

#[test]
fn no_refusal_or_fault_reaches_a_screen_in_english_or_as_a_flag_or_sql() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    let case = t.station_at(NOW).submit_case(&request("F03", &[])).expect("case");
    let tracking = case.case.tracking.clone();
    let o = t.kiosk(NOW, &["ticket", "take", "--matter", "C02", "--json"]);
    let ticket: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    let ticket_token = ticket["token"].as_str().expect("token").to_string();
    let srv = Serve::start(&t, Some(NOW));
    let head = sign_in_as(&srv, "003", PIN).expect("head signs in");
    let token = csrf(&srv, &head);
    let (status, _) = post_as(&srv, "/desk/window", &head, &[("window", "1"), ("csrf", &token)]);
    assert_eq!(status, 303, "the head sits at window 1");

    // Every form of the desk and 站务管理, by its fields and the values of its action.
    let case_path = |p: &str| format!("/desk/cases/{tracking}/{p}");
    let forms: Vec<(String, Vec<&str>, Vec<&str>)> = vec![
        (
            "/desk/act".into(),
            vec!["number", "to_window", "to_category", "id", "job", "prev", "prev_number"],
            vec![
                "next",
                "recall",
                "no-show",
                "callback",
                "start",
                "finish",
                "transfer-window",
                "transfer-category",
                "pause",
                "resume",
                "help",
                "reprint",
                "nonsense",
            ],
        ),
        (case_path("act"), vec!["version", "to", "note"], vec![]),
        (case_path("materials"), vec!["version", "m0", "m1"], vec![]),
        (case_path("extend"), vec!["version", "days", "reason"], vec![]),
        (case_path("reassign"), vec!["version", "to_staff", "note"], vec![]),
        (case_path("reveal"), vec![], vec![]),
        ("/desk/cases/D-000000-000/act".into(), vec!["version", "to", "note"], vec![]),
        ("/desk/followups/act".into(), vec!["id", "version", "assignee", "result"], vec!["assign", "result", "x"]),
        ("/desk/admin/matters/check".into(), vec!["source"], vec![]),
        ("/desk/admin/matters/publish".into(), vec!["source", "note"], vec![]),
        ("/desk/admin/matters/rollback".into(), vec!["version", "note"], vec![]),
        (
            "/desk/admin/staff/act".into(),
            vec!["no", "name", "role", "pin"],
            vec!["add", "disable", "enable", "role-admin", "role-staff", "pin", "x"],
        ),
        (
            "/desk/admin/duty/act".into(),
            vec!["scope", "scope_cat", "a", "b", "no", "day", "weekday", "window", "cat-A"],
            vec!["post-set", "post-remove", "away-set", "away-clear", "rota-on", "rota-off", "window", "x"],
        ),
        ("/desk/admin/pads/revoke".into(), vec!["id"], vec![]),
        ("/desk/admin/holidays/import".into(), vec!["mode", "year", "holidays", "workdays", "source"], vec![]),
        (
            "/desk/admin/settings/save".into(),
            vec!["version", "station.name", "idle.timeout-secs", "hours.weekdays"],
            vec![],
        ),
        // Last: a window of 0 leaves the window.
        ("/desk/window".into(), vec!["window"], vec![]),
    ];
    // Missing fields, wrong types, out-of-range numbers, a stale version, full-width digits.
    let wrong = ["", "abc", "-1", "99999999999999999999", "0", "１２", "2026-13-45"];
    let mut seen = 0;
    for (path, fields, actions) in &forms {
        let actions: Vec<Option<&str>> =
            if actions.is_empty() { vec![None] } else { actions.iter().map(|a| Some(*a)).collect() };
        for action in &actions {
            let mut variants: Vec<Vec<(&str, &str)>> = vec![vec![]];
            for w in wrong {
                variants.push(fields.iter().map(|f| (*f, w)).collect());
            }
            for mut form in variants {
                form.push(("csrf", &token));
                if let Some(a) = action {
                    form.push(("action", a));
                }
                if path == "/desk/act" {
                    // The window the page showed (another is 本页面已过期, tested in server.rs).
                    form.push(("window", "1"));
                }
                let (status, page) = post_and_read(&srv, &head, path, &form);
                assert!(status < 500, "{path} {form:?}: {status}\n{page}");
                assert_plain_chinese(&format!("POST {path} {form:?}"), &page);
                seen += 1;
            }
        }
    }
    // Pages asked for with a query they cannot use.
    for path in [
        "/desk/cases?state=x&matter=%3Cb%3E&overdue=abc",
        "/desk/cases/D-000000-000",
        "/desk/cases/nonsense",
        "/desk/admin/matters/rollback?version=abc",
        "/desk/admin/matters/rollback?version=999",
        "/desk/admin/reports?from=abc",
        "/desk/admin/reports?from=2026-12-01&to=2026-01-01",
        "/desk/admin/reports?from=2000-01-01&to=2026-12-01",
        "/desk/admin/reports/file?from=2026-12-01&to=2026-01-01&format=csv",
        "/desk/admin/wallchart/file?part=x",
        "/desk/admin/audit?from=x&to=y",
        "/desk/live?window=x",
    ] {
        let (status, page) = get_as(&srv, path, Some(&head));
        assert!(status < 500, "{path}: {status}");
        assert_plain_chinese(path, &page);
        seen += 1;
    }
    // A villager's forms, and the sign-in.
    for (path, form) in [
        (format!("/t/{ticket_token}/rate"), vec![("level", "abc")]),
        (format!("/t/{ticket_token}/rate"), vec![("level", "9"), ("reason", "x")]),
        ("/pad/1/rate".to_string(), vec![("level", "1")]),
        ("/desk/login".to_string(), vec![]),
        ("/desk/login".to_string(), vec![("staff", "abc"), ("pin", "x")]),
    ] {
        let mut r = http().post(&srv.url(&path)).send_form(form.iter().copied()).expect("post");
        assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
        assert_plain_chinese(&path, &r.body_mut().read_to_string().unwrap_or_default());
    }
    assert!(seen > 300, "{seen} answers read");

    // A locked store (a technician's long write, a backup): the page says it is busy, in
    // words, after the store's wait; nothing else.
    let (status, _) = post_as(&srv, "/desk/window", &head, &[("window", "1"), ("csrf", &token)]);
    assert_eq!(status, 303, "back at window 1");
    let lock = crate::util::db(&t);
    lock.execute_batch("BEGIN IMMEDIATE;").expect("lock");
    let slow = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(std::time::Duration::from_secs(90)))
        .build();
    let slow: ureq::Agent = slow.into();
    let tries: Vec<(String, Vec<(String, String)>)> = vec![
        ("/desk/act".into(), vec![("action".into(), "next".into()), ("window".into(), "1".into())]),
        (case_path("act"), vec![("to".into(), "accepted".into())]),
        ("/desk/login".into(), vec![("staff".into(), "001".into()), ("pin".into(), "000000".into())]),
    ];
    let answers: Vec<(String, u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = tries
            .iter()
            .map(|(path, fields)| {
                let (slow, srv, head, token) = (&slow, &srv, &head, &token);
                scope.spawn(move || {
                    let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    form.push(("csrf", token));
                    let mut r =
                        slow.post(&srv.url(path)).header("Cookie", head).send_form(form.iter().copied()).expect("post");
                    (path.clone(), r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    lock.execute_batch("ROLLBACK").expect("unlock");
    for (path, status, page) in answers {
        assert_eq!(status, 503, "{path}: {page}");
        assert!(page.contains("暂时"), "{path}: {page}");
        assert_plain_chinese(&path, &page);
    }
}

/// A row a technician broke by hand (a time that is not a time, a state nobody knows) is
/// a fault: the page says the station is busy and the log names the column; it is never
/// shown as 1970 or 已取消.
#[test]
fn a_row_that_does_not_decode_is_a_fault_not_a_default() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    let case = t.station_at(NOW).submit_case(&request("F03", &[])).expect("case");
    let case_token = case.status_url.rsplit('/').next().expect("token").to_string();
    t.kiosk(NOW, &["ticket", "take", "--matter", "C02", "--json"]);
    let srv = Serve::start(&t, Some(NOW));
    let head = sign_in_as(&srv, "003", PIN).expect("head signs in");
    let db = crate::util::db(&t);
    db.execute("UPDATE cases SET created_at = 'yesterday'", []).expect("break a time");
    drop(db);
    for (path, cookie) in [
        ("/desk/cases".to_string(), Some(head.as_str())),
        (format!("/desk/cases/{}", case.case.tracking), Some(head.as_str())),
        (format!("/c/{case_token}"), None),
    ] {
        let (status, page) = get_as(&srv, &path, cookie);
        assert_eq!(status, 503, "{path}: {page}");
        assert!(!page.contains("1970"), "{page}");
        assert_plain_chinese(&path, &page);
    }
    drop(srv);
    let log = crate::util::serve_log(&t);
    assert!(log.contains("created_at") && log.contains("yesterday"), "the log names the column and the value:\n{log}");
    // The command line: a fault, exit 1, naming the column.
    let db = crate::util::db(&t);
    db.execute("UPDATE tickets SET issued_at = 'yesterday'", []).expect("break a time");
    drop(db);
    let o = t.kiosk_stdin(NOW, &["call", "next", "--window", "1", "--staff", "001", "--json"], &format!("{PIN}\n"));
    assert_eq!(o.status.code(), Some(1), "{}", crate::util::stderr(&o));
    assert!(crate::util::stderr(&o).contains("issued_at"), "{}", crate::util::stderr(&o));
}

/// A ticket status or a case state nobody knows is a fault in the reports too: the month's
/// figures are not counted with the ticket as 已取消 or the case as 待受理.
#[test]
fn a_state_nobody_knows_is_a_fault_in_the_reports_not_a_default() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    t.station_at(NOW).submit_case(&request("F03", &[])).expect("case");
    t.kiosk(NOW, &["ticket", "take", "--matter", "C02", "--json"]);
    let srv = Serve::start(&t, Some(NOW));
    let head = sign_in_as(&srv, "003", PIN).expect("head signs in");
    let path = "/desk/admin/reports";
    assert_eq!(get_as(&srv, path, Some(&head)).0, 200, "the report reads before the store is broken");
    for (broken, mend) in [
        ("UPDATE tickets SET status = 'mislaid'", "UPDATE tickets SET status = 'waiting'"),
        ("UPDATE cases SET state = 'mislaid'", "UPDATE cases SET state = 'pending'"),
    ] {
        let db = crate::util::db(&t);
        // The table's CHECK would stop the status: a hand edit turns the checks off.
        db.execute_batch(&format!("PRAGMA ignore_check_constraints = ON; {broken}")).expect("break a state");
        drop(db);
        let (status, page) = get_as(&srv, path, Some(&head));
        assert_eq!(status, 503, "{broken}: {page}");
        assert_plain_chinese(path, &page);
        let db = crate::util::db(&t);
        db.execute_batch(&format!("PRAGMA ignore_check_constraints = ON; {mend}")).expect("mend");
        drop(db);
    }
    drop(srv);
    let log = crate::util::serve_log(&t);
    assert!(log.matches("mislaid").count() >= 2, "the log names the value both times:\n{log}");
}
