//! The command line: the kiosk itself (no command), and small commands for scripts,
//! tests and admins. Contracts spelled out in the issues (flags, JSON keys) are kept
//! exactly; exit code 0 = done, 1 = could not do it, 2 = bad input or configuration.

use crate::config::{self, LoadError};
use crate::domain::clock::Clock;
use crate::paths::Paths;
use crate::station::{Station, Target};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "kiosk", version, about = "村级综合服务站自助终端 (village service station kiosk)")]
pub struct Cli {
    /// Folder holding station.toml and matters.toml (default: ./kiosk-config, else the shipped copies)
    #[arg(long, global = true, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// Folder for the database, receipts and logs (default: ./data)
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Run in a normal window instead of full screen (development)
    #[arg(long)]
    pub windowed: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Queue tickets
    #[command(subcommand)]
    Ticket(TicketCmd),
    /// The list of matters
    #[command(subcommand)]
    Matters(MattersCmd),
    /// Check station.toml and matters.toml in the config folder
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Render a kiosk page to PNG without a display
    Screenshot(ScreenshotArgs),
    /// 全程代办 requests (cases)
    #[command(subcommand)]
    Request(RequestCmd),
    /// The staff console (no subcommand), or staff accounts
    Staff(StaffArgs),
}

#[derive(Subcommand, Debug)]
pub enum RequestCmd {
    /// Submit a request as the kiosk does; prints the tracking code and writes the receipt
    Submit(SubmitArgs),
    /// The public (masked) view of a case, by tracking code or receipt token/URL
    Status {
        tracking: String,
        #[arg(long)]
        json: bool,
    },
    /// Move a case to another state
    Advance {
        tracking: String,
        /// accepted submitted completed notified closed returned rejected withdrawn
        #[arg(long = "to")]
        to: String,
        #[arg(long)]
        staff: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        json: bool,
    },
    /// Extend the promised time, with a reason shown to the villager
    Extend {
        tracking: String,
        #[arg(long)]
        days: u32,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        staff: String,
        #[arg(long)]
        json: bool,
    },
    /// Hand a case to another staff member, with a note
    Reassign {
        tracking: String,
        #[arg(long = "to-staff")]
        to_staff: String,
        #[arg(long)]
        staff: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Open cases by due date (masked)
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct SubmitArgs {
    #[arg(long)]
    pub matter: String,
    #[arg(long)]
    pub phone: String,
    /// A family member's or village cadre's phone to notify instead
    #[arg(long)]
    pub phone2: Option<String>,
    #[arg(long = "id")]
    pub id_number: String,
    #[arg(long)]
    pub name: Option<String>,
    /// Materials not brought yet: names or 1-based positions, comma-separated
    #[arg(long, value_delimiter = ',')]
    pub missing: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct StaffArgs {
    #[command(subcommand)]
    pub command: Option<StaffCmd>,
}

#[derive(Subcommand, Debug)]
pub enum StaffCmd {
    /// Add a staff member
    Add {
        #[arg(long)]
        no: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "staff", value_parser = ["staff", "admin"])]
        role: String,
    },
    /// Set a staff member's PIN (4-8 digits, read from standard input)
    SetPin { no: String },
    /// Mark a staff member away on a day (default today); --back undoes it
    Away {
        no: String,
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        back: bool,
    },
    /// Set the A and B post holders of a category (C) or a matter (C02)
    Post {
        scope: String,
        #[arg(long)]
        a: String,
        #[arg(long)]
        b: Option<String>,
    },
    /// List staff, posts and who is away today
    List,
}

#[derive(Subcommand, Debug)]
pub enum TicketCmd {
    /// Take a ticket, write its receipt and print it
    Take(TakeArgs),
}

#[derive(Args, Debug)]
pub struct TakeArgs {
    /// Matter code, e.g. C02
    #[arg(long, conflicts_with = "category", required_unless_present = "category")]
    pub matter: Option<String>,
    /// Category code, e.g. C, for a ticket not tied to one matter
    #[arg(long)]
    pub category: Option<String>,
    /// Priority (≥70 years old, disabled, veteran)
    #[arg(long)]
    pub priority: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum MattersCmd {
    /// Validate a matters file: prints FILE:LINE: field: problem for each error
    Check { file: PathBuf },
    /// List the matters in use
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Validate station.toml and matters.toml together
    Check,
}

#[derive(Args, Debug)]
pub struct ScreenshotArgs {
    /// home, categories, matters:<category>, matter:<code>, search[:query], ticket, idle
    #[arg(long)]
    pub page: String,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub large_text: bool,
    /// WIDTHxHEIGHT in pixels
    #[arg(long, default_value = "1920x1080")]
    pub size: String,
}

pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let paths = Paths::resolve(cli.config_dir.clone(), cli.data_dir.clone());
    match cli.command {
        Some(Command::Matters(MattersCmd::Check { file })) => matters_check(&file),
        Some(Command::Config(ConfigCmd::Check)) => match load(&paths) {
            Ok(cfg) => {
                println!("{}: ok", cfg.station_file);
                println!(
                    "{}: ok ({} matters in {} categories)",
                    cfg.matters_file,
                    cfg.catalog.matters.len(),
                    cfg.catalog.categories.len()
                );
                let years: Vec<String> = cfg.calendar.years().map(|y| y.to_string()).collect();
                println!(
                    "holidays: ok (years {})",
                    if years.is_empty() { "none: weekends only".into() } else { years.join(", ") }
                );
                0
            }
            Err(code) => code,
        },
        Some(Command::Matters(MattersCmd::List { json })) => with_config(&paths, |cfg| {
            for m in &cfg.catalog.matters {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"code": m.code, "name": m.name, "category": m.category, "mode": m.mode.key(), "promised_days": m.promised_days})
                    );
                } else {
                    println!("{}\t{}\t{}\t{}", m.code, m.name, m.mode.label(), m.promise_text());
                }
            }
            0
        }),
        Some(Command::Ticket(TicketCmd::Take(a))) => ticket_take(&paths, a),
        Some(Command::Screenshot(a)) => with_config(&paths, |cfg| crate::ui::screenshot::run(cfg, &paths, &a)),
        Some(Command::Request(r)) => with_station(&paths, |st| crate::cli_cases::request(st, r)),
        Some(Command::Staff(StaffArgs { command: Some(c) })) => {
            with_station(&paths, |st| crate::cli_cases::staff(st, c))
        }
        Some(Command::Staff(StaffArgs { command: None })) => {
            with_config(&paths, |cfg| crate::ui::staff::run_console(cfg, paths.clone(), cli.windowed))
        }
        None => run_kiosk_or_explain(&paths, cli.windowed),
    }
}

