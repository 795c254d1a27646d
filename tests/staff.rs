//! The roster kept by the station head: accounts (add, disable, roles, PINs of at least
//! six digits), AB posts, days away, the weekly rota the kiosk home shows, the categories
//! each window calls; every change an audit event.

use crate::cases::{add_staff, signed, PIN};
use crate::util::{get, http, stderr, Serve, TempStation};
use kiosk::service::{CallError, LoginError, StaffError, Target};

const NOW: &str = "2026-11-30T09:30:00+08:00"; // a Monday

#[test]
fn a_disabled_account_can_do_nothing() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let (staff, admin) = (signed(&st, "001"), signed(&st, "003"));
    st.take_ticket(&Target::Matter("C01".into()), false).expect("ticket");
    assert!(matches!(st.admin_set_active(&staff, "002", false), Err(StaffError::Actor(_))), "staff are not admins");
    assert!(matches!(st.admin_set_active(&admin, "003", false), Err(StaffError::Yourself)));
    st.admin_set_active(&admin, "001", false).expect("disable");
    assert!(matches!(st.call_next(&staff, 1), Err(CallError::Actor(_))), "an old sign-in is worth nothing now");
    assert!(matches!(st.sign_in("001", PIN), Err(LoginError::Disabled)));
    assert_eq!(st.on_duty_masked(), "李*、王*", "nor on duty");
    st.admin_set_active(&admin, "001", true).expect("enable");
    assert!(st.call_next(&signed(&st, "001"), 1).is_ok());
    // New PINs have at least six digits; a reset lifts a lock.
    assert!(matches!(st.admin_reset_pin(&admin, "002", "1234"), Err(StaffError::Pin(_))));
    for _ in 0..5 {
        let _ = st.sign_in("002", "000000");
    }
    assert!(matches!(st.sign_in("002", PIN), Err(LoginError::Locked(_))));
    st.admin_reset_pin(&admin, "002", "135790").expect("reset");
    assert!(st.sign_in("002", "135790").is_ok());
    st.admin_add_staff(&admin, "004", "赵六", "staff", Some("112233")).expect("add");
    assert!(matches!(st.admin_add_staff(&admin, "004", "别人", "staff", Some("112233")), Err(StaffError::Exists(_))));
    assert!(st.sign_in("004", "112233").is_ok());
    st.admin_set_role(&admin, "004", kiosk::domain::staff::Role::Admin).expect("role");
    assert!(signed_as(&st, "004", "112233").is_admin());
    let db = crate::util::db(&t);
    let actions: Vec<String> = db
        .prepare("SELECT action FROM audit_events WHERE staff_no = '003' ORDER BY id")
        .expect("q")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("audit");
    assert_eq!(actions, ["staff-disable", "staff-enable", "staff-pin-reset", "staff-add", "staff-role"]);
}

fn signed_as(st: &kiosk::service::Station, no: &str, pin: &str) -> kiosk::service::Signed {
    st.sign_in(no, pin).unwrap_or_else(|e| panic!("{no}: {e}"))
}

#[test]
fn rota_posts_away_days_and_window_categories() {
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let admin = signed(&st, "003");
    // The rota: Monday 张三丰 only; the kiosk shows him (masked) on Mondays.
    st.admin_set_rota(&admin, 1, "001", true).expect("rota");
    st.admin_set_rota(&admin, 2, "002", true).expect("rota");
    assert_eq!(st.on_duty_masked(), "张**");
    assert_eq!(t.station_at("2026-12-01T09:30:00+08:00").on_duty_masked(), "李*");
    st.admin_set_away(&admin, "001", st.clock.today(), true).expect("away");
    assert_eq!(st.on_duty_masked(), "", "away today: nobody on the rota is there");
    // AB posts.
    st.admin_set_post(&admin, "C", "002", Some("003")).expect("post");
    let c = st.submit_case(&crate::cases::request("C01", &[])).expect("submit").case;
    assert_eq!(c.assignee.as_deref(), Some("002"));
    assert!(matches!(st.admin_set_post(&admin, "Z", "002", None), Err(StaffError::UnknownScope(_))));
    // Window 1 calls only 人社 from now on.
    st.take_ticket(&Target::Matter("C01".into()), false).expect("t");
    st.take_ticket(&Target::Matter("A01".into()), false).expect("t");
    st.admin_set_window_categories(&admin, 1, &["A".to_string()]).expect("window");
    assert_eq!(st.call_next(&admin, 1).expect("call").ticket.number, "A001");
    assert!(matches!(st.admin_set_window_categories(&admin, 1, &["Q".to_string()]), Err(StaffError::NoCategory(_))));
    assert!(matches!(st.admin_set_window_categories(&admin, 9, &[]), Err(StaffError::NoWindow(9))));
}

