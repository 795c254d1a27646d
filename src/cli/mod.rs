//! The command line: small commands for scripts, tests and admins. Each command parses,
//! calls the service, prints; nothing else. Contracts spelled out in the issues (flags,
//! JSON keys, exit codes) are kept exactly: 0 done, 1 could not do it (store, data
//! folder), 2 bad input, configuration or a refused action, 3 nobody waiting.
//!
//! A command that acts as a staff member (`--staff NO`) reads that member's PIN from the
//! first line of standard input and signs in with it, like the console and the desk.

pub mod call;
pub mod guidance;
pub mod holidays;
pub mod matters;
pub mod request;
pub mod staff;
pub mod sync;
pub mod ticket;
pub mod town;

use crate::service::{LoginError, Signed, Station};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "kiosk", version, about = "村级综合服务站自助终端 (village service station kiosk)")]
pub struct Cli {
    /// Folder holding station.toml and matters.toml (default: $KIOSK_CONFIG_DIR, else
    /// ./kiosk-config, else /etc/kiosk when installed, else the shipped copies)
    #[arg(long, global = true, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// Folder for the database, receipts and logs (default: $KIOSK_DATA_DIR, else
    /// /var/lib/kiosk when installed, else ./data)
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
    /// Staff accounts (no subcommand: where the staff desk is)
    Staff(StaffArgs),
    /// Call tickets at a window (acts as staff: the PIN on standard input)
    #[command(subcommand)]
    Call(CallCmd),
    /// Rate a finished ticket or case (好差评), as the villager's phone does (channel qr)
    Rate(RateArgs),
    /// The ID-card reader (二代身份证, SAM protocol on a serial line): check one with a card
    #[command(subcommand)]
    Idcard(IdcardCmd),
    /// 好差评 records: the monthly export (CSV for Excel, JSON Lines)
    #[command(subcommand)]
    Ratings(RatingsCmd),
    /// The kiosk's spoken prompts (语音引导): list them, or write one as the kiosk says it
    #[command(subcommand)]
    Guidance(GuidanceCmd),
    /// The station service on the LAN: QR pages, the desk, the calling display, the rating pad
    Serve(ServeArgs),
    /// Write the calling announcement for a ticket and window as a WAV file
    Announce(AnnounceArgs),
    /// The station's report for a date range, as PDF (月报) or CSV (Excel)
    Report(ReportArgs),
    /// The 公示栏 sheets for the wall (A4 PDF): the matters, the rules, this week's rota
    Wallchart(WallchartArgs),
    /// The holiday calendar (限时办结 counts working days)
    #[command(subcommand)]
    Holidays(HolidaysCmd),
    /// Mask the personal data of cases closed longer than [privacy] retention-days ago and
    /// delete receipts and logs older than 30 days (also run daily by the kiosk and service)
    Purge(PurgeArgs),
    /// Back up the store (VACUUM INTO) into --to or the folder of station.toml [backup]
    Backup(BackupArgs),
    /// Replace the store with a backup (refused while the kiosk or the service runs; the
    /// replaced store is kept beside it)
    Restore(RestoreArgs),
    /// Open the store and bring it to this version's schema (the package runs this on
    /// upgrade); exit 2 if the store is from a newer version or not a kiosk store
    Migrate,
    /// The township link at this station: linked or not, events waiting to go up, the
    /// list of matters in force
    #[command(subcommand)]
    Sync(SyncCmd),
    /// The township: the town centre's box and the stations joined to it
    #[command(subcommand)]
    Town(TownCmd),
}

