//! `kiosk screenshot`: renders a page to PNG with Slint's software renderer into a
//! buffer; no X server, no GPU. The page is reached the way a villager reaches it
//! (the same navigation code), over a throw-away store so no real ticket is issued.

use super::{idle, navigate, AppWindow, Kiosk, Page, PrintState, Theme, TicketAdapter};
use crate::config::LoadedConfig;
use crate::domain::clock::Clock;
use crate::paths::Paths;
use crate::service::{Signed, Station};
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
    /// Home with the town centre's notice of a joined station (sample text).
    HomeTownNotice,
    Categories {
        for_ticket: bool,
    },
    Matters(String),
    Matter(String),
    Search(String),
    Priority(String),
    Ticket(PrintState),
    Idle,
    /// A step of 申请代办: materials, phone, id (with an error shown), name, confirm, done.
    CaseForm(String),
    Lookup,
    LookupResult,
    /// Home with the 帮办 sign-in dialog open (staff number 001 typed).
    AssistSignIn,
    /// The screen shown when the configuration is broken (or, with `store`, the database).
    StartupError,
    StoreError,
}

pub fn parse_page(spec: &str) -> Result<Shot, String> {
    let (name, arg) = spec.split_once(':').map(|(a, b)| (a, Some(b))).unwrap_or((spec, None));
    Ok(match (name, arg) {
        ("home", None) => Shot::Home,
        ("home", Some("notice")) => Shot::HomeTownNotice,
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
        ("request" | "proxy", Some(step))
            if ["materials", "notice", "phone", "id", "name", "confirm", "done"].contains(&step) =>
        {
            Shot::CaseForm(step.into())
        }
        ("lookup", None) => Shot::Lookup,
        ("lookup-result", None) => Shot::LookupResult,
        ("assist", None) => Shot::AssistSignIn,
        ("startup-error", None) => Shot::StartupError,
        ("startup-error", Some("store")) => Shot::StoreError,
        _ => {
            return Err(format!(
                "unknown page {spec:?}; use home[:notice], categories[:ticket], matters:<category>, matter:<code>, \
                 search[:query], priority:<code>, ticket[:printed|failed|spool], idle, \
                 request:<materials|notice|phone|id|name|confirm|done>, lookup, lookup-result, \
                 assist, startup-error[:store]; add +assist to any page for the 帮办 banner"
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

/// `kiosk screenshot`: renders `page` into the PNG `out`. The caller checked the font.
pub fn run(cfg: LoadedConfig, page: &str, out: &Path, large_text: bool, size: &str, lang: &str) -> i32 {
    let Some(lang) = crate::lang::Lang::parse(lang) else {
        eprintln!("error: --lang {lang}: the kiosk speaks zh (中文) or en (English)");
        return 2;
    };
    // The screen's language first: the staff notes of the start-up error windows are
    // worded before any page exists.
    crate::lang::set_screen(lang);
    // `+assist`: the page as it looks while a staff member helps (帮办 banner).
    let (page, assisting) = match page.strip_suffix("+assist") {
        Some(p) => (p, true),
        None => (page, false),
    };
    let shot = match parse_page(page) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let size = match parse_size(size) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let scratch = std::env::temp_dir().join(format!("kiosk-screenshot-{}", std::process::id()));
    let result = render_to_file(cfg, &scratch, &shot, large_text, assisting, size, out);
    let _ = std::fs::remove_dir_all(&scratch);
    match result {
        Ok(()) => {
            crate::outln!("{}", out.display());
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
    assisting: bool,
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
    let pixels = if matches!(shot, Shot::StartupError | Shot::StoreError) {
        let (details, note) = if *shot == Shot::StoreError {
            // What SQLite says of a file whose pages were overwritten.
            let e = crate::service::StoreError::Damaged {
                path: station.paths.db(),
                detail: "database disk image is malformed".into(),
            };
            (e.to_string(), super::StaffNote::Store)
        } else {
            // A real parse error: the shipped list with a typo an admin might make.
            let broken = crate::config::SHIPPED_MATTERS.replacen("category = \"C\"", "category = \"c\"", 1);
            let details = match crate::config::parse_matters("kiosk-config/matters.toml", &broken) {
                Err(e) => e.to_string(),
                Ok(_) => String::new(),
            };
            (details, super::StaffNote::Config)
        };
        let win = super::StartupErrorWindow::new().map_err(|e| e.to_string())?;
        if let Err(e) = slint::select_bundled_translation(crate::lang::current().slint_name()) {
            tracing::warn!("{e}");
        }
        win.set_details(details.into());
        win.set_staff_note(note.text().into());
        win.set_font_family(station.cfg.station.font_family.clone().into());
        win.show().map_err(|e| e.to_string())?;
        render(win.window(), &window, w, h)
    } else {
        let kiosk = Kiosk::build(station).map_err(|e| e.to_string())?;
        kiosk.app.show().map_err(|e| e.to_string())?;
        super::set_language(&kiosk.app, crate::lang::current());
        drive(&kiosk, shot, large)?;
        if assisting {
            // A sample staff member, as the banner shows them (masked).
            let a = kiosk.app.global::<super::Assist>();
            a.set_staff("张*".into());
            a.set_active(true);
        }
        render(kiosk.app.window(), &window, w, h)
    };
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
        Shot::AssistSignIn => {
            let a = app.global::<super::Assist>();
            a.invoke_open();
            for k in ["0", "0", "1"] {
                a.invoke_key(k.into());
            }
        }
        Shot::HomeTownNotice => app
            .global::<super::HomeAdapter>()
            .set_town_notice("镇中心通知：12月10日起，高龄津贴年审在村服务站办理，请带身份证和银行卡。".into()),
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
            state.borrow_mut().session.idle_secs = after - 1;
            idle::tick(app, state);
        }
        Shot::CaseForm(step) => drive_case_form(app, state, step),
        Shot::Lookup => {
            navigate(app, state, Page::Lookup, "");
            let l = app.global::<super::LookupAdapter>();
            for k in ["2", "6", "1", "1", "2", "8", "0", "0"] {
                l.invoke_key(k.into());
            }
        }
        Shot::LookupResult => {
            let tracking = sample_case(state)?;
            navigate(app, state, Page::Lookup, "");
            let l = app.global::<super::LookupAdapter>();
            let digits: String = tracking.chars().filter(|c| c.is_ascii_digit()).collect();
            for k in digits.chars().chain("5678".chars()) {
                l.invoke_key(k.to_string().into());
            }
            l.invoke_search();
        }
        Shot::StartupError | Shot::StoreError => {}
    }
    Ok(())
}

/// Sample person for pictures: the synthetic test ID from DOMAIN §6.1, never a real one.
const SAMPLE_ID: &str = "130110194503150138";
const SAMPLE_PHONE: &str = "13812345678";

fn drive_case_form(app: &AppWindow, state: &super::Shared, step: &str) {
    use super::CaseFormAdapter;
    navigate(app, state, Page::Matter, "C01");
    app.global::<super::MatterAdapter>().invoke_apply_case();
    let p = app.global::<CaseFormAdapter>();
    for i in [0, 2, 3] {
        p.invoke_toggle_material(i);
    }
    if step == "materials" {
        return;
    }
    p.invoke_next();
    if step == "notice" {
        return;
    }
    p.invoke_next();
    for c in SAMPLE_PHONE.chars() {
        p.invoke_key(c.to_string().into());
    }
    if step == "phone" {
        return;
    }
    p.invoke_next();
    // Show the check-digit message: the last digit typed wrong.
    for c in SAMPLE_ID[..17].chars().chain(['0']) {
        p.invoke_key(c.to_string().into());
    }
    p.invoke_next();
    if step == "id" {
        return;
    }
    p.invoke_backspace();
    p.invoke_key("8".into());
    p.invoke_next();
    for c in ["W", "A", "N", "G"] {
        p.invoke_key(c.into());
    }
    if step == "name" {
        return;
    }
    p.invoke_pick("王".into());
    p.invoke_next();
    if step == "confirm" {
        return;
    }
    p.invoke_submit();
}

/// A case in the scratch store, accepted by a sample staff member, for the lookup picture.
fn sample_case(state: &super::Shared) -> Result<String, String> {
    let mut s = state.borrow_mut();
    let st = &mut s.station;
    let me = sample_staff(st)?;
    let req = crate::service::CaseRequest {
        matter: "C01".into(),
        phone: SAMPLE_PHONE.into(),
        phone2: None,
        id_number: SAMPLE_ID.into(),
        name: Some("王".into()),
        missing: vec!["户口簿".into()],
    };
    let sub = st.submit_case(&req).map_err(|e| e.to_string())?;
    st.advance_case(&me, &sub.case.tracking, crate::domain::case::CaseState::Accepted, "", None)
        .map_err(|e| e.to_string())?;
    Ok(sub.case.tracking)
}

/// The sample staff members of the scratch store (A 001 and B 002 of category C),
/// signed in as 001.
fn sample_staff(st: &Station) -> Result<Signed, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    if st.staff_list().map_err(|x| e(&x))?.is_empty() {
        // A sample station of its own (a temp folder), set up as its command line would.
        let local = crate::service::LocalAdmin::on_this_box();
        st.admin_add_staff(&local, "001", "张三丰", "staff", Some(SAMPLE_PIN)).map_err(|x| e(&x))?;
        st.admin_add_staff(&local, "002", "李四", "staff", None).map_err(|x| e(&x))?;
        st.admin_set_post(&local, "C", "001", Some("002")).map_err(|x| e(&x))?;
    }
    st.sign_in("001", SAMPLE_PIN).map_err(|x| e(&x))
}

const SAMPLE_PIN: &str = "246813";

/// One frame of the window, as RGB bytes.
pub fn render(win: &slint::Window, window: &MinimalSoftwareWindow, w: u32, h: u32) -> Vec<u8> {
    slint::platform::update_timers_and_animations();
    win.request_redraw();
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
        let pixels = render(kiosk.app.window(), &window, w, h);
        times.push(t.elapsed());
        if pixels.is_empty() {
            return Err("nothing rendered".into());
        }
    }
    Ok(times)
}

/// Times page changes after the first frame, as a villager taps through: each entry is
/// (page, time to draw the whole 1920×1080 frame of the new page). The first round meets
/// each page for the first time (glyphs not yet cached); later rounds are what a villager
/// sees the rest of the day.
pub fn bench_page_changes(
    station: Station,
    w: u32,
    h: u32,
    rounds: usize,
) -> Result<Vec<(&'static str, std::time::Duration)>, String> {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(Headless { window: window.clone() })).map_err(|e| e.to_string())?;
    window.set_size(slint::PhysicalSize::new(w, h));
    let kiosk = Kiosk::build(station).map_err(|e| e.to_string())?;
    kiosk.app.show().map_err(|e| e.to_string())?;
    let mut buffer = vec![slint::Rgb8Pixel { r: 0, g: 0, b: 0 }; (w * h) as usize];
    let frame = |buffer: &mut Vec<slint::Rgb8Pixel>| {
        slint::platform::update_timers_and_animations();
        let t = std::time::Instant::now();
        window.draw_if_needed(|renderer| {
            renderer.render(buffer, w as usize);
        });
        t.elapsed()
    };
    // The first frame: not a page change (reported apart, as "first").
    let first = frame(&mut buffer);
    let (app, state) = (&kiosk.app, &kiosk.state);
    let steps: [(&'static str, Page, &str); 7] = [
        ("categories", Page::Categories, "guide"),
        ("matters:C", Page::Matters, "C"),
        ("matter:C02", Page::Matter, "C02"),
        ("priority:C02", Page::Priority, "M:C02"),
        ("search", Page::Search, ""),
        ("lookup", Page::Lookup, ""),
        ("home", Page::Home, ""),
    ];
    let mut times = vec![("first", first)];
    for _ in 0..rounds {
        for (name, page, arg) in steps {
            navigate(app, state, page, arg);
            times.push((name, frame(&mut buffer)));
        }
    }
    Ok(times)
}
