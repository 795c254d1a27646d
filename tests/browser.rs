//! The station's pages in a real browser (Debian's chromium through chromedriver): a staff
//! member signs in at /desk and calls the next ticket; the wall display shows the call
//! by itself; the villager's phone page says 请到 1 号窗口; after 办结 the rating pad
//! shows its five buttons and a tap stores the rating.
//!
//! With `KIOSK_SCREENSHOTS=DIR` the pictures used in docs/ are written there.

use crate::cases::{add_staff, PIN};
use crate::util::{stdout, Serve, TempStation};
use crate::webdriver::Browser;
use kiosk::service::{LocalAdmin, Target};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-30T09:30:00+08:00";

fn shot(b: &Browser, name: &str) {
    let dir = match std::env::var_os("KIOSK_SCREENSHOTS") {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join(format!("kiosk-browser-{}", std::process::id())),
    };
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{name}.png"));
    b.screenshot(&path);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    assert!(size > 5_000, "{name}.png is blank ({size} bytes)");
}

fn take(t: &TempStation, code: &str, priority: bool) -> String {
    let mut args = vec!["ticket", "take", "--matter", code, "--json"];
    if priority {
        args.push("--priority");
    }
    let o = t.kiosk(NOW, &args);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    v["token"].as_str().expect("token").to_string()
}

#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn desk_call_reaches_display_phone_and_pad() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    let first = take(&t, "C02", false);
    for (code, prio) in [("A04", true), ("C01", false), ("B01", false), ("D01", false)] {
        take(&t, code, prio);
    }
    let srv = Serve::start(&t, Some(NOW));

    // The wall display, on its own browser (a TV across the room), and the rating pad.
    let tv = Browser::start(1920, 1080);
    tv.goto(&srv.url("/display"));
    tv.wait_for_text("#waiting", "人", Duration::from_secs(10));
    // The pad is paired once by the station head, on the pad itself: until then it says
    // so, and its taps would not count.
    let pad = Browser::start(1024, 600);
    pad.goto(&srv.url("/pad/1"));
    pad.wait_for_text("main.pad", "这台设备还不是评价器", Duration::from_secs(5));
    shot(&pad, "web-pad-unpaired");
    pad.goto(&srv.url("/desk"));
    pad.find("input[name=staff]").send_keys("003");
    pad.find("input[name=pin]").send_keys(PIN);
    pad.find("main.login button[type=submit]").click();
    pad.wait_for_text("h1", "请选择您所在的窗口", Duration::from_secs(10));
    pad.goto(&srv.url("/desk/admin/pads"));
    pad.wait_for_text("h1", "评价器", Duration::from_secs(5));
    pad.execute(
        "document.querySelector(\"form[action='/desk/admin/pads/pair'] input[name=window][value='1']\").form.querySelector('button').click();",
        vec![],
    );
    pad.wait_for_text("main.pad", "请对我们的服务进行评价", Duration::from_secs(5));
    let cookies = pad.cookies();
    assert!(cookies.iter().any(|c| c["name"] == "kiosk_pad" && c["httpOnly"] == true), "{cookies:?}");
    assert!(!cookies.iter().any(|c| c["name"] == "kiosk_desk"), "the head's session does not stay on the pad");
    shot(&pad, "web-pad-idle");

    // The desk: sign in, choose window 1.
    let desk = Browser::start(1366, 900);
    desk.goto(&srv.url("/desk"));
    shot(&desk, "web-desk-login");
    desk.find("input[name=staff]").send_keys("001");
    desk.find("input[name=pin]").send_keys(PIN);
    desk.find("main.login button[type=submit]").click();
    desk.wait_for_text("h1", "请选择您所在的窗口", Duration::from_secs(10));
    desk.find("button.window-choice").click();
    desk.wait_for_text("#panel", "叫下一位", Duration::from_secs(10));
    let cookies = desk.cookies();
    let session = cookies.iter().find(|c| c["name"] == "kiosk_desk").expect("session cookie");
    assert_eq!(session["httpOnly"], true);
    assert_eq!(session["sameSite"], "Strict");

    // 叫下一位: the priority ticket A001 first; the display shows it by itself, over its
    // live stream, without reloading. (How fast: `scripts/bench-serve.sh` measures a call
    // reaching 50 displays; a wall-clock bound here failed on a loaded 2-core CI.)
    mark_page(&tv);
    click_labelled(&desk, "叫下一位");
    tv.wait_for_text("#banner", "请 A001 号 到 1 号窗口", Duration::from_secs(5));
    assert!(same_page(&tv), "the display reloaded instead of updating live");
    tv.wait_for_text("#windows", "A001", Duration::from_secs(2));
    desk.wait_for_text("#current-number", "A001", Duration::from_secs(5));
    // A recall is announced again, but 最近叫号 lists each ticket once (issue 13: A001 four
    // times out of six).
    for n in 1..=2 {
        desk.execute(
            "document.querySelector(\"#panel input[name=action][value=recall]\").form.querySelector('button').click();",
            vec![],
        );
        desk.wait_for_text("#panel", &format!("重呼（{n}/"), Duration::from_secs(5));
    }
    tv.wait_for_text("#banner", "请 A001 号 到 1 号窗口", Duration::from_secs(5));
    let listed = tv.execute(
        "return Array.from(document.querySelectorAll('#calls li')).filter(l => l.textContent.includes('A001')).length;",
        vec![],
    );
    assert_eq!(listed, serde_json::json!(1), "A001 once in 最近叫号");
    shot(&tv, "web-display");
    tv.set_window_size(1366, 768);
    tv.wait_for_text("#windows", "A001", Duration::from_secs(2));
    shot(&tv, "web-display-1366");
    tv.set_window_size(1920, 1080);

    // 办结: the pad shows its five buttons; a tap stores the rating with staff and window.
    click_labelled(&desk, "办结");
    desk.wait_for_text("#panel", "A001 已办结", Duration::from_secs(5));
    pad.wait_for("button.rate-5", Duration::from_secs(5));
    assert_eq!(pad.find_all("button.rate").len(), 5, "five levels");
    pad.wait_for_text("main.pad", "A001 号，请您评价这次服务", Duration::from_secs(2));
    shot(&pad, "web-pad");
    pad.find("button.rate-4").click();
    pad.wait_for_text("main.pad", "谢谢您的评价", Duration::from_secs(5));
    let db = crate::util::db(&t);
    let (level, staff, window): (u8, String, u32) = db
        .query_row(
            "SELECT r.level, r.staff_no, r.window_no FROM ratings r JOIN tickets t ON t.id = r.ticket_id
             WHERE t.number = 'A001'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("the rating is stored");
    assert_eq!((level, staff.as_str(), window), (4, "001", 1));

    // The villager's phone: waiting, then 请到 1 号窗口 by itself when called.
    let phone = Browser::start(360, 740);
    phone.goto(&srv.url(&format!("/t/{first}")));
    phone.wait_for_text(".live .state", "等候中", Duration::from_secs(5));
    shot(&phone, "web-ticket-waiting");
    mark_page(&phone);
    click_labelled(&desk, "叫下一位");
    // Well before the 15 s fallback reload, and without one: the live stream did it.
    phone.wait_for_text(".live .state", "请到 1 号窗口", Duration::from_secs(5));
    assert!(same_page(&phone), "the phone page reloaded instead of updating live");
    // (After the two recalls still in the banner's turn: each call is shown a few seconds.)
    tv.wait_for_text("#banner", "请 C001 号 到 1 号窗口", Duration::from_secs(20));
    desk.wait_for_text("#current-number", "C001", Duration::from_secs(5));
    shot(&phone, "web-ticket-called");
    shot(&desk, "web-desk");
    // Finished: the phone reloads itself and offers the rating; a tap thanks.
    click_labelled(&desk, "办结");
    phone.wait_for_text("main.phone", "请您评价这次服务", Duration::from_secs(5));
    shot(&phone, "web-ticket-rate");
    phone.find("button.rate-5").click();
    phone.wait_for_text("main.phone", "谢谢您的评价", Duration::from_secs(5));
    // A reload after rating shows that it is rated, not the form again (the post answered
    // with a redirect).
    phone.refresh();
    phone.wait_for_text("main.phone", "谢谢您的评价", Duration::from_secs(5));
    assert!(phone.find_all("button.rate").is_empty(), "no rating form again after a reload");

    // 叫下一位 twice: the second time over a ticket called and never started, the desk asks
    // what became of it; 过号 calls the next and keeps it for 回呼.
    click_labelled(&desk, "叫下一位");
    desk.wait_for("#current-number", Duration::from_secs(5));
    let called = desk.find("#current-number").text();
    click_labelled(&desk, "叫下一位");
    desk.wait_for_text("section.question", "还没有开始办理：按过号，还是已经办完？", Duration::from_secs(5));
    shot(&desk, "web-desk-ask");
    let no_show = desk
        .find_all("section.question button")
        .into_iter()
        .find(|b| b.text().contains("按过号"))
        .expect("the 过号 answer");
    no_show.click();
    desk.wait_for_text("#panel", &format!("{called} 已按过号"), Duration::from_secs(5));
    desk.wait_for_text("#panel", "今日过号", Duration::from_secs(5));
}