#[derive(Subcommand, Debug)]
pub enum TownCmd {
    /// On the town centre's box, once: the town's configuration (town.toml), its
    /// certificate authority and its server's certificate, in the config folder
    Init {
        #[arg(long)]
        name: String,
        /// Where the town's server listens for the stations' links (ADDR:PORT)
        #[arg(long)]
        leaf_listen: String,
        /// The address the stations dial, if not --leaf-listen's (a NAT, a name)
        #[arg(long)]
        leaf_address: Option<String>,
        /// The town's own NATS server, on the box (default 127.0.0.1:14223)
        #[arg(long)]
        nats_listen: Option<String>,
        /// Its monitoring port, on the box (default 127.0.0.1:18223)
        #[arg(long)]
        nats_monitor: Option<String>,
    },
    /// On the town's box: add a station and write its join file (carry it to the station)
    AddStation {
        /// The station's code: letters and digits, e.g. s01
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
        /// An address or name the window PCs open the station's desk at (repeatable), for
        /// the desk's HTTPS certificate, e.g. --host 192.168.1.10
        #[arg(long = "host", value_name = "HOST")]
        hosts: Vec<String>,
    },
    /// At a station: record the join file the town made (town-join.toml in the config
    /// folder); the station service links to the town from its next start
    Join {
        file: PathBuf,
        /// The station's own NATS server, on the box (default 127.0.0.1:14222)
        #[arg(long)]
        nats_listen: Option<String>,
        /// Its monitoring port, on the box (default 127.0.0.1:18222)
        #[arg(long)]
        nats_monitor: Option<String>,
    },
    /// On the town's box: run the town's server, take in every station's events, and
    /// serve the town's site (all stations at a glance, publishing, reports)
    Serve {
        /// Where the town's site listens (HOST:PORT; default 127.0.0.1:8090, the box
        /// itself; 0.0.0.0:8090 for the town's LAN)
        #[arg(long)]
        listen: Option<String>,
        /// Tests only: the leaf address the town's server tells the stations
        #[arg(long, hide = true)]
        advertise: Option<String>,
    },
    /// On the town's box: the town's staff (who may publish for every station)
    #[command(subcommand)]
    Staff(TownStaffCmd),
    /// On the town's box: the list of matters for every village
    #[command(subcommand)]
    Matters(TownMattersCmd),
    /// On the town's box: the holiday calendar for every village
    #[command(subcommand)]
    Holidays(TownHolidaysCmd),
    /// On the town's box: a notice on every station's kiosk home screen and calling display
    #[command(subcommand)]
    Notices(TownNoticesCmd),
    /// On the town's box: the reasons a villager picks from for a 差评, for every station
    #[command(subcommand)]
    Reasons(TownReasonsCmd),
    /// On the town's box: every joined station, with --json an array of {"station", "name",
    /// "online", "last_seen", "tickets_today", "catalogue_version"}
    Status {
        #[arg(long)]
        json: bool,
    },
    /// On the town's box: the 代办 cases the stations handed over, most pressing first; with
    /// --json an array of {"station", "tracking", "matter", "state", "due"}
    Cases {
        #[arg(long)]
        json: bool,
        /// Only this station's (its code)
        #[arg(long)]
        station: Option<String>,
        /// Only cases in this state (received, forwarded...)
        #[arg(long)]
        state: Option<String>,
        /// Closed ones too
        #[arg(long)]
        all: bool,
    },
    /// On the town's box: one 代办 case (STATION:TRACKING) and the town's steps on it
    #[command(subcommand)]
    Case(TownCaseCmd),
}

