//! The real .slint UI driven headless through Slint's testing backend, finding controls
//! by their accessible labels and firing their default actions, as a screen reader would.

use crate::util::TempStation;
use i_slint_backend_testing::{mock_elapsed_time, AccessibleRole, ElementHandle, ElementQuery};
use kiosk::ui::{IdleAdapter, Kiosk, Nav, Page, SearchAdapter, Theme, TicketAdapter};
use slint::{ComponentHandle, Model};
use std::time::Duration;

pub fn kiosk(t: &TempStation, now: &str) -> Kiosk {
    i_slint_backend_testing::init_no_event_loop();
    let k = Kiosk::build(t.station_at(now)).expect("build kiosk");
    k.app.window().set_size(slint::PhysicalSize::new(1920, 1080));
    k.app.show().expect("show");
    settle();
    k
}

fn settle() {
    mock_elapsed_time(Duration::from_millis(20));
}

/// Taps the one visible control with this accessible label.
pub fn tap(k: &Kiosk, label: &str) {
    let mut found: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&k.app, label).collect();
    // A plain text with the same words is not the control.
    found.retain(|e| e.accessible_role() != Some(AccessibleRole::Text));
    assert!(!found.is_empty(), "no control labelled {label:?} on page {:?}", k.app.global::<Nav>().get_page());
    found[0].invoke_accessible_default_action();
    settle();
}

fn has_label(k: &Kiosk, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(&k.app, label).next().is_some()
}

fn page(k: &Kiosk) -> Page {
    k.app.global::<Nav>().get_page()
}

#[test]
fn browse_to_a_matter_and_take_a_ticket() {
    let t = TempStation::new();
    let k = kiosk(&t, "2026-11-28T09:30:00+08:00");
    tap(&k, "办事指南");
    assert_eq!(page(&k), Page::Categories);
    tap(&k, "民政");
    assert_eq!(page(&k), Page::Matters);
    tap(&k, "最低生活保障申请");
    assert_eq!(page(&k), Page::Matter);
    assert!(has_label(&k, "取号办理"));
    tap(&k, "取号办理");
    assert_eq!(page(&k), Page::Priority);
    tap(&k, "不是，普通取号");
    assert_eq!(page(&k), Page::Ticket);
    let shown = k.app.global::<TicketAdapter>().get_number();
    assert_eq!(shown, "C001");
    let number: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&k.app, "您的号码").collect();
    assert_eq!(number[0].accessible_value().unwrap_or_default(), "C001", "the number is on screen");

    let st = k.state.borrow();
    let stored = st.station.ticket_today("C001").expect("query").expect("stored");
    assert_eq!(stored.matter_code.as_deref(), Some("C02"));
    assert!(!stored.priority);
    drop(st);

    // 完成 forgets everything and goes home.
    tap(&k, "完成");
    assert_eq!(page(&k), Page::Home);
}

#[test]
fn ticket_for_a_category_with_priority() {
    let t = TempStation::new();
    let k = kiosk(&t, "2026-11-28T09:30:00+08:00");
    tap(&k, "取号");
    assert_eq!(page(&k), Page::Categories);
    tap(&k, "残联");
    assert_eq!(page(&k), Page::Priority);
    tap(&k, "是，优先办理");
    let ta = k.app.global::<TicketAdapter>();
    assert_eq!(ta.get_number(), "D001");
    assert!(ta.get_priority());
    // No printer configured: the screen says to remember the number.
    assert!(ta.get_print_message().contains("请记住您的号码 D001"), "{}", ta.get_print_message());
}

#[test]
fn search_dbsq_finds_dibao() {
    let t = TempStation::new();
    let k = kiosk(&t, "2026-11-28T09:30:00+08:00");
    tap(&k, "查找事项");
    assert_eq!(page(&k), Page::Search);
    for key in ["D", "B", "S", "Q"] {
        tap(&k, key);
    }
    assert_eq!(k.app.global::<SearchAdapter>().get_query(), "dbsq");
    assert!(has_label(&k, "最低生活保障申请"), "dbsq must find 最低生活保障申请 (alias 低保申请)");
    tap(&k, "最低生活保障申请");
    assert_eq!(page(&k), Page::Matter);
    // 返回 comes back to the same results.
    tap(&k, "返回");
    assert_eq!(page(&k), Page::Search);
    assert_eq!(k.app.global::<SearchAdapter>().get_query(), "dbsq");

    // Hanzi through the candidate bar: g-a-o offers 高, which finds 高龄津贴 by its alias too.
    tap(&k, "清空");
    for key in ["G", "A", "O"] {
        tap(&k, key);
    }
    tap(&k, "选字 高");
    assert_eq!(k.app.global::<SearchAdapter>().get_query(), "高");
    assert!(has_label(&k, "高龄津贴申请"));
    tap(&k, "删除");
    assert_eq!(k.app.global::<SearchAdapter>().get_query(), "");
}

