//! `kiosk guidance`: the kiosk's spoken prompts from the command line — the list a station
//! head checks after editing guidance.toml or installing a voice pack, and the sound of
//! any screen's prompt exactly as the kiosk plays it.

use super::{GuidanceCmd, GuidanceSayArgs};
use crate::domain::guidance::SCREENS;
use crate::service::Station;
use crate::voice::guidance::{screen_prompt, Context, Speech};

pub fn run(st: &mut Station, cmd: GuidanceCmd) -> i32 {
    let speech = crate::app::speech(&st.cfg, &st.paths);
    match cmd {
        GuidanceCmd::List { json } => list(st, &speech, json),
        GuidanceCmd::Say(a) => say(st, &speech, a),
        GuidanceCmd::Prepare => match speech.prepare(&st.cfg) {
            Ok(n) => {
                crate::outln!("{n} prompt pieces rendered; the others were ready");
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        },
    }
}

fn list(st: &Station, speech: &Speech, json: bool) -> i32 {
    let rows: Vec<serde_json::Value> = SCREENS
        .iter()
        .filter_map(|&screen| {
            let template = st.cfg.prompts.screen(screen)?;
            let spoken = screen_prompt(&st.cfg, screen, &Context::default())?;
            let source = if speech.recorded(&spoken) { "recorded" } else { "synthesized" };
            Some(serde_json::json!({ "screen": screen, "text": template.source(), "source": source }))
        })
        .collect();
    if json {
        crate::outln!("{}", serde_json::Value::Array(rows));
    } else {
        for r in &rows {
            crate::outln!(
                "{:<15} {:<12} {}",
                r["screen"].as_str().unwrap_or(""),
                r["source"].as_str().unwrap_or(""),
                r["text"].as_str().unwrap_or("")
            );
        }
        for why in &speech.pack.refused {
            eprintln!("warning: {why}");
        }
    }
    0
}

fn say(st: &Station, speech: &Speech, a: GuidanceSayArgs) -> i32 {
    let screen = a.screen.trim();
    if !SCREENS.contains(&screen) {
        eprintln!("error: no kiosk screen is called {screen:?}; the screens are: {}", SCREENS.join(" "));
        return 2;
    }
    let catalog = &st.cfg.catalog;
    let matter = match a.matter.as_deref().map(str::trim) {
        Some(code) if catalog.matter(code).is_none() => {
            eprintln!("error: no matter has the code {code:?} (kiosk matters list shows them)");
            return 2;
        }
        Some(code) => Some(code.to_string()),
        None => catalog.matters.first().map(|m| m.code.clone()),
    };
    let category = match a.category.as_deref().map(str::trim) {
        Some(code) if catalog.category(code).is_none() => {
            eprintln!("error: no category has the code {code:?}");
            return 2;
        }
        Some(code) => Some(code.to_string()),
        None => None,
    };
    let ctx = Context {
        matter,
        category,
        ticket: Some((a.number.trim().to_uppercase(), a.ahead)),
        status: Some(a.status.unwrap_or_else(|| "已受理".into())),
        card_reader: a.card_reader,
    };
    let Some(spoken) = screen_prompt(&st.cfg, screen, &ctx) else {
        eprintln!("error: the screen {screen} has no prompt in guidance.toml");
        return 1;
    };
    match speech.render(&spoken).and_then(|pcm| crate::voice::write_wav(&a.out, &pcm).map(|_| pcm)) {
        Ok(pcm) => {
            crate::outln!("{} ({:.1} s): {}", a.out.display(), pcm.duration().as_secs_f32(), spoken.prompt.text);
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
