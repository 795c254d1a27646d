//! Station settings (`station.toml`) and the list of matters (`matters.toml`).
//!
//! Both are parsed with serde, then validated; every problem names the file, the line
//! and the field (`FILE:LINE: field: problem`), because the person fixing it is a station
//! admin with a text editor. The shipped files are embedded so the kiosk runs with no
//! set-up; a folder given with `--config-dir` (or ./kiosk-config) takes precedence.

use crate::domain::calling::{Limits, WindowRule};
use crate::domain::idle::IdlePolicy;
use crate::domain::matter::{Catalog, Category, Material, Matter, Mode};
use crate::domain::ticket::ServiceTimes;
use crate::domain::workdays::Calendar;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const SHIPPED_STATION: &str = include_str!("../kiosk-config/station.toml");
pub const SHIPPED_MATTERS: &str = include_str!("../kiosk-config/matters.toml");
pub const SHIPPED_HOLIDAYS: &str = include_str!("../kiosk-config/holidays.toml");
pub const SHIPPED_RULES: &str = include_str!("../kiosk-config/rules.toml");

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub problem: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: {}", self.file, self.line, self.field, self.problem)
    }
}

/// All the problems found in one pass over a file (an admin fixes them all at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigIssue>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// 1-based line of a byte offset.
fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

struct Issues<'a> {
    file: &'a str,
    src: &'a str,
    list: Vec<ConfigIssue>,
}

impl<'a> Issues<'a> {
    fn new(file: &'a str, src: &'a str) -> Self {
        Issues { file, src, list: Vec::new() }
    }

    fn at(&mut self, span: std::ops::Range<usize>, field: &str, problem: impl Into<String>) {
        self.list.push(ConfigIssue {
            file: self.file.to_string(),
            line: line_of(self.src, span.start),
            field: field.to_string(),
            problem: problem.into(),
        });
    }

    fn finish<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.list.is_empty() {
            Ok(value)
        } else {
            Err(ConfigErrors(self.list))
        }
    }
}

/// Turns a serde/TOML error into `FILE:LINE: field: problem`, the problem in words the
/// station head can act on (the parser's own English goes to the log, not to the screen).
fn syntax_issue(file: &str, src: &str, e: &toml::de::Error) -> ConfigErrors {
    let start = e.span().map(|s| s.start);
    let line = start.map(|s| line_of(src, s)).unwrap_or(1);
    let msg = e.message().trim().to_string();
    tracing::debug!("{file}:{line}: {msg}");
    // serde names a missing or unknown field in its message ("missing field `name`").
    let named = msg.split('`').nth(1).filter(|f| !f.is_empty() && !f.contains(' ')).map(str::to_string);
    let (table, key) = start.map(|s| place(src, s)).unwrap_or_default();
    let field_named = msg.starts_with("missing field") || msg.starts_with("unknown field");
    let problem = if msg.starts_with("missing field") {
        format!("缺少必填项 {}", named.clone().unwrap_or_default())
    } else if msg.starts_with("unknown field") {
        format!("不认识 {} 这一项（是不是拼错了？）", named.clone().unwrap_or_default())
    } else {
        problem_words(&msg)
    };
    // The field: the one the message names, in the table the parser points into; else the
    // key on the line it points at.
    let key = if field_named { named.unwrap_or(key) } else { key };
    let field = match (table.is_empty(), key.is_empty()) {
        (true, true) => "文件".to_string(),
        (false, true) => table,
        (true, false) => key,
        (false, false) => format!("{table}.{key}"),
    };
    ConfigErrors(vec![ConfigIssue { file: file.to_string(), line, field, problem }])
}