#[test]
fn idle_warns_then_forgets_everything() {
    let t = TempStation::new();
    let k = kiosk(&t, "2026-11-28T09:30:00+08:00");
    tap(&k, "长辈模式");
    assert!(k.app.global::<Theme>().get_large_text());
    tap(&k, "查找事项");
    for key in ["D", "B"] {
        tap(&k, key);
    }
    let idle = k.app.global::<IdleAdapter>();
    for _ in 0..89 {
        mock_elapsed_time(Duration::from_secs(1));
    }
    assert!(!idle.get_warning(), "no warning before 90 s");
    mock_elapsed_time(Duration::from_secs(1));
    assert!(idle.get_warning(), "countdown after 90 s");
    assert_eq!(idle.get_remaining(), 30);
    assert!(has_label(&k, "继续办理"));
    tap(&k, "继续办理");
    assert!(!idle.get_warning());
    assert_eq!(page(&k), Page::Search, "继续办理 keeps the villager where they were");
    assert_eq!(k.app.global::<SearchAdapter>().get_query(), "db");

    for _ in 0..(90 + 29) {
        mock_elapsed_time(Duration::from_secs(1));
    }
    assert!(idle.get_warning());
    assert_eq!(idle.get_remaining(), 1);
    mock_elapsed_time(Duration::from_secs(1));
    assert_eq!(page(&k), Page::Home, "back home after the countdown");
    assert!(!idle.get_warning());
    assert!(!k.app.global::<Theme>().get_large_text(), "large text resets too");
    assert_eq!(k.app.global::<SearchAdapter>().get_query(), "", "what was typed is gone");
    // And the search page starts empty when opened again.
    tap(&k, "查找事项");
    assert_eq!(k.app.global::<SearchAdapter>().get_query(), "");
}

#[test]
#[ignore = "full suite (./test.sh): needs a CUPS scheduler (cupsd)"]
fn failing_printer_shows_the_fallback() {
    // A real CUPS whose queue reports it is out of paper.
    let cups = crate::util::Cups::start();
    let t = TempStation::with_cups(&cups, "nopaper", 3);
    // The first receipt finds the paper gone (and is cancelled); the next is not even sent.
    let mut st = t.station_at("2026-11-28T09:29:00+08:00");
    let first = st.take_ticket(&kiosk::service::Target::Matter("A01".into()), false).expect("ticket");
    assert!(st.print_task(&first).expect("task").run(&st.clock).is_err());
    let k = kiosk(&t, "2026-11-28T09:30:00+08:00");
    tap(&k, "办事指南");
    tap(&k, "民政");
    tap(&k, "高龄津贴申请");
    tap(&k, "取号办理");
    tap(&k, "不是，普通取号");
    let ta = k.app.global::<TicketAdapter>();
    assert_eq!(ta.get_number(), "C001");
    // The print runs on its own thread; the screen learns the outcome from a timer.
    let started = std::time::Instant::now();
    while ta.get_print_state() == kiosk::ui::PrintState::Printing {
        assert!(started.elapsed() < Duration::from_secs(20), "print never finished");
        std::thread::sleep(Duration::from_millis(20));
        mock_elapsed_time(Duration::from_millis(100));
    }
    assert_eq!(ta.get_print_state(), kiosk::ui::PrintState::Failed);
    assert_eq!(ta.get_print_message(), "打印机暂时无法出票，请记住您的号码 C001，或联系工作人员");
    let status: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&k.app, "打印状态").collect();
    assert!(status[0].accessible_value().unwrap_or_default().contains("请记住您的号码 C001"));
    let st = k.state.borrow();
    let stored = st.station.ticket_today("C001").expect("q").expect("ticket valid");
    let jobs = st.station.print_jobs_for_ticket(stored.id).expect("jobs");
    assert_eq!(jobs[0].status, "failed");
    assert!(jobs[0].error.as_deref().unwrap_or_default().contains("打印纸用完了"), "{:?}", jobs[0].error);
}

#[test]
fn call_staff_is_recorded() {
    let t = TempStation::new();
    let k = kiosk(&t, "2026-11-28T09:30:00+08:00");
    tap(&k, "办事指南");
    tap(&k, "呼叫工作人员");
    assert!(k.app.global::<Nav>().get_toast_visible());
    assert!(k.app.global::<Nav>().get_toast().contains("已通知工作人员"));
    let st = k.state.borrow();
    assert_eq!(st.station.open_help_requests().expect("count"), 1);
}

