//! Property tests: no parser panics on any input (ID number, phone, tracking code, the
//! three configuration files, posted HTTP forms, also against a running station service),
//! and the working-day arithmetic is consistent.

use crate::server::{csrf_of, desk_get, sign_in_as};
use crate::util::{http, Serve, TempStation};
use chrono::NaiveDate;
use kiosk::config;
use kiosk::domain::case::{normalize_tracking, tracking_code};
use kiosk::domain::identity::{check_char, parse_id, parse_phone};
use proptest::prelude::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default()
}

/// The shipped text with a random cut, insertion or swap: what a careless edit leaves.
fn mangled(src: &'static str) -> impl Strategy<Value = String> {
    (0..src.len(), 0..src.len(), ".{0,40}", 0u8..3).prop_map(move |(a, b, ins, how)| {
        let (a, b) = (a.min(b), a.max(b));
        let mut s = String::new();
        let fix = |i: usize| (0..=i).rev().find(|&j| src.is_char_boundary(j)).unwrap_or(0);
        let (a, b) = (fix(a), fix(b));
        match how {
            0 => {
                s.push_str(&src[..a]);
                s.push_str(&src[b..]);
            }
            1 => {
                s.push_str(&src[..a]);
                s.push_str(&ins);
                s.push_str(&src[a..]);
            }
            _ => {
                s.push_str(&src[..a]);
                s.push_str(&ins);
                s.push_str(&src[b..]);
            }
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn id_numbers_never_panic(s in ".{0,30}", digits in "[0-9Xx \\-]{0,22}") {
        let _ = parse_id(&s, today());
        let _ = parse_id(&digits, today());
    }

    #[test]
    fn valid_id_numbers_are_accepted(region in 110101u32..659004, y in 1920i32..2020, doy in 0u32..365, seq in 0u32..1000) {
        let birth = NaiveDate::from_yo_opt(y, doy % 365 + 1).unwrap_or_default();
        let body = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
        let id = format!("{body}{}", check_char(&body).unwrap_or('0'));
        let parsed = parse_id(&id, today());
        prop_assert!(parsed.is_ok(), "{} refused: {:?}", id, parsed.err());
        let wrong = format!("{body}{}", if id.ends_with('0') { '1' } else { '0' });
        prop_assert!(parse_id(&wrong, today()).is_err(), "{} has a wrong check digit", wrong);
    }

    #[test]
    fn phones_never_panic(s in ".{0,30}", digits in "[0-9 \\-+]{0,20}") {
        let _ = parse_phone(&s);
        let _ = parse_phone(&digits);
    }

    #[test]
    fn mobile_numbers_are_accepted(n in "1[3-9][0-9]{9}") {
        prop_assert_eq!(parse_phone(&n).ok(), Some(n.clone()));
    }

    #[test]
    fn tracking_codes_round_trip(y in 2026i32..2126, m in 1u32..13, d in 1u32..29, seq in 1u32..1000, junk in ".{0,20}") {
        let code = tracking_code(y, m, d, seq);
        prop_assert_eq!(normalize_tracking(&code), Some(code.clone()));
        prop_assert_eq!(normalize_tracking(&code.to_lowercase().replace('-', " ")), Some(code));
        let _ = normalize_tracking(&junk);
    }

    #[test]
    fn working_days_count_back(start in 0i64..700, n in 0u32..80) {
        let cal = config::parse_holidays("holidays.toml", config::SHIPPED_HOLIDAYS).expect("shipped calendar");
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + chrono::Duration::days(start % 365);
        let due = cal.add_working_days(from, n).date;
        prop_assert_eq!(cal.working_days_between(from, due), n);
        if n > 0 {
            prop_assert!(cal.is_working_day(due), "{} is not a working day", due);
        }
    }

    #[test]
    fn forms_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300), text in ".{0,200}") {
        let _ = kiosk::server::form(&axum::body::Bytes::from(body));
        let _ = kiosk::server::form(&axum::body::Bytes::from(text.into_bytes()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn config_files_never_panic(
        station in mangled(config::SHIPPED_STATION),
        matters in mangled(config::SHIPPED_MATTERS),
        holidays in mangled(config::SHIPPED_HOLIDAYS),
        junk in ".{0,300}",
    ) {
        let _ = config::parse_station("station.toml", &station);
        let _ = config::parse_matters("matters.toml", &matters);
        let _ = config::parse_holidays("holidays.toml", &holidays);
        let _ = config::parse_station("station.toml", &junk);
        let _ = config::parse_matters("matters.toml", &junk);
        let _ = config::parse_holidays("holidays.toml", &junk);
    }
}

/// Random fields posted to every form of a running station service, signed in as the
/// station head with a valid CSRF token so the bodies reach the handlers: never a 500,
/// and the service still answers afterwards.
#[test]
fn posted_forms_never_make_a_500() {
    let t = TempStation::new();
    crate::cases::add_staff(&t.station_at("2026-11-30T09:00:00+08:00"));
    let srv = Serve::start(&t, Some("2026-11-30T09:00:00+08:00"));
    let cookie = sign_in_as(&srv, "003", crate::cases::PIN).expect("signed in");
    let (_, page) = desk_get(&srv, &cookie);
    let csrf = csrf_of(&page);
    let routes = [
        "/desk/window",
        "/desk/act",
        "/desk/followups/act",
        "/desk/admin/staff/act",
        "/desk/admin/duty/act",
        "/desk/admin/settings/save",
        "/desk/admin/matters/rollback",
        "/desk/cases/D-261130-001/act",
        "/desk/cases/D-261130-001/materials",
        "/desk/cases/D-261130-001/extend",
        "/desk/cases/D-261130-001/reassign",
        "/desk/cases/D-261130-001/reveal",
        "/t/0000000000000000000000/rate",
        "/pad/1/rate",
        "/desk/login",
    ];
    let keys = [
        "action", "window", "job", "id", "level", "reason", "staff", "pin", "no", "name", "role", "days", "note", "to",
        "version", "category", "ticket", "state", "material", "date", "field", "value", "token", "a", "b",
    ];
    let field = (0..keys.len(), ".{0,30}");
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 24, ..ProptestConfig::default() });
    for route in routes {
        runner
            .run(&proptest::collection::vec(field.clone(), 0..6), |fields| {
                let mut body: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
                body.extend(fields.into_iter().map(|(k, v)| (keys[k].to_string(), v)));
                let r = http()
                    .post(&srv.url(route))
                    .header("Cookie", &cookie)
                    .send_form(body.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .map_err(|e| TestCaseError::fail(format!("{route}: {e}")))?;
                prop_assert!(r.status().as_u16() < 500, "{} answered {} to {:?}", route, r.status(), body);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let (status, _) = crate::util::get(&srv.url("/display"));
    assert_eq!(status, 200, "the service still answers");
}
