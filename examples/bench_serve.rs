//! Helpers for `scripts/bench-serve.sh` (not part of the product):
//!
//! - `seed CONFIG_DIR DATA_DIR`: fills a store with 10,000 tickets (the last 40 days, about
//!   250 today, most of them served) and 1,000 代办 cases, then prints a waiting ticket's
//!   token from today; the staff member 001 gets the PIN 246813.
//! - `seed-year CONFIG_DIR DATA_DIR`: a year of a busy station — 100,000 tickets (≈ 274 a
//!   day, each with its call, start and finish or no-show events), 5,000 代办 cases with
//!   their events (≈ 250 still open, some overdue) and 20,000 ratings; staff 001, 002 and
//!   the station head 003, all with the PIN 246813.
//! - `year BASE_URL`: signs in as 003 and times the last full month's report page and PDF
//!   and the desk's queue pages (server time from the `Server-Timing` header, and the
//!   client's wall time on loopback).
//! - `sse BASE_URL STREAMS CALLS`: connects STREAMS `/display/live` streams, signs in at the
//!   desk, presses 叫下一位 CALLS times, and prints the time from each press to each
//!   stream's receiving the new call (p50, p99, max).
//! - `phones BASE_URL TOKEN N PID`: N phones follow ticket TOKEN's live page (`/t/…/live`),
//!   twenty behind each address (as phones behind Wi-Fi routers), and the serve process PID's
//!   memory (VmRSS) is read idle, with all of them connected, and 1, 3, 5 and 10 s after
//!   they left. Every stream must answer 200 and send its first event before any figure
//!   is printed.
//!
//! Connections come from many loopback addresses (127.0.0.10 …), as devices on a LAN do:
//! the service caps what one address may hold.
//!
//! Seeding writes through the store's own functions (receipts and printing are not what
//! is measured here, and rendering 10,000 PDFs would take minutes).

use chrono::{Duration as Days, Utc};
use kiosk::config;
use kiosk::domain::case::CaseMaterial;
use kiosk::domain::ticket::ServiceTimes;
use kiosk::service::LocalAdmin;
use kiosk::storage::{self, cases, tickets};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn die(msg: String) -> ! {
    eprintln!("bench_serve: {msg}");
    std::process::exit(1)
}

