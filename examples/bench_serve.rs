//! Helpers for `scripts/bench-serve.sh` (not part of the product):
//!
//! - `seed CONFIG_DIR DATA_DIR`: fills a store with 10,000 tickets (the last 40 days, about
//!   250 today, most of them served) and 1,000 代办 cases, then prints a waiting ticket's
//!   token from today; the staff member 001 gets the PIN 246813.
//! - `sse BASE_URL STREAMS CALLS`: connects STREAMS `/display/live` streams, signs in at the
//!   desk, presses 叫下一位 CALLS times, and prints the time from each press to each
//!   stream's receiving the new call (p50, p99, max).
//!
//! Seeding writes through the store's own functions (receipts and printing are not what
//! is measured here, and rendering 10,000 PDFs would take minutes).

use chrono::{Duration as Days, Utc};
use kiosk::config;
use kiosk::domain::case::CaseMaterial;
use kiosk::domain::ticket::ServiceTimes;
use kiosk::storage::{self, cases, tickets};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn die(msg: String) -> ! {
    eprintln!("bench_serve: {msg}");
    std::process::exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("seed") if args.len() == 4 => seed(&args[2], &args[3]),
        Some("sse") if args.len() == 5 => sse(
            &args[2],
            args[3].parse().unwrap_or_else(|_| die("STREAMS".into())),
            args[4].parse().unwrap_or_else(|_| die("CALLS".into())),
        ),
        _ => die("usage: bench_serve seed CONFIG_DIR DATA_DIR | sse BASE_URL STREAMS CALLS".into()),
    }
}

fn token(i: usize) -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).unwrap_or_else(|e| die(e.to_string()));
    let _ = i;
    kiosk::domain::ticket::base32(&b)
}

fn seed(config_dir: &str, data_dir: &str) {
    let cfg = config::load(Some(std::path::Path::new(config_dir))).unwrap_or_else(|e| die(e.to_string()));
    let paths = kiosk::paths::Paths { config_dir: Some(config_dir.into()), data_dir: data_dir.into() };
    let clock = kiosk::domain::clock::Clock::system(cfg.station.tz);
    // Opening the station creates the store and loads the matters.
    {
        let st =
            kiosk::service::Station::open(cfg.clone(), paths.clone(), clock).unwrap_or_else(|e| die(e.to_string()));
        st.add_staff("001", "张三丰", "staff").unwrap_or_else(|e| die(e.to_string()));
        st.set_staff_pin("001", "246813").unwrap_or_else(|e| die(e.to_string()));
    }
    let mut conn = storage::open(&paths.db()).unwrap_or_else(|e| die(e.to_string()));
    let times = ServiceTimes { default_minutes: 8, per_category: Default::default(), windows: 2 };
    let windows = cfg.station.window_rules();
    let today = clock.today();
    let matters: Vec<_> = cfg.catalog.matters.iter().collect();
    let mut waiting_token = None;
    let total = 10_000;
    let today_count = 250;
    for i in 0..total {
        let days_back = if i >= total - today_count { 0 } else { 40 - (i * 40 / (total - today_count)) as i64 };
        let day = today - Days::days(days_back);
        let m = matters[i % matters.len()];
        let tok = token(i);
        let new = tickets::NewTicket {
            day,
            prefix: cfg.station.prefix_for(&m.category),
            category: m.category.clone(),
            matter_code: Some(m.code.clone()),
            matter_name: m.name.clone(),
            priority: i % 11 == 0,
            issued_at: Utc::now() - Days::days(days_back),
            token: tok.clone(),
            catalog_version: 1,
        };
        let t = tickets::issue(&mut conn, &new, &times, &windows).unwrap_or_else(|e| die(e.to_string()));
        if days_back > 0 {
            // Served long ago: a call, a start and a finish, as the desk would leave them.
            let at = new.issued_at;
            conn.execute(
                "UPDATE tickets SET status = 'served', window_no = 1, staff_no = '001', called_at = ?2, started_at = ?2,
                        finished_at = ?3 WHERE id = ?1",
                rusqlite::params![t.id, at.to_rfc3339(), (at + Days::minutes(9)).to_rfc3339()],
            )
            .unwrap_or_else(|e| die(e.to_string()));
        } else if waiting_token.is_none() && i >= total - 100 {
            waiting_token = Some(tok);
        }
    }
    for i in 0..1000 {
        let m = cfg.catalog.matters.iter().filter(|m| m.mode.allows_case()).nth(i % 20).unwrap_or(matters[0]);
        let created = today - Days::days((i % 60) as i64);
        let new = cases::NewCase {
            token: token(i),
            matter_code: m.code.clone(),
            matter_name: m.name.clone(),
            category: m.category.clone(),
            id_number: "130110194503150138".into(),
            phone: "13812345678".into(),
            phone2: None,
            name: Some("王".into()),
            promised_days: m.promised_days.unwrap_or(5),
            clock_start: created,
            due_on: created + Days::days(7),
            due_beyond_calendar: false,
            assignee: Some("001".into()),
            uncovered: false,
            materials: m
                .materials
                .iter()
                .map(|x| CaseMaterial { name: x.name.clone(), requirement: x.requirement(), received: true })
                .collect(),
            created_local: created,
            catalog_version: 1,
        };
        cases::create(&mut conn, &new, Utc::now()).unwrap_or_else(|e| die(e.to_string()));
    }
    match waiting_token {
        Some(t) => println!("{t}"),
        None => die("no waiting ticket seeded".into()),
    }
}

