//! `kiosk holidays import|list`: the holiday calendar from the command line.

use super::{fail, sign_in_from_stdin, HolidaysCmd};
use crate::service::{HolidaysError, Station};

fn refused(e: HolidaysError) -> i32 {
    match e {
        HolidaysError::Invalid(errs) => {
            eprintln!("{errs}");
            1
        }
        e => super::explained(&e),
    }
}

pub fn run(st: &mut Station, cmd: HolidaysCmd) -> i32 {
    match cmd {
        HolidaysCmd::Import { file, staff, json } => {
            let src = match std::fs::read_to_string(&file) {
                Ok(s) => s,
                Err(e) => return fail(&format!("{}:1: file: cannot read: {e}", file.display()), 2),
            };
            let name = file.display().to_string();
            // A file with errors is refused before the sign-in: nothing changes.
            if let Err(e) = st.check_holidays(&name, &src) {
                return refused(e);
            }
            let who = match sign_in_from_stdin(st, &staff) {
                Ok(w) => w,
                Err(code) => return code,
            };
            match st.import_holidays(&who, &name, &src) {
                Ok(done) => {
                    if json {
                        let changes: Vec<serde_json::Value> = done
                            .recomputed
                            .iter()
                            .map(|c| {
                                serde_json::json!({"tracking": c.tracking, "from": c.from.to_string(), "to": c.to.to_string(),
                                    "beyond_calendar": c.beyond_calendar})
                            })
                            .collect();
                        crate::outln!("{}", serde_json::json!({"years": done.years, "recomputed": changes}));
                    } else {
                        for y in &done.years {
                            crate::outln!(
                                "{}年：放假 {} 天，调休上班 {} 天{}",
                                y.year,
                                y.holidays,
                                y.workdays,
                                if y.replaces { "（替换原有安排）" } else { "" }
                            );
                        }
                        for c in &done.recomputed {
                            crate::outln!("{} 承诺办结日期 {} → {}", c.tracking, c.from, c.to);
                        }
                        crate::outln!("已导入；重算 {} 件代办的承诺日期", done.recomputed.len());
                    }
                    0
                }
                Err(e) => refused(e),
            }
        }
        HolidaysCmd::List => match st.holiday_years() {
            Ok(years) => {
                for y in years {
                    let from = match &y.imported {
                        Some((at, staff)) => format!(
                            "imported {} by {}",
                            at.with_timezone(&st.clock.tz()).format("%Y-%m-%d %H:%M"),
                            staff.as_deref().unwrap_or("-")
                        ),
                        None => "holidays.toml".to_string(),
                    };
                    crate::outln!(
                        "{}\t{} holidays\t{} make-up workdays\t{from}",
                        y.year,
                        y.holidays.len(),
                        y.workdays.len()
                    );
                }
                if let Some(y) = st.holidays_missing() {
                    crate::outln!("missing: {y}");
                }
                0
            }
            Err(e) => fail(&e.to_string(), 1),
        },
    }
}
