//! Staff sign-in: PINs hashed with Argon2id, five wrong PINs lock the account for five
//! minutes, and every outcome is a plain sentence for the console and the desk.
//!
//! Signing in is the only way to get a [`Signed`]; every service call that acts for a
//! staff member takes one and checks again that the account is still active.

use super::Station;
use crate::domain::staff::StaffMember;
use crate::storage::staff;
use crate::storage::StoreError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Duration;

pub const MAX_ATTEMPTS: u32 = 5;
pub const LOCK_MINUTES: i64 = 5;
/// The longest lock: a day.
pub const LOCK_MAX_MINUTES: i64 = 24 * 60;

/// How long the next lock lasts after `lockouts` earlier ones (since the last good
/// sign-in): 5 minutes, then 10, 20, 40 … up to a day.
pub fn lock_minutes(lockouts: u32) -> i64 {
    (LOCK_MINUTES << lockouts.min(20)).min(LOCK_MAX_MINUTES)
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("这个账号已停用，不能再登录。请找站长。")]
    Disabled,
    #[error("密码输错次数太多，账号已锁定，请{0}分钟后再试")]
    Locked(i64),
    /// A wrong PIN, an unknown staff number, a disabled account or one without a PIN all
    /// get these same words after the same work (an Argon2 check), so the sign-in page
    /// does not tell which staff numbers exist.
    #[error("工号或密码不对。连续输错5次密码，账号会锁定。")]
    Wrong,
    #[error("{0}")]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("密码要 6 到 12 位数字")]
    Format,
    #[error("密码没有存成（{0}），请再试一次")]
    Hash(String),
    #[error("没有取得随机数（{0}），请再试一次")]
    Random(String),
}

/// Argon2id with 7 MiB and 5 passes (one of OWASP's equivalent settings): the station
/// service stays small (the default 19 MiB per sign-in doubled its memory), and a PIN is
/// guarded mostly by the lockout anyway.
const ARGON2_MEMORY_KIB: u32 = 7 * 1024;
const ARGON2_PASSES: u32 = 5;

fn argon2() -> Argon2<'static> {
    match argon2::Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, 1, None) {
        Ok(p) => Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p),
        Err(_) => Argon2::default(),
    }
}

/// Whether a stored hash was made with other settings (it is re-made at the next sign-in).
fn outdated(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Params::try_from(&h)
            .map(|p| p.m_cost() != ARGON2_MEMORY_KIB || p.t_cost() != ARGON2_PASSES)
            .unwrap_or(true)
    })
}

pub fn hash_pin(pin: &str) -> Result<String, PinError> {
    let pin = crate::domain::text::half_width(pin);
    let pin = pin.trim();
    if !(6..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PinError::Format);
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PinError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PinError::Hash(e.to_string()))?;
    argon2().hash_password(pin.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| PinError::Hash(e.to_string()))
}

pub fn verify_pin(hash: &str, pin: &str) -> bool {
    let pin = crate::domain::text::half_width(pin);
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pin.trim().as_bytes(), &h).is_ok())
}

/// A hash nobody's PIN matches, checked for staff numbers that do not exist, so that an
/// unknown number takes as long to refuse as a wrong PIN.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut pin = [0u8; 12];
        let _ = getrandom::fill(&mut pin);
        let pin: String = pin.iter().map(|b| char::from(b'0' + b % 10)).collect();
        hash_pin(&pin).unwrap_or_default()
    })
}

/// Proof that a staff member signed in with their PIN. It cannot be made any other way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    member: StaffMember,
    /// Where the sign-in came from (the desk PC's address, or the box's command line):
    /// every action taken under it is logged with it.
    origin: Option<String>,
}

impl Signed {
    /// The same sign-in, marked with the PC it was made from.
    pub fn from_pc(mut self, origin: &str) -> Signed {
        self.origin = Some(origin.to_string());
        self
    }

    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// Who acts and from where, as the store records it.
    pub fn by(&self) -> crate::storage::By<'_> {
        crate::storage::By { staff: self.no(), origin: self.origin() }
    }

    pub fn no(&self) -> &str {
        &self.member.no
    }

    pub fn name(&self) -> &str {
        &self.member.name
    }

    pub fn is_admin(&self) -> bool {
        self.member.role == crate::domain::staff::Role::Admin
    }
}

/// Whether a sign-in attempt counts towards the account's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counts {
    Yes,
    No,
}