fn luminance(c: slint::Color) -> f64 {
    let f = |v: u8| {
        let c = v as f64 / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * f(c.red()) + 0.7152 * f(c.green()) + 0.0722 * f(c.blue())
}

fn contrast(a: slint::Color, b: slint::Color) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

#[test]
fn theme_meets_the_elderly_design_numbers() {
    let t = TempStation::new();
    let k = kiosk(&t, "2026-11-28T09:30:00+08:00");
    let theme = k.app.global::<Theme>();
    let p = theme.get_palette();
    for (name, fg, bg) in [
        ("text/background", p.text, p.background),
        ("text/surface", p.text, p.surface),
        ("muted/background", p.text_muted, p.background),
        ("muted/surface", p.text_muted, p.surface),
        ("on-color/brand", p.on_color, p.brand),
        ("on-color/primary", p.on_color, p.primary),
        ("on-color/guide", p.on_color, p.tile_guide),
        ("on-color/ticket", p.on_color, p.tile_ticket),
        ("on-color/search", p.on_color, p.tile_search),
        ("on-color/case", p.on_color, p.tile_case),
        ("on-color/progress", p.on_color, p.tile_progress),
        ("on-color/elder", p.on_color, p.tile_elder),
        ("on-color/ok", p.on_color, p.ok),
        ("danger/background", p.danger, p.background),
        ("brand/background", p.brand, p.background),
    ] {
        let r = contrast(fg, bg);
        assert!(r >= 7.0, "{name}: contrast {r:.2} < 7:1");
    }
    for large in [false, true] {
        theme.set_large_text(large);
        let (ty, sz) = (theme.get_typo(), theme.get_sizes());
        let min_body = if large { 40.0 } else { 28.0 };
        assert!(ty.body >= min_body && ty.small >= min_body, "body text too small (large={large})");
        assert!(sz.button_height >= 96.0, "primary buttons ≥ 96 px");
        assert!(sz.touch_min >= 72.0 && sz.key_size >= 72.0 && sz.row_height >= 72.0, "touch targets ≥ 72 px");
    }
}

/// Every touch control on every page has a label and is at least 72 px tall.
#[test]
fn every_control_is_labelled_and_big_enough() {
    let t = TempStation::new();
    let k = kiosk(&t, "2026-11-28T09:30:00+08:00");
    let visit = |k: &Kiosk, name: &str| {
        let buttons: Vec<ElementHandle> = ElementQuery::from_root(&k.app)
            .match_descendants()
            .match_accessible_role(AccessibleRole::Button)
            .find_all();
        assert!(buttons.len() >= 3, "{name}: too few buttons found ({})", buttons.len());
        for b in buttons {
            let label = b.accessible_label().unwrap_or_default();
            assert!(!label.trim().is_empty(), "{name}: a button without a label");
            let h = b.size().height;
            assert!(h >= 72.0, "{name}: {label:?} is {h} px tall (< 72)");
        }
    };
    for large in [false, true] {
        k.app.global::<Theme>().set_large_text(large);
        settle();
        visit(&k, "home");
        tap(&k, "办事指南");
        visit(&k, "categories");
        tap(&k, "民政");
        visit(&k, "matters");
        tap(&k, "最低生活保障申请");
        visit(&k, "matter");
        tap(&k, "取号办理");
        visit(&k, "priority");
        tap(&k, "不是，普通取号");
        visit(&k, "ticket");
        tap(&k, "首页");
        tap(&k, "查找事项");
        tap(&k, "G");
        visit(&k, "search");
        tap(&k, "首页");
        tap(&k, "代办申请");
        visit(&k, "categories (case)");
        tap(&k, "民政");
        tap(&k, "高龄津贴申请");
        tap(&k, "申请代办");
        visit(&k, "case materials");
        tap(&k, "下一步");
        visit(&k, "case notice");
        tap(&k, "我知道了，下一步");
        visit(&k, "case phone");
        type_keys(&k, "13812345678");
        tap(&k, "下一步");
        visit(&k, "case id");
        type_keys(&k, "130110194503150138");
        tap(&k, "下一步");
        type_keys(&k, "LI");
        visit(&k, "case name");
        tap(&k, "选字 李");
        tap(&k, "下一步");
        visit(&k, "case confirm");
        tap(&k, "确认提交");
        visit(&k, "case done");
        tap(&k, "完成");
        tap(&k, "进度查询");
        visit(&k, "lookup");
        tap(&k, "首页");
    }
}

fn type_keys(k: &Kiosk, keys: &str) {
    for c in keys.chars() {
        tap(k, &c.to_string());
    }
}

fn case_form_error(k: &Kiosk) -> String {
    k.app.global::<kiosk::ui::CaseFormAdapter>().get_error().to_string()
}

#[test]
#[ignore = "full suite (./test.sh): needs pdftotext"]
fn case_request_from_matter_to_receipt() {
    let t = TempStation::new();
    let k = kiosk(&t, "2026-11-27T10:00:00+08:00");
    tap(&k, "办事指南");
    tap(&k, "民政");
    tap(&k, "高龄津贴申请");
    tap(&k, "申请代办");
    assert_eq!(page(&k), Page::CaseMaterials);
    let names: Vec<String> = {
        let st = k.state.borrow();
        st.station.cfg.catalog.matter("C01").expect("C01").materials.iter().map(|m| m.name.clone()).collect()
    };
    // Tick all but the second material.
    for (i, n) in names.iter().enumerate() {
        if i != 1 {
            tap(&k, n);
        }
    }
    let p = k.app.global::<kiosk::ui::CaseFormAdapter>();
    assert_eq!(p.get_missing().iter().map(|s| s.to_string()).collect::<Vec<_>>(), vec![names[1].clone()]);
    // Before anything personal: what is collected, why, for how long (issue 18); 下一步
    // on it is the acknowledgement, recorded on the case.
    tap(&k, "下一步");
    assert_eq!(page(&k), Page::CaseNotice);
    let notice: String = p.get_notice().iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n");
    for needle in ["姓名、身份证号和联系电话", "只用于代您办理这件事", "保存 180 天", "要求删除"]
    {
        assert!(notice.contains(needle), "{needle}: {notice}");
    }
    tap(&k, "我知道了，下一步");
    assert_eq!(page(&k), Page::CasePhone);
    type_keys(&k, "1381234567");
    tap(&k, "下一步");
    assert_eq!(page(&k), Page::CasePhone, "a 10-digit mobile is refused");
    assert!(case_form_error(&k).contains("手机号应为11位，您输入了10位"), "{}", case_form_error(&k));
    type_keys(&k, "8");
    tap(&k, "下一步");
    assert_eq!(page(&k), Page::CaseId);
    type_keys(&k, "130110194503150130");
    tap(&k, "下一步");
    assert!(case_form_error(&k).contains("最后一位应为8，您输入的是0"), "{}", case_form_error(&k));
    let hint: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&k.app, "输入提示").collect();
    assert!(!hint.is_empty(), "the message is on screen at the field");
    tap(&k, "删除");
    type_keys(&k, "8");
    tap(&k, "下一步");
    assert_eq!(page(&k), Page::CaseName);
    // Name by pinyin: w-a-n-g → 王, then skip the rest.
    type_keys(&k, "WANG");
    tap(&k, "选字 王");
    assert_eq!(p.get_name(), "王");
    tap(&k, "下一步");
    assert_eq!(page(&k), Page::CaseConfirm);
    assert_eq!(p.get_id_masked(), "130***********0138");
    assert_eq!(p.get_phone_masked(), "138****5678");
    assert_eq!(p.get_name_masked(), "王*");
    // 修改 the phone and come straight back.
    tap(&k, "修改联系电话");
    assert_eq!(page(&k), Page::CasePhone);
    tap(&k, "下一步");
    assert_eq!(page(&k), Page::CaseConfirm);
    tap(&k, "确认提交");
    assert_eq!(page(&k), Page::CaseDone);
    assert_eq!(p.get_tracking(), "D-261127-001");
    assert!(p.get_has_authorization());

    let st = k.state.borrow();
    let case = st.station.find_case("D-261127-001").expect("q").expect("stored");
    assert_eq!(case.phone, "13812345678");
    assert_eq!(case.name.as_deref(), Some("王"));
    assert_eq!(case.materials.iter().filter(|m| !m.received).count(), 1);
    let db = crate::util::db(&t);
    let (version, at): (i64, String) = db
        .query_row("SELECT notice_version, notice_at FROM cases WHERE tracking = 'D-261127-001'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("the acknowledgement is on the case");
    assert_eq!(version, i64::from(kiosk::domain::privacy::NOTICE_VERSION));
    assert!(at.starts_with("2026-11-27T02:00"), "{at}");
    let receipt = t.data_dir().join("spool/2026-11-27/D-261127-001-case-receipt.pdf");
    let text = crate::util::pdf_text(&receipt);
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(!flat.contains("130110194503150138") && !flat.contains("13812345678"), "{text}");
    assert!(flat.contains("D-261127-001") && flat.contains(&names[1]));
    let scratch = tempfile::tempdir().expect("tmp");
    let codes = crate::util::decode_qr(&receipt, scratch.path());
    assert_eq!(codes, vec![format!("http://192.168.1.10:8080/c/{}", case.token)]);
    drop(st);
    tap(&k, "完成");
    assert_eq!(page(&k), Page::Home);
    assert_eq!(p.get_tracking(), "");
}

#[test]
fn nothing_typed_for_a_request_survives_idle() {
    let t = TempStation::new();
    let k = kiosk(&t, "2026-11-27T10:00:00+08:00");
    tap(&k, "办事指南");
    tap(&k, "民政");
    tap(&k, "高龄津贴申请");
    tap(&k, "申请代办");
    tap(&k, "下一步");
    assert_eq!(page(&k), Page::CaseNotice);
    tap(&k, "我知道了，下一步");
    assert_eq!(page(&k), Page::CasePhone);
    type_keys(&k, "13812345678");
    assert_eq!(page(&k), Page::CasePhone, "typed");
    tap(&k, "下一步");
    assert_eq!(page(&k), Page::CaseId, "{}", case_form_error(&k));
    type_keys(&k, "1301101945");
    for _ in 0..120 {
        mock_elapsed_time(Duration::from_secs(1));
    }
    assert_eq!(page(&k), Page::Home);
    let p = k.app.global::<kiosk::ui::CaseFormAdapter>();
    assert_eq!(p.get_phone(), "");
    assert_eq!(p.get_id_number(), "");
    assert_eq!(p.get_phone_masked(), "");
    // 首页 in the middle of a request forgets it too (home has no idle countdown).
    tap(&k, "代办申请");
    tap(&k, "民政");
    tap(&k, "高龄津贴申请");
    tap(&k, "申请代办");
    tap(&k, "下一步");
    // A new villager is told again before anything personal.
    assert_eq!(page(&k), Page::CaseNotice);
    tap(&k, "我知道了，下一步");
    type_keys(&k, "13812345678");
    tap(&k, "首页");
    assert_eq!(p.get_phone(), "");
    assert_eq!(p.get_matter_name(), "");
    // Starting again shows empty fields.
    tap(&k, "代办申请");
    tap(&k, "民政");
    tap(&k, "高龄津贴申请");
    tap(&k, "申请代办");
    tap(&k, "下一步");
    assert_eq!(p.get_phone(), "");
    assert_eq!(p.get_id_number(), "");
}

#[test]
fn progress_lookup_by_code_and_by_scan() {
    let t = TempStation::new();
    let token = {
        let mut st = t.station_at("2026-11-27T10:00:00+08:00");
        st.submit_case(&crate::cases::request("C01", &["户口簿"])).expect("submit").case.token
    };
    let k = kiosk(&t, "2026-11-28T09:00:00+08:00");
    tap(&k, "进度查询");
    assert_eq!(page(&k), Page::Lookup);
    type_keys(&k, "261127001");
    type_keys(&k, "0000");
    let la = k.app.global::<kiosk::ui::LookupAdapter>();
    assert_eq!((la.get_tracking_digits().as_str(), la.get_last4().as_str()), ("261127001", "0000"));
    tap(&k, "查询");
    assert_eq!(page(&k), Page::Lookup);
    assert!(la.get_error().contains("没有找到"), "{}", la.get_error());
    for _ in 0..4 {
        tap(&k, "删除");
    }
    type_keys(&k, "5678");
    tap(&k, "查询");
    assert_eq!(page(&k), Page::LookupResult);
    assert_eq!(la.get_state_label(), "待受理");
    assert!(la.get_applicant().contains("138****5678") && la.get_applicant().contains("130***********0138"));
    assert!(!la.get_applicant().contains("13812345678"));
    assert_eq!(la.get_missing().row_count(), 1);

    // A USB scanner types the receipt's URL and Enter into the lookup page.
    tap(&k, "返回");
    assert_eq!(page(&k), Page::Lookup);
    la.invoke_scanned(format!("http://192.168.1.10:8080/c/{token}").into());
    settle();
    assert_eq!(page(&k), Page::LookupResult);
    tap(&k, "返回");
    la.invoke_scanned("http://192.168.1.10:8080/c/aaaaaaaaaaaaaaaaaaaaaaaaaa".into());
    settle();
    assert_eq!(page(&k), Page::Lookup, "a tampered token finds nothing");
    assert!(la.get_error().contains("不是本站的代办回执"));
    // A home-made code holding a tracking code (guessable) instead of the token opens nothing.
    for fake in ["D-261127-001----------------", "D-261127-001", "http://x/c/D-261127-001"] {
        la.invoke_scanned(fake.into());
        settle();
        assert_eq!(page(&k), Page::Lookup, "{fake}");
    }
}

#[test]
fn guessing_codes_at_the_kiosk_stops() {
    let t = TempStation::new();
    {
        let mut st = t.station_at("2026-11-27T10:00:00+08:00");
        st.submit_case(&crate::cases::request("A01", &[])).expect("submit");
    }
    let k = kiosk(&t, "2026-11-28T09:00:00+08:00");
    tap(&k, "进度查询");
    let la = k.app.global::<kiosk::ui::LookupAdapter>();
    for guess in ["0001", "0002", "0003", "0004", "0005"] {
        type_keys(&k, "261127001");
        type_keys(&k, guess);
        tap(&k, "查询");
        assert!(la.get_error().contains("没有找到"));
        for _ in 0..13 {
            tap(&k, "删除");
        }
    }
    type_keys(&k, "261127001");
    type_keys(&k, "5678");
    tap(&k, "查询");
    assert_eq!(page(&k), Page::Lookup, "even the right answer waits after five misses");
    assert!(la.get_error().contains("查错的次数太多"), "{}", la.get_error());
    // 首页 does not reset it, nor does another process (a restart): the misses are in
    // the store. A day later the code opens again.
    tap(&k, "首页");
    tap(&k, "进度查询");
    type_keys(&k, "261127001");
    type_keys(&k, "5678");
    tap(&k, "查询");
    assert_eq!(page(&k), Page::Lookup);
    assert!(la.get_error().contains("查错的次数太多"), "{}", la.get_error());
    let again = t.station_at("2026-11-28T09:05:00+08:00").lookup_case("D-261127-001", "5678");
    assert!(matches!(again, Err(kiosk::service::LookupError::TooMany)), "{again:?}");
    let next_day = t.station_at("2026-11-29T09:10:00+08:00").lookup_case("D-261127-001", "5678");
    assert!(next_day.expect("open again").is_some());
}

#[test]
fn scanner_keystrokes_reach_the_lookup() {
    let t = TempStation::new();
    let token = {
        let mut st = t.station_at("2026-11-27T10:00:00+08:00");
        st.submit_case(&crate::cases::request("A01", &[])).expect("submit").case.token
    };
    let k = kiosk(&t, "2026-11-28T09:00:00+08:00");
    tap(&k, "进度查询");
    let url = format!("http://192.168.1.10:8080/c/{token}");
    let mut keys: Vec<slint::SharedString> = url.chars().map(|c| c.to_string().into()).collect();
    keys.push(slint::platform::Key::Return.into());
    for text in keys {
        k.app.window().dispatch_event(slint::platform::WindowEvent::KeyPressed { text: text.clone() });
        k.app.window().dispatch_event(slint::platform::WindowEvent::KeyReleased { text });
    }
    settle();
    assert_eq!(page(&k), Page::LookupResult, "the scanner's text and Enter open the case");
}

#[test]
fn closed_station_says_so_and_when_it_opens() {
    let t = TempStation::new();
    // Saturday: closed all day; the home page and the ticket say when it opens next.
    let k = kiosk(&t, "2026-11-28T10:00:00+08:00");
    let home = k.app.global::<kiosk::ui::HomeAdapter>();
    assert_eq!(home.get_closed_notice(), "今天是周末，服务站不办公。下次办公时间：2026年11月30日 星期一 8:30。");
    let shown: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&k.app, "办公时间提示").collect();
    assert!(!shown.is_empty(), "the notice is on screen");
    tap(&k, "取号");
    tap(&k, "民政");
    tap(&k, "不是，普通取号");
    assert_eq!(page(&k), Page::Ticket);
    assert!(k.app.global::<TicketAdapter>().get_closed_notice().contains("下次办公时间"));
    // Monday 10:00: open, no notice.
    let k = Kiosk::build(t.station_at("2026-11-30T10:00:00+08:00")).expect("build kiosk");
    assert_eq!(k.app.global::<kiosk::ui::HomeAdapter>().get_closed_notice(), "");
}