/// Where `offset` is: the table it sits in (`matter`; a header's own name on a header
/// line) and the key written on its line (empty when the line has none).
fn place(src: &str, offset: usize) -> (String, String) {
    let offset = offset.min(src.len());
    let line_start = src[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = src[offset..].find('\n').map(|i| offset + i).unwrap_or(src.len());
    let line = src[line_start..line_end].trim();
    let header = |l: &str| l.trim_matches(|c| c == '[' || c == ']').trim().to_string();
    if line.starts_with('[') {
        return (header(line), String::new());
    }
    let table = src[..line_start].lines().rev().map(str::trim).find(|l| l.starts_with('[')).map(header);
    let key = match line.split_once('=') {
        Some((k, _)) => k.trim().trim_matches('"').to_string(),
        // A line without `=`: its first word is what was meant as a key.
        None => line.split_whitespace().next().unwrap_or("").chars().take(30).collect(),
    };
    (table.unwrap_or_default(), key)
}

/// What a value of serde's kind is, in words (`u32` → 整数).
fn kind_words(kind: &str) -> String {
    let k = kind.trim().trim_start_matches("a ").trim_start_matches("an ");
    let words = match k {
        "u8" | "u16" | "u32" | "u64" | "usize" => "不小于 0 的整数",
        "i8" | "i16" | "i32" | "i64" | "isize" | "integer" => "整数",
        "f32" | "f64" | "float" => "数字",
        "bool" | "boolean" => "true 或 false",
        "char" => "一个字",
        "string" | "borrowed string" => "文字（放在英文双引号里）",
        "sequence" | "array" => "列表（放在方括号 [ ] 里）",
        "map" | "table" | "struct" => "一组设置（[表]）",
        _ if k.starts_with("string") || k.starts_with("a string") => "文字（放在英文双引号里）",
        _ if k.starts_with("integer") => "整数",
        _ if k.starts_with("float") => "数字",
        _ if k.starts_with("boolean") => "true 或 false",
        _ if k.starts_with("sequence") || k.starts_with("array") => "列表（放在方括号 [ ] 里）",
        _ if k.starts_with("map") || k.starts_with("table") => "一组设置（[表]）",
        _ => "别的写法",
    };
    words.to_string()
}

/// What was written, from serde's "string \"三\"" or "integer `-1`".
fn found_words(found: &str) -> String {
    let f = found.trim();
    let quoted = f.split_once('"').map(|(_, r)| r.trim_end_matches('"').to_string());
    let ticked = f.split('`').nth(1).map(str::to_string);
    match quoted.or(ticked) {
        Some(v) => format!("“{v}”"),
        None => kind_words(f),
    }
}

/// A parser's or serde's message, in words.
fn problem_words(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("这里要写{}，写的是{}", kind_words(expected), found_words(found));
        }
    }
    if let Some(rest) = msg.strip_prefix("invalid value: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("这里要写{}，写的是{}", kind_words(expected), found_words(found));
        }
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let got = rest.split('`').nth(1).unwrap_or("");
        let allowed: Vec<&str> = rest.split('`').skip(3).step_by(2).collect();
        return if allowed.is_empty() {
            format!("不认识“{got}”")
        } else {
            format!("不认识“{got}”，可以写：{}", allowed.join("、"))
        };
    }
    let said = [
        ("duplicate key", "这一项写了两次，请删掉一处"),
        ("key with no value", "这一行缺少等号和值（应写成 名称 = 值）"),
        ("missing value", "等号后面缺少值"),
        ("missing assignment", "这一行缺少等号（应写成 名称 = 值）"),
        ("extra `=`", "多了一个等号"),
        ("extra assignment", "一行只能写一项"),
        ("unclosed array table", "[[ ]] 没有配对"),
        ("unclosed table", "[ ] 没有配对"),
        ("unclosed array", "列表的方括号没有配对"),
        ("unclosed inline table", "花括号 { } 没有配对"),
        ("missing comma", "中间缺少英文逗号"),
        ("extra comma", "多了一个逗号"),
        ("string", "引号没有配对（文字要放在英文双引号里）"),
        ("missing opening quote", "引号没有配对（文字要放在英文双引号里）"),
        ("escape", "反斜杠 \\ 后面的写法不对"),
        ("date-time", "日期写法不对，请写成 2026-11-01 这样"),
        ("integer", "数字写法不对"),
        ("number", "数字写法不对"),
        ("float", "数字写法不对"),
        ("boolean", "只能写 true 或 false"),
        ("leading zero", "数字前面不能有 0"),
        ("unquoted", "文字要放在英文双引号里"),
        ("key", "名称写法不对（只用字母、数字、- 和 _，或放在引号里）"),
        ("table", "[表头] 写法不对"),
    ];
    let words = said.iter().find(|(k, _)| msg.contains(k)).map(|(_, w)| *w);
    words.unwrap_or("写法不对：请检查这一行的引号、等号和括号").to_string()
}