/// A minimal HTTP request on a fresh connection: (status, headers, body).
fn request(host: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(host).unwrap_or_else(|e| die(format!("connect {host}: {e}")));
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap_or_else(|e| die(e.to_string()));
    let mut all = Vec::new();
    let _ = std::io::Read::read_to_end(&mut s, &mut all);
    let text = String::from_utf8_lossy(&all).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn sse(base: &str, streams: usize, calls: usize) {
    let host = base.trim_start_matches("http://").trim_end_matches('/').to_string();
    // The streams: each thread reports the moment it sees each new call id.
    let (tx, rx) = mpsc::channel::<(usize, i64, Instant)>();
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    for n in 0..streams {
        let (tx, ready_tx, host) = (tx.clone(), ready_tx.clone(), host.clone());
        std::thread::spawn(move || {
            let mut s = TcpStream::connect(&host).unwrap_or_else(|e| die(e.to_string()));
            let _ = write!(s, "GET /display/live HTTP/1.0\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n");
            let mut r = BufReader::new(s);
            let mut line = String::new();
            let mut seen: Option<i64> = None;
            loop {
                line.clear();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let Some(data) = line.strip_prefix("data:") else { continue };
                let now = Instant::now();
                // The newest call's id: the first "id" in the calls list.
                let newest = data
                    .split("\"calls\":[")
                    .nth(1)
                    .and_then(|c| c.split("\"id\":").nth(1))
                    .and_then(|x| x.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|x| x.parse::<i64>().ok())
                    .unwrap_or(0);
                match seen {
                    None => {
                        seen = Some(newest);
                        let _ = ready_tx.send(());
                    }
                    Some(prev) if newest > prev => {
                        seen = Some(newest);
                        let _ = tx.send((n, newest, now));
                    }
                    _ => {}
                }
            }
        });
    }
    for _ in 0..streams {
        ready_rx.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| die("streams did not connect".into()));
    }
    // The desk: sign in, window 1.
    let (status, head, _) = request(
        &host,
        "POST",
        "/desk/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "staff=001&pin=246813",
    );
    if status != 303 {
        die(format!("sign-in failed: {status}"));
    }
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| die("no session cookie".into()))
        .to_string();
    let (_, _, page) = request(&host, "GET", "/desk", &[("Cookie", &cookie)], "");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|x| x.split('"').next())
        .unwrap_or_else(|| die("no csrf".into()))
        .to_string();
    let form = format!("csrf={csrf}&window=1");
    request(
        &host,
        "POST",
        "/desk/window",
        &[("Cookie", &cookie), ("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    let mut lags = Vec::new();
    for _ in 0..calls {
        let form = format!("csrf={csrf}&action=next");
        let pressed = Instant::now();
        let (status, _, _) = request(
            &host,
            "POST",
            "/desk/act",
            &[("Cookie", &cookie), ("Content-Type", "application/x-www-form-urlencoded")],
            &form,
        );
        if status != 303 {
            die(format!("叫下一位 answered {status}"));
        }
        let mut got = 0;
        while got < streams {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok((_, _, at)) => {
                    lags.push(at.saturating_duration_since(pressed));
                    got += 1;
                }
                Err(_) => die(format!("only {got} of {streams} streams saw the call")),
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    lags.sort();
    let p = |q: f64| lags[((lags.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "call to {streams} display streams, {} deliveries: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lags.len(),
        p(0.5),
        p(0.99),
        p(1.0)
    );
}