#[test]
fn a_new_list_of_matters_is_taken_up_at_home_only() {
    let t = TempStation::new();
    let k = kiosk(&t, "2026-11-30T09:30:00+08:00");
    tap(&k, "办事指南");
    tap(&k, "司法");
    assert!(!has_label(&k, "公共法律服务预约"));
    // The station head publishes a new version meanwhile (another process).
    {
        let mut st = t.station_at("2026-11-30T09:30:00+08:00");
        crate::cases::add_staff(&st);
        let admin = st.sign_in("003", crate::cases::PIN).expect("admin");
        st.publish_matters(&admin, "new.toml", &crate::matters::with_new_matter(), "新增").expect("publish");
    }
    // In the middle of a villager's flow nothing changes, however long they take.
    for _ in 0..6 {
        mock_elapsed_time(Duration::from_secs(1));
    }
    assert_eq!(k.state.borrow().station.catalog_version(), 1);
    assert!(!has_label(&k, "公共法律服务预约"));
    // Back home: within a few seconds the kiosk uses the new list.
    tap(&k, "首页");
    for _ in 0..5 {
        mock_elapsed_time(Duration::from_secs(1));
    }
    assert_eq!(k.state.borrow().station.catalog_version(), 2);
    tap(&k, "办事指南");
    tap(&k, "司法");
    assert!(has_label(&k, "公共法律服务预约"), "the new matter is listed");
}

