//! What every handler shares: a few handles on the station (each its own connection to
//! the store, used on blocking threads), the live snapshot, and the desk sessions.

use super::session::Sessions;
use crate::config::LoadedConfig;
use crate::domain::clock::Clock;
use crate::service::{Snapshot, Station};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The snapshot the live pages render from, with a sequence number that grows with every
/// change (a page compares it to know it must send).
#[derive(Debug, Clone)]
pub struct Live {
    pub seq: u64,
    pub snap: Arc<Snapshot>,
}

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    stations: Vec<Mutex<Station>>,
    cfg: LoadedConfig,
    clock: Clock,
    live: watch::Receiver<Live>,
    poke: std::sync::mpsc::Sender<()>,
    pub sessions: Sessions,
    stopping: watch::Receiver<bool>,
    /// The names and addresses the station answers as (the Host check).
    hosts: super::guard::Hosts,
    /// Live streams open, per address and in all.
    streams: super::net::Counter,
    /// Failed sign-ins per address.
    throttle: super::guard::SignInThrottle,
    /// Where the desk is served over HTTPS (its port) and the CA a PC trusts for it.
    https: Option<(u16, String)>,
}

/// A service call failed for a reason that is the station's, not the request's.
#[derive(Debug)]
pub struct Unavailable(pub String);

impl AppState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        stations: Vec<Station>,
        cfg: LoadedConfig,
        clock: Clock,
        live: watch::Receiver<Live>,
        poke: std::sync::mpsc::Sender<()>,
        stopping: watch::Receiver<bool>,
        hosts: super::guard::Hosts,
        streams: super::net::Counter,
        https: Option<(u16, String)>,
    ) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                stations: stations.into_iter().map(Mutex::new).collect(),
                cfg,
                clock,
                live,
                poke,
                sessions: Sessions::default(),
                stopping,
                hosts,
                streams,
                throttle: Default::default(),
                https,
            }),
        }
    }

    /// The HTTPS port of the desk and the CA certificate (PEM) behind it, if served.
    pub fn https(&self) -> Option<&(u16, String)> {
        self.inner.https.as_ref()
    }

    pub fn hosts(&self) -> &super::guard::Hosts {
        &self.inner.hosts
    }

    pub fn streams(&self) -> &super::net::Counter {
        &self.inner.streams
    }

    pub fn throttle(&self) -> &super::guard::SignInThrottle {
        &self.inner.throttle
    }

    pub fn cfg(&self) -> &LoadedConfig {
        &self.inner.cfg
    }

    /// The station's clock (`KIOSK_NOW` included).
    pub fn clock(&self) -> Clock {
        self.inner.clock
    }

    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// The current snapshot.
    pub fn live(&self) -> Live {
        self.inner.live.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<Live> {
        self.inner.live.clone()
    }

    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.inner.stopping.clone()
    }

    /// Runs `f` on a station handle on a blocking thread (the store is synchronous).
    /// Afterwards the live pages look again at once, so a change made here reaches every
    /// screen without waiting for the next poll.
    pub async fn with_station<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Station) -> T + Send + 'static,
    ) -> Result<T, Unavailable> {
        let inner = self.inner.clone();
        // What `f` words (a flash, a refusal) is in the request's language.
        let lang = crate::lang::current();
        let out = tokio::task::spawn_blocking(move || {
            let run = |st: &mut Station| {
                // Follow a newly published list of matters (one tiny query).
                if let Err(e) = st.reload_matters() {
                    tracing::warn!("list of matters not reloaded: {e}");
                }
                crate::lang::sync_scope(lang, || f(st))
            };
            // Any free handle; if all are busy, wait for the first.
            for m in &inner.stations {
                if let Ok(mut st) = m.try_lock() {
                    return Ok(run(&mut st));
                }
            }
            match inner.stations.first().map(|m| m.lock()) {
                Some(Ok(mut st)) => Ok(run(&mut st)),
                Some(Err(poisoned)) => Ok(run(&mut poisoned.into_inner())),
                None => Err(Unavailable("no station handle".into())),
            }
        })
        .await
        .map_err(|e| Unavailable(e.to_string()))?;
        let _ = self.inner.poke.send(());
        out
    }
}
