//! Home page adapter: station name, date and time, opening hours.

use super::{AppWindow, HomeAdapter, Shared};
use slint::ComponentHandle;

pub fn wire(_app: &AppWindow, _state: &Shared) {}

pub fn show(app: &AppWindow, state: &Shared) {
    let s = state.borrow();
    let st = &s.station.cfg.station;
    let h = app.global::<HomeAdapter>();
    h.set_station_name(st.name.clone().into());
    h.set_village(format!("{}{}", st.township, st.village).into());
    h.set_phone(st.phone.clone().into());
    h.set_hours(st.hours_text().into());
    let now = s.station.clock.now_local();
    h.set_date_text(crate::lang::date(now.date_naive()).into());
    h.set_time_text(now.format("%H:%M").to_string().into());
    let notice = if s.station.clock.is_plausible() {
        String::new()
    } else {
        tr!("本机时间不正确，请工作人员校准时间后再取号").to_string()
    };
    h.set_notice(notice.into());
    h.set_closed_notice(crate::lang::sentence(&s.station.closed_notice().unwrap_or_default()).into());
    // The town's notice (a joined station's): data, shown as the town wrote it.
    let town_notice = match s.station.town_notice("home") {
        Ok(n) => n.unwrap_or_default(),
        Err(e) => {
            super::failure::logged("the town's notice not read", &e);
            String::new()
        }
    };
    h.set_town_notice(town_notice.into());
    h.set_on_duty(s.station.on_duty_masked().into());
}
