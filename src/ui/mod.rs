//! The only place that imports the generated Slint code: one small adapter per page,
//! wired once in [`Kiosk::build`]. Domain rows become UI rows here (`*_item`), so no
//! Slint type leaks into the domain. Callbacks hold weak handles and never unwrap them.

mod assist;
mod browse;
mod case;
mod failure;
mod guide;
mod home;
mod idle;
pub mod screenshot;
mod search;
pub mod session;
mod ticket;
pub mod x11;

use crate::service::{Issued, PrintError, PrintOutcome, Station};
use slint::ComponentHandle;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;

slint::include_modules!();

/// Everything the kiosk remembers about the villager in front of it. All of it is
/// dropped by [`reset`] when they finish or walk away.
pub struct State {
    pub station: Station,
    /// Where the villager is and what they typed: plain Rust, unit-tested (session.rs).
    session: session::Session,
    last_ticket: Option<Issued>,
    print_rx: Option<(PrintTarget, mpsc::Receiver<Result<PrintOutcome, PrintError>>)>,
    /// The ID-card reader while the identity step is shown.
    card: Option<case::CardReading>,
    /// The voice that says the screens' prompts (None: shown only; see `guide`).
    guide: Option<crate::voice::guidance::GuidePlayer>,
    /// The state of the request shown on 进度查询's result, in words (for its prompt).
    lookup_state: Option<String>,
    /// 帮办: the staff member signed in at the kiosk, helping the villager.
    assist: Option<crate::service::Signed>,
    /// The staff number and PIN being typed to start 帮办.
    assist_draft: Option<assist::SignInDraft>,
}

/// Which screen a print in flight reports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintTarget {
    Ticket,
    Case,
}

pub type Shared = Rc<RefCell<State>>;

pub struct Kiosk {
    pub app: AppWindow,
    pub state: Shared,
    _timers: Vec<slint::Timer>,
}

impl Kiosk {
    /// Builds the window over an opened station and wires every page.
    pub fn build(station: Station) -> Result<Kiosk, slint::PlatformError> {
        Self::build_in(AppWindow::new()?, station)
    }

    /// The kiosk in a window made beforehand ([`new_window`]).
    pub fn build_in(app: AppWindow, station: Station) -> Result<Kiosk, slint::PlatformError> {
        app.global::<Theme>().set_font_family(station.cfg.station.font_family.clone().into());
        let state = Rc::new(RefCell::new(State {
            station,
            session: Default::default(),
            last_ticket: None,
            print_rx: None,
            card: None,
            guide: None,
            lookup_state: None,
            assist: None,
            assist_draft: None,
        }));
        wire_nav(&app, &state);
        home::wire(&app, &state);
        browse::wire(&app, &state);
        search::wire(&app, &state);
        ticket::wire(&app, &state);
        case::wire(&app, &state);
        guide::wire(&app, &state);
        assist::wire(&app, &state);
        let timers = vec![idle::start(&app, &state), ticket::start_print_poll(&app, &state)];
        show(&app, &state, Page::Home, "");
        crate::system::starttrace::mark("home page filled");
        Ok(Kiosk { app, state, _timers: timers })
    }

    /// Starts the spoken prompts (the kiosk does; screenshots and most tests do not).
    pub fn start_voice(&self) {
        guide::start_voice(&self.state);
        let (page, arg) = self.state.borrow().session.current.clone();
        guide::entered(&self.app, &self.state, page, &arg);
    }

    /// The prompt player, when the voice was started (for tests).
    pub fn prompt_playing(&self) -> bool {
        self.state.borrow().guide.as_ref().is_some_and(|g| g.is_playing())
    }

    /// Seconds since the last touch (for tests and diagnostics).
    pub fn idle_secs(&self) -> u32 {
        self.state.borrow().session.idle_secs
    }
}

pub(crate) fn page_name(p: Page) -> &'static str {
    match p {
        Page::Home => "home",
        Page::Categories => "categories",
        Page::Matters => "matters",
        Page::Matter => "matter",
        Page::Search => "search",
        Page::Priority => "priority",
        Page::Ticket => "ticket",
        Page::CaseMaterials => "case-materials",
        Page::CaseNotice => "case-notice",
        Page::CasePhone => "case-phone",
        Page::CaseId => "case-id",
        Page::CaseName => "case-name",
        Page::CaseConfirm => "case-confirm",
        Page::CaseDone => "case-done",
        Page::Lookup => "lookup",
        Page::LookupResult => "lookup-result",
    }
}

