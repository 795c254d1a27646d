//! The town's side of the link, run by `kiosk town serve`: the hub server, the stream
//! that sources every station's stream across its leaf link, and the ingest that applies
//! each event once into the town's store.

use super::nats::{self, Supervised, TOWN_STREAM};
use super::store;
use crate::config::TownConfig;
use async_nats::jetstream::{self, consumer::pull, stream};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_stream::StreamExt;

/// The folders of a running town.
pub struct TownPaths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl TownPaths {
    pub fn db(&self) -> PathBuf {
        self.data_dir.join("town.db")
    }
    fn nats_dir(&self) -> PathBuf {
        self.data_dir.join("nats")
    }
}

/// How long a station keeps its place in the town's stream: a day's duplicates are
/// recognised (a republish after a crash). The town's store is the record; the streams
/// keep no longer than the shortest retention a station may set, so nothing in them
/// outlives any station's own (a town service down for longer than that loses the
/// stations' events of those days from its stream; the stations still hold them).
const DUPLICATE_WINDOW: Duration = Duration::from_secs(24 * 3600);
const KEEP: Duration = Duration::from_secs(crate::config::MIN_RETENTION_DAYS as u64 * 24 * 3600);

/// Writes the hub's configuration and starts it. `advertise` is for tests (a dead port,
/// so that leaves do not reconnect around a test's proxy).
pub fn start_server(town: &TownConfig, paths: &TownPaths, advertise: Option<&str>) -> Result<Supervised, String> {
    let dir = paths.nats_dir();
    std::fs::create_dir_all(dir.join("js")).map_err(|e| format!("{}：{e}", dir.display()))?;
    let conf = dir.join("town.conf");
    let text = nats::hub_conf(town, &paths.config_dir.join(crate::config::TOWN_PKI_DIR), &dir.join("js"), advertise);
    crate::system::files::write_atomically(&conf, text.as_bytes()).map_err(|e| format!("{}：{e}", conf.display()))?;
    Supervised::start(&conf, &dir.join("nats-server.log"), &dir.join("nats-server.pid"))
        .map_err(|e| format!("nats-server 启动不了（{e}）；请安装 Debian 的 nats-server 软件包"))
}