/// Leaves a mark on the page's window object; a reload or navigation wipes it.
fn mark_page(b: &Browser) {
    b.execute("window.__kioskSamePage = true;", vec![]);
}

fn same_page(b: &Browser) -> bool {
    b.execute("return window.__kioskSamePage === true;", vec![]) == serde_json::Value::Bool(true)
}

/// Clicks the desk button whose text is `label` (buttons are forms; the panel may have
/// been redrawn since the page loaded, even between finding a button and clicking it, so
/// both happen in one script in the page).
fn click_labelled(b: &Browser, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let clicked = b.execute(
            "const l = arguments[0]; \
             const btn = Array.from(document.querySelectorAll('#panel button')).find(x => x.textContent.trim().startsWith(l)); \
             if (btn) { btn.click(); return true; } return false;",
            vec![serde_json::json!(label)],
        );
        if clicked == serde_json::json!(true) {
            return;
        }
        assert!(Instant::now() < deadline, "no button {label:?} on the desk:\n{}", b.page_source());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fills the note of the move whose button is `label` and presses it.
fn submit_move(b: &Browser, label: &str, note: &str) {
    let forms = b.find_all("form.move");
    let mut done = false;
    for (i, f) in forms.iter().enumerate() {
        if f.text().contains(label) {
            b.execute(
                "const f = document.querySelectorAll('form.move')[arguments[0]]; \
                 f.querySelector('input[name=note]').value = arguments[1]; f.querySelector('button').click();",
                vec![serde_json::json!(i), serde_json::json!(note)],
            );
            done = true;
            break;
        }
    }
    assert!(done, "no move {label:?} on the page:\n{}", b.page_source());
}

#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn desk_carries_a_case_from_submission_to_the_archive() {
    let t = TempStation::new();
    let tracking = {
        let mut st = t.station_at(NOW);
        add_staff(&st);
        st.admin_set_post(&LocalAdmin::on_this_box(), "C", "001", Some("002")).expect("post");
        st.submit_case(&crate::cases::request("C01", &["户口簿"])).expect("submit").case.tracking
    };
    let srv = Serve::start(&t, Some(NOW));
    let b = Browser::start(1366, 900);
    b.goto(&srv.url("/desk"));
    b.find("input[name=staff]").send_keys("001");
    b.find("input[name=pin]").send_keys(PIN);
    b.find("main.login button[type=submit]").click();
    b.wait_for_text("h1", "请选择您所在的窗口", Duration::from_secs(10));
    b.find("nav.sections a[href='/desk/cases']").click();
    b.wait_for_text("h1", "全程代办", Duration::from_secs(5));
    let row = b.wait_for("table.cases tr.mine a", Duration::from_secs(5));
    assert_eq!(row.text(), tracking, "my case (A post of 民政) is listed first");
    shot(&b, "web-cases");
    row.click();
    b.wait_for_text("h1", &tracking, Duration::from_secs(5));
    assert_eq!(b.find("#case-id").text(), "130***********0138", "masked until revealed");
    b.find("form[action$='/reveal'] button").click();
    b.wait_for_text("#case-id", "130110194503150138", Duration::from_secs(5));
    assert_eq!(b.find("#case-phone").text(), "13812345678");
    // Leaving and coming back shows it masked again.
    b.goto(&srv.url(&format!("/desk/cases/{tracking}")));
    assert_eq!(b.find("#case-id").text(), "130***********0138");
    // The missing 户口簿 arrives.
    let boxes = b.find_all("ul.materials input[type=checkbox]");
    let unticked = boxes.iter().find(|x| x.prop("checked").as_deref() == Some("false")).expect("a missing material");
    unticked.click();
    b.find("form[action$='/materials'] button").click();
    b.wait_for_text("main", "材料已保存", Duration::from_secs(5));
    submit_move(&b, "受理", "");
    b.wait_for_text("p.state", "已受理", Duration::from_secs(5));
    shot(&b, "web-case");
    for (label, note, state) in [
        ("报送", "报乡镇民政办", "已报送"),
        ("办结", "审核通过，下月发放", "已办结"),
        ("已通知村民", "电话通知本人", "已通知"),
        ("领取/归档", "", "已领取/归档"),
    ] {
        submit_move(&b, label, note);
        b.wait_for_text("p.state", state, Duration::from_secs(5));
    }
    assert!(b.page_source().contains("已结束，不能再办理"));
    let st = t.station_at(NOW);
    let case = st.find_case(&tracking).expect("q").expect("case");
    assert_eq!(case.state, kiosk::domain::case::CaseState::Closed);
    assert_eq!(case.first_responder.as_deref(), Some("001"));
    assert!(case.materials.iter().all(|m| m.received));
    let events = st.case_events(&case).expect("events");
    assert!(events.iter().any(|e| e.kind == "reveal" && e.staff_no.as_deref() == Some("001")), "the reveal is logged");
    assert_eq!(events.iter().filter(|e| e.kind == "transition").count(), 5);
}

