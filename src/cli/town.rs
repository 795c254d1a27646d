//! `kiosk town init|add-station|join|serve|status`: setting up the township link from
//! files, and the town's side of it.

use super::{fail, TownCmd, TownHolidaysCmd, TownMattersCmd, TownNoticesCmd, TownStaffCmd};
use crate::paths::Paths;
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
        TownCmd::AddStation { code, name, out } => match town::add_station(&dir, &code, &name, &out) {
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
        TownCmd::Serve { advertise } => serve(paths, &dir, advertise.as_deref()),
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
        TownCmd::Status { json } => status(paths, &dir, json),
    }
}

fn serve(paths: &Paths, dir: &std::path::Path, advertise: Option<&str>) -> i32 {
    let t = match town::read_town(dir) {
        Ok(t) => t,
        Err(e) => return fail(&e, 2),
    };
    if let Err(e) = paths.ensure_data_dir() {
        return fail(&e.to_string(), 1);
    }
    crate::app::init_logging(paths, "town");
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
    runtime.block_on(async move {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let ingest = tokio::spawn(hub::ingest(t.clone(), db.clone(), stop_rx.clone()));
        let config = tokio::spawn(hub::publish_config(t.clone(), db, stop_rx));
        crate::outln!("镇中心服务已启动：站点连接 {}，{} 个站点", t.leaf_listen, t.stations.len());
        tracing::info!("town serving: leaf link on {}", t.leaf_listen);
        crate::server::signals().await;
        let _ = stop_tx.send(true);
        let _ = ingest.await;
        let _ = config.await;
    });
    0
}

