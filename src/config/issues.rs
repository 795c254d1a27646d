//! How a configuration mistake is told: `FILE:LINE: field: problem`, the problem in words the
//! station head can act on, never the parser's English.

use std::fmt;

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
pub(super) fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

pub(super) struct Issues<'a> {
    file: &'a str,
    src: &'a str,
    list: Vec<ConfigIssue>,
}

impl<'a> Issues<'a> {
    pub(super) fn new(file: &'a str, src: &'a str) -> Self {
        Issues { file, src, list: Vec::new() }
    }

    pub(super) fn at(&mut self, span: std::ops::Range<usize>, field: &str, problem: impl Into<String>) {
        self.list.push(ConfigIssue {
            file: self.file.to_string(),
            line: line_of(self.src, span.start),
            field: field.to_string(),
            problem: problem.into(),
        });
    }

    pub(super) fn finish<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.list.is_empty() {
            Ok(value)
        } else {
            Err(ConfigErrors(self.list))
        }
    }
}

/// Turns a serde/TOML error into `FILE:LINE: field: problem`, the problem in words the
/// station head can act on (the parser's own English goes to the log, not to the screen).
pub(super) fn syntax_issue(file: &str, src: &str, e: &toml::de::Error) -> ConfigErrors {
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
