//! 工作人员 in 站务管理 (station head): who works at the station, with their role and
//! whether the account is in use; add one, disable or enable, change the role, set a new
//! PIN. Every change goes through the service, which checks the head and records it.

use super::access::{Checked, Head, PageError};
use super::chrome::{admin_page, csrf};
use super::session::Session;
use super::state::AppState;
use crate::domain::staff::Role;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use maud::{html, Markup};

const HERE: &str = "/desk/admin/staff";
const ACT: &str = "/desk/admin/staff/act";

/// The page's old address (before one name per feature): bookmarks still work.
pub async fn moved() -> Redirect {
    Redirect::permanent(HERE)
}

/// A one-button form for a staff member.
fn button(sess: &Session, action: &str, no: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(ACT) {
            (csrf(sess))
            input type="hidden" name="action" value=(action);
            input type="hidden" name="no" value=(no);
            button type="submit" { (label) }
        }
    }
}

pub async fn list(State(s): State<AppState>, Head(desk): Head) -> Result<Response, PageError> {
    let sess = &desk.sess;
    let staff = s.call(|st| st.staff_list()).await?.map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let inner = html! {
        table.cases {
            thead { tr { th { (tr!("工号")) } th { (tr!("姓名")) } th { (tr!("角色")) } th { (tr!("状态")) } th { (tr!("操作")) } } }
            tbody {
                @for m in &staff {
                    tr class=[(!m.active).then_some("u-paused")] {
                        td { (m.no) }
                        td { (m.name) }
                        td { (crate::lang::tr(m.role.words())) }
                        td { (if m.active { tr!("在用") } else { tr!("已停用") }) }
                        td {
                            @if m.active { (button(sess, "disable", &m.no, tr!("停用"))) } @else { (button(sess, "enable", &m.no, tr!("启用"))) }
                            " "
                            @if m.role == Role::Admin {
                                (button(sess, "role-staff", &m.no, tr!("改为工作人员")))
                            } @else {
                                (button(sess, "role-admin", &m.no, tr!("设为站长")))
                            }
                            " "
                            form.inline method="post" action=(ACT) {
                                (csrf(sess))
                                input type="hidden" name="action" value="pin";
                                input type="hidden" name="no" value=(m.no);
                                input name="pin" type="password" inputmode="numeric" minlength="6" maxlength="12"
                                    placeholder=(tr!("新密码（6位以上数字）")) aria-label={ (m.no) (tr!(" 的新密码")) } required;
                                button type="submit" { (tr!("重置密码")) }
                            }
                        }
                    }
                }
            }
        }
        section {
            h2 { (tr!("新增工作人员")) }
            form method="post" action=(ACT) {
                (csrf(sess))
                input type="hidden" name="action" value="add";
                label { (tr!("工号 ")) input name="no" maxlength="20" required; }
                label { (tr!("姓名 ")) input name="name" maxlength="20" required; }
                label {
                    (tr!("角色 "))
                    select name="role" { option value="staff" { (tr!("工作人员")) } option value="admin" { (tr!("站长")) } }
                }
                label { (tr!("初始密码（6位以上数字）")) input name="pin" type="password" inputmode="numeric" minlength="6" maxlength="12" required; }
                button.primary type="submit" { (tr!("新增")) }
            }
        }
    };
    Ok(admin_page(&s, sess, HERE, tr!("工作人员"), inner, StatusCode::OK))
}

/// What the station head asked for a staff member.
#[derive(Debug, serde::Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Change {
    Add {
        #[serde(default)]
        no: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        role: String,
        #[serde(default)]
        pin: String,
    },
    Disable {
        #[serde(default)]
        no: String,
    },
    Enable {
        #[serde(default)]
        no: String,
    },
    RoleAdmin {
        #[serde(default)]
        no: String,
    },
    RoleStaff {
        #[serde(default)]
        no: String,
    },
    Pin {
        #[serde(default)]
        no: String,
        #[serde(default)]
        pin: String,
    },
}

pub async fn act(
    State(s): State<AppState>,
    Head(desk): Head,
    Checked(c): Checked<Change>,
) -> Result<Response, PageError> {
    let who = desk.sess.who.clone();
    let outcome = s
        .call(move |st| match c {
            Change::Add { no, name, role, pin } => st
                .admin_add_staff(&who, &no, &name, &role, Some(&pin))
                .map(|_| tr!("已新增 {} {}", no.trim(), name.trim())),
            Change::Disable { no } => st.admin_set_active(&who, &no, false).map(|m| tr!("{} {} 已停用", m.no, m.name)),
            Change::Enable { no } => st.admin_set_active(&who, &no, true).map(|m| tr!("{} {} 已启用", m.no, m.name)),
            Change::RoleAdmin { no } => {
                st.admin_set_role(&who, &no, Role::Admin).map(|m| tr!("{} {} 已设为站长", m.no, m.name))
            }
            Change::RoleStaff { no } => {
                st.admin_set_role(&who, &no, Role::Staff).map(|m| tr!("{} {} 已改为工作人员", m.no, m.name))
            }
            Change::Pin { no, pin } => {
                st.admin_reset_pin(&who, &no, &pin).map(|m| tr!("{} {} 的密码已重置", m.no, m.name))
            }
        })
        .await?;
    Ok(desk.back(&s, HERE, outcome))
}
