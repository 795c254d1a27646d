//! `kiosk matters check|list` and `kiosk config check`.

use crate::config::{self, LoadedConfig};
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
            println!("{}: ok ({} matters in {} categories)", file.display(), c.matters.len(), c.categories.len());
            0
        }
        Err(errs) => {
            eprintln!("{errs}");
            1
        }
    }
}

pub fn list(cfg: &LoadedConfig, json: bool) -> i32 {
    for m in &cfg.catalog.matters {
        if json {
            println!(
                "{}",
                serde_json::json!({"code": m.code, "name": m.name, "category": m.category, "mode": m.mode.key(), "promised_days": m.promised_days})
            );
        } else {
            println!("{}\t{}\t{}\t{}", m.code, m.name, m.mode.label(), m.promise_text());
        }
    }
    0
}

pub fn config_check(cfg: &LoadedConfig) -> i32 {
    println!("{}: ok", cfg.station_file);
    println!(
        "{}: ok ({} matters in {} categories)",
        cfg.matters_file,
        cfg.catalog.matters.len(),
        cfg.catalog.categories.len()
    );
    let years: Vec<String> = cfg.calendar.years().map(|y| y.to_string()).collect();
    println!("holidays: ok (years {})", if years.is_empty() { "none: weekends only".into() } else { years.join(", ") });
    0
}