#[test]
fn staff_disable_command_and_the_desk_of_a_disabled_account() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    let srv = Serve::start(&t, Some(NOW));
    let mut r = http().post(&srv.url("/desk/login")).send_form([("staff", "001"), ("pin", PIN)]).expect("login");
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    let _ = r.body_mut().read_to_string();
    let desk = |c: &str| {
        let mut r = http().get(&srv.url("/desk")).header("Cookie", c).call().expect("desk");
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
    };
    assert!(desk(&cookie).1.contains("请选择您所在的窗口"));
    // Not the station head: refused, and counted like any wrong attempt would not be.
    let o = t.kiosk_stdin(NOW, &["staff", "disable", "001", "--staff", "002"], &format!("{PIN}\n"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = t.kiosk_stdin(NOW, &["staff", "disable", "001", "--staff", "003"], &format!("{PIN}\n"));
    assert!(o.status.success(), "{}", stderr(&o));
    // The old session of the disabled account ends at its next request.
    let (status, page) = desk(&cookie);
    assert_eq!(status, 403);
    assert!(page.contains("账号已停用"), "{page}");
    let (_, page) = desk(&cookie);
    assert!(page.contains("工作人员登录"), "signed out");
    let mut r = http().post(&srv.url("/desk/login")).send_form([("staff", "001"), ("pin", PIN)]).expect("login");
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.body_mut().read_to_string().unwrap_or_default().contains("已停用"));
    assert!(get(&srv.url("/desk")).1.contains("工作人员登录"));
}

/// A ticket for `code` served by 001 at window 1 and rated `level` from the phone.
pub fn served_and_rated(st: &mut kiosk::service::Station, code: &str, level: u8, reason: Option<&str>) {
    use kiosk::domain::calling::CallAction;
    let t = st.take_ticket(&Target::Matter(code.into()), false).expect("ticket").ticket;
    let a = signed(st, "001");
    st.call_next(&a, 1).expect("call");
    st.call_action(&a, 1, &t.number, CallAction::Finish).expect("finish");
    st.rate(&t.token, level, reason, None, kiosk::domain::rating::Channel::Qr).expect("rate");
}

#[test]
fn every_bad_rating_is_assigned_put_right_and_overdue_after_fifteen_working_days() {
    use kiosk::domain::followup::Stage;
    use kiosk::service::FollowupError;
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    served_and_rated(&mut st, "C02", 2, Some("wait"));
    served_and_rated(&mut st, "C01", 5, None);
    served_and_rated(&mut st, "A01", 1, Some("attitude"));
    let (staff, other, admin) = (signed(&st, "001"), signed(&st, "002"), signed(&st, "003"));
    // The head sees both 差评 (not the 满意), due 15 working days after Monday 30 November.
    let list = st.followups(&admin).expect("list");
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|f| f.stage == Stage::New && f.due.to_string() == "2026-12-21" && !f.overdue));
    assert_eq!(list[0].served_by.as_deref(), Some("001"), "谁办理谁负责: the server is suggested");
    assert!(list.iter().any(|f| f.reason == "等候时间太长" && f.subject.starts_with("C001")));
    assert!(st.followups(&staff).expect("mine").is_empty(), "staff see only what is theirs");
    let (a, b) = (list[0].id, list[1].id);
    // Only the head assigns; a page decided on an old version is refused.
    assert!(matches!(st.assign_followup(&staff, a, 0, "001"), Err(FollowupError::Actor(_))));
    assert!(matches!(st.assign_followup(&admin, a, 0, "999"), Err(FollowupError::NoSuchStaff(_))));
    st.assign_followup(&admin, a, 0, "001").expect("assign");
    assert!(matches!(st.assign_followup(&admin, a, 0, "002"), Err(FollowupError::Stale)));
    assert_eq!(st.followups(&staff).expect("mine").len(), 1);
    // Only the assignee (or the head) records the result, in words, once.
    assert!(matches!(st.record_followup(&other, a, 1, "已整改完毕"), Err(FollowupError::NotYours)));
    assert!(matches!(st.record_followup(&staff, a, 1, " "), Err(FollowupError::Result(_))));
    st.record_followup(&staff, a, 1, "已向村民道歉，增开一个窗口").expect("result");
    assert!(matches!(st.record_followup(&admin, a, 2, "再改"), Err(FollowupError::Finished)));
    assert_eq!(st.followup_counts(&admin).expect("counts"), (1, 0));
    // Three weeks on, the other one is overdue; the finished one never is.
    let later = t.station_at("2026-12-22T09:00:00+08:00");
    let list = later.followups(&admin).expect("list");
    let (late, done) = (list.iter().find(|f| f.id == b).expect("b"), list.iter().find(|f| f.id == a).expect("a"));
    assert!(late.overdue && late.stage == Stage::New);
    assert!(!done.overdue && done.stage == Stage::Done && done.result.as_deref() == Some("已向村民道歉，增开一个窗口"));
    assert_eq!(later.followup_counts(&admin).expect("counts"), (1, 1));
    let db = crate::util::db(&t);
    let n: i64 = db
        .query_row(
            "SELECT count(*) FROM audit_events WHERE action IN ('followup-assign', 'followup-result')",
            [],
            |r| r.get(0),
        )
        .expect("audit");
    assert_eq!(n, 2, "one audit event per change, none for the refusals");
}

