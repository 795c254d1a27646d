//! The idle countdown: a one-second timer drives the domain's idle policy.

use super::{reset, AppWindow, HomeAdapter, IdleAdapter, Page, Shared, Theme};
use crate::domain::idle::IdlePhase;
use slint::ComponentHandle;

pub fn poke(app: &AppWindow, state: &Shared) {
    state.borrow_mut().session.idle_secs = 0;
    app.global::<IdleAdapter>().set_warning(false);
}

/// Called once a second.
pub fn tick(app: &AppWindow, state: &Shared) {
    // While a prompt is being said the villager is listening, not gone.
    let listening = super::guide::playing(app, state);
    let (phase, now) = {
        let mut s = state.borrow_mut();
        // On the home page in standard text there is nothing to forget.
        let assisting = s.assist.is_some();
        let in_session = assisting || s.session.current.0 != Page::Home || app.global::<Theme>().get_large_text();
        if !in_session {
            s.session.idle_secs = 0;
        } else if !listening || assisting {
            // 帮办 cannot outlive its limit, not even while a prompt is being said.
            s.session.idle_secs = s.session.idle_secs.saturating_add(1);
        }
        // 帮办 ends after 60 quiet seconds (warned at 30), whatever the station's limit.
        let policy = if assisting { super::assist::ASSIST_IDLE } else { s.station.cfg.station.idle };
        (policy.phase(s.session.idle_secs), s.station.clock.now_local())
    };
    let home = app.global::<HomeAdapter>();
    let time = now.format("%H:%M").to_string();
    if home.get_time_text() != time.as_str() {
        home.set_time_text(time.into());
        home.set_date_text(crate::lang::date(now.date_naive()).into());
        // Once a minute: the station may have just opened or closed.
        let closed = state.borrow().station.closed_notice().unwrap_or_default();
        home.set_closed_notice(closed.into());
    }
    // A newly published list of matters is taken up on the home screen only, never in
    // the middle of a villager's flow; looking costs one tiny query a second.
    let at_home = state.borrow().session.current.0 == Page::Home;
    if at_home {
        let switched = state.borrow_mut().station.reload_matters();
        match switched {
            Ok(true) => tracing::info!("kiosk: switched to the newly published list of matters"),
            Ok(false) => {}
            Err(e) => super::failure::logged("kiosk: cannot look for a new list of matters", &e),
        }
    }
    let idle = app.global::<IdleAdapter>();
    match phase {
        IdlePhase::Active => idle.set_warning(false),
        IdlePhase::Warning { remaining } => {
            idle.set_remaining(remaining as i32);
            idle.set_warning(true);
        }
        IdlePhase::Expired => {
            tracing::info!("idle: session reset");
            super::assist::end(app, state, crate::service::AssistEnd::Idle);
            reset(app, state);
        }
    }
}

pub fn start(app: &AppWindow, state: &Shared) -> slint::Timer {
    let w = app.as_weak();
    let s = state.clone();
    app.global::<IdleAdapter>().on_keep_going({
        let (w, s) = (w.clone(), s.clone());
        move || {
            let Some(app) = w.upgrade() else { return };
            poke(&app, &s);
        }
    });
    let timer = slint::Timer::default();
    timer.start(slint::TimerMode::Repeated, std::time::Duration::from_secs(1), move || {
        let Some(app) = w.upgrade() else { return };
        tick(&app, &s);
    });
    timer
}