/// A connection to `host` from the loopback address 127.0.0.(10 + n / per), so that no
/// address holds more than `per` of the benchmark's connections.
fn connect_as(host: &str, n: usize, per: usize) -> TcpStream {
    use std::os::fd::FromRawFd;
    let to: std::net::SocketAddrV4 = host.parse().unwrap_or_else(|e| die(format!("{host}: {e}")));
    let from = std::net::Ipv4Addr::new(127, 0, (n / per / 240) as u8, 10 + ((n / per) % 240) as u8);
    let addr = |ip: std::net::Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(ip.octets()) },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket calls on a descriptor owned here until it is wrapped.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            die(format!("socket: {}", std::io::Error::last_os_error()));
        }
        let s = TcpStream::from_raw_fd(fd);
        let local = addr(from, 0);
        let remote = addr(*to.ip(), to.port());
        if libc::bind(fd, &local as *const _ as *const libc::sockaddr, len) != 0
            || libc::connect(fd, &remote as *const _ as *const libc::sockaddr, len) != 0
        {
            die(format!("connect {host} from {from}: {}", std::io::Error::last_os_error()));
        }
        s
    }
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn phones(base: &str, token: &str, n: usize, pid: u32) {
    let host = base.trim_start_matches("http://").trim_end_matches('/').to_string();
    let idle = rss_kb(pid);
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let stop_rx = std::sync::Arc::new(std::sync::Mutex::new(stop_rx));
    let mut threads = Vec::new();
    for i in 0..n {
        // Phones arrive over a few seconds, not in one burst the kernel takes for a SYN flood.
        if i % 25 == 24 {
            std::thread::sleep(Duration::from_millis(20));
        }
        let (ready_tx, host, token, stop_rx) = (ready_tx.clone(), host.clone(), token.to_string(), stop_rx.clone());
        threads.push(std::thread::spawn(move || {
            let mut s = connect_as(&host, i, 20);
            let _ = write!(s, "GET /t/{token}/live HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n");
            let mut r = BufReader::new(s.try_clone().unwrap_or_else(|e| die(e.to_string())));
            let mut line = String::new();
            let _ = r.read_line(&mut line);
            if !line.starts_with("HTTP/1.1 200") {
                let _ = ready_tx.send(Err(format!("stream {i}: {}", line.trim())));
                return;
            }
            loop {
                line.clear();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => {
                        let _ = ready_tx.send(Err(format!("stream {i} ended before its first event")));
                        return;
                    }
                    Ok(_) if line.starts_with("event: update") => break,
                    Ok(_) => {}
                }
            }
            let _ = ready_tx.send(Ok(()));
            // Held open until the benchmark says the phones leave.
            let _ = stop_rx.lock().map(|rx| rx.recv());
            drop(s);
        }));
    }
    for _ in 0..n {
        match ready_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => die(e),
            Err(_) => die("not every phone got its first event within 60 s".into()),
        }
    }
    std::thread::sleep(Duration::from_secs(2));
    let connected = rss_kb(pid);
    drop(stop_tx);
    for t in threads {
        let _ = t.join();
    }
    let left = Instant::now();
    let mut after = Vec::new();
    for secs in [1u64, 3, 5, 10] {
        let wait = Duration::from_secs(secs).saturating_sub(left.elapsed());
        std::thread::sleep(wait);
        after.push(format!("{secs} s after: {:.1} MB", rss_kb(pid) as f64 / 1024.0));
    }
    println!(
        "{n} phones following their ticket from {} addresses: serve RSS idle {:.1} MB, all connected {:.1} MB (goal <= 40 MB), then {}",
        n.div_ceil(20),
        idle as f64 / 1024.0,
        connected as f64 / 1024.0,
        after.join(", ")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("phones") if args.len() == 6 => phones(
            &args[2],
            &args[3],
            args[4].parse().unwrap_or_else(|_| die("N".into())),
            args[5].parse().unwrap_or_else(|_| die("PID".into())),
        ),
        Some("seed") if args.len() == 4 => seed(&args[2], &args[3]),
        Some("seed-year") if args.len() == 4 => seed_year(&args[2], &args[3]),
        Some("year") if args.len() == 3 => year(&args[2]),
        Some("sse") if args.len() == 5 => sse(
            &args[2],
            args[3].parse().unwrap_or_else(|_| die("STREAMS".into())),
            args[4].parse().unwrap_or_else(|_| die("CALLS".into())),
        ),
        _ => die(
            "usage: bench_serve seed CONFIG_DIR DATA_DIR | seed-year CONFIG_DIR DATA_DIR | year BASE_URL | sse BASE_URL STREAMS CALLS | phones BASE_URL TOKEN N PID"
                .into(),
        ),
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
    // KIOSK_NOW pins the day (the scripts set it: a run near midnight must not split the day).
    let clock = kiosk::domain::clock::Clock::from_env(cfg.station.tz).unwrap_or_else(|e| die(e.to_string()));
    // Opening the station creates the store and loads the matters.
    {
        let st =
            kiosk::service::Station::open(cfg.clone(), paths.clone(), clock).unwrap_or_else(|e| die(e.to_string()));
        st.admin_add_staff(&LocalAdmin::on_this_box(), "001", "张三丰", "staff", None)
            .unwrap_or_else(|e| die(e.to_string()));
        st.admin_reset_pin(&LocalAdmin::on_this_box(), "001", "246813").unwrap_or_else(|e| die(e.to_string()));
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
            issued_at: clock.now() - Days::days(days_back),
            token: tok.clone(),
            catalog_version: 1,
            assisted_by: None,
        };
        let (t, _) = tickets::issue(&mut conn, &new, &times, &windows, Default::default(), &[])
            .unwrap_or_else(|e| die(e.to_string()));
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
            notice: None,
            assisted_by: None,
        };
        cases::create(&mut conn, &new, &[], clock.now()).unwrap_or_else(|e| die(e.to_string()));
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
            // Ten displays behind each address (the service caps what one address holds).
            let mut s = connect_as(&host, n, 10);
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
        // The page's window, and 过号 for the ticket called before (nobody starts it here).
        let form = format!("csrf={csrf}&window=1&action=next&prev=no-show");
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

/// A small deterministic generator (the same store every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