// ---------------------------------------------------------------------------------------
// matters.toml

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawMatters {
    #[serde(default)]
    category: Vec<Spanned<RawCategory>>,
    #[serde(default)]
    matter: Vec<Spanned<RawMatter>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawCategory {
    code: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawMatter {
    code: Spanned<String>,
    category: Spanned<String>,
    name: Spanned<String>,
    short_name: Option<Spanned<String>>,
    #[serde(default)]
    aliases: Vec<String>,
    mode: Spanned<String>,
    #[serde(default)]
    department: String,
    promised_days: Option<Spanned<u32>>,
    #[serde(default)]
    promise_note: String,
    legal_days: Option<u32>,
    #[serde(default = "default_fee")]
    fee: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    eligibility: String,
    #[serde(default)]
    needs_signature: bool,
    #[serde(default)]
    steps: Vec<String>,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    materials: Vec<Spanned<RawMaterial>>,
}

fn default_fee() -> String {
    "免费".to_string()
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawMaterial {
    name: Spanned<String>,
    #[serde(default)]
    original: bool,
    #[serde(default)]
    copies: u32,
    #[serde(default)]
    quantity: u32,
    #[serde(default)]
    spec: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    optional: bool,
}

/// Parses and validates a list of matters. `file` is the name used in messages.
pub fn parse_matters(file: &str, src: &str) -> Result<Catalog, ConfigErrors> {
    let raw: RawMatters = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);

    let mut categories = Vec::new();
    let mut cat_codes = HashSet::new();
    for c in &raw.category {
        let span = c.span();
        let c = c.get_ref();
        let code = c.code.get_ref().trim();
        if code.len() != 1 || !code.chars().all(|ch| ch.is_ascii_uppercase()) {
            issues.at(c.code.span(), "category.code", format!("“{code}”不对：类别代码要用一个大写字母（A-Z）"));
        } else if !cat_codes.insert(code.to_string()) {
            issues.at(c.code.span(), "category.code", format!("类别代码“{code}”重复了，每个类别要用不同的字母"));
        }
        if c.name.get_ref().trim().is_empty() {
            issues.at(c.name.span(), "category.name", "类别名称是空的，请填写");
        }
        let _ = span;
        categories.push(Category {
            code: code.to_string(),
            name: c.name.get_ref().trim().to_string(),
            full_name: if c.full_name.trim().is_empty() { c.name.get_ref().clone() } else { c.full_name.clone() },
            description: c.description.clone(),
        });
    }
    if raw.category.is_empty() {
        issues.at(0..0, "category", "文件里没有任何类别（[[category]]）");
    }

    let mut matters = Vec::new();
    let mut codes: HashMap<String, usize> = HashMap::new();
    for m in &raw.matter {
        let whole = m.span();
        let m = m.get_ref();
        let code = m.code.get_ref().trim().to_uppercase();
        let code_ok = code.len() == 3
            && code.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && code.chars().skip(1).all(|c| c.is_ascii_digit());
        if !code_ok {
            issues.at(
                m.code.span(),
                "matter.code",
                format!("事项代码“{code}”不对：要一个大写字母加两位数字，例如 A01"),
            );
        } else if let Some(first) = codes.get(&code) {
            issues.at(m.code.span(), "matter.code", format!("事项代码“{code}”重复了（第 {first} 行已经用过）"));
        } else {
            codes.insert(code.clone(), line_of(src, m.code.span().start));
        }
        let category = m.category.get_ref().trim().to_string();
        if !cat_codes.contains(&category) {
            let known: Vec<&str> = categories.iter().map(|c| c.code.as_str()).collect();
            issues.at(
                m.category.span(),
                "matter.category",
                format!("没有“{category}”这个类别（现有：{}）", known.join("、")),
            );
        } else if code_ok && !code.starts_with(&category) {
            issues.at(m.code.span(), "matter.code", format!("事项代码“{code}”要以它的类别字母“{category}”开头"));
        }
        let name = m.name.get_ref().trim().to_string();
        if name.is_empty() {
            issues.at(m.name.span(), "matter.name", "事项名称是空的，请填写");
        }
        let short_name = match &m.short_name {
            Some(s) => {
                let v = s.get_ref().trim().to_string();
                if v.is_empty() {
                    issues.at(s.span(), "matter.short-name", "简称是空的（不要简称就删掉这一行，会用事项名称）");
                } else if v.chars().count() > 8 {
                    issues.at(s.span(), "matter.short-name", format!("简称“{v}”超过 8 个字，屏幕上放不下"));
                }
                v
            }
            None => name.chars().take(8).collect(),
        };
        let mode = match Mode::from_key(m.mode.get_ref().trim()) {
            Some(mode) => mode,
            None => {
                let keys: Vec<&str> = Mode::ALL.iter().map(|m| m.key()).collect();
                issues.at(
                    m.mode.span(),
                    "matter.mode",
                    format!("办理方式“{}”不认识（只能是：{}）", m.mode.get_ref(), keys.join("、")),
                );
                Mode::GuideOnly
            }
        };
        let promised_days = m.promised_days.as_ref().map(|d| *d.get_ref());
        match (&m.promised_days, mode) {
            (None, Mode::VillageDone | Mode::Relay | Mode::AssistOnline) => {
                issues.at(
                    m.mode.span(),
                    "matter.promised-days",
                    format!("缺少承诺时限：办理方式为 {} 的事项要写承诺的工作日数（0 = 当场办结）", mode.key()),
                );
            }
            (Some(d), _) if *d.get_ref() > 60 => {
                issues.at(d.span(), "matter.promised-days", format!("{} 个工作日超过 60 天，请核对数字", d.get_ref()));
            }
            _ => {}
        }
        if m.materials.is_empty() {
            issues.at(whole.clone(), "matter.materials", format!("事项 {code} 没有列出材料：要一次性告知村民带什么"));
        }
        let mut materials = Vec::new();
        for mat in &m.materials {
            let mspan = mat.span();
            let mat = mat.get_ref();
            let mname = mat.name.get_ref().trim().to_string();
            if mname.is_empty() {
                issues.at(mat.name.span(), "matter.materials.name", "材料名称是空的，请填写");
            }
            if !mat.original && mat.copies == 0 && mat.quantity == 0 {
                issues.at(
                    mspan,
                    "matter.materials",
                    format!("“{mname}”没说怎么带：写 original = true（原件）、copies（复印件份数）或 quantity（数量）"),
                );
            }
            materials.push(Material {
                name: mname,
                original: mat.original,
                copies: mat.copies,
                quantity: mat.quantity,
                spec: mat.spec.trim().to_string(),
                note: mat.note.trim().to_string(),
                optional: mat.optional,
            });
        }
        matters.push(Matter {
            code,
            category,
            name,
            short_name,
            aliases: m.aliases.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect(),
            mode,
            department: m.department.trim().to_string(),
            promised_days,
            promise_note: m.promise_note.trim().to_string(),
            legal_days: m.legal_days,
            fee: m.fee.trim().to_string(),
            summary: m.summary.trim().to_string(),
            eligibility: m.eligibility.trim().to_string(),
            needs_signature: m.needs_signature,
            steps: m.steps.clone(),
            notes: m.notes.clone(),
            materials,
        });
    }
    if raw.matter.is_empty() {
        issues.at(0..0, "matter", "文件里没有任何事项（[[matter]]）");
    }
    matters.sort_by(|a, b| a.code.cmp(&b.code));
    issues.finish(Catalog { categories, matters })
}

// ---------------------------------------------------------------------------------------
// station.toml

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
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawStationInfo {
    name: Spanned<String>,
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
}

impl Default for RawCalling {
    fn default() -> Self {
        RawCalling { max_recalls: Spanned::new(0..0, 3), max_callbacks: 1, measured_days: 14, min_samples: 10 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawServer {
    listen: Option<Spanned<Vec<String>>>,
    ticket_page_days: u32,
    case_page_days: u32,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer { listen: None, ticket_page_days: 7, case_page_days: 90 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawVoice {
    enabled: bool,
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
}

/// The station service (`[server]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// HOST:PORT addresses to listen on.
    pub listen: Vec<String>,
    /// A ticket's page answers this many days after issue (then "没有找到").
    pub ticket_page_days: u32,
    /// A case's page answers this many days after it was closed.
    pub case_page_days: u32,
}

/// The calling voice (`[voice]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceSettings {
    pub enabled: bool,
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
    let s = &raw.station;
    if s.name.get_ref().trim().is_empty() {
        issues.at(s.name.span(), "station.name", "站名是空的：每个屏幕和回执上都要印站名");
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
    if raw.window.is_empty() {
        issues.at(0..0, "window", "至少要有一个窗口（[[window]]）");
    }
    let mut numbers = HashSet::new();
    for w in &raw.window {
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
    if *raw.calling.max_recalls.get_ref() > 10 {
        issues.at(raw.calling.max_recalls.span(), "calling.max-recalls", "重呼次数最多 10 次");
    }
    if !(1..=5).contains(raw.voice.repeat.get_ref()) {
        issues.at(raw.voice.repeat.span(), "voice.repeat", "每次叫号念 1 到 5 遍");
    }
    let listen = match &raw.server.listen {
        Some(list) => {
            for a in list.get_ref() {
                if let Err(why) = check_listen(a) {
                    issues.at(list.span(), "server.listen", format!("{a:?}: {why}"));
                }
            }
            list.get_ref().iter().map(|a| a.trim().to_string()).collect()
        }
        None => default_listen(&url),
    };
    for (key, list) in [("hours.weekdays", &raw.hours.weekdays), ("hours.weekends", &raw.hours.weekends)] {
        for r in list.get_ref() {
            if !valid_hours_range(r) {
                issues.at(list.span(), key, format!("“{r}”不是时间段，请写成 \"08:30-12:00\" 这样"));
            }
        }
    }
    let idle = &raw.idle;
    if *idle.timeout_secs.get_ref() < 30 {
        issues.at(idle.timeout_secs.span(), "idle.timeout-secs", "至少 30 秒：老人看得慢");
    }
    if *idle.countdown_secs.get_ref() < 20 {
        issues.at(idle.countdown_secs.span(), "idle.countdown-secs", "至少 20 秒：要留时间点“继续办理”");
    }
    if *raw.privacy.retention_days.get_ref() < 30 {
        issues.at(
            raw.privacy.retention_days.span(),
            "privacy.retention-days",
            "至少 30 天：结案后村民可能还要来查询或补办",
        );
    }
    if *raw.backup.keep_days.get_ref() == 0 {
        issues.at(raw.backup.keep_days.span(), "backup.keep-days", "至少 1 天");
    }
    let folder = raw.backup.folder.get_ref().trim();
    if !folder.is_empty() && !folder.starts_with('/') {
        issues.at(
            raw.backup.folder.span(),
            "backup.folder",
            format!("“{folder}”要写完整路径（以 / 开头），例如 /media/kiosk-backup"),
        );
    }
    if *raw.printer.timeout_secs.get_ref() == 0 {
        issues.at(raw.printer.timeout_secs.span(), "printer.timeout-secs", "至少 1 秒");
    }
    let mut prefixes = BTreeMap::new();
    for (cat, p) in &raw.tickets.prefixes {
        let v = p.get_ref().trim();
        if v.len() != 1 || !v.chars().all(|c| c.is_ascii_uppercase()) {
            issues.at(p.span(), &format!("tickets.prefixes.{cat}"), format!("“{v}”不对：票号字头要用一个大写字母"));
        }
        prefixes.insert(cat.clone(), v.to_string());
    }
    let service_times = ServiceTimes {
        default_minutes: raw.queue.minutes_per_service.max(1),
        per_category: raw.queue.minutes_per_category.clone(),
        windows: raw.window.len() as u32,
    };
    let printer_name = raw.printer.name.trim();
    let cfg = StationConfig {
        name: s.name.get_ref().trim().to_string(),
        village: s.village.trim().to_string(),
        township: s.township.trim().to_string(),
        phone: s.phone.trim().to_string(),
        public_base_url: url,
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
        },
        server: ServerConfig {
            listen,
            ticket_page_days: raw.server.ticket_page_days.max(1),
            case_page_days: raw.server.case_page_days.max(1),
        },
        voice: VoiceSettings {
            enabled: raw.voice.enabled,
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
    };
    issues.finish(cfg)
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

// ---------------------------------------------------------------------------------------
// holidays.toml

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawHolidays {
    #[serde(default)]
    year: Vec<RawYear>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawYear {
    year: Spanned<i32>,
    #[serde(default)]
    holidays: Vec<Spanned<String>>,
    #[serde(default)]
    workdays: Vec<Spanned<String>>,
}

/// Parses the holiday calendar: every date must be real and inside its year; a make-up
/// working day must not also be a holiday.
pub fn parse_holidays(file: &str, src: &str) -> Result<Calendar, ConfigErrors> {
    use chrono::Datelike;
    let raw: RawHolidays = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);
    let mut cal = Calendar::new();
    let mut years = HashSet::new();
    for y in &raw.year {
        let year = *y.year.get_ref();
        if !(2000..=2100).contains(&year) {
            issues.at(y.year.span(), "year.year", format!("{year} 不像是年份，请核对"));
        }
        if !years.insert(year) {
            issues.at(y.year.span(), "year.year", format!("{year} 年写了两次"));
        }
        let mut parse = |list: &Vec<Spanned<String>>, field: &str| -> Vec<chrono::NaiveDate> {
            let mut out = Vec::new();
            for d in list {
                match d.get_ref().parse::<chrono::NaiveDate>() {
                    Ok(date) if date.year() == year => out.push(date),
                    Ok(_) => issues.at(d.span(), field, format!("“{}”不在 {year} 年里（放错年份了）", d.get_ref())),
                    Err(_) => {
                        issues.at(d.span(), field, format!("“{}”不是日期，请写成 \"2026-10-01\" 这样", d.get_ref()))
                    }
                }
            }
            out
        };
        let hol = parse(&y.holidays, "year.holidays");
        let work = parse(&y.workdays, "year.workdays");
        for w in &work {
            if hol.contains(w) {
                issues.at(y.year.span(), "year.workdays", format!("{w} 既写成放假又写成调休上班，只能是一种"));
            }
        }
        cal.add_year(year, hol, work);
    }
    issues.finish(cal)
}

// ---------------------------------------------------------------------------------------
// rules.toml

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawRule {
    title: Spanned<String>,
    text: Spanned<String>,
}

/// One of the station's rules as posted on the wall (公示栏).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub title: String,
    pub text: String,
}

/// Parses the station's rules: each needs a title and a text.
pub fn parse_rules(file: &str, src: &str) -> Result<Vec<Rule>, ConfigErrors> {
    let raw: RawRules = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);
    let mut out = Vec::new();
    for r in &raw.rule {
        if r.title.get_ref().trim().is_empty() {
            issues.at(r.title.span(), "rule.title", "制度名称是空的，请填写");
        }
        if r.text.get_ref().trim().is_empty() {
            issues.at(r.text.span(), "rule.text", "制度内容是空的，请填写");
        }
        out.push(Rule { title: r.title.get_ref().trim().to_string(), text: r.text.get_ref().trim().to_string() });
    }
    issues.finish(out)
}

/// Where the configuration came from, for messages.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub station: StationConfig,
    /// The list of matters in use: the config file's until the station opens its store,
    /// then the live published version (see `service::catalog`).
    pub catalog: Catalog,
    pub calendar: Calendar,
    pub station_file: String,
    /// station.toml as read (the desk's settings are laid over it; see `service::settings`).
    pub station_source: String,
    pub matters_file: String,
    /// matters.toml as read: the first version published into a new store.
    pub matters_source: String,
    /// The station's rules for the wall (rules.toml).
    pub rules: Vec<Rule>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{0}")]
    Invalid(ConfigErrors),
}

fn read_or_shipped(dir: Option<&Path>, name: &str, shipped: &'static str) -> Result<(String, String), LoadError> {
    match dir {
        Some(d) => {
            let p = d.join(name);
            std::fs::read_to_string(&p)
                .map(|s| (p.display().to_string(), s))
                .map_err(|e| LoadError::Read { path: p.display().to_string(), source: e })
        }
        None => Ok((format!("<shipped>/{name}"), shipped.to_string())),
    }
}

/// Loads both files from `dir`, or the shipped copies when `dir` is None.
pub fn load(dir: Option<&Path>) -> Result<LoadedConfig, LoadError> {
    let (station_file, station_src) = read_or_shipped(dir, "station.toml", SHIPPED_STATION)?;
    let (matters_file, matters_src) = read_or_shipped(dir, "matters.toml", SHIPPED_MATTERS)?;
    // holidays.toml is optional in a config folder: without it only weekends are known
    // (and every due date is flagged as beyond the calendar).
    let (holidays_file, holidays_src) = match dir {
        Some(d) if !d.join("holidays.toml").exists() => (d.join("holidays.toml").display().to_string(), String::new()),
        _ => read_or_shipped(dir, "holidays.toml", SHIPPED_HOLIDAYS)?,
    };
    let mut errors = Vec::new();
    let station = parse_station(&station_file, &station_src).map_err(|e| errors.extend(e.0)).ok();
    let catalog = parse_matters(&matters_file, &matters_src).map_err(|e| errors.extend(e.0)).ok();
    let calendar = parse_holidays(&holidays_file, &holidays_src).map_err(|e| errors.extend(e.0)).ok();
    // rules.toml is optional in a config folder: the shipped rules stand in.
    let (rules_file, rules_src) = match dir {
        Some(d) if d.join("rules.toml").exists() => read_or_shipped(dir, "rules.toml", SHIPPED_RULES)?,
        _ => ("<shipped>/rules.toml".to_string(), SHIPPED_RULES.to_string()),
    };
    let rules = parse_rules(&rules_file, &rules_src).map_err(|e| errors.extend(e.0)).ok();
    match (station, catalog, calendar, rules) {
        (Some(station), Some(catalog), Some(calendar), Some(rules)) if errors.is_empty() => {
            cross_check(&station, &station_file, &catalog).map_err(LoadError::Invalid)?;
            Ok(LoadedConfig {
                station,
                catalog,
                calendar,
                station_file,
                station_source: station_src,
                matters_file,
                matters_source: matters_src,
                rules,
            })
        }
        _ => Err(LoadError::Invalid(ConfigErrors(errors))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of mistake keeps `FILE:LINE: field: problem`, in words, without the
    /// parser's English.
    #[test]
    fn every_mistake_names_file_line_and_field_in_words() {
        let cases = [
            (
                GOOD.replace("promised-days = 1", "promised-days = \"三\""),
                "m.toml:11: matter.promised-days: 这里要写不小于 0 的整数，写的是“三”",
            ),
            (
                GOOD.replace("promised-days = 1", "promised-days = -1"),
                "m.toml:11: matter.promised-days: 这里要写不小于 0 的整数，写的是“-1”",
            ),
            (
                GOOD.replace("original = true", "original = \"是\""),
                "m.toml:15: matter.materials.original: 这里要写true 或 false，写的是“是”",
            ),
            (
                GOOD.replace("mode = \"relay\"", "mode relay"),
                "m.toml:10: matter.mode: 这一行缺少等号和值（应写成 名称 = 值）",
            ),
            (
                GOOD.replace("name = \"人社\"", "name = \"人社"),
                "m.toml:4: category.name: 引号没有配对（文字要放在英文双引号里）",
            ),
            (
                GOOD.replace("copies = 1", "copies = 1\ncopies = 2"),
                "m.toml:17: matter.materials.copies: 这一项写了两次，请删掉一处",
            ),
            (
                GOOD.replace("copies = 1", "copys = 1"),
                "m.toml:16: matter.materials.copys: 不认识 copys 这一项（是不是拼错了？）",
            ),
        ];
        for (src, want) in cases {
            let e = parse_matters("m.toml", &src).map(|_| ()).expect_err(want).to_string();
            assert_eq!(e, want, "{src}");
            assert!(!e.contains("expected") && !e.contains("invalid"), "{e}");
        }
    }

    const GOOD: &str = r#"
[[category]]
code = "A"
name = "人社"

[[matter]]
code = "A01"
category = "A"
name = "城乡居民基本养老保险参保登记"
mode = "relay"
promised-days = 1

[[matter.materials]]
name = "居民身份证"
original = true
copies = 1
"#;

    #[test]
    fn good_file_parses() {
        let c = parse_matters("m.toml", GOOD).unwrap();
        assert_eq!(c.matters.len(), 1);
        assert_eq!(c.matters[0].short_name, "城乡居民基本养老");
        assert_eq!(c.matters[0].materials[0].requirement(), "原件＋复印件1份");
    }

    #[test]
    fn broken_toml_names_the_line() {
        let src = GOOD.replace("mode = \"relay\"", "mode = \"relay");
        let e = parse_matters("m.toml", &src).unwrap_err();
        let line = src.lines().position(|l| l.starts_with("mode")).unwrap() + 1;
        assert_eq!(e.0[0].line, line, "{e}");
        assert!(e.to_string().starts_with(&format!("m.toml:{line}:")), "{e}");
    }

    #[test]
    fn semantic_errors_all_reported_with_lines() {
        let src = format!(
            "{GOOD}\n[[matter]]\ncode = \"A01\"\ncategory = \"Z\"\nname = \"重复\"\nmode = \"relay\"\npromised-days = 3\n"
        );
        let e = parse_matters("m.toml", &src).unwrap_err();
        let text = e.to_string();
        let dup_line = src.lines().enumerate().filter(|(_, l)| l.starts_with("code = \"A01\"")).nth(1).unwrap().0 + 1;
        let cat_line = src.lines().position(|l| l.starts_with("category = \"Z\"")).unwrap() + 1;
        assert!(text.contains(&format!("m.toml:{dup_line}: matter.code: 事项代码“A01”重复了")), "{text}");
        assert!(text.contains(&format!("m.toml:{cat_line}: matter.category: 没有“Z”这个类别")), "{text}");
        assert!(text.contains("matter.materials: 事项 A01 没有列出材料"), "{text}");
    }

    #[test]
    fn station_defaults_and_errors() {
        let s = parse_station("s.toml", "").unwrap();
        assert_eq!(s.idle, IdlePolicy::default());
        assert_eq!(s.prefix_for("C"), "C");
        let e = parse_station("s.toml", "[idle]\ntimeout-secs = 5\n").unwrap_err();
        assert_eq!(e.0[0].to_string(), "s.toml:2: idle.timeout-secs: 至少 30 秒：老人看得慢");
        let e = parse_station("s.toml", "[station]\ntime-zone = \"Mars/Base\"\n").unwrap_err();
        assert!(e.to_string().starts_with("s.toml:2: station.time-zone"), "{e}");
        let e = parse_station("s.toml", "[printer]\nnmae = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("s.toml:2:"), "{e}");
    }

    #[test]
    fn shipped_files_are_valid() {
        let cfg = load(None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.catalog.matters.len(), 34);
        assert_eq!(cfg.catalog.categories.len(), 9);
        assert!(cfg.calendar.covers(2026));
        let due = cfg.calendar.add_working_days("2026-09-30".parse().unwrap(), 3);
        assert_eq!(due.date.to_string(), "2026-10-10");
    }

    #[test]
    fn holiday_errors_have_lines() {
        let src = "[[year]]\nyear = 2027\nholidays = [\"2027-02-30\", \"2026-10-01\"]\n";
        let e = parse_holidays("h.toml", src).unwrap_err().to_string();
        assert!(e.contains("h.toml:3: year.holidays: “2027-02-30”不是日期"), "{e}");
        assert!(e.contains("“2026-10-01”不在 2027 年里"), "{e}");
    }
}