fn sign_in_at_desk(b: &Browser, srv: &Serve, no: &str) {
    b.delete_cookies();
    b.goto(&srv.url("/desk"));
    b.find("input[name=staff]").send_keys(no);
    b.find("input[name=pin]").send_keys(PIN);
    b.find("main.login button[type=submit]").click();
    b.wait_for_text("h1", "请选择您所在的窗口", Duration::from_secs(30));
}

#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn station_head_publishes_and_rolls_back_the_list_of_matters() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    let srv = Serve::start(&t, Some(NOW));
    let b = Browser::start(1366, 900);

    // A staff member who is not the station head: no admin page, no admin action.
    sign_in_at_desk(&b, &srv, "001");
    assert!(b.try_find("nav.sections a[href='/desk/admin']").is_none(), "no 站务管理 link");
    for path in ["/desk/admin", "/desk/admin/matters", "/desk/admin/matters/export", "/desk/admin/audit"] {
        b.goto(&srv.url(path));
        b.wait_for_text("h1", "需要站长权限", Duration::from_secs(5));
    }
    for path in [
        "/desk/admin/staff",
        "/desk/admin/duty",
        "/desk/admin/holidays",
        "/desk/admin/settings",
        "/desk/admin/reports",
        "/desk/admin/reports/file?format=pdf",
        "/desk/admin/reports/file?format=csv",
        "/desk/admin/wallchart",
        "/desk/admin/wallchart/file",
    ] {
        let status = b.execute("return fetch(arguments[0]).then(r => r.status);", vec![serde_json::json!(path)]);
        assert_eq!(status, 403, "{path} refused to staff");
    }
    let csrf = {
        b.goto(&srv.url("/desk"));
        b.find("input[name=csrf]").prop("value").expect("csrf")
    };
    for (path, field) in [
        ("/desk/admin/matters/publish", "source"),
        ("/desk/admin/matters/rollback", "version"),
        ("/desk/admin/matters/check", "source"),
        ("/desk/admin/staff/act", "action"),
        ("/desk/admin/duty/act", "action"),
        ("/desk/admin/holidays/import", "source"),
        ("/desk/admin/settings/save", "station.name"),
    ] {
        let status = b.execute(
            "return fetch(arguments[0], {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, \
             body: 'csrf=' + arguments[1] + '&' + arguments[2] + '=1&note=x'}).then(r => r.status);",
            vec![serde_json::json!(path), serde_json::json!(csrf), serde_json::json!(field)],
        );
        assert_eq!(status, 403, "{path} refused to staff");
    }

    // The station head uploads a file with an error: the page names the line.
    sign_in_at_desk(&b, &srv, "003");
    b.find("nav.sections a[href='/desk/admin']").click();
    b.wait_for_text("h1", "事项清单", Duration::from_secs(5));
    let broken = crate::matters::with_new_matter().replacen("mode = \"relay\"", "mode = \"sideways\"", 1);
    let line = broken.lines().position(|l| l.contains("sideways")).expect("line") + 1;
    let put = |src: &str| {
        b.execute("document.getElementById('matters-source').value = arguments[0];", vec![serde_json::json!(src)]);
        b.find("form[action='/desk/admin/matters/check'] button").click();
    };
    put(&broken);
    b.wait_for_text("h1", "文件有错误", Duration::from_secs(5));
    assert!(b.find("ul.errors").text().contains(&format!("上传的文件:{line}: matter.mode")), "{}", b.page_source());
    // Fixed: the changes, then publish with a note.
    b.goto(&srv.url("/desk/admin/matters"));
    put(&crate::matters::with_new_matter());
    b.wait_for_text("h1", "核对改动", Duration::from_secs(5));
    assert!(b.find("ul.diff").text().contains("新增事项 J03"));
    shot(&b, "web-admin-matters-diff");
    b.find("input[name=note]").send_keys("新增公共法律服务预约");
    b.find("form[action='/desk/admin/matters/publish'] button").click();
    b.wait_for_text("main", "已发布第2版", Duration::from_secs(5));
    assert!(b.page_source().contains("新增公共法律服务预约"));
    shot(&b, "web-admin-matters");
    assert!(t.station_at(NOW).cfg.catalog.matter("J03").is_some(), "live for every process");
    // Roll back to version 1: first what it changes and a note, as for a publish (issue
    // 13: one click used to roll back), then J03 is gone again.
    b.find("a[href='/desk/admin/matters/rollback?version=1']").click();
    b.wait_for_text("h1", "核对回滚", Duration::from_secs(5));
    assert!(b.find("ul.diff").text().contains("J03"), "{}", b.page_source());
    assert!(t.station_at(NOW).cfg.catalog.matter("J03").is_some(), "nothing changed on the first click");
    b.find("input[name=note]").send_keys("J03 还没有批下来");
    b.find("form[action='/desk/admin/matters/rollback'] button").click();
    b.wait_for_text("main", "已回滚：第3版用第1版的内容", Duration::from_secs(5));
    assert!(b.page_source().contains("J03 还没有批下来"), "the note is kept with the version");
    assert!(t.station_at(NOW).cfg.catalog.matter("J03").is_none());
    // People: a new staff member; duty: Monday's rota.
    b.goto(&srv.url("/desk/admin/staff"));
    b.find("form input[name=action][value=add]");
    b.execute(
        "const f = document.querySelector(\"input[name=action][value=add]\").form; \
         f.no.value = '004'; f.name.value = '赵六'; f.pin.value = '112233'; f.querySelector('button').click();",
        vec![],
    );
    b.wait_for_text("main", "已新增 004 赵六", Duration::from_secs(5));
    shot(&b, "web-admin-staff");
    b.goto(&srv.url("/desk/admin/duty"));
    b.execute(
        "document.querySelector(\"input[name=action][value='rota-on'] ~ input[name=weekday][value='1']\").form.querySelector('button').click();",
        vec![],
    );
    b.wait_for_text("main", "加入值班", Duration::from_secs(5));
    shot(&b, "web-admin-duty");
    assert_eq!(t.station_at(NOW).rota().expect("rota").len(), 1);
    assert_eq!(t.station_at(NOW).settings_version().expect("v"), 0, "the refused posts changed nothing");
    // Every change above is in the audit log, once.
    b.goto(&srv.url("/desk/admin/audit"));
    b.wait_for_text("main", "审计日志", Duration::from_secs(5));
    let log = t.station_at(NOW).audit_log(&Default::default()).expect("log");
    // (The accounts the test began with were made as the box's command line makes them.)
    let mut actions: Vec<&str> =
        log.iter().filter(|l| l.origin.as_deref() != Some("本机命令行")).map(|l| l.action.as_str()).collect();
    actions.sort();
    assert_eq!(actions, ["matters-publish", "matters-rollback", "rota-add", "sign-in", "sign-in", "staff-add"]);
    for words in ["发布事项清单", "回滚事项清单", "新增工作人员", "加入值班", "登录"] {
        assert!(b.page_source().contains(words), "{words}");
    }
    shot(&b, "web-admin-audit");
}