/// Loads `page`'s data into its adapter and shows it (no history change).
fn show(app: &AppWindow, state: &Shared, page: Page, arg: &str) {
    match page {
        Page::Home => {
            // Back home: the receipt font is not needed until the next receipt.
            state.borrow().station.release_font();
            home::show(app, state)
        }
        Page::Categories => browse::show_categories(app, state, arg),
        Page::Matters => browse::show_matters(app, state, arg),
        Page::Matter => browse::show_matter(app, state, arg),
        Page::Search => search::show(app, state),
        Page::Priority => ticket::show_priority(app, state, arg),
        Page::CaseMaterials
        | Page::CaseNotice
        | Page::CasePhone
        | Page::CaseId
        | Page::CaseName
        | Page::CaseConfirm => case::show(app, state),
        Page::Lookup => {}
        Page::Ticket | Page::CaseDone | Page::LookupResult => {}
    }
    state.borrow_mut().session.arrive(page, arg);
    app.global::<Nav>().set_page(page);
    guide::entered(app, state, page, arg);
    // The card reader reads only while the identity step is on screen.
    if page == Page::CaseId {
        case::start_card(app, state);
    } else {
        state.borrow_mut().card = None;
    }
}

/// Goes forward to `page`, remembering where we were for 返回.
pub(crate) fn navigate(app: &AppWindow, state: &Shared, page: Page, arg: &str) {
    state.borrow_mut().session.go(page, arg);
    if page == Page::Lookup {
        case::start_lookup(app, state);
    }
    show(app, state, page, arg);
}

fn back(app: &AppWindow, state: &Shared) {
    let (page, arg) = state.borrow_mut().session.back();
    show(app, state, page, &arg);
}

/// Forgets the villager: history, search, chosen matter, ticket, large text, dialogs. A
/// 帮办 session goes on (完成 of one matter is not the end of the help); idle ends it first.
pub(crate) fn reset(app: &AppWindow, state: &Shared) {
    {
        let mut s = state.borrow_mut();
        s.session.forget();
        s.last_ticket = None;
        s.print_rx = None;
        s.card = None;
        s.lookup_state = None;
    }
    app.global::<Theme>().set_large_text(false);
    set_language(app, crate::lang::Lang::Zh);
    app.global::<IdleAdapter>().set_warning(false);
    app.global::<Nav>().set_toast_visible(false);
    search::clear_adapter(app);
    ticket::clear_adapter(app);
    case::clear_adapters(app);
    show(app, state, Page::Home, "");
}

/// Shows the page after a request was submitted (never reached by history).
pub(crate) fn show_done_page(app: &AppWindow, state: &Shared) {
    state.borrow_mut().session.arrive(Page::CaseDone, "");
    app.global::<Nav>().set_page(Page::CaseDone);
    guide::entered(app, state, Page::CaseDone, "");
}

/// Shows the ticket page (reached only by taking a ticket, never by history).
pub(crate) fn show_ticket_page(app: &AppWindow, state: &Shared) {
    state.borrow_mut().session.arrive(Page::Ticket, "");
    app.global::<Nav>().set_page(Page::Ticket);
    guide::entered(app, state, Page::Ticket, "");
}

/// The 中/EN control: every `@tr` text of the screens at once (Slint's bundled catalogue)
/// and what the Rust side words from now on (the same catalogue, see `lang`). The next
/// villager always starts in Chinese: leaving and idle call this with `Zh`.
pub(crate) fn set_language(app: &AppWindow, lang: crate::lang::Lang) {
    crate::lang::set_screen(lang);
    if let Err(e) = slint::select_bundled_translation(lang.slint_name()) {
        tracing::warn!("the screens stay in the language they were: {e}");
    }
    app.global::<Nav>().set_english(lang == crate::lang::Lang::English);
}

pub(crate) fn toast(app: &AppWindow, text: &str) {
    let nav = app.global::<Nav>();
    nav.set_toast(text.into());
    nav.set_toast_visible(false);
    nav.set_toast_visible(true);
}

