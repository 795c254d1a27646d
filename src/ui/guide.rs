//! Voice guidance on the kiosk: each screen's prompt shown under the top bar, said on
//! entering the screen in 长辈模式 and by 「再听一遍」 in any mode. A touch stops it; the
//! idle countdown waits while it plays (see `idle`).

use super::{AppWindow, Guide, Page, Shared, Theme};
use crate::voice::guidance::{card_remove_prompt, screen_prompt, Context, GuidePlayer, Spoken};
use slint::ComponentHandle;

/// Starts the voice (when `[guidance] enabled`): the player thread, and a thread that
/// renders every prompt piece ahead of time so the first prompt is not kept waiting.
pub fn start_voice(state: &Shared) {
    let (speech, cfg) = {
        let s = state.borrow();
        if !s.station.cfg.station.guidance.enabled {
            tracing::info!("voice guidance is off ([guidance] enabled = false): prompts are shown only");
            return;
        }
        (crate::app::speech(&s.station.cfg, &s.station.paths), s.station.cfg.clone())
    };
    let ahead = speech.clone();
    let spawned =
        std::thread::Builder::new().name("guidance-prepare".into()).spawn(move || match ahead.prepare(&cfg) {
            Ok(0) => {}
            Ok(n) => tracing::info!("voice guidance: {n} prompt pieces rendered"),
            Err(e) => tracing::warn!("voice guidance: prompts are rendered when first said: {e}"),
        });
    if let Err(e) = spawned {
        tracing::warn!("voice guidance: prompts are rendered when first said: {e}");
    }
    state.borrow_mut().guide = Some(GuidePlayer::start(Some(speech)));
}

pub fn wire(app: &AppWindow, state: &Shared) {
    // The button shows where the voice will be started (the kiosk, and the screenshots
    // of it); `[guidance] enabled = false` leaves the prompt as text only.
    app.global::<Guide>().set_voice(state.borrow().station.cfg.station.guidance.enabled);
    let (w, s) = (app.as_weak(), state.clone());
    app.global::<Guide>().on_replay(move || {
        let Some(app) = w.upgrade() else { return };
        say(&app, &s);
    });
}

/// What the screen on show says, filled in from what is on it.
fn spoken(state: &Shared, page: Page, arg: &str) -> Option<Spoken> {
    let s = state.borrow();
    let mut ctx = Context { card_reader: s.station.cfg.station.idcard_device.is_some(), ..Default::default() };
    match page {
        Page::Matter | Page::Priority => ctx.matter = Some(arg.to_string()),
        Page::Matters => ctx.category = Some(arg.to_string()),
        Page::CaseMaterials | Page::CaseDone => ctx.matter = Some(s.session.case.matter.clone()),
        Page::Ticket => ctx.ticket = s.last_ticket.as_ref().map(|t| (t.ticket.number.clone(), t.ticket.ahead)),
        Page::LookupResult => ctx.status = s.lookup_state.clone(),
        _ => {}
    }
    screen_prompt(&s.station.cfg, super::page_name(page), &ctx)
}

/// A screen was entered: its prompt goes on screen; in 长辈模式 it is said.
pub fn entered(app: &AppWindow, state: &Shared, page: Page, arg: &str) {
    let spoken = spoken(state, page, arg);
    let text = spoken.as_ref().map(|s| s.shown.clone()).unwrap_or_default();
    app.global::<Guide>().set_prompt(text.into());
    let s = state.borrow();
    let Some(player) = &s.guide else { return };
    match spoken {
        Some(spoken) if app.global::<Theme>().get_large_text() => player.play(spoken),
        _ => player.stop(),
    }
    app.global::<Guide>().set_playing(player.is_playing());
}

/// 再听一遍: the prompt of the screen on show, from its beginning.
pub fn say(app: &AppWindow, state: &Shared) {
    let (page, arg) = state.borrow().session.current.clone();
    let Some(spoken) = spoken(state, page, &arg) else { return };
    let s = state.borrow();
    if let Some(player) = &s.guide {
        player.play(spoken);
        app.global::<Guide>().set_playing(true);
    }
}

/// After a card was read: 请取走身份证.
pub fn say_card_remove(state: &Shared) {
    let s = state.borrow();
    if let Some(player) = &s.guide {
        let prompt = card_remove_prompt(&s.station.cfg);
        player.play(Spoken { screen: None, shown: prompt.text.clone(), prompt });
    }
}

/// A touch: the prompt stops.
pub fn touched(app: &AppWindow, state: &Shared) {
    if let Some(player) = &state.borrow().guide {
        player.stop();
    }
    app.global::<Guide>().set_playing(false);
}

/// Whether a prompt is being said (the idle countdown waits meanwhile); keeps the
/// 「再听一遍」 button's words in step.
pub fn playing(app: &AppWindow, state: &Shared) -> bool {
    let playing = state.borrow().guide.as_ref().is_some_and(|p| p.is_playing());
    if app.global::<Guide>().get_playing() != playing {
        app.global::<Guide>().set_playing(playing);
    }
    playing
}
