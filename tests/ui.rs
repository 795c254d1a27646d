//! The real .slint UI driven headless through Slint's testing backend, finding controls
//! by their accessible labels and firing their default actions, as a screen reader would.

use crate::util::TempStation;
use i_slint_backend_testing::{mock_elapsed_time, AccessibleRole, ElementHandle, ElementQuery};
use kiosk::storage::tickets;
use kiosk::ui::{IdleAdapter, Kiosk, Nav, Page, SearchAdapter, Theme, TicketAdapter};
use slint::ComponentHandle;
use std::time::Duration;

fn kiosk(t: &TempStation, now: &str) -> Kiosk {
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
fn tap(k: &Kiosk, label: &str) {
    let found: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&k.app, label).collect();
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
    let stored =
        tickets::by_number(st.station.conn(), st.station.clock.today(), "C001").expect("query").expect("stored");
    assert_eq!(stored.matter_code.as_deref(), Some("C02"));
    assert!(!stored.priority);
    drop(st);

    // 返回 from the detail page goes back one step; 完成 forgets everything.
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
fn failing_printer_shows_the_fallback() {
    let t = TempStation::with_printer_script("#!/bin/sh\necho 'lp: printer offline' >&2\nexit 1\n");
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
    let stored =
        tickets::by_number(st.station.conn(), st.station.clock.today(), "C001").expect("q").expect("ticket valid");
    let jobs = tickets::jobs_for_ticket(st.station.conn(), stored.id).expect("jobs");
    assert_eq!(jobs[0].status, "failed");
    assert!(jobs[0].error.as_deref().unwrap_or_default().contains("printer offline"));
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
    assert_eq!(tickets::open_help_requests(st.station.conn()).expect("count"), 1);
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
        ("on-color/proxy", p.on_color, p.tile_proxy),
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
    }
}