fn seed_year(config_dir: &str, data_dir: &str) {
    use chrono::{Datelike, TimeZone};
    let cfg = config::load(Some(std::path::Path::new(config_dir))).unwrap_or_else(|e| die(e.to_string()));
    let paths = kiosk::paths::Paths { config_dir: Some(config_dir.into()), data_dir: data_dir.into() };
    // KIOSK_NOW pins the day (the scripts set it: a run near midnight must not split the day).
    let clock = kiosk::domain::clock::Clock::from_env(cfg.station.tz).unwrap_or_else(|e| die(e.to_string()));
    {
        let st =
            kiosk::service::Station::open(cfg.clone(), paths.clone(), clock).unwrap_or_else(|e| die(e.to_string()));
        for (no, name, role) in [("001", "张三丰", "staff"), ("002", "李四", "staff"), ("003", "王五", "admin")]
        {
            st.admin_add_staff(&LocalAdmin::on_this_box(), no, name, role, None).unwrap_or_else(|e| die(e.to_string()));
            st.admin_reset_pin(&LocalAdmin::on_this_box(), no, "246813").unwrap_or_else(|e| die(e.to_string()));
        }
    }
    let mut conn = storage::open(&paths.db()).unwrap_or_else(|e| die(e.to_string()));
    let fail = |e: rusqlite::Error| -> ! { die(e.to_string()) };
    conn.execute_batch("PRAGMA synchronous = OFF").unwrap_or_else(|e| fail(e));
    let tx = conn.transaction().unwrap_or_else(|e| fail(e));
    let tz = cfg.station.tz;
    let today = clock.today();
    let matters: Vec<_> = cfg.catalog.matters.iter().collect();
    let relay: Vec<_> = matters.iter().filter(|m| m.mode.allows_case()).copied().collect();
    let at = |day: chrono::NaiveDate, minute: i64| {
        let t = day.and_hms_opt(8, 30, 0).unwrap_or_default() + Days::minutes(minute);
        tz.from_local_datetime(&t).earliest().map(|d| d.with_timezone(&Utc)).unwrap_or_default().to_rfc3339()
    };
    let mut rng = Lcg(20261129);
    let (tickets_total, cases_total, ratings_total) = (100_000usize, 5_000usize, 20_000usize);
    let days = 365usize;
    let mut served = Vec::new();
    let mut n = 0usize;
    for d in 0..days {
        let day = today - Days::days((days - 1 - d) as i64);
        let count = (tickets_total - n) / (days - d);
        let mut seq: std::collections::HashMap<String, u32> = Default::default();
        for k in 0..count {
            let m = matters[rng.next(matters.len() as u64) as usize];
            let prefix = cfg.station.prefix_for(&m.category);
            let s = seq.entry(prefix.clone()).or_insert(0);
            *s += 1;
            let number = format!("{prefix}{:03}", *s);
            let issued = (k * 480 / count.max(1)) as i64;
            let is_today = d == days - 1;
            let waiting = is_today && k + 30 >= count;
            let no_show = !waiting && rng.next(100) < 6;
            let window = 1 + rng.next(2) as i64;
            let staff = if window == 1 { "001" } else { "002" };
            let called = issued + 2 + rng.next(40) as i64;
            let started = called + 1;
            let finished = started + 4 + rng.next(14) as i64;
            let status = if waiting {
                "waiting"
            } else if no_show {
                "no_show"
            } else {
                "served"
            };
            tx.execute(
                "INSERT INTO tickets (day, prefix, seq, number, category, matter_code, matter_name, priority, issued_at, token,
                     ahead_at_issue, wait_min_at_issue, status, window_no, staff_no, called_at, started_at, finished_at, catalog_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 3, 24, ?11, ?12, ?13, ?14, ?15, ?16, 1)",
                rusqlite::params![
                    day.to_string(),
                    prefix,
                    *s,
                    number,
                    m.category,
                    m.code,
                    m.name,
                    (k % 11 == 0) as i64,
                    at(day, issued),
                    token(n),
                    status,
                    (!waiting).then_some(window),
                    (!waiting).then_some(staff),
                    (!waiting).then(|| at(day, called)),
                    (status == "served").then(|| at(day, started)),
                    (status == "served").then(|| at(day, finished)),
                ],
            )
            .unwrap_or_else(|e| fail(e));
            let id = tx.last_insert_rowid();
            let event = |kind: &str, minute: i64| {
                tx.execute(
                    "INSERT INTO ticket_events (ticket_id, at, kind, staff_no, window_no) VALUES (?1, ?2, ?3, ?4, ?5)",
                    rusqlite::params![id, at(day, minute), kind, staff, window],
                )
                .unwrap_or_else(|e| fail(e));
            };
            if !waiting {
                event("called", called);
                if no_show {
                    event("no_show", called + 3);
                } else {
                    event("started", started);
                    event("finished", finished);
                    served.push((id, staff, window, day, finished));
                }
            }
            n += 1;
        }
    }
    // Ratings on one served ticket in ≈ 4.5: mostly 满意, a few 差评 with their reasons.
    let step = served.len() as f64 / ratings_total as f64;
    for r in 0..ratings_total.min(served.len()) {
        let (id, staff, window, day, finished) = served[(r as f64 * step) as usize];
        let roll = rng.next(100);
        let level = match roll {
            0..=59 => 5,
            60..=84 => 4,
            85..=92 => 3,
            93..=97 => 2,
            _ => 1,
        };
        let reason = (level <= 2).then_some(["等候时间太长", "办事效率低", "工作人员态度不好"][r % 3]);
        tx.execute(
            "INSERT INTO ratings (ticket_id, level, reason, channel, staff_no, window_no, at) VALUES (?1, ?2, ?3, 'pad', ?4, ?5, ?6)",
            rusqlite::params![id, level, reason, staff, window, at(day, finished + 1)],
        )
        .unwrap_or_else(|e| fail(e));
    }
    // Cases: ≈ 14 a day; those of the last weeks partly still open, some overdue.
    let mut per_day: std::collections::HashMap<chrono::NaiveDate, u32> = Default::default();
    for i in 0..cases_total {
        let back = (days - 1) - (i * days / cases_total);
        let created = today - Days::days(back as i64);
        let m = relay[i % relay.len()];
        let seq = per_day.entry(created).or_insert(0);
        *seq += 1;
        let tracking = kiosk::domain::case::tracking_code(created.year(), created.month(), created.day(), *seq);
        let promised = m.promised_days.unwrap_or(5);
        let due = cfg.calendar.add_working_days(created, promised).date;
        let open = back < 40 && rng.next(100) < 45;
        let state = if open { ["accepted", "submitted", "pending"][i % 3] } else { "closed" };
        let assignee = if i % 2 == 0 { "001" } else { "002" };
        tx.execute(
            "INSERT INTO cases (tracking, token, matter_code, matter_name, category, id_number, phone, name, state, created_at,
                 promised_days, clock_start, due_on, first_responder, assignee, materials_json, catalog_version)
             VALUES (?1, ?2, ?3, ?4, ?5, '130110194503150138', '13812345678', '王某', ?6, ?7, ?8, ?9, ?10, ?11, ?11, '[]', 1)",
            rusqlite::params![
                tracking,
                token(i),
                m.code,
                m.name,
                m.category,
                state,
                at(created, 60),
                promised,
                created.to_string(),
                due.to_string(),
                assignee
            ],
        )
        .unwrap_or_else(|e| fail(e));
        let id = tx.last_insert_rowid();
        let event = |kind: &str, from: Option<&str>, to: Option<&str>, day: chrono::NaiveDate, staff: Option<&str>| {
            tx.execute(
                "INSERT INTO case_events (case_id, at, kind, from_state, to_state, staff_no) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![id, at(day, 90), kind, from, to, staff],
            )
            .unwrap_or_else(|e| fail(e));
        };
        event("created", None, Some("pending"), created, None);
        if state != "pending" {
            event("transition", Some("pending"), Some("accepted"), created, Some(assignee));
        }
        if state == "closed" {
            // Most on time, some a few days late.
            let done = if rng.next(10) < 9 { due - Days::days(1) } else { due + Days::days(3) };
            let done = done.min(today);
            event("transition", Some("accepted"), Some("submitted"), created + Days::days(1), Some(assignee));
            event("transition", Some("submitted"), Some("completed"), done, Some(assignee));
            event("transition", Some("completed"), Some("notified"), done, Some(assignee));
            event("transition", Some("notified"), Some("closed"), done, Some(assignee));
        } else if state == "submitted" {
            event("transition", Some("accepted"), Some("submitted"), created + Days::days(1), Some(assignee));
        }
    }
    // The numbers handed out, as a real store keeps them (a ticket taken next goes on after them).
    tx.execute_batch(
        "INSERT OR REPLACE INTO ticket_counters (day, prefix, last_seq) SELECT day, prefix, max(seq) FROM tickets GROUP BY day, prefix;
         INSERT OR REPLACE INTO case_counters (mmdd, last_seq)
           SELECT '20' || substr(tracking, 3, 2) || '-' || substr(tracking, 5, 2) || '-' || substr(tracking, 7, 2),
                  max(CAST(substr(tracking, 10) AS INTEGER))
           FROM cases GROUP BY 1;",
    )
    .unwrap_or_else(|e| fail(e));
    tx.commit().unwrap_or_else(|e| fail(e));
    conn.execute_batch("ANALYZE").unwrap_or_else(|e| fail(e));
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap_or_else(|e| fail(e));
    println!(
        "{} tickets, {} ticket events, {} cases ({} open), {} ratings",
        count("SELECT count(*) FROM tickets"),
        count("SELECT count(*) FROM ticket_events"),
        count("SELECT count(*) FROM cases"),
        count("SELECT count(*) FROM cases WHERE state != 'closed'"),
        count("SELECT count(*) FROM ratings")
    );
}

