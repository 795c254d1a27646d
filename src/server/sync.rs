//! At a joined station, the station service sends what the town must hear of: the outbox
//! (filled by the store's triggers, in the same transaction as each change) published in
//! order into the station's own JetStream stream on its own NATS server, each event with
//! the message id "<station>-<seq>" so that a repeat after a crash is dropped, and marked
//! sent only after the server acknowledged it. The server keeps the stream while the link
//! to the town is down and the town's stream sources it when the link is back; so the
//! station never waits for the town. A heartbeat goes with it every minute.

use super::state::AppState;
use crate::config::JoinFile;
use crate::town::nats::{station_stream, station_subject, steps_stream};
use async_nats::jetstream::{self, context::PublishErrorKind, stream};
use std::time::Duration;
use tokio::sync::watch;

const BATCH: u32 = 256;
/// The stream behind the town's key-value bucket `town_cfg` (its mirror at each station).
const TOWN_CFG_STREAM: &str = "KV_town_cfg";
const HEARTBEAT: Duration = Duration::from_secs(60);

/// Runs until `stop`; reconnects to the station's server by itself.
pub async fn relay(s: AppState, join: JoinFile, stop: watch::Receiver<bool>) {
    crate::town::nats::keep_running("sync", Duration::from_secs(2), stop, || relay_once(&s, &join)).await
}