fn wire_nav(app: &AppWindow, state: &Shared) {
    let nav = app.global::<Nav>();
    let (w, s) = (app.as_weak(), state.clone());
    nav.on_navigate(move |page, arg| {
        let Some(app) = w.upgrade() else { return };
        navigate(&app, &s, page, arg.as_str());
    });
    let (w, s) = (app.as_weak(), state.clone());
    nav.on_back(move || {
        let Some(app) = w.upgrade() else { return };
        back(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    nav.on_home(move || {
        let Some(app) = w.upgrade() else { return };
        // 首页 keeps the text size but forgets anything personal typed so far: back on
        // home the idle timer no longer runs, so nothing else would clear it.
        {
            let mut st = s.borrow_mut();
            st.session.home();
            st.print_rx = None;
        }
        case::clear_adapters(&app);
        show(&app, &s, Page::Home, "");
    });
    let (w, s) = (app.as_weak(), state.clone());
    nav.on_toggle_large_text(move || {
        let Some(app) = w.upgrade() else { return };
        let theme = app.global::<Theme>();
        theme.set_large_text(!theme.get_large_text());
        // Page sizes depend on the text size: lay the current page out again.
        let (page, arg) = s.borrow().session.current.clone();
        if !matches!(page, Page::Ticket | Page::CaseDone | Page::LookupResult) {
            show(&app, &s, page, &arg);
        }
    });
    let (w, s) = (app.as_weak(), state.clone());
    nav.on_toggle_language(move || {
        let Some(app) = w.upgrade() else { return };
        let english = !app.global::<Nav>().get_english();
        set_language(&app, if english { crate::lang::Lang::English } else { crate::lang::Lang::Zh });
        // What the Rust side put on the page is worded again in the new language.
        let (page, arg) = s.borrow().session.current.clone();
        if !matches!(page, Page::Ticket | Page::CaseDone | Page::LookupResult) {
            show(&app, &s, page, &arg);
        }
    });
    let (w, s) = (app.as_weak(), state.clone());
    nav.on_call_staff(move || {
        let Some(app) = w.upgrade() else { return };
        let screen = page_name(s.borrow().session.current.0);
        let result = s.borrow().station.call_for_help(screen);
        match result {
            Ok(_) => toast(&app, tr!("已通知工作人员，请稍候，马上来帮您。")),
            Err(e) => {
                let sorry = tr!("呼叫没有发出去，请直接到窗口找工作人员。");
                if let Some(why) = failure::refusal_or_toast(&app, "call for help not recorded", &e, sorry) {
                    toast(&app, &why);
                }
            }
        }
    });
    let (w, s) = (app.as_weak(), state.clone());
    nav.on_activity(move || {
        let Some(app) = w.upgrade() else { return };
        idle::poke(&app, &s);
        guide::touched(&app, &s);
    });
}

/// Runs the full-screen kiosk over an opened station until the window closes.
/// The kiosk's window, made before the station is ready (the display connection and the
/// fonts take a while; the station opens meanwhile on another thread).
pub fn new_window() -> Result<AppWindow, slint::PlatformError> {
    AppWindow::new()
}

pub fn run_kiosk(app: AppWindow, station: Station, windowed: bool) -> i32 {
    let kiosk = match Kiosk::build_in(app, station) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: cannot open the kiosk window: {e} (is a display running? set DISPLAY)");
            return 1;
        }
    };
    if !windowed {
        kiosk.app.window().set_fullscreen(true);
    }
    kiosk.start_voice();
    tracing::info!("kiosk started");
    // Under systemd: ready once the first frame is drawn, and alive while the event loop
    // turns (a hung screen stops the pings and is restarted).
    let _watchdog = crate::system::sdnotify::watchdog_interval().map(|every| {
        let t = slint::Timer::default();
        t.start(slint::TimerMode::Repeated, every, || {
            crate::system::sdnotify::notify("WATCHDOG=1");
        });
        t
    });
    slint::Timer::single_shot(std::time::Duration::from_millis(0), || {
        crate::system::starttrace::mark("event loop running");
        crate::system::sdnotify::notify("READY=1\nSTATUS=首页已显示");
    });
    match kiosk.app.run() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// Seconds the startup-error screen stays before the process exits (and a session
/// script restarts it, picking up a fixed file).
const STARTUP_ERROR_SECS: u64 = 60;

/// What the startup-error screen tells staff to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffNote {
    /// A configuration file or the data folder: fix it and the kiosk restarts.
    Config,
    /// The store: damaged, foreign or from a newer version; never touched.
    Store,
}

impl StaffNote {
    pub fn text(self) -> &'static str {
        match self {
            StaffNote::Config => tr!("工作人员请看：终端设置有误，改好下面列出的文件后，终端会自动重新启动。"),
            StaffNote::Store => {
                tr!("工作人员请看：终端的数据库出了问题，已停止使用，文件原样保留没有被改动。\
                 请不要关机反复重试，请联系乡镇管理员按下面的提示从备份恢复。")
            }
        }
    }
}

/// Shows "自助终端暂停服务" with the details for staff, when a display is there; returns
/// at once otherwise (the details were already printed on standard error). The caller
/// has checked that the screen font is installed.
pub fn show_startup_error(details: &str, font_family: &str, note: StaffNote) {
    let Ok(win) = StartupErrorWindow::new() else { return };
    win.set_details(details.into());
    win.set_staff_note(note.text().into());
    win.set_font_family(font_family.into());
    win.window().set_fullscreen(true);
    // Under systemd the screen itself is up and alive until it closes on purpose.
    crate::system::sdnotify::notify("READY=1\nSTATUS=暂停服务");
    let _watchdog = crate::system::sdnotify::watchdog_interval().map(|every| {
        let t = slint::Timer::default();
        t.start(slint::TimerMode::Repeated, every, || {
            crate::system::sdnotify::notify("WATCHDOG=1");
        });
        t
    });
    let w = win.as_weak();
    let timer = slint::Timer::default();
    timer.start(slint::TimerMode::SingleShot, std::time::Duration::from_secs(STARTUP_ERROR_SECS), move || {
        if let Some(win) = w.upgrade() {
            let _ = win.hide();
        }
        let _ = slint::quit_event_loop();
    });
    let _ = win.run();
}
