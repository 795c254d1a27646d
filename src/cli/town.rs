//! `kiosk town init|add-station|join|serve|status`: setting up the township link from
//! files, and the town's side of it.

use super::{
    fail, TownCaseCmd, TownCmd, TownHolidaysCmd, TownMattersCmd, TownNoticesCmd, TownReasonsCmd, TownStaffCmd,
};
use crate::paths::Paths;
use crate::town::office::{Office, TownError, TownSigned};
use crate::town::{self, hub, store};
use store::Published;

pub fn run(paths: &Paths, cmd: TownCmd) -> i32 {
    let dir = town::config_home(paths);
    match cmd {
        TownCmd::Init { name, leaf_listen, leaf_address, nats_listen, nats_monitor } => {
            let req = town::InitRequest {
                name: &name,
                leaf_listen: &leaf_listen,
                leaf_address: leaf_address.as_deref(),
                nats_listen: nats_listen.as_deref(),
                nats_monitor: nats_monitor.as_deref(),
            };
            if let Err(e) = std::fs::create_dir_all(&dir) {
                return fail(&format!("{}：不能创建文件夹（{e}）", dir.display()), 1);
            }
            match town::init(&dir, &req) {
                Ok(t) => {
                    crate::outln!("已设置镇中心“{}”：{}", t.name, dir.join(crate::config::TOWN_FILE).display());
                    crate::outln!(
                        "站点连接地址 {}；下一步：kiosk town add-station 代码 --name 名字 --out 文件",
                        t.leaf_address
                    );
                    0
                }
                Err(e) => fail(&e, 2),
            }
        }
        TownCmd::AddStation { code, name, out, hosts } => match town::add_station(&dir, &code, &name, &hosts, &out) {
            Ok(j) => {
                crate::outln!("已加入站点 {}（{}）；加入文件：{}", j.code, j.name, out.display());
                crate::outln!("文件里有站点的密码：请用U盘带到站点，运行 kiosk town join 文件，然后删掉U盘上的这份");
                0
            }
            Err(e) => fail(&e, 2),
        },
        TownCmd::Join { file, nats_listen, nats_monitor } => {
            match town::join(&dir, &file, nats_listen.as_deref(), nats_monitor.as_deref()) {
                Ok(written) => {
                    for p in &written {
                        crate::outln!("已写入 {}", p.display());
                    }
                    crate::outln!("服务站服务（kiosk serve）下次启动时连接镇中心");
                    0
                }
                Err(e) => fail(&e, 2),
            }
        }
        TownCmd::Serve { listen, advertise } => serve(paths, &dir, listen.as_deref(), advertise.as_deref()),
        TownCmd::Staff(TownStaffCmd::Add { no, name }) => staff_add(paths, &dir, &no, &name),
        TownCmd::Matters(TownMattersCmd::Import { file, note, staff, json }) => {
            publish(paths, &dir, Published::Matters, &file, &note, &staff, json)
        }
        TownCmd::Matters(TownMattersCmd::Rollout { json }) => rollout(paths, &dir, Published::Matters, json),
        TownCmd::Holidays(TownHolidaysCmd::Import { file, note, staff, json }) => {
            publish(paths, &dir, Published::Holidays, &file, &note, &staff, json)
        }
        TownCmd::Holidays(TownHolidaysCmd::Rollout { json }) => rollout(paths, &dir, Published::Holidays, json),
        TownCmd::Notices(TownNoticesCmd::Set { home, display, staff, json }) => {
            notices(paths, &dir, &home, &display, &staff, json)
        }
        TownCmd::Notices(TownNoticesCmd::Rollout { json }) => rollout(paths, &dir, Published::Notices, json),
        TownCmd::Reasons(TownReasonsCmd::Import { file, note, staff, json }) => {
            publish(paths, &dir, Published::Reasons, &file, &note, &staff, json)
        }
        TownCmd::Reasons(TownReasonsCmd::Template) => {
            crate::outln!("{}", crate::config::reasons_toml(&crate::domain::rating::Reasons::shipped()).trim_end());
            0
        }
        TownCmd::Reasons(TownReasonsCmd::Rollout { json }) => rollout(paths, &dir, Published::Reasons, json),
        TownCmd::Status { json } => status(paths, &dir, json),
        TownCmd::Cases { json, station, state, all } => cases(paths, &dir, json, station, state, all),
        TownCmd::Case(TownCaseCmd::Advance { key, to, note, staff, json }) => {
            advance(paths, &dir, &key, &to, &note, &staff, json)
        }
        TownCmd::Case(TownCaseCmd::Settle { key, note, staff }) => settle(paths, &dir, &key, &note, &staff),
        TownCmd::Case(TownCaseCmd::Show { key, json }) => show(paths, &dir, &key, json),
    }
}

