//! `kiosk screenshot`: renders a page to PNG with Slint's software renderer into a
//! buffer; no X server, no GPU. The page is reached the way a villager reaches it
//! (the same navigation code), over a throw-away store so no real ticket is issued.

use super::{idle, navigate, AppWindow, Kiosk, Page, PrintState, Theme, TicketAdapter};
use crate::cli::ScreenshotArgs;
use crate::config::LoadedConfig;
use crate::domain::clock::Clock;
use crate::paths::Paths;
use crate::station::Station;
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::ComponentHandle;
use std::path::{Path, PathBuf};
use std::rc::Rc;

struct Headless {
    window: Rc<MinimalSoftwareWindow>,
}

impl Platform for Headless {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
}

/// A page spec as given on the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Shot {
    Home,
    Categories { for_ticket: bool },
    Matters(String),
    Matter(String),
    Search(String),
    Priority(String),
    Ticket(PrintState),
    Idle,
}

pub fn parse_page(spec: &str) -> Result<Shot, String> {
    let (name, arg) = spec.split_once(':').map(|(a, b)| (a, Some(b))).unwrap_or((spec, None));
    Ok(match (name, arg) {
        ("home", None) => Shot::Home,
        ("categories", None) => Shot::Categories { for_ticket: false },
        ("categories", Some("ticket")) => Shot::Categories { for_ticket: true },
        ("matters", Some(c)) => Shot::Matters(c.to_uppercase()),
        ("matter", Some(c)) => Shot::Matter(c.to_uppercase()),
        ("search", q) => Shot::Search(q.unwrap_or("").to_string()),
        ("priority", Some(c)) => Shot::Priority(c.to_uppercase()),
        ("ticket", None) | ("ticket", Some("printed")) => Shot::Ticket(PrintState::Printed),
        ("ticket", Some("failed")) => Shot::Ticket(PrintState::Failed),
        ("ticket", Some("spool")) => Shot::Ticket(PrintState::SpoolOnly),
        ("idle", None) => Shot::Idle,
        _ => {
            return Err(format!(
                "unknown page {spec:?}; use home, categories[:ticket], matters:<category>, matter:<code>, \
                 search[:query], priority:<code>, ticket[:printed|failed|spool], idle"
            ))
        }
    })
}

pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(|| format!("--size {s:?}: use WIDTHxHEIGHT, e.g. 1920x1080"))?;
    let w: u32 = w.trim().parse().map_err(|_| format!("--size {s:?}: bad width"))?;
    let h: u32 = h.trim().parse().map_err(|_| format!("--size {s:?}: bad height"))?;
    if !(320..=8192).contains(&w) || !(240..=8192).contains(&h) {
        return Err(format!("--size {s:?}: out of range"));
    }
    Ok((w, h))
}

