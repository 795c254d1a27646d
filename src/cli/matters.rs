//! `kiosk matters …` (the list of matters and its published versions) and `kiosk config check`.

use super::{fail, sign_in_from_stdin, MattersCmd};
use crate::config::{self, LoadedConfig};
use crate::service::{MattersDiff, MattersError, Station};
use std::path::Path;

/// Validates a matters file: `FILE:LINE: field: problem` for each error, exit 1.
pub fn check(file: &Path) -> i32 {
    let src = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}:1: file: cannot read: {e}", file.display());
            return 2;
        }
    };
    match config::parse_matters(&file.display().to_string(), &src) {
        Ok(c) => {
            crate::outln!("{}: ok ({} matters in {} categories)", file.display(), c.matters.len(), c.categories.len());
            0
        }
        Err(errs) => {
            eprintln!("{errs}");
            1
        }
    }
}

fn list(st: &Station, json: bool) -> i32 {
    for m in &st.cfg.catalog.matters {
        if json {
            crate::outln!(
                "{}",
                serde_json::json!({"code": m.code, "name": m.name, "category": m.category, "mode": m.mode.key(), "promised_days": m.promised_days})
            );
        } else {
            crate::outln!("{}\t{}\t{}\t{}", m.code, m.name, m.mode.label(), m.promise_text());
        }
    }
    0
}

pub fn config_check(cfg: &LoadedConfig) -> i32 {
    crate::outln!("{}: ok", cfg.station_file);
    crate::outln!(
        "{}: ok ({} matters in {} categories)",
        cfg.matters_file,
        cfg.catalog.matters.len(),
        cfg.catalog.categories.len()
    );
    let years: Vec<String> = cfg.calendar.years().map(|y| y.to_string()).collect();
    crate::outln!(
        "holidays: ok (years {})",
        if years.is_empty() { "none: weekends only".into() } else { years.join(", ") }
    );
    for w in prefix_warnings(cfg) {
        crate::outln!("{w}");
    }
    0
}

/// `FILE:LINE: tickets.prefixes.C: warning: …` for each ticket prefix the calling voice says
/// ambiguously (none where the station recorded its own letter clip).
fn prefix_warnings(cfg: &LoadedConfig) -> Vec<String> {
    let st = &cfg.station;
    let letters: Vec<(String, char)> = cfg
        .catalog
        .categories
        .iter()
        .filter_map(|c| st.prefix_for(&c.code).chars().next().map(|p| (c.code.clone(), p)))
        .collect();
    let prefixes: Vec<char> = letters.iter().map(|x| x.1).collect();
    let station_dir = std::path::Path::new(&cfg.station_file).parent().map(std::path::Path::to_path_buf);
    let custom = st.voice.custom_clips.as_ref().map(|c| match &station_dir {
        Some(d) if c.is_relative() => d.join(c),
        _ => c.clone(),
    });
    let text = std::fs::read_to_string(&cfg.station_file).unwrap_or_default();
    crate::voice::prefix_warnings(&prefixes, custom.as_deref())
        .into_iter()
        .map(|(p, why)| {
            let cat = letters.iter().find(|x| x.1 == p).map(|x| x.0.clone()).unwrap_or_default();
            let line = prefix_line(&text, &cat).map(|l| format!(":{l}")).unwrap_or_default();
            format!("{}{line}: tickets.prefixes.{cat}: warning: {why}", cfg.station_file)
        })
        .collect()
}

/// The line of `CAT = "…"` in station.toml's [tickets.prefixes], if it is there.
fn prefix_line(text: &str, cat: &str) -> Option<usize> {
    let mut inside = false;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            inside = t == "[tickets.prefixes]";
        } else if inside && t.split('=').next().map(str::trim) == Some(cat) {
            return Some(i + 1);
        }
    }
    None
}

fn diff_json(version: Option<i64>, d: &MattersDiff) -> serde_json::Value {
    serde_json::json!({
        "version": version,
        "added": d.added,
        "removed": d.removed,
        "changed": d.changed.iter().map(|c| serde_json::json!({"code": c.code, "fields": c.fields})).collect::<Vec<_>>(),
        "categories": d.categories,
    })
}

fn print_diff(d: &MattersDiff) {
    for c in &d.added {
        crate::outln!("新增 {c}");
    }
    for c in &d.removed {
        crate::outln!("删除 {c}");
    }
    for c in &d.changed {
        for x in &c.described {
            crate::outln!("修改 {} {x}", c.code);
        }
    }
    for c in &d.categories {
        crate::outln!("{c}");
    }
}

fn refused(e: MattersError) -> i32 {
    match e {
        MattersError::Invalid(errs) => {
            eprintln!("{errs}");
            1
        }
        e => super::explained(&e),
    }
}

pub fn run(st: &mut Station, cmd: MattersCmd) -> i32 {
    match cmd {
        MattersCmd::Check { file } => check(&file),
        MattersCmd::List { json } => list(st, json),
        MattersCmd::Import { file, note, staff, dry_run, json } => {
            let src = match std::fs::read_to_string(&file) {
                Ok(s) => s,
                Err(e) => return fail(&format!("{}:1: file: cannot read: {e}", file.display()), 2),
            };
            let name = file.display().to_string();
            // A file with errors is refused before anything else: nothing is published.
            let checked = match st.check_matters(&name, &src) {
                Ok(c) => c,
                Err(e) => return refused(e),
            };
            let who = match sign_in_from_stdin(st, &staff) {
                Ok(w) => w,
                Err(code) => return code,
            };
            let outcome = if dry_run {
                if !who.is_admin() {
                    return refused(MattersError::NotAdmin);
                }
                Ok((None, checked.diff))
            } else {
                st.publish_matters(&who, &name, &src, &note).map(|(v, d)| (Some(v), d))
            };
            match outcome {
                Ok((v, d)) => {
                    if json {
                        crate::outln!("{}", diff_json(v, &d));
                    } else {
                        print_diff(&d);
                        match v {
                            Some(v) => crate::outln!("已发布第{v}版"),
                            None => crate::outln!("（试运行，没有发布）"),
                        }
                    }
                    0
                }
                Err(e) => refused(e),
            }
        }
        MattersCmd::Versions { json } => match st.catalog_versions() {
            Ok(list) => {
                if json {
                    crate::outln!("{}", serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()));
                } else {
                    for v in list {
                        crate::outln!("{}\t{}\t{}\t{}", v.version, v.published_at, v.staff.unwrap_or_default(), v.note);
                    }
                }
                0
            }
            Err(e) => fail(&e.to_string(), 1),
        },
        MattersCmd::Rollback { version, staff, note, json } => {
            let who = match sign_in_from_stdin(st, &staff) {
                Ok(w) => w,
                Err(code) => return code,
            };
            match st.rollback_matters(&who, version, note.as_deref()) {
                Ok((v, d)) => {
                    if json {
                        crate::outln!("{}", diff_json(Some(v), &d));
                    } else {
                        print_diff(&d);
                        crate::outln!("已发布第{v}版（回滚到第{version}版）");
                    }
                    0
                }
                Err(e) => refused(e),
            }
        }
        MattersCmd::Export { out } => match st.export_matters() {
            Ok(src) => match out {
                Some(p) => match std::fs::write(&p, src) {
                    Ok(()) => {
                        crate::outln!("{}", p.display());
                        0
                    }
                    Err(e) => fail(&format!("{}: {e}", p.display()), 1),
                },
                None => {
                    crate::out!("{src}");
                    0
                }
            },
            Err(e) => fail(&e.to_string(), 1),
        },
    }
}
