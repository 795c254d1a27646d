//! The certificates of the desk's and the town site's HTTPS: a joined station serves the
//! one the town's CA issued it (in its join file); a station on its own makes its own
//! certificate authority and certificate at its first start (in `DATA/tls/`, its owner's
//! only), for the box's names and addresses. A window PC trusts the CA once (`/ca.pem`,
//! see docs/operations.md). The server (`server::tls`) puts them on its connections.

use crate::town::pki;
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// A server certificate, its key and the CA that signed it (PEM).
#[derive(Debug, Clone)]
pub struct WebCert {
    pub cert: String,
    pub key: String,
    pub ca: String,
}

/// The station's own CA and certificate in `dir` (made on first use), for `hosts`.
pub fn own_cert(dir: &Path, station: &str, hosts: &[String]) -> Result<WebCert, String> {
    let (ca_cert, ca_key, cert, key) =
        (dir.join("ca.pem"), dir.join("ca.key"), dir.join("web.pem"), dir.join("web.key"));
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}：读不到（{e}）", p.display()));
    if !ca_cert.exists() || !ca_key.exists() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}：不能创建文件夹（{e}）", dir.display()))?;
        let ca = pki::new_ca(station).map_err(|e| format!("不能生成证书：{e}"))?;
        write_private(&ca_key, &ca.key)?;
        write_private(&ca_cert, &ca.cert)?;
        // A new CA: the old certificate (if any) is no longer its.
        let _ = std::fs::remove_file(&cert);
    }
    // A certificate made for other addresses is made again (the station moved, or listens
    // somewhere new).
    let wanted = hosts.join(",");
    let names_file = dir.join("web.hosts");
    let same_hosts = std::fs::read_to_string(&names_file).map(|h| h.trim() == wanted).unwrap_or(false);
    if !cert.exists() || !key.exists() || !same_hosts {
        let issued = pki::issue_server(station, &read(&ca_key)?, &format!("{station} 工作台"), hosts)
            .map_err(|e| format!("不能生成证书：{e}"))?;
        write_private(&key, &issued.key)?;
        write_private(&cert, &issued.cert)?;
        write_private(&names_file, &wanted)?;
    }
    Ok(WebCert { cert: read(&cert)?, key: read(&key)?, ca: read(&ca_cert)? })
}

/// A certificate, its key and its CA from the files `cert`, `key` and `ca` in `dir`.
pub fn read(dir: &Path, cert: &str, key: &str, ca: &str) -> Result<WebCert, String> {
    let read =
        |f: &str| std::fs::read_to_string(dir.join(f)).map_err(|e| format!("{}：读不到（{e}）", dir.join(f).display()));
    Ok(WebCert { cert: read(cert)?, key: read(key)?, ca: read(ca)? })
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    crate::system::files::write_atomically(path, text.as_bytes())
        .map_err(|e| format!("{}：写不进去（{e}）", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("{}：不能设为只有本账户可读（{e}）", path.display()))
}

/// The names a certificate is made for: the box itself, its name, and every address the
/// service listens on or is reached at.
pub fn hosts(listen: &[String], public_base_url: &str) -> Vec<String> {
    let mut out: Vec<String> = vec!["localhost".into(), "127.0.0.1".into()];
    let mut add = |h: &str| {
        let h = h.trim().trim_matches(|c| c == '[' || c == ']');
        if !h.is_empty() && h != "0.0.0.0" && h != "::" && !out.iter().any(|x| x == h) {
            out.push(h.to_string());
        }
    };
    if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        add(&name);
    }
    for a in listen {
        let host = a.rsplit_once(':').map(|(h, _)| h).unwrap_or(a);
        if matches!(host.trim_matches(|c| c == '[' || c == ']'), "0.0.0.0" | "::") {
            // Every interface: each of this box's addresses.
            for ip in local_addresses() {
                add(&ip.to_string());
            }
        } else {
            add(host);
        }
    }
    let authority = public_base_url.split_once("://").map(|(_, r)| r).unwrap_or(public_base_url);
    let authority = authority.split('/').next().unwrap_or("");
    add(authority.rsplit_once(':').map(|(h, _)| h).unwrap_or(authority));
    out
}

