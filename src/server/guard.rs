//! What the service refuses before a handler runs, because of who asks rather than what:
//! a request whose Host is not a name or address the station listens as (a web page on a
//! villager's phone reaching the desk by DNS rebinding), and sign-in attempts from an
//! address that has failed too often (throttled before it could lock an account alone).

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The names and addresses the station answers as.
#[derive(Debug, Clone, Default)]
pub struct Hosts {
    names: HashSet<String>,
    ips: HashSet<IpAddr>,
    /// Listening on every interface: any address of this box is one the station listens as.
    any_ip: bool,
}

impl Hosts {
    /// From the addresses listened on and the address printed in the QR codes.
    pub fn new(listening: &[SocketAddr], public_base_url: &str) -> Hosts {
        let mut h = Hosts::default();
        for a in listening {
            if a.ip().is_unspecified() {
                h.any_ip = true;
            }
            h.ips.insert(a.ip().to_canonical());
        }
        h.names.insert("localhost".into());
        let rest = public_base_url.split_once("://").map(|x| x.1).unwrap_or(public_base_url);
        let authority = rest.split('/').next().unwrap_or("");
        let host = host_part(authority);
        match host.parse::<IpAddr>() {
            Ok(ip) => {
                h.ips.insert(ip.to_canonical());
            }
            Err(_) if !host.is_empty() => {
                h.names.insert(host);
            }
            Err(_) => {}
        }
        h
    }

    /// Whether a request with this Host header is for the station. No Host (an HTTP/1.0
    /// client on the box) is let through: DNS rebinding always sends one.
    pub fn allows(&self, host: Option<&str>) -> bool {
        let Some(host) = host else { return true };
        let host = host_part(host);
        match host.parse::<IpAddr>() {
            Ok(ip) => {
                let ip = ip.to_canonical();
                self.ips.contains(&ip) || (self.any_ip && !ip.is_unspecified()) || ip.is_loopback()
            }
            Err(_) => self.names.contains(&host),
        }
    }
}

/// The host of `host[:port]` or `[v6]:port`, lower case.
pub(super) fn host_part(authority: &str) -> String {
    let a = authority.trim();
    let host = if let Some(rest) = a.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        a.rsplit_once(':').map(|(h, p)| if p.bytes().all(|b| b.is_ascii_digit()) { h } else { a }).unwrap_or(a)
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Sign-ins per address. Every attempt is counted when it is let in (so attempts sent in
/// parallel cannot pass the count) and forgotten when it succeeds. Three within 15 minutes
/// are let through; after that, one attempt every two minutes, until 15 minutes pass
/// without a failure.
///
/// An address's wrong PINs count towards the accounts' own lock (five, in the store) only
/// for its first three attempts: after that its attempts are still checked, slowly, but
/// count for nothing, so one device on the LAN cannot lock the station head out (a lock
/// still comes from guesses spread over several devices). Counted in memory: a restart
/// forgets it; the accounts' own counts and locks are in the store.
pub struct SignInThrottle {
    map: Mutex<HashMap<IpAddr, Address>>,
}

#[derive(Default)]
struct Address {
    /// Attempts not (yet) known to have succeeded, within the window.
    recent: VecDeque<Instant>,
    /// Attempts that counted towards an account's lock, since the service started.
    charged: usize,
}

/// Whether an attempt let through counts towards the account's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    Counted,
    Uncounted,
}

const FREE_FAILURES: usize = 3;
/// Below the accounts' five ([`crate::service::auth::MAX_ATTEMPTS`]), leaving the owner a
/// slip of their own before the lock.
const CHARGES: usize = 3;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const DRIP: Duration = Duration::from_secs(120);

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle { map: Mutex::new(HashMap::new()) }
    }
}

impl SignInThrottle {
    /// Lets an attempt from `ip` in (and counts it as failed until [`Self::succeeded`]),
    /// or says how many minutes until this address may try again.
    pub fn admit(&self, ip: IpAddr) -> Result<Admitted, u64> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 4096 {
            // Many addresses at once: forget those quiet for a window.
            map.retain(|_, a| a.recent.back().is_some_and(|t| t.elapsed() < WINDOW));
        }
        let a = map.entry(ip.to_canonical()).or_default();
        while a.recent.front().is_some_and(|t| t.elapsed() > WINDOW) {
            a.recent.pop_front();
        }
        if a.recent.len() >= FREE_FAILURES {
            let last = a.recent.back().map(|t| t.elapsed()).unwrap_or(DRIP);
            if last < DRIP {
                return Err((DRIP - last).as_secs().div_ceil(60).max(1));
            }
        }
        a.recent.push_back(Instant::now());
        while a.recent.len() > 20 {
            a.recent.pop_front();
        }
        if a.charged < CHARGES {
            a.charged += 1;
            Ok(Admitted::Counted)
        } else {
            Ok(Admitted::Uncounted)
        }
    }

    /// The attempt let in as `admitted` succeeded: the address's failures are forgotten,
    /// and the attempt did not use up one of its counted ones.
    pub fn succeeded(&self, ip: IpAddr, admitted: Admitted) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let ip = ip.to_canonical();
        if let Some(a) = map.get_mut(&ip) {
            a.recent.clear();
            if admitted == Admitted::Counted {
                a.charged = a.charged.saturating_sub(1);
            }
            if a.charged == 0 {
                map.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_the_station_listens_as() {
        let listening: Vec<SocketAddr> = vec!["192.168.1.10:8080".parse().unwrap(), "127.0.0.1:8080".parse().unwrap()];
        let h = Hosts::new(&listening, "http://192.168.1.10:8080");
        assert!(h.allows(Some("192.168.1.10:8080")));
        assert!(h.allows(Some("127.0.0.1:8080")));
        assert!(h.allows(Some("localhost:8080")));
        assert!(h.allows(None));
        assert!(!h.allows(Some("evil.example:8080")), "DNS rebinding");
        assert!(!h.allows(Some("192.168.1.99:8080")));
        let h = Hosts::new(&["0.0.0.0:8080".parse().unwrap()], "http://zhan.local:8080/");
        assert!(h.allows(Some("192.168.7.7:8080")));
        assert!(h.allows(Some("ZHAN.local:8080")));
        assert!(h.allows(Some("[::1]:8080")));
        assert!(!h.allows(Some("attacker.example")));
    }

    #[test]
    fn three_failures_then_a_drip_that_counts_for_nothing() {
        let t = SignInThrottle::default();
        let ip: IpAddr = "10.0.0.9".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(t.admit(ip), Ok(Admitted::Counted));
        }
        assert_eq!(t.admit(ip), Err(2), "attempts are counted as they are let in");
        assert_eq!(t.admit("10.0.0.8".parse().unwrap()), Ok(Admitted::Counted), "another address is not held back");
        // A good sign-in forgets the failures, but not what the address has counted.
        t.succeeded(ip, Admitted::Counted);
        assert_eq!(t.admit(ip), Ok(Admitted::Counted), "the good attempt's count is given back");
        assert_eq!(t.admit(ip), Ok(Admitted::Uncounted));
        assert_eq!(t.admit(ip), Ok(Admitted::Uncounted));
        assert_eq!(t.admit(ip), Err(2));
    }
}
