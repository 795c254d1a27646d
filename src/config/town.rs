//! The township link's two files:
//!
//! - `town.toml`, on the town centre's box (`kiosk town init` writes it, `kiosk town
//!   add-station` adds each station): the town's name, where its server listens for the
//!   stations, and each station's code, name and password hash;
//! - `town-join.toml`, in a joined station's config folder (`kiosk town join` writes it from
//!   the join file the town made): the town's address, the station's code and credentials
//!   and the town's CA certificate.
//!
//! Both hold secrets and are written readable by their owner only. Mistakes are told as
//! `FILE:LINE: field: problem`, like every other config file.

use super::issues::{syntax_issue, ConfigErrors, Issues};
use serde::{Deserialize, Serialize};
use toml::Spanned;

pub const TOWN_FILE: &str = "town.toml";
pub const JOIN_FILE: &str = "town-join.toml";
/// The town's certificate authority and its server's certificate, beside `town.toml`.
pub const TOWN_PKI_DIR: &str = "town-pki";

/// Where a NATS server of the product listens on the box itself (never a LAN address): its
/// clients are the product's own processes. Not 4222, which Debian's own nats-server unit
/// takes when it is enabled.
pub const STATION_NATS: &str = "127.0.0.1:14222";
pub const STATION_NATS_MONITOR: &str = "127.0.0.1:18222";
pub const TOWN_NATS: &str = "127.0.0.1:14223";
pub const TOWN_NATS_MONITOR: &str = "127.0.0.1:18223";

/// town.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TownConfig {
    /// 行政综合服务中心's name, as the stations show it.
    pub name: String,
    /// Where the town's server listens for the stations' links (ADDR:PORT); the address
    /// the stations dial unless `leaf-address` says another (a NAT, a DNS name).
    pub leaf_listen: String,
    pub leaf_address: String,
    /// The town's own NATS server, for the town's processes only.
    pub nats_listen: String,
    pub nats_monitor: String,
    /// The password of the town's processes on their own server.
    pub town_password: String,
    #[serde(rename = "station")]
    pub stations: Vec<TownStation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TownStation {
    pub code: String,
    pub name: String,
    /// bcrypt hash of the station's link password (nats-server reads it as is).
    pub password_hash: String,
}

/// town-join.toml (and the join file it is made from: the same content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct JoinFile {
    pub town: String,
    pub code: String,
    pub name: String,
    /// The town server's address for the link (HOST:PORT).
    pub hub: String,
    pub password: String,
    /// The town's CA certificate (PEM): the link trusts only servers it signed.
    pub ca: String,
    /// The station's own NATS server, on the box.
    pub nats_listen: String,
    pub nats_monitor: String,
    /// The certificate (and its key, PEM) the town's CA issued for the station's desk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_cert: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_key: Option<String>,
}