/// Where the town's site listens unless told: the town's own box.
const SITE_LISTEN: &str = "127.0.0.1:8090";

fn clock() -> Result<crate::domain::clock::Clock, i32> {
    crate::domain::clock::Clock::from_env(chrono_tz::Asia::Shanghai).map_err(|e| fail(&e.to_string(), 2))
}

/// The town's service layer on its store (town.db in the data folder).
fn office(paths: &Paths, dir: &std::path::Path) -> Result<Office, i32> {
    let t = town::read_town(dir).map_err(|e| fail(&e, 2))?;
    paths.ensure_data_dir().map_err(|e| fail(&e.to_string(), 1))?;
    Office::open(t, &paths.data_dir.join("town.db"), clock()?).map_err(|e| fail(&e.to_string(), 1))
}

fn serve(paths: &Paths, dir: &std::path::Path, listen: Option<&str>, advertise: Option<&str>) -> i32 {
    let t = match town::read_town(dir) {
        Ok(t) => t,
        Err(e) => return fail(&e, 2),
    };
    let office = match office(paths, dir) {
        Ok(o) => o,
        Err(code) => return code,
    };
    crate::app::init_logging(paths, "town");
    // Held while serving: `town status` can tell whether the town's service runs.
    let _running = match crate::paths::RunLock::running(paths) {
        Ok(l) => l,
        Err(e) => return fail(&format!("{}: {e}", paths.lock_file().display()), 1),
    };
    let tp = hub::TownPaths { config_dir: dir.to_path_buf(), data_dir: paths.data_dir.clone() };
    // From this thread, which lives as long as the town service: the server dies with it.
    let _server = match hub::start_server(&t, &tp, advertise) {
        Ok(s) => s,
        Err(e) => return fail(&e, 1),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the runtime: {e}"), 1),
    };
    let db = tp.db();
    let listen = listen.unwrap_or(SITE_LISTEN).to_string();
    runtime.block_on(async move {
        let signal = crate::server::signals();
        let site = match crate::server::town::Site::bind(&listen, &dir.join(crate::config::TOWN_PKI_DIR)).await {
            Ok(s) => s,
            Err(e) => return fail(&e, 1),
        };
        let shown = site.url();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let ingest = tokio::spawn(hub::ingest(t.clone(), db.clone(), stop_rx.clone()));
        let config = tokio::spawn(hub::publish_config(t.clone(), db, stop_rx.clone()));
        let web = tokio::spawn(crate::server::town::serve(site, office, stop_rx));
        crate::outln!("listening on {shown}");
        crate::outln!("镇中心服务已启动：站点连接 {}，{} 个站点；镇中心网页 {shown}", t.leaf_listen, t.stations.len());
        tracing::info!("town serving: leaf link on {}, site on {shown}", t.leaf_listen);
        signal.await;
        let _ = stop_tx.send(true);
        let _ = ingest.await;
        let _ = config.await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), web).await;
        0
    })
}

