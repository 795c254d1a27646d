//! `kiosk staff add|set-pin|away|post|list|disable|enable`: the roster from the command
//! line. The set-up commands need no sign-in (they make a new station's first accounts on
//! the box itself): they go through the service with the box's own local-administration
//! right, and each is in the audit log as 本机命令行. Disabling and enabling an account
//! need the station head's PIN.

use super::{explained, sign_in_from_stdin, StaffCmd};
use crate::service::{LocalAdmin, StaffError, Station};

pub fn run(st: &mut Station, cmd: StaffCmd) -> i32 {
    let local = LocalAdmin::on_this_box();
    let enable = matches!(cmd, StaffCmd::Enable { .. });
    let result: Result<String, StaffError> = match cmd {
        StaffCmd::Add { no, name, role } => st
            .admin_add_staff(&local, &no, &name, &role, None)
            .map(|_| format!("added staff {} ({})", no.trim(), name.trim())),
        StaffCmd::SetPin { no } => {
            let mut line = String::new();
            if let Err(e) = std::io::stdin().read_line(&mut line) {
                return super::fail(&format!("reading the PIN from standard input: {e}"), 1);
            }
            st.admin_reset_pin(&local, &no, line.trim()).map(|m| format!("PIN set for {}", m.no))
        }
        StaffCmd::Away { no, date, back } => {
            let day = match date.as_deref().map(|d| d.trim().parse::<chrono::NaiveDate>()) {
                Some(Ok(d)) => d,
                Some(Err(_)) => return super::fail("--date: use YYYY-MM-DD", 2),
                None => st.clock.today(),
            };
            st.admin_set_away(&local, &no, day, !back).map(|s| {
                if back {
                    format!("{} is on duty on {day}", s.no)
                } else {
                    format!("{} is away on {day}", s.no)
                }
            })
        }
        StaffCmd::Post { scope, a, b } => st
            .admin_set_post(&local, &scope, &a, b.as_deref())
            .map(|scope| format!("post {scope}: A {}, B {}", a.trim(), b.as_deref().map(str::trim).unwrap_or("-"))),
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
        StaffCmd::List => list(st),
    };
    match result {
        Ok(msg) => {
            crate::outln!("{msg}");
            0
        }
        Err(e) => explained(&e),
    }
}

fn list(st: &Station) -> Result<String, StaffError> {
    let away = st.away_today()?;
    let mut out = String::new();
    for s in st.staff_list()? {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            s.no,
            s.name,
            s.role.key(),
            if away.contains(&s.no) { "今日不在岗" } else { "在岗" }
        ));
    }
    for p in st.posts()? {
        out.push_str(&format!("post {}\tA {}\tB {}\n", p.scope, p.a, p.b.unwrap_or_default()));
    }
    Ok(out.trim_end().to_string())
}
