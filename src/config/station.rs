//! station.toml: the station's own settings (name, windows, hours, printer, voice, server…),
//! parsed and checked one named check at a time, and cross-checked with the list of matters.

use super::issues::{syntax_issue, Issues};
use super::issues::{ConfigErrors, ConfigIssue};
use crate::domain::calling::{AtClosing, Limits, PriorityRule, WindowRule};
use crate::domain::idle::IdlePolicy;
use crate::domain::matter::Catalog;
use crate::domain::ticket::ServiceTimes;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use toml::Spanned;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawStation {
    station: RawStationInfo,
    window: Vec<RawWindow>,
    hours: RawHours,
    idle: RawIdle,
    printer: RawPrinter,
    receipt: RawReceipt,
    display: RawDisplay,
    tickets: RawTickets,
    queue: RawQueue,
    calling: RawCalling,
    server: RawServer,
    voice: RawVoice,
    privacy: RawPrivacy,
    backup: RawBackup,
    rating: RawRating,
    idcard: RawIdcard,
    guidance: RawGuidance,
}

/// `[guidance]`: the kiosk's spoken prompts.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawGuidance {
    enabled: bool,
    volume: Spanned<u32>,
    voice_pack: String,
    lexicon: String,
}

impl Default for RawGuidance {
    fn default() -> Self {
        RawGuidance { enabled: true, volume: Spanned::new(0..0, 80), voice_pack: String::new(), lexicon: String::new() }
    }
}