fn status(paths: &Paths, dir: &std::path::Path, json: bool) -> i32 {
    let office = match office(paths, dir) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut rows = match office.overview() {
        Ok(r) => r,
        Err(e) => return super::explained(&e),
    };
    // Read from the store: without the town's service nothing new arrives, and every
    // station comes to look offline. Say so, rather than let the stations take the blame.
    if let Ok(Some(_alone)) = crate::paths::RunLock::alone(paths) {
        eprintln!(
            "注意：镇中心服务（kiosk town serve）没有在运行，各站点的消息收不到；下面是它停下前记下的情况，“离线”不一定是站点的问题。"
        );
    }
    // In the order of town.toml (the overview puts the most urgent first).
    let order: Vec<&str> = office.town().stations.iter().map(|s| s.code.as_str()).collect();
    rows.sort_by_key(|r| order.iter().position(|c| *c == r.code));
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "station": r.code,
                    "name": r.name,
                    "online": r.health.online(),
                    "last_seen": r.last_seen.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                    "tickets_today": r.taken_today,
                    "catalogue_version": r.catalogue_version,
                })
            })
            .collect();
        crate::outln!("{}", serde_json::Value::Array(list));
    } else {
        for r in &rows {
            crate::outln!(
                "{} {} {} 今日取号 {} 事项清单第{}版{}",
                r.code,
                r.name,
                if r.health.online() { "在线" } else { "离线" },
                r.taken_today,
                r.catalogue_version.map(|v| v.to_string()).unwrap_or_else(|| "—".into()),
                // Offline is said once, before; the rest of what needs attention after.
                r.health.attention().iter().filter(|a| **a != "离线").map(|a| format!(" · {a}")).collect::<String>()
            );
        }
    }
    0
}

fn first_line_of_stdin(what: &str) -> Result<String, i32> {
    let mut line = String::new();
    match std::io::stdin().read_line(&mut line) {
        Ok(_) if !line.trim().is_empty() => Ok(line.trim().to_string()),
        _ => Err(fail(&format!("{what}: put the PIN on the first line of standard input (echo PIN | kiosk ...)"), 2)),
    }
}

fn staff_add(paths: &Paths, dir: &std::path::Path, no: &str, name: &str) -> i32 {
    let office = match office(paths, dir) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let pin = match first_line_of_stdin(&format!("staff {no}")) {
        Ok(p) => p,
        Err(code) => return code,
    };
    match office.put_staff(no, name, &pin) {
        Ok(()) => {
            crate::outln!("镇中心工作人员 {} {} 已保存", no.trim(), name.trim());
            0
        }
        Err(TownError::Refused(w)) => fail(&w, 2),
        Err(e) => super::explained(&e),
    }
}

/// Publishes a file for every station (the town's staff signs in with a PIN).
fn publish(
    paths: &Paths,
    dir: &std::path::Path,
    what: Published,
    file: &std::path::Path,
    note: &str,
    staff: &str,
    json: bool,
) -> i32 {
    let src = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => return fail(&format!("{}:1: file: cannot read: {e}", file.display()), 2),
    };
    publish_source(paths, dir, what, &file.display().to_string(), &src, note, staff, json)
}

/// `kiosk town notices set`: the two lines as the source published.
fn notices(paths: &Paths, dir: &std::path::Path, home: &str, display: &str, staff: &str, json: bool) -> i32 {
    match Office::notices_source(home, display) {
        Ok(src) => publish_source(paths, dir, Published::Notices, "notices", &src, "通知", staff, json),
        Err(e) => fail(&e.to_string(), 2),
    }
}