async fn relay_once(s: &AppState, join: &JoinFile) -> Result<(), String> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(5))
        .connect(format!("nats://{}", join.nats_listen))
        .await
        .map_err(|e| format!("the station's NATS server: {e}"))?;
    let js = jetstream::new(client);
    let keep_days = s.cfg().station.retention_days.max(1) as u64;
    // Updated at each start: a retention changed in the config applies to the stream too.
    js.create_or_update_stream(stream::Config {
        name: station_stream(&join.code),
        subjects: vec![format!("evt.{}.>", join.code)],
        duplicate_window: Duration::from_secs(24 * 3600),
        // Nothing outlives the station's own retention period in the stream.
        max_age: Duration::from_secs(keep_days * 24 * 3600),
        ..Default::default()
    })
    .await
    .map_err(|e| format!("the station's stream: {e}"))?;
    let events = js.get_stream(station_stream(&join.code)).await.map_err(|e| format!("the station's stream: {e}"))?;
    // What the town publishes for stations, mirrored into the station's own server: read
    // here whether or not the link is up (the last version it has).
    let town_cfg = js
        .get_or_create_stream(stream::Config {
            name: TOWN_CFG_STREAM.to_string(),
            mirror: Some(stream::Source {
                name: TOWN_CFG_STREAM.to_string(),
                external: Some(stream::External {
                    api_prefix: "$JS.town.API".into(),
                    delivery_prefix: Some(format!("dlvm.{}", join.code)),
                }),
                ..Default::default()
            }),
            max_messages_per_subject: 5,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            mirror_direct: true,
            ..Default::default()
        })
        .await
        .map_err(|e| format!("the mirror of the town's configuration: {e}"))?;
    // The town's steps on this station's 代办 cases (its own stream at the town, mirrored).
    let steps = js
        .get_or_create_stream(stream::Config {
            name: steps_stream(&join.code),
            mirror: Some(stream::Source {
                name: steps_stream(&join.code),
                external: Some(stream::External {
                    api_prefix: "$JS.town.API".into(),
                    delivery_prefix: Some(format!("dlvs.{}", join.code)),
                }),
                ..Default::default()
            }),
            allow_direct: true,
            mirror_direct: true,
            max_age: Duration::from_secs(keep_days * 24 * 3600),
            ..Default::default()
        })
        .await
        .map_err(|e| format!("the mirror of the town's steps: {e}"))?;
    tracing::info!("sync: publishing into {}", station_stream(&join.code));
    let mut live = s.subscribe();
    let mut beat = tokio::time::interval(HEARTBEAT);
    let mut watch = Confirmation::default();
    loop {
        drain(s, &js, &join.code, watch.epoch).await?;
        take_steps(s, &steps).await?;
        erase(s, &events, &join.code).await?;
        watch.check(s, &town_cfg, join).await?;
        if take_up(s, &town_cfg).await? {
            // The town sees the new version in force at once, not at the next minute.
            heartbeat(s, &js, &join.code).await?;
        }
        tokio::select! {
            r = live.changed() => if r.is_err() { return Ok(()) },
            _ = beat.tick() => heartbeat(s, &js, &join.code).await?,
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}

/// How long the town's count may stand still, while linked, behind what the station's own
/// server acknowledged, before the station sends the rest again.
const UNCONFIRMED: Duration = Duration::from_secs(15);

/// What the town confirmed it holds of this station (1..=n), followed: if its count stands
/// still behind what was sent while the link is up, something was lost on the way (a
/// server killed before it wrote what it had acknowledged) and the rest is sent again,
/// under new message ids; the town keeps each event once whatever how often it comes.
#[derive(Default)]
struct Confirmation {
    /// The town's count and since when it has not moved (while behind and linked).
    stalled: Option<(i64, std::time::Instant)>,
    /// Set once events were sent again: a suffix that makes their message ids new.
    epoch: Option<i64>,
}

impl Confirmation {
    async fn check(&mut self, s: &AppState, town_cfg: &stream::Stream, join: &JoinFile) -> Result<(), String> {
        let confirmed =
            match town_cfg.get_last_raw_message_by_subject(&format!("$KV.town_cfg.applied.{}", join.code)).await {
                Ok(m) => serde_json::from_slice::<serde_json::Value>(&m.payload).ok().and_then(|v| v["upto"].as_i64()),
                Err(_) => None,
            };
        let Some(confirmed) = confirmed else { return Ok(()) };
        let sent = s.with_station(|st| st.outbox_last_sent()).await.map_err(|e| e.0)?.map_err(|e| e.to_string())?;
        if sent <= confirmed {
            self.stalled = None;
            return Ok(());
        }
        // Behind: only while the link is up is a count that stands still a loss.
        let monitor = join.nats_monitor.clone();
        let linked = tokio::task::spawn_blocking(move || crate::town::nats::leaf_count(&monitor).unwrap_or(0) > 0)
            .await
            .unwrap_or(false);
        if !linked {
            self.stalled = None;
            return Ok(());
        }
        match self.stalled {
            Some((n, since)) if n == confirmed && since.elapsed() > UNCONFIRMED => {
                let again = s
                    .with_station(move |st| st.outbox_resend_after(confirmed))
                    .await
                    .map_err(|e| e.0)?
                    .map_err(|e| e.to_string())?;
                tracing::warn!("sync: the town holds 1..{confirmed} of {sent}; sending {again} events again");
                self.epoch = Some(chrono::Utc::now().timestamp());
                self.stalled = None;
            }
            Some((n, _)) if n == confirmed => {}
            _ => self.stalled = Some((confirmed, std::time::Instant::now())),
        }
        Ok(())
    }
}

/// Publishes every unsent event in order; marks them sent as they are acknowledged.
async fn drain(s: &AppState, js: &jetstream::Context, code: &str, epoch: Option<i64>) -> Result<(), String> {
    loop {
        let batch = s
            .with_station(|st| st.outbox_unsent(BATCH))
            .await
            .map_err(|e| e.0)?
            .map_err(|e| format!("the outbox: {e}"))?;
        let Some(last) = batch.last().map(|e| e.seq) else { return Ok(()) };
        for ev in &batch {
            let payload = serde_json::json!({ "seq": ev.seq, "at": ev.at, "kind": ev.kind, "body": ev.body });
            let publish = jetstream::message::PublishMessage::build()
                .message_id(match epoch {
                    None => format!("{code}-{}", ev.seq),
                    Some(e) => format!("{code}-{}-r{e}", ev.seq),
                })
                .payload(payload.to_string().into_bytes().into());
            let ack = js
                .send_publish(station_subject(code, &ev.kind), publish)
                .await
                .map_err(|e| format!("publish {}: {e}", ev.seq))?;
            match ack.await {
                Ok(_) => {}
                Err(e) if e.kind() == PublishErrorKind::StreamNotFound => {
                    return Err("the station's stream is gone".into())
                }
                Err(e) => return Err(format!("no acknowledgement for {}: {e}", ev.seq)),
            }
        }
        s.with_station(move |st| st.outbox_sent_upto(last))
            .await
            .map_err(|e| e.0)?
            .map_err(|e| format!("the outbox: {e}"))?;
    }
}

/// Takes in the town's steps on this station's cases, in the order of the town's stream,
/// each once (its sequence is recorded with the change it made).
async fn take_steps(s: &AppState, steps: &stream::Stream) -> Result<(), String> {
    let mut next = s.with_station(|st| st.last_town_step()).await.map_err(|e| e.0)?.map_err(|e| e.to_string())? + 1;
    loop {
        let m = match steps.direct_get(next as u64).await {
            Ok(m) => m,
            Err(e) if e.kind() == jetstream::stream::DirectGetErrorKind::NotFound => {
                // A gap (a step erased at the town) or the end: look at what follows.
                match steps.get_info().await {
                    Ok(info) if (info.state.last_sequence as i64) >= next => {
                        next += 1;
                        continue;
                    }
                    _ => return Ok(()),
                }
            }
            Err(e) => return Err(format!("the town's steps: {e}")),
        };
        let step: crate::service::TownStepIn = match serde_json::from_slice(&m.payload) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("sync: the town's step {next} does not read ({e}); skipped");
                crate::service::TownStepIn {
                    tracking: String::new(),
                    to: None,
                    settled: false,
                    note: String::new(),
                    staff: String::new(),
                }
            }
        };
        let seq = next;
        s.with_station(move |st| st.take_town_step(seq, &step))
            .await
            .map_err(|e| e.0)?
            .map_err(|e| format!("the town's step {seq}: {e}"))?;
        next += 1;
    }
}

