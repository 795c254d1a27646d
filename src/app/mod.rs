//! The composition root: parses the command line, loads the configuration, opens the
//! station and starts the face that was asked for — the kiosk window, the staff
//! console, the station service or a one-shot command. Start-up (the data folder, the
//! log file, the screen-font check, the clock) lives here and nowhere else, so every
//! face starts the same way and no face needs to import another.

use crate::cli::{self, Command, StaffArgs};
use crate::config::{self, LoadError, LoadedConfig};
use crate::domain::clock::Clock;
use crate::paths::Paths;
use crate::service::Station;
use std::ffi::OsString;

/// Runs the program and returns the process exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match cli::parse(args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let paths = Paths::resolve(cli.config_dir.clone(), cli.data_dir.clone());
    match cli.command {
        None => run_kiosk(&paths, cli.windowed),
        Some(Command::Staff(StaffArgs { command: None })) => with_station(&paths, "console", |st| {
            if let Err(code) = screen_font_ok(&st.cfg) {
                return code;
            }
            crate::ui::staff::run_console(st)
        }),
        Some(Command::Screenshot(a)) => with_config(&paths, |cfg| {
            if let Err(code) = screen_font_ok(&cfg) {
                return code;
            }
            crate::ui::screenshot::run(cfg, &a.page, &a.out, a.large_text, &a.size)
        }),
        Some(cmd) => {
            // Commands that need only the configuration never touch the data folder.
            if let Some(code) = cli::run_config_only(None, &cmd) {
                return code;
            }
            let cfg = match load_config(&paths) {
                Ok(c) => c,
                Err(code) => return code,
            };
            if let Some(code) = cli::run_config_only(Some(&cfg), &cmd) {
                return code;
            }
            match open_station(&paths, cfg, "cli") {
                Ok(mut st) => cli::run(&mut st, cmd),
                Err(code) => code,
            }
        }
    }
}

/// Loads station.toml, matters.toml and holidays.toml; every problem goes to standard
/// error as `FILE:LINE: field: problem`.
pub fn load_config(paths: &Paths) -> Result<LoadedConfig, i32> {
    config::load(paths.config_dir.as_deref()).map_err(|e| {
        match e {
            LoadError::Invalid(errs) => {
                eprintln!("{errs}");
                eprintln!("error: the configuration is invalid; the kiosk will not start until it is fixed (配置有误，终端不启动)");
            }
            LoadError::Read { .. } => eprintln!("error: {e}"),
        }
        2
    })
}

/// Opens the station: the data folder, the log file (`logs/{face}.log`), the clock
/// (`KIOSK_NOW`), the store.
pub fn open_station(paths: &Paths, cfg: LoadedConfig, face: &str) -> Result<Station, i32> {
    let clock = Clock::from_env(cfg.station.tz).map_err(|e| {
        eprintln!("error: {e}");
        2
    })?;
    if !clock.is_plausible() {
        eprintln!(
            "warning: the clock reads {}; ticket numbers follow the calendar day, so set the time",
            clock.now_local()
        );
    }
    if let Err(e) = paths.ensure_data_dir() {
        eprintln!("error: {e}");
        return Err(1);
    }
    init_logging(paths, face);
    Station::open(cfg, paths.clone(), clock).map_err(|e| {
        tracing::error!("{e}");
        eprintln!("error: {e}");
        1
    })
}

fn with_config(paths: &Paths, f: impl FnOnce(LoadedConfig) -> i32) -> i32 {
    match load_config(paths) {
        Ok(cfg) => f(cfg),
        Err(code) => code,
    }
}

fn with_station(paths: &Paths, face: &str, f: impl FnOnce(Station) -> i32) -> i32 {
    with_config(paths, |cfg| match open_station(paths, cfg, face) {
        Ok(st) => f(st),
        Err(code) => code,
    })
}

/// The kiosk itself. When it cannot start, the reason goes to standard error (file, line,
/// field) and, if a screen is attached, to a plain "暂停服务" screen for the villager with
/// the details for staff.
fn run_kiosk(paths: &Paths, windowed: bool) -> i32 {
    let cfg = match config::load(paths.config_dir.as_deref()) {
        Ok(cfg) => cfg,
        Err(e) => {
            let details = e.to_string();
            eprintln!("{details}");
            eprintln!("error: the configuration is invalid; the kiosk will not start until it is fixed (配置有误，终端不启动)");
            let font = config::parse_station("", config::SHIPPED_STATION).map(|s| s.font_family).unwrap_or_default();
            if check_screen_font(&font).is_ok() {
                crate::ui::show_startup_error(&details, &font);
            }
            return 2;
        }
    };
    let font = cfg.station.font_family.clone();
    if let Err(msg) = check_screen_font(&font) {
        // No Chinese font: a screen would be blank, so only standard error and the log.
        eprintln!("error: {msg}");
        return 2;
    }
    let fail = |msg: String, code: i32| {
        eprintln!("error: {msg}");
        crate::ui::show_startup_error(&msg, &font);
        code
    };
    let clock = match Clock::from_env(cfg.station.tz) {
        Ok(c) => c,
        Err(e) => return fail(e.to_string(), 2),
    };
    if let Err(e) = paths.ensure_data_dir() {
        return fail(e.to_string(), 1);
    }
    init_logging(paths, "kiosk");
    let station = match Station::open(cfg, paths.clone(), clock) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{e}");
            return fail(e.to_string(), 1);
        }
    };
    station.preload_font();
    crate::ui::run_kiosk(station, windowed)
}

fn screen_font_ok(cfg: &LoadedConfig) -> Result<(), i32> {
    check_screen_font(&cfg.station.font_family).map_err(|msg| {
        eprintln!("error: {msg}");
        2
    })
}

/// Without a CJK font Slint draws Chinese as nothing at all, silently. Refuse to start
/// instead, naming the font and the fix.
pub fn check_screen_font(family: &str) -> Result<(), String> {
    let out = std::process::Command::new("fc-list").arg(format!(":family={family}")).arg("family").output();
    match out {
        Ok(o) if o.status.success() && !o.stdout.is_empty() => Ok(()),
        Ok(_) => Err(format!(
            "the screen font {family:?} is not installed: Chinese text would be invisible. \
             Install fonts-noto-cjk (the run command does this) or set [display] font-family in station.toml"
        )),
        // fc-list missing: cannot check; Slint's own font lookup will still try.
        Err(_) => Ok(()),
    }
}

/// Logs to `{data}/logs/{face}.log` (kiosk, console, serve, cli), appending.
pub fn init_logging(paths: &Paths, face: &str) {
    let file = std::fs::OpenOptions::new().create(true).append(true).open(paths.log_dir().join(format!("{face}.log")));
    if let Ok(file) = file {
        let _ = tracing_subscriber::fmt().with_writer(std::sync::Mutex::new(file)).with_ansi(false).try_init();
    }
}
