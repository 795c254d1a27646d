//! What a hostile device on the station LAN could do to a running `kiosk serve` (issue
//! 13, §5), each tried from its own loopback address (127.0.0.2) while a villager's phone
//! and the desk (127.0.0.3, 127.0.0.1) go on being served.

use crate::cases::{add_staff, PIN};
use crate::util::{connect_from, request_from, stdout, Serve, TempStation};
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-30T09:30:00+08:00";
const HOSTILE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const VILLAGER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

fn setup() -> (TempStation, String) {
    let t = TempStation::new();
    add_staff(&t.station_at(NOW));
    let o = t.kiosk(NOW, &["ticket", "take", "--matter", "C02", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    let token = v["token"].as_str().expect("token").to_string();
    (t, token)
}

fn addr(srv: &Serve) -> std::net::SocketAddr {
    srv.base.trim_start_matches("http://").parse().expect("addr")
}

/// The villager's phone page answers from another address (within the client's own
/// read timeout: how fast is measured by scripts/bench-serve.sh, not here).
fn villager_is_served(srv: &Serve, token: &str, what: &str) {
    let (status, _, body) = request_from(VILLAGER, &srv.base, "GET", &format!("/t/{token}"), &[], b"");
    assert_eq!(status, 200, "{what}: the phone page: {body}");
    let (status, _, _) = request_from(Ipv4Addr::LOCALHOST, &srv.base, "GET", "/desk", &[], b"");
    assert_eq!(status, 200, "{what}: the desk");
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn idle_and_half_sent_connections_cannot_take_the_pages_down() {
    let (t, token) = setup();
    let srv = Serve::start(&t, Some(NOW));
    let to = addr(&srv);
    // A thousand connections that say nothing, and three hundred that send half a request.
    let mut idle = Vec::new();
    for _ in 0..1000 {
        if let Ok(s) = connect_from(HOSTILE, to) {
            idle.push(s);
        }
    }
    let mut half = Vec::new();
    for _ in 0..300 {
        if let Ok(mut s) = connect_from(HOSTILE, to) {
            let _ = s.write_all(b"GET /display HTTP/1.1\r\nHost: x\r\nX-Slow: ");
            half.push(s);
        }
    }
    villager_is_served(&srv, &token, "while one device holds 1,300 connections");
    // The service holds at most its share for that device, and closes the rest at once.
    let open_on_server = |conns: &mut Vec<std::net::TcpStream>| {
        let mut open = 0;
        for s in conns.iter_mut() {
            s.set_read_timeout(Some(Duration::from_millis(5))).expect("timeout");
            let mut b = [0u8; 256];
            // Closed (0), or the 503 of a refused connection: not held. A read that times
            // out: the service still holds it.
            if let Err(e) = s.read(&mut b) {
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) {
                    open += 1;
                }
            }
        }
        open
    };
    let held = open_on_server(&mut idle) + open_on_server(&mut half);
    assert!(held <= 64, "one address holds {held} connections (at most 64)");
    // The header deadline (10 s) closes every one of them (30 s only bounds a failure).
    let started = Instant::now();
    while open_on_server(&mut idle) + open_on_server(&mut half) > 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "idle and half-sent connections are closed");
        std::thread::sleep(Duration::from_millis(500));
    }
    villager_is_served(&srv, &token, "afterwards");
}

