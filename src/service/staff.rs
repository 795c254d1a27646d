//! The roster: staff accounts, roles and PINs, written by the station head or by the box's
//! own command line (`LocalAdmin`), each change in the audit log. The duty arrangements
//! (posts, days away, rota, windows) are in `duty.rs`.

use super::auth::{hash_pin, ActorError, PinError, Signed};
use super::Station;
use crate::domain::staff::{Role, StaffMember};
use crate::storage::{audit, staff, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("工号和姓名都要填写")]
    Empty,
    #[error("工号 {0} 已经有人用了，请换一个工号")]
    Exists(String),
    #[error("没有工号 {0}，请先添加这位工作人员")]
    Unknown(String),
    #[error("“{0}”既不是类别代码也不是事项代码")]
    UnknownScope(String),
    #[error("A岗或B岗的工号不存在，请先添加这位工作人员")]
    UnknownPostHolder,
    #[error("A岗和B岗必须是两个不同的人")]
    SamePerson,
    #[error("{0}")]
    Pin(#[from] PinError),
    #[error("{0}")]
    Actor(#[from] ActorError),
    #[error("角色只能是 staff（工作人员）或 admin（站长）")]
    Role,
    #[error("工号只能是1到16位数字或字母")]
    BadNo,
    #[error("姓名最多20个字，不能有看不见的控制字符")]
    BadName,
    #[error("不能停用自己，也不能去掉自己的站长权限（请另一位站长来做）")]
    Yourself,
    #[error("没有“{0}”这个类别")]
    NoCategory(String),
    #[error("没有{0}号窗口")]
    NoWindow(u32),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// The right to change the roster without a sign-in, given to the box's own command line
/// only: a new station's first accounts are made this way (`kiosk staff add`), and a
/// technician at the box can set a PIN or a day away. Every change made with it is in the
/// audit log as 本机命令行. The station service and the kiosk never make one (a test reads
/// their sources to keep it so).
#[derive(Debug)]
pub struct LocalAdmin(());

impl LocalAdmin {
    /// For the command line of this box, and nothing else.
    pub fn on_this_box() -> LocalAdmin {
        LocalAdmin(())
    }
}

/// Who changes the roster: the station head, signed in (the desk, or the command line with
/// the PIN), or the box's own command line.
#[derive(Debug, Clone, Copy)]
pub enum RosterActor<'a> {
    Head(&'a Signed),
    ThisBox(&'a LocalAdmin),
}

impl<'a> From<&'a Signed> for RosterActor<'a> {
    fn from(s: &'a Signed) -> Self {
        RosterActor::Head(s)
    }
}

impl<'a> From<&'a LocalAdmin> for RosterActor<'a> {
    fn from(l: &'a LocalAdmin) -> Self {
        RosterActor::ThisBox(l)
    }
}

impl RosterActor<'_> {
    /// The staff number acting, if a person signed in.
    fn no(&self) -> Option<&str> {
        match self {
            RosterActor::Head(s) => Some(s.no()),
            RosterActor::ThisBox(_) => None,
        }
    }
}

