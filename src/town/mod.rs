//! The township link (issue 15): the town centre's box and each joined station as one
//! system over NATS JetStream, a station's server being a leaf of the town's.
//!
//! - [`pki`]: the town's certificate authority and the certificates it signs;
//! - [`nats`]: the servers' configuration, written by the program, and the supervised
//!   `nats-server` child;
//! - `server::sync`: at a joined station, the outbox (filled by the store's triggers)
//!   published in order into the station's own stream, marked sent on the server's
//!   acknowledgement;
//! - [`hub`]: at the town, the stream that sources every station's and the ingest that
//!   applies each event once into the town's store ([`store`]).
//!
//! Setting up is done from files, as a town IT person with a USB stick would:
//! `kiosk town init` (once, at the town), `kiosk town add-station` (one join file per
//! station), `kiosk town join FILE` (at the station).

pub mod cases;
pub mod hub;
pub mod nats;
pub mod office;
pub mod pki;
pub mod store;

use crate::config::{self, JoinFile, TownConfig, TownStation, JOIN_FILE, TOWN_FILE, TOWN_PKI_DIR};
use crate::system::files::write_atomically;
use std::path::{Path, PathBuf};

/// The config folder the township's files go in: the one given (`--config-dir`,
/// `$KIOSK_CONFIG_DIR`), else /etc/kiosk when installed, else ./kiosk-config.
pub fn config_home(paths: &crate::paths::Paths) -> PathBuf {
    paths.config_dir.clone().unwrap_or_else(|| {
        PathBuf::from(if crate::paths::installed() {
            crate::paths::INSTALLED_CONFIG_DIR
        } else {
            crate::paths::DEFAULT_CONFIG_DIR
        })
    })
}

/// A random secret of `n` letters and digits.
fn secret(n: usize) -> Result<String, String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| format!("没有取到随机数：{e}"))?;
    Ok(bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    write_atomically(path, text.as_bytes()).map_err(|e| format!("{}：写不进去（{e}）", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("{}：不能设为只有本账户可读（{e}）", path.display()))
}

fn mkdir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}：不能创建文件夹（{e}）", dir.display()))
}

/// Reads town.toml from `dir`.
pub fn read_town(dir: &Path) -> Result<TownConfig, String> {
    let path = dir.join(TOWN_FILE);
    let src = std::fs::read_to_string(&path).map_err(|e| {
        format!("{}：读不到（{e}）。这台电脑还没有设置成镇中心：先运行 kiosk town init", path.display())
    })?;
    config::parse_town(&path.display().to_string(), &src).map_err(|e| e.to_string())
}

/// Reads a station's town-join.toml from `dir`, if the station has joined.
pub fn read_join(dir: &Path) -> Result<Option<JoinFile>, String> {
    let path = dir.join(JOIN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(src) => config::parse_join(&path.display().to_string(), &src).map(Some).map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}：读不到（{e}）", path.display())),
    }
}

fn host(addr: &str) -> String {
    addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr).trim_matches(|c| c == '[' || c == ']').to_string()
}

/// What `kiosk town init` is told.
pub struct InitRequest<'a> {
    pub name: &'a str,
    pub leaf_listen: &'a str,
    pub leaf_address: Option<&'a str>,
    pub nats_listen: Option<&'a str>,
    pub nats_monitor: Option<&'a str>,
}

/// Makes the town's configuration, its certificate authority and its server's certificate
/// in `dir`. Refuses a folder that already has a town.toml (a second CA would cut every
/// joined station off).
pub fn init(dir: &Path, req: &InitRequest) -> Result<TownConfig, String> {
    let town_file = dir.join(TOWN_FILE);
    if town_file.exists() {
        return Err(format!(
            "{}：已经有镇中心的设置了。再做一次会换掉证书，已加入的站点都会连不上；如确要重来，请先把它移走",
            town_file.display()
        ));
    }
    let leaf_address = req.leaf_address.unwrap_or(req.leaf_listen);
    let draft = TownConfig {
        name: req.name.trim().to_string(),
        leaf_listen: req.leaf_listen.trim().to_string(),
        leaf_address: leaf_address.trim().to_string(),
        nats_listen: req.nats_listen.unwrap_or(config::TOWN_NATS).to_string(),
        nats_monitor: req.nats_monitor.unwrap_or(config::TOWN_NATS_MONITOR).to_string(),
        town_password: secret(32)?,
        stations: Vec::new(),
    };
    // The same checks as a file written by hand would get.
    let text = config::to_toml(&draft)?;
    let town = config::parse_town(&town_file.display().to_string(), &text).map_err(|e| e.to_string())?;
    let pki_dir = dir.join(TOWN_PKI_DIR);
    mkdir(&pki_dir)?;
    let ca = pki::new_ca(&town.name).map_err(|e| format!("不能生成证书：{e}"))?;
    let mut hosts = vec![host(&town.leaf_address)];
    for h in [host(&town.leaf_listen), "127.0.0.1".to_string(), "localhost".to_string()] {
        if !hosts.contains(&h) && h != "0.0.0.0" && h != "::" {
            hosts.push(h);
        }
    }
    let hub = pki::issue_server(&town.name, &ca.key, &format!("{} 镇中心", town.name), &hosts)
        .map_err(|e| format!("不能生成证书：{e}"))?;
    write_private(&pki_dir.join("ca.key"), &ca.key)?;
    write_private(&pki_dir.join("ca.pem"), &ca.cert)?;
    write_private(&pki_dir.join("hub.key"), &hub.key)?;
    write_private(&pki_dir.join("hub.pem"), &hub.cert)?;
    write_private(&town_file, &text)?;
    Ok(town)
}