/// This box's own addresses: IPv4 from the kernel's routing table (`/proc/net/fib_trie`,
/// its "/32 host LOCAL" entries), IPv6 from `/proc/net/if_inet6` (not link-local).
pub fn local_addresses() -> Vec<std::net::IpAddr> {
    let mut out: Vec<std::net::IpAddr> = Vec::new();
    if let Ok(trie) = std::fs::read_to_string("/proc/net/fib_trie") {
        let mut last: Option<std::net::Ipv4Addr> = None;
        for line in trie.lines() {
            let t = line.trim_start_matches([' ', '|', '+', '-', '`']).trim();
            if let Ok(ip) = t.parse::<std::net::Ipv4Addr>() {
                last = Some(ip);
            } else if t.starts_with("/32 host LOCAL") {
                if let Some(ip) = last.filter(|ip| !ip.is_loopback()) {
                    if !out.contains(&ip.into()) {
                        out.push(ip.into());
                    }
                }
            }
        }
    }
    // The address packets to the LAN leave from (the kernel's choice of route), in case
    // the routing table cannot be read.
    let out_ip = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("10.255.255.254:9").and_then(|_| s.local_addr()))
        .map(|a| a.ip());
    if let Ok(ip) = out_ip {
        if !ip.is_loopback() && !ip.is_unspecified() && !out.contains(&ip) {
            out.push(ip);
        }
    }
    if let Ok(v6) = std::fs::read_to_string("/proc/net/if_inet6") {
        for line in v6.lines() {
            let Some(hex) = line.split_whitespace().next().filter(|h| h.len() == 32) else { continue };
            let Ok(n) = u128::from_str_radix(hex, 16) else { continue };
            let ip = std::net::Ipv6Addr::from(n);
            let link_local = (ip.segments()[0] & 0xffc0) == 0xfe80;
            if !ip.is_loopback() && !link_local && !out.contains(&ip.into()) {
                out.push(ip.into());
            }
        }
    }
    out
}

/// A TLS acceptor for `cert`.
pub fn acceptor(cert: &WebCert) -> Result<TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert.cert.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("证书读不懂：{e}"))?;
    let key = PrivateKeyDer::from_pem_slice(cert.key.as_bytes()).map_err(|e| format!("证书的私钥读不懂：{e}"))?;
    // ring, as the NATS client uses (aws-lc-rs would add a C build with cmake); rustls
    // 0.23.48 marks it deprecated for want of post-quantum key exchange, not for a flaw.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS：{e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("证书和私钥对不上：{e}"))?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_desk_defaults_to_8443_beside_each_lan_address() {
        use crate::config::default_https_listen as d;
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(d(&v(&["192.168.1.10:8080", "127.0.0.1:8080"])), v(&["192.168.1.10:8443"]));
        assert_eq!(d(&v(&["127.0.0.1:8080", "localhost:8080", "[::1]:8080"])), Vec::<String>::new());
        assert_eq!(d(&v(&["0.0.0.0:0"])), v(&["0.0.0.0:0"]));
    }

    #[test]
    fn a_certificate_is_made_once_and_again_for_new_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let a = own_cert(dir.path(), "南刘庄", &["localhost".into(), "192.168.1.10".into()]).unwrap();
        let b = own_cert(dir.path(), "南刘庄", &["localhost".into(), "192.168.1.10".into()]).unwrap();
        assert_eq!(a.cert, b.cert, "kept");
        let c = own_cert(dir.path(), "南刘庄", &["localhost".into(), "192.168.1.20".into()]).unwrap();
        assert_ne!(a.cert, c.cert, "made again for the new address");
        assert_eq!(a.ca, c.ca, "by the same CA: the PCs trust it still");
        assert!(acceptor(&c).is_ok());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("ca.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the CA's key is the service's only");
    }
}
