//! The composition root: parses the command line, loads the configuration, opens the
//! station and starts the face that was asked for — the kiosk window, the staff
//! console, the station service or a one-shot command. Start-up (the data folder, the
//! log file, the screen-font check, the clock) lives here and nowhere else, so every
//! face starts the same way and no face needs to import another.

use crate::system::log;

use crate::cli::{self, Command, ConfigCmd, MattersCmd, StaffArgs, SyncCmd, TicketCmd};
use crate::config::{self, LoadError, LoadedConfig};
use crate::domain::clock::Clock;
use crate::paths::Paths;
use crate::service::Station;
use crate::storage::StoreError;
use crate::system::starttrace;
use crate::voice::{Announcer, VoiceConfig, VoiceError};
use std::ffi::OsString;

/// Runs the program and returns the process exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    starttrace::begin();
    crate::system::private_files();
    let code = run(args);
    log::flush();
    code
}

/// The one place a command is chosen: each command is one named function.
fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match cli::parse(args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let paths = Paths::resolve(cli.config_dir.clone(), cli.data_dir.clone());
    let Some(command) = cli.command else { return run_kiosk(&paths, cli.windowed) };
    match command {
        Command::Staff(StaffArgs { command: None }) => with_config(&paths, desk_is_in_the_browser),
        Command::Staff(StaffArgs { command: Some(c) }) => on_station(&paths, |st| cli::staff::run(st, c)),
        Command::Serve(a) => with_station(&paths, "serve", |st| serve(st, &paths, a)),
        Command::Announce(a) => with_config(&paths, |cfg| announce(cfg, &paths, a)),
        Command::Screenshot(a) => with_config(&paths, |cfg| screenshot(cfg, a)),
        Command::Restore(a) => with_config(&paths, |cfg| restore(cfg, &paths, a)),
        Command::Migrate => migrate(&paths),
        // Needs no configuration and no store: any file can be checked anywhere.
        Command::Matters(MattersCmd::Check { file }) => cli::matters::check(&file),
        Command::Matters(m) => on_station(&paths, |st| cli::matters::run(st, m)),
        Command::Config(ConfigCmd::Check) => with_config(&paths, |cfg| cli::matters::config_check(&cfg)),
        Command::Ticket(TicketCmd::Take(a)) => on_station(&paths, |st| cli::ticket::take(st, a)),
        Command::Request(r) => on_station(&paths, |st| cli::request::run(st, r)),
        Command::Call(c) => on_station(&paths, |st| cli::call::run(st, c)),
        Command::Rate(a) => on_station(&paths, |st| cli::call::rate(st, a)),
        Command::Report(a) => on_station(&paths, |st| cli::report(st, a)),
        Command::Ratings(c) => on_station(&paths, |st| cli::ratings(st, c)),
        Command::Guidance(c) => on_station(&paths, |st| cli::guidance::run(st, c)),
        // Needs no configuration and no store: a technician checks a reader anywhere.
        Command::Idcard(c) => cli::idcard(c),
        Command::Wallchart(a) => on_station(&paths, |st| cli::wallchart(st, a)),
        Command::Holidays(h) => on_station(&paths, |st| cli::holidays::run(st, h)),
        Command::Purge(a) => on_station(&paths, |st| cli::purge(st, a)),
        Command::Backup(a) => on_station(&paths, |st| cli::backup(st, a)),
        Command::Sync(SyncCmd::Status { json }) => on_station(&paths, |st| cli::sync::status(st, json)),
        Command::Town(t) => cli::town::run(&paths, t),
    }
}

/// `kiosk staff` with no subcommand: the staff console moved to the browser.
fn desk_is_in_the_browser(cfg: LoadedConfig) -> i32 {
    let base = cfg.station.public_base_url.trim_end_matches('/');
    crate::outln!("工作人员请用浏览器打开 {base}/desk （服务站服务需已启动：kiosk serve）");
    crate::outln!("The staff desk is in the browser: open {base}/desk (with `kiosk serve` running)");
    // Off the box the desk is HTTPS only: its address there.
    let port = cfg.station.server.https_listen.first().and_then(|a| a.rsplit_once(':')).map(|(_, p)| p.to_string());
    let host = base.split_once("://").map(|(_, r)| r).unwrap_or(base);
    let host = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    if let Some(port) = port.filter(|p| p != "0") {
        crate::outln!("窗口电脑请用 https://{host}:{port}/desk （第一次先信任本站证书：{base}/ca.pem）");
    }
    0
}