impl Station {
    fn new_staff(&self, no: &str, name: &str, role: Role) -> Result<(), StaffError> {
        let no = crate::domain::text::half_width(no);
        let (no, name) = (no.trim(), name.trim());
        if no.is_empty() || name.is_empty() {
            return Err(StaffError::Empty);
        }
        if no.chars().count() > 16 || !no.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(StaffError::BadNo);
        }
        if name.chars().count() > 20 || crate::domain::text::has_hidden(name, false) {
            return Err(StaffError::BadName);
        }
        if staff::add(self.conn(), no, name, role, self.clock.now())? {
            Ok(())
        } else {
            Err(StaffError::Exists(no.to_string()))
        }
    }

    pub fn staff_member(&self, no: &str) -> Result<Option<StaffMember>, StoreError> {
        staff::get(self.conn(), no.trim())
    }

    pub fn staff_list(&self) -> Result<Vec<StaffMember>, StoreError> {
        staff::list(self.conn())
    }

    /// The station head (still active and still the head), or the box's command line.
    pub(super) fn roster_actor(&self, who: RosterActor<'_>) -> Result<(), StaffError> {
        match who {
            RosterActor::Head(s) => self.admin_actor(s).map(|_| ()).map_err(StaffError::from),
            RosterActor::ThisBox(_) => Ok(()),
        }
    }

    pub(super) fn record(
        &self,
        who: RosterActor<'_>,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        match who {
            RosterActor::Head(s) => {
                audit::by(self.conn(), self.clock.now(), s.by(), action, Some(subject), Some(detail))
            }
            RosterActor::ThisBox(_) => audit::record(
                self.conn(),
                self.clock.now(),
                None,
                action,
                Some(subject),
                Some(detail),
                Some(super::LOCAL_ORIGIN),
            ),
        }
    }

    pub(super) fn known(&self, no: &str) -> Result<StaffMember, StaffError> {
        staff::get(self.conn(), no.trim())?.ok_or_else(|| StaffError::Unknown(no.trim().to_string()))
    }

    /// Adds a staff member, with a first PIN of at least 6 digits (the command line may
    /// set it afterwards with `kiosk staff set-pin`).
    pub fn admin_add_staff<'a>(
        &self,
        who: impl Into<RosterActor<'a>>,
        no: &str,
        name: &str,
        role: &str,
        pin: Option<&str>,
    ) -> Result<(), StaffError> {
        let who = who.into();
        self.roster_actor(who)?;
        let role = Role::from_key(role.trim()).ok_or(StaffError::Role)?;
        let hash = pin.map(|p| hash_pin(p.trim())).transpose()?;
        self.new_staff(no, name, role)?;
        let no = crate::domain::text::half_width(no);
        if let Some(hash) = hash {
            staff::set_pin_hash(self.conn(), no.trim(), &hash)?;
        }
        self.record(who, "staff-add", no.trim(), &format!("{} {}", name.trim(), role.words()))?;
        Ok(())
    }

    /// Disables (or enables again) an account: a disabled account can do nothing, even in
    /// a session it opened before.
    pub fn admin_set_active<'a>(
        &self,
        who: impl Into<RosterActor<'a>>,
        no: &str,
        active: bool,
    ) -> Result<StaffMember, StaffError> {
        let who = who.into();
        self.roster_actor(who)?;
        let m = self.known(no)?;
        if who.no() == Some(m.no.as_str()) && !active {
            return Err(StaffError::Yourself);
        }
        staff::set_active(self.conn(), &m.no, active)?;
        self.record(who, if active { "staff-enable" } else { "staff-disable" }, &m.no, &m.name)?;
        Ok(m)
    }

    pub fn admin_set_role<'a>(
        &self,
        who: impl Into<RosterActor<'a>>,
        no: &str,
        role: Role,
    ) -> Result<StaffMember, StaffError> {
        let who = who.into();
        self.roster_actor(who)?;
        let m = self.known(no)?;
        if who.no() == Some(m.no.as_str()) && role != Role::Admin {
            return Err(StaffError::Yourself);
        }
        staff::set_role(self.conn(), &m.no, role)?;
        self.record(who, "staff-role", &m.no, role.words())?;
        Ok(m)
    }

    /// A new PIN (at least 6 digits) for someone who forgot theirs; it also lifts a lock.
    pub fn admin_reset_pin<'a>(
        &self,
        who: impl Into<RosterActor<'a>>,
        no: &str,
        pin: &str,
    ) -> Result<StaffMember, StaffError> {
        let who = who.into();
        self.roster_actor(who)?;
        let m = self.known(no)?;
        let hash = hash_pin(pin.trim())?;
        staff::set_pin_hash(self.conn(), &m.no, &hash)?;
        self.record(who, "staff-pin-reset", &m.no, "")?;
        Ok(m)
    }
}
