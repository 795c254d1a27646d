//! Helpers for `scripts/bench-town.sh` (not part of the product):
//!
//! - `seed-year TOWN_CONFIG_DIR TOWN_DATA_DIR PER_DAY`: fills the town's store with a year
//!   of every joined station's events, as the link would have brought them: PER_DAY tickets
//!   a day (Monday to Saturday), each taken, called, started and finished, a rating for one
//!   in ten (one in five of those a 差评, half of them followed up); today's tickets only
//!   taken (waiting); and two 代办 cases a working day handed to the town, each with its
//!   steps (handed, received, completed; the last 15 days' still with the town). Prints
//!   what the pages must show: `{"events", "today", "month", "month_tickets", "cases",
//!   "open_case"}`.
//! - `time BASE_URL STAFF PIN TODAY MONTH MONTH_TICKETS RUNS`: signs in to the town's site
//!   and times the overview (`/`) and the month's township report (`/reports?month=`), RUNS
//!   times each, after checking that each shows the township's totals (TODAY tickets today,
//!   MONTH_TICKETS in the month), and with OPEN_CASE the town's 代办 inbox (`/cases`, which
//!   must list that case): p50, p99 and max of the wall time on loopback and of the
//!   server's own time (`Server-Timing`), against the 200 ms the issues allow.
//! - `overview-lag BASE_URL STAFF PIN KIOSK CONFIG_DIR DATA_DIR RUNS`: signs in to the town's
//!   site and follows its overview's live stream (`/live`) as an open page does; RUNS times,
//!   takes a ticket at the joined station with `KIOSK --config-dir … --data-dir … ticket take`
//!   and times how long until the overview shows the township's count one higher: p50, p99
//!   and max, against the 2 s the issue allows (the command's own start included).

use chrono::{Datelike, Duration as Days, NaiveDate, TimeZone};
use std::path::Path;
use std::time::Instant;

fn die(msg: String) -> ! {
    eprintln!("bench_town: {msg}");
    std::process::exit(1);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("seed-year") if args.len() == 4 => {
            seed_year(Path::new(&args[1]), Path::new(&args[2]), args[3].parse().unwrap_or(40))
        }
        Some("time") if args.len() == 8 || args.len() == 9 => time(&args[1..]),
        Some("overview-lag") if args.len() == 8 => overview_lag(&args[1..]),
        _ => die("usage: seed-year CFG DATA PER_DAY | time URL STAFF PIN TODAY MONTH MONTH_TICKETS RUNS [OPEN_CASE] \
                 | overview-lag URL STAFF PIN KIOSK CFG DATA RUNS"
            .into()),
    }
}

