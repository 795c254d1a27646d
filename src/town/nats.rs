//! The NATS servers of the township link: their configuration, written by the program (no
//! one writes one by hand), and the server itself, run as a supervised child of the service
//! that needs it — the town's hub under `kiosk town serve`, a joined station's leaf under
//! `kiosk serve`. The child dies with its parent (Linux's parent-death signal, armed from a
//! thread that lives as long as the service) and a server left by a parent killed before
//! that (its pid file) is stopped at the next start.
//!
//! The shape (measured on Debian's nats-server 2.9.10, see TECH-NOTES): every station's
//! server is a leaf of the town's with its own JetStream domain (its code); the link uses
//! TLS with the town's CA; each station is a user of the town's `TOWN` account that may
//! send only its own deliveries up and receive only what the town publishes for stations.

use crate::config::{JoinFile, TownConfig};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The events of a station go into this stream of its own server (`EV_S01`).
pub fn station_stream(code: &str) -> String {
    format!("EV_{}", code.to_ascii_uppercase())
}

/// And under these subjects (`evt.s01.ticket.called`).
pub fn station_subject(code: &str, kind: &str) -> String {
    format!("evt.{code}.{kind}")
}

/// The town's steps on a station's 代办 cases go into this stream at the town (`STEPS_S01`,
/// subjects `step.s01.<tracking>`), which the station mirrors: each station reads only its own.
pub fn steps_stream(code: &str) -> String {
    format!("STEPS_{}", code.to_ascii_uppercase())
}

/// The town's stream that sources every station's.
pub const TOWN_STREAM: &str = "TOWN_EVENTS";

/// A quoted string for the server's configuration.
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn host_port(listen: &str) -> (&str, &str) {
    listen.rsplit_once(':').unwrap_or((listen, "4222"))
}

/// The hub's configuration: the town's own user, one user per station with the minimal
/// permission set (reference/nats-township.md §5), TLS on the leaf port.
pub fn hub_conf(town: &TownConfig, pki: &Path, store: &Path, advertise: Option<&str>) -> String {
    let mut users = vec![format!("      {{ user: \"town\", password: {} }}", q(&town.town_password))];
    for s in &town.stations {
        let c = &s.code;
        let up = s.code.to_ascii_uppercase();
        users.push(format!(
            "      {{ user: {user}, password: {pw}, allowed_connection_types: [\"LEAFNODE\"],\n        permissions: {{\n          publish: [\"dlv.{c}.>\", \"$JSC.R.>\", \"$JS.town.API.CONSUMER.CREATE.KV_town_cfg\", \"$JS.FC.KV_town_cfg.>\", \"$JS.town.API.CONSUMER.CREATE.STEPS_{up}\", \"$JS.FC.STEPS_{up}.>\"]\n          subscribe: [\"$JS.{c}.API.CONSUMER.CREATE.EV_{up}\", \"$JSC.R.>\", \"dlvm.{c}.>\", \"dlvs.{c}.>\", \"$JS.FC.EV_{up}.>\"]\n        }} }}",
            user = q(c),
            pw = q(&s.password_hash),
        ));
    }
    let (_, _) = host_port(&town.nats_listen);
    format!(
        "# Written by kiosk town serve from town.toml; changes here are overwritten.\n\
         server_name: \"town\"\n\
         listen: {listen}\n\
         http: {monitor}\n\
         jetstream {{ domain: \"town\", store_dir: {store} }}\n\
         accounts {{\n  TOWN {{\n    jetstream: enabled\n    users: [\n{users}\n    ]\n  }}\n  \
         NOBODY {{ users: [ {{ user: \"nobody\", password: {nobody}, allowed_connection_types: [\"MQTT\"] }} ] }}\n}}\n\
         # A leaf that names no user is bound to nobody, who may not connect at all.\n\
         no_auth_user: \"nobody\"\n\
         leafnodes {{\n  listen: {leaf}\n{advertise}  tls {{ cert_file: {cert}, key_file: {key}, timeout: 3 }}\n}}\n",
        listen = q(&town.nats_listen),
        monitor = q(&town.nats_monitor),
        store = q(&store.display().to_string()),
        users = users.join("\n"),
        nobody = q(&format!("x-{}", town.town_password)),
        leaf = q(&town.leaf_listen),
        advertise = advertise.map(|a| format!("  advertise: {}\n", q(a))).unwrap_or_default(),
        cert = q(&pki.join("hub.pem").display().to_string()),
        key = q(&pki.join("hub.key").display().to_string()),
    )
}

/// A station's configuration: its own JetStream domain, and the leaf link to the town over
/// TLS trusting only the town's CA.
pub fn station_conf(join: &JoinFile, ca_file: &Path, store: &Path) -> String {
    // The credentials travel in the URL (2.9 has no user/password keys on a remote).
    let url = format!("tls://{}:{}@{}", join.code, join.password, join.hub);
    format!(
        "# Written by kiosk serve from town-join.toml; changes here are overwritten.\n\
         server_name: {name}\n\
         listen: {listen}\n\
         http: {monitor}\n\
         jetstream {{ domain: {domain}, store_dir: {store} }}\n\
         leafnodes {{\n  reconnect: 1\n  remotes: [ {{ url: {url}, tls {{ ca_file: {ca} }} }} ]\n}}\n\
         # A cut link is noticed in seconds, not minutes.\n\
         ping_interval: \"5s\"\n\
         ping_max: 2\n",
        name = q(&format!("station-{}", join.code)),
        listen = q(&join.nats_listen),
        monitor = q(&join.nats_monitor),
        domain = q(&join.code),
        store = q(&store.display().to_string()),
        url = q(&url),
        ca = q(&ca_file.display().to_string()),
    )
}

