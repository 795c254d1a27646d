//! HTTPS for the desk, the admin pages and the town's site: staff PINs and session cookies
//! must not cross the station's Wi-Fi in clear (certificates: `system::certs`). The
//! villagers' phone pages stay on plain HTTP as well (the paper shows what they show); the
//! desk answers plain HTTP only on the box itself (loopback).

pub use crate::system::certs::{acceptor, hosts, own_cert, WebCert};

/// Whether a request came over HTTPS (set by the door on each TLS connection).
#[derive(Debug, Clone, Copy)]
pub struct Https;

/// The cookie attributes for a session cookie of `req`: `Secure` over HTTPS.
pub fn secure_suffix(https: bool) -> &'static str {
    if https {
        "; Secure"
    } else {
        ""
    }
}