/// Issue 17: on the identity step a card on the reader fills the ID number and the name
/// (checked as typed ones are) and skips the keypads; the kiosk asks to take the card away.
/// Only the phone number was typed.
/// A station whose `[idcard] device` is `device`, its kiosk walked to the identity step of
/// a 高龄津贴 request with the phone typed.
fn at_the_identity_step_with_a_reader(device: &str) -> (TempStation, Kiosk) {
    let toml =
        kiosk::config::SHIPPED_STATION.replace("[idcard]\ndevice = \"\"", &format!("[idcard]\ndevice = \"{device}\""));
    assert!(toml.contains(device), "the template has an [idcard] section");
    let t = TempStation::with_station_toml(&toml);
    let k = kiosk(&t, "2026-11-27T10:00:00+08:00");
    tap(&k, "办事指南");
    tap(&k, "民政");
    tap(&k, "高龄津贴申请");
    tap(&k, "申请代办");
    tap(&k, "下一步");
    tap(&k, "我知道了，下一步");
    type_keys(&k, "13812345678");
    tap(&k, "下一步");
    assert_eq!(page(&k), Page::CaseId);
    (t, k)
}

#[test]
fn a_card_on_the_reader_fills_the_identity_step() {
    use crate::idcard::{pty, simulate, Sim, SERIAL};
    use std::sync::atomic::{AtomicBool, Ordering};
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (master, slave) = pty();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let reader = simulate(master, Sim::Card, stop.clone());
    let (t, k) = at_the_identity_step_with_a_reader(&slave);
    let p = k.app.global::<kiosk::ui::CaseFormAdapter>();
    assert!(p.get_card_reader());
    let started = std::time::Instant::now();
    while page(&k) != Page::CaseConfirm {
        assert!(started.elapsed() < Duration::from_secs(15), "the card was not read: {}", p.get_card_message());
        settle();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!((p.get_id_masked().as_str(), p.get_name_masked().as_str()), ("130***********0138", "王**"));
    assert!(k.app.global::<Nav>().get_toast().contains("请取走身份证"));
    tap(&k, "确认提交");
    assert_eq!(page(&k), Page::CaseDone);
    let tracking = p.get_tracking().to_string();
    stop.store(true, Ordering::SeqCst);
    let _ = reader.join();
    let st = k.state.borrow();
    let case = st.station.find_case(&tracking).expect("q").expect("stored");
    assert_eq!((case.id_number.as_str(), case.name.as_deref()), ("130110194503150138", Some("王小明")));
    // No byte of the photo anywhere the kiosk writes: the store (and its WAL), the
    // receipts in the spool, the logs.
    for f in crate::idcard::walk(&t.data_dir()) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        let photo = crate::idcard::PHOTO;
        assert!(!bytes.windows(photo.len()).any(|w| w == photo), "photo bytes in {}", f.display());
    }
}