/// Why a signed-in staff member may not act (any more).
#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    #[error("工号 {0} 已停用，不能再办理")]
    Disabled(String),
    #[error("需要站长（管理员）权限")]
    NotAdmin,
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl Station {
    /// Checks a staff number and PIN. The attempt is counted before the PIN is checked,
    /// so guesses made in parallel cannot exceed five; the fifth wrong one locks the
    /// account, and each lock after the first lasts twice as long (up to a day) until a
    /// good sign-in.
    pub fn sign_in(&self, no: &str, pin: &str) -> Result<Signed, LoginError> {
        self.sign_in_counting(no, pin, Counts::Yes)
    }

    /// As [`Station::sign_in`], but a wrong PIN does not count towards the account's
    /// lock: for a place that has already counted as many wrong PINs as it may (the
    /// station service's per-address throttle), so one device cannot lock an account on
    /// its own. A lock in force still refuses, and a good PIN still clears the count.
    pub fn sign_in_uncounted(&self, no: &str, pin: &str) -> Result<Signed, LoginError> {
        self.sign_in_counting(no, pin, Counts::No)
    }

    fn sign_in_counting(&self, no: &str, pin: &str, counts: Counts) -> Result<Signed, LoginError> {
        let now = self.clock.now();
        let no = crate::domain::text::half_width(no);
        let member = staff::get(self.conn(), no.trim())?;
        let Some((s, hash)) = member.and_then(|s| s.pin_hash.clone().map(|h| (s, h))) else {
            // Unknown, or no PIN yet: the same words after the same work as a wrong PIN.
            let _ = verify_pin(dummy_hash(), pin);
            return Err(LoginError::Wrong);
        };
        if !s.active {
            // Only someone who knows the PIN learns that the account is disabled.
            return Err(if verify_pin(&hash, pin) { LoginError::Disabled } else { LoginError::Wrong });
        }
        let minutes = |until: chrono::DateTime<chrono::Utc>| (((until - now).num_seconds() + 59) / 60).max(1);
        let attempt = match counts {
            Counts::Yes => staff::begin_attempt(self.conn(), &s.no, now)?,
            // Looked at, not counted: n stays below the limit, so neither lock below is taken.
            Counts::No => staff::Attempt { n: 0, locked_until: s.locked_until, lockouts: 0 },
        };
        if let Some(until) = attempt.locked_until.filter(|u| *u > now) {
            return Err(LoginError::Locked(minutes(until)));
        }
        let lock = |lockouts: u32| -> Result<LoginError, LoginError> {
            let until = staff::lock(self.conn(), &s.no, now, now + Duration::minutes(lock_minutes(lockouts)))?;
            tracing::warn!("staff {} locked until {until} after {MAX_ATTEMPTS} wrong PINs", s.no);
            Ok(LoginError::Locked(minutes(until)))
        };
        if attempt.n > MAX_ATTEMPTS {
            // More guesses in flight than allowed: refused without looking at the PIN.
            return Err(lock(attempt.lockouts)?);
        }
        if verify_pin(&hash, pin) {
            staff::clear_failures(self.conn(), &s.no)?;
            if outdated(&hash) {
                // Made with older settings: store it again with the current ones.
                if let Ok(h) = hash_pin(pin) {
                    staff::set_pin_hash(self.conn(), &s.no, &h)?;
                }
            }
            tracing::info!("staff {} signed in", s.no);
            return Ok(Signed { member: s, origin: None });
        }
        if attempt.n >= MAX_ATTEMPTS {
            return Err(lock(attempt.lockouts)?);
        }
        Err(LoginError::Wrong)
    }

    /// The staff member behind `who`, if the account is still active: a disabled account
    /// can do nothing, even in a session opened before it was disabled.
    pub(super) fn actor(&self, who: &Signed) -> Result<StaffMember, ActorError> {
        match staff::get(self.conn(), who.no())? {
            Some(m) if m.active => Ok(m),
            _ => Err(ActorError::Disabled(who.no().to_string())),
        }
    }

    /// As [`Station::actor`], and the account must (still) be the station head's.
    pub(super) fn admin_actor(&self, who: &Signed) -> Result<StaffMember, ActorError> {
        let m = self.actor(who)?;
        if m.role != crate::domain::staff::Role::Admin {
            return Err(ActorError::NotAdmin);
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_hash_and_verify() {
        let h = hash_pin("246813").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_pin(&h, "246813"));
        assert!(!verify_pin(&h, "246814"));
        assert!(!verify_pin("garbage", "246813"));
        assert!(matches!(hash_pin("12a456"), Err(PinError::Format)));
        assert!(matches!(hash_pin("2468"), Err(PinError::Format)), "new PINs have at least 6 digits");
        assert_ne!(hash_pin("246813").unwrap(), h, "salted");
        assert!(!outdated(&h));
        // A hash from the first release (the crate's default 19 MiB) still verifies, and is
        // marked for re-making at the next sign-in.
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let old = Argon2::default().hash_password(b"2468", &salt).unwrap().to_string();
        assert!(verify_pin(&old, "2468") && outdated(&old));
    }
}
