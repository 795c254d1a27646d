//! Where start-up time goes: with `KIOSK_START_TRACE=1`, each step of the kiosk's start
//! prints the milliseconds since the process began (from /proc/self/stat, so the loader
//! and everything before `main` count too) to standard error. Off, a step costs nothing
//! but one check of a flag.

use std::sync::OnceLock;
use std::time::Instant;

struct Trace {
    at_main: Instant,
    /// Milliseconds from exec to `main`.
    before_main: f64,
}

static TRACE: OnceLock<Option<Trace>> = OnceLock::new();

fn ms_since_exec() -> Option<f64> {
    // Field 22 of /proc/self/stat: start time in clock ticks since boot.
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let start_ticks: f64 = after.split_whitespace().nth(19)?.parse().ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime").ok()?.split_whitespace().next()?.parse().ok()?;
    let hz = rustix::param::clock_ticks_per_second() as f64;
    (hz > 0.0).then(|| (uptime - start_ticks / hz) * 1000.0)
}

/// Starts the trace if `KIOSK_START_TRACE` is set; call first thing in `main`.
pub fn begin() {
    let _ = TRACE.get_or_init(|| {
        std::env::var_os("KIOSK_START_TRACE")
            .map(|_| Trace { at_main: Instant::now(), before_main: ms_since_exec().unwrap_or(0.0) })
    });
    mark("main");
}

/// Notes that `step` is done.
/// The line also carries CLOCK_MONOTONIC in milliseconds, to line the steps up with a
/// screen poller's timestamps (the loader's share above is only as exact as a clock tick).
pub fn mark(step: &str) {
    if let Some(Some(t)) = TRACE.get() {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        let mono = now.tv_sec as f64 * 1000.0 + now.tv_nsec as f64 / 1e6;
        eprintln!(
            "start-trace {:7.1} ms  (monotonic {mono:.1})  {step}",
            t.before_main + t.at_main.elapsed().as_secs_f64() * 1000.0
        );
    }
}
