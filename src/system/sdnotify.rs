//! Telling systemd how the kiosk is (sd_notify): READY=1 once the home page or the
//! service is up, WATCHDOG=1 while it keeps turning. Without $NOTIFY_SOCKET (not under
//! systemd) every call does nothing.

use std::time::Duration;

/// What the station service tells systemd once it listens (systemctl status shows the
/// STATUS line to the technician; it is not a page, so not translated).
pub const SERVE_READY: &str = "READY=1\nSTATUS=服务站服务已启动";

/// Sends `state` ("READY=1", "WATCHDOG=1", ...) to systemd; false when not under systemd
/// or the message could not be sent.
pub fn notify(state: &str) -> bool {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else { return false };
    let Ok(sock) = std::os::unix::net::UnixDatagram::unbound() else { return false };
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_bytes();
    let sent = match bytes.first() {
        Some(b'@') => {
            use std::os::linux::net::SocketAddrExt;
            match std::os::unix::net::SocketAddr::from_abstract_name(&bytes[1..]) {
                Ok(addr) => sock.send_to_addr(state.as_bytes(), &addr),
                Err(e) => Err(e),
            }
        }
        Some(_) => sock.send_to(state.as_bytes(), &path),
        None => return false,
    };
    sent.is_ok()
}

/// How often to ping the watchdog: half of systemd's WatchdogSec, if it is set. (The
/// kiosk runs as a child of the cage compositor, so WATCHDOG_PID names cage, not us; the
/// unit's NotifyAccess=all lets our pings count.)
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec / 2).max(Duration::from_millis(100)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifies_a_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let server = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        // SAFETY of the test: no other test reads NOTIFY_SOCKET.
        std::env::set_var("NOTIFY_SOCKET", &path);
        assert!(notify("READY=1"));
        std::env::remove_var("NOTIFY_SOCKET");
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        assert!(!notify("READY=1"), "not under systemd: nothing sent");
    }
}