#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn station_head_assigns_a_bad_rating_and_staff_record_what_was_put_right() {
    let t = TempStation::new();
    {
        let mut st = t.station_at(NOW);
        add_staff(&st);
        crate::staff::served_and_rated(&mut st, "C02", 2, Some("wait"));
        crate::staff::served_and_rated(&mut st, "A01", 1, Some("attitude"));
    }
    let srv = Serve::start(&t, Some(NOW));
    let b = Browser::start(1366, 900);
    sign_in_at_desk(&b, &srv, "003");
    b.find("nav.sections a[href='/desk/followups']").click();
    b.wait_for_text("h1", "差评跟进", Duration::from_secs(5));
    assert!(b.find("p.counts").text().contains("待整改 2 条"));
    // Assign the first to 001 (suggested: the one who served).
    b.execute(
        "document.querySelector(\"input[name=action][value=assign]\").form.querySelector('button').click();",
        vec![],
    );
    b.wait_for_text("main", "已分派给 001", Duration::from_secs(5));
    shot(&b, "web-followups");
    // 001 sees it and records the result.
    sign_in_at_desk(&b, &srv, "001");
    b.goto(&srv.url("/desk/followups"));
    assert_eq!(b.find_all("li.followup").len(), 1, "staff see only their own");
    b.find("form.result textarea[name=result]").send_keys("已向村民道歉，高峰时段增开一个窗口");
    b.find("form.result button").click();
    b.wait_for_text("main", "已记录整改结果", Duration::from_secs(5));
    assert!(b.find("li.followup.closed").text().contains("增开一个窗口"));
    let admin = t.station_at(NOW).sign_in("003", PIN).expect("admin");
    assert_eq!(t.station_at(NOW).followup_counts(&admin).expect("counts"), (1, 0));
}