pub fn run(cfg: LoadedConfig, _paths: &Paths, a: &ScreenshotArgs) -> i32 {
    let shot = match parse_page(&a.page) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let size = match parse_size(&a.size) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if let Err(msg) = super::check_screen_font(&cfg.station.font_family) {
        eprintln!("error: {msg}");
        return 2;
    }
    let scratch = std::env::temp_dir().join(format!("kiosk-screenshot-{}", std::process::id()));
    let result = render_to_file(cfg, &scratch, &shot, a.large_text, size, &a.out);
    let _ = std::fs::remove_dir_all(&scratch);
    match result {
        Ok(()) => {
            println!("{}", a.out.display());
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

fn render_to_file(
    mut cfg: LoadedConfig,
    scratch: &Path,
    shot: &Shot,
    large: bool,
    (w, h): (u32, u32),
    out: &Path,
) -> Result<(), String> {
    // Never print from a screenshot.
    cfg.station.printer.name = None;
    let clock = Clock::from_env(cfg.station.tz).map_err(|e| e.to_string())?;
    let paths = Paths { config_dir: None, data_dir: PathBuf::from(scratch) };
    let station = Station::open(cfg, paths, clock).map_err(|e| e.to_string())?;

    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(Headless { window: window.clone() })).map_err(|e| e.to_string())?;
    window.set_size(slint::PhysicalSize::new(w, h));
    let kiosk = Kiosk::build(station).map_err(|e| e.to_string())?;
    kiosk.app.show().map_err(|e| e.to_string())?;
    drive(&kiosk, shot, large)?;
    let pixels = render(&kiosk.app, &window, w, h);
    image::save_buffer(out, &pixels, w, h, image::ExtendedColorType::Rgb8)
        .map_err(|e| format!("{}: {e}", out.display()))
}

/// Brings the kiosk to the page, as taps would.
pub fn drive(kiosk: &Kiosk, shot: &Shot, large: bool) -> Result<(), String> {
    let app = &kiosk.app;
    let state = &kiosk.state;
    app.global::<Theme>().set_large_text(large);
    let exists = |code: &str| state.borrow().station.cfg.catalog.matter(code).is_some();
    match shot {
        Shot::Home => {}
        Shot::Categories { for_ticket } => {
            navigate(app, state, Page::Categories, if *for_ticket { "ticket" } else { "guide" })
        }
        Shot::Matters(c) => {
            if state.borrow().station.cfg.catalog.category(c).is_none() {
                return Err(format!("no category {c:?}"));
            }
            navigate(app, state, Page::Matters, c)
        }
        Shot::Matter(c) => {
            if !exists(c) {
                return Err(format!("no matter {c:?}"));
            }
            navigate(app, state, Page::Matter, c)
        }
        Shot::Search(q) => {
            navigate(app, state, Page::Search, "");
            let a = app.global::<super::SearchAdapter>();
            for ch in q.chars() {
                a.invoke_key(ch.to_string().into());
            }
        }
        Shot::Priority(c) => navigate(app, state, Page::Priority, &format!("M:{c}")),
        Shot::Ticket(print_state) => {
            navigate(app, state, Page::Matter, "C02");
            navigate(app, state, Page::Priority, "M:C02");
            app.global::<super::PriorityAdapter>().invoke_choose(false);
            // The scratch store has no printer; show the state asked for.
            let t = app.global::<TicketAdapter>();
            t.set_print_state(*print_state);
            t.set_print_message(super::ticket::print_message(*print_state, &t.get_number()).into());
        }
        Shot::Idle => {
            navigate(app, state, Page::Matter, "C01");
            let after = state.borrow().station.cfg.station.idle.idle_after_secs;
            state.borrow_mut().idle_secs = after - 1;
            idle::tick(app, state);
        }
    }
    Ok(())
}

/// One frame of the window, as RGB bytes.
pub fn render(app: &AppWindow, window: &MinimalSoftwareWindow, w: u32, h: u32) -> Vec<u8> {
    slint::platform::update_timers_and_animations();
    app.window().request_redraw();
    let mut buffer = vec![slint::Rgb8Pixel { r: 0, g: 0, b: 0 }; (w * h) as usize];
    window.draw_if_needed(|renderer| {
        renderer.render(&mut buffer, w as usize);
    });
    buffer.iter().flat_map(|p| [p.r, p.g, p.b]).collect()
}

/// Times full renders of the home page (each frame drawn from scratch), for the bench.
pub fn bench_home_render(station: Station, w: u32, h: u32, n: usize) -> Result<Vec<std::time::Duration>, String> {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(Headless { window: window.clone() })).map_err(|e| e.to_string())?;
    window.set_size(slint::PhysicalSize::new(w, h));
    let kiosk = Kiosk::build(station).map_err(|e| e.to_string())?;
    kiosk.app.show().map_err(|e| e.to_string())?;
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = std::time::Instant::now();
        let pixels = render(&kiosk.app, &window, w, h);
        times.push(t.elapsed());
        if pixels.is_empty() {
            return Err("nothing rendered".into());
        }
    }
    Ok(times)
}