/// Erases from the station's stream the events of cases retention masked.
async fn erase(s: &AppState, events: &stream::Stream, code: &str) -> Result<(), String> {
    let pending = s.with_station(|st| st.stream_erase_pending()).await.map_err(|e| e.0)?.map_err(|e| e.to_string())?;
    for subject in pending {
        crate::town::hub::erase_subject(events, &station_subject(code, &subject)).await?;
        let done = subject.clone();
        s.with_station(move |st| st.stream_erase_done(&done)).await.map_err(|e| e.0)?.map_err(|e| e.to_string())?;
        tracing::info!("sync: the station's stream forgot {subject}");
    }
    Ok(())
}

/// Applies the newest list of matters the town published, if this station has not yet
/// (checked as a local import would be; refused whole otherwise, and the town told).
async fn take_up(s: &AppState, town_cfg: &stream::Stream) -> Result<bool, String> {
    let mut any = false;
    for key in ["matters", "holidays", "notices", "reasons"] {
        let m = match town_cfg.get_last_raw_message_by_subject(&format!("$KV.town_cfg.{key}")).await {
            Ok(m) => m,
            // Nothing published yet (or not mirrored yet).
            Err(_) => continue,
        };
        let v: serde_json::Value = match serde_json::from_slice(&m.payload) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("sync: the town's {key} does not read: {e}");
                continue;
            }
        };
        let (Some(version), Some(src)) = (v["version"].as_i64(), v["source"].as_str()) else { continue };
        let (src, note) = (src.to_string(), v["note"].as_str().unwrap_or("").to_string());
        let applied = s
            .with_station(move |st| match key {
                "matters" => st.apply_town_matters(version, &src, &note),
                "holidays" => st.apply_town_holidays(version, &src),
                "reasons" => st.apply_town_reasons(version, &src),
                _ => st.apply_town_notices(version, &src),
            })
            .await
            .map_err(|e| e.0)?
            .map_err(|e| format!("the town's {key}: {e}"))?;
        any |= applied;
    }
    Ok(any)
}

async fn heartbeat(s: &AppState, js: &jetstream::Context, code: &str) -> Result<(), String> {
    let body = s.with_station(|st| st.heartbeat()).await.map_err(|e| e.0)?.map_err(|e| e.to_string())?;
    let id = format!("{code}-hb-{}", chrono::Utc::now().timestamp());
    let publish =
        jetstream::message::PublishMessage::build().message_id(id).payload(body.to_string().into_bytes().into());
    let ack =
        js.send_publish(station_subject(code, "heartbeat"), publish).await.map_err(|e| format!("heartbeat: {e}"))?;
    ack.await.map_err(|e| format!("heartbeat: {e}"))?;
    Ok(())
}