/// `kiosk serve`: the station service, with the calling voice when station.toml asks.
fn serve(st: Station, paths: &Paths, a: cli::ServeArgs) -> i32 {
    let from_flags = !a.listen.is_empty();
    let listen = if from_flags { a.listen } else { st.cfg.station.server.listen.clone() };
    // The desk over HTTPS: as told, else (listening where told on the command line) 8443
    // beside each address that is not the box's own, else as station.toml says.
    let https_listen = if !a.https_listen.is_empty() {
        a.https_listen
    } else if from_flags {
        crate::config::default_https_listen(&listen)
    } else {
        st.cfg.station.server.https_listen.clone()
    };
    let voice = voice_config(&st.cfg, paths);
    let announcer = voice.enabled.then(|| {
        // Render the clips once, off the calling path (a first start takes a second).
        let (v, windows): (VoiceConfig, Vec<u32>) =
            (voice.clone(), st.cfg.station.windows.iter().map(|w| w.number).collect());
        std::thread::spawn(move || match crate::voice::prepare(&v, &windows) {
            Ok(r) => tracing::info!("voice: clips ready ({} rendered now)", r.rendered.len()),
            Err(e) => tracing::warn!("voice clips not ready: {e}; calls continue without voice"),
        });
        Announcer::start(&voice)
    });
    // Held while serving, so that kiosk restore refuses to swap the store under us.
    let _running = match crate::paths::RunLock::running(paths) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {}: {e}", paths.lock_file().display());
            return 1;
        }
    };
    recover(&st);
    st.maintain_daily();
    // A joined station runs its own NATS server, a leaf of the town's, for as long as the
    // service runs (and no longer: it dies with us).
    let _nats = match &st.cfg.join {
        Some(join) => match start_station_nats(join, paths) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        },
        None => None,
    };
    crate::server::run(st, listen, https_listen, announcer)
}