/// A station whose prompt player is a stand-in that takes `secs` per prompt, like a speaker.
fn with_slow_player(secs: u32) -> TempStation {
    let toml = kiosk::config::SHIPPED_STATION.replace(
        "player = [\"aplay\", \"-q\", \"{file}\"]",
        &format!("player = [\"sh\", \"-c\", \"sleep {secs}\", \"{{file}}\"]"),
    );
    assert_ne!(toml, kiosk::config::SHIPPED_STATION, "the template's player line moved");
    TempStation::with_station_toml(&toml)
}

fn wait_for(what: &str, f: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(20), "{what}");
        settle();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
#[ignore = "full suite (./test.sh): needs espeak-ng"]
fn each_screen_shows_its_prompt_and_says_it_in_elder_mode() {
    use kiosk::ui::Guide;
    let t = with_slow_player(30);
    let k = kiosk(&t, "2026-11-28T09:30:00+08:00");
    k.start_voice();
    let guide = k.app.global::<Guide>();
    assert!(guide.get_prompt().contains("长辈模式"), "home's prompt is on screen: {}", guide.get_prompt());
    assert!(!k.prompt_playing(), "standard text: prompts are not said on their own");
    // 再听一遍 says it in any mode; a touch stops it.
    tap(&k, "再听一遍");
    assert!(k.prompt_playing());
    tap(&k, "办事指南");
    assert!(!k.prompt_playing(), "a touch stops the prompt");
    assert!(guide.get_prompt().contains("属于哪一类"), "{}", guide.get_prompt());
    tap(&k, "首页");
    // 长辈模式: each screen says its prompt on entering.
    tap(&k, "长辈模式");
    wait_for("home's prompt is said in elder mode", || k.prompt_playing());
    tap(&k, "办事指南");
    tap(&k, "民政");
    assert!(guide.get_prompt().contains("民政"), "the category is filled in: {}", guide.get_prompt());
    tap(&k, "高龄津贴申请");
    assert_eq!(page(&k), Page::Matter);
    assert!(guide.get_prompt().contains("高龄津贴申请需要带的材料，一共5样"), "{}", guide.get_prompt());
    wait_for("the matter's prompt plays", || k.prompt_playing());
    // While it plays the villager is listening: the idle countdown waits.
    for _ in 0..150 {
        mock_elapsed_time(Duration::from_secs(1));
    }
    assert!(k.prompt_playing());
    assert!(!k.app.global::<IdleAdapter>().get_warning(), "no idle warning while a prompt plays");
    assert_eq!(k.idle_secs(), 0);
    tap(&k, "取号办理");
    assert!(guide.get_prompt().contains("七十岁以上"), "{}", guide.get_prompt());
    tap(&k, "不是，普通取号");
    assert_eq!(page(&k), Page::Ticket);
    assert!(guide.get_prompt().contains("C001"), "the number is in the prompt: {}", guide.get_prompt());
}