fn seed_year(cfg: &Path, data: &Path, per_day: u32) {
    let town = kiosk::town::read_town(cfg).unwrap_or_else(|e| die(e));
    let tz = chrono_tz::Asia::Shanghai;
    let clock = kiosk::domain::clock::Clock::from_env(tz).unwrap_or_else(|e| die(e.to_string()));
    let today = clock.today();
    std::fs::create_dir_all(data).unwrap_or_else(|e| die(e.to_string()));
    let mut conn = kiosk::town::store::open(&data.join("town.db")).unwrap_or_else(|e| die(e.to_string()));
    // Seeding only: the figures are read afterwards, durability is not what is measured.
    let _ = conn.pragma_update(None, "synchronous", "OFF");
    let now = clock.now().to_rfc3339();
    let (mut total, mut today_n, mut month_n, mut cases_n) = (0usize, 0usize, 0usize, 0usize);
    let mut open_case = String::new();
    let at = |d: NaiveDate, minutes: i64| -> String {
        let local = d.and_hms_opt(8, 30, 0).unwrap_or_default() + Days::minutes(minutes);
        tz.from_local_datetime(&local).earliest().map(|t| t.to_utc().to_rfc3339()).unwrap_or_default()
    };
    for (i, s) in town.stations.iter().enumerate() {
        let mut events: Vec<(String, String, String)> = Vec::new();
        let mut rating_id = 0;
        for back in (0..365).rev() {
            let day = today - Days::days(back);
            if day.weekday() == chrono::Weekday::Sun {
                continue;
            }
            let is_today = back == 0;
            // Two 代办 cases handed to the town each working day.
            for k in 1..=2u32 {
                let tracking = kiosk::domain::case::tracking_code(day.year(), day.month(), day.day(), k);
                let t = at(day, 60 * k as i64);
                let due = (day + Days::days(21)).to_string();
                cases_n += 1;
                events.push((
                    format!("case.handed.{tracking}"),
                    t.clone(),
                    serde_json::json!({"tracking": tracking, "matter": "C01", "matter_name": "高龄津贴申请",
                        "matter_version": 1, "category": "C", "name": "张三", "id_number": "110105194912310011",
                        "phone": "13812345678", "materials": [{"name": "户口簿", "requirement": "原件", "received": true}],
                        "due": due, "promised_days": 15, "first_responder": "001", "note": "随交接单送镇中心",
                        "staff": "001", "from": "accepted", "at": t})
                    .to_string(),
                ));
                if back > 15 {
                    for (to, after) in [("received", 1), ("completed", 10)] {
                        let t = at(day + Days::days(after), 30);
                        events.push((
                            format!("case.step.{tracking}"),
                            t.clone(),
                            serde_json::json!({"tracking": tracking, "kind": "transition", "to": to, "staff": "001",
                                "origin": null, "note": "办结", "due": due, "materials": [], "at": t})
                            .to_string(),
                        ));
                    }
                } else if i == 0 {
                    open_case = tracking;
                }
            }
            let n_today = if is_today { per_day / 2 } else { per_day };
            for n in 1..=n_today {
                let number = format!("C{n:03}");
                let minute = (n as i64 * 480) / per_day as i64;
                let wait = 3 + ((n as i64 + i as i64) % 12);
                let base =
                    serde_json::json!({"day": day.to_string(), "number": number, "category": "C", "matter": "C02"});
                let with = |extra: serde_json::Value| {
                    let mut b = base.clone();
                    if let (Some(o), Some(e)) = (b.as_object_mut(), extra.as_object()) {
                        o.extend(e.clone());
                    }
                    b.to_string()
                };
                let taken = at(day, minute);
                events.push((
                    "ticket.taken".into(),
                    taken.clone(),
                    with(serde_json::json!({"priority": false, "at": taken})),
                ));
                if day.year() == today.year() && day.month() == today.month() {
                    month_n += 1;
                }
                if is_today {
                    today_n += 1;
                    continue;
                }
                let window = 1 + (n % 2);
                for (kind, after) in [("called", wait), ("started", wait + 1), ("finished", wait + 7)] {
                    let t = at(day, minute + after);
                    events.push((
                        format!("ticket.{kind}"),
                        t.clone(),
                        with(serde_json::json!({"window": window, "staff": "001", "at": t})),
                    ));
                }
                if n % 10 == 0 {
                    rating_id += 1;
                    let bad = rating_id % 5 == 0;
                    let t = at(day, minute + wait + 8);
                    events.push((
                        "rating".into(),
                        t.clone(),
                        serde_json::json!({"id": rating_id, "level": if bad { 2 } else { 5 },
                            "reason": if bad { Some("等候时间太长") } else { None }, "channel": "phone",
                            "staff": "001", "window": window, "at": t})
                        .to_string(),
                    ));
                    if bad && rating_id % 2 == 0 {
                        let done = at(day + Days::days(3), 60);
                        events.push((
                            "followup".into(),
                            done.clone(),
                            serde_json::json!({"rating": rating_id, "assignee": "001", "done_by": "001", "done_at": done})
                                .to_string(),
                        ));
                    }
                }
            }
        }
        let batch: Vec<kiosk::town::store::Event<'_>> = events
            .iter()
            .enumerate()
            .map(|(k, (kind, at, body))| kiosk::town::store::Event { seq: k as i64 + 1, kind, at, body })
            .collect();
        total +=
            kiosk::town::store::apply_batch(&mut conn, &s.code, &batch, &now).unwrap_or_else(|e| die(e.to_string()));
        // Each station heard from just now, with its heartbeat.
        let beat = serde_json::json!({"at": now, "version": "0.1.0", "catalogue_version": 1, "outbox_pending": 0,
            "free_disk_mb": 20000, "printer": "receipt", "unprinted": 0});
        kiosk::town::store::apply_heartbeat(&conn, &s.code, &now, &beat.to_string(), &now)
            .unwrap_or_else(|e| die(e.to_string()));
    }
    println!(
        "{}",
        serde_json::json!({"events": total, "today": today_n, "month": today.format("%Y-%m").to_string(),
            "month_tickets": month_n, "stations": town.stations.len(), "cases": cases_n, "open_case": open_case})
    );
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len().max(1)) - 1;
    v.get(i).copied().unwrap_or(f64::NAN)
}

/// Signs in to the town's site: the agent and the session's cookie.
fn sign_in(base: &str, staff: &str, pin: &str) -> (ureq::Agent, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let r = agent
        .post(&format!("{base}/login"))
        .send_form([("staff", staff), ("pin", pin)])
        .unwrap_or_else(|e| die(e.to_string()));
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| die(format!("sign-in answered {}", r.status())))
        .to_string();
    (agent, cookie)
}