#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn station_head_imports_next_years_holidays_at_the_desk() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    let srv = Serve::start(&t, Some(NOW));
    let b = Browser::start(1366, 900);
    sign_in_at_desk(&b, &srv, "003");
    // November, and 2027 is missing: the desk says so.
    b.goto(&srv.url("/desk/cases"));
    assert!(b.find("main").text().contains("还没有导入2027年的节假日安排"));
    b.goto(&srv.url("/desk/admin/holidays"));
    b.wait_for_text("h1", "节假日", Duration::from_secs(5));
    assert_eq!(b.find("input[name=year]").prop("value").as_deref(), Some("2027"), "next year offered");
    // A typo: refused with the reason, the typing kept.
    let typed = "2027-01-01~2027-01-03, 2027-02-30";
    b.find("form.holidays textarea[name=holidays]").send_keys(typed);
    b.find("form.holidays button").click();
    b.wait_for_text("ul.errors", "“2027-02-30”不是日期", Duration::from_secs(5));
    assert_eq!(b.find("form.holidays textarea[name=holidays]").prop("value").as_deref(), Some(typed));
    let field = b.find("form.holidays textarea[name=holidays]");
    field.clear();
    field.send_keys("2027-01-01~2027-01-03");
    b.find("form.holidays textarea[name=workdays]").send_keys("2027-01-09");
    b.find("form.holidays button").click();
    b.wait_for_text("main", "已导入2027年：放假 3 天、调休上班 1 天", Duration::from_secs(5));
    assert!(b.find("table.cases").text().contains("01-01至01-03"));
    assert!(!b.find("main").text().contains("还没有导入2027年"), "the warning is gone");
    shot(&b, "web-admin-holidays");
    assert_eq!(t.station_at(NOW).holidays_missing(), None);
}

#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn station_head_changes_the_settings_checked_like_config_check() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    let srv = Serve::start(&t, Some(NOW));
    let b = Browser::start(1366, 1000);
    sign_in_at_desk(&b, &srv, "003");
    b.goto(&srv.url("/desk/admin/settings"));
    b.wait_for_text("h1", "站点设置", Duration::from_secs(5));
    let field = |key: &str| b.find(&format!("form.settings input[name='{key}']"));
    assert_eq!(field("station.name").prop("value").as_deref(), Some("新集镇南刘庄村综合服务站"));
    field("idle.timeout-secs").clear();
    field("idle.timeout-secs").send_keys("20");
    field("hours.weekends").send_keys("09:00-12:00");
    b.find("form.settings button").click();
    b.wait_for_text("ul.errors", "无人操作多少秒后提醒：至少 30 秒", Duration::from_secs(5));
    assert_eq!(field("hours.weekends").prop("value").as_deref(), Some("09:00-12:00"), "the typing is kept");
    field("idle.timeout-secs").clear();
    field("idle.timeout-secs").send_keys("120");
    b.find("form.settings button").click();
    b.wait_for_text("main", "已保存：", Duration::from_secs(5));
    assert!(b.find("main").text().contains("周六、周日值班时间：（空） → 09:00-12:00"));
    assert!(b.find("form.settings").text().contains("重启后生效"));
    shot(&b, "web-admin-settings");
    assert_eq!(t.station_at(NOW).cfg.station.idle.idle_after_secs, 120);
}

/// axe-core, installed by test.sh (scripts/deps.sh) into target/test-tools.
pub(crate) fn axe_source() -> String {
    let path = std::env::var_os("KIOSK_AXE").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/node_modules/axe-core/axe.min.js")
    });
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (./test.sh installs axe-core; or set KIOSK_AXE)", path.display()))
}