/// Adds a station to town.toml and writes its join file to `out`, with the certificate of
/// the station's desk issued by the town's CA for `hosts` (the addresses the window PCs
/// open the desk at; the box itself is always in it).
pub fn add_station(dir: &Path, code: &str, name: &str, hosts: &[String], out: &Path) -> Result<JoinFile, String> {
    let mut town = read_town(dir)?;
    let code = crate::domain::town::station_code(code).map_err(|w| format!("站点代码“{code}”：{w}"))?;
    if name.trim().is_empty() {
        return Err("请用 --name 写上站点的名字，例如 南刘庄村综合服务站".into());
    }
    if town.stations.iter().any(|s| s.code == code) {
        return Err(format!("站点 {code} 已经加过了；要重新发文件，请先在 town.toml 里删掉它这一段"));
    }
    let ca = std::fs::read_to_string(dir.join(TOWN_PKI_DIR).join("ca.pem"))
        .map_err(|e| format!("{}：读不到镇中心的证书（{e}）", dir.join(TOWN_PKI_DIR).join("ca.pem").display()))?;
    let password = secret(32)?;
    let hash = bcrypt::hash(&password, 10).map_err(|e| format!("不能保存密码：{e}"))?;
    let ca_key = std::fs::read_to_string(dir.join(TOWN_PKI_DIR).join("ca.key"))
        .map_err(|e| format!("{}：读不到镇中心的私钥（{e}）", dir.join(TOWN_PKI_DIR).join("ca.key").display()))?;
    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into()];
    for h in hosts {
        let h = h.trim();
        if h.is_empty() || h.contains([' ', '/', ':']) && h.parse::<std::net::IpAddr>().is_err() {
            return Err(format!("--host “{h}”：要写站点电脑的地址或名字，例如 192.168.1.10"));
        }
        if !names.iter().any(|n| n == h) {
            names.push(h.to_string());
        }
    }
    let web = pki::issue_server(&town.name, &ca_key, &format!("{} 工作台", name.trim()), &names)
        .map_err(|e| format!("不能生成证书：{e}"))?;
    let join = JoinFile {
        town: town.name.clone(),
        code: code.clone(),
        name: name.trim().to_string(),
        hub: town.leaf_address.clone(),
        password,
        ca: ca.trim().to_string(),
        nats_listen: config::STATION_NATS.to_string(),
        nats_monitor: config::STATION_NATS_MONITOR.to_string(),
        web_cert: Some(web.cert.trim().to_string()),
        web_key: Some(web.key.trim().to_string()),
    };
    write_private(out, &config::to_toml(&join)?)?;
    town.stations.push(TownStation { code, name: join.name.clone(), password_hash: hash });
    write_private(&dir.join(TOWN_FILE), &config::to_toml(&town)?)?;
    Ok(join)
}

/// Records a join file in the station's config folder `dir` (town-join.toml), with the
/// station's own NATS addresses if given. A folder without station.toml gets the shipped
/// station.toml and matters.toml beside it, so that the folder is the station's from now
/// on. Returns the files written.
pub fn join(
    dir: &Path,
    file: &Path,
    nats_listen: Option<&str>,
    nats_monitor: Option<&str>,
) -> Result<Vec<PathBuf>, String> {
    let src = std::fs::read_to_string(file).map_err(|e| format!("{}：读不到（{e}）", file.display()))?;
    let mut join = config::parse_join(&file.display().to_string(), &src).map_err(|e| e.to_string())?;
    if let Some(a) = nats_listen {
        join.nats_listen = a.to_string();
    }
    if let Some(a) = nats_monitor {
        join.nats_monitor = a.to_string();
    }
    let text = config::to_toml(&join)?;
    let target = dir.join(JOIN_FILE);
    config::parse_join(&target.display().to_string(), &text).map_err(|e| e.to_string())?;
    mkdir(dir)?;
    let mut written = Vec::new();
    // A folder made here gets the shipped holiday calendar too: without one only weekends
    // are known and every promised date is flagged as beyond the calendar (a station that
    // ran on the shipped copies had it).
    let fresh = !dir.join("station.toml").exists();
    for (name, shipped) in [
        ("station.toml", config::SHIPPED_STATION),
        ("matters.toml", config::SHIPPED_MATTERS),
        ("holidays.toml", config::SHIPPED_HOLIDAYS),
    ] {
        let p = dir.join(name);
        if !p.exists() && (fresh || name != "holidays.toml") {
            write_atomically(&p, shipped.as_bytes()).map_err(|e| format!("{}：写不进去（{e}）", p.display()))?;
            written.push(p);
        }
    }
    write_private(&target, &text)?;
    written.push(target);
    Ok(written)
}
