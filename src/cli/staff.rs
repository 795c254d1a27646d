//! `kiosk staff add|set-pin|away|post|list`: the roster from the command line.

use super::{fail, sign_in_from_stdin, StaffCmd};
use crate::service::{StaffError, Station};

pub fn run(st: &mut Station, cmd: StaffCmd) -> i32 {
    let enable = matches!(cmd, StaffCmd::Enable { .. });
    // The bootstrap commands need no sign-in (they set up the first accounts on the box
    // itself); each change still goes into the audit trail as a local change.
    let local = match &cmd {
        StaffCmd::Add { no, name, role } => {
            Some((format!("新增工作人员 {} {} ({})", no.trim(), name.trim(), role.trim()), no.trim().to_string()))
        }
        StaffCmd::SetPin { no } => Some(("设置密码".to_string(), no.trim().to_string())),
        StaffCmd::Away { no, date, back } => Some((
            format!("{} {}", if *back { "取消请假" } else { "登记请假" }, date.as_deref().unwrap_or("今天")),
            no.trim().to_string(),
        )),
        StaffCmd::Post { scope, a, b } => {
            Some((format!("AB岗 A {} B {}", a.trim(), b.as_deref().unwrap_or("-")), scope.trim().to_string()))
        }
        _ => None,
    };
    let result: Result<String, StaffError> = match cmd {
        StaffCmd::Add { no, name, role } => {
            st.add_staff(&no, &name, &role).map(|_| format!("added staff {} ({})", no.trim(), name.trim()))
        }
        StaffCmd::SetPin { no } => {
            let mut line = String::new();
            if let Err(e) = std::io::stdin().read_line(&mut line) {
                return fail(&format!("reading the PIN from standard input: {e}"), 1);
            }
            st.set_staff_pin(&no, line.trim()).map(|_| format!("PIN set for {}", no.trim()))
        }
        StaffCmd::Away { no, date, back } => {
            let day = match date.as_deref().map(|d| d.parse::<chrono::NaiveDate>()) {
                Some(Ok(d)) => d,
                Some(Err(_)) => return fail("--date: use YYYY-MM-DD", 2),
                None => st.clock.today(),
            };
            st.set_staff_away(&no, day, !back).map(|s| {
                if back {
                    format!("{} is on duty on {day}", s.no)
                } else {
                    format!("{} is away on {day}", s.no)
                }
            })
        }
        StaffCmd::Post { scope, a, b } => st
            .set_post(&scope, &a, b.as_deref())
            .map(|scope| format!("post {scope}: A {a}, B {}", b.unwrap_or_else(|| "-".into()))),
        StaffCmd::Disable { no, staff } | StaffCmd::Enable { no, staff } => {
            let who = match sign_in_from_stdin(st, &staff) {
                Ok(w) => w,
                Err(code) => return code,
            };
            st.admin_set_active(&who, &no, enable).map(|m| {
                if enable {
                    format!("{} {} 已启用", m.no, m.name)
                } else {
                    format!("{} {} 已停用", m.no, m.name)
                }
            })
        }
        StaffCmd::List => {
            let away = st.away_today().unwrap_or_default();
            let mut out = String::new();
            for s in st.staff_list().unwrap_or_default() {
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\n",
                    s.no,
                    s.name,
                    s.role,
                    if away.contains(&s.no) { "今日不在岗" } else { "在岗" }
                ));
            }
            for p in st.posts().unwrap_or_default() {
                out.push_str(&format!("post {}\tA {}\tB {}\n", p.scope, p.a, p.b.unwrap_or_default()));
            }
            Ok(out.trim_end().to_string())
        }
    };
    match result {
        Ok(msg) => {
            if let Some((what, subject)) = local {
                if let Err(e) = st.note_local_change(&what, &subject) {
                    eprintln!("warning: the audit trail was not written: {e}");
                }
            }
            crate::outln!("{msg}");
            0
        }
        Err(e @ StaffError::Store(_)) => fail(&e.to_string(), 1),
        Err(e) => fail(&e.to_string(), 2),
    }
}