/// Runs axe-core (WCAG 2.2 A and AA, and its best practices) on the page open in `b`;
/// every violation, as "rule: nodes".
pub(crate) fn axe_violations(b: &Browser, axe: &str) -> Vec<String> {
    b.execute(&format!("{axe}\n;return true;"), vec![]);
    let found = b.execute(
        "return axe.run(document, {runOnly: {type: 'tag', values: \
         ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}}) \
         .then(r => r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + \
         v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(' | ')));",
        vec![],
    );
    found.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn every_page_passes_the_accessibility_check() {
    let axe = axe_source();
    let t = TempStation::new();
    {
        let mut st = t.station_at(NOW);
        add_staff(&st);
        crate::staff::served_and_rated(&mut st, "C02", 2, Some("wait"));
    }
    let case = t.station_at(NOW).submit_case(&crate::cases::request("F03", &[])).expect("case");
    let case_token = case.status_url.rsplit('/').next().expect("token").to_string();
    let ticket = take(&t, "C01", false);
    let srv = Serve::start(&t, Some(NOW));
    let b = Browser::start(1366, 900);
    // The check itself finds a problem put there on purpose (an image with no text).
    b.goto(&srv.url("/"));
    b.execute(
        "const i = document.createElement('img'); i.src = '/assets/none.png'; document.body.appendChild(i); return 1;",
        vec![],
    );
    let planted = axe_violations(&b, &axe);
    assert!(planted.iter().any(|v| v.starts_with("image-alt")), "axe-core ran and saw the planted image: {planted:?}");
    let mut report = Vec::new();
    let mut check = |what: &str| {
        let found = axe_violations(&b, &axe);
        if !found.is_empty() {
            report.push(format!("{what}:\n  {}", found.join("\n  ")));
        }
    };
    let mut pages = 0;
    for path in ["/", &format!("/t/{ticket}"), &format!("/c/{case_token}"), "/display", "/pad/1", "/desk", "/nowhere"] {
        b.goto(&srv.url(path));
        b.wait_for("h1, main", Duration::from_secs(5));
        check(path);
        pages += 1;
    }
    sign_in_at_desk(&b, &srv, "003");
    check("/desk (the window to choose)");
    b.find("button.window-choice").click();
    b.wait_for("main.desk", Duration::from_secs(5));
    check("/desk (the panel)");
    pages += 2;
    for path in [
        "/desk/cases".to_string(),
        format!("/desk/cases/{}", case.case.tracking),
        "/desk/followups".into(),
        "/desk/privacy".into(),
        "/desk/admin/matters".into(),
        "/desk/admin/staff".into(),
        "/desk/admin/duty".into(),
        "/desk/admin/pads".into(),
        "/desk/admin/holidays".into(),
        "/desk/admin/settings".into(),
        "/desk/admin/reports".into(),
        "/desk/admin/wallchart".into(),
        "/desk/admin/audit".into(),
    ] {
        b.goto(&srv.url(&path));
        b.wait_for("h1", Duration::from_secs(5));
        check(&path);
        pages += 1;
    }
    // The pages after a form: the changes of an upload, a refused import.
    b.goto(&srv.url("/desk/admin/matters"));
    b.execute(
        "document.getElementById('matters-source').value = arguments[0];",
        vec![serde_json::json!(crate::matters::with_new_matter())],
    );
    b.find("form[action='/desk/admin/matters/check'] button").click();
    b.wait_for_text("h1", "核对改动", Duration::from_secs(5));
    check("/desk/admin/matters/check");
    b.goto(&srv.url("/desk/admin/holidays"));
    b.execute("document.querySelector('textarea[name=holidays]').value = '2027-02-30';", vec![]);
    b.find("form.holidays button").click();
    b.wait_for_text("main", "没有导入", Duration::from_secs(5));
    check("/desk/admin/holidays/import (refused)");
    // 个人信息 with a person's cases listed.
    b.goto(&srv.url("/desk/privacy"));
    b.find("input[name=id_number]").send_keys(crate::cases::ID);
    b.find("form.find button").click();
    b.wait_for("section.held", Duration::from_secs(5));
    check("/desk/privacy (a person's cases)");
    pages += 3;
    assert!(report.is_empty(), "axe-core found problems on {} of {pages} pages:\n{}", report.len(), report.join("\n"));
}

/// A visitor's English browser: every page of the station in English, from the sign-in to
/// the admin pages, the wall display (its calls and the words its script writes) and the
/// villager's phone pages. Data (the station's and the matters' names) stays as entered.
#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn an_english_browser_gets_the_pages_in_english() {
    use kiosk::lang::{tr_in, Lang};
    let en = |s: &'static str| tr_in(Lang::English, s);
    let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let t = TempStation::new();
    let first = take(&t, "C02", false);
    let (tracking, case_token) = {
        let mut st = t.station_at(NOW);
        add_staff(&st);
        let c = st.submit_case(&crate::cases::request("C01", &["户口簿"])).expect("submit").case;
        (c.tracking, c.token)
    };
    let srv = Serve::start(&t, Some(NOW));
    let languages = Some("en-US,en");
    let lang_of = |b: &Browser| b.execute("return document.documentElement.lang;", vec![]);

    let desk = Browser::start_in(1366, 900, languages);
    desk.goto(&srv.url("/desk"));
    assert_eq!(lang_of(&desk), serde_json::json!("en"));
    shot(&desk, "en-web-desk-login");
    desk.find("input[name=staff]").send_keys("003");
    desk.find("input[name=pin]").send_keys(PIN);
    desk.find("main.login button[type=submit]").click();
    desk.wait_for_text("h1", en("请选择您所在的窗口"), Duration::from_secs(10));
    desk.find("button.window-choice").click();
    desk.wait_for_text("#panel", en("叫下一位"), Duration::from_secs(10));

    let tv = Browser::start_in(1920, 1080, languages);
    tv.goto(&srv.url("/display"));
    tv.wait_for_text("#waiting", "1", Duration::from_secs(10));
    click_labelled(&desk, en("叫下一位"));
    desk.wait_for_text("#current-number", "C001", Duration::from_secs(5));
    tv.wait_for_text("#banner", "C001", Duration::from_secs(5));
    let banner = tv.find("#banner").text();
    assert!(!han(&banner), "the display's call in English: {banner:?}");
    shot(&tv, "en-web-display");
    shot(&desk, "en-web-desk");

    let phone = Browser::start_in(390, 844, languages);
    phone.goto(&srv.url(&format!("/t/{first}")));
    phone.wait_for("main.phone", Duration::from_secs(5));
    assert!(!han(&phone.find(".live .state").text()), "the ticket's state in English");
    shot(&phone, "en-web-ticket");
    phone.goto(&srv.url(&format!("/c/{case_token}")));
    phone.wait_for("main.phone", Duration::from_secs(5));
    assert!(!han(&phone.find(".live .state").text()), "the case's state in English");
    shot(&phone, "en-web-case-phone");

    // The desk's and the head's pages: the heading is the page's own word, in English.
    for (path, name) in [
        ("/desk/cases".to_string(), "cases"),
        (format!("/desk/cases/{tracking}"), "case"),
        ("/desk/followups".to_string(), "followups"),
        ("/desk/admin/matters".to_string(), "admin-matters"),
        ("/desk/admin/staff".to_string(), "admin-staff"),
        ("/desk/admin/duty".to_string(), "admin-duty"),
        ("/desk/admin/pads".to_string(), "admin-pads"),
        ("/desk/admin/holidays".to_string(), "admin-holidays"),
        ("/desk/admin/settings".to_string(), "admin-settings"),
        ("/desk/admin/reports".to_string(), "admin-reports"),
        ("/desk/admin/wallchart".to_string(), "admin-wallchart"),
        ("/desk/admin/audit".to_string(), "admin-audit"),
    ] {
        desk.goto(&srv.url(&path));
        let h1 = desk.wait_for("h1", Duration::from_secs(5)).text();
        assert_eq!(lang_of(&desk), serde_json::json!("en"), "{path}");
        if name != "case" {
            assert!(!han(&h1), "{path}: heading {h1:?} in English");
        }
        shot(&desk, &format!("en-web-{name}"));
    }
}