/// A running nats-server, restarted if it dies, stopped when dropped or when the service
/// ends (and killed by the kernel if the service is killed).
pub struct Supervised {
    stop: Arc<AtomicBool>,
    child: Arc<Mutex<Option<Child>>>,
    pid_file: PathBuf,
}

impl Supervised {
    /// Starts `nats-server -c conf`, logging to `log`, its pid in `pid_file`.
    pub fn start(conf: &Path, log: &Path, pid_file: &Path) -> std::io::Result<Supervised> {
        stop_stale(pid_file);
        let stop = Arc::new(AtomicBool::new(false));
        let child: Arc<Mutex<Option<Child>>> = Arc::new(Mutex::new(None));
        let (conf, log, pid) = (conf.to_path_buf(), log.to_path_buf(), pid_file.to_path_buf());
        let first = spawn(&conf, &log)?;
        let _ = std::fs::write(&pid, first.id().to_string());
        if let Ok(mut c) = child.lock() {
            *c = Some(first);
        }
        let (s, c) = (stop.clone(), child.clone());
        // The thread that spawns lives as long as the server: the parent-death signal fires
        // when the spawning *thread* ends.
        std::thread::Builder::new().name("nats-server".into()).spawn(move || watch(s, c, conf, log, pid))?;
        Ok(Supervised { stop, child, pid_file: pid_file.to_path_buf() })
    }

    /// The server's process id now.
    pub fn pid(&self) -> Option<u32> {
        self.child.lock().ok().and_then(|c| c.as_ref().map(Child::id))
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(mut c) = self.child.lock() {
            if let Some(mut ch) = c.take() {
                let _ = ch.kill();
                let _ = ch.wait();
            }
        }
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

fn spawn(conf: &Path, log: &Path) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    let out = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
    let err = out.try_clone()?;
    let mut cmd = Command::new("nats-server");
    cmd.arg("-c").arg(conf).stdin(Stdio::null()).stdout(out).stderr(err);
    // SAFETY: between fork and exec only the async-signal-safe prctl(2) runs.
    unsafe {
        cmd.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
                .map_err(std::io::Error::from)
        });
    }
    cmd.spawn()
}

fn watch(stop: Arc<AtomicBool>, child: Arc<Mutex<Option<Child>>>, conf: PathBuf, log: PathBuf, pid: PathBuf) {
    let mut backoff = Duration::from_millis(500);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let exited = match child.lock() {
            Ok(mut c) => match c.as_mut().map(|ch| ch.try_wait()) {
                Some(Ok(Some(status))) => Some(status.to_string()),
                Some(Ok(None)) => None,
                Some(Err(e)) => Some(e.to_string()),
                None => Some("not running".into()),
            },
            Err(_) => return,
        };
        let Some(why) = exited else {
            backoff = Duration::from_millis(500);
            continue;
        };
        tracing::warn!("nats-server ended ({why}); starting it again in {backoff:?}");
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(30));
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match spawn(&conf, &log) {
            Ok(ch) => {
                let _ = std::fs::write(&pid, ch.id().to_string());
                if let Ok(mut c) = child.lock() {
                    *c = Some(ch);
                }
            }
            Err(e) => tracing::error!("nats-server could not start: {e}"),
        }
    }
}

/// A server a killed service left behind (its pid file names a live nats-server): stopped.
fn stop_stale(pid_file: &Path) {
    let Ok(text) = std::fs::read_to_string(pid_file) else { return };
    let Ok(pid) = text.trim().parse::<i32>() else { return };
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if !String::from_utf8_lossy(&cmdline).contains("nats-server") {
        return;
    }
    if let Some(p) = rustix::process::Pid::from_raw(pid) {
        tracing::warn!("stopping nats-server {pid} left by an earlier run");
        let _ = rustix::process::kill_process(p, rustix::process::Signal::TERM);
        for _ in 0..50 {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
    }
    let _ = std::fs::remove_file(pid_file);
}

/// Whether the server at `monitor` (its HTTP port) has a live leaf link (GET /leafz).
pub fn leaf_count(monitor: &str) -> Option<u64> {
    use std::io::{Read, Write};
    let addr: std::net::SocketAddr = monitor.parse().ok()?;
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(format!("GET /leafz HTTP/1.0\r\nHost: {monitor}\r\n\r\n").as_bytes()).ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    let json = body.split_once("\r\n\r\n")?.1;
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v["leafnodes"].as_u64()
}

/// Runs `once` again and again, `pause` apart, until `stop`: a link, a connection or a
/// server that fails is tried again by itself; each failure is logged as `what`'s.
pub async fn keep_running<F, Fut>(
    what: &str,
    pause: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
    mut once: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    loop {
        tokio::select! {
            r = once() => if let Err(e) = r { tracing::warn!("{what}: {e}; trying again") },
            _ = stop.wait_for(|s| *s) => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
