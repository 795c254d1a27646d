//! The watcher: one thread that notices every change to the store — a ticket taken at the
//! kiosk, a call from another desk or from the command line — and publishes a fresh
//! snapshot for the live pages, and hands each new call to the announcer.
//!
//! It polls SQLite's `PRAGMA data_version` (it changes whenever another connection
//! commits) every 100 ms, and is woken at once after a write made by this process; it
//! also looks again every second, for what time alone changes (the rating pad's 30 s,
//! the office hours, midnight).

use super::state::Live;
use crate::service::Station;
use crate::voice::Announcer;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

const POLL: Duration = Duration::from_millis(100);
/// How often tickets left waiting after hours are looked for.
const SWEEP: Duration = Duration::from_secs(60);
const TICK: Duration = Duration::from_secs(1);

/// Builds the first snapshot (so the server never serves without one).
pub fn first(station: &Station) -> Result<Live, String> {
    let snap = station.snapshot().map_err(|e| e.to_string())?;
    Ok(Live { seq: 1, snap: Arc::new(snap) })
}

pub fn spawn(
    station: Station,
    tx: watch::Sender<Live>,
    poke: Receiver<()>,
    announcer: Option<Announcer>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("live".into()).spawn(move || run(station, tx, poke, announcer))
}

fn run(mut station: Station, tx: watch::Sender<Live>, poke: Receiver<()>, announcer: Option<Announcer>) {
    let mut version = station.data_version().unwrap_or(-1);
    let mut last_call = station.last_ticket_event().unwrap_or(0);
    let mut last_build = Instant::now();
    let mut failing = false;
    let mut last_sweep: Option<Instant> = None;
    loop {
        // Tickets still waiting when the day's hours are over are closed as 过期 (and any
        // left from earlier days): looked at once a minute.
        if last_sweep.is_none_or(|t| t.elapsed() >= SWEEP) {
            last_sweep = Some(Instant::now());
            if let Err(e) = station.expire_waiting() {
                tracing::warn!("waiting tickets not closed at closing time: {e}");
            }
        }
        match poke.recv_timeout(POLL) {
            Ok(()) => while poke.try_recv().is_ok() {},
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if tx.is_closed() {
            return;
        }
        let now_version = match station.data_version() {
            Ok(v) => v,
            Err(e) => {
                if !failing {
                    tracing::error!("live pages cannot read the store: {e}");
                    failing = true;
                }
                continue;
            }
        };
        let changed = now_version != version;
        if !changed && last_build.elapsed() < TICK {
            continue;
        }
        version = now_version;
        last_build = Instant::now();
        if changed {
            if let Some(a) = &announcer {
                match station.calls_since(last_call) {
                    Ok(calls) => {
                        for c in calls {
                            last_call = c.event_id;
                            if let Err(e) = a.announce(&c.number, c.window) {
                                tracing::warn!("announcement for {} not made: {e}", c.number);
                            }
                        }
                    }
                    Err(e) => tracing::warn!("new calls not read: {e}"),
                }
            }
        }
        // A newly published list of matters: the pages follow it.
        if let Err(e) = station.reload_matters() {
            tracing::warn!("list of matters not reloaded: {e}");
        }
        match station.snapshot() {
            Ok(snap) => {
                failing = false;
                tx.send_if_modified(|live| {
                    if live.snap.differs(&snap) {
                        *live = Live { seq: live.seq + 1, snap: Arc::new(snap) };
                        true
                    } else {
                        false
                    }
                });
            }
            Err(e) => {
                if !failing {
                    tracing::error!("live snapshot failed: {e}");
                    failing = true;
                }
            }
        }
    }
}