/// 快到您了: a phone following its ticket turns to it, chimes and vibrates once (the page's
/// script marks that it told) when `[calling] nearly-up` (2) people or fewer are ahead —
/// live, as a call elsewhere moves the queue.
#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn the_phone_says_nearly_up_when_two_or_fewer_are_ahead() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    for _ in 0..3 {
        take(&t, "C02", false);
    }
    let mine = take(&t, "C02", false);
    let srv = Serve::start(&t, Some(NOW));
    let phone = Browser::start(390, 844);
    phone.goto(&srv.url(&format!("/t/{mine}")));
    phone.wait_for_text("#live", "前面还有", Duration::from_secs(10));
    assert!(phone.try_find("[data-nearly-up]").is_none(), "three ahead: not yet");
    let o = t.kiosk_stdin(NOW, &["call", "next", "--window", "1", "--staff", "001", "--json"], &format!("{PIN}\n"));
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    phone.wait_for_text("#live", "快到您了", Duration::from_secs(10));
    let told = phone.execute("return document.body.getAttribute('data-told');", vec![]);
    assert_eq!(told, serde_json::json!("nearly-up"), "the page chimed and vibrated once");
    assert!(phone.find("#live").text().contains("前面还有 2 人"), "{}", phone.find("#live").text());
    shot(&phone, "web-ticket-nearly-up");
}

/// Issue 18 at the desk: the window's queue in calling order with 选叫 (a reason, on the
/// record), a pause with its reason on the display, the priority rule on the settings page,
/// and a paper rating form typed in on the follow-up page.
#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn the_desk_calls_out_of_turn_pauses_with_a_reason_and_takes_a_paper_form() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    for _ in 0..3 {
        take(&t, "C02", false);
    }
    let srv = Serve::start(&t, Some(NOW));
    let desk = Browser::start(1366, 1000);
    let tv = Browser::start(1920, 1080);
    tv.goto(&srv.url("/display"));
    tv.wait_for("#windows .win", Duration::from_secs(10));
    sign_in_at_desk(&desk, &srv, "001");
    desk.find("button.window-choice").click();
    desk.wait_for_text("section.queue", "C003", Duration::from_secs(10));
    assert!(desk.find("small.rule").text().contains("优先号总是先叫"));
    // 选叫 C003 with a reason typed from the list.
    desk.execute(
        "const f = Array.from(document.querySelectorAll('form.pick')).find(f => f.querySelector('input[name=number]').value === 'C003');\
         f.querySelector('input[name=reason]').value = '老人行动不便'; f.querySelector('button').click();",
        vec![],
    );
    desk.wait_for_text("#current-number", "C003", Duration::from_secs(5));
    assert!(desk.find("main").text().contains("C003 请到本窗口（选叫）"), "{}", desk.find("main").text());
    shot(&desk, "web-desk-queue");
    desk.execute("document.documentElement.style.zoom = '2';", vec![]);
    shot(&desk, "web-desk-queue-large");
    desk.execute("document.documentElement.style.zoom = '1';", vec![]);
    let db = crate::util::db(&t);
    let reason: String = db
        .query_row("SELECT detail FROM audit_events WHERE action = 'call-out-of-turn'", [], |r| r.get(0))
        .expect("audit");
    assert_eq!(reason, "老人行动不便");
    click_labelled(&desk, "办结");
    desk.wait_for_text("#panel", "C003 已办结", Duration::from_secs(5));
    // 暂停 with 午休: the display says 暂停服务 and why.
    desk.execute(
        "const f = document.querySelector('form.pause'); f.querySelector('select').value = 'lunch'; f.querySelector('button').click();",
        vec![],
    );
    desk.wait_for_text("#panel", "本窗口已暂停叫号（午休）", Duration::from_secs(5));
    tv.wait_for_text("#windows", "午休", Duration::from_secs(5));
    assert!(tv.find("#windows").text().contains("暂停服务"));
    shot(&tv, "web-display-paused");
    // A paper form for C003: 不满意, two reasons ticked.
    desk.goto(&srv.url("/desk/followups"));
    desk.wait_for("section.paper", Duration::from_secs(5));
    desk.find("section.paper input[name=target]").send_keys("C003");
    desk.execute(
        "document.querySelector(\"section.paper input[name=level][value='2']\").checked = true;\
         document.querySelector(\"section.paper input[name='reason-wait']\").checked = true;\
         document.querySelector(\"section.paper input[name='reason-unclear']\").checked = true;",
        vec![],
    );
    desk.find("section.paper textarea").send_keys("等了很久");
    shot(&desk, "web-followups-paper");
    desk.execute("document.documentElement.style.zoom = '2';", vec![]);
    shot(&desk, "web-followups-paper-large");
    desk.execute("document.documentElement.style.zoom = '1';", vec![]);
    desk.find("section.paper button").click();
    desk.wait_for_text("main", "已录入书面评价：C003 不满意", Duration::from_secs(5));
    let (channel, entered, reasons): (String, String, String) = db
        .query_row("SELECT channel, entered_by, reasons FROM ratings", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rating");
    assert_eq!((channel.as_str(), entered.as_str(), reasons.as_str()), ("paper", "001", "[\"wait\",\"unclear\"]"));
    // The 差评 it made is listed for the head's follow-up, with the form for its details:
    // category, plan, the day put right, the call-back, an appeal.
    sign_in_at_desk(&desk, &srv, "003");
    desk.goto(&srv.url("/desk/followups"));
    desk.wait_for("li.followup form.result select[name=category]", Duration::from_secs(5));
    desk.execute(
        "const f = document.querySelector('li.followup form.result');         f.querySelector('select[name=category]').value = 'reasonable';         f.querySelector('textarea[name=plan]').value = '高峰时开第二个窗口';         f.querySelector('input[name=fixed_on]').value = '2026-11-30';         f.querySelector('input[name=callback_on]').value = '2026-11-30';         f.querySelector('input[name=callback_result]').value = '村民表示满意';         f.querySelector('textarea[name=result]').value = '已当面道歉并说明';",
        vec![],
    );
    shot(&desk, "web-followups-details");
    desk.execute("document.querySelector('li.followup form.result button').click();", vec![]);
    desk.wait_for_text("main", "已记录整改结果", Duration::from_secs(5));
    assert!(desk.find("dl.details").text().contains("村民表示满意"), "{}", desk.find("main").text());
    // The station head sets the priority rule on the settings page.
    desk.goto(&srv.url("/desk/admin/settings"));
    desk.execute("document.querySelector(\"select[name='calling.priority']\").value = 'after';", vec![]);
    desk.find("form.settings button").click();
    desk.wait_for_text("main", "已保存：", Duration::from_secs(5));
    shot(&desk, "web-admin-settings-priority");
    assert_eq!(t.station_at(NOW).cfg.station.calling.priority, kiosk::domain::calling::PriorityRule::After(20));
}