fn status(paths: &Paths, dir: &std::path::Path, json: bool) -> i32 {
    let t = match town::read_town(dir) {
        Ok(t) => t,
        Err(e) => return fail(&e, 2),
    };
    let clock = match crate::domain::clock::Clock::from_env(chrono_tz::Asia::Shanghai) {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string(), 2),
    };
    let today = clock.today().to_string();
    let db = paths.data_dir.join("town.db");
    let conn = if db.exists() {
        match store::open(&db) {
            Ok(c) => Some(c),
            Err(e) => return fail(&e.to_string(), 1),
        }
    } else {
        None
    };
    // Online: heard from within the last two and a half heartbeats (by the real clock, as
    // the link is real whatever KIOSK_NOW says).
    let now = chrono::Utc::now();
    let mut rows = Vec::new();
    for s in &t.stations {
        let seen = match &conn {
            Some(c) => match store::seen(c, &s.code, &today) {
                Ok(x) => Some(x),
                Err(e) => return fail(&e.to_string(), 1),
            },
            None => None,
        };
        let last_seen = seen.as_ref().and_then(|x| x.last_seen.clone());
        let online = last_seen
            .as_deref()
            .and_then(|l| chrono::DateTime::parse_from_rfc3339(l).ok())
            .is_some_and(|l| (now - l.with_timezone(&chrono::Utc)).num_seconds() < 150);
        rows.push(serde_json::json!({
            "station": s.code,
            "name": s.name,
            "online": online,
            "last_seen": last_seen,
            "tickets_today": seen.as_ref().map(|x| x.tickets_today).unwrap_or(0),
            "catalogue_version": seen.as_ref().and_then(|x| x.catalogue_version),
        }));
    }
    if json {
        crate::outln!("{}", serde_json::Value::Array(rows));
    } else {
        for r in &rows {
            crate::outln!(
                "{} {} {} 今日取号 {} 事项清单第{}版",
                r["station"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap_or(""),
                if r["online"].as_bool().unwrap_or(false) { "在线" } else { "离线" },
                r["tickets_today"],
                r["catalogue_version"].as_i64().map(|v| v.to_string()).unwrap_or_else(|| "—".into())
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

fn open_town_store(paths: &Paths, dir: &std::path::Path) -> Result<rusqlite::Connection, i32> {
    town::read_town(dir).map_err(|e| fail(&e, 2))?;
    paths.ensure_data_dir().map_err(|e| fail(&e.to_string(), 1))?;
    store::open(&paths.data_dir.join("town.db")).map_err(|e| fail(&e.to_string(), 1))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn staff_add(paths: &Paths, dir: &std::path::Path, no: &str, name: &str) -> i32 {
    let conn = match open_town_store(paths, dir) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let pin = match first_line_of_stdin(&format!("staff {no}")) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let hash = match crate::service::hash_pin(&pin) {
        Ok(h) => h,
        Err(e) => return super::explained(&e),
    };
    if name.trim().is_empty() || no.trim().is_empty() {
        return fail("请写上工号和 --name 姓名", 2);
    }
    match store::put_staff(&conn, no.trim(), name.trim(), &hash, &now()) {
        Ok(()) => {
            crate::outln!("镇中心工作人员 {} {} 已保存", no.trim(), name.trim());
            0
        }
        Err(e) => fail(&e.to_string(), 1),
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
    // The file's own rules first: a broken file is refused before the sign-in. (Each
    // station checks it again against its own windows and ticket letters.)
    publish_source(paths, dir, what, &file.display().to_string(), &src, note, staff, json)
}

/// `kiosk town notices set`: the two lines as the source published.
fn notices(paths: &Paths, dir: &std::path::Path, home: &str, display: &str, staff: &str, json: bool) -> i32 {
    for (flag, text) in [("--home", home), ("--display", display)] {
        if text.chars().count() > 200 || text.contains(['\n', '\r']) {
            return fail(&format!("{flag}：通知只能是一行，最多 200 个字"), 2);
        }
    }
    let src = serde_json::json!({ "home": home.trim(), "display": display.trim() }).to_string();
    publish_source(paths, dir, Published::Notices, "notices", &src, "通知", staff, json)
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
    let mut conn = match open_town_store(paths, dir) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let name = name.to_string();
    let summary = match what {
        Published::Matters => crate::config::parse_matters(&name, src)
            .map(|c| (format!("{} 个类别，{} 个事项", c.categories.len(), c.matters.len()), c.matters.len())),
        Published::Holidays => crate::config::parse_holidays(&name, src).map(|c| {
            let years: Vec<String> = c.years().map(|y| format!("{y}年")).collect();
            (years.join("、"), years.len())
        }),
        Published::Notices => Ok(("首页和叫号屏的通知".to_string(), 2)),
    };
    let (summary, count) = match summary {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string(), 1),
    };
    if note.trim().is_empty() {
        return fail("发布要写一句说明（--note：改了什么、为什么）", 2);
    }
    let pin = match first_line_of_stdin(&format!("staff {staff}")) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let known = match store::staff(&conn, staff.trim()) {
        Ok(k) => k,
        Err(e) => return fail(&e.to_string(), 1),
    };
    match known {
        Some((_, hash)) if crate::service::verify_pin(&hash, &pin) => {}
        _ => return fail("工号或密码不对（镇中心的工作人员用 kiosk town staff add 添加）", 2),
    }
    match store::add_version(&mut conn, what, src, note.trim(), staff.trim(), &now()) {
        Ok(v) => {
            if json {
                let count_key = match what {
                    Published::Matters => "matters",
                    Published::Holidays => "years",
                    Published::Notices => "notices",
                };
                crate::outln!(
                    "{}",
                    serde_json::json!({ "version": v, "note": note.trim(), "what": what.key(), count_key: count })
                );
            } else {
                crate::outln!("已发布镇中心{}第{v}版（{summary}）：各站点连通时自动采用", words(what));
            }
            0
        }
        Err(e) => fail(&e.to_string(), 1),
    }
}

fn words(what: Published) -> &'static str {
    match what {
        Published::Matters => "事项清单",
        Published::Holidays => "节假日安排",
        Published::Notices => "通知",
    }
}

fn rollout(paths: &Paths, dir: &std::path::Path, what: Published, json: bool) -> i32 {
    let conn = match open_town_store(paths, dir) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rows = match store::rollout(&conn, what) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string(), 1),
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