#[test]
fn station_settings_are_checked_like_config_check_and_taken_up_at_start() {
    use kiosk::service::SettingsError;
    use std::collections::HashMap;
    let t = TempStation::new();
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let (staff, admin) = (signed(&st, "001"), signed(&st, "003"));
    let form =
        |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<HashMap<_, _>>();
    assert!(matches!(st.save_settings(&staff, &form(&[("station.name", "x")]), None), Err(SettingsError::Actor(_))));
    // The same rules as `kiosk config check`, named by the form's words; nothing kept.
    let e = st
        .save_settings(&admin, &form(&[("idle.timeout-secs", "20"), ("hours.weekdays", "8点-12点")]), None)
        .expect_err("refused");
    let text = e.to_string();
    assert!(text.contains("无人操作多少秒后提醒：至少 30 秒"), "{text}");
    assert!(text.contains("周一至周五办公时间：“8点-12点”不是时间段"), "{text}");
    assert!(st.save_settings(&admin, &form(&[("idle.countdown-secs", "半分钟")]), None).is_err());
    assert!(st.save_settings(&admin, &form(&[("station.public-base-url", "192.168.1.10")]), None).is_err());
    assert_eq!(
        crate::util::db(&t).query_row("SELECT count(*) FROM station_settings", [], |r| r.get::<_, i64>(0)).expect("n"),
        0
    );
    // Valid: kept, in the audit trail, and taken up by the next process to start.
    let changes = st
        .save_settings(
            &admin,
            &form(&[
                ("station.name", "南刘庄村党群服务中心"),
                ("idle.timeout-secs", "120"),
                ("hours.weekends", "09:00-12:00"),
            ]),
            Some(0),
        )
        .expect("saved");
    // A form shown before that save is stale now.
    assert!(matches!(st.save_settings(&admin, &form(&[("station.phone", "110")]), Some(0)), Err(SettingsError::Stale)));
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert!(changes[0].contains("服务站名称：新集镇南刘庄村综合服务站 → 南刘庄村党群服务中心"), "{changes:?}");
    let fresh = t.station_at(NOW);
    assert_eq!(fresh.cfg.station.name, "南刘庄村党群服务中心");
    assert_eq!(fresh.cfg.station.idle.idle_after_secs, 120);
    assert_eq!(fresh.cfg.station.weekend_hours, ["09:00-12:00"]);
    let view = st.settings().expect("view");
    let name = view.iter().find(|v| v.field.key == "station.name").expect("name");
    assert!(name.from_desk && name.pending, "this process still runs with the old name");
    assert!(!fresh.settings().expect("view").iter().any(|v| v.pending));
    // Back to station.toml's value: no longer kept (later edits of the file count again).
    fresh_save(&t, &admin, &form(&[("station.name", "新集镇南刘庄村综合服务站")]));
    let kept: Vec<String> = {
        let db = crate::util::db(&t);
        let mut q = db.prepare("SELECT key FROM station_settings ORDER BY key").expect("q");
        q.query_map([], |r| r.get(0)).expect("rows").collect::<Result<_, _>>().expect("keys")
    };
    assert_eq!(kept, ["hours.weekends", "idle.timeout-secs"]);
    let n: i64 = crate::util::db(&t)
        .query_row("SELECT count(*) FROM audit_events WHERE action = 'settings-save'", [], |r| r.get(0))
        .expect("audit");
    assert_eq!(n, 2);
}