impl JoinFile {
    /// The desk's certificate and key from the town, if the file carries them.
    pub fn web(&self) -> Option<(String, String)> {
        self.web_cert.clone().zip(self.web_key.clone())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawTown {
    name: Spanned<String>,
    leaf_listen: Spanned<String>,
    #[serde(default)]
    leaf_address: Option<Spanned<String>>,
    #[serde(default)]
    nats_listen: Option<Spanned<String>>,
    #[serde(default)]
    nats_monitor: Option<Spanned<String>>,
    town_password: Spanned<String>,
    #[serde(default)]
    station: Vec<RawStation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawStation {
    code: Spanned<String>,
    name: Spanned<String>,
    password_hash: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawJoin {
    town: Spanned<String>,
    code: Spanned<String>,
    name: Spanned<String>,
    hub: Spanned<String>,
    password: Spanned<String>,
    ca: Spanned<String>,
    #[serde(default)]
    nats_listen: Option<Spanned<String>>,
    #[serde(default)]
    nats_monitor: Option<Spanned<String>>,
    #[serde(default)]
    web_cert: Option<Spanned<String>>,
    #[serde(default)]
    web_key: Option<Spanned<String>>,
}

/// HOST:PORT with a port that is a number.
fn host_port(s: &str) -> bool {
    match s.rsplit_once(':') {
        Some((host, port)) => !host.trim().is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0),
        None => false,
    }
}

/// An address on this box's loopback (a NATS server for the box's own processes).
fn loopback(s: &str) -> bool {
    host_port(s) && (s.starts_with("127.") || s.starts_with("[::1]:") || s.starts_with("localhost:"))
}

fn address(issues: &mut Issues, v: &Spanned<String>, field: &str) -> String {
    if !host_port(v.get_ref()) {
        issues.at(v.span(), field, format!("“{}”不是“地址:端口”，请写成 \"10.0.0.1:7422\" 这样", v.get_ref()));
    }
    v.get_ref().trim().to_string()
}

fn local(issues: &mut Issues, v: Option<&Spanned<String>>, field: &str, default: &str) -> String {
    match v {
        Some(v) if !loopback(v.get_ref()) => {
            issues.at(v.span(), field, format!("“{}”要是本机地址（127.0.0.1:端口）：它只给本机的程序用", v.get_ref()));
            v.get_ref().clone()
        }
        Some(v) => v.get_ref().trim().to_string(),
        None => default.to_string(),
    }
}

fn named(issues: &mut Issues, v: &Spanned<String>, field: &str) -> String {
    let s = v.get_ref().trim();
    if s.is_empty() {
        issues.at(v.span(), field, "不能为空");
    }
    s.to_string()
}

fn code(issues: &mut Issues, v: &Spanned<String>, field: &str) -> String {
    match crate::domain::town::station_code(v.get_ref()) {
        Ok(c) => c,
        Err(why) => {
            issues.at(v.span(), field, format!("“{}”：{why}", v.get_ref()));
            v.get_ref().clone()
        }
    }
}

/// Reads town.toml.
pub fn parse_town(file: &str, src: &str) -> Result<TownConfig, ConfigErrors> {
    let raw: RawTown = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);
    let name = named(&mut issues, &raw.name, "name");
    let leaf_listen = address(&mut issues, &raw.leaf_listen, "leaf-listen");
    let leaf_address = match &raw.leaf_address {
        Some(a) => address(&mut issues, a, "leaf-address"),
        None => leaf_listen.clone(),
    };
    let nats_listen = local(&mut issues, raw.nats_listen.as_ref(), "nats-listen", TOWN_NATS);
    let nats_monitor = local(&mut issues, raw.nats_monitor.as_ref(), "nats-monitor", TOWN_NATS_MONITOR);
    if raw.town_password.get_ref().len() < 16 {
        issues.at(raw.town_password.span(), "town-password", "太短了（至少 16 个字符）；请用 kiosk town init 生成的");
    }
    let mut stations: Vec<TownStation> = Vec::new();
    for s in &raw.station {
        let c = code(&mut issues, &s.code, "station.code");
        if stations.iter().any(|x| x.code == c) {
            issues.at(s.code.span(), "station.code", format!("站点代码 {c} 写了两次"));
        }
        let hash = s.password_hash.get_ref().trim().to_string();
        if !hash.starts_with("$2") {
            issues.at(s.password_hash.span(), "station.password-hash", "不是 kiosk town add-station 写的密码摘要");
        }
        stations.push(TownStation { code: c, name: named(&mut issues, &s.name, "station.name"), password_hash: hash });
    }
    issues.finish(TownConfig {
        name,
        leaf_listen,
        leaf_address,
        nats_listen,
        nats_monitor,
        town_password: raw.town_password.get_ref().clone(),
        stations,
    })
}

/// Reads a join file (or town-join.toml).
pub fn parse_join(file: &str, src: &str) -> Result<JoinFile, ConfigErrors> {
    let raw: RawJoin = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);
    let ca = raw.ca.get_ref().trim().to_string();
    if !ca.starts_with("-----BEGIN CERTIFICATE-----") {
        issues.at(raw.ca.span(), "ca", "不是镇中心的证书（应以 -----BEGIN CERTIFICATE----- 开头）；请用镇中心给的文件");
    }
    if raw.password.get_ref().len() < 16 {
        issues.at(raw.password.span(), "password", "太短了；请用镇中心给的文件，不要手改");
    }
    let pem = |v: &Option<Spanned<String>>, field: &str, head: &str, issues: &mut Issues| {
        v.as_ref().map(|v| {
            let text = v.get_ref().trim().to_string();
            if !text.starts_with(head) {
                issues.at(v.span(), field, "不是镇中心发的证书；请用镇中心给的文件，不要手改");
            }
            text
        })
    };
    let web_cert = pem(&raw.web_cert, "web-cert", "-----BEGIN CERTIFICATE-----", &mut issues);
    let web_key = pem(&raw.web_key, "web-key", "-----BEGIN PRIVATE KEY-----", &mut issues);
    if web_cert.is_some() != web_key.is_some() {
        let span = raw.web_cert.as_ref().or(raw.web_key.as_ref()).map(|v| v.span()).unwrap_or(0..0);
        issues.at(span, "web-cert", "工作台的证书和私钥要一起有；请用镇中心给的文件");
    }
    let join = JoinFile {
        town: named(&mut issues, &raw.town, "town"),
        code: code(&mut issues, &raw.code, "code"),
        name: named(&mut issues, &raw.name, "name"),
        hub: address(&mut issues, &raw.hub, "hub"),
        password: raw.password.get_ref().clone(),
        ca,
        nats_listen: local(&mut issues, raw.nats_listen.as_ref(), "nats-listen", STATION_NATS),
        nats_monitor: local(&mut issues, raw.nats_monitor.as_ref(), "nats-monitor", STATION_NATS_MONITOR),
        web_cert,
        web_key,
    };
    issues.finish(join)
}

/// Writes a TOML value to text (the files are written by the program, read by people).
pub fn to_toml<T: Serialize>(value: &T) -> Result<String, String> {
    toml::to_string_pretty(value).map_err(|e| e.to_string())
}

/// A town of `stations` (code, name) on the default local addresses, for unit tests.
#[cfg(test)]
pub(crate) fn town_for_tests(stations: &[(&str, &str)]) -> TownConfig {
    TownConfig {
        name: "测试镇".into(),
        leaf_listen: "127.0.0.1:7422".into(),
        leaf_address: "127.0.0.1:7422".into(),
        nats_listen: TOWN_NATS.into(),
        nats_monitor: TOWN_NATS_MONITOR.into(),
        town_password: String::new(),
        stations: stations
            .iter()
            .map(|(code, name)| TownStation {
                code: code.to_string(),
                name: name.to_string(),
                password_hash: String::new(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    #[test]
    fn a_town_file_round_trips_and_mistakes_name_their_line() {
        let t = TownConfig {
            name: "新集镇行政综合服务中心".into(),
            leaf_listen: "10.0.0.1:7422".into(),
            leaf_address: "10.0.0.1:7422".into(),
            nats_listen: TOWN_NATS.into(),
            nats_monitor: TOWN_NATS_MONITOR.into(),
            town_password: "0123456789abcdef0123".into(),
            stations: vec![TownStation {
                code: "s01".into(),
                name: "南刘庄村".into(),
                password_hash: "$2b$10$x".into(),
            }],
        };
        let text = to_toml(&t).unwrap_or_default();
        assert_eq!(parse_town("town.toml", &text), Ok(t));
        let bad = text.replace("code = \"s01\"", "code = \"s-01\"").replace("10.0.0.1:7422", "10.0.0.1");
        let e = parse_town("town.toml", &bad).unwrap_err().to_string();
        assert!(e.contains("town.toml:2: leaf-listen:"), "{e}");
        assert!(e.contains("station.code: “s-01”：站点代码只能用英文字母和数字"), "{e}");
    }

    #[test]
    fn a_join_file_is_checked() {
        let j = JoinFile {
            town: "新集镇".into(),
            code: "s01".into(),
            name: "南刘庄村".into(),
            hub: "10.0.0.1:7422".into(),
            password: "0123456789abcdef0123".into(),
            ca: CA.trim().into(),
            nats_listen: STATION_NATS.into(),
            nats_monitor: STATION_NATS_MONITOR.into(),
            web_cert: None,
            web_key: None,
        };
        let text = to_toml(&j).unwrap_or_default();
        assert_eq!(parse_join("s01.join", &text), Ok(j));
        let e = parse_join("s01.join", &text.replace("127.0.0.1:14222", "0.0.0.0:14222")).unwrap_err().to_string();
        assert!(e.contains("nats-listen: “0.0.0.0:14222”要是本机地址"), "{e}");
        let e = parse_join("s01.join", "town = 1").unwrap_err().to_string();
        assert!(e.starts_with("s01.join:1: town:"), "{e}");
    }
}
