//! Rating pads: a pad's taps count only from a device the station head paired with a
//! window (issue 13: any device on the LAN could post a 非常不满意 against the staff member
//! at a window, and the villager's own tap was then refused). Pairing is done on the pad
//! itself, signed in as the station head at 站务管理 → 评价器: the device gets a random
//! token (a long-lived cookie), the store its hash. The phone path is bound to the
//! receipt's own token and needs none of this.

use super::auth::{ActorError, Signed};
use super::Station;
use crate::storage::{audit, pads, StoreError};
use blake2::{Blake2b512, Digest};

pub use crate::storage::pads::Pad;

#[derive(Debug, thiserror::Error)]
pub enum PadError {
    #[error("{0}")]
    Actor(#[from] ActorError),
    #[error("没有{0}号窗口")]
    NoWindow(u32),
    #[error("没有这台评价器（可能已经取消配对）")]
    NoPad,
    #[error("没有取得随机数，请再试一次")]
    Random,
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// The stored form of a device token.
fn hash(token: &str) -> String {
    let d = Blake2b512::digest(token.as_bytes());
    d.iter().take(32).map(|b| format!("{b:02x}")).collect()
}

/// Whether `s` has the shape of a device token (52 characters of base32).
pub fn is_device_token(s: &str) -> bool {
    s.len() == 52 && s.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
}

impl Station {
    /// Pairs the device the station head is using with `window`: returns the token the
    /// device is to keep.
    pub fn pair_pad(&self, who: &Signed, window: u32, origin: Option<&str>) -> Result<String, PadError> {
        self.admin_actor(who)?;
        if self.cfg.station.window(window).is_none() {
            return Err(PadError::NoWindow(window));
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| PadError::Random)?;
        let token = crate::domain::ticket::base32(&bytes);
        let now = self.clock.now();
        let id = pads::add(self.conn(), window, &hash(&token), who.no(), origin.or(who.origin()), now)?;
        audit::by(
            self.conn(),
            now,
            who.by(),
            "pad-pair",
            Some(&format!("{window}号窗口评价器")),
            Some(&format!("#{id}")),
        )?;
        Ok(token)
    }

    /// Ends a pad's pairing: its taps no longer count.
    pub fn revoke_pad(&self, who: &Signed, id: i64) -> Result<u32, PadError> {
        self.admin_actor(who)?;
        let now = self.clock.now();
        let window = pads::revoke(self.conn(), id, who.no(), now)?.ok_or(PadError::NoPad)?;
        audit::by(
            self.conn(),
            now,
            who.by(),
            "pad-revoke",
            Some(&format!("{window}号窗口评价器")),
            Some(&format!("#{id}")),
        )?;
        Ok(window)
    }

    /// The window the device holding `token` was paired with, if it still is.
    pub fn pad_window(&self, token: &str) -> Result<Option<u32>, StoreError> {
        if !is_device_token(token) {
            return Ok(None);
        }
        pads::window_of(self.conn(), &hash(token), self.clock.now())
    }

    pub fn pads(&self) -> Result<Vec<Pad>, StoreError> {
        pads::list(self.conn())
    }
}