#[test]
fn live_streams_are_shared_out_and_pages_still_answer() {
    let (t, token) = setup();
    let srv = Serve::start(&t, Some(NOW));
    let to = addr(&srv);
    let open = |from: Ipv4Addr, path: &str| -> Option<std::net::TcpStream> {
        let mut s = connect_from(from, to).ok()?;
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {to}\r\nAccept: text/event-stream\r\n\r\n").as_bytes())
            .ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut b = [0u8; 64];
        let n = s.read(&mut b).ok()?;
        String::from_utf8_lossy(&b[..n]).starts_with("HTTP/1.1 200").then_some(s)
    };
    let streams: Vec<_> = (0..100).filter_map(|_| open(HOSTILE, "/display/live")).collect();
    assert_eq!(streams.len(), 32, "one address gets 32 live streams, no more");
    // The villager's phone still follows its ticket, and the pages answer.
    assert!(open(VILLAGER, &format!("/t/{token}/live")).is_some(), "the phone's stream");
    villager_is_served(&srv, &token, "with 32 streams held by one device");
    drop(streams);
    let started = Instant::now();
    while open(HOSTILE, "/display/live").is_none() {
        assert!(started.elapsed() < Duration::from_secs(20), "streams given back are free again");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn when_every_open_place_is_taken_the_phone_and_the_desk_still_answer() {
    let (t, token) = setup();
    // Small totals (docs/operations.md): 40 streams, 35 of them open to anyone; 64
    // connections, 56 open to anyone. The rest are kept for addresses that hold little.
    let env = [("KIOSK_SERVE_STREAMS", "40"), ("KIOSK_SERVE_CONNECTIONS", "64")];
    let srv = Serve::start_env(&t, Some(NOW), &["--listen", "127.0.0.1:0"], 1, &env).0;
    let cookie = crate::server::sign_in_as(&srv, "001", PIN).expect("signed in before the flood");
    let csrf = crate::server::csrf_of(&crate::server::desk_get(&srv, &cookie).1);
    let form = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    let chosen = request_from(
        Ipv4Addr::LOCALHOST,
        &srv.base,
        "POST",
        "/desk/window",
        &form,
        format!("csrf={csrf}&window=1").as_bytes(),
    );
    assert_eq!(chosen.0, 303, "window 1 chosen");
    let to = addr(&srv);
    let open = |from: Ipv4Addr, path: &str, cookie: &str| -> Result<std::net::TcpStream, String> {
        let mut s = connect_from(from, to).map_err(|e| e.to_string())?;
        let head =
            format!("GET {path} HTTP/1.1\r\nHost: {to}\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\n\r\n");
        s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
        let mut b = [0u8; 512];
        let n = s.read(&mut b).map_err(|e| e.to_string())?;
        let said = String::from_utf8_lossy(&b[..n]).into_owned();
        if said.starts_with("HTTP/1.1 200") {
            Ok(s)
        } else {
            Err(said)
        }
    };
    // Ten devices open all the display streams they can; then one holds idle connections.
    let mut streams = Vec::new();
    for last in 10..20 {
        streams.extend((0..40).filter_map(|_| open(Ipv4Addr::new(127, 0, 0, last), "/display/live", "").ok()));
    }
    assert_eq!(streams.len(), 35, "the display's streams get the open places, no more");
    let refused = open(Ipv4Addr::new(127, 0, 0, 20), "/display/live", "").map(|_| ()).expect_err("no room");
    assert!(refused.contains(" 503 "), "{refused}");
    let idle: Vec<_> = (0..64).filter_map(|_| connect_from(HOSTILE, to).ok()).collect();
    std::thread::sleep(Duration::from_millis(300));
    // The villager's phone follows its ticket, and the desk its window, from the places
    // kept back; the pages answer.
    let phone = open(VILLAGER, &format!("/t/{token}/live"), "");
    assert!(phone.is_ok(), "the phone's stream: {phone:?}");
    let desk = open(Ipv4Addr::LOCALHOST, "/desk/live?window=1", &cookie);
    assert!(desk.is_ok(), "the desk's stream: {desk:?}");
    villager_is_served(&srv, &token, "with every open place taken");
    let (status, _, page) =
        request_from(Ipv4Addr::LOCALHOST, &srv.base, "GET", "/desk", &[("Cookie", cookie.as_str())], b"");
    assert!(status == 200 && page.contains("本窗口现在没有在办的号"), "the signed-in desk: {status}");
    drop((idle, streams));
}

#[test]
fn a_flood_of_failed_sign_ins_is_one_counted_row_and_then_waits() {
    let (t, token) = setup();
    let srv = Serve::start(&t, Some(NOW));
    let big = "9".repeat(15 * 1024);
    let db_before = std::fs::metadata(t.data_dir().join("kiosk.db")).map(|m| m.len()).unwrap_or(0);
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let body = format!("staff={big}&pin=000000");
        let (s, _, _) = request_from(
            HOSTILE,
            &srv.base,
            "POST",
            "/desk/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        );
        statuses.push(s);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 3, "three tries, then {statuses:?}");
    assert!(statuses.iter().skip(3).all(|s| *s == 429), "then the address waits: {statuses:?}");
    // Long paths are logged cut short.
    for _ in 0..20 {
        let (s, _, _) = request_from(HOSTILE, &srv.base, "GET", &format!("/{}", "a".repeat(30_000)), &[], b"");
        assert!(s == 404 || s == 431 || s == 414, "{s}");
    }
    villager_is_served(&srv, &token, "after the flood");
    assert!(srv.stop().success());
    let db = crate::util::db(&t);
    let (rows, count, staff): (i64, i64, String) = db
        .query_row(
            "SELECT count(*), sum(count), max(last_staff) FROM failed_sign_ins WHERE origin = '127.0.0.2'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("counted");
    assert_eq!((rows, count, staff.len()), (1, 3, 16), "one row that counts, the number typed capped");
    let audit: i64 = db
        .query_row("SELECT count(*) FROM audit_events WHERE coalesce(origin, '') != '本机命令行'", [], |r| {
            r.get(0)
        })
        .expect("audit");
    assert_eq!(audit, 0, "nothing written per attempt into the append-only log");
    drop(db);
    let grew = std::fs::metadata(t.data_dir().join("kiosk.db")).map(|m| m.len()).unwrap_or(0).saturating_sub(db_before);
    assert!(grew < 64 * 1024, "the store grew by {grew} bytes");
    let log = crate::util::serve_log(&t);
    assert!(log.len() < 32 * 1024, "the log holds {} bytes after 60 hostile requests", log.len());
    assert!(!log.contains(&"a".repeat(200)), "long paths are cut in the log");
}

#[test]
fn the_station_head_is_not_locked_out_through_another_host() {
    let (t, _) = setup();
    let srv = Serve::start(&t, Some(NOW));
    // A page on a villager's phone reaching the desk by DNS rebinding sends its own Host.
    for _ in 0..10 {
        let (s, _, _) = request_from(
            HOSTILE,
            &srv.base,
            "POST",
            "/desk/login",
            &[("Content-Type", "application/x-www-form-urlencoded"), ("Host", "evil.example")],
            b"staff=003&pin=000000",
        );
        assert_eq!(s, 421);
    }
    let (s, _, _) = request_from(HOSTILE, &srv.base, "GET", "/desk", &[("Host", "evil.example:8080")], b"");
    assert_eq!(s, 421, "no page answers another host");
    // None of those counted against the station head.
    assert!(crate::server::sign_in_as(&srv, "003", PIN).is_some(), "the station head signs in");
}

#[test]
fn one_device_cannot_lock_the_station_head_out() {
    let (t, _) = setup();
    let srv = Serve::start(&t, Some(NOW));
    let login = |from: Ipv4Addr, pin: &str| {
        request_from(
            from,
            &srv.base,
            "POST",
            "/desk/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            format!("staff=003&pin={pin}").as_bytes(),
        )
    };
    // Forty wrong PINs for the station head's number, sent all at once from one device.
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> =
            (0..40).map(|i| s.spawn(move || login(HOSTILE, &format!("{:06}", 100000 + i)).0)).collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 3, "three are checked: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 37, "the rest wait: {statuses:?}");
    // The account is not locked: the station head signs in from the desk PC, even after a
    // slip of their own.
    let (s, _, page) = login(Ipv4Addr::LOCALHOST, "000000");
    assert!(s == 401 && page.contains("工号或密码不对"), "{page}");
    let (s, head, page) = login(Ipv4Addr::LOCALHOST, PIN);
    assert!(s == 303 && head.to_ascii_lowercase().contains("set-cookie: kiosk_desk="), "{s} {page}");
    assert!(srv.stop().success());
    let (failed, locked): (i64, Option<String>) = crate::util::db(&t)
        .query_row("SELECT failed_attempts, locked_until FROM staff WHERE no = '003'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("row");
    assert_eq!((failed, locked), (0, None), "the good sign-in cleared the count");
}

#[test]
fn an_upload_without_a_sign_in_is_refused_before_its_body_is_read() {
    let (t, _) = setup();
    let srv = Serve::start(&t, Some(NOW));
    let pid = srv.pid();
    let before = rss_kb(pid);
    let body = vec![b'x'; 1024 * 1024];
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let (base, body) = (srv.base.clone(), body.clone());
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let (s, _, _) = request_from(
                        HOSTILE,
                        &base,
                        "POST",
                        "/desk/admin/matters/check",
                        &[("Content-Type", "application/x-www-form-urlencoded")],
                        &body,
                    );
                    assert!(s == 401 || s == 0, "{s}");
                }
            })
        })
        .collect();
    for th in threads {
        th.join().expect("uploader");
    }
    let after = rss_kb(pid);
    assert!(after < before + 20 * 1024, "300 unsigned 1 MB uploads took the service from {before} kB to {after} kB");
}