#[test]
#[ignore = "full suite (./test.sh): needs pdftotext"]
fn a_staff_member_helps_at_the_kiosk_on_the_record() {
    use kiosk::ui::{Assist, CaseFormAdapter};
    const NOW: &str = "2026-11-27T10:00:00+08:00";
    let t = TempStation::new();
    crate::cases::add_staff(&t.station_at(NOW));
    let k = kiosk(&t, NOW);
    let a = k.app.global::<Assist>();
    // The discreet control on home: staff number, then PIN, on the kiosk's keypad.
    tap(&k, "工作人员帮办");
    assert!(a.get_signing_in());
    type_keys(&k, "001");
    tap(&k, "下一步");
    assert!(a.get_pin_step());
    type_keys(&k, "111111");
    assert_eq!(a.get_pin_dots(), "●●●●●●", "the PIN is never shown");
    tap(&k, "开始帮办");
    assert!(!a.get_active());
    assert!(a.get_message().contains("工号或密码不对"), "{}", a.get_message());
    let failed = |t: &TempStation| -> u32 {
        crate::util::db(t).query_row("SELECT failed_attempts FROM staff WHERE no = '001'", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(failed(&t), 1, "a wrong PIN at the kiosk counts toward the desk's lock");
    type_keys(&k, crate::cases::PIN);
    tap(&k, "开始帮办");
    assert!(a.get_active() && !a.get_signing_in());
    assert_eq!(a.get_staff(), "张**");
    // The banner is on every screen the villager goes through.
    let banner = |k: &Kiosk| assert!(has_label(k, "结束帮办"), "no 帮办 banner on {:?}", page(k));
    banner(&k);
    tap(&k, "办事指南");
    banner(&k);
    tap(&k, "民政");
    banner(&k);
    tap(&k, "最低生活保障申请");
    banner(&k);
    tap(&k, "取号办理");
    banner(&k);
    tap(&k, "不是，普通取号");
    banner(&k);
    assert_eq!(k.app.global::<TicketAdapter>().get_number(), "C001");
    tap(&k, "完成");
    // The request, with materials the staff member checked by hand.
    tap(&k, "办事指南");
    tap(&k, "民政");
    tap(&k, "高龄津贴申请");
    tap(&k, "申请代办");
    banner(&k);
    tap(&k, "下一步");
    tap(&k, "我知道了，下一步");
    type_keys(&k, "13812345678");
    tap(&k, "下一步");
    banner(&k);
    type_keys(&k, "130110194503150138");
    tap(&k, "下一步");
    tap(&k, "不填，下一步");
    assert_eq!(page(&k), Page::CaseConfirm);
    banner(&k);
    tap(&k, "工作人员已当面核对材料，提交后直接受理");
    assert!(k.app.global::<CaseFormAdapter>().get_hand_checked());
    tap(&k, "确认提交");
    assert_eq!(page(&k), Page::CaseDone);
    banner(&k);
    let tracking = k.app.global::<CaseFormAdapter>().get_tracking().to_string();
    {
        let st = k.state.borrow();
        let case = st.station.find_case(&tracking).expect("q").expect("stored");
        assert_eq!(case.assisted_by.as_deref(), Some("001"));
        assert_eq!(case.state, kiosk::domain::case::CaseState::Accepted, "accepted at once, by hand");
        let ticket = st.station.ticket_today("C001").expect("q").expect("stored");
        drop(ticket);
    }
    // The paper says who helped (masked), the receipt and the 委托书 alike.
    let spool = t.data_dir().join("spool").join("2026-11-27");
    let mut papers: Vec<_> = std::fs::read_dir(&spool).expect("spool").flatten().map(|e| e.path()).collect();
    papers.sort();
    assert_eq!(papers.len(), 3, "ticket, receipt, 委托书: {papers:?}");
    for p in &papers {
        let text: String = crate::util::pdf_text(p).chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains("帮办人：张**"), "{}: {text}", p.display());
    }
    // The audit log: the staff member acting, from the kiosk, on behalf of each.
    let db = crate::util::db(&t);
    let rows: Vec<(String, String, Option<String>, Option<String>)> = db
        .prepare("SELECT staff_no, action, subject, origin FROM audit_events WHERE action LIKE 'assist-%' ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let actions: Vec<(&str, Option<&str>)> = rows.iter().map(|r| (r.1.as_str(), r.2.as_deref())).collect();
    assert_eq!(
        actions,
        vec![("assist-begin", None), ("assist-ticket", Some("C001")), ("assist-case", Some(tracking.as_str()))]
    );
    assert!(rows.iter().all(|r| r.0 == "001" && r.3.as_deref() == Some("kiosk")), "{rows:?}");
    let note: String = db
        .query_row(
            "SELECT note FROM case_events WHERE kind = 'transition' AND to_state = 'accepted' AND staff_no = '001'",
            [],
            |r| r.get(0),
        )
        .expect("the acceptance is recorded as checked by hand");
    assert!(note.contains("当面核对"), "{note}");
    assert_eq!(failed(&t), 0, "a good PIN clears the count");
    drop(db);
    // The session cannot outlive 60 quiet seconds: warned at 30, ended at 60.
    tap(&k, "完成");
    for _ in 0..29 {
        mock_elapsed_time(Duration::from_secs(1));
    }
    assert!(!k.app.global::<IdleAdapter>().get_warning());
    mock_elapsed_time(Duration::from_secs(1));
    assert!(k.app.global::<IdleAdapter>().get_warning(), "the usual warning, at 30 s");
    for _ in 0..30 {
        mock_elapsed_time(Duration::from_secs(1));
    }
    assert!(!a.get_active(), "帮办 ended after 60 idle seconds");
    assert!(!has_label(&k, "结束帮办"));
    assert_eq!(page(&k), Page::Home);
    let db = crate::util::db(&t);
    let end: (String, String) = db
        .query_row("SELECT action, detail FROM audit_events ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(end, ("assist-end".to_string(), "idle".to_string()));
}

#[test]
fn ending_help_wipes_the_screen_and_signs_the_staff_member_out() {
    use kiosk::ui::Assist;
    const NOW: &str = "2026-11-27T10:00:00+08:00";
    let t = TempStation::new();
    crate::cases::add_staff(&t.station_at(NOW));
    let k = kiosk(&t, NOW);
    tap(&k, "工作人员帮办");
    type_keys(&k, "002");
    tap(&k, "下一步");
    type_keys(&k, crate::cases::PIN);
    tap(&k, "开始帮办");
    let a = k.app.global::<Assist>();
    assert_eq!(a.get_staff(), "李*");
    tap(&k, "查找事项");
    type_keys(&k, "DB");
    tap(&k, "结束帮办");
    assert!(!a.get_active());
    assert_eq!(page(&k), Page::Home);
    tap(&k, "查找事项");
    assert_eq!(k.app.global::<SearchAdapter>().get_query(), "", "what was typed is gone");
    let db = crate::util::db(&t);
    let end: (String, String, String) = db
        .query_row("SELECT staff_no, action, detail FROM audit_events WHERE action = 'assist-end'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(end, ("002".into(), "assist-end".into(), "ended".into()));
    // Cancelled sign-in: nothing recorded, nothing active.
    tap(&k, "首页");
    tap(&k, "工作人员帮办");
    tap(&k, "取消");
    assert!(!a.get_signing_in() && !a.get_active());
}

/// Issue 17: the reader unplugged while the identity step is shown says so in words, and
/// plugged back in (here: its device path comes back, pointing at a new line) it is found
/// again and reads the card, with nothing typed and nothing half-filled meanwhile.
#[test]
fn a_reader_unplugged_and_plugged_back_in_is_found_again() {
    use crate::idcard::{pty, simulate, Sim, SERIAL};
    use std::sync::atomic::{AtomicBool, Ordering};
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().expect("dir");
    let device = dir.path().join("ttyUSB0");
    let (_t, k) = at_the_identity_step_with_a_reader(&device.display().to_string());
    let p = k.app.global::<kiosk::ui::CaseFormAdapter>();
    // Unplugged: the words say so; nothing is filled.
    let started = std::time::Instant::now();
    while !p.get_card_message().contains("读卡器没有连接") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no words for the missing reader: {}",
            p.get_card_message()
        );
        settle();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(p.get_card_message().contains("插好后再试"), "what to do next: {}", p.get_card_message());
    assert_eq!(p.get_id_number(), "");
    // Plugged back in, with a card on it.
    let (master, slave) = pty();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let reader = simulate(master, Sim::Card, stop.clone());
    std::os::unix::fs::symlink(&slave, &device).expect("the device comes back");
    let started = std::time::Instant::now();
    while page(&k) != Page::CaseConfirm {
        assert!(started.elapsed() < Duration::from_secs(15), "not found again: {}", p.get_card_message());
        settle();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(p.get_id_masked(), "130***********0138");
    stop.store(true, Ordering::SeqCst);
    let _ = reader.join();
}
