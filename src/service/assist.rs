//! 帮办 at the kiosk: a staff member stands beside the villager and does it with them, on
//! the record. They sign in on the kiosk's keypad with the same account, PIN and lockout
//! as the desk; everything taken while they help carries their number (on the ticket or
//! the request, in the audit log, from the kiosk) and the paper prints 帮办人.

use super::auth::{LoginError, Signed};
use super::Station;
use crate::storage::{audit, staff, StoreError, ASSIST_ORIGIN};

/// Why a 帮办 session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssistEnd {
    /// 结束帮办 was pressed.
    Ended,
    /// Nobody touched the kiosk for the limit (60 s): the kiosk went home by idle.
    Idle,
}

impl AssistEnd {
    pub fn key(self) -> &'static str {
        match self {
            AssistEnd::Ended => "ended",
            AssistEnd::Idle => "idle",
        }
    }
}

impl Station {
    /// Starts 帮办: the staff number and PIN checked as at the desk (five wrong PINs lock
    /// the account); the start is audited from the kiosk.
    pub fn assist_begin(&self, no: &str, pin: &str) -> Result<Signed, LoginError> {
        let who = self.sign_in(no, pin)?.from_pc(ASSIST_ORIGIN);
        audit::record(self.conn(), self.clock.now(), Some(who.no()), "assist-begin", None, None, who.origin())?;
        tracing::info!("帮办 started at the kiosk by staff {}", who.no());
        Ok(who)
    }

    /// Ends 帮办, audited with why.
    pub fn assist_end(&self, who: &Signed, why: AssistEnd) -> Result<(), StoreError> {
        tracing::info!("帮办 by staff {} ended ({})", who.no(), why.key());
        audit::record(self.conn(), self.clock.now(), Some(who.no()), "assist-end", None, Some(why.key()), who.origin())
    }

    /// A staff member's name as paper and screens show it (张*); their number if unknown.
    pub fn helper_name(&self, no: &str) -> String {
        match staff::get(self.conn(), no) {
            Ok(Some(m)) => crate::domain::identity::mask_name(&m.name),
            _ => no.to_string(),
        }
    }
}
