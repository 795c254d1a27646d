//! 帮办 at the kiosk: the sign-in dialog, the banner on every screen, and the session's
//! end (结束帮办, 60 idle seconds, or the kiosk going home by idle). Ending wipes the
//! villager's data as leaving does and signs the staff member out of the kiosk.

use super::{reset, AppWindow, Assist, Shared};
use crate::domain::idle::IdlePolicy;
use crate::service::AssistEnd;
use slint::ComponentHandle;

/// During 帮办 the countdown warns after 30 quiet seconds and ends the session at 60.
pub const ASSIST_IDLE: IdlePolicy = IdlePolicy { idle_after_secs: 30, countdown_secs: 30 };

/// The staff number and PIN being typed on the kiosk's keypad.
#[derive(Debug, Clone, Default)]
pub struct SignInDraft {
    pub number: String,
    pub pin: String,
    pub pin_step: bool,
}

fn refresh(app: &AppWindow, d: &SignInDraft) {
    let a = app.global::<Assist>();
    a.set_pin_step(d.pin_step);
    a.set_number_text(d.number.clone().into());
    a.set_pin_dots("●".repeat(d.pin.chars().count()).into());
}

pub fn wire(app: &AppWindow, state: &Shared) {
    let a = app.global::<Assist>();
    let (w, s) = (app.as_weak(), state.clone());
    a.on_open(move || {
        let Some(app) = w.upgrade() else { return };
        let d = SignInDraft::default();
        refresh(&app, &d);
        s.borrow_mut().assist_draft = Some(d);
        app.global::<Assist>().set_message("".into());
        app.global::<Assist>().set_signing_in(true);
    });
    let (w, s) = (app.as_weak(), state.clone());
    a.on_key(move |k| {
        let Some(app) = w.upgrade() else { return };
        super::idle::poke(&app, &s);
        let mut st = s.borrow_mut();
        let Some(d) = st.assist_draft.as_mut() else { return };
        let field = if d.pin_step { &mut d.pin } else { &mut d.number };
        if field.chars().count() < 12 {
            field.push_str(k.as_str());
        }
        refresh(&app, d);
    });
    let (w, s) = (app.as_weak(), state.clone());
    a.on_backspace(move || {
        let Some(app) = w.upgrade() else { return };
        let mut st = s.borrow_mut();
        let Some(d) = st.assist_draft.as_mut() else { return };
        if d.pin_step {
            if d.pin.pop().is_none() {
                d.pin_step = false;
            }
        } else {
            d.number.pop();
        }
        refresh(&app, d);
    });
    let (w, s) = (app.as_weak(), state.clone());
    a.on_cancel(move || {
        let Some(app) = w.upgrade() else { return };
        s.borrow_mut().assist_draft = None;
        app.global::<Assist>().set_signing_in(false);
    });
    let (w, s) = (app.as_weak(), state.clone());
    a.on_next(move || {
        let Some(app) = w.upgrade() else { return };
        next(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    a.on_end(move || {
        let Some(app) = w.upgrade() else { return };
        end(&app, &s, AssistEnd::Ended);
        reset(&app, &s);
    });
}

fn next(app: &AppWindow, state: &Shared) {
    let Some(mut d) = state.borrow().assist_draft.clone() else { return };
    let a = app.global::<Assist>();
    if !d.pin_step {
        if d.number.is_empty() {
            a.set_message(crate::tr!("请先输入工号").into());
            return;
        }
        d.pin_step = true;
        a.set_message("".into());
    } else {
        let result = state.borrow().station.assist_begin(&d.number, &d.pin);
        match result {
            Ok(who) => {
                let name = crate::domain::identity::mask_name(who.name());
                a.set_staff(name.into());
                a.set_active(true);
                a.set_signing_in(false);
                let mut st = state.borrow_mut();
                st.assist = Some(who);
                st.assist_draft = None;
                st.session.idle_secs = 0;
                return;
            }
            Err(e) => {
                let sorry = crate::tr!("现在不能核对工号和密码，请到窗口电脑上办理。");
                let words = super::failure::refusal_or_toast(app, "staff help (assist) sign-in", &e, sorry);
                a.set_message(words.unwrap_or_else(|| sorry.to_string()).into());
                d.pin.clear();
            }
        }
    }
    refresh(app, &d);
    state.borrow_mut().assist_draft = Some(d);
}

/// Ends the session (when there is one): audited with why; the banner goes.
pub fn end(app: &AppWindow, state: &Shared, why: AssistEnd) {
    let who = state.borrow_mut().assist.take();
    if let Some(who) = who {
        if let Err(e) = state.borrow().station.assist_end(&who, why) {
            super::failure::logged("the end of staff help (assist) not recorded", &e);
        }
    }
    let a = app.global::<Assist>();
    a.set_active(false);
    a.set_staff("".into());
    a.set_signing_in(false);
    state.borrow_mut().assist_draft = None;
}
