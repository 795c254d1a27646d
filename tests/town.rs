//! The township over real nats-server processes on loopback: a town and two stations
//! joined from files; their events reach the town once and in order; a station keeps
//! working while the town is down and the town catches up when it is back; a station's
//! NATS server dies with its service; a station's credentials do not reach another
//! station's data.

use crate::util::{stderr, stdout, Serve, TempStation};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-30T09:30:00+08:00";

/// A free port below Linux's ephemeral range (32768+), so that no other test's `:0` socket
/// takes it between this check and the NATS server binding it.
fn free_port() -> u16 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let base = (std::process::id() % 500) * 20;
    loop {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let port = 20000 + ((base + n) % 12000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// The town centre's box: its folders and its running service.
struct Town {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// Where the town's site listens.
    site: String,
}

impl Town {
    fn cfg(&self) -> PathBuf {
        self.dir.path().join("cfg")
    }
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    /// `kiosk ARGS…` on the town's folders, at `NOW`.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(crate::util::kiosk_bin());
        c.arg("--config-dir").arg(self.cfg()).arg("--data-dir").arg(self.data()).args(args).env("KIOSK_NOW", NOW);
        c
    }
    fn kiosk(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().expect("run kiosk")
    }
    fn init(names: &[(&str, &str)]) -> (Town, Vec<PathBuf>) {
        let dir = tempfile::tempdir().expect("temp");
        let leaf = format!("127.0.0.1:{}", free_port());
        let site = format!("127.0.0.1:{}", free_port());
        let mut town = Town { dir, child: None, site };
        let (n, m) = (format!("127.0.0.1:{}", free_port()), format!("127.0.0.1:{}", free_port()));
        let o = town.kiosk(&[
            "town",
            "init",
            "--name",
            "新集镇行政综合服务中心",
            "--leaf-listen",
            &leaf,
            "--nats-listen",
            &n,
            "--nats-monitor",
            &m,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let mut files = Vec::new();
        for (code, name) in names {
            let out = town.dir.path().join(format!("{code}.join"));
            let o = town.kiosk(&["town", "add-station", code, "--name", name, "--out", out.to_str().expect("utf8")]);
            assert!(o.status.success(), "{}", stderr(&o));
            files.push(out);
        }
        town.start();
        (town, files)
    }
    fn start(&mut self) {
        // Leaves are told a dead address, so that they come back only the way they were
        // configured (TECH-NOTES: the hub advertises its own leaf URL).
        let dead = format!("127.0.0.1:{}", free_port());
        let child = self
            .command(&["town", "serve", "--listen", &self.site, "--advertise", &dead])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("town serve");
        self.child = Some(child);
    }
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
    }
    /// Runs a town command with `pin` on the first line of its standard input.
    fn with_pin(&self, args: &[&str], pin: &str) -> std::process::Output {
        self.command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().map(|mut i| i.write_all(format!("{pin}\n").as_bytes())).transpose()?;
                c.wait_with_output()
            })
            .expect("run kiosk with a PIN")
    }
    fn status(&self) -> serde_json::Value {
        let o = self.kiosk(&["town", "status", "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(stdout(&o).trim()).expect("json")
    }
    fn station(&self, code: &str) -> serde_json::Value {
        let all = self.status();
        all.as_array().and_then(|a| a.iter().find(|s| s["station"] == code).cloned()).unwrap_or_default()
    }
    /// Waits until `check` holds of the town's status (or fails with the last one).
    fn until(&self, what: &str, check: impl Fn(&serde_json::Value) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.status();
            if check(&s) {
                return;
            }
            assert!(Instant::now() < deadline, "{what}: not within 60 s; the town says {s}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    /// Publishes `src` as the town's list of matters (staff 900, PIN 135790): its JSON.
    fn import_matters(&self, src: &str, note: &str) -> serde_json::Value {
        let file = self.dir.path().join("matters-upload.toml");
        std::fs::write(&file, src).expect("write");
        let o = self.with_pin(
            &["town", "matters", "import", file.to_str().expect("utf8"), "--note", note, "--staff", "900", "--json"],
            "135790",
        );
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(stdout(&o).trim()).expect("json")
    }
    fn events(&self, code: &str) -> Vec<(i64, String)> {
        let c = rusqlite::Connection::open(self.data().join("town.db")).expect("town.db");
        let mut st = c.prepare("SELECT seq, kind FROM events WHERE station = ?1 ORDER BY seq").expect("prepare");
        let rows = st.query_map([code], |r| Ok((r.get(0)?, r.get(1)?))).expect("query");
        rows.map(|r| r.expect("row")).collect()
    }
}

impl Drop for Town {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn join(t: &TempStation, file: &Path) -> String {
    let monitor = format!("127.0.0.1:{}", free_port());
    let o = t.kiosk(
        NOW,
        &[
            "town",
            "join",
            file.to_str().expect("utf8"),
            "--nats-listen",
            &format!("127.0.0.1:{}", free_port()),
            "--nats-monitor",
            &monitor,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    monitor
}

fn take(t: &TempStation, code: &str) {
    let o = t.kiosk(NOW, &["ticket", "take", "--matter", code, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn sync(t: &TempStation) -> serde_json::Value {
    let o = t.kiosk(NOW, &["sync", "status", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(stdout(&o).trim()).expect("json")
}

fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
        .map(|s| !s.split(") ").nth(1).unwrap_or("").starts_with('Z'))
        .unwrap_or(false)
}

#[test]
#[ignore = "full suite (./test.sh): needs nats-server"]
fn stations_join_the_town_and_every_event_arrives_once_in_order_through_a_cut() {
    let (mut town, files) = Town::init(&[("s01", "南刘庄村综合服务站"), ("s02", "北刘庄村综合服务站")]);
    let (a, b) = (TempStation::new(), TempStation::new());
    crate::cases::add_staff(&a.station_at(NOW));
    join(&a, &files[0]);
    join(&b, &files[1]);
    // config check reads the join file like every other file.
    let o = a.kiosk(NOW, &["config", "check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(sync(&a)["connected"], serde_json::json!(false), "not linked before the service runs");

    let sa = Serve::start(&a, Some(NOW));
    let sb = Serve::start(&b, Some(NOW));
    for code in ["C02", "A01", "B01"] {
        take(&a, code);
    }
    take(&b, "C01");
    town.until("both stations' tickets", |s| {
        s.as_array().is_some_and(|a| {
            a.iter().any(|x| x["station"] == "s01" && x["tickets_today"] == 3 && x["online"] == true)
                && a.iter().any(|x| x["station"] == "s02" && x["tickets_today"] == 1 && x["online"] == true)
        })
    });
    let s01 = town.station("s01");
    assert_eq!(s01["name"], "南刘庄村综合服务站");
    // No list of the town's in force yet: the station is on its own (the shipped one).
    assert_eq!(s01["catalogue_version"], serde_json::Value::Null, "{s01}");
    assert_eq!(sync(&a)["catalogue_version"], 0);
    assert!(s01["last_seen"].as_str().is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()), "{s01}");
    let linked = sync(&a);
    assert_eq!(linked["connected"], true, "{linked}");
    assert_eq!(linked["outbox_pending"], 0, "{linked}");

    let o = town.kiosk(&["town", "status"]);
    assert!(!stderr(&o).contains("没有在运行"), "the town's service runs: {}", stderr(&o));
    // The town goes away for a while: the station keeps issuing tickets. Its status says the
    // town's own service is not running, so the stations do not take the blame.
    town.stop();
    let o = town.kiosk(&["town", "status"]);
    assert!(o.status.success() && stderr(&o).contains("镇中心服务（kiosk town serve）没有在运行"), "{}", stderr(&o));
    for code in ["C02", "C02", "A01", "D01"] {
        take(&a, code);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while sync(&a)["connected"] == true {
        assert!(Instant::now() < deadline, "the station notices the town is gone");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Back: the town catches up by itself, each event once, in the station's order.
    town.start();
    town.until("s01 caught up", |s| {
        s.as_array().is_some_and(|a| a.iter().any(|x| x["station"] == "s01" && x["tickets_today"] == 7))
    });
    let got = town.events("s01");
    let seqs: Vec<i64> = got.iter().map(|e| e.0).collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>(), "{got:?}");
    assert!(got.iter().all(|e| e.1 == "ticket.taken"));
    assert_eq!(town.events("s02").len(), 1);

    // The town publishes a list of matters for every village (its staff signs in with a
    // PIN): one more matter. Both stations take it up as their next version and say so.
    let o = town.with_pin(&["town", "staff", "add", "900", "--name", "镇中心管理员"], "135790");
    assert!(o.status.success(), "{}", stderr(&o));
    let import = |src: &str, pin: &str| {
        let file = town.dir.path().join("matters-upload.toml");
        std::fs::write(&file, src).expect("write");
        town.with_pin(
            &[
                "town",
                "matters",
                "import",
                file.to_str().expect("utf8"),
                "--note",
                "新增事项",
                "--staff",
                "900",
                "--json",
            ],
            pin,
        )
    };
    let v1 = crate::matters::with_new_matter();
    let wrong = import(&v1, "000000");
    assert_eq!(wrong.status.code(), Some(2), "a wrong PIN publishes nothing");
    let o = import(&v1, "135790");
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(v["version"], 1, "{v}");
    town.until("both stations took up the town's list", |s| {
        s.as_array().is_some_and(|a| a.len() == 2 && a.iter().all(|x| x["catalogue_version"] == 1))
    });
    let rollout = |version: i64| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let o = town.kiosk(&["town", "matters", "rollout", "--json"]);
            let r: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap_or_default();
            if r.as_array().is_some_and(|a| a.len() == 2 && a.iter().all(|x| x["version"] == version)) {
                return r;
            }
            assert!(Instant::now() < deadline, "both stations answer version {version}: {r}");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    let r = rollout(1);
    assert!(r.as_array().is_some_and(|a| a.iter().all(|x| x["outcome"] == "applied")), "{r}");
    // A list the stations cannot use (a category whose ticket letter K is 卫健's here):
    // each refuses it whole, says why, and keeps the version it has.
    let v2 =
        format!("{v1}\n[[category]]\ncode = \"K\"\nname = \"测试\"\nfull-name = \"测试类\"\ndescription = \"测试\"\n");
    let o = import(&v2, "135790");
    assert!(o.status.success(), "{}", stderr(&o));
    let r = rollout(2);
    assert!(
        r.as_array().is_some_and(|a| a
            .iter()
            .all(|x| x["outcome"] == "refused" && x["detail"].as_str().is_some_and(|d| d.contains("字头")))),
        "{r}"
    );
    let st = town.station("s01");
    // The town's numbers throughout: version 2 was refused, 1 stays in force.
    assert_eq!(st["catalogue_version"], 1, "{st}");
    assert_eq!(sync(&a)["catalogue_version"], 1);
    // Next year's calendar, published once by the town, imported by every station.
    let cal = town.dir.path().join("holidays-2027.toml");
    std::fs::write(
        &cal,
        "[[year]]\nyear = 2027\nholidays = [\"2027-01-01\", \"2027-01-02\", \"2027-01-03\"]\nworkdays = []\n",
    )
    .expect("write");
    let o = town
        .with_pin(&["town", "holidays", "import", cal.to_str().expect("utf8"), "--staff", "900", "--json"], "135790");
    assert!(o.status.success(), "{}", stderr(&o));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let o = town.kiosk(&["town", "holidays", "rollout", "--json"]);
        let r: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap_or_default();
        if r.as_array()
            .is_some_and(|a| a.len() == 2 && a.iter().all(|x| x["outcome"] == "applied" && x["version"] == 1))
        {
            break;
        }
        assert!(Instant::now() < deadline, "both stations import the town's calendar: {r}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let years = stdout(&a.kiosk(NOW, &["holidays", "list"]));
    assert!(years.contains("2027"), "{years}");
    // A notice for every kiosk's home screen and every calling display.
    let o = town.with_pin(
        &["town", "notices", "set", "--home", "高龄津贴年审在村里办", "--display", "请带好身份证", "--staff", "900"],
        "135790",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let o = town.kiosk(&["town", "notices", "rollout", "--json"]);
        let r: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap_or_default();
        if r.as_array().is_some_and(|a| a.len() == 2 && a.iter().all(|x| x["outcome"] == "applied")) {
            break;
        }
        assert!(Instant::now() < deadline, "both stations put up the notices: {r}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let st = a.station_at(NOW);
    assert_eq!(st.town_notice("home").expect("notice").as_deref(), Some("高龄津贴年审在村里办"));
    assert_eq!(st.snapshot().expect("snapshot").display.town_notice.as_deref(), Some("请带好身份证"));
    let file = town.dir.path().join("matters-upload.toml");
    std::fs::write(&file, &v1).expect("write");

    // At a joined station, the list is the town's: a local import is refused.
    let local = a.kiosk_stdin(
        NOW,
        &["matters", "import", file.to_str().expect("utf8"), "--note", "本站自己改", "--staff", "003"],
        &format!("{}\n", crate::cases::PIN),
    );
    assert_ne!(local.status.code(), Some(0));
    assert!(stderr(&local).contains("由镇中心统一发布"), "{}", stderr(&local));

    let (s01_before, s02_before) = (town.events("s01").len(), town.events("s02").len());
    // What s01's credentials reach, asked from a client on s01's own server: its own
    // stream, and nothing of s02's or the town's (the permissions of its leaf user).
    let joined = std::fs::read_to_string(a.config_dir().join("town-join.toml")).expect("join");
    let joined = kiosk::config::parse_join("town-join.toml", &joined).expect("parse");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let c = async_nats::connect(format!("nats://{}", joined.nats_listen)).await.expect("connect");
        let own = c.request("$JS.API.STREAM.INFO.EV_S01", "".into()).await.expect("its own stream answers");
        assert!(String::from_utf8_lossy(&own.payload).contains("EV_S01"));
        for subject in [
            "$JS.s02.API.STREAM.INFO.EV_S02",
            "$JS.s02.API.CONSUMER.CREATE.EV_S02",
            "$JS.town.API.STREAM.INFO.TOWN_EVENTS",
            "$JS.town.API.CONSUMER.CREATE.TOWN_EVENTS",
            "$JS.town.API.STREAM.PURGE.TOWN_EVENTS",
        ] {
            let r = tokio::time::timeout(Duration::from_secs(3), c.request(subject, "{}".into())).await;
            assert!(
                !matches!(r, Ok(Ok(_))),
                "{subject} answered s01: {:?}",
                r.ok().and_then(|x| x.ok()).map(|m| String::from_utf8_lossy(&m.payload).to_string())
            );
        }
    });
    assert_eq!(town.events("s02").len(), s02_before, "s02's events untouched");
    assert_eq!(town.events("s01").len(), s01_before, "the town's stream not purged");

    // A station's service killed outright takes its NATS server with it; the next start
    // finds no server left over and links again.
    let pid = std::fs::read_to_string(a.data_dir().join("nats/nats-server.pid")).expect("pid file");
    assert!(alive(&pid));
    drop(sa);
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(&pid) {
        assert!(Instant::now() < deadline, "nats-server {pid} outlived its killed service");
        std::thread::sleep(Duration::from_millis(50));
    }
    take(&a, "C02");
    let sa = Serve::start(&a, Some(NOW));
    town.until("s01 after its restart", |s| {
        s.as_array().is_some_and(|a| a.iter().any(|x| x["station"] == "s01" && x["tickets_today"] == 8))
    });
    // The station head's page says whose list it is and offers no upload or rollback.
    let cookie = crate::server::sign_in_as(&sa, "003", crate::cases::PIN).expect("sign in");
    let mut r = crate::util::http().get(&sa.url("/desk/admin/matters")).header("Cookie", &cookie).call().expect("get");
    let page = r.body_mut().read_to_string().unwrap_or_default();
    assert!(page.contains("由镇中心统一发布"), "{page}");
    assert!(!page.contains("/desk/admin/matters/check") && !page.contains("/desk/admin/matters/rollback"), "{page}");
    // The holidays too; and the command line refuses a local import with the same words.
    let mut r = crate::util::http().get(&sa.url("/desk/admin/holidays")).header("Cookie", &cookie).call().expect("get");
    let page = r.body_mut().read_to_string().unwrap_or_default();
    assert!(page.contains("由镇中心统一发布") && page.contains("本站不能自己导入"), "{page}");
    let cal = a.data_dir().join("holidays-local.toml");
    std::fs::write(&cal, crate::holidays::Y2027).expect("write");
    let o = a.kiosk_stdin(
        NOW,
        &["holidays", "import", cal.to_str().expect("utf8"), "--staff", "003"],
        &format!("{}\n", crate::cases::PIN),
    );
    assert!(!o.status.success() && stderr(&o).contains("由镇中心统一发布"), "{}", stderr(&o));
    drop(sa);
    drop(sb);
}

/// A TCP proxy between a station's leaf link and the town: it passes, cuts (resets every
/// connection and refuses new ones), goes silent (holds connections and forwards nothing)
/// or slows every chunk down.
mod proxy {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub enum Mode {
        Pass,
        Reset,
        Silent,
        Slow,
    }

    pub struct Proxy {
        pub addr: String,
        mode: Arc<Mutex<Mode>>,
        conns: Arc<Mutex<Vec<TcpStream>>>,
    }

    impl Proxy {
        pub fn start(to: String) -> Proxy {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = l.local_addr().expect("addr").to_string();
            let mode = Arc::new(Mutex::new(Mode::Pass));
            let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::new(Mutex::new(Vec::new()));
            let (m, c) = (mode.clone(), conns.clone());
            std::thread::spawn(move || {
                for client in l.incoming() {
                    let Ok(client) = client else { continue };
                    let now = *m.lock().expect("mode");
                    if now == Mode::Reset {
                        let _ = rustix::net::sockopt::set_socket_linger(&client, Some(Duration::ZERO));
                        drop(client);
                        continue;
                    }
                    let Ok(server) = TcpStream::connect(&to) else { continue };
                    if let Ok(mut list) = c.lock() {
                        list.extend(client.try_clone().ok());
                        list.extend(server.try_clone().ok());
                    }
                    for (from, into) in
                        [(client.try_clone(), server.try_clone()), (server.try_clone(), client.try_clone())]
                    {
                        let (Ok(mut from), Ok(mut into)) = (from, into) else { continue };
                        let m = m.clone();
                        std::thread::spawn(move || {
                            let mut buf = [0u8; 16384];
                            loop {
                                let n = match from.read(&mut buf) {
                                    Ok(0) | Err(_) => break,
                                    Ok(n) => n,
                                };
                                match *m.lock().expect("mode") {
                                    Mode::Silent => continue,
                                    Mode::Slow => std::thread::sleep(Duration::from_millis(150)),
                                    _ => {}
                                }
                                if into.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                            }
                            let _ = into.shutdown(Shutdown::Both);
                        });
                    }
                }
            });
            Proxy { addr, mode, conns }
        }

        pub fn set(&self, mode: Mode) {
            *self.mode.lock().expect("mode") = mode;
            if mode == Mode::Reset {
                for c in self.conns.lock().expect("conns").drain(..) {
                    let _ = rustix::net::sockopt::set_socket_linger(&c, Some(Duration::ZERO));
                    let _ = c.shutdown(Shutdown::Both);
                }
            }
        }
    }
}

#[test]
#[ignore = "full suite (./test.sh): needs nats-server"]
fn a_station_behind_a_failing_link_loses_nothing() {
    let (town, files) = Town::init(&[("s01", "南刘庄村综合服务站")]);
    // The station dials the town through the proxy.
    let town_toml = std::fs::read_to_string(town.cfg().join("town.toml")).expect("town.toml");
    let hub = kiosk::config::parse_town("town.toml", &town_toml).expect("town").leaf_address;
    let p = proxy::Proxy::start(hub.clone());
    let joined = std::fs::read_to_string(&files[0]).expect("join file").replace(&hub, &p.addr);
    std::fs::write(&files[0], joined).expect("rewrite");
    let a = TempStation::new();
    join(&a, &files[0]);
    let _s = Serve::start(&a, Some(NOW));
    take(&a, "C02");
    let count =
        |n: i64| move |s: &serde_json::Value| s.as_array().is_some_and(|a| a.iter().any(|x| x["tickets_today"] == n));
    town.until("the first ticket", count(1));

    let o = town.with_pin(&["town", "staff", "add", "900", "--name", "镇中心管理员"], "135790");
    assert!(o.status.success(), "{}", stderr(&o));
    let before = sync(&a)["catalogue_version"].as_i64().expect("the station's version");

    let mut total = 1;
    for (mode, tickets) in [(proxy::Mode::Silent, 5), (proxy::Mode::Reset, 5), (proxy::Mode::Slow, 3)] {
        p.set(mode);
        for _ in 0..tickets {
            take(&a, "A01");
            total += 1;
        }
        if mode != proxy::Mode::Slow {
            // The station notices the cut (a silent one by its pings) and keeps working.
            let deadline = Instant::now() + Duration::from_secs(40);
            while sync(&a)["connected"] == true {
                assert!(Instant::now() < deadline, "{mode:?}: the station did not notice the cut");
                std::thread::sleep(Duration::from_millis(200));
            }
            assert_eq!(town.station("s01")["tickets_today"], total - tickets, "{mode:?}: nothing crossed the cut");
        }
        if mode == proxy::Mode::Reset {
            // The town publishes a new list of matters while the station is cut off: the
            // station cannot have it yet and keeps working on the one it has.
            let v = town.import_matters(&crate::matters::with_new_matter(), "新增公共法律服务预约");
            assert_eq!(v["version"], 1, "{v}");
            assert_eq!(sync(&a)["catalogue_version"], before, "nothing crossed the cut");
            let o = a.kiosk(NOW, &["ticket", "take", "--matter", "J03", "--json"]);
            assert!(!o.status.success(), "J03 is not at the station yet: {}", stdout(&o));
        }
        p.set(proxy::Mode::Pass);
        town.until(&format!("caught up after {mode:?}"), count(total));
        if mode == proxy::Mode::Reset {
            // Healed: the station takes up the list published during the cut by itself,
            // says so at the town, and uses it.
            let deadline = Instant::now() + Duration::from_secs(60);
            while sync(&a)["catalogue_version"] != before + 1 {
                assert!(Instant::now() < deadline, "the list published during the cut: {}", sync(&a));
                std::thread::sleep(Duration::from_millis(200));
            }
            town.until("the town sees the new version in force", |s| s[0]["catalogue_version"] == before + 1);
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let o = town.kiosk(&["town", "matters", "rollout", "--json"]);
                let r: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap_or_default();
                if r[0]["station"] == "s01" && r[0]["version"] == 1 && r[0]["outcome"] == "applied" {
                    break;
                }
                assert!(Instant::now() < deadline, "s01 tells the town it applied version 1: {r}");
                std::thread::sleep(Duration::from_millis(200));
            }
            assert!(stdout(&a.kiosk(NOW, &["matters", "list"])).contains("J03"));
            take(&a, "J03");
            total += 1;
            town.until("the ticket of the new matter", count(total));
        }
    }
    // Every ticket, and the station's word that it applied the town's list (the town's
    // rollout reads it): each once, in order.
    let got = town.events("s01");
    let recorded: i64 = crate::util::db(&a).query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)).expect("q");
    assert_eq!(recorded, total + 1, "{got:?}");
    let seqs: Vec<i64> = got.iter().map(|e| e.0).collect();
    assert_eq!(seqs, (1..=recorded).collect::<Vec<_>>(), "each event once, in order");
    assert_eq!(got.iter().filter(|e| e.1 == "ticket.taken").count() as i64, total, "{got:?}");
    assert_eq!(got.iter().filter(|e| e.1 == "town.applied").count(), 1, "{got:?}");
}

/// `kiosk call ARGS… --staff 001 --json` at `t` (PIN on stdin): the ticket's JSON.
fn call(t: &TempStation, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["call"];
    all.extend_from_slice(args);
    all.extend(["--staff", "001", "--json"]);
    let o = t.kiosk_stdin(NOW, &all, &format!("{}\n", crate::cases::PIN));
    assert!(o.status.success(), "call {args:?}: {}", stderr(&o));
    serde_json::from_str(stdout(&o).trim()).expect("json")
}

/// Calls the next ticket to window 1, serves it and rates it `level` (a 差评 with its
/// reason): the ticket's number and receipt token.
fn serve_and_rate(t: &TempStation, level: u8) -> (String, String) {
    let next = call(t, &["next", "--window", "1"]);
    let (n, token) = (next["number"].as_str().expect("number"), next["token"].as_str().expect("token"));
    call(t, &["start", "--number", n, "--window", "1"]);
    call(t, &["finish", "--number", n, "--window", "1"]);
    let lv = level.to_string();
    let mut args = vec!["rate", "--token", token, "--level", &lv, "--json"];
    if level <= 2 {
        args.extend(["--reason", "attitude"]);
    }
    let o = t.kiosk(NOW, &args);
    assert!(o.status.success(), "rate: {}", stderr(&o));
    (n.to_string(), token.to_string())
}

/// How many rows `sql` counts in the town's store.
fn town_count(town: &Town, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(town.data().join("town.db")).expect("town.db");
    c.query_row(sql, [], |r| r.get(0)).expect("count")
}

/// Issue 15, §4: "a crash between the publish and marking the outbox row sent makes no
/// duplicate". The state such a crash leaves is made exactly: every event is at the town,
/// the station's service dies (`kill -9`) and its last rows are marked unsent again, as if
/// it had died after its server acknowledged them and before it wrote down that it had.
/// Started again, it sends them again; the town keeps each once and its totals do not move.
#[test]
#[ignore = "full suite (./test.sh): needs nats-server"]
fn a_crash_between_publishing_and_marking_sent_makes_no_duplicate() {
    let (town, files) = Town::init(&[("s01", "南刘庄村综合服务站")]);
    let a = TempStation::new();
    crate::cases::add_staff(&a.station_at(NOW));
    join(&a, &files[0]);
    let serve = Serve::start(&a, Some(NOW));
    for code in ["C02", "A01", "C01"] {
        take(&a, code);
    }
    // The last events are a call, its start and finish, and a 差评: what the town counts.
    serve_and_rate(&a, 1);
    let outbox =
        || -> i64 { crate::util::db(&a).query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)).expect("q") };
    let n = outbox();
    assert_eq!(n, 7, "3 taken, called, started, finished, rated");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(sync(&a)["outbox_pending"] == 0 && town.events("s01").len() as i64 == n) {
        assert!(Instant::now() < deadline, "the town confirms all {n}: {} {:?}", sync(&a), town.events("s01"));
        std::thread::sleep(Duration::from_millis(200));
    }
    let totals = || {
        (
            town.station("s01")["tickets_today"].clone(),
            town_count(&town, "SELECT count(*) FROM tickets WHERE station = 's01'"),
            town_count(&town, "SELECT count(*) FROM tickets WHERE station = 's01' AND status = 'served'"),
            town_count(&town, "SELECT count(*) FROM ratings WHERE station = 's01'"),
            town_count(&town, "SELECT count(*) FROM ratings WHERE station = 's01' AND level <= 2"),
        )
    };
    let before = totals();
    assert_eq!(before, (serde_json::json!(3), 3, 1, 1, 1));

    // The crash: the service killed outright (its NATS server goes with it) ...
    let nats = std::fs::read_to_string(a.data_dir().join("nats/nats-server.pid")).expect("pid file");
    let _ = Command::new("kill").arg("-9").arg(serve.pid().to_string()).status();
    drop(serve);
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(&nats) {
        assert!(Instant::now() < deadline, "nats-server {nats} outlived its killed service");
        std::thread::sleep(Duration::from_millis(50));
    }
    // ... after publishing its last four events and before marking them sent.
    let c = rusqlite::Connection::open(a.data_dir().join("kiosk.db")).expect("kiosk.db");
    let unmarked = c.execute("UPDATE outbox SET sent_at = NULL WHERE seq > ?1", [n - 4]).expect("unmark");
    drop(c);
    assert_eq!(unmarked, 4);
    assert_eq!(sync(&a)["outbox_pending"], 4);

    let _serve = Serve::start(&a, Some(NOW));
    let deadline = Instant::now() + Duration::from_secs(60);
    while sync(&a)["outbox_pending"] != 0 {
        assert!(Instant::now() < deadline, "the station sends its unmarked events again: {}", sync(&a));
        std::thread::sleep(Duration::from_millis(200));
    }
    // A new event after the repeat is taken in after it, once: the link works on.
    take(&a, "B01");
    town.until("the ticket after the restart", |s| s[0]["tickets_today"] == 4);
    let got: Vec<i64> = town.events("s01").iter().map(|e| e.0).collect();
    assert_eq!(got, (1..=n + 1).collect::<Vec<_>>(), "each event once, in order");
    assert_eq!(got.len() as i64, outbox(), "the town holds as many events as the station's outbox");
    let after = totals();
    assert_eq!(after, (serde_json::json!(4), 4, 1, 1, 1), "the repeat moved no total (before: {before:?})");
    assert_eq!(town_count(&town, "SELECT count(*) FROM gaps WHERE station = 's01'"), 0, "no gap either");
}

/// A small deterministic sequence (printed seed: a failing run can be replayed).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

#[test]
#[ignore = "full suite (./test.sh): needs nats-server"]
fn six_stations_through_random_kills_lose_nothing_and_repeat_nothing() {
    let names: Vec<(String, String)> = (1..=6).map(|i| (format!("s0{i}"), format!("{i}村综合服务站"))).collect();
    let refs: Vec<(&str, &str)> = names.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
    let (mut town, files) = Town::init(&refs);
    // Each station dials the town through its own fault proxy.
    let town_toml = std::fs::read_to_string(town.cfg().join("town.toml")).expect("town.toml");
    let hub = kiosk::config::parse_town("town.toml", &town_toml).expect("town").leaf_address;
    let proxies: Vec<proxy::Proxy> = files.iter().map(|_| proxy::Proxy::start(hub.clone())).collect();
    for (f, p) in files.iter().zip(&proxies) {
        let joined = std::fs::read_to_string(f).expect("join file").replace(&hub, &p.addr);
        std::fs::write(f, joined).expect("rewrite");
    }
    let stations: Vec<TempStation> = (0..6).map(|_| TempStation::new()).collect();
    for (t, f) in stations.iter().zip(&files) {
        join(t, f);
    }
    let mut serves: Vec<Option<Serve>> = stations.iter().map(|t| Some(Serve::start(t, Some(NOW)))).collect();
    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(7);
    eprintln!("random kills and link faults, seed {seed}");
    let mut dice = Dice(seed);
    let mut taken = [0i64; 6];
    let mut faulty: Option<usize> = None;
    for round in 0..6 {
        // A station's link fails (cut with a reset, goes silent, or slows down) until the next
        // round heals it.
        if let Some(j) = faulty.take() {
            proxies[j].set(proxy::Mode::Pass);
        }
        let j = dice.roll(6);
        let mode = [proxy::Mode::Reset, proxy::Mode::Silent, proxy::Mode::Slow][dice.roll(3)];
        eprintln!("round {round}: the link of s0{} {mode:?}", j + 1);
        proxies[j].set(mode);
        faulty = Some(j);
        // Something dies: a station's service (its NATS server with it), a station's NATS
        // server on its own (its supervisor starts it again), or the town (its server with
        // it). (A station's server killed alone once seemed not to come back: its port had
        // been taken meanwhile by another test's `:0` socket; the test's ports are now below
        // the ephemeral range.)
        let victim = dice.roll(3);
        let who = dice.roll(6);
        match victim {
            0 => serves[who] = None,
            1 => {
                let pid =
                    std::fs::read_to_string(stations[who].data_dir().join("nats/nats-server.pid")).unwrap_or_default();
                let _ = Command::new("kill").args(["-9", pid.trim()]).status();
            }
            _ => {
                if let Some(mut c) = town.child.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
            }
        }
        // The stations go on issuing tickets (the command line needs no service).
        for _ in 0..4 {
            let i = dice.roll(6);
            take(&stations[i], if round % 2 == 0 { "C02" } else { "A01" });
            taken[i] += 1;
        }
        // And come back.
        if serves[who].is_none() {
            serves[who] = Some(Serve::start(&stations[who], Some(NOW)));
        }
        if town.child.is_none() {
            town.start();
        }
    }
    if let Some(j) = faulty.take() {
        proxies[j].set(proxy::Mode::Pass);
    }
    // A link that went silent is noticed by the NATS pings before it is dialled again.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let s = town.status();
        let done = s.as_array().is_some_and(|a| {
            a.len() == 6
                && a.iter().all(|x| {
                    let i = x["station"].as_str().and_then(|c| c[1..].parse::<usize>().ok()).unwrap_or(0);
                    i >= 1 && x["tickets_today"] == taken[i - 1]
                })
        });
        if done {
            break;
        }
        if Instant::now() > deadline {
            let mut why = String::new();
            for (i, t) in stations.iter().enumerate() {
                let c = crate::util::db(t);
                let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap_or(-1);
                let code = format!("s0{}", i + 1);
                let monitor = kiosk::config::parse_join(
                    "j",
                    &std::fs::read_to_string(t.config_dir().join("town-join.toml")).unwrap_or_default(),
                )
                .map(|j| j.nats_monitor)
                .unwrap_or_default();
                let jsz = std::process::Command::new("curl")
                    .args(["-s", &format!("http://{monitor}/jsz?streams=true")])
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
                    .unwrap_or_default();
                let msgs = jsz
                    .split("\"messages\":")
                    .nth(1)
                    .map(|x| x.chars().take_while(|c| c.is_ascii_digit()).collect::<String>());
                why.push_str(&format!(
                    "{code}: taken {} outbox {} unsent {} stream {:?} town {}\n",
                    taken[i],
                    q("SELECT count(*) FROM outbox"),
                    q("SELECT count(*) FROM outbox WHERE sent_at IS NULL"),
                    msgs,
                    town.events(&code).len()
                ));
            }
            panic!("not caught up (seed {seed}):\n{why}{s}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    for (i, t) in stations.iter().enumerate() {
        let code = format!("s0{}", i + 1);
        let got: Vec<i64> = town.events(&code).iter().map(|e| e.0).collect();
        let recorded: i64 =
            crate::util::db(t).query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)).expect("outbox");
        assert_eq!(got, (1..=recorded).collect::<Vec<_>>(), "{code} (seed {seed}): each event once, in order");
    }
    // (A gap may have been noticed on the way — an event lost by a killed server arrives
    // after later ones when sent again — and is filled: every sequence is there, above.)
}

/// The town's site over HTTP: signs in with the town's PIN (locked after five wrong),
/// shows every station live, publishes a list of matters after its check and review (a
/// forged CSRF token does nothing), and gives the township's report as page, CSV and PDF.
#[test]
#[ignore = "full suite (./test.sh): needs nats-server"]
fn the_town_site_shows_every_station_live_and_publishes_for_all() {
    let (town, files) = Town::init(&[("s01", "南刘庄村综合服务站"), ("s02", "北刘庄村综合服务站")]);
    let a = TempStation::new();
    crate::cases::add_staff(&a.station_at(NOW));
    join(&a, &files[0]);
    let _sa = Serve::start(&a, Some(NOW));
    take(&a, "C02");
    take(&a, "A01");
    town.until("s01's tickets", |s| s[0]["tickets_today"] == 2);
    let o = town.with_pin(&["town", "staff", "add", "T01", "--name", "王镇"], "246813");
    assert!(o.status.success(), "{}", stderr(&o));
    let url = |p: &str| format!("http://{}{p}", town.site);
    let client = crate::util::http();
    let form = |path: &str, cookie: Option<&str>, fields: &[(&str, &str)]| {
        let mut req = client.post(&url(path));
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        let mut r = req.send_form(fields.iter().copied()).expect("post");
        let status = r.status().as_u16();
        let to = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let set = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        (status, to, set, r.body_mut().read_to_string().unwrap_or_default())
    };
    let page = |path: &str, cookie: &str| {
        let mut r = client.get(&url(path)).header("Cookie", cookie).call().expect("get");
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
    };

    // Without a session: the sign-in page, and a change is refused before its body is read.
    let (s, body) = crate::util::get(&url("/"));
    assert!(s == 200 && body.contains("工作人员登录") && !body.contains("南刘庄"), "{s} {body}");
    assert_eq!(form("/publish/matters/confirm", None, &[("note", "x")]).0, 401);
    assert_eq!(form("/login", None, &[("staff", "T01"), ("pin", "111111")]).0, 401);
    let (s, to, set, _) = form("/login", None, &[("staff", "T01"), ("pin", "246813")]);
    assert_eq!((s, to.as_str()), (303, "/"));
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let cookie = set.split(';').next().expect("cookie").to_string();

    // All stations at a glance: s01 online with its two tickets, s02 never linked.
    let (s, body) = page("/", &cookie);
    assert_eq!(s, 200);
    for needle in ["南刘庄村综合服务站", "北刘庄村综合服务站", "从未连上", "今天全镇取号 <b>2</b>"]
    {
        assert!(body.contains(needle), "{needle:?} missing:\n{body}");
    }
    // s02 (never linked) needs attention before s01.
    assert!(body.find("北刘庄").expect("s02") < body.find("南刘庄").expect("s01"), "{body}");
    // Live: a ticket taken at the station reaches the open overview without a reload.
    let watcher = crate::util::follow(&url("/live"), Some(&cookie), Duration::from_secs(30), |ev, d| {
        ev == "panel" && d.contains("今天全镇取号 <b>3</b>")
    });
    watcher.connected();
    take(&a, "B01");
    let (_, html, _) = watcher.join().expect("the overview followed the station");
    assert!(html.contains("南刘庄"));
    let (s, body) = page("/station/s01", &cookie);
    assert!(s == 200 && body.contains("今天的排队") && body.contains("C001") && body.contains("报平安记录"), "{body}");
    assert_eq!(page("/station/s99", &cookie).0, 404);
    // One station's page also shows its recent calls and its ratings with their follow-up:
    // a ticket called, served and given a 差评 at s01; the head assigns it, 001 puts it right.
    let (called, _) = serve_and_rate(&a, 1);
    let station_page_until = |what: &str, found: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, body) = page("/station/s01", &cookie);
            if found(&body) {
                return body;
            }
            assert!(Instant::now() < deadline, "{what} on the station's page:\n{body}");
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    let call_row = format!("<td>{called}</td><td>1</td><td>001</td>");
    let body = station_page_until("the call and the 差评", &|b| b.contains(&call_row) && b.contains("非常不满意"));
    assert!(body.contains("最近叫号") && body.contains("近30天的评价"), "{body}");
    assert!(body.contains("工作人员态度不好") && body.contains("整改中"), "the reason, not yet put right:\n{body}");
    {
        let mut st = a.station_at(NOW);
        let head = crate::cases::signed(&st, "003");
        let f = st.followups(&head).expect("followups").into_iter().next().expect("the 差评");
        st.assign_followup(&head, f.id, f.version, "001").expect("assign");
        let who = crate::cases::signed(&st, "001");
        st.record_followup(&who, f.id, f.version + 1, "已当面道歉").expect("put right");
    }
    let body = station_page_until("the follow-up done", &|b| b.contains("已整改"));
    assert!(!body.contains("已当面道歉"), "the follow-up's words stay at the station");

    // Matters for every village: a broken file is refused by line; a good one is checked,
    // its changes shown, and published with a note — not with a forged token.
    let (_, body) = page("/publish/matters", &cookie);
    let csrf = body.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("csrf").to_string();
    let (s, _, _, body) =
        form("/publish/matters/check", Some(&cookie), &[("csrf", &csrf), ("source", "[[matter]]\ncode = 1\n")]);
    assert!(s == 422 && body.contains("没有发布"), "{s} {body}");
    let v1 = crate::matters::with_new_matter();
    let (s, _, _, body) = form("/publish/matters/check", Some(&cookie), &[("csrf", &csrf), ("source", &v1)]);
    assert!(
        s == 200 && body.contains("新增事项") && body.contains("J03") && body.contains("发布为第1版"),
        "{s} {body}"
    );
    let forged =
        form("/publish/matters/confirm", Some(&cookie), &[("csrf", "x"), ("source", &v1), ("note", "新增法律服务")]);
    assert_eq!(forged.0, 403);
    let (s, to, _, _) =
        form("/publish/matters/confirm", Some(&cookie), &[("csrf", &csrf), ("source", &v1), ("note", "新增法律服务")]);
    assert_eq!((s, to.as_str()), (303, "/publish/matters"));
    let (_, body) = page("/publish/matters", &cookie);
    assert!(body.contains("已发布第1版") && body.contains("新增法律服务"), "{body}");
    // The station takes it up and says so; the page shows the rollout.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, body) = page("/publish/matters", &cookie);
        if body.contains("已采用") {
            break;
        }
        assert!(Instant::now() < deadline, "s01 applies the town's list: {body}");
        std::thread::sleep(Duration::from_millis(300));
    }
    let o = a.kiosk(NOW, &["matters", "list"]);
    assert!(stdout(&o).contains("J03"), "{}", stdout(&o));

    // Rollback at the town, as at the station: a version 2 without J03, then back to
    // version 1 — reviewed first, confirmed with a note, published as version 3.
    let (s, to, _, _) = form(
        "/publish/matters/confirm",
        Some(&cookie),
        &[("csrf", &csrf), ("source", kiosk::config::SHIPPED_MATTERS), ("note", "暂停法律服务预约")],
    );
    assert_eq!((s, to.as_str()), (303, "/publish/matters"));
    let (_, body) = page("/publish/matters", &cookie);
    assert!(body.contains("/publish/matters/rollback?version=1") && body.contains("回滚到这一版"), "{body}");
    let (s, body) = page("/publish/matters/rollback?version=1", &cookie);
    assert_eq!(s, 200, "{body}");
    for needle in ["核对回滚", "J03", "name=\"note\"", "required", "确认回滚：用第1版的内容发布为第3版", "不回滚，返回"]
    {
        assert!(body.contains(needle), "{needle:?} missing from the rollback's review:\n{body}");
    }
    let versions = || stdout(&town.kiosk(&["town", "matters", "rollout", "--json"]));
    let published = || page("/publish/matters", &cookie).1.contains("第3版");
    assert!(!published(), "the review publishes nothing");
    assert_eq!(page("/publish/matters/rollback?version=9", &cookie).0, 404);
    // Without a note, a session or the page's token: nothing is rolled back.
    let (s, to, _, _) = form("/publish/matters/rollback", Some(&cookie), &[("csrf", &csrf), ("version", "1")]);
    assert_eq!((s, to.as_str()), (303, "/publish/matters/rollback?version=1"));
    let (_, body) = page("/publish/matters/rollback?version=1", &cookie);
    assert!(body.contains("回滚要写说明"), "{body}");
    assert_eq!(form("/publish/matters/rollback", None, &[("version", "1"), ("note", "x")]).0, 401);
    let forged = form("/publish/matters/rollback", Some(&cookie), &[("csrf", "x"), ("version", "1"), ("note", "x")]);
    assert_eq!(forged.0, 403);
    assert!(!published(), "nothing rolled back");
    let (s, to, _, _) = form(
        "/publish/matters/rollback",
        Some(&cookie),
        &[("csrf", &csrf), ("version", "1"), ("note", "恢复法律服务预约")],
    );
    assert_eq!((s, to.as_str()), (303, "/publish/matters"));
    let (_, body) = page("/publish/matters", &cookie);
    assert!(body.contains("已回滚：第3版用第1版的内容") && body.contains("恢复法律服务预约"), "{body}");
    // The station takes up version 3: J03 is back.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(versions().contains("\"version\":3") && versions().contains("\"outcome\":\"applied\"")) {
        assert!(Instant::now() < deadline, "s01 applies the rollback: {}", versions());
        std::thread::sleep(Duration::from_millis(300));
    }
    let o = a.kiosk(NOW, &["matters", "list"]);
    assert!(stdout(&o).contains("J03"), "{}", stdout(&o));

    // The 差评 reasons for every village: the page starts from the shipped list; a new
    // list reaches the station's rating forms.
    let (_, body) = page("/publish/reasons", &cookie);
    assert!(body.contains("等候时间太长"), "the shipped list to start from: {body}");
    let reasons = "[[reason]]\nkey = \"queue\"\nlabel = \"排队太久\"\n\n[[reason]]\nkey = \"ramp\"\nlabel = \"门口没有坡道\"\n\n[[reason]]\nkey = \"other\"\nlabel = \"其他\"\n";
    let (s, _, _, body) = form(
        "/publish/reasons/check",
        Some(&cookie),
        &[("csrf", &csrf), ("source", "[[reason]]\nkey = \"a\"\nlabel = \"排队太久\"\n")],
    );
    assert!(s == 422 && body.contains("2 到 10 个原因"), "{s} {body}");
    let (s, _, _, body) = form("/publish/reasons/check", Some(&cookie), &[("csrf", &csrf), ("source", reasons)]);
    assert!(s == 200 && body.contains("门口没有坡道"), "{s} {body}");
    let (s, _, _, _) = form(
        "/publish/reasons/confirm",
        Some(&cookie),
        &[("csrf", &csrf), ("source", reasons), ("note", "按群众意见调整")],
    );
    assert_eq!(s, 303);
    let deadline = Instant::now() + Duration::from_secs(60);
    while a.station_at(NOW).rating_reasons().expect("reasons").list().len() != 3 {
        assert!(Instant::now() < deadline, "s01 takes up the town's reasons");
        std::thread::sleep(Duration::from_millis(300));
    }
    let applied = a.station_at(NOW).rating_reasons().expect("reasons");
    assert_eq!(applied.find("ramp"), Some("门口没有坡道"));
    let o = town.kiosk(&["town", "reasons", "rollout", "--json"]);
    assert!(stdout(&o).contains("\"outcome\":\"applied\""), "{}", stdout(&o));

    // Notices and the township report.
    let (s, _, _, _) = form(
        "/publish/notices/confirm",
        Some(&cookie),
        &[("csrf", &csrf), ("home", "社保年审在村里办"), ("display", "")],
    );
    assert_eq!(s, 303);
    let (s, body) = page("/reports?month=2026-11", &cookie);
    assert!(s == 200 && body.contains("各站点比较") && body.contains("南刘庄村综合服务站"), "{body}");
    let mut r =
        client.get(&url("/reports/file?format=csv&month=2026-11")).header("Cookie", &cookie).call().expect("csv");
    assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("text/csv; charset=utf-8"));
    let csv = r.body_mut().read_to_string().expect("csv");
    assert!(csv.starts_with('\u{feff}') && csv.contains("s01,南刘庄村综合服务站,3,"), "{csv}");
    let mut r =
        client.get(&url("/reports/file?format=pdf&month=2026-11")).header("Cookie", &cookie).call().expect("pdf");
    let pdf = r.body_mut().read_to_vec().expect("pdf");
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    assert_eq!(page("/reports?month=yesterday", &cookie).0, 400);
    let (_, body) = page("/audit", &cookie);
    for needle in ["登录", "发布事项清单", "发布通知", "新增法律服务"] {
        assert!(body.contains(needle), "{needle:?} missing from the audit:\n{body}");
    }

    // Signed out, the cookie opens nothing; five wrong PINs lock the number.
    let (_, body) = page("/", &cookie);
    let csrf = body.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("csrf").to_string();
    assert_eq!(form("/logout", Some(&cookie), &[("csrf", &csrf)]).0, 303);
    let (_, body) = page("/", &cookie);
    assert!(body.contains("工作人员登录"));
    // A reloaded or bookmarked /login leads back to the sign-in form, not to a refusal.
    let r = client.get(&url("/login")).call().expect("get /login");
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers().get("location").and_then(|l| l.to_str().ok()), Some("/"));
    // One PC gets three tries, then waits (as at the station's desk): it alone cannot lock
    // the number.
    for _ in 0..3 {
        assert_eq!(form("/login", None, &[("staff", "T01"), ("pin", "000000")]).0, 401);
    }
    let (s, _, _, body) = form("/login", None, &[("staff", "T01"), ("pin", "000000")]);
    assert!(s == 429 && body.contains("请2分钟后再试"), "{s} {body}");
    // Of those, only the PC's counted tries (three since the site started, one of them the
    // slip before the first sign-in) count; three more wrong PINs elsewhere (the command
    // line) make five: the number is locked, on the command line too.
    let notices = ["town", "notices", "set", "--home", "x", "--display", "", "--staff", "T01"];
    for _ in 0..3 {
        assert_eq!(town.with_pin(&notices, "000000").status.code(), Some(2));
    }
    let o = town.with_pin(&notices, "246813");
    assert_eq!(o.status.code(), Some(2), "the command line is locked out too: {}", stderr(&o));
    assert!(stderr(&o).contains("锁定"), "{}", stderr(&o));

    // Off the box the town's site is HTTPS only, with the town server's certificate.
    let mut town = town;
    town.stop();
    let port = free_port();
    town.site = format!("0.0.0.0:{port}");
    town.start();
    let ca = std::fs::read_to_string(town.cfg().join("town-pki").join("ca.pem")).expect("the town's CA");
    let deadline = Instant::now() + Duration::from_secs(30);
    let answer = loop {
        match crate::util::https_request(
            "127.0.0.1",
            port,
            &ca,
            "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        ) {
            Ok(a) => break a,
            Err(e) => {
                assert!(Instant::now() < deadline, "the town's site over HTTPS: {e}");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    };
    assert!(answer.0 == 200 && answer.2.contains("工作人员登录"), "{answer:?}");
    let plain = client.get(&format!("http://127.0.0.1:{port}/")).call();
    assert!(plain.is_err() || plain.is_ok_and(|r| r.status() != 200), "no plain HTTP off the box");
}

/// The station's (masked) view of a case, as `kiosk request status --json` prints it.
fn case_status(t: &TempStation, tracking: &str) -> serde_json::Value {
    let o = t.kiosk(NOW, &["request", "status", tracking, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(stdout(&o).trim()).expect("json")
}

fn advance_at_station(t: &TempStation, tracking: &str, to: &str, note: &str) {
    let mut args = vec!["request", "advance", tracking, "--to", to, "--staff", "001"];
    if !note.is_empty() {
        args.extend(["--note", note]);
    }
    let o = t.kiosk_stdin(NOW, &args, &format!("{}\n", crate::cases::PIN));
    assert!(o.status.success(), "{to}: {}", stderr(&o));
}

impl Town {
    fn cases(&self) -> serde_json::Value {
        let o = self.kiosk(&["town", "cases", "--json", "--all"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(stdout(&o).trim()).expect("json")
    }
    fn case(&self, key: &str) -> serde_json::Value {
        let o = self.kiosk(&["town", "case", "show", key, "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(stdout(&o).trim()).expect("json")
    }
    /// Waits until the town's case `key` satisfies `check`.
    fn until_case(&self, key: &str, what: &str, check: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let all = self.cases();
            let found = all.as_array().and_then(|a| {
                a.iter()
                    .find(|c| {
                        format!("{}:{}", c["station"].as_str().unwrap_or(""), c["tracking"].as_str().unwrap_or(""))
                            == key
                    })
                    .cloned()
            });
            if let Some(c) = found.filter(|c| check(c)) {
                return c;
            }
            assert!(Instant::now() < deadline, "{what}: not within 60 s; the town has {all}");
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    fn advance(&self, key: &str, to: &str, note: &str) -> std::process::Output {
        self.with_pin(&["town", "case", "advance", key, "--to", to, "--note", note, "--staff", "T01"], "246813")
    }
}

/// Waits until the station's case satisfies `check`.
fn until_status(
    t: &TempStation,
    tracking: &str,
    what: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = case_status(t, tracking);
        if check(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within 60 s; the station says {v}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
#[ignore = "full suite (./test.sh): needs nats-server"]
fn a_case_handed_to_the_town_comes_back_step_by_step_through_cuts_and_kills() {
    let (mut town, files) = Town::init(&[("s01", "南刘庄村综合服务站"), ("s02", "北刘庄村综合服务站")]);
    let a = TempStation::new();
    let mut st = a.station_at(NOW);
    crate::cases::add_staff(&st);
    let mut submit = |matter: &str| st.submit_case(&crate::cases::request(matter, &[])).expect("submit").case.tracking;
    let (t1, t2, t3) = (submit("C01"), submit("C01"), submit("A01"));
    drop(st);
    join(&a, &files[0]);
    let o = town.with_pin(&["town", "staff", "add", "T01", "--name", "王镇"], "246813");
    assert!(o.status.success(), "{}", stderr(&o));
    let mut serve = Serve::start(&a, Some(NOW));
    for t in [&t1, &t2] {
        advance_at_station(&a, t, "accepted", "");
        advance_at_station(&a, t, "submitted", "随交接单送镇便民服务中心");
    }
    let k1 = format!("s01:{t1}");
    let k2 = format!("s01:{t2}");
    // The case reaches the town with what the town needs, the person masked in the list.
    let c = town.until_case(&k1, "the first case at the town", |c| c["state"] == "submitted");
    assert_eq!(c["matter"], "C01", "{c}");
    assert!(c["due"].as_str().is_some_and(|d| d.len() == 10), "a due date YYYY-MM-DD: {c}");
    assert!(c["id_number"].as_str().is_some_and(|i| i.contains("****") && i.len() == 18), "masked: {c}");
    assert!(!town.cases().to_string().contains(crate::cases::ID), "the list never shows the ID");
    let list = stdout(&town.kiosk(&["town", "cases", "--json"]));
    let v: serde_json::Value = serde_json::from_str(list.trim()).expect("json");
    for key in ["station", "tracking", "matter", "state", "due"] {
        assert!(v[0].get(key).is_some(), "{key} in {v}");
    }

    // The town's inbox on its site: the case, masked; a USB scanner types the 交接单's QR
    // code into the scan box: 已接收.
    let client = crate::util::http();
    let url = |p: &str| format!("http://{}{p}", town.site);
    let mut r = client.post(&url("/login")).send_form([("staff", "T01"), ("pin", "246813")]).expect("login");
    let set = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let cookie = set.split(';').next().expect("cookie").to_string();
    let _ = r.body_mut().read_to_string();
    let get = |p: &str| {
        let mut r = client.get(&url(p)).header("Cookie", &cookie).call().expect("get");
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
    };
    let (st_code, inbox) = get("/cases");
    assert_eq!(st_code, 200, "{inbox}");
    assert!(
        inbox.contains(&t2) && inbox.contains("南刘庄村综合服务站") && !inbox.contains(crate::cases::ID),
        "{inbox}"
    );
    let token =
        inbox.split("name=\"csrf\" value=\"").nth(1).and_then(|t| t.split('"').next()).expect("csrf").to_string();
    let r = client
        .post(&url("/cases/scan"))
        .header("Cookie", &cookie)
        .send_form([("csrf", token.as_str()), ("code", &format!("S01:{}", t2.replace('-', "")))])
        .expect("scan");
    assert_eq!(r.status().as_u16(), 303);
    town.until_case(&k2, "scanned in", |c| c["state"] == "received");
    let (_, page) = get(&format!("/cases/s01/{t2}"));
    assert!(page.contains("镇中心已接收") && !page.contains(crate::cases::ID), "{page}");
    // The papers the station printed came up with the case: the 代办受理回执 opens as a PDF,
    // and the look is in the town's audit trail.
    assert!(page.contains("服务站打印的单据") && page.contains("查看代办受理回执"), "{page}");
    let mut r = client
        .post(&url(&format!("/cases/s01/{t2}/doc/case-receipt")))
        .header("Cookie", &cookie)
        .send_form([("csrf", token.as_str())])
        .expect("doc");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let pdf = r.body_mut().read_to_vec().unwrap_or_default();
    assert!(pdf.starts_with(b"%PDF") && pdf.len() > 1000, "a PDF: {} bytes", pdf.len());
    let (_, audit) = get("/audit");
    assert!(audit.contains("查看代办件的单据") || audit.contains("case-doc"), "{audit}");

    // 已接收 at the town: the station and the villager's page see it.
    let o = town.advance(&k1, "received", "");
    assert!(o.status.success(), "{}", stderr(&o));
    let s = until_status(&a, &t1, "已接收 at the station", |v| v["state"] == "received");
    assert!(s.to_string().contains("镇便民服务中心已接收"), "{s}");
    // An illegal move at the town: exit 2 with the reason.
    let o = town.advance(&k1, "received", "");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("不能从"), "{}", stderr(&o));
    let o = town.advance(&k1, "forwarded", "");
    assert_eq!(o.status.code(), Some(2), "a forward names the department: {}", stderr(&o));

    // A cut: the town goes away; both sides go on recording.
    town.stop();
    let o = town.advance(&k1, "forwarded", "县人社局");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = town.advance(&k2, "completed", "已审批，请带身份证领取");
    assert!(o.status.success(), "{}", stderr(&o));
    advance_at_station(&a, &t2, "withdrawn", "村民说不办了");
    advance_at_station(&a, &t3, "accepted", "");
    advance_at_station(&a, &t3, "submitted", "送镇中心");
    // And the station's service is killed outright in the middle of it.
    let _ = Command::new("kill").arg("-9").arg(serve.pid().to_string()).status();
    std::thread::sleep(Duration::from_millis(500));
    serve = Serve::start(&a, Some(NOW));
    town.start();
    let s = until_status(&a, &t1, "已转 after the cut", |v| v["state"] == "forwarded");
    assert!(s.to_string().contains("已转县人社局办理"), "{s}");
    town.until_case(&format!("s01:{t3}"), "the case handed during the cut", |c| c["state"] == "submitted");
    // Withdrawn at the station, completed at the town: a conflict at both ends, nothing
    // overwritten.
    let c = town.until_case(&k2, "the conflict at the town", |c| c["conflict"].is_string());
    assert_eq!(c["state"], "completed", "{c}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let o = a.kiosk(NOW, &["request", "list", "--json"]);
        let all = stdout(&o);
        let st = a.station_at(NOW);
        let case = st.find_case(&t2).expect("find").expect("case");
        if case.conflict.is_some() {
            assert_eq!(case.state, kiosk::domain::case::CaseState::Withdrawn);
            assert!(case.conflict.as_deref().is_some_and(|c| c.contains("已办结")), "{:?}", case.conflict);
            break;
        }
        assert!(Instant::now() < deadline, "the conflict at the station: {all}");
        std::thread::sleep(Duration::from_millis(300));
    }
    // The town kills its service too (-9): the steps still arrive, each once.
    let o = town.advance(&k1, "completed", "已批准，请到本站领取待遇核定通知");
    assert!(o.status.success(), "{}", stderr(&o));
    if let Some(mut c) = town.child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
    town.start();
    let s = until_status(&a, &t1, "办结 at the station", |v| v["state"] == "completed");
    assert!(s.to_string().contains("已办结，请到本站领取"), "{s}");
    let steps = town.case(&k1);
    let town_moves: Vec<_> = steps["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["origin"] == "town")
        .map(|s| s["to"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(town_moves, ["received", "forwarded", "completed"], "{steps}");
    let st = a.station_at(NOW);
    let case = st.find_case(&t1).expect("find").expect("case");
    let from_town = st
        .case_events(&case)
        .expect("events")
        .iter()
        .filter(|e| e.staff_no.as_deref() == Some("镇:T01"))
        .map(|e| e.to_state.map(|s| s.key()).unwrap_or(""))
        .collect::<Vec<_>>();
    assert_eq!(from_town, ["received", "forwarded", "completed"], "each town step once, in order");

    // Retention: the station masks its cases (all past the period a year on); the town's copy
    // is masked and the events that carried the person are erased from both streams. No
    // file of either data folder (stores, logs, NATS) holds the full ID number any more.
    let has_id = |dir: &Path| {
        let o = Command::new("grep").arg("-rlaF").arg(crate::cases::ID).arg(dir).output().expect("grep");
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let before = has_id(&town.data());
    assert!(
        before.contains("town.db") && before.contains("nats"),
        "the person went up, to the store and the stream: {before}"
    );
    let later = "2027-12-01T09:30:00+08:00";
    let o = a.kiosk(later, &["purge", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for k in [&k1, &k2, &format!("s01:{t3}")] {
        town.until_case(k, "masked at the town", |c| c["id_number"].as_str().is_some_and(|i| i.contains('*')));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (here, there) = (has_id(&a.data_dir()), has_id(&town.data()));
        if here.is_empty() && there.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "the full ID number is still in: {here} {there}");
        std::thread::sleep(Duration::from_millis(500));
    }
    // The papers went with the masking too.
    let db =
        rusqlite::Connection::open_with_flags(town.data().join("town.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("town.db");
    let left: i64 = db.query_row("SELECT count(*) FROM case_docs", [], |r| r.get(0)).expect("case_docs");
    assert_eq!(left, 0, "no paper of a masked case is kept at the town");
    let pdfs: i64 = db
        .query_row("SELECT count(*) FROM events WHERE kind LIKE 'case.doc.%' AND body LIKE '%\"pdf\"%'", [], |r| {
            r.get(0)
        })
        .expect("events");
    assert_eq!(pdfs, 0, "the events table never keeps a paper's PDF");
    drop(serve);
}

/// The town's site on the same check as the station's pages: axe-core (WCAG 2.2 AA and best
/// practice) on every page, the 代办 inbox and a case included, at normal and large text;
/// with `KIOSK_SCREENSHOTS=DIR` the pictures are written there.
#[test]
#[ignore = "full suite (./test.sh): needs chromium, chromedriver and nats-server"]
fn every_town_page_passes_the_accessibility_check_at_normal_and_large_text() {
    use crate::webdriver::Browser;
    let axe = crate::browser::axe_source();
    let (town, files) = Town::init(&[("s01", "南刘庄村综合服务站")]);
    let a = TempStation::new();
    let mut st = a.station_at(NOW);
    crate::cases::add_staff(&st);
    let submitted = st.submit_case(&crate::cases::request("C01", &[])).expect("submit");
    let (t1, status_url) = (submitted.case.tracking, submitted.status_url);
    drop(st);
    join(&a, &files[0]);
    let o = town.with_pin(&["town", "staff", "add", "T01", "--name", "王镇"], "246813");
    assert!(o.status.success(), "{}", stderr(&o));
    let serve = Serve::start(&a, Some(NOW));
    advance_at_station(&a, &t1, "accepted", "");
    advance_at_station(&a, &t1, "submitted", "随交接单送镇便民服务中心");
    // The day's 代办交接单 the station prints for the trip (a picture with KIOSK_SCREENSHOTS).
    let sheet = a.data_dir().join("handover.pdf");
    let o = a.kiosk(NOW, &["request", "handover", "--out", sheet.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    crate::util::pdf_picture(&sheet, "handover");
    town.until_case(&format!("s01:{t1}"), "the case at the town", |c| c["state"] == "submitted");
    for (to, note) in [("received", ""), ("forwarded", "县民政局")] {
        let o = town.advance(&format!("s01:{t1}"), to, note);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    until_status(&a, &t1, "the town's steps at the station", |v| v["state"] == "forwarded");

    let b = Browser::start(1366, 900);
    let url = |p: &str| format!("http://{}{p}", town.site);
    b.goto(&url("/"));
    b.wait_for("form[action='/login']", Duration::from_secs(10));
    let mut report = Vec::new();
    let mut check = |what: &str, b: &Browser| {
        let found = crate::browser::axe_violations(b, &axe);
        if !found.is_empty() {
            report.push(format!("{what}:\n  {}", found.join("\n  ")));
        }
    };
    check("/ (sign-in)", &b);
    b.find("input[name=staff]").send_keys("T01");
    b.find("input[name=pin]").send_keys("246813");
    b.find("form[action='/login'] button[type=submit]").click();
    b.wait_for("header.bar", Duration::from_secs(10));
    let shots = std::env::var_os("KIOSK_SCREENSHOTS").map(PathBuf::from);
    let case = format!("/cases/s01/{t1}");
    let pages = [
        ("/", "town-overview"),
        ("/station/s01", "town-station"),
        ("/publish/matters", "town-matters"),
        ("/publish/holidays", "town-holidays"),
        ("/publish/notices", "town-notices"),
        ("/publish/reasons", "town-reasons"),
        ("/reports", "town-reports"),
        ("/audit", "town-audit"),
        ("/cases", "town-cases"),
        (case.as_str(), "town-case"),
    ];
    for large in [false, true] {
        for (path, name) in pages {
            b.goto(&url(path));
            b.wait_for("h1", Duration::from_secs(10));
            if large {
                // Large text as a person sets it at a PC: the browser's zoom at 200% (WCAG's
                // resize-text; the pages' sizes are in px, which zoom scales and reflows).
                b.execute("document.documentElement.style.zoom = '2'; return 1;", vec![]);
            }
            check(&format!("{path}{}", if large { " (large text)" } else { "" }), &b);
            if let Some(dir) = &shots {
                let _ = std::fs::create_dir_all(dir);
                b.screenshot(&dir.join(format!("{name}{}.png", if large { "-large" } else { "" })));
            }
        }
    }
    // The villager's page of the case, with the town's steps in plain words.
    let token = status_url.rsplit('/').next().expect("token").to_string();
    for large in [false, true] {
        b.goto(&serve.url(&format!("/c/{token}")));
        b.wait_for_text("main", "已转县民政局办理", Duration::from_secs(10));
        if large {
            b.execute("document.documentElement.style.zoom = '2'; return 1;", vec![]);
        }
        check(&format!("/c/ (the villager's case page{})", if large { ", large text" } else { "" }), &b);
        if let Some(dir) = &shots {
            b.screenshot(&dir.join(format!("case-town-steps{}.png", if large { "-large" } else { "" })));
        }
    }
    assert!(report.is_empty(), "axe-core found problems on the town's site:\n{}", report.join("\n"));
    drop(serve);
}

/// A joined station's desk crosses the LAN under the certificate the town's CA issued it
/// (in its join file), and the station hands out the town's CA for the window PCs to trust
/// once; the phone pages stay on plain HTTP.
#[test]
#[ignore = "full suite (./test.sh): needs nats-server"]
fn a_joined_station_serves_its_desk_with_the_certificate_the_town_issued() {
    let (town, files) = Town::init(&[("s01", "南刘庄村综合服务站")]);
    let a = TempStation::new();
    join(&a, &files[0]);
    let join_file = std::fs::read_to_string(&files[0]).expect("join file");
    let town_ca = kiosk::config::parse_join("s01.join", &join_file).expect("join file").ca;
    let (_srv, said) = Serve::start_with(&a, Some(NOW), &["--listen", "127.0.0.1:0", "--https-listen", "0.0.0.0:0"], 2);
    let port = |u: &str| u.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()).expect("port");
    let (plain, secure) = (port(&said[0]), port(&said[1]));
    let (s, ca) = crate::util::get(&format!("http://127.0.0.1:{plain}/ca.pem"));
    assert_eq!(s, 200);
    assert_eq!(ca.trim(), town_ca.trim(), "the window PCs are given the town's CA");
    let (s, _, body) = crate::util::https_request(
        "127.0.0.1",
        secure,
        &town_ca,
        "GET /desk HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
    )
    .expect("https with the town's CA");
    assert!(s == 200 && body.contains("工作人员登录"), "{s}");
    // Joined into a fresh folder (as the docs' USB stick does), a station keeps the shipped
    // holiday calendar beside the shipped station and matters: its promised dates count
    // the 2026 holidays, not weekends only.
    let fresh = a.data_dir().join("fresh-cfg");
    let o = Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .args(["--config-dir", fresh.to_str().expect("utf8"), "--data-dir"])
        .arg(a.data_dir().join("fresh-data"))
        .args(["town", "join", files[0].to_str().expect("utf8")])
        .output()
        .expect("join");
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["station.toml", "matters.toml", "holidays.toml", "town-join.toml"] {
        assert!(fresh.join(f).exists(), "{f} in the fresh folder");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .args(["--config-dir", fresh.to_str().expect("utf8"), "--data-dir"])
        .arg(a.data_dir().join("fresh-data"))
        .args(["config", "check"])
        .output()
        .expect("check");
    assert!(stdout(&o).contains("2026"), "{}", stdout(&o));
    drop(town);
}

/// 帮办 (issue 17): a rating of a ticket taken with a staff member's help at the kiosk
/// reaches the town marked with the helper, so the township's report tells it apart.
#[test]
#[ignore = "full suite (./test.sh): needs nats-server"]
fn a_rating_of_a_helped_ticket_reaches_the_town_marked() {
    let (town, files) = Town::init(&[("s01", "南刘庄村综合服务站")]);
    let a = TempStation::new();
    crate::cases::add_staff(&a.station_at(NOW));
    join(&a, &files[0]);
    {
        let mut st = a.station_at(NOW);
        let helper = st.assist_begin("002", crate::cases::PIN).expect("帮办");
        st.take_ticket_helped(&kiosk::service::Target::Matter("C02".into()), false, Some(&helper)).expect("ticket");
    }
    let _serve = Serve::start(&a, Some(NOW));
    serve_and_rate(&a, 4);
    let deadline = Instant::now() + Duration::from_secs(60);
    let marked = "SELECT count(*) FROM ratings WHERE station = 's01' AND assisted_by = '002'";
    while town_count(&town, marked) != 1 {
        assert!(Instant::now() < deadline, "the town has the marked rating: {}", sync(&a));
        std::thread::sleep(Duration::from_millis(200));
    }
}
