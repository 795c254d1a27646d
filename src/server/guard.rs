//! What the service refuses before a handler runs, because of who asks rather than what:
//! a request whose Host is not a name or address the station listens as (a web page on a
//! villager's phone reaching the desk by DNS rebinding), and sign-in attempts from an
//! address that has failed too often (throttled before any account's count moves).

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

/// Failed sign-ins per address: five within 15 minutes are let through; after that, one
/// attempt every two minutes, until 15 minutes pass without a failure. Counted in memory
/// (a restart forgets it; the accounts' own locks are in the store).
pub struct SignInThrottle {
    map: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

const FREE_FAILURES: usize = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const DRIP: Duration = Duration::from_secs(120);

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle { map: Mutex::new(HashMap::new()) }
    }
}

impl SignInThrottle {
    /// Ok, or how many minutes until this address may try again.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let Some(fails) = map.get_mut(&ip.to_canonical()) else { return Ok(()) };
        while fails.front().is_some_and(|t| t.elapsed() > WINDOW) {
            fails.pop_front();
        }
        if fails.len() < FREE_FAILURES {
            return Ok(());
        }
        let last = fails.back().map(|t| t.elapsed()).unwrap_or(DRIP);
        if last >= DRIP {
            Ok(())
        } else {
            Err((DRIP - last).as_secs().div_ceil(60).max(1))
        }
    }

    pub fn failed(&self, ip: IpAddr) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 4096 {
            // Many addresses at once: forget those quiet for a window.
            map.retain(|_, f| f.back().is_some_and(|t| t.elapsed() < WINDOW));
        }
        let fails = map.entry(ip.to_canonical()).or_default();
        fails.push_back(Instant::now());
        while fails.len() > 20 {
            fails.pop_front();
        }
    }

    pub fn succeeded(&self, ip: IpAddr) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(&ip.to_canonical());
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
    fn five_failures_then_a_drip() {
        let t = SignInThrottle::default();
        let ip: IpAddr = "10.0.0.9".parse().unwrap();
        for _ in 0..5 {
            assert!(t.check(ip).is_ok());
            t.failed(ip);
        }
        assert_eq!(t.check(ip), Err(2));
        assert!(t.check("10.0.0.8".parse().unwrap()).is_ok(), "another address is not held back");
        t.succeeded(ip);
        assert!(t.check(ip).is_ok());
    }
}