#[allow(clippy::too_many_arguments)]
fn publish_source(
    paths: &Paths,
    dir: &std::path::Path,
    what: Published,
    name: &str,
    src: &str,
    note: &str,
    staff: &str,
    json: bool,
) -> i32 {
    let mut office = match office(paths, dir) {
        Ok(o) => o,
        Err(code) => return code,
    };
    // The file's own rules first: a broken file is refused before the sign-in. (Each
    // station checks it again against its own windows and ticket letters.)
    if let Err(e) = Office::check_source(what, name, src) {
        return fail(&e.to_string(), 1);
    }
    if note.trim().is_empty() {
        return fail("发布要写一句说明（--note：改了什么、为什么）", 2);
    }
    let pin = match first_line_of_stdin(&format!("staff {staff}")) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let who = match office.sign_in(staff, &pin, Some(crate::service::LOCAL_ORIGIN)) {
        Ok(w) => w,
        Err(e @ (TownError::Wrong | TownError::Locked(_) | TownError::Disabled)) => return fail(&e.to_string(), 2),
        Err(e) => return super::explained(&e),
    };
    match office.publish(&who, what, name, src, note) {
        Ok(p) => {
            if json {
                let count_key = match what {
                    Published::Matters => "matters",
                    Published::Holidays => "years",
                    Published::Notices => "notices",
                    Published::Reasons => "reasons",
                };
                crate::outln!(
                    "{}",
                    serde_json::json!({ "version": p.version, "note": p.note, "what": what.key(), count_key: p.count })
                );
            } else {
                crate::outln!("已发布镇中心{}第{}版（{}）：各站点连通时自动采用", words(what), p.version, p.summary);
            }
            0
        }
        Err(TownError::Refused(w)) => fail(&w, 1),
        Err(e) => super::explained(&e),
    }
}

fn words(what: Published) -> &'static str {
    match what {
        Published::Matters => "事项清单",
        Published::Holidays => "节假日安排",
        Published::Notices => "通知",
        Published::Reasons => "差评原因",
    }
}

fn rollout(paths: &Paths, dir: &std::path::Path, what: Published, json: bool) -> i32 {
    let office = match office(paths, dir) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let rows = match office.rollout(what) {
        Ok(r) => r,
        Err(e) => return super::explained(&e),
    };
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::json!({"station": r.station, "version": r.version, "outcome": r.outcome, "detail": r.detail}))
            .collect();
        crate::outln!("{}", serde_json::Value::Array(list));
    } else {
        for r in &rows {
            let said = if r.outcome == "applied" {
                "已采用".to_string()
            } else {
                format!("拒收：{}", r.detail.as_deref().unwrap_or(""))
            };
            crate::outln!("{} 第{}版 {said}", r.station, r.version);
        }
    }
    0
}

fn case_json(c: &crate::town::cases::TownCase) -> serde_json::Value {
    serde_json::json!({
        "station": c.station,
        "station_name": c.station_name,
        "tracking": c.tracking,
        "matter": c.matter,
        "matter_name": c.matter_name,
        "state": c.state.key(),
        "state_label": c.state.label(),
        "due": c.due.map(|d| d.to_string()),
        "urgency": c.urgency.key(),
        "conflict": c.conflict,
        "name": c.name_masked(),
        "id_number": c.id_masked(),
        "phone": c.phone_masked(),
        "missing": c.missing(),
        "handed_at": c.handed_at,
    })
}

fn cases(
    paths: &Paths,
    dir: &std::path::Path,
    json: bool,
    station: Option<String>,
    state: Option<String>,
    all: bool,
) -> i32 {
    let office = match office(paths, dir) {
        Ok(o) => o,
        Err(code) => return code,
    };
    if let Some(s) = &state {
        if crate::domain::case::CaseState::from_key(s).is_none() {
            return fail(&format!("--state “{s}”：没有这个状态（received、forwarded、submitted、completed……）"), 2);
        }
    }
    let filter = crate::town::cases::CaseFilter { station, matter: None, state, all: all.then(|| "1".into()) };
    match office.cases(&filter) {
        Ok(list) => {
            if json {
                let v: Vec<_> = list.iter().map(case_json).collect();
                crate::outln!("{}", serde_json::Value::Array(v));
            } else if list.is_empty() {
                crate::outln!("没有代办件");
            } else {
                for c in &list {
                    crate::outln!(
                        "{}  {}  {}  {}  {}{}",
                        c.key(),
                        c.matter_name,
                        c.state.label(),
                        c.due.map(|d| format!("{d} 到期")).unwrap_or_else(|| "暂停计时".into()),
                        c.station_name,
                        c.conflict.as_ref().map(|x| format!("  冲突：{x}")).unwrap_or_default()
                    );
                }
            }
            0
        }
        Err(e) => super::explained(&e),
    }
}