fn fresh_save(t: &TempStation, who: &kiosk::service::Signed, form: &std::collections::HashMap<String, String>) {
    t.station_at(NOW).save_settings(who, form, Some(1)).expect("saved");
}

#[test]
fn guesses_in_parallel_cannot_pass_the_limit_and_each_lock_lasts_longer() {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    // Twelve wrong guesses at once from twelve connections (desks, command lines): each is
    // counted before its PIN is looked at, so at most five are checked and four answered
    // "wrong"; the rest find the account locked.
    let results: Vec<LoginError> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let t = &t;
                s.spawn(move || t.station_at(NOW).sign_in("001", &format!("{:06}", 100000 + i)).expect_err("wrong"))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let wrong = results.iter().filter(|e| matches!(e, LoginError::Wrong)).count();
    assert!(wrong <= 4, "{results:?}");
    assert!(results.iter().all(|e| matches!(e, LoginError::Wrong | LoginError::Locked(5))), "{results:?}");
    let lockouts = |t: &TempStation| -> i64 {
        crate::util::db(t).query_row("SELECT lockouts FROM staff WHERE no = '001'", [], |r| r.get(0)).expect("row")
    };
    assert_eq!(lockouts(&t), 1);
    assert!(matches!(t.station_at(NOW).sign_in("001", PIN), Err(LoginError::Locked(5))), "even the right PIN");
    // Each lock after the first lasts twice as long: 5, 10, 20 minutes …
    let guess_five = |at: &str| {
        let st = t.station_at(at);
        (0..5).map(|_| st.sign_in("001", "000000").expect_err("wrong")).last().expect("five")
    };
    assert!(matches!(guess_five("2026-11-30T09:36:00+08:00"), LoginError::Locked(10)));
    assert!(matches!(guess_five("2026-11-30T09:47:00+08:00"), LoginError::Locked(20)));
    assert_eq!(lockouts(&t), 3);
    // … until a good sign-in, after which the next lock is short again.
    assert!(t.station_at("2026-11-30T10:08:00+08:00").sign_in("001", PIN).is_ok());
    assert_eq!(lockouts(&t), 0);
    assert!(matches!(guess_five("2026-11-30T10:09:00+08:00"), LoginError::Locked(5)));
    assert_eq!(kiosk::service::lock_minutes(20), 24 * 60, "never more than a day");
}

#[test]
fn the_roster_commands_go_through_the_service_and_are_in_the_audit_log_as_this_box() {
    let t = crate::util::TempStation::new();
    let now = "2026-11-30T09:30:00+08:00";
    for args in [
        &["staff", "add", "--no", "001", "--name", "张三丰"][..],
        &["staff", "add", "--no", "002", "--name", "李四", "--role", "admin"],
        &["staff", "post", "C", "--a", "001", "--b", "002"],
        &["staff", "away", "001", "--date", "2026-12-01"],
    ] {
        let o = t.kiosk(now, args);
        assert!(o.status.success(), "{args:?}: {}", crate::util::stderr(&o));
    }
    let o = t.kiosk_stdin(now, &["staff", "set-pin", "001"], "246813\n");
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    // A refusal is exit 2 with its sentence; the contracts' words stay.
    let o = t.kiosk(now, &["staff", "add", "--no", "001", "--name", "别人"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(crate::util::stderr(&o).contains("工号 001 已经有人用了"), "{}", crate::util::stderr(&o));
    let o = t.kiosk(now, &["staff", "post", "Z9", "--a", "001"]);
    assert_eq!(o.status.code(), Some(2));
    let log = t.station_at(now).audit_log(&Default::default()).expect("log");
    let mut seen: Vec<(String, String, Option<String>, Option<String>)> =
        log.iter().map(|l| (l.action.clone(), l.subject.clone(), l.staff.clone(), l.origin.clone())).collect();
    seen.sort();
    let here = Some("本机命令行".to_string());
    let want = [
        ("away-set", "001"),
        ("post-set", "C"),
        ("staff-add", "001"),
        ("staff-add", "002"),
        ("staff-pin-reset", "001"),
    ]
    .map(|(a, s)| (a.to_string(), s.to_string(), None, here.clone()));
    assert_eq!(seen, want.to_vec(), "each change once, by the box's command line, refusals not at all");
}

/// Only the command line is given the local-administration right: the station service
/// and the kiosk never make one.
#[test]
fn only_the_command_line_holds_the_local_administration_right() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("src").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read_to_string(&p).is_ok_and(|s| s.contains("LocalAdmin::on_this_box()")) {
                found.push(p.strip_prefix(&root).expect("in src").display().to_string());
            }
        }
    }
    found.sort();
    // The roster commands, and `kiosk screenshot`'s sample station in a temp folder.
    assert_eq!(found, ["cli/staff.rs", "ui/screenshot.rs"], "{found:?}");
}