/// Issue 18: 个人信息 at the desk — the ID number typed from the card, the cases listed
/// masked, the finished one removed, the open one refused with the reason.
#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn the_desk_shows_and_removes_a_villagers_personal_data_on_request() {
    use kiosk::domain::case::CaseState;
    let t = TempStation::new();
    let (done, open) = {
        let mut st = t.station_at(NOW);
        add_staff(&st);
        let a = crate::cases::signed(&st, "001");
        let done = st.submit_case(&crate::cases::request("C01", &[])).expect("case").case.tracking;
        for to in [CaseState::Accepted, CaseState::Withdrawn] {
            st.advance_case(&a, &done, to, "本人撤回", None).expect("advance");
        }
        let open = st.submit_case(&crate::cases::request("A01", &[])).expect("case").case.tracking;
        (done, open)
    };
    let srv = Serve::start(&t, Some(NOW));
    let b = Browser::start(1366, 900);
    sign_in_at_desk(&b, &srv, "001");
    b.goto(&srv.url("/desk/privacy"));
    b.wait_for_text("h1", "个人信息查询和删除", Duration::from_secs(5));
    b.find("input[name=id_number]").send_keys(crate::cases::ID);
    b.find("form.find button").click();
    b.wait_for_text("section.held", &done, Duration::from_secs(5));
    let page = b.find("main").text();
    assert!(page.contains(&open) && page.contains("130***********0138"), "{page}");
    assert!(!page.contains(crate::cases::ID) && !page.contains(crate::cases::PHONE), "masked: {page}");
    assert!(!b.current_url().contains(crate::cases::ID), "the number is never in the address");
    shot(&b, "web-privacy");
    b.execute("document.documentElement.style.zoom = '2';", vec![]);
    shot(&b, "web-privacy-large");
    b.execute("document.documentElement.style.zoom = '1';", vec![]);
    b.find("section.held button.danger").click();
    b.wait_for_text("main", "已隐去 1 件", Duration::from_secs(5));
    assert!(b.find("main").text().contains("还在办理中"), "{}", b.find("main").text());
    let st = t.station_at(NOW);
    assert_eq!(st.find_case(&done).expect("q").expect("c").id_number, "130***********0138");
    assert_eq!(st.find_case(&open).expect("q").expect("c").id_number, crate::cases::ID);
}

/// 帮办 (issue 17): the report page counts the ratings of helped tickets apart.
#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn the_report_page_tells_ratings_of_helped_tickets_apart() {
    use kiosk::domain::calling::CallAction;
    let t = TempStation::new();
    {
        let mut st = t.station_at(NOW);
        add_staff(&st);
        crate::staff::served_and_rated(&mut st, "C02", 5, None);
        let helper = st.assist_begin("002", PIN).expect("帮办");
        let tk = st.take_ticket_helped(&Target::Matter("C01".into()), false, Some(&helper)).expect("t").ticket;
        let a = st.sign_in("001", PIN).expect("staff");
        st.call_next(&a, 1).expect("call");
        st.call_action(&a, 1, &tk.number, CallAction::Finish).expect("finish");
        st.rate(&tk.token, 4, None, None, kiosk::domain::rating::Channel::Qr).expect("rate");
    }
    let srv = Serve::start(&t, Some(NOW));
    let b = Browser::start(1366, 900);
    sign_in_at_desk(&b, &srv, "003");
    b.goto(&srv.url("/desk/admin/reports"));
    b.wait_for_text("main", "好差评 2 次", Duration::from_secs(5));
    let text = b.find("main").text();
    assert!(text.contains("其中帮办 1 次 · 满意率 100"), "{text}");
    shot(&b, "web-report-assisted");
}
