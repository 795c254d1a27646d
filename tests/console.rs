//! The staff console driven headless: sign in, take a case from 待受理 to 已归档, and the
//! lock after five wrong PINs.

use crate::util::TempStation;
use i_slint_backend_testing::{mock_elapsed_time, AccessibleRole, ElementHandle};
use kiosk::ui::staff::Console;
use kiosk::ui::{CaseAdapter, LoginAdapter, StaffNav, StaffPage};
use slint::ComponentHandle;
use std::time::Duration;

fn console(t: &TempStation) -> Console {
    i_slint_backend_testing::init_no_event_loop();
    let c = Console::build(t.station_at("2026-11-27T10:00:00+08:00")).expect("console");
    c.win.window().set_size(slint::PhysicalSize::new(1280, 800));
    c.win.show().expect("show");
    mock_elapsed_time(Duration::from_millis(20));
    c
}

fn tap(c: &Console, label: &str) {
    let mut found: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&c.win, label).collect();
    found.retain(|e| e.accessible_role() != Some(AccessibleRole::Text));
    assert!(!found.is_empty(), "no control {label:?} on {:?}", c.win.global::<StaffNav>().get_page());
    found[0].invoke_accessible_default_action();
    mock_elapsed_time(Duration::from_millis(20));
}

fn type_into(c: &Console, label: &str, text: &str) {
    let found: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&c.win, label)
        .filter(|e| e.accessible_role() == Some(AccessibleRole::TextInput))
        .collect();
    assert!(!found.is_empty(), "no field {label:?}");
    found[0].set_accessible_value(text);
    mock_elapsed_time(Duration::from_millis(20));
}

fn prepare(t: &TempStation) -> String {
    let mut st = t.station_at("2026-11-27T09:00:00+08:00");
    crate::cases::add_staff(&st);
    st.submit_case(&crate::cases::request("C01", &["户口簿"])).expect("submit").case.tracking
}

#[test]
fn sign_in_and_carry_a_case_to_the_archive() {
    let t = TempStation::new();
    let tracking = prepare(&t);
    let c = console(&t);
    type_into(&c, "工号", "001");
    type_into(&c, "密码", crate::cases::PIN);
    tap(&c, "登录");
    assert_eq!(c.win.global::<StaffNav>().get_page(), StaffPage::Queue);
    tap(&c, &tracking);
    assert_eq!(c.win.global::<StaffNav>().get_page(), StaffPage::Case);
    let ca = c.win.global::<CaseAdapter>();
    assert_eq!(ca.get_id_number(), "130***********0138", "masked until revealed");
    tap(&c, "显示完整身份证号和电话（会记录）");
    assert_eq!(ca.get_id_number(), "130110194503150138");
    assert_eq!(ca.get_phone(), "13812345678");
    // Leaving the case drops the revealed data; coming back shows it masked again.
    tap(&c, "返回队列");
    assert_eq!(ca.get_id_number(), "");
    tap(&c, &tracking);
    assert_eq!(ca.get_id_number(), "130***********0138");

    tap(&c, "受理");
    assert_eq!(ca.get_state(), "已受理");
    tap(&c, "报送");
    assert!(ca.get_message_is_error(), "报送 needs a note");
    assert!(ca.get_message().contains("需要填写说明"));
    for (action, note, state) in [
        ("报送", "报乡镇民政办", "已报送"),
        ("办结", "审核通过，下月发放", "已办结"),
        ("已通知村民", "电话通知本人", "已通知"),
        ("领取/归档", "", "已领取/归档"),
    ] {
        type_into(&c, "说明", note);
        tap(&c, action);
        assert_eq!(ca.get_state(), state, "{}", ca.get_message());
    }
    let st = c.state.borrow();
    let case = st.station.find_case(&tracking).expect("q").expect("case");
    assert_eq!(case.state, kiosk::domain::case::CaseState::Closed);
    assert_eq!(case.first_responder.as_deref(), Some("001"));
    let events = st.station.case_events(&case).expect("events");
    assert!(events.iter().any(|e| e.kind == "reveal" && e.staff_no.as_deref() == Some("001")), "the reveal is logged");
    assert_eq!(events.iter().filter(|e| e.kind == "transition").count(), 5);
}

#[test]
fn five_wrong_pins_lock_the_account() {
    let t = TempStation::new();
    prepare(&t);
    let c = console(&t);
    let la = c.win.global::<LoginAdapter>();
    for _ in 0..5 {
        type_into(&c, "工号", "001");
        type_into(&c, "密码", "1111");
        tap(&c, "登录");
    }
    assert!(la.get_error().contains("锁定"), "{}", la.get_error());
    type_into(&c, "密码", crate::cases::PIN);
    tap(&c, "登录");
    assert_eq!(c.win.global::<StaffNav>().get_page(), StaffPage::Login, "locked even with the right PIN");
    assert_eq!(la.get_pin(), "", "the PIN field is cleared after each try");
}