fn overview_lag(a: &[String]) {
    let (base, staff, pin, kiosk, cfg, data) = (&a[0], &a[1], &a[2], &a[3], &a[4], &a[5]);
    let runs: usize = a[6].parse().unwrap_or(50);
    let (agent, cookie) = sign_in(base, staff, pin);
    // A stream that stops sending ends the benchmark rather than hanging it.
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(30 * runs as u64 + 60));
        die("the overview did not follow within the time allowed".into());
    });
    let r = agent.get(&format!("{base}/live")).header("Cookie", &cookie).call().unwrap_or_else(|e| die(e.to_string()));
    if r.status() != 200 {
        die(format!("the overview's live stream answered {}", r.status()));
    }
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(r.into_body().into_reader()).lines();
    // The township's count in the next panel the stream sends.
    let mut next_count = || -> i64 {
        for line in lines.by_ref() {
            let line = line.unwrap_or_else(|e| die(format!("the live stream: {e}")));
            let Some(rest) = line.strip_prefix("data:").and_then(|d| d.split("今天全镇取号 <b>").nth(1)) else {
                continue;
            };
            if let Some(n) = rest.split('<').next().and_then(|n| n.trim().parse().ok()) {
                return n;
            }
        }
        die("the live stream ended".into())
    };
    let mut shown = next_count();
    let mut lag = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        let o = std::process::Command::new(kiosk)
            .args(["--config-dir", cfg, "--data-dir", data, "ticket", "take", "--matter", "C02"])
            .output()
            .unwrap_or_else(|e| die(e.to_string()));
        if !o.status.success() {
            die(format!("ticket take: {}", String::from_utf8_lossy(&o.stderr)));
        }
        let want = shown + 1;
        while shown < want {
            shown = next_count();
        }
        if shown != want {
            die(format!("the overview jumped from {} to {shown}", want - 1));
        }
        lag.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    let (p50, p99, max) = (percentile(&mut lag, 0.5), percentile(&mut lag, 0.99), percentile(&mut lag, 1.0));
    println!(
        "overview: a ticket taken at the station is on the town's open overview after p50 {p50:.0} ms, p99 {p99:.0} ms, max {max:.0} ms ({runs} tickets; 2 s allowed: {})",
        if p99 <= 2000.0 { "ok" } else { "OVER" }
    );
}

fn time(a: &[String]) {
    let (base, staff, pin, today, month, month_tickets) = (&a[0], &a[1], &a[2], &a[3], &a[4], &a[5]);
    let runs: usize = a[6].parse().unwrap_or(30);
    let (agent, cookie) = sign_in(base, staff, pin);
    let mut pages = vec![
        ("overview", "/".to_string(), format!("今天全镇取号 <b>{today}</b>")),
        ("report", format!("/reports?month={month}"), format!("<td>全镇</td><td>合计</td><td>{month_tickets}</td>")),
    ];
    if let Some(case) = a.get(7) {
        pages.push(("inbox", "/cases".to_string(), format!("/cases/s01/{case}\">{case}</a>")));
    }
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>13} {:>13}  budget",
        "page", "p50 ms", "p99 ms", "max ms", "server p50", "server p99"
    );
    for (name, path, must) in pages {
        let (mut wall, mut server) = (Vec::new(), Vec::new());
        for k in 0..runs + 1 {
            let t0 = Instant::now();
            let mut r = agent
                .get(&format!("{base}{path}"))
                .header("Cookie", &cookie)
                .call()
                .unwrap_or_else(|e| die(e.to_string()));
            let body = r.body_mut().read_to_string().unwrap_or_default();
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            if r.status() != 200 || !body.contains(&must) {
                die(format!("{name}: answered {} without {must:?}", r.status()));
            }
            let dur = r
                .headers()
                .get("server-timing")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split("dur=").nth(1))
                .and_then(|d| d.parse::<f64>().ok())
                .unwrap_or(f64::NAN);
            if k > 0 {
                // The first one warms the caches.
                wall.push(ms);
                server.push(dur);
            }
        }
        let (p50, p99, max) = (percentile(&mut wall, 0.5), percentile(&mut wall, 0.99), percentile(&mut wall, 1.0));
        let (s50, s99) = (percentile(&mut server, 0.5), percentile(&mut server, 0.99));
        println!(
            "{name:<10} {p50:>9.1} {p99:>9.1} {max:>9.1} {s50:>13.1} {s99:>13.1}  200 ms {}",
            if p99 <= 200.0 { "ok" } else { "OVER" }
        );
    }
}