/// Writes a joined station's NATS configuration (from town-join.toml) and starts it.
fn start_station_nats(join: &crate::config::JoinFile, paths: &Paths) -> Result<crate::town::nats::Supervised, String> {
    let dir = paths.data_dir.join("nats");
    std::fs::create_dir_all(dir.join("js")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let ca = dir.join("town-ca.pem");
    crate::system::files::write_atomically(&ca, join.ca.as_bytes()).map_err(|e| format!("{}: {e}", ca.display()))?;
    let conf = dir.join("station.conf");
    let text = crate::town::nats::station_conf(join, &ca, &dir.join("js"));
    crate::system::files::write_atomically(&conf, text.as_bytes()).map_err(|e| format!("{}: {e}", conf.display()))?;
    crate::town::nats::Supervised::start(&conf, &dir.join("nats-server.log"), &dir.join("nats-server.pid"))
        .map_err(|e| format!("nats-server could not start ({e}); install Debian's nats-server package"))
}

/// `kiosk announce`: a call's announcement as a WAV file.
fn announce(cfg: LoadedConfig, paths: &Paths, a: cli::AnnounceArgs) -> i32 {
    if let Err(e) = paths.ensure_data_dir() {
        eprintln!("error: {e}");
        return 1;
    }
    let voice = voice_config(&cfg, paths);
    match crate::voice::render(&voice, a.number.trim(), a.window, voice.repeat)
        .and_then(|pcm| crate::voice::write_wav(&a.out, &pcm).map(|_| pcm))
    {
        Ok(pcm) => {
            crate::outln!("{} ({:.1} s)", a.out.display(), pcm.duration().as_secs_f32());
            0
        }
        Err(e @ (VoiceError::BadNumber(_) | VoiceError::BadWindow(_))) => {
            eprintln!("error: {e}");
            2
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// `kiosk screenshot`: a kiosk page as PNG, without a display.
fn screenshot(cfg: LoadedConfig, a: cli::ScreenshotArgs) -> i32 {
    if let Err(code) = screen_font_ok(&cfg) {
        return code;
    }
    crate::ui::screenshot::run(cfg, &a.page, &a.out, a.large_text, &a.size, &a.lang)
}

/// `kiosk restore`: the store replaced by a backup (the replaced one kept beside it).
fn restore(cfg: LoadedConfig, paths: &Paths, a: cli::RestoreArgs) -> i32 {
    let stamp = Clock::from_env(cfg.station.tz)
        .map(|c| c.now_local().format("%Y%m%d-%H%M%S").to_string())
        .unwrap_or_else(|_| "now".into());
    match crate::service::restore(paths, &a.file, &stamp) {
        Ok(r) => {
            if a.json {
                crate::outln!("{}", serde_json::to_string(&r).unwrap_or_else(|_| "{}".into()));
            } else {
                crate::outln!(
                    "restored {} ({} tickets, {} cases, schema {})",
                    r.from.display(),
                    r.tickets,
                    r.cases,
                    r.schema
                );
                if let Some(p) = &r.previous {
                    crate::outln!("the replaced store is kept as {}", p.display());
                }
            }
            0
        }
        Err(e @ crate::service::RestoreError::Running) => {
            eprintln!("error: {e}");
            3
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// `kiosk migrate`: the store brought to this version's schema (the package runs it).
fn migrate(paths: &Paths) -> i32 {
    if let Err(e) = paths.ensure_data_dir() {
        eprintln!("error: {e}");
        return 1;
    }
    // A damaged store is not migrated (nor written to at all): exit 1, as every process
    // that writes refuses it.
    if let Err(e @ StoreError::Damaged { .. }) = crate::storage::quick_check(&paths.db()) {
        eprintln!("error: {e}");
        return 1;
    }
    match crate::storage::open(&paths.db()) {
        Ok(c) => {
            crate::outln!(
                "{}: schema {}",
                paths.db().display(),
                crate::storage::schema_version(&c).unwrap_or_default()
            );
            0
        }
        Err(e @ (StoreError::TooNew { .. } | StoreError::Foreign { .. })) => {
            eprintln!("error: {e}");
            2
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// The calling voice as station.toml configures it: clips cached in the data folder, the
/// station's own recordings (a folder relative to the config folder) preferred.
pub fn voice_config(cfg: &LoadedConfig, paths: &Paths) -> VoiceConfig {
    let v = &cfg.station.voice;
    let custom = v.custom_clips.as_ref().map(|c| match &paths.config_dir {
        Some(dir) if c.is_relative() => dir.join(c),
        _ => c.clone(),
    });
    VoiceConfig {
        enabled: v.enabled,
        volume: v.volume,
        repeat: v.repeat,
        espeak: v.espeak.clone(),
        voice: v.voice.clone(),
        player: v.player.clone(),
        cache_dir: paths.voice_dir(),
        custom_dir: custom,
        ..VoiceConfig::default()
    }
}

/// The kiosk's prompts as sound: the calling voice's engine and clips, `[guidance]`'s
/// volume, the voice pack (relative to the config folder) and the lexicon. A pack that
/// cannot be read is logged and the prompts are synthesized.
pub fn speech(cfg: &LoadedConfig, paths: &Paths) -> crate::voice::guidance::Speech {
    use crate::voice::guidance::{Speech, VoicePack};
    let g = &cfg.station.guidance;
    let pack = match g.voice_pack.as_ref().map(|p| match &paths.config_dir {
        Some(dir) if p.is_relative() => dir.join(p),
        _ => p.clone(),
    }) {
        Some(dir) => VoicePack::load(&dir).unwrap_or_else(|e| {
            tracing::warn!("voice pack not used, the prompts are synthesized: {e}");
            VoicePack::default()
        }),
        None => VoicePack::default(),
    };
    Speech { voice: voice_config(cfg, paths), volume: g.volume, pack, lexicon: cfg.lexicon.clone() }
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
    // Every process that may write looks the store over first: a damaged store gets no
    // new ticket, case or step written into it (the file is left as it is). The cost is in
    // the ticket benchmark (`cargo bench --bench kiosk`).
    starttrace::mark("data folder ready");
    if let Err(e) = crate::storage::quick_check(&paths.db()) {
        tracing::error!("{e}");
        eprintln!("error: {e}");
        return Err(1);
    }
    starttrace::mark("store checked");
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

/// A one-shot command on the opened station (logging to `logs/cli.log`).
fn on_station(paths: &Paths, f: impl FnOnce(&mut Station) -> i32) -> i32 {
    with_station(paths, "cli", |mut st| f(&mut st))
}

/// The kiosk itself. When it cannot start, the reason goes to standard error (file, line,
/// field) and, if a screen is attached, to a plain "暂停服务" screen for the villager with
/// the details for staff.
fn run_kiosk(paths: &Paths, windowed: bool) -> i32 {
    // The kiosk's text is its own UTF-8 and its keyboard is on the screen: it needs no
    // locale. In the C locale the windowing layer skips the locale's compose tables (the
    // X input method and xkbcommon both parse a 500 KB file for C.UTF-8 or zh_CN.UTF-8),
    // a tenth of the start. Set before any other thread exists.
    std::env::set_var("LC_ALL", "C");
    // Under a Wayland compositor (the package's cage) the kiosk is a Wayland client and
    // needs no X: cage also offers an X display (Xwayland), started the moment anything
    // connects to it — something in the windowing layer did, which cost 41 MiB and part
    // of the start for nothing. Without DISPLAY nothing can (unless SLINT_BACKEND asks
    // for X on purpose).
    let wayland = std::env::var_os("WAYLAND_DISPLAY").is_some_and(|w| !w.is_empty());
    let asked = std::env::var("SLINT_BACKEND").unwrap_or_default();
    if wayland && !asked.contains("x11") {
        std::env::remove_var("DISPLAY");
    }
    // Two things take most of the start, and they do not depend on each other: Slint's
    // window (the display connection, the fonts) and the station (the configuration, the
    // font check, the store). The station opens on another thread meanwhile.
    let p = paths.clone();
    let opening = std::thread::Builder::new().name("open".into()).spawn(move || prepare_kiosk(&p));
    // Full screen on X, the kiosk's own small X11 platform (ui::x11) instead of winit's.
    let platform = if windowed { Err(String::new()) } else { crate::ui::x11::install() };
    starttrace::mark("display connected");
    let window = crate::ui::new_window();
    starttrace::mark("window created");
    let prepared = match opening {
        Ok(h) => h.join().unwrap_or_else(|_| Err(StartFailure::plain("opening the station failed unexpectedly", 1))),
        Err(_) => prepare_kiosk(paths),
    };
    match &platform {
        Ok(()) => tracing::info!("display: the kiosk's X11 platform"),
        Err(why) if why.is_empty() => tracing::info!("display: Slint's winit backend"),
        Err(why) => tracing::info!("display: Slint's winit backend ({why})"),
    }
    match prepared {
        Ok((station, _running)) => match window {
            Ok(app) => crate::ui::run_kiosk(app, station, windowed),
            Err(e) => {
                eprintln!("error: cannot open the kiosk window: {e} (is a display running? set DISPLAY)");
                1
            }
        },
        Err(f) => {
            drop(window);
            eprintln!("{}", f.message);
            if let Some((font, note)) = f.screen {
                crate::ui::show_startup_error(&f.details, &font, note);
            }
            f.code
        }
    }
}

/// Why the kiosk cannot start: the message for standard error, and what the 暂停服务
/// screen shows (none when there is no Chinese font to show it with).
struct StartFailure {
    message: String,
    details: String,
    screen: Option<(String, crate::ui::StaffNote)>,
    code: i32,
}

impl StartFailure {
    fn plain(msg: &str, code: i32) -> StartFailure {
        StartFailure { message: format!("error: {msg}"), details: msg.to_string(), screen: None, code }
    }
}

/// Everything the kiosk needs before its first page, off the UI thread: the station and
/// the lock that tells `kiosk restore` the kiosk runs.
fn prepare_kiosk(paths: &Paths) -> Result<(Station, crate::paths::RunLock), StartFailure> {
    let cfg = match config::load(paths.config_dir.as_deref()) {
        Ok(cfg) => cfg,
        Err(e) => {
            let details = e.to_string();
            let font = config::parse_station("", config::SHIPPED_STATION).map(|s| s.font_family).unwrap_or_default();
            return Err(StartFailure {
                message: format!(
                    "{details}\nerror: the configuration is invalid; the kiosk will not start until it is fixed (配置有误，终端不启动)"
                ),
                screen: check_screen_font(&font).is_ok().then_some((font, crate::ui::StaffNote::Config)),
                details,
                code: 2,
            });
        }
    };
    starttrace::mark("config loaded");
    let font = cfg.station.font_family.clone();
    // A failure is shown on the 暂停服务 screen when the screen can show Chinese.
    let fail = |msg: String, code: i32, note: crate::ui::StaffNote| StartFailure {
        message: format!("error: {msg}"),
        details: msg,
        screen: check_screen_font(&font).is_ok().then(|| (font.clone(), note)),
        code,
    };
    use crate::ui::StaffNote::{Config, Store};
    let clock = Clock::from_env(cfg.station.tz).map_err(|e| fail(e.to_string(), 2, Config))?;
    paths.ensure_data_dir().map_err(|e| fail(e.to_string(), 1, Config))?;
    if let Err(msg) = check_screen_font_cached(&font, &paths.data_dir) {
        // No Chinese font: a screen would be blank, so only standard error and the log.
        return Err(StartFailure::plain(&msg, 2));
    }
    starttrace::mark("screen font checked, data folder ready");
    init_logging(paths, "kiosk");
    let running = crate::paths::RunLock::running(paths)
        .map_err(|e| fail(format!("{}: {e}", paths.lock_file().display()), 1, Config))?;
    // A damaged, foreign or newer store: 暂停服务, and the file is left exactly as it is.
    if let Err(e) = crate::storage::quick_check(&paths.db()) {
        tracing::error!("{e}");
        return Err(fail(e.to_string(), 1, Store));
    }
    starttrace::mark("store checked");
    let station = match Station::open(cfg, paths.clone(), clock) {
        Ok(s) => s,
        Err(e @ crate::service::StartError::Store(_)) => {
            tracing::error!("{e}");
            return Err(fail(e.to_string(), 1, Store));
        }
        Err(e) => {
            tracing::error!("{e}");
            return Err(fail(e.to_string(), 1, Config));
        }
    };
    starttrace::mark("station open");
    recover(&station);
    station.maintain_daily();
    Ok((station, running))
}

/// After a crash or power cut: half-written receipts and unanswered print jobs.
fn recover(st: &Station) {
    if let Err(e) = st.recover_prints() {
        tracing::error!("checking for interrupted prints failed: {e}");
    }
    // And again every few seconds: a process killed and restarted quickly leaves a job
    // too young for the start-up look, and a cancel CUPS did not confirm is asked again.
    st.watch_prints();
}

fn screen_font_ok(cfg: &LoadedConfig) -> Result<(), i32> {
    check_screen_font(&cfg.station.font_family).map_err(|msg| {
        eprintln!("error: {msg}");
        2
    })
}

/// [`check_screen_font`], remembered: once the font was found, a stamp in the data folder
/// holds the family and the times the system's font folders and fontconfig's cache last
/// changed; while they are the same, the kiosk does not run fc-list again (a tenth of its
/// start). Installing or removing fonts changes them, and the check runs again.
fn check_screen_font_cached(family: &str, data_dir: &std::path::Path) -> Result<(), String> {
    let stamp = data_dir.join(".screen-font-ok");
    let state = {
        let mut parts = vec![family.to_string()];
        for d in
            ["/etc/fonts", "/etc/fonts/conf.d", "/usr/share/fonts", "/var/cache/fontconfig", "/usr/local/share/fonts"]
        {
            let t = std::fs::metadata(d)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos().to_string())
                .unwrap_or_else(|| "-".into());
            parts.push(format!("{d}={t}"));
        }
        parts.join("\n")
    };
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == state) {
        return Ok(());
    }
    check_screen_font(family)?;
    let _ = std::fs::write(&stamp, state);
    Ok(())
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
    if let Ok(file) = log::LogFile::open(&paths.log_dir(), face) {
        let _ = tracing_subscriber::fmt().with_writer(file).with_ansi(false).try_init();
    }
}
