//! The station's configuration: `station.toml` (the station's settings), `matters.toml`
//! (the list of matters), `holidays.toml` (the holiday calendar) and `rules.toml` (the
//! rules on the wall), one file each in this module, and `issues.rs`, how a mistake is told.
//!
//! Each is parsed with serde, then validated by named checks; every problem names the file, the line
//! and the field (`FILE:LINE: field: problem`), because the person fixing it is a station
//! admin with a text editor. The shipped files are embedded so the kiosk runs with no
//! set-up; a folder given with `--config-dir` (or ./kiosk-config) takes precedence.

pub const SHIPPED_STATION: &str = include_str!("../../kiosk-config/station.toml");
pub const SHIPPED_MATTERS: &str = include_str!("../../kiosk-config/matters.toml");
pub const SHIPPED_HOLIDAYS: &str = include_str!("../../kiosk-config/holidays.toml");
pub const SHIPPED_RULES: &str = include_str!("../../kiosk-config/rules.toml");
pub const SHIPPED_GUIDANCE: &str = include_str!("../../kiosk-config/guidance.toml");
pub const SHIPPED_LEXICON: &str = include_str!("../../kiosk-config/lexicon.toml");

mod guidance;
mod holidays;
mod issues;
mod matters;
mod reasons;
mod rules;
mod station;
mod town;

pub use guidance::{parse_guidance, parse_lexicon, Prompts};
pub use holidays::parse_holidays;
pub use issues::{ConfigErrors, ConfigIssue};
pub use matters::parse_matters;
pub use reasons::{parse_reasons, reasons_toml};
pub use rules::{parse_rules, Rule};
pub use station::*;
#[cfg(test)]
pub(crate) use town::town_for_tests;
pub use town::{
    parse_join, parse_town, to_toml, JoinFile, TownConfig, TownStation, JOIN_FILE, STATION_NATS, STATION_NATS_MONITOR,
    TOWN_FILE, TOWN_NATS, TOWN_NATS_MONITOR, TOWN_PKI_DIR,
};

use crate::domain::matter::Catalog;
use crate::domain::workdays::Calendar;
use std::path::Path;

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
    /// town-join.toml: the station has joined the town (None: it works on its own).
    pub join: Option<JoinFile>,
    /// The kiosk's spoken prompts (guidance.toml).
    pub prompts: Prompts,
    /// How words are read aloud: lexicon.toml with the station's own words laid over it
    /// (station.toml `[guidance] lexicon`).
    pub lexicon: crate::domain::guidance::Lexicon,
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
    // town-join.toml: only in a config folder, only once the station joined the town.
    let join = match dir.map(|d| d.join(JOIN_FILE)) {
        Some(p) if p.exists() => {
            let src = std::fs::read_to_string(&p)
                .map_err(|e| LoadError::Read { path: p.display().to_string(), source: e })?;
            parse_join(&p.display().to_string(), &src).map_err(|e| errors.extend(e.0)).ok()
        }
        _ => None,
    };
    // guidance.toml and lexicon.toml are optional in a config folder: the shipped ones stand in.
    let (guidance_file, guidance_src) = match dir {
        Some(d) if d.join("guidance.toml").exists() => read_or_shipped(dir, "guidance.toml", SHIPPED_GUIDANCE)?,
        _ => ("<shipped>/guidance.toml".to_string(), SHIPPED_GUIDANCE.to_string()),
    };
    let prompts = parse_guidance(&guidance_file, &guidance_src).map_err(|e| errors.extend(e.0)).ok();
    let (lexicon_file, lexicon_src) = match dir {
        Some(d) if d.join("lexicon.toml").exists() => read_or_shipped(dir, "lexicon.toml", SHIPPED_LEXICON)?,
        _ => ("<shipped>/lexicon.toml".to_string(), SHIPPED_LEXICON.to_string()),
    };
    let mut lexicon = parse_lexicon(&lexicon_file, &lexicon_src).map_err(|e| errors.extend(e.0)).ok();
    if let (Some(extra), Some(lexicon)) = (station.as_ref().and_then(|s| s.guidance.lexicon.as_ref()), lexicon.as_mut())
    {
        let path = match dir {
            Some(d) if extra.is_relative() => d.join(extra),
            _ => extra.clone(),
        };
        let src = std::fs::read_to_string(&path)
            .map_err(|e| LoadError::Read { path: path.display().to_string(), source: e })?;
        match parse_lexicon(&path.display().to_string(), &src) {
            Ok(own) => lexicon.extend(&own),
            Err(e) => errors.extend(e.0),
        }
    }
    match (station, catalog, calendar, rules, prompts, lexicon) {
        (Some(station), Some(catalog), Some(calendar), Some(rules), Some(prompts), Some(lexicon))
            if errors.is_empty() =>
        {
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
                join,
                prompts,
                lexicon,
            })
        }
        _ => Err(LoadError::Invalid(ConfigErrors(errors))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::idle::IdlePolicy;

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
        assert_eq!(s.calling.nearly_up, 2, "快到您了 with two or fewer ahead, by default");
        let e = parse_station("s.toml", "[calling]\nnearly-up = 50\n").unwrap_err();
        assert_eq!(e.0[0].to_string(), "s.toml:2: calling.nearly-up: 最多 20 人：前面人太多时提醒，村民会白等");
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
