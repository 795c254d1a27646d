//! The roster: staff accounts, PINs, days away and the A/B posts (AB岗), and who is on
//! duty today (shown masked on the kiosk home screen).

use super::auth::{hash_pin, PinError};
use super::Station;
use crate::domain::duty::Post;
use crate::domain::identity;
use crate::domain::staff::StaffMember;
use crate::storage::{staff, StoreError};
use chrono::NaiveDate;
use std::collections::HashSet;

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("--no and --name must not be empty")]
    Empty,
    #[error("staff number {0} already exists")]
    Exists(String),
    #[error("no staff number {0:?}")]
    Unknown(String),
    #[error("{0:?} is neither a category nor a matter code")]
    UnknownScope(String),
    #[error("unknown staff number for --a or --b (add them first)")]
    UnknownPostHolder,
    #[error("A and B must be two different people")]
    SamePerson,
    #[error("{0}")]
    Pin(#[from] PinError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl Station {
    pub fn add_staff(&self, no: &str, name: &str, role: &str) -> Result<(), StaffError> {
        let (no, name) = (no.trim(), name.trim());
        if no.is_empty() || name.is_empty() {
            return Err(StaffError::Empty);
        }
        if staff::add(self.conn(), no, name, role, self.clock.now())? {
            Ok(())
        } else {
            Err(StaffError::Exists(no.to_string()))
        }
    }

    pub fn set_staff_pin(&self, no: &str, pin: &str) -> Result<(), StaffError> {
        let no = no.trim();
        if staff::get(self.conn(), no)?.is_none() {
            return Err(StaffError::Unknown(no.to_string()));
        }
        let hash = hash_pin(pin)?;
        staff::set_pin_hash(self.conn(), no, &hash)?;
        Ok(())
    }

    /// Marks a staff member away on `day` (or back on duty), returning who it was.
    pub fn set_staff_away(&self, no: &str, day: NaiveDate, away: bool) -> Result<StaffMember, StaffError> {
        let s = staff::get(self.conn(), no.trim())?.ok_or_else(|| StaffError::Unknown(no.trim().to_string()))?;
        staff::set_away(self.conn(), &s.no, day, away)?;
        Ok(s)
    }

    /// Sets the A and B post holders of a category (C) or a matter (C02).
    pub fn set_post(&self, scope: &str, a: &str, b: Option<&str>) -> Result<String, StaffError> {
        let scope = scope.trim().to_uppercase();
        if self.cfg.catalog.category(&scope).is_none() && self.cfg.catalog.matter(&scope).is_none() {
            return Err(StaffError::UnknownScope(scope));
        }
        let exists = |no: &str| staff::get(self.conn(), no).ok().flatten().is_some();
        if !exists(a) || b.is_some_and(|b| !exists(b)) {
            return Err(StaffError::UnknownPostHolder);
        }
        if b == Some(a) {
            return Err(StaffError::SamePerson);
        }
        staff::set_post(self.conn(), &scope, a, b)?;
        Ok(scope)
    }

    pub fn staff_list(&self) -> Result<Vec<StaffMember>, StoreError> {
        staff::list(self.conn())
    }

    pub fn posts(&self) -> Result<Vec<Post>, StoreError> {
        staff::posts(self.conn())
    }

    pub fn away_today(&self) -> Result<HashSet<String>, StoreError> {
        staff::away_on(self.conn(), self.clock.today())
    }

    /// Staff on duty today (not away), masked for the public screen: "张*、李*".
    pub fn on_duty_masked(&self) -> String {
        let away = self.away_today().unwrap_or_default();
        let list = self.staff_list().unwrap_or_default();
        list.iter()
            .filter(|s| s.active && !away.contains(&s.no))
            .map(|s| identity::mask_name(&s.name))
            .collect::<Vec<_>>()
            .join("、")
    }
}