/// The kiosk's spoken prompts (`[guidance]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuidanceSettings {
    /// Off: the prompts are shown but never spoken.
    pub enabled: bool,
    /// Loudness of the prompts, 0-100 % of the rendered sound.
    pub volume: u32,
    /// A folder of recorded prompts and clips with its manifest.toml (relative to the
    /// config folder); None = none.
    pub voice_pack: Option<PathBuf>,
    /// The station's own readings laid over lexicon.toml (relative to the config folder).
    pub lexicon: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawIdcard {
    device: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawRating {
    followup_days: Spanned<u32>,
}

impl Default for RawRating {
    fn default() -> Self {
        RawRating { followup_days: Spanned::new(0..0, 15) }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawPrivacy {
    retention_days: Spanned<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawBackup {
    folder: Spanned<String>,
    keep_days: Spanned<u32>,
}

impl Default for RawBackup {
    fn default() -> Self {
        RawBackup { folder: Spanned::new(0..0, String::new()), keep_days: Spanned::new(0..0, 14) }
    }
}

impl Default for RawPrivacy {
    fn default() -> Self {
        RawPrivacy { retention_days: Spanned::new(0..0, 180) }
    }
}

impl Default for RawStation {
    fn default() -> Self {
        RawStation {
            station: RawStationInfo::default(),
            window: vec![RawWindow {
                number: Spanned::new(0..0, 1), name: "1号窗口".into(), categories: Vec::new()
            }],
            hours: RawHours::default(),
            idle: RawIdle::default(),
            printer: RawPrinter::default(),
            receipt: RawReceipt::default(),
            display: RawDisplay::default(),
            tickets: RawTickets::default(),
            queue: RawQueue::default(),
            calling: RawCalling::default(),
            server: RawServer::default(),
            voice: RawVoice::default(),
            privacy: RawPrivacy::default(),
            backup: RawBackup::default(),
            rating: RawRating::default(),
            idcard: RawIdcard::default(),
            guidance: RawGuidance::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawStationInfo {
    name: Spanned<String>,
    area_code: Spanned<String>,
    village: String,
    township: String,
    phone: String,
    public_base_url: Spanned<String>,
    time_zone: Spanned<String>,
}

impl Default for RawStationInfo {
    fn default() -> Self {
        RawStationInfo {
            name: Spanned::new(0..0, "村综合服务站".into()),
            area_code: Spanned::new(0..0, String::new()),
            village: String::new(),
            township: String::new(),
            phone: String::new(),
            public_base_url: Spanned::new(0..0, "http://127.0.0.1:8080".into()),
            time_zone: Spanned::new(0..0, "Asia/Shanghai".into()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawWindow {
    number: Spanned<u32>,
    name: String,
    #[serde(default)]
    categories: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawHours {
    weekdays: Spanned<Vec<String>>,
    weekends: Spanned<Vec<String>>,
}

impl Default for RawHours {
    fn default() -> Self {
        RawHours {
            weekdays: Spanned::new(0..0, vec!["08:30-12:00".into(), "14:00-17:30".into()]),
            weekends: Spanned::new(0..0, vec![]),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawIdle {
    timeout_secs: Spanned<u32>,
    countdown_secs: Spanned<u32>,
}

impl Default for RawIdle {
    fn default() -> Self {
        RawIdle { timeout_secs: Spanned::new(0..0, 90), countdown_secs: Spanned::new(0..0, 30) }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawPrinter {
    name: String,
    command: String,
    timeout_secs: Spanned<u32>,
    server: String,
}

impl Default for RawPrinter {
    fn default() -> Self {
        RawPrinter {
            name: String::new(),
            command: "lp".into(),
            timeout_secs: Spanned::new(0..0, 15),
            server: String::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawReceipt {
    font_path: String,
    font_index: u32,
    footer: String,
}

impl Default for RawReceipt {
    fn default() -> Self {
        RawReceipt { font_path: DEFAULT_FONT_PATH.into(), font_index: 0, footer: String::new() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawDisplay {
    font_family: String,
    hints: Vec<String>,
}

impl Default for RawDisplay {
    fn default() -> Self {
        RawDisplay {
            font_family: "Noto Sans CJK SC".into(),
            hints: vec![
                "取号后请在休息区等候，留意大屏和语音叫号".into(),
                "过号请到窗口说明，工作人员会为您回呼".into(),
            ],
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawCalling {
    max_recalls: Spanned<u32>,
    max_callbacks: u32,
    measured_days: u32,
    min_samples: u32,
    nearly_up: Spanned<u32>,
    priority: Spanned<String>,
    priority_every: Spanned<u32>,
    priority_after_minutes: Spanned<u32>,
    at_closing: Spanned<String>,
}

impl Default for RawCalling {
    fn default() -> Self {
        RawCalling {
            max_recalls: Spanned::new(0..0, 3),
            max_callbacks: 1,
            measured_days: 14,
            min_samples: 10,
            nearly_up: Spanned::new(0..0, 2),
            priority: Spanned::new(0..0, "strict".into()),
            priority_every: Spanned::new(0..0, 3),
            priority_after_minutes: Spanned::new(0..0, 20),
            at_closing: Spanned::new(0..0, "expire".into()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawServer {
    listen: Option<Spanned<Vec<String>>>,
    https_listen: Option<Spanned<Vec<String>>>,
    ticket_page_days: u32,
    case_page_days: u32,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer { listen: None, https_listen: None, ticket_page_days: 7, case_page_days: 90 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawVoice {
    enabled: bool,
    volume: Spanned<u32>,
    repeat: Spanned<u32>,
    player: Vec<String>,
    custom_clips: String,
    espeak: String,
    voice: String,
}

impl Default for RawVoice {
    fn default() -> Self {
        RawVoice {
            enabled: true,
            volume: Spanned::new(0..0, 100),
            repeat: Spanned::new(0..0, 2),
            player: vec!["aplay".into(), "-q".into(), "{file}".into()],
            custom_clips: String::new(),
            espeak: "espeak-ng".into(),
            voice: "cmn-latn-pinyin".into(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawTickets {
    prefixes: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawQueue {
    minutes_per_service: u32,
    minutes_per_category: HashMap<String, u32>,
}

impl Default for RawQueue {
    fn default() -> Self {
        RawQueue { minutes_per_service: 8, minutes_per_category: HashMap::new() }
    }
}

pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub number: u32,
    pub name: String,
    /// Categories this window calls; empty = all.
    pub categories: Vec<String>,
}

/// Calling at the windows (`[calling]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallingConfig {
    pub limits: Limits,
    /// Service times are measured over this many recent days…
    pub measured_days: u32,
    /// …once a category has at least this many services; until then the configured minutes.
    pub min_samples: u32,
    /// The phone's ticket page says 快到您了 (and chimes) when this many people or fewer
    /// are ahead.
    pub nearly_up: u32,
    /// How priority tickets take turns with the others.
    pub priority: PriorityRule,
    /// The numbers station.toml gives the rules (kept when another rule is chosen).
    pub priority_every: u32,
    pub priority_after_minutes: u32,
    /// What happens to tickets still waiting when the day's hours end.
    pub at_closing: AtClosing,
}

/// The station service (`[server]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// HOST:PORT addresses to listen on.
    pub listen: Vec<String>,
    /// HOST:PORT addresses of the desk over HTTPS (by default port 8443 on each address
    /// of `listen` that is not the box's own).
    pub https_listen: Vec<String>,
    /// A ticket's page answers this many days after issue (then "没有找到").
    pub ticket_page_days: u32,
    /// A case's page answers this many days after it was closed.
    pub case_page_days: u32,
}

/// The calling voice (`[voice]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceSettings {
    pub enabled: bool,
    /// Loudness of the calls, 0-100 % of the rendered sound.
    pub volume: u32,
    pub repeat: u32,
    pub player: Vec<String>,
    /// The station's own recorded clips, replacing any rendered one (relative to the
    /// config folder); None = none.
    pub custom_clips: Option<PathBuf>,
    pub espeak: String,
    pub voice: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterConfig {
    /// CUPS queue; None = spool only.
    pub name: Option<String>,
    pub command: String,
    pub timeout_secs: u32,
    /// The CUPS server (a socket path or host:port); None = this machine's own.
    pub server: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StationConfig {
    pub name: String,
    /// The 12-digit 统计用区划代码 of the village (in every exported rating); empty if not set.
    pub area_code: String,
    /// Working days to put a 差评 right (`[rating] followup-days`, default 15).
    pub followup_days: u32,
    /// The ID-card reader's serial device (`[idcard] device`); None: no reader.
    pub idcard_device: Option<PathBuf>,
    pub village: String,
    pub township: String,
    pub phone: String,
    pub public_base_url: String,
    pub tz: chrono_tz::Tz,
    pub windows: Vec<Window>,
    pub weekday_hours: Vec<String>,
    pub weekend_hours: Vec<String>,
    pub idle: IdlePolicy,
    pub printer: PrinterConfig,
    pub font_path: PathBuf,
    pub font_index: u32,
    pub receipt_footer: String,
    pub font_family: String,
    pub display_hints: Vec<String>,
    prefixes: BTreeMap<String, String>,
    pub service_times: ServiceTimes,
    pub calling: CallingConfig,
    pub server: ServerConfig,
    pub voice: VoiceSettings,
    pub guidance: GuidanceSettings,
    /// Days after a case is closed before its ID number, phones and name are masked for
    /// good (`[privacy] retention-days`).
    pub retention_days: u32,
    /// Where the nightly backup goes (a USB stick); None = `backups` in the data folder.
    pub backup_folder: Option<PathBuf>,
    /// Backups older than this many days are deleted after a new one is written.
    pub backup_keep_days: u32,
}

impl StationConfig {
    /// The ticket prefixes in use, by category (the configured ones; categories without
    /// one use their own code).
    pub fn prefixes(&self) -> &BTreeMap<String, String> {
        &self.prefixes
    }

    /// Ticket prefix for a category: the configured one, else the category code itself.
    pub fn prefix_for(&self, category: &str) -> String {
        self.prefixes.get(category).cloned().unwrap_or_else(|| category.to_string())
    }

    /// The windows as the calling order sees them.
    pub fn window_rules(&self) -> Vec<WindowRule> {
        self.windows.iter().map(|w| WindowRule { number: w.number, categories: w.categories.clone() }).collect()
    }

    pub fn window(&self, number: u32) -> Option<&Window> {
        self.windows.iter().find(|w| w.number == number)
    }

    /// Opening hours in one line: "周一至周五 08:30-12:00 14:00-17:30".
    pub fn hours_text(&self) -> String {
        let mut s = format!("周一至周五 {}", self.weekday_hours.join("、"));
        if !self.weekend_hours.is_empty() {
            s.push_str(&format!("；周末 {}", self.weekend_hours.join("、")));
        }
        s
    }
}

fn valid_hours_range(s: &str) -> bool {
    let parse = |t: &str| {
        let (h, m) = t.split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && t.len() == 5).then_some(h * 60 + m)
    };
    match s.split_once('-') {
        Some((a, b)) => matches!((parse(a), parse(b)), (Some(x), Some(y)) if x < y),
        None => false,
    }
}

pub fn parse_station(file: &str, src: &str) -> Result<StationConfig, ConfigErrors> {
    let raw: RawStation = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);
    let (url, tz) = check_station(&raw.station, &mut issues);
    check_windows(&raw.window, &mut issues);
    check_calling_and_voice(&raw.calling, &raw.voice, &mut issues);
    if *raw.guidance.volume.get_ref() > 100 {
        issues.at(raw.guidance.volume.span(), "guidance.volume", "音量写 0 到 100（百分之几）");
    }
    let (listen, https_listen) = check_server(&raw.server, &url, &mut issues);
    check_hours(&raw.hours, &mut issues);
    check_idle(&raw.idle, &mut issues);
    check_keeping(&raw.privacy, &raw.backup, &mut issues);
    check_printer(&raw.printer, &mut issues);
    if !(1..=60).contains(raw.rating.followup_days.get_ref()) {
        issues.at(
            raw.rating.followup_days.span(),
            "rating.followup-days",
            "差评整改期限写 1 到 60 个工作日（国家要求 100% 跟进，各地多为 5 到 15 个工作日）",
        );
    }
    let prefixes = check_prefixes(&raw.tickets, &mut issues);
    issues.finish(build(&raw, url, tz, (listen, https_listen), prefixes))
}

/// The station's name, the QR code's address and the time zone.
fn check_station(s: &RawStationInfo, issues: &mut Issues<'_>) -> (String, chrono_tz::Tz) {
    if s.name.get_ref().trim().is_empty() {
        issues.at(s.name.span(), "station.name", "站名是空的：每个屏幕和回执上都要印站名");
    }
    let code = s.area_code.get_ref().trim();
    let twelve_digits = code.len() == 12 && code.bytes().all(|b| b.is_ascii_digit());
    if !code.is_empty() && !twelve_digits {
        issues.at(
            s.area_code.span(),
            "station.area-code",
            format!("“{code}”要是 12 位数字：本村的统计用区划代码（国家统计局发布，例如 130110100201）"),
        );
    }
    let url = s.public_base_url.get_ref().trim().trim_end_matches('/').to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
        issues.at(
            s.public_base_url.span(),
            "station.public-base-url",
            format!("“{url}”要以 http:// 或 https:// 开头（回执二维码里用这个地址）"),
        );
    }
    let tz = match s.time_zone.get_ref().trim().parse::<chrono_tz::Tz>() {
        Ok(tz) => tz,
        Err(_) => {
            issues.at(
                s.time_zone.span(),
                "station.time-zone",
                format!("时区“{}”不认识（请写 Asia/Shanghai）", s.time_zone.get_ref()),
            );
            chrono_tz::Asia::Shanghai
        }
    };
    (url, tz)
}

/// At least one window, numbered 1 to 99, each once.
fn check_windows(windows: &[RawWindow], issues: &mut Issues<'_>) {
    if windows.is_empty() {
        issues.at(0..0, "window", "至少要有一个窗口（[[window]]）");
    }
    let mut numbers = HashSet::new();
    for w in windows {
        let n = *w.number.get_ref();
        if !(1..=99).contains(&n) {
            issues.at(
                w.number.span(),
                "window.number",
                format!("窗口号 {n} 不对：要在 1 到 99 之间（叫号时会念出来）"),
            );
        } else if !numbers.insert(n) {
            issues.at(w.number.span(), "window.number", format!("{n}号窗口写了两次"));
        }
    }
}

/// The priority rule `[calling]` names (None for a word it does not know).
fn priority_rule(c: &RawCalling) -> Option<PriorityRule> {
    match c.priority.get_ref().trim() {
        "strict" => Some(PriorityRule::Strict),
        "every" => Some(PriorityRule::Every((*c.priority_every.get_ref()).clamp(1, 20))),
        "after" => Some(PriorityRule::After((*c.priority_after_minutes.get_ref()).clamp(5, 240))),
        _ => None,
    }
}

/// Recalls and the voice's repetitions within what a waiting room can bear.
fn check_calling_and_voice(calling: &RawCalling, voice: &RawVoice, issues: &mut Issues<'_>) {
    if *calling.max_recalls.get_ref() > 10 {
        issues.at(calling.max_recalls.span(), "calling.max-recalls", "重呼次数最多 10 次");
    }
    if *calling.nearly_up.get_ref() > 20 {
        issues.at(calling.nearly_up.span(), "calling.nearly-up", "最多 20 人：前面人太多时提醒，村民会白等");
    }
    if priority_rule(calling).is_none() {
        issues.at(
            calling.priority.span(),
            "calling.priority",
            format!("“{}”不认识：写 strict（优先号总是先叫）、every 或 after", calling.priority.get_ref()),
        );
    }
    if !(1..=20).contains(calling.priority_every.get_ref()) {
        issues.at(calling.priority_every.span(), "calling.priority-every", "每叫 1 到 20 个普通号插一个优先号");
    }
    if !(5..=240).contains(calling.priority_after_minutes.get_ref()) {
        issues.at(
            calling.priority_after_minutes.span(),
            "calling.priority-after-minutes",
            "普通号等 5 到 240 分钟后先叫",
        );
    }
    if AtClosing::from_key(calling.at_closing.get_ref()).is_none() {
        issues.at(
            calling.at_closing.span(),
            "calling.at-closing",
            format!(
                "“{}”不认识：写 expire（下班时作废）或 keep（留到下一个工作日上班第一个小时先叫）",
                calling.at_closing.get_ref()
            ),
        );
    }
    if !(1..=5).contains(voice.repeat.get_ref()) {
        issues.at(voice.repeat.span(), "voice.repeat", "每次叫号念 1 到 5 遍");
    }
    if *voice.volume.get_ref() > 100 {
        issues.at(voice.volume.span(), "voice.volume", "音量写 0 到 100（百分之几）");
    }
}

/// The listen addresses (or the default ones, from the QR code's address), and the
/// desk's HTTPS addresses (or the default ones, from those).
fn check_server(server: &RawServer, url: &str, issues: &mut Issues<'_>) -> (Vec<String>, Vec<String>) {
    let mut checked = |list: &Spanned<Vec<String>>, field: &str| -> Vec<String> {
        for a in list.get_ref() {
            if let Err(why) = check_listen(a) {
                issues.at(list.span(), field, format!("{a:?}: {why}"));
            }
        }
        list.get_ref().iter().map(|a| a.trim().to_string()).collect()
    };
    let listen = match &server.listen {
        Some(list) => checked(list, "server.listen"),
        None => default_listen(url),
    };
    let https = match &server.https_listen {
        Some(list) => checked(list, "server.https-listen"),
        None => default_https_listen(&listen),
    };
    (listen, https)
}

/// The desk's HTTPS addresses when none are written: port 8443 on each listen address that
/// is not the box's own (the box itself may use plain HTTP). Port 0 (a test) stays 0.
pub fn default_https_listen(listen: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for a in listen {
        let Some((host, port)) = a.rsplit_once(':') else { continue };
        let bare = host.trim_matches(|c| c == '[' || c == ']');
        if bare == "localhost" || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
            continue;
        }
        let https = format!("{host}:{}", if port == "0" { "0" } else { "8443" });
        if !out.contains(&https) {
            out.push(https);
        }
    }
    out
}

/// Office hours as "08:30-12:00" ranges.
fn check_hours(hours: &RawHours, issues: &mut Issues<'_>) {
    for (key, list) in [("hours.weekdays", &hours.weekdays), ("hours.weekends", &hours.weekends)] {
        for r in list.get_ref() {
            if !valid_hours_range(r) {
                issues.at(list.span(), key, format!("“{r}”不是时间段，请写成 \"08:30-12:00\" 这样"));
            }
        }
    }
}

/// The idle reminder and its countdown, long enough for the elderly.
fn check_idle(idle: &RawIdle, issues: &mut Issues<'_>) {
    if *idle.timeout_secs.get_ref() < 30 {
        issues.at(idle.timeout_secs.span(), "idle.timeout-secs", "至少 30 秒：老人看得慢");
    }
    if *idle.countdown_secs.get_ref() < 20 {
        issues.at(idle.countdown_secs.span(), "idle.countdown-secs", "至少 20 秒：要留时间点“继续办理”");
    }
}

/// The shortest retention a station may set: the township's streams keep no longer than
/// this, so nothing there outlives any station's own retention.
pub const MIN_RETENTION_DAYS: u32 = 30;

/// How long personal data and backups are kept, and where backups go.
fn check_keeping(privacy: &RawPrivacy, backup: &RawBackup, issues: &mut Issues<'_>) {
    if *privacy.retention_days.get_ref() < MIN_RETENTION_DAYS {
        issues.at(
            privacy.retention_days.span(),
            "privacy.retention-days",
            "至少 30 天：结案后村民可能还要来查询或补办",
        );
    }
    if *backup.keep_days.get_ref() == 0 {
        issues.at(backup.keep_days.span(), "backup.keep-days", "至少 1 天");
    }
    let folder = backup.folder.get_ref().trim();
    if !folder.is_empty() && !folder.starts_with('/') {
        issues.at(
            backup.folder.span(),
            "backup.folder",
            format!("“{folder}”要写完整路径（以 / 开头），例如 /media/kiosk-backup"),
        );
    }
}

fn check_printer(printer: &RawPrinter, issues: &mut Issues<'_>) {
    if *printer.timeout_secs.get_ref() == 0 {
        issues.at(printer.timeout_secs.span(), "printer.timeout-secs", "至少 1 秒");
    }
}

/// Ticket prefixes: one capital letter per category.
fn check_prefixes(tickets: &RawTickets, issues: &mut Issues<'_>) -> BTreeMap<String, String> {
    let mut prefixes = BTreeMap::new();
    for (cat, p) in &tickets.prefixes {
        let v = p.get_ref().trim();
        if v.len() != 1 || !v.chars().all(|c| c.is_ascii_uppercase()) {
            issues.at(p.span(), &format!("tickets.prefixes.{cat}"), format!("“{v}”不对：票号字头要用一个大写字母"));
        }
        prefixes.insert(cat.clone(), v.to_string());
    }
    prefixes
}

/// The checked settings, as the rest of the program reads them.
fn build(
    raw: &RawStation,
    public_base_url: String,
    tz: chrono_tz::Tz,
    (listen, https_listen): (Vec<String>, Vec<String>),
    prefixes: BTreeMap<String, String>,
) -> StationConfig {
    let s = &raw.station;
    let idle = &raw.idle;
    let service_times = ServiceTimes {
        default_minutes: raw.queue.minutes_per_service.max(1),
        per_category: raw.queue.minutes_per_category.clone(),
        windows: raw.window.len() as u32,
    };
    let printer_name = raw.printer.name.trim();
    StationConfig {
        name: s.name.get_ref().trim().to_string(),
        area_code: s.area_code.get_ref().trim().to_string(),
        followup_days: *raw.rating.followup_days.get_ref(),
        guidance: GuidanceSettings {
            enabled: raw.guidance.enabled,
            volume: *raw.guidance.volume.get_ref(),
            voice_pack: Some(raw.guidance.voice_pack.trim()).filter(|d| !d.is_empty()).map(PathBuf::from),
            lexicon: Some(raw.guidance.lexicon.trim()).filter(|d| !d.is_empty()).map(PathBuf::from),
        },
        idcard_device: Some(raw.idcard.device.trim()).filter(|d| !d.is_empty()).map(PathBuf::from),
        village: s.village.trim().to_string(),
        township: s.township.trim().to_string(),
        phone: s.phone.trim().to_string(),
        public_base_url,
        tz,
        windows: raw
            .window
            .iter()
            .map(|w| Window {
                number: *w.number.get_ref(),
                name: w.name.clone(),
                categories: w.categories.iter().map(|c| c.get_ref().trim().to_string()).collect(),
            })
            .collect(),
        weekday_hours: raw.hours.weekdays.get_ref().clone(),
        weekend_hours: raw.hours.weekends.get_ref().clone(),
        idle: IdlePolicy {
            idle_after_secs: *idle.timeout_secs.get_ref(),
            countdown_secs: *idle.countdown_secs.get_ref(),
        },
        printer: PrinterConfig {
            name: (!printer_name.is_empty()).then(|| printer_name.to_string()),
            command: if raw.printer.command.trim().is_empty() {
                "lp".into()
            } else {
                raw.printer.command.trim().to_string()
            },
            timeout_secs: *raw.printer.timeout_secs.get_ref(),
            server: Some(raw.printer.server.trim().to_string()).filter(|s| !s.is_empty()),
        },
        font_path: PathBuf::from(raw.receipt.font_path.trim()),
        font_index: raw.receipt.font_index,
        receipt_footer: raw.receipt.footer.trim().to_string(),
        font_family: raw.display.font_family.trim().to_string(),
        display_hints: raw.display.hints.iter().map(|h| h.trim().to_string()).filter(|h| !h.is_empty()).collect(),
        prefixes,
        service_times,
        calling: CallingConfig {
            limits: Limits {
                max_recalls: *raw.calling.max_recalls.get_ref(),
                max_callbacks: raw.calling.max_callbacks,
            },
            measured_days: raw.calling.measured_days.max(1),
            min_samples: raw.calling.min_samples.max(1),
            nearly_up: *raw.calling.nearly_up.get_ref(),
            priority: priority_rule(&raw.calling).unwrap_or_default(),
            priority_every: *raw.calling.priority_every.get_ref(),
            priority_after_minutes: *raw.calling.priority_after_minutes.get_ref(),
            at_closing: AtClosing::from_key(raw.calling.at_closing.get_ref()).unwrap_or_default(),
        },
        server: ServerConfig {
            listen,
            https_listen,
            ticket_page_days: raw.server.ticket_page_days.max(1),
            case_page_days: raw.server.case_page_days.max(1),
        },
        voice: VoiceSettings {
            enabled: raw.voice.enabled,
            volume: *raw.voice.volume.get_ref(),
            repeat: *raw.voice.repeat.get_ref(),
            player: if raw.voice.player.is_empty() { RawVoice::default().player } else { raw.voice.player.clone() },
            custom_clips: (!raw.voice.custom_clips.trim().is_empty())
                .then(|| PathBuf::from(raw.voice.custom_clips.trim())),
            espeak: raw.voice.espeak.trim().to_string(),
            voice: raw.voice.voice.trim().to_string(),
        },
        retention_days: *raw.privacy.retention_days.get_ref(),
        backup_folder: Some(raw.backup.folder.get_ref().trim()).filter(|f| !f.is_empty()).map(PathBuf::from),
        backup_keep_days: *raw.backup.keep_days.get_ref(),
    }
}

/// HOST:PORT (an IPv4 address, [IPv6] or a host name, and a port).
fn check_listen(a: &str) -> Result<(), String> {
    let a = a.trim();
    let (host, port) = a.rsplit_once(':').ok_or("请写成 地址:端口，例如 192.168.1.10:8080")?;
    port.parse::<u16>().ok().filter(|p| *p > 0).ok_or("端口要在 1 到 65535 之间")?;
    if host.is_empty() {
        return Err("缺少地址（要在所有网卡上监听就明确写 0.0.0.0）".into());
    }
    Ok(())
}

/// The host and port of `public-base-url` (what the phones reach) plus 127.0.0.1 on the
/// same port — never every interface unless station.toml says so.
pub fn default_listen(public_base_url: &str) -> Vec<String> {
    let (scheme, rest) = public_base_url.split_once("://").unwrap_or(("http", public_base_url));
    let authority = rest.split('/').next().unwrap_or("");
    let default_port = if scheme == "https" { 443 } else { 80 };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse::<u16>() {
            Ok(p) => (h.to_string(), p),
            Err(_) => (authority.to_string(), default_port),
        },
        _ => (authority.to_string(), default_port),
    };
    let mut out = Vec::new();
    let unspecified = matches!(host.as_str(), "0.0.0.0" | "[::]" | "");
    if !unspecified && host != "127.0.0.1" && host != "localhost" {
        out.push(format!("{host}:{port}"));
    }
    out.push(format!("127.0.0.1:{port}"));
    out
}

/// Checks that station and matters agree (every prefix names a known category, and no
/// two categories share a prefix, which would make their numbers collide).
pub fn cross_check(station: &StationConfig, station_file: &str, catalog: &Catalog) -> Result<(), ConfigErrors> {
    let mut list = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for c in &catalog.categories {
        let p = station.prefix_for(&c.code);
        if let Some(other) = seen.insert(p.clone(), c.code.clone()) {
            list.push(ConfigIssue {
                file: station_file.to_string(),
                line: 1,
                field: format!("tickets.prefixes.{}", c.code),
                problem: format!("字头“{p}”已经给类别 {other} 用了：两个类别的票号会重复"),
            });
        }
    }
    for w in &station.windows {
        for cat in &w.categories {
            if catalog.category(cat).is_none() {
                list.push(ConfigIssue {
                    file: station_file.to_string(),
                    line: 1,
                    field: format!("window.categories (window {})", w.number),
                    problem: format!("事项清单里没有“{cat}”这个类别"),
                });
            }
        }
    }
    for cat in station.prefixes.keys() {
        if catalog.category(cat).is_none() {
            list.push(ConfigIssue {
                file: station_file.to_string(),
                line: 1,
                field: format!("tickets.prefixes.{cat}"),
                problem: format!("事项清单里没有“{cat}”这个类别"),
            });
        }
    }
    if list.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(list))
    }
}
