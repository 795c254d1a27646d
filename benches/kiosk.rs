//! In-process benchmarks (no harness): ticket issue and the headless home render.
//! Run with `cargo bench --bench kiosk`; `scripts/bench.sh` adds start-up and memory
//! figures measured from outside under Xvfb.

use kiosk::config;
use kiosk::domain::clock::{parse_rfc3339, Clock, NOW_ENV};
use kiosk::paths::Paths;
use kiosk::service::{Station, Target};
use std::time::{Duration, Instant};

/// The station time a run measures at, unless `KIOSK_NOW` says another.
const PINNED: &str = "2026-11-30T10:00:00+08:00";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let dir = std::env::temp_dir().join(format!("kiosk-bench-{}", std::process::id()));
    let cfg = match config::load(None) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("config: {e}");
            std::process::exit(1);
        }
    };
    // The clock is pinned (KIOSK_NOW if set, else a Monday morning within opening hours,
    // as scripts/bench-serve.sh pins it): a run near midnight station time does not split
    // the day, and every run measures the same day's numbering.
    let at = std::env::var(NOW_ENV).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| PINNED.to_string());
    let clock = match parse_rfc3339(&at) {
        Ok(at) => Clock::fixed(at, cfg.station.tz),
        Err(e) => {
            eprintln!("clock: {e}");
            std::process::exit(1);
        }
    };
    let paths = Paths { config_dir: None, data_dir: dir.clone() };
    let mut station = match Station::open(cfg, paths, clock) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("station: {e}");
            std::process::exit(1);
        }
    };

    // Font parse happens once per process; measure it apart from the per-ticket cost.
    let t = Instant::now();
    if let Err(e) = station.font() {
        eprintln!("font: {e}");
        std::process::exit(1);
    }
    println!("receipt font parse (once per process): {}", ms(t.elapsed()));

    let codes: Vec<String> = station.cfg.catalog.matters.iter().map(|m| m.code.clone()).collect();
    let mut times = Vec::new();
    for i in 0..300 {
        let code = &codes[i % codes.len()];
        let t = Instant::now();
        match station.take_ticket(&Target::Matter(code.clone()), i % 7 == 0) {
            Ok(issued) if issued.receipt.is_some() => times.push(t.elapsed()),
            Ok(issued) => {
                eprintln!("receipt not written: {:?}", issued.receipt_error);
                std::process::exit(1);
            }
            Err(e) => {
                eprintln!("ticket: {e}");
                std::process::exit(1);
            }
        }
    }
    // The check every writing process runs on the store before its first write (issue
    // 13): its cost at this store's size, apart from the ticket itself.
    let db = dir.join("kiosk.db");
    let mut checks = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        if let Err(e) = kiosk::storage::quick_check(&db) {
            eprintln!("quick_check: {e}");
            std::process::exit(1);
        }
        checks.push(t.elapsed());
    }
    checks.sort();
    println!(
        "store check before a process's first write (quick_check, {} KB store), n=20: p50 {}, max {}",
        std::fs::metadata(&db).map(|m| m.len() / 1024).unwrap_or(0),
        ms(percentile(&checks, 0.5)),
        ms(checks[checks.len() - 1])
    );
    times.sort();
    println!(
        "ticket issue (commit + receipt PDF written), n={}: p50 {}, p99 {}, max {}",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap_or(&Duration::ZERO))
    );
    let sizes: Vec<u64> = std::fs::read_dir(dir.join("spool"))
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .filter_map(|f| f.metadata().ok().map(|m| m.len()))
        .collect();
    if !sizes.is_empty() {
        println!("receipt PDF size: avg {} KB", sizes.iter().sum::<u64>() / sizes.len() as u64 / 1024);
    }

    if std::env::args().any(|a| a == "--pages") {
        match kiosk::ui::screenshot::bench_page_changes(station, 1920, 1080, 20) {
            Ok(mut t) => {
                let (_, first) = t.remove(0);
                println!("first frame of the home page (glyphs and shadows not yet cached): {}", ms(first));
                let steps = 7;
                let first: Vec<String> = t[..steps].iter().map(|(n, d)| format!("{n} {}", ms(*d))).collect();
                println!("page change, first visit: {}", first.join(", "));
                let mut later: Vec<Duration> = t[steps..].iter().map(|(_, d)| *d).collect();
                later.sort();
                let within = later.iter().filter(|d| **d <= Duration::from_millis(16)).count();
                println!(
                    "page change at 1920x1080 after the first visit, n={}: p50 {}, p99 {}, max {}; {} of {} within 16 ms",
                    later.len(),
                    ms(percentile(&later, 0.5)),
                    ms(percentile(&later, 0.99)),
                    ms(*later.last().unwrap_or(&Duration::ZERO)),
                    within,
                    later.len()
                );
                for (name, _) in &t[..steps] {
                    let mut mine: Vec<Duration> =
                        t[steps..].iter().filter(|(n, _)| n == name).map(|(_, d)| *d).collect();
                    mine.sort();
                    println!(
                        "  {name}: p50 {}, max {}",
                        ms(percentile(&mine, 0.5)),
                        ms(*mine.last().unwrap_or(&Duration::ZERO))
                    );
                }
            }
            Err(e) => eprintln!("pages: {e}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let render = kiosk::ui::screenshot::bench_home_render(station, 1920, 1080, 30);
    match render {
        Ok(mut r) => {
            r.sort();
            println!(
                "headless render of the home page at 1920x1080 (software renderer), n={}: p50 {}, p99 {}",
                r.len(),
                ms(percentile(&r, 0.5)),
                ms(percentile(&r, 0.99))
            );
        }
        Err(e) => eprintln!("render: {e}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