/// Times one page `n` times: (server ms from Server-Timing, client ms), as p50 and max.
fn time_page(host: &str, cookie: &str, path: &str, n: usize) -> (f64, f64, f64, f64, usize) {
    let mut server = Vec::new();
    let mut client = Vec::new();
    let mut size = 0;
    for _ in 0..n {
        let t = Instant::now();
        let (status, head, body) = request(host, "GET", path, &[("Cookie", cookie)], "");
        client.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            die(format!("{path} answered {status}"));
        }
        size = body.len();
        let dur = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("server-timing: ").map(str::to_string))
            .and_then(|v| v.split("dur=").nth(1).and_then(|x| x.trim().parse::<f64>().ok()))
            .unwrap_or_else(|| die(format!("{path}: no Server-Timing header")));
        server.push(dur);
    }
    let sorted = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v
    };
    let (server, client) = (sorted(server), sorted(client));
    (server[server.len() / 2], server[server.len() - 1], client[client.len() / 2], client[client.len() - 1], size)
}

fn year(base: &str) {
    use chrono::Datelike;
    let host = base.trim_start_matches("http://").trim_end_matches('/').to_string();
    let sign_in = |no: &str| {
        let (status, head, _) = request(
            &host,
            "POST",
            "/desk/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &format!("staff={no}&pin=246813"),
        );
        if status != 303 {
            die(format!("sign-in of {no} failed: {status}"));
        }
        head.lines()
            .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
            .and_then(|c| c.split(';').next())
            .unwrap_or_else(|| die("no session cookie".into()))
            .to_string()
    };
    let admin = sign_in("003");
    let staff = sign_in("001");
    let (_, _, page) = request(&host, "GET", "/desk", &[("Cookie", &staff)], "");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|x| x.split('"').next())
        .unwrap_or_else(|| die("no csrf".into()))
        .to_string();
    request(
        &host,
        "POST",
        "/desk/window",
        &[("Cookie", &staff), ("Content-Type", "application/x-www-form-urlencoded")],
        &format!("csrf={csrf}&window=1"),
    );
    // The station's day as the service sees it (KIOSK_NOW when the script pins it).
    let today = kiosk::domain::clock::Clock::from_env(chrono_tz::Asia::Shanghai)
        .map(|c| c.today())
        .unwrap_or_else(|_| Utc::now().date_naive());
    let first = today.with_day(1).unwrap_or(today);
    let last = first - Days::days(1);
    let from = last.with_day(1).unwrap_or(last);
    let month = format!("from={from}&to={last}");
    let rows = [
        ("monthly report page", format!("/desk/admin/reports?{month}"), 10, &admin, "≤ 1000 ms"),
        ("monthly report PDF (月报)", format!("/desk/admin/reports/file?{month}&format=pdf"), 5, &admin, "≤ 1000 ms"),
        ("monthly report CSV", format!("/desk/admin/reports/file?{month}&format=csv"), 5, &admin, "—"),
        ("desk: 代办 queue /desk/cases", "/desk/cases".to_string(), 20, &staff, "< 50 ms"),
        ("desk: calling /desk", "/desk".to_string(), 20, &staff, "< 50 ms"),
    ];
    println!(
        "{:<32} {:>22} {:>22} {:>9}  goal",
        format!("page ({from}..{last})"),
        "server p50 / max",
        "client p50 / max",
        "bytes"
    );
    for (label, path, n, cookie, goal) in rows {
        let (sp, sm, cp, cm, size) = time_page(&host, cookie, &path, n);
        println!("{label:<32} {sp:>9.1} / {sm:>7.1} ms {cp:>9.1} / {cm:>7.1} ms {size:>9}  {goal}");
    }
}