/// Issue 18: a follow-up records its category, plan, the day it was put right, the
/// call-back and its result, and an appeal for a rating staff think wrong; the deadline is
/// `[rating] followup-days` working days; all of it is in the export.
#[test]
fn a_follow_up_records_what_the_rules_ask_on_the_station_deadline() {
    use kiosk::domain::followup::{Category, Details};
    use kiosk::service::FollowupError;
    let toml = kiosk::config::SHIPPED_STATION.replace("followup-days = 15", "followup-days = 5");
    let t = TempStation::with_station_toml(&toml);
    let mut st = t.station_at(NOW);
    add_staff(&st);
    served_and_rated(&mut st, "C02", 2, Some("wait"));
    served_and_rated(&mut st, "C01", 1, Some("按错了"));
    let admin = signed(&st, "003");
    let list = st.followups(&admin).expect("list");
    assert!(list.iter().all(|f| f.due.to_string() == "2026-12-07"), "5 working days after Monday 30 November");
    let (a, b) = (list[0].id, list[1].id);
    let d = |category, appeal: Option<&str>, callback: Option<(&str, &str)>| Details {
        category,
        plan: Some("高峰时开第二个窗口".into()),
        fixed_on: Some("2026-11-30".parse().expect("day")),
        callback_on: callback.map(|c| c.0.parse().expect("day")),
        callback_result: callback.map(|c| c.1.to_string()),
        appeal: appeal.map(str::to_string),
        result: "已向村民说明并道歉".into(),
    };
    let e = st.record_followup_details(&admin, a, 0, d(Some(Category::Reasonable), Some("不实"), None)).unwrap_err();
    assert!(matches!(e, FollowupError::Details(_)), "an appeal is for 误评 only: {e}");
    let e = st
        .record_followup_details(&admin, a, 0, d(Some(Category::Reasonable), None, Some(("2026-12-30", "满意"))))
        .unwrap_err();
    assert!(e.to_string().contains("不能晚于今天"), "{e}");
    st.record_followup_details(&admin, a, 0, d(Some(Category::Reasonable), None, Some(("2026-11-30", "村民表示满意"))))
        .expect("recorded");
    st.record_followup_details(&admin, b, 0, d(Some(Category::Mistaken), Some("村民说按错了键"), None))
        .expect("appeal");
    let list = st.followups(&admin).expect("list");
    let fa = list.iter().find(|f| f.id == a).expect("a");
    assert_eq!((fa.category, fa.callback_result.as_deref()), (Some(Category::Reasonable), Some("村民表示满意")));
    let db = crate::util::db(&t);
    let appeals: i64 = db
        .query_row("SELECT count(*) FROM audit_events WHERE action = 'followup-appeal'", [], |r| r.get(0))
        .expect("q");
    assert_eq!(appeals, 1);
    let rows = st.ratings_export("2026-11-30".parse().expect("d"), "2026-11-30".parse().expect("d")).expect("export");
    let fb = rows.iter().find(|r| r.id == b).and_then(|r| r.followup.clone()).expect("followup exported");
    assert_eq!((fb.category.as_deref(), fb.appeal.as_deref()), (Some("mistaken"), Some("村民说按错了键")));
}
