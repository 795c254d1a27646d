//! Desk sessions: kept on the server (the browser holds only a random id in an HttpOnly,
//! SameSite=Strict cookie), signed out after 15 idle minutes, and carrying the token
//! every change must send back (CSRF).

use crate::service::Signed;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const COOKIE: &str = "kiosk_desk";
/// Sign-out after this long without a request.
pub const IDLE: Duration = Duration::from_secs(15 * 60);

/// Who a session belongs to: a station's staff member ([`Signed`]), or the town's.
pub trait Who: Clone {
    fn no(&self) -> &str;
}

impl Who for Signed {
    fn no(&self) -> &str {
        Signed::no(self)
    }
}

#[derive(Debug, Clone)]
pub struct Session<W = Signed> {
    pub who: W,
    pub window: Option<u32>,
    pub csrf: String,
    last: Instant,
    /// The outcome of the last button, shown for a few seconds: (is an error, text, when).
    pub flash: Option<(bool, String, Instant)>,
    /// A case whose full ID and phone the next page of it may show, once (after 显示完整…).
    reveal: Option<(String, Instant)>,
    /// The ID number a villager's 个人信息 request at the window is about, for a few
    /// minutes (kept on the server, never in a URL or a page's address).
    subject: Option<(String, Instant)>,
}

/// How long a button's outcome stays on the desk.
pub const FLASH: Duration = Duration::from_secs(8);

impl<W> Session<W> {
    /// The outcome of the last button, while it is fresh.
    pub fn message(&self) -> Option<(bool, &str)> {
        self.flash.as_ref().filter(|f| f.2.elapsed() < FLASH).map(|f| (f.0, f.1.as_str()))
    }
}

/// What became of a session id.
pub enum Lookup<W = Signed> {
    Active(Box<Session<W>>),
    Expired,
    Unknown,
}

pub struct Sessions<W = Signed> {
    map: Mutex<HashMap<String, Session<W>>>,
}

impl<W> Default for Sessions<W> {
    fn default() -> Self {
        Sessions { map: Mutex::new(HashMap::new()) }
    }
}

/// 256 random bits, base32: a session id or a CSRF token.
pub fn random_id() -> Option<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).ok()?;
    Some(crate::domain::ticket::base32(&b))
}

/// Compares two secrets without stopping at the first difference.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl<W: Who> Sessions<W> {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session<W>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session for `who`; returns its id, or None if no randomness was available.
    /// The member's older sessions end: one sign-in at a time (a PC left signed in
    /// elsewhere is signed out by signing in here).
    pub fn start(&self, who: W) -> Option<String> {
        let id = random_id()?;
        let csrf = random_id()?;
        let mut map = self.map();
        map.retain(|_, s| s.last.elapsed() < IDLE && s.who.no() != who.no());
        map.insert(
            id.clone(),
            Session { who, window: None, csrf, last: Instant::now(), flash: None, reveal: None, subject: None },
        );
        Some(id)
    }

    /// The session behind `id`, touched (its idle clock restarts).
    pub fn get(&self, id: &str) -> Lookup<W> {
        let mut map = self.map();
        match map.get_mut(id) {
            Some(s) if s.last.elapsed() >= IDLE => {
                map.remove(id);
                Lookup::Expired
            }
            Some(s) => {
                s.last = Instant::now();
                Lookup::Active(Box::new(s.clone()))
            }
            None => Lookup::Unknown,
        }
    }

    pub fn set_window(&self, id: &str, window: Option<u32>) {
        if let Some(s) = self.map().get_mut(id) {
            s.window = window;
        }
    }

    pub fn flash(&self, id: &str, error: bool, text: impl Into<String>) {
        if let Some(s) = self.map().get_mut(id) {
            s.flash = Some((error, text.into(), Instant::now()));
        }
    }

    /// The next page of case `tracking` in this session may show its full data.
    pub fn grant_reveal(&self, id: &str, tracking: &str) {
        if let Some(s) = self.map().get_mut(id) {
            s.reveal = Some((tracking.to_string(), Instant::now()));
        }
    }

    /// Whether this page of case `tracking` may show its full data; the grant is used up
    /// either way, and lasts a minute at most.
    pub fn take_reveal(&self, id: &str, tracking: &str) -> bool {
        self.map()
            .get_mut(id)
            .and_then(|s| s.reveal.take())
            .is_some_and(|(t, at)| t == tracking && at.elapsed() < Duration::from_secs(60))
    }

    /// The ID number a 个人信息 request is about (None ends it).
    pub fn set_subject(&self, id: &str, subject: Option<String>) {
        if let Some(s) = self.map().get_mut(id) {
            s.subject = subject.map(|x| (x, Instant::now()));
        }
    }

    /// The ID number of the request in hand, for ten minutes at most.
    pub fn subject(&self, id: &str) -> Option<String> {
        self.map()
            .get_mut(id)
            .and_then(|s| s.subject.clone())
            .filter(|(_, at)| at.elapsed() < Duration::from_secs(600))
            .map(|(x, _)| x)
    }

    pub fn end(&self, id: &str) {
        self.map().remove(id);
    }

    /// The session behind `id` without touching it: a live stream watching the desk is
    /// not the staff member doing something.
    pub fn peek(&self, id: &str) -> Option<Session<W>> {
        self.map().get(id).filter(|s| s.last.elapsed() < IDLE).cloned()
    }
}

/// The desk cookie's value from a Cookie header.
pub fn cookie_id(header: Option<&str>) -> Option<String> {
    cookie_named(header, COOKIE)
}

/// The value of the session cookie `name` from a Cookie header (letters and digits only).
pub fn cookie_named(header: Option<&str>, name: &str) -> Option<String> {
    header?.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name && !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| v.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_secrets() {
        assert_eq!(cookie_id(Some("a=b; kiosk_desk=abc234; c=d")).as_deref(), Some("abc234"));
        assert_eq!(cookie_id(Some("kiosk_desk=../etc")), None);
        assert_eq!(cookie_id(None), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        let id = random_id().unwrap();
        assert_eq!(id.len(), 52);
    }
}