#[test]
fn a_pad_must_be_paired_before_its_taps_count() {
    let (t, token) = setup();
    let srv = Serve::start(&t, Some(NOW));
    let call = |args: &[&str]| {
        let mut a = vec!["call"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--window", "1", "--staff", "001", "--json"]);
        assert!(t.kiosk_stdin(NOW, &a, &format!("{PIN}\n")).status.success(), "{args:?}");
    };
    call(&["next"]);
    call(&["finish", "--number", "C001"]);
    // Any device could post a 非常不满意 against window 1: not any more.
    let offer: i64 = crate::util::db(&t)
        .query_row("SELECT max(id) FROM ticket_events WHERE kind = 'finished'", [], |r| r.get(0))
        .expect("offer");
    let forged = format!("offer={offer}&level=1&reason=attitude");
    let (s, _, _) = request_from(
        HOSTILE,
        &srv.base,
        "POST",
        "/pad/1/rate",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        forged.as_bytes(),
    );
    assert_eq!(s, 403, "an unpaired device's tap is refused");
    let (s, _, body) = request_from(HOSTILE, &srv.base, "GET", "/pad/1", &[], b"");
    assert!(s == 403 && body.contains("这台设备还不是评价器"), "{body}");
    let (s, _, body) = request_from(HOSTILE, &srv.base, "GET", "/pad/9", &[], b"");
    assert!(s == 404 && body.contains("没有这个窗口"), "{body}");
    // The station head pairs the real pad; its tap counts, with the staff and window.
    let head = crate::server::sign_in_as(&srv, "003", PIN).expect("head");
    let (_, page) = {
        let mut r = crate::util::http().get(&srv.url("/desk/admin/pads")).header("Cookie", &head).call().expect("pads");
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
    };
    let csrf = crate::server::csrf_of(&page);
    let r = crate::util::http()
        .post(&srv.url("/desk/admin/pads/pair"))
        .header("Cookie", &head)
        .send_form([("csrf", csrf.as_str()), ("window", "1")])
        .expect("pair");
    assert_eq!(r.status().as_u16(), 303);
    let device = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("kiosk_pad="))
        .and_then(|c| c.split(';').next())
        .expect("the pad's cookie")
        .to_string();
    let (s, _, _) = request_from(
        Ipv4Addr::LOCALHOST,
        &srv.base,
        "POST",
        "/pad/1/rate",
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", &device)],
        format!("offer={offer}&level=5").as_bytes(),
    );
    assert_eq!(s, 303, "the paired pad's tap counts");
    // The same cookie is not window 2's pad.
    let (s, _, _) = request_from(Ipv4Addr::LOCALHOST, &srv.base, "GET", "/pad/2", &[("Cookie", &device)], b"");
    assert_eq!(s, 403);
    let (level, staff, window): (u8, String, u32) = crate::util::db(&t)
        .query_row("SELECT level, staff_no, window_no FROM ratings", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rating");
    assert_eq!((level, staff.as_str(), window), (5, "001", 1));
    // The phone path stays bound to the receipt's token.
    let (s, _, _) = request_from(
        VILLAGER,
        &srv.base,
        "POST",
        &format!("/t/{token}/rate"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"level=4",
    );
    assert_eq!(s, 303);
}

#[test]
fn a_disabled_account_s_desk_stops_and_a_new_sign_in_ends_the_older_one() {
    let (t, _) = setup();
    let srv = Serve::start(&t, Some(NOW));
    let first = crate::server::sign_in_as(&srv, "001", PIN).expect("first PC");
    let second = crate::server::sign_in_as(&srv, "001", PIN).expect("second PC");
    let desk = |c: &str| crate::server::desk_get(&srv, c).1;
    assert!(desk(&first).contains("工作人员登录"), "the older session ended");
    assert!(desk(&second).contains("请选择您所在的窗口"));
    let csrf = crate::server::csrf_of(&desk(&second));
    let r = crate::util::http()
        .post(&srv.url("/desk/window"))
        .header("Cookie", &second)
        .send_form([("csrf", csrf.as_str()), ("window", "1")])
        .expect("window");
    assert_eq!(r.status().as_u16(), 303);
    // The live panel, then the station head disables the account: the panel stops at once
    // (it used to go on for up to 15 minutes).
    // Within its 10 s look: the stream is given 20 s, not 15 minutes.
    let watcher =
        crate::util::follow(&srv.url("/desk/live?window=1"), Some(&second), Duration::from_secs(20), |event, _| {
            event == "signed-out"
        });
    watcher.connected();
    assert!(t.kiosk_stdin(NOW, &["staff", "disable", "001", "--staff", "003"], &format!("{PIN}\n")).status.success());
    assert!(watcher.join().is_some(), "the disabled account's panel was told to sign out");
}