fn clock_for(cfg: &config::LoadedConfig) -> Result<Clock, i32> {
    Clock::from_env(cfg.station.tz).map_err(|e| {
        eprintln!("error: {e}");
        2
    })
}

fn load(paths: &Paths) -> Result<config::LoadedConfig, i32> {
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

/// The kiosk itself. When it cannot start, the reason goes to standard error (file, line,
/// field) and, if a screen is attached, to a plain "暂停服务" screen for the villager with
/// the details for staff.
fn run_kiosk_or_explain(paths: &Paths, windowed: bool) -> i32 {
    match config::load(paths.config_dir.as_deref()) {
        Ok(cfg) => crate::ui::run_kiosk(cfg, paths.clone(), windowed),
        Err(e) => {
            let details = e.to_string();
            eprintln!("{details}");
            eprintln!("error: the configuration is invalid; the kiosk will not start until it is fixed (配置有误，终端不启动)");
            let font = config::parse_station("", config::SHIPPED_STATION).map(|s| s.font_family).unwrap_or_default();
            crate::ui::show_startup_error(&details, &font);
            2
        }
    }
}

fn with_config(paths: &Paths, f: impl FnOnce(config::LoadedConfig) -> i32) -> i32 {
    match load(paths) {
        Ok(cfg) => f(cfg),
        Err(code) => code,
    }
}

fn with_station(paths: &Paths, f: impl FnOnce(&mut Station) -> i32) -> i32 {
    with_config(paths, |cfg| match open_station(paths, cfg) {
        Ok(mut st) => f(&mut st),
        Err(code) => code,
    })
}

fn matters_check(file: &std::path::Path) -> i32 {
    let src = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}:1: file: cannot read: {e}", file.display());
            return 2;
        }
    };
    match config::parse_matters(&file.display().to_string(), &src) {
        Ok(c) => {
            println!("{}: ok ({} matters in {} categories)", file.display(), c.matters.len(), c.categories.len());
            0
        }
        Err(errs) => {
            eprintln!("{errs}");
            1
        }
    }
}

/// Opens the station for a command-line action.
pub fn open_station(paths: &Paths, cfg: config::LoadedConfig) -> Result<Station, i32> {
    let clock = clock_for(&cfg)?;
    if !clock.is_plausible() {
        eprintln!(
            "warning: the clock reads {}; ticket numbers follow the calendar day, so set the time",
            clock.now_local()
        );
    }
    Station::open(cfg, paths.clone(), clock).map_err(|e| {
        eprintln!("error: {e}");
        1
    })
}

fn ticket_take(paths: &Paths, a: TakeArgs) -> i32 {
    with_config(paths, |cfg| {
        let mut station = match open_station(paths, cfg) {
            Ok(s) => s,
            Err(code) => return code,
        };
        let target = match (&a.matter, &a.category) {
            (Some(m), _) => Target::Matter(m.trim().to_uppercase()),
            (None, Some(c)) => Target::Category(c.trim().to_uppercase()),
            (None, None) => return 2,
        };
        let issued = match station.take_ticket(&target, a.priority) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("error: {e}");
                return match e {
                    crate::station::TicketError::UnknownMatter(_) | crate::station::TicketError::UnknownCategory(_) => {
                        2
                    }
                    _ => 1,
                };
            }
        };
        let print = station.print_task(&issued).map(|t| t.run(&station.clock));
        let printed = matches!(print, Some(Ok(crate::printing::PrintOutcome::Printed)));
        let print_error = match (&print, &issued.receipt_error) {
            (Some(Err(e)), _) => Some(e.to_string()),
            (_, Some(e)) => Some(e.clone()),
            _ => None,
        };
        let t = &issued.ticket;
        if a.json {
            let v = serde_json::json!({
                "number": t.number,
                "matter": t.matter_code.clone().unwrap_or_else(|| t.category.clone()),
                "matter_name": issued.what,
                "token": t.token,
                "ahead": t.ahead,
                "estimated_wait_min": t.estimated_wait_min,
                "receipt": issued.receipt.as_ref().map(|p| p.display().to_string()),
                "printed": printed,
                "priority": t.priority,
                "status_url": issued.status_url,
                "print_error": print_error,
            });
            println!("{v}");
        } else {
            println!(
                "{}  {}  前面还有 {} 人，预计等候约 {} 分钟",
                t.number, issued.what, t.ahead, t.estimated_wait_min
            );
            match &issued.receipt {
                Some(p) => println!("receipt: {}", p.display()),
                None => println!("receipt: not written"),
            }
            println!("printed: {printed}");
            if let Some(e) = print_error {
                eprintln!("warning: the ticket is valid but its receipt was not printed: {e}");
            }
        }
        0
    })
}
