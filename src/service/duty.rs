//! The duty arrangements: the A/B posts (AB岗), days away, the weekly rota
//! (村两委干部轮流坐班), which categories each window calls, and who is on duty today
//! (shown masked on the kiosk home screen). Written by the station head or the box's
//! command line, like the roster (`RosterActor`), each change in the audit log.

use super::staff::{RosterActor, StaffError};
use super::Station;
use crate::domain::duty::Post;
use crate::domain::identity;
use crate::domain::staff::StaffMember;
use crate::storage::{calling, duty, staff, StoreError};
use chrono::{Datelike, NaiveDate};
use std::collections::HashSet;

impl Station {
    /// Sets the A and B post holders of a category (C) or a matter (C02).
    fn put_post(&self, scope: &str, a: &str, b: Option<&str>) -> Result<String, StaffError> {
        let scope = scope.trim().to_uppercase();
        let (a, b) = (a.trim(), b.map(str::trim).filter(|b| !b.is_empty()));
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
        duty::set_post(self.conn(), &scope, a, b)?;
        Ok(scope)
    }

    pub fn posts(&self) -> Result<Vec<Post>, StoreError> {
        duty::posts(self.conn())
    }

    pub fn away_today(&self) -> Result<HashSet<String>, StoreError> {
        duty::away_on(self.conn(), self.clock.today())
    }

    /// Staff on duty today, masked for the public screen: "张*、李*". Today's people on the
    /// weekly rota (村两委干部轮流坐班) when there is a rota, else every active staff member;
    /// never someone marked away today.
    pub fn on_duty_masked(&self) -> String {
        let away = self.away_today().unwrap_or_default();
        let list = self.staff_list().unwrap_or_default();
        let weekday = self.clock.today().weekday().number_from_monday();
        let rota = self.rota().unwrap_or_default();
        let today: HashSet<&str> = rota.iter().filter(|(d, _)| *d == weekday).map(|(_, n)| n.as_str()).collect();
        list.iter()
            .filter(|s| s.active && !away.contains(&s.no))
            .filter(|s| rota.is_empty() || today.contains(s.no.as_str()))
            .map(|s| identity::mask_name(&s.name))
            .collect::<Vec<_>>()
            .join("、")
    }

    pub fn rota(&self) -> Result<Vec<(u32, String)>, StoreError> {
        duty::rota(self.conn())
    }

    /// Days away between two dates (the desk's calendar).
    pub fn away_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<(String, NaiveDate)>, StoreError> {
        duty::away_between(self.conn(), from, to)
    }

    pub fn admin_set_post<'a>(
        &self,
        who: impl Into<RosterActor<'a>>,
        scope: &str,
        a: &str,
        b: Option<&str>,
    ) -> Result<String, StaffError> {
        let who = who.into();
        self.roster_actor(who)?;
        let scope = self.put_post(scope, a, b)?;
        self.record(who, "post-set", &scope, &format!("A {} B {}", a.trim(), b.map(str::trim).unwrap_or("-")))?;
        Ok(scope)
    }

    pub fn admin_remove_post<'a>(&self, who: impl Into<RosterActor<'a>>, scope: &str) -> Result<(), StaffError> {
        let who = who.into();
        self.roster_actor(who)?;
        duty::remove_post(self.conn(), scope.trim())?;
        self.record(who, "post-remove", scope.trim(), "")?;
        Ok(())
    }

    /// Marks a staff member away on `day` (or back on duty), returning who it was.
    pub fn admin_set_away<'a>(
        &self,
        who: impl Into<RosterActor<'a>>,
        no: &str,
        day: NaiveDate,
        away: bool,
    ) -> Result<StaffMember, StaffError> {
        let who = who.into();
        self.roster_actor(who)?;
        let m = self.known(no)?;
        duty::set_away(self.conn(), &m.no, day, away)?;
        self.record(who, if away { "away-set" } else { "away-clear" }, &m.no, &day.to_string())?;
        Ok(m)
    }

    /// Puts a staff member on (or off) the rota of a weekday (1 = Monday).
    pub fn admin_set_rota<'a>(
        &self,
        who: impl Into<RosterActor<'a>>,
        weekday: u32,
        no: &str,
        on: bool,
    ) -> Result<(), StaffError> {
        let who = who.into();
        self.roster_actor(who)?;
        let m = self.known(no)?;
        let weekday = weekday.clamp(1, 7);
        duty::set_rota(self.conn(), weekday, &m.no, on)?;
        self.record(
            who,
            if on { "rota-add" } else { "rota-remove" },
            &m.no,
            crate::domain::staff::WEEKDAYS[weekday as usize - 1],
        )?;
        Ok(())
    }

    /// The categories a window calls ([] = all).
    pub fn admin_set_window_categories<'a>(
        &self,
        who: impl Into<RosterActor<'a>>,
        window: u32,
        categories: &[String],
    ) -> Result<(), StaffError> {
        let who = who.into();
        self.roster_actor(who)?;
        if self.cfg.station.window(window).is_none() {
            return Err(StaffError::NoWindow(window));
        }
        if let Some(bad) = categories.iter().find(|c| self.cfg.catalog.category(c).is_none()) {
            return Err(StaffError::NoCategory(bad.clone()));
        }
        calling::set_window_categories(self.conn(), window, categories, self.clock.now())?;
        self.record(who, "window-categories", &format!("{window}号窗口"), &categories.join(","))?;
        Ok(())
    }
}