#[derive(Subcommand, Debug)]
pub enum TownCaseCmd {
    /// Record a step of the town on a case: received (已接收), returned (退回补正, --note what
    /// is missing), forwarded (已转县级部门, --note which), completed (办结, --note the result),
    /// rejected (不予受理, --note why); the PIN of --staff on the first line of standard
    /// input. An illegal move exits 2 with the reason.
    Advance {
        /// STATION:TRACKING, as on the 交接单 (s01:D-261207-001)
        key: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        staff: String,
        #[arg(long)]
        json: bool,
    },
    /// Settle a case's conflict (a step of the station that no longer fit), saying how
    Settle {
        key: String,
        #[arg(long)]
        note: String,
        #[arg(long)]
        staff: String,
    },
    /// A case with its steps (the personal data masked)
    Show {
        key: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TownStaffCmd {
    /// Add a member of the town's staff, or give them a new PIN (the PIN on the first line
    /// of standard input)
    Add {
        no: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TownMattersCmd {
    /// Publish a matters.toml to every station (the PIN of --staff on the first line of
    /// standard input); each station checks it as a local import and applies or refuses it
    Import {
        file: PathBuf,
        #[arg(long)]
        note: String,
        #[arg(long)]
        staff: String,
        #[arg(long)]
        json: bool,
    },
    /// Which station applied which version of the town's list, and which refused it and why
    Rollout {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TownHolidaysCmd {
    /// Publish a holidays.toml to every station (the PIN of --staff on the first line of
    /// standard input); each station checks and imports it, or refuses it and says why
    Import {
        file: PathBuf,
        #[arg(long, default_value = "国务院办公厅公布的节假日安排")]
        note: String,
        #[arg(long)]
        staff: String,
        #[arg(long)]
        json: bool,
    },
    /// Which station imported which version of the town's calendar, and which refused it
    Rollout {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TownReasonsCmd {
    /// Publish a reasons.toml ([[reason]] key, label; the last one key = "other") to every
    /// station (the PIN of --staff on the first line of standard input)
    Import {
        file: PathBuf,
        #[arg(long)]
        note: String,
        #[arg(long)]
        staff: String,
        #[arg(long)]
        json: bool,
    },
    /// The shipped list as a reasons.toml, to start from
    Template,
    /// Which station applied which version of the reasons, and which refused it
    Rollout {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TownNoticesCmd {
    /// Put up (or, empty, take down) the notices of every station (the PIN of --staff on
    /// the first line of standard input); one line each, at most 200 characters
    Set {
        #[arg(long, default_value = "")]
        home: String,
        #[arg(long, default_value = "")]
        display: String,
        #[arg(long)]
        staff: String,
        #[arg(long)]
        json: bool,
    },
    /// Which station put up which version of the notices
    Rollout {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SyncCmd {
    /// {"connected": bool, "outbox_pending": int, "catalogue_version": int} with --json
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// Folder to write the backup to (default: [backup] folder in station.toml)
    #[arg(long, value_name = "DIR")]
    pub to: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A backup written by kiosk backup (kiosk-YYYYMMDD-HHMMSS.db)
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PurgeArgs {
    /// Say what would be done; change nothing
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum HolidaysCmd {
    /// Import a year's holidays and make-up working days (station head; the PIN on
    /// standard input); open cases counted past the old calendar get new due dates
    Import {
        /// A TOML file like kiosk-config/holidays.toml ([[year]] year, holidays, workdays)
        file: PathBuf,
        #[arg(long)]
        staff: String,
        #[arg(long)]
        json: bool,
    },
    /// The years the calendar knows
    List,
}

#[derive(Args, Debug)]
pub struct WallchartArgs {
    #[arg(long, value_name = "FILE.pdf")]
    pub out: PathBuf,
    /// One sheet only (default: the wall's three); rating-form is the blank 书面评价表
    #[arg(long, value_parser = ["matters", "rules", "rota", "rating-form"])]
    pub part: Option<String>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// First day, YYYY-MM-DD
    #[arg(long)]
    pub from: String,
    /// Last day, YYYY-MM-DD
    #[arg(long)]
    pub to: String,
    #[arg(long, value_parser = ["pdf", "csv"])]
    pub format: String,
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum IdcardCmd {
    /// Wait for a card and read it: prints the masked name and ID number and the expiry;
    /// exit 3 when no card came in time, 1 for a reader fault
    Read {
        /// The reader's serial device, e.g. /dev/ttyUSB0
        #[arg(long)]
        device: PathBuf,
        #[arg(long, default_value_t = 10)]
        timeout_secs: u64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum GuidanceCmd {
    /// Every kiosk screen's prompt as written in guidance.toml, and whether the voice pack
    /// records all of its words (recorded) or some are synthesized
    List {
        #[arg(long)]
        json: bool,
    },
    /// Write what the kiosk says on a screen as a WAV file
    Say(GuidanceSayArgs),
    /// Render every piece of every prompt ahead of time (the kiosk does this as it starts)
    Prepare,
}

#[derive(Args, Debug)]
pub struct GuidanceSayArgs {
    /// The screen: home, categories, matters, matter, search, priority, ticket,
    /// case-materials, case-notice, case-phone, case-id, case-name, case-confirm,
    /// case-done, lookup, lookup-result
    #[arg(long)]
    pub screen: String,
    /// The matter on screen (matter, case-materials, case-done; default: the first matter)
    #[arg(long)]
    pub matter: Option<String>,
    /// The category on screen (matters; default: the matter's, or the first)
    #[arg(long)]
    pub category: Option<String>,
    /// The ticket on the ticket screen (default A001)
    #[arg(long, default_value = "A001")]
    pub number: String,
    /// How many are ahead of it (default 3)
    #[arg(long, default_value_t = 3)]
    pub ahead: u32,
    /// The state on lookup-result (default 已受理)
    #[arg(long)]
    pub status: Option<String>,
    /// As with a card reader connected (case-id)
    #[arg(long)]
    pub card_reader: bool,
    #[arg(long, value_name = "FILE.wav")]
    pub out: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum RatingsCmd {
    /// Every rating given from --from to --to (local days) with its follow-up, each row with
    /// the station's area code: CSV (UTF-8 with BOM) or JSON Lines
    Export(RatingsExportArgs),
}

#[derive(Args, Debug)]
pub struct RatingsExportArgs {
    /// First day, YYYY-MM-DD
    #[arg(long)]
    pub from: String,
    /// Last day, YYYY-MM-DD
    #[arg(long)]
    pub to: String,
    #[arg(long, value_parser = ["csv", "jsonl"])]
    pub format: String,
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// ADDR:PORT to listen on (repeatable); overrides [server] listen in station.toml
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Vec<String>,
    /// ADDR:PORT for the desk over HTTPS (repeatable); overrides [server] https-listen
    #[arg(long, value_name = "ADDR:PORT")]
    pub https_listen: Vec<String>,
}

#[derive(Args, Debug)]
pub struct AnnounceArgs {
    /// Ticket number, e.g. A001
    #[arg(long)]
    pub number: String,
    #[arg(long)]
    pub window: u32,
    #[arg(long, value_name = "FILE.wav")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct RateArgs {
    /// The receipt token (or its status URL) of the ticket or case
    #[arg(long)]
    pub token: String,
    /// 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意
    #[arg(long)]
    pub level: u8,
    /// For 1 and 2: wait, slow, attitude, unclear, trips, other (or your own words)
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub comment: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CallArgs {
    /// Today's ticket number, e.g. A001
    #[arg(long)]
    pub number: String,
    #[arg(long)]
    pub window: u32,
    #[arg(long)]
    pub staff: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum CallCmd {
    /// 叫下一位: exit 3 with "no one waiting" when the window's queue is empty
    Next {
        #[arg(long)]
        window: u32,
        #[arg(long)]
        staff: String,
        #[arg(long)]
        json: bool,
    },
    /// 重呼 (capped)
    Recall(CallArgs),
    /// 过号
    NoShow(CallArgs),
    /// 回呼 a 过号 ticket to this window
    Callback(CallArgs),
    /// 开始办理
    Start(CallArgs),
    /// 办结
    Finish(CallArgs),
    /// 转窗口 / 转类别 (keeps the ticket's place)
    Transfer {
        #[arg(long)]
        number: String,
        #[arg(long, conflicts_with = "to_category", required_unless_present = "to_category")]
        to_window: Option<u32>,
        #[arg(long)]
        to_category: Option<String>,
        /// The window acting (default: the window the ticket is at)
        #[arg(long)]
        window: Option<u32>,
        #[arg(long)]
        staff: String,
        #[arg(long)]
        json: bool,
    },
    /// 选叫: call a waiting ticket out of turn, with the reason (in the audit log and the report)
    Pick {
        #[arg(long)]
        number: String,
        #[arg(long)]
        window: u32,
        #[arg(long)]
        staff: String,
        /// Why, e.g. 老人行动不便 or 材料已预审
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// 暂停 a window (the calling display shows 暂停服务 and the reason)
    Pause {
        #[arg(long)]
        window: u32,
        #[arg(long)]
        staff: String,
        /// lunch (午休), errand (外出代办), meeting (会议) or other (其他)
        #[arg(long, default_value = "other")]
        reason: String,
    },
    /// 恢复 a paused window
    Resume {
        #[arg(long)]
        window: u32,
        #[arg(long)]
        staff: String,
    },
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
    /// The 代办交接单 of a day (default today): the cases marked 已报送 that day, as an A4
    /// PDF with one QR code per case, for the trip to the town
    Handover {
        /// YYYY-MM-DD
        #[arg(long)]
        date: Option<String>,
        #[arg(long, value_name = "FILE.pdf")]
        out: std::path::PathBuf,
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
    /// Set a staff member's PIN (6-12 digits, read from standard input)
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
    /// Disable an account: it can do nothing any more (station head; PIN on standard input)
    Disable {
        no: String,
        #[arg(long)]
        staff: String,
    },
    /// Enable a disabled account again (station head; PIN on standard input)
    Enable {
        no: String,
        #[arg(long)]
        staff: String,
    },
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
    /// List the matters in use (the live published version)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check a matters file against the live version and publish it (station head)
    Import {
        file: PathBuf,
        /// What changed and why (kept with the version)
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        staff: String,
        /// Show the changes only; publish nothing
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// The published versions, oldest first
    Versions {
        #[arg(long)]
        json: bool,
    },
    /// Publish an older version's content again (station head)
    Rollback {
        version: i64,
        #[arg(long)]
        staff: String,
        /// Why (kept with the new version, as a publish note is)
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The live version as TOML (to standard output, or --out FILE)
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
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
    /// zh (the default) or en: the language the kiosk's 中/EN control would show
    #[arg(long, default_value = "zh")]
    pub lang: String,
}

/// Parses the command line; on failure (or --help) prints clap's message and returns the
/// exit code to use.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Cli, i32> {
    Cli::try_parse_from(args).map_err(|e| {
        let _ = e.print();
        if e.use_stderr() {
            2
        } else {
            0
        }
    })
}

/// `kiosk wallchart`: the 公示栏 sheets as one PDF.
pub fn wallchart(st: &mut Station, a: WallchartArgs) -> i32 {
    let parts: Vec<crate::service::WallPart> =
        a.part.as_deref().and_then(crate::service::WallPart::from_key).into_iter().collect();
    match st.wallchart(&parts) {
        Ok(b) => match crate::system::write_atomically(&a.out, &b) {
            Ok(()) => {
                crate::outln!("{}", a.out.display());
                0
            }
            Err(e) => fail(&format!("{}: {e}", a.out.display()), 1),
        },
        Err(e) => fail(&e.to_string(), 1),
    }
}

/// `kiosk purge`: retention (masking old cases, deleting old receipts and logs).
pub fn purge(st: &mut Station, a: PurgeArgs) -> i32 {
    match st.purge(a.dry_run) {
        Ok(p) => {
            if a.json {
                crate::outln!("{}", serde_json::to_string(&p).unwrap_or_else(|_| "{}".into()));
            } else {
                let verb = if p.dry_run { "would be" } else { "were" };
                crate::outln!(
                    "{} cases {verb} masked, {} receipts and {} log files {verb} deleted",
                    p.cases.len(),
                    p.receipts,
                    p.logs
                );
            }
            0
        }
        Err(e) => fail(&e.to_string(), 1),
    }
}

/// `kiosk backup`: the store copied (VACUUM INTO), old backups thinned.
pub fn backup(st: &mut Station, a: BackupArgs) -> i32 {
    match st.backup(a.to.as_deref()) {
        Ok(b) => {
            if a.json {
                crate::outln!("{}", serde_json::to_string(&b).unwrap_or_else(|_| "{}".into()));
            } else {
                crate::outln!(
                    "{} ({} bytes: {} tickets, {} cases); {} old backups deleted",
                    b.file.display(),
                    b.bytes,
                    b.tickets,
                    b.cases,
                    b.removed
                );
            }
            0
        }
        Err(e) => fail(&e.to_string(), 1),
    }
}

/// Signs in as `no` with the PIN on the first line of standard input. A wrong PIN counts
/// toward the lockout, exactly as at the console or the desk.
pub fn sign_in_from_stdin(st: &Station, no: &str) -> Result<Signed, i32> {
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        eprintln!("error: reading the PIN of staff {no} from standard input: {e}");
        return Err(2);
    }
    if line.trim().is_empty() {
        eprintln!("error: staff {no}: put the PIN on the first line of standard input (echo PIN | kiosk ...)");
        return Err(2);
    }
    st.sign_in(no, line.trim()).map(|w| w.from_pc(crate::service::LOCAL_ORIGIN)).map_err(|e| {
        eprintln!("error: staff {no}: {e}");
        match e {
            LoginError::Store(_) => 1,
            _ => 2,
        }
    })
}

/// `kiosk report`: the report of a date range as PDF or CSV.
pub fn report(st: &mut Station, a: ReportArgs) -> i32 {
    let pdf = a.format == "pdf";
    write_range(&a.from, &a.to, &a.out, |from, to| if pdf { st.report_pdf(from, to) } else { st.report_csv(from, to) })
}

/// A file made for the local days `from`..`to` (`kiosk report`, `kiosk ratings export`),
/// written whole or not at all; its path on success. A date not YYYY-MM-DD or a range
/// refused exits 2, a fault 1.
fn write_range(
    from: &str,
    to: &str,
    out: &std::path::Path,
    make: impl FnOnce(chrono::NaiveDate, chrono::NaiveDate) -> Result<Vec<u8>, crate::service::ReportError>,
) -> i32 {
    let day = |s: &str, flag: &str| {
        s.trim().parse::<chrono::NaiveDate>().map_err(|_| fail(&format!("--{flag} {s:?}: use YYYY-MM-DD"), 2))
    };
    let (from, to) = match (day(from, "from"), day(to, "to")) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    match make(from, to) {
        Ok(b) => match crate::system::write_atomically(out, &b) {
            Ok(()) => {
                crate::outln!("{}", out.display());
                0
            }
            Err(e) => fail(&format!("{}: {e}", out.display()), 1),
        },
        Err(e @ crate::service::ReportError::Store(_)) => fail(&e.to_string(), 1),
        Err(e) => fail(&e.to_string(), 2),
    }
}

/// `kiosk idcard read`: what the kiosk would read, masked as the receipts are. Needs no
/// store: a technician checks a reader with it.
pub fn idcard(cmd: IdcardCmd) -> i32 {
    use crate::domain::identity::{mask_id, mask_name, parse_id};
    use crate::system::idreader::{read_card, ReadError};
    let IdcardCmd::Read { device, timeout_secs, json } = cmd;
    let today = match crate::domain::clock::Clock::from_env(chrono_tz::Asia::Shanghai) {
        Ok(c) => c.today(),
        Err(e) => return fail(&e.to_string(), 2),
    };
    match read_card(&device, std::time::Duration::from_secs(timeout_secs)) {
        Ok(card) => {
            // The number is checked as a typed one is (GB 11643).
            let id = match parse_id(&card.id_number, today) {
                Ok(id) => id,
                Err(e) => return fail(&format!("读到的身份证号不对：{e}"), 1),
            };
            let expired = card.valid_to.parse::<chrono::NaiveDate>().is_ok_and(|d| d < today);
            if expired {
                eprintln!("注意：这张身份证已经过期（有效期至 {}），请提醒村民去换领", card.valid_to);
            }
            let v = serde_json::json!({
                "name": mask_name(&card.name),
                "id": mask_id(id.as_str()),
                "valid_to": card.valid_to,
            });
            if json {
                crate::outln!("{v}");
            } else {
                crate::outln!("{}  {}  有效期至 {}", mask_name(&card.name), mask_id(id.as_str()), card.valid_to);
            }
            0
        }
        Err(ReadError::NoCard) => fail("没有检测到身份证", 3),
        Err(e) => fail(&e.to_string(), 1),
    }
}

pub fn ratings(st: &mut Station, cmd: RatingsCmd) -> i32 {
    let RatingsCmd::Export(a) = cmd;
    let csv = a.format == "csv";
    write_range(
        &a.from,
        &a.to,
        &a.out,
        |from, to| if csv { st.ratings_csv(from, to) } else { st.ratings_jsonl(from, to) },
    )
}

/// A service error on the command line: a refusal is its sentence and exit 2, a fault
/// (the store, a file, a child process) is logged and said, exit 1.
fn explained(e: &impl crate::service::Explain) -> i32 {
    match e.explain() {
        crate::service::Failure::Refused(text) => fail(&text, 2),
        crate::service::Failure::Fault(detail) => {
            tracing::error!("{detail}");
            fail(&detail, 1)
        }
    }
}

fn fail(msg: &str, code: i32) -> i32 {
    eprintln!("error: {msg}");
    code
}