fn signed(office: &Office, staff: &str) -> Result<TownSigned, i32> {
    let pin = first_line_of_stdin(&format!("staff {staff}"))?;
    match office.sign_in(staff, &pin, Some(crate::service::LOCAL_ORIGIN)) {
        Ok(w) => Ok(w),
        Err(e @ (TownError::Wrong | TownError::Locked(_) | TownError::Disabled)) => Err(fail(&e.to_string(), 2)),
        Err(e) => Err(super::explained(&e)),
    }
}

/// The town's office, the case `key` names, and the member signed in by `--staff` and the
/// PIN on standard input: what every writing `town case` command starts from. `check`
/// reads the command's own arguments once the office is open, before the key (exit 2).
fn case_command<T>(
    paths: &Paths,
    dir: &std::path::Path,
    key: &str,
    staff: &str,
    check: impl FnOnce() -> Result<T, i32>,
) -> Result<(Office, TownSigned, String, String, T), i32> {
    let office = office(paths, dir)?;
    let checked = check()?;
    let (station, tracking) = office.case_key(key).map_err(|e| fail(&e.to_string(), 2))?;
    let who = signed(&office, staff)?;
    Ok((office, who, station, tracking, checked))
}

fn advance(paths: &Paths, dir: &std::path::Path, key: &str, to: &str, note: &str, staff: &str, json: bool) -> i32 {
    use crate::domain::case::CaseState;
    let check = || {
        CaseState::from_key(to)
            .filter(|s| CaseState::TOWN_MOVES.contains(s))
            .ok_or_else(|| fail(&format!("--to “{to}”：要写 received、returned、forwarded、completed 或 rejected"), 2))
    };
    let (mut office, who, station, tracking, to_state) = match case_command(paths, dir, key, staff, check) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match office.advance_case(&who, &station, &tracking, to_state, note) {
        Ok(c) => {
            if json {
                crate::outln!("{}", case_json(&c));
            } else {
                crate::outln!("{}：{}（会送到服务站）", c.key(), c.state.label());
            }
            0
        }
        Err(TownError::Move(e)) => fail(&e.to_string(), 2),
        Err(TownError::Refused(w)) => fail(&w, 2),
        Err(e) => super::explained(&e),
    }
}

fn settle(paths: &Paths, dir: &std::path::Path, key: &str, note: &str, staff: &str) -> i32 {
    let (mut office, who, station, tracking, ()) = match case_command(paths, dir, key, staff, || Ok(())) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match office.settle_case(&who, &station, &tracking, note) {
        Ok(c) => {
            crate::outln!("{}：冲突已处理（会告诉服务站）", c.key());
            0
        }
        Err(TownError::Refused(w)) => fail(&w, 2),
        Err(e) => super::explained(&e),
    }
}

fn show(paths: &Paths, dir: &std::path::Path, key: &str, json: bool) -> i32 {
    let office = match office(paths, dir) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let (station, tracking) = match office.case_key(key) {
        Ok(k) => k,
        Err(e) => return fail(&e.to_string(), 2),
    };
    match office.case(&station, &tracking) {
        Ok(Some((c, steps))) => {
            if json {
                let mut v = case_json(&c);
                v["steps"] = steps
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "at": s.at, "origin": s.origin, "kind": s.kind,
                            "from": s.from.map(|x| x.key()), "to": s.to.map(|x| x.key()),
                            "staff": s.staff, "note": s.note, "sent": s.sent,
                        })
                    })
                    .collect();
                crate::outln!("{v}");
            } else {
                crate::outln!("{}  {}  {}  {}", c.key(), c.matter_name, c.state.label(), c.name_masked());
                for s in &steps {
                    crate::outln!(
                        "  {}  {}  {}{}",
                        office.local(&s.at),
                        if s.origin == "town" { "镇中心" } else { "服务站" },
                        s.to.map(|t| t.label()).unwrap_or(&s.kind),
                        s.note.as_ref().map(|n| format!("：{n}")).unwrap_or_default()
                    );
                }
            }
            0
        }
        Ok(None) => fail(&format!("镇中心没有 {station}:{tracking} 这件代办"), 1),
        Err(e) => super::explained(&e),
    }
}