/// The town's stream, sourcing each station's stream through its own delivery prefix.
fn town_stream(town: &TownConfig) -> stream::Config {
    stream::Config {
        name: TOWN_STREAM.to_string(),
        subjects: Vec::new(),
        duplicate_window: DUPLICATE_WINDOW,
        max_age: KEEP,
        sources: Some(
            town.stations
                .iter()
                .map(|s| stream::Source {
                    name: nats::station_stream(&s.code),
                    external: Some(stream::External {
                        api_prefix: format!("$JS.{}.API", s.code),
                        delivery_prefix: Some(format!("dlv.{}", s.code)),
                    }),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    }
}

/// Keeps the town's bucket `town_cfg` holding the newest list of matters the
/// town published (each station mirrors it), until `stop`.
pub async fn publish_config(town: TownConfig, db: PathBuf, stop: tokio::sync::watch::Receiver<bool>) {
    // What was put, kept across reconnections (a value is put again only when it changed).
    let put = std::sync::Arc::new(tokio::sync::Mutex::new(std::collections::HashMap::new()));
    nats::keep_running("town config", Duration::from_secs(2), stop, || {
        let (town, db, put) = (&town, &db, put.clone());
        async move { publish_once(town, db, &mut *put.lock().await).await }
    })
    .await
}

async fn publish_once(
    town: &TownConfig,
    db: &Path,
    put: &mut std::collections::HashMap<String, i64>,
) -> Result<(), String> {
    let client = async_nats::ConnectOptions::new()
        .user_and_password("town".into(), town.town_password.clone())
        .connect(format!("nats://{}", town.nats_listen))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let js = jetstream::new(client);
    // The bucket in the key-value layout (stream KV_town_cfg, subjects $KV.town_cfg.<key>,
    // the last 5 values of each), made as a plain stream: the client's bucket API does not
    // read 2.9's answer.
    js.create_or_update_stream(stream::Config {
        name: "KV_town_cfg".into(),
        subjects: vec!["$KV.town_cfg.>".into()],
        max_messages_per_subject: 5,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    })
    .await
    .map_err(|e| format!("bucket: {e}"))?;
    // Each station's own stream of the town's steps on its 代办 cases.
    for st in &town.stations {
        js.create_or_update_stream(stream::Config {
            name: nats::steps_stream(&st.code),
            subjects: vec![format!("step.{}.>", st.code)],
            duplicate_window: DUPLICATE_WINDOW,
            max_age: KEEP,
            ..Default::default()
        })
        .await
        .map_err(|e| format!("steps of {}: {e}", st.code))?;
    }
    loop {
        send_steps(db, &js).await?;
        erase(db, &js).await?;
        for what in store::Published::ALL {
            let latest = {
                let conn = store::open(db).map_err(|e| e.to_string())?;
                store::latest(&conn, what).map_err(|e| e.to_string())?
            };
            let Some((version, note, source)) = latest else { continue };
            if put.get(what.key()) == Some(&version) {
                continue;
            }
            let value = serde_json::json!({ "version": version, "note": note, "source": source });
            js.publish(format!("$KV.town_cfg.{}", what.key()), value.to_string().into_bytes().into())
                .await
                .map_err(|e| format!("put: {e}"))?
                .await
                .map_err(|e| format!("put: {e}"))?;
            tracing::info!("town config: {} version {version} published to the stations", what.key());
            put.insert(what.key().to_string(), version);
        }
        // Each station's events the town holds without a gap (1..=n): the station sends
        // again what it sent after n if n does not move (an acknowledgement of a server is
        // not the town's record).
        let confirmed: Vec<(String, i64)> = {
            let conn = store::open(db).map_err(|e| e.to_string())?;
            let mut v = Vec::new();
            for s in &town.stations {
                v.push((s.code.clone(), store::confirmed(&conn, &s.code).map_err(|e| e.to_string())?));
            }
            v
        };
        for (code, n) in confirmed {
            let key = format!("applied.{code}");
            if put.get(&key) == Some(&n) {
                continue;
            }
            js.publish(format!("$KV.town_cfg.{key}"), serde_json::json!({ "upto": n }).to_string().into_bytes().into())
                .await
                .map_err(|e| format!("put: {e}"))?
                .await
                .map_err(|e| format!("put: {e}"))?;
            put.insert(key, n);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Sends the town's steps on cases down, in order, each marked sent once the hub holds it
/// (message id `step-<id>`: a repeat after a crash is dropped).
async fn send_steps(db: &Path, js: &jetstream::Context) -> Result<(), String> {
    loop {
        let batch = {
            let conn = store::open(db).map_err(|e| e.to_string())?;
            super::cases::unsent_steps(&conn, 64).map_err(|e| e.to_string())?
        };
        if batch.is_empty() {
            return Ok(());
        }
        for (id, station, tracking, body) in batch {
            let publish = jetstream::message::PublishMessage::build()
                .message_id(format!("step-{id}"))
                .payload(body.into_bytes().into());
            js.send_publish(format!("step.{station}.{tracking}"), publish)
                .await
                .map_err(|e| format!("step {id}: {e}"))?
                .await
                .map_err(|e| format!("step {id}: {e}"))?;
            let conn = store::open(db).map_err(|e| e.to_string())?;
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            super::cases::mark_sent(&conn, id, &now).map_err(|e| e.to_string())?;
            tracing::info!("town step {id} on {station}:{tracking} sent down");
        }
    }
}

/// Erases from the town's stream the messages of masked cases (overwritten on disk, not
/// only marked deleted).
async fn erase(db: &Path, js: &jetstream::Context) -> Result<(), String> {
    let pending = {
        let conn = store::open(db).map_err(|e| e.to_string())?;
        super::cases::erase_pending(&conn).map_err(|e| e.to_string())?
    };
    if pending.is_empty() {
        return Ok(());
    }
    let Ok(s) = js.get_stream(TOWN_STREAM).await else { return Ok(()) };
    for subject in pending {
        erase_subject(&s, &subject).await?;
        let conn = store::open(db).map_err(|e| e.to_string())?;
        super::cases::erase_done(&conn, &subject).map_err(|e| e.to_string())?;
        tracing::info!("town stream: the messages of {subject} erased");
    }
    Ok(())
}

/// Erases every message of `subject` in `s` (the last one, again, until none is left).
pub async fn erase_subject(s: &stream::Stream, subject: &str) -> Result<(), String> {
    for _ in 0..10_000 {
        match s.get_last_raw_message_by_subject(subject).await {
            Ok(m) => {
                s.delete_message(m.sequence).await.map_err(|e| format!("erase {subject}: {e}"))?;
            }
            Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => return Ok(()),
            Err(e) => return Err(format!("erase {subject}: {e}")),
        }
    }
    Ok(())
}

/// Connects as the town, makes the stream and applies every event into town.db, until
/// `stop`. Reconnects by itself.
pub async fn ingest(town: TownConfig, db: PathBuf, stop: tokio::sync::watch::Receiver<bool>) {
    nats::keep_running("town ingest", Duration::from_secs(1), stop, || ingest_once(&town, &db)).await
}

async fn ingest_once(town: &TownConfig, db: &Path) -> Result<(), String> {
    let client = async_nats::ConnectOptions::new()
        .user_and_password("town".into(), town.town_password.clone())
        .connect(format!("nats://{}", town.nats_listen))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let js = jetstream::new(client);
    js.create_or_update_stream(town_stream(town)).await.map_err(|e| format!("stream: {e}"))?;
    let s = js.get_stream(TOWN_STREAM).await.map_err(|e| format!("stream: {e}"))?;
    let consumer: pull::Stream = s
        .get_or_create_consumer(
            "town-ingest",
            pull::Config {
                durable_name: Some("town-ingest".into()),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("consumer: {e}"))?
        .messages()
        .await
        .map_err(|e| format!("messages: {e}"))?;
    let mut messages = consumer;
    let mut conn = store::open(db).map_err(|e| e.to_string())?;
    while let Some(m) = messages.next().await {
        let m = m.map_err(|e| format!("message: {e}"))?;
        // evt.<station>.<kind>
        let subject = m.subject.as_str().to_string();
        let mut parts = subject.splitn(3, '.');
        let (Some("evt"), Some(station), Some(kind)) = (parts.next(), parts.next(), parts.next()) else {
            tracing::warn!("town ingest: a message on {subject} is not a station's event; skipped");
            let _ = m.ack().await;
            continue;
        };
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let body: serde_json::Value = serde_json::from_slice(&m.payload).unwrap_or_default();
        let at = body["at"].as_str().unwrap_or("").to_string();
        let applied = if kind == "heartbeat" {
            store::apply_heartbeat(&conn, station, &at, &body.to_string(), &now).map(|_| ())
        } else {
            match body["seq"].as_i64() {
                Some(seq) => {
                    store::apply_event(&mut conn, station, seq, kind, &at, &body["body"].to_string(), &now).map(|_| ())
                }
                None => {
                    tracing::warn!("town ingest: an event of {station} without a sequence; skipped");
                    Ok(())
                }
            }
        };
        // Acknowledged only once it is in the store: a crash before that redelivers it, and
        // the store keeps it once.
        match applied {
            Ok(()) => {
                let _ = m.ack().await;
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("the stream of events ended".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_town_keeps_no_event_longer_than_any_station_keeps_personal_data() {
        let shortest = Duration::from_secs(crate::config::MIN_RETENTION_DAYS as u64 * 24 * 3600);
        let town = crate::config::town_for_tests(&[("s01", "南村"), ("s02", "北村")]);
        assert!(town_stream(&town).max_age <= shortest);
        assert!(KEEP <= shortest);
        assert_eq!(town_stream(&town).sources.map(|s| s.len()), Some(2));
    }
}
