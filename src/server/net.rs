//! The station service's door: every connection is accepted here, counted per address
//! and in all, and served by hyper with a deadline for each request's headers (which also
//! closes a keep-alive connection left idle) and for its body. The live streams are
//! counted the same way. A device on the station LAN that opens a thousand idle or
//! half-sent connections, or a thousand live streams, gets its share and no more: the
//! villager's page, the display and the desk go on answering.
//!
//! Refused connections get a short plain 503 and are closed at once; nothing here reads
//! a byte from them.
//!
//! Both counts keep the last eighth of their places for addresses that hold little (a
//! villager's phone, a window PC): when many devices together fill the rest, those that
//! already hold [`LIGHT`] or more are refused, and the phone page, its live stream and
//! the desk still find room. Of the live streams, only a ticket's and the desk's may use
//! the places kept back: the display's, which anyone may open, may not.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// How much of the service one device, and everyone together, may hold at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open connections in all (kiosk-serve.service's LimitNOFILE is sized for this).
    pub connections: usize,
    /// Open connections from one address: a few phones behind one Wi-Fi router (a
    /// browser opens up to six each) fit.
    pub connections_per_address: usize,
    /// Live streams (display, desk, pad, phones following their ticket) in all; fewer
    /// than the connections, so pages still open when every stream is taken.
    pub streams: usize,
    pub streams_per_address: usize,
    /// The whole of a request's headers must arrive within this (and an idle keep-alive
    /// connection is closed after it).
    pub header_timeout: Duration,
    /// A request's body must arrive within this.
    pub body_timeout: Duration,
}

pub const LIMITS: Limits = Limits {
    connections: 1024,
    connections_per_address: 64,
    streams: 800,
    streams_per_address: 32,
    header_timeout: Duration::from_secs(10),
    body_timeout: Duration::from_secs(10),
};

impl Limits {
    /// [`LIMITS`], with the totals lowered by `KIOSK_SERVE_CONNECTIONS` and
    /// `KIOSK_SERVE_STREAMS` when they are set (a small box; docs/operations.md). They
    /// cannot be raised: kiosk-serve.service's file limit is sized for the defaults.
    pub fn from_env() -> Limits {
        let lowered = |key: &str, default: usize| -> usize {
            let Ok(v) = std::env::var(key) else { return default };
            match v.trim().parse::<usize>() {
                Ok(n) if (8..=default).contains(&n) => n,
                _ => {
                    tracing::warn!("{key}={v:?} ignored: a whole number from 8 to {default}");
                    default
                }
            }
        };
        let mut l = LIMITS;
        l.connections = lowered("KIOSK_SERVE_CONNECTIONS", l.connections);
        l.streams = lowered("KIOSK_SERVE_STREAMS", l.streams).min(l.connections);
        l.connections_per_address = l.connections_per_address.min(l.connections);
        l.streams_per_address = l.streams_per_address.min(l.streams);
        l
    }
}

/// What an address holding fewer than this may still take from the places kept back.
pub const LIGHT: usize = 4;

/// Counts what each address holds (connections, or live streams) against two caps, and
/// keeps the last eighth of the total for addresses holding fewer than [`LIGHT`].
#[derive(Clone)]
pub struct Counter {
    inner: Arc<CounterInner>,
}

struct CounterInner {
    total_cap: usize,
    per_cap: usize,
    held: Mutex<(usize, HashMap<IpAddr, usize>)>,
    refused: AtomicU64,
}

/// One connection or stream held; given back when dropped.
pub struct Permit {
    inner: Arc<CounterInner>,
    ip: IpAddr,
}

impl Counter {
    pub fn new(total_cap: usize, per_cap: usize) -> Counter {
        Counter {
            inner: Arc::new(CounterInner {
                total_cap,
                per_cap,
                held: Mutex::new((0, HashMap::new())),
                refused: AtomicU64::new(0),
            }),
        }
    }

    /// A permit for `ip`, or None when it (or everyone) holds the most allowed.
    pub fn take(&self, ip: IpAddr) -> Option<Permit> {
        self.take_as(ip, true)
    }

    /// As [`Counter::take`]; `may_use_kept` says whether this one may have a place kept
    /// back (a live stream only for a ticket or a desk, not the display's anyone opens).
    pub fn take_as(&self, ip: IpAddr, may_use_kept: bool) -> Option<Permit> {
        let ip = ip.to_canonical();
        let mut held = self.inner.held.lock().unwrap_or_else(|p| p.into_inner());
        let mine = held.1.get(&ip).copied().unwrap_or(0);
        let kept_back = self.inner.total_cap / 8;
        let open_to_all = self.inner.total_cap - kept_back;
        if held.0 >= self.inner.total_cap
            || mine >= self.inner.per_cap
            || (held.0 >= open_to_all && !(may_use_kept && mine < LIGHT))
        {
            let n = self.inner.refused.fetch_add(1, Ordering::Relaxed);
            // Said once, then every thousandth time: a flood must not fill the log either.
            if n.is_multiple_of(1000) {
                tracing::warn!(
                    "refused from {ip}: it holds {mine} (at most {}), all hold {} (at most {}); {} refused so far",
                    self.inner.per_cap,
                    held.0,
                    self.inner.total_cap,
                    n + 1
                );
            }
            return None;
        }
        held.0 += 1;
        *held.1.entry(ip).or_insert(0) += 1;
        Some(Permit { inner: self.inner.clone(), ip })
    }

    /// How many are held now, in all.
    pub fn held(&self) -> usize {
        self.inner.held.lock().map(|h| h.0).unwrap_or(0)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut held = self.inner.held.lock().unwrap_or_else(|p| p.into_inner());
        held.0 = held.0.saturating_sub(1);
        if let Some(n) = held.1.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                held.1.remove(&self.ip);
            }
        }
    }
}

/// A response body that holds a permit until the body ends (a live stream's).
pub struct Held {
    pub body: Body,
    /// Held, never read: dropping it (with the body) gives the stream's place back.
    #[allow(dead_code)]
    pub permit: Permit,
}

impl http_body::Body for Held {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Length: 40\r\nConnection: close\r\nRetry-After: 10\r\n\r\n\xe6\x9c\x8d\xe5\x8a\xa1\xe7\xab\x99\xe5\xbd\x93\xe5\x89\x8d\
\xe5\xbf\x99\xef\xbc\x8c\xe8\xaf\xb7\xe7\xa8\x8d\xe5\x90\x8e\xe5\x86\x8d\xe8\xaf\x95\xe3\x80\x82\r\n";

/// Serves `app` on `listener` until `stop` turns true, within `limits`; over TLS when
/// `tls` is given (each request then carries [`super::tls::Https`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    conns: Counter,
    limits: Limits,
    stop: watch::Receiver<bool>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let mut stopping = stop.clone();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stopping.wait_for(|s| *s) => return,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of descriptors, or the like: wait rather than spin.
                tracing::warn!("accepting a connection failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(permit) = conns.take(peer.ip()) else {
            let _ = stream.try_write(REFUSED);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stop = stop.clone();
        match &tls {
            None => {
                tokio::spawn(connection(stream, peer, false, app, limits, stop, permit));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A handshake gets the time a request's headers get, no more.
                    match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => connection(tls, peer, true, app, limits, stop, permit).await,
                        Ok(Err(e)) => tracing::info!("a TLS handshake from {} failed: {e}", peer.ip()),
                        Err(_) => tracing::info!("a TLS handshake from {} took too long", peer.ip()),
                    }
                });
            }
        }
    }
}

/// Serves one connection until it ends or the service stops.
async fn connection<S>(
    stream: S,
    peer: SocketAddr,
    https: bool,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    permit: Permit,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        if https {
            req.extensions_mut().insert(super::tls::Https);
        }
        app.clone().oneshot(req.map(Body::new))
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_buf_size(64 * 1024);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let stopped = tokio::select! {
        _ = conn.as_mut() => false,
        r = stop.wait_for(|s| *s) => r.is_ok(),
    };
    if stopped {
        conn.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(Duration::from_secs(3), conn).await;
    }
    drop(permit);
}

/// Whether a request came over HTTPS.
pub fn is_https(req: &axum::extract::Request) -> bool {
    req.extensions().get::<super::tls::Https>().is_some()
}

/// The peer of a request, as the door recorded it.
pub fn peer(req: &axum::extract::Request) -> Option<SocketAddr> {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_count_per_address_and_in_all() {
        let c = Counter::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let p1 = c.take(a).unwrap();
        let _p2 = c.take(a).unwrap();
        assert!(c.take(a).is_none(), "two per address");
        let _p3 = c.take(b).unwrap();
        assert!(c.take(b).is_none(), "three in all");
        drop(p1);
        assert!(c.take(b).is_some(), "a permit given back is free again");
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(mapped.to_canonical(), a);
    }

    #[test]
    fn the_last_eighth_is_kept_for_addresses_that_hold_little() {
        let c = Counter::new(40, 32);
        let (a, b, phone): (IpAddr, IpAddr, IpAddr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap(), "10.0.0.3".parse().unwrap());
        let held_a: Vec<_> = std::iter::from_fn(|| c.take(a)).collect();
        assert_eq!(held_a.len(), 32, "one address: its own cap");
        let held_b: Vec<_> = std::iter::from_fn(|| c.take(b)).collect();
        assert_eq!(held_b.len(), LIGHT, "the open places (35) are gone; b then holds four");
        let held_phone: Vec<_> = std::iter::from_fn(|| c.take(phone)).collect();
        assert_eq!(held_phone.len(), LIGHT, "a phone still finds room");
        assert_eq!(c.held(), 40);
        drop(held_phone);
        assert!(c.take_as("10.0.0.4".parse().unwrap(), false).is_none(), "not for what anyone may open");
        assert!(c.take_as("10.0.0.4".parse().unwrap(), true).is_some());
    }
}
