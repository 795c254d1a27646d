//! Helpers shared by the integration tests: a fresh temp station per test (config copied
//! from the shipped files, its own database and spool), and the kiosk binary.

#![allow(dead_code)]

use kiosk::config;
use kiosk::domain::clock::{parse_rfc3339, Clock};
use kiosk::paths::Paths;
use kiosk::service::Station;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tokio_rustls::rustls as kiosk_tls;

pub struct TempStation {
    pub dir: Dir,
}

/// A test station's folder: its own temp folder, or (in a worker process) the folder of
/// the test that started it, which that test removes.
pub enum Dir {
    Temp(tempfile::TempDir),
    Borrowed(PathBuf),
}

impl Dir {
    pub fn path(&self) -> &Path {
        match self {
            Dir::Temp(t) => t.path(),
            Dir::Borrowed(p) => p,
        }
    }
}

impl TempStation {
    /// A station with the shipped configuration.
    pub fn new() -> TempStation {
        Self::with_station_toml(config::SHIPPED_STATION)
    }

    /// A station whose station.toml is `station_toml` (matters as shipped).
    pub fn with_station_toml(station_toml: &str) -> TempStation {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("config")).expect("config dir");
        std::fs::write(dir.path().join("config/station.toml"), station_toml).expect("write station.toml");
        std::fs::write(dir.path().join("config/matters.toml"), config::SHIPPED_MATTERS).expect("write matters.toml");
        std::fs::write(dir.path().join("config/holidays.toml"), config::SHIPPED_HOLIDAYS).expect("write holidays.toml");
        TempStation { dir: Dir::Temp(dir) }
    }

    /// The station another test set up in `dir` (for worker processes).
    pub fn at(dir: PathBuf) -> TempStation {
        TempStation { dir: Dir::Borrowed(dir) }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn paths(&self) -> Paths {
        Paths { config_dir: Some(self.config_dir()), data_dir: self.data_dir() }
    }

    /// Opens the station with the clock frozen at `now` (RFC 3339).
    pub fn station_at(&self, now: &str) -> Station {
        let cfg = config::load(Some(&self.config_dir())).unwrap_or_else(|e| panic!("config: {e}"));
        let clock = Clock::fixed(parse_rfc3339(now).expect("time"), cfg.station.tz);
        Station::open(cfg, self.paths(), clock).unwrap_or_else(|e| panic!("open station: {e}"))
    }

    /// Runs the kiosk binary with this station's folders and `KIOSK_NOW`.
    pub fn kiosk(&self, now: &str, args: &[&str]) -> Output {
        let mut c = Command::new(kiosk_bin());
        c.arg("--config-dir").arg(self.config_dir()).arg("--data-dir").arg(self.data_dir()).args(args);
        c.env("KIOSK_NOW", now);
        // Never open a window from a test, even on a machine with a display.
        c.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
        c.output().expect("run kiosk")
    }
}

impl TempStation {
    /// Runs the kiosk binary like [`TempStation::kiosk`], writing `input` to its standard
    /// input (the PIN of a `--staff` command goes there).
    pub fn kiosk_stdin(&self, now: &str, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut c = Command::new(kiosk_bin());
        c.arg("--config-dir").arg(self.config_dir()).arg("--data-dir").arg(self.data_dir()).args(args);
        c.env("KIOSK_NOW", now).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
        c.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        let mut child = c.spawn().expect("spawn kiosk");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input.as_bytes());
        }
        child.wait_with_output().expect("wait for kiosk")
    }
}

pub fn kiosk_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kiosk")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs a command-line tool the tests need (poppler, zbar), with a clear failure.
pub fn tool(name: &str, args: &[&str]) -> Output {
    Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} is needed by this test (install poppler-utils / zbar-tools; ./test does): {e}")
    })
}

/// Text of a PDF, via pdftotext.
pub fn pdf_text(pdf: &Path) -> String {
    let o = tool("pdftotext", &["-layout", pdf.to_str().expect("utf8 path"), "-"]);
    assert!(o.status.success(), "pdftotext failed: {}", stderr(&o));
    stdout(&o)
}

/// Renders the PDF's first page at a thermal printer's 203 dpi and decodes its QR codes.
pub fn decode_qr(pdf: &Path, scratch: &Path) -> Vec<String> {
    let prefix = scratch.join("page");
    let o = tool(
        "pdftoppm",
        &["-r", "203", "-png", "-f", "1", "-l", "1", pdf.to_str().expect("utf8"), prefix.to_str().expect("utf8")],
    );
    assert!(o.status.success(), "pdftoppm failed: {}", stderr(&o));
    let png = std::fs::read_dir(scratch)
        .expect("scratch")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.extension().is_some_and(|x| x == "png")
                && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("page"))
        })
        .expect("rendered page");
    let img = image::open(&png).expect("png").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared.detect_grids().into_iter().filter_map(|g| g.decode().ok().map(|(_, content)| content)).collect()
}

/// A plain connection to the test station's store, for checks the service does not offer
/// (raw counts, triggers) — never for writes the product makes.
pub fn db(t: &TempStation) -> rusqlite::Connection {
    kiosk::storage::open(&t.data_dir().join("kiosk.db")).expect("open the store")
}

/// A running `kiosk serve` on a free loopback port, stopped (SIGTERM) when dropped.
pub struct Serve {
    child: std::process::Child,
    pub base: String,
}

impl Serve {
    /// Starts the station service of `t`; `now` freezes its clock (`KIOSK_NOW`).
    pub fn start(t: &TempStation, now: Option<&str>) -> Serve {
        Serve::start_with(t, now, &["--listen", "127.0.0.1:0"], 1).0
    }

    /// Starts `kiosk serve ARGS…` of `t` and reads its first `lines` "listening on" lines
    /// (the plain address first, then the HTTPS ones); `base` is the first.
    pub fn start_with(t: &TempStation, now: Option<&str>, args: &[&str], lines: usize) -> (Serve, Vec<String>) {
        Serve::start_env(t, now, args, lines, &[])
    }

    /// As [`Serve::start_with`], with these environment variables set.
    pub fn start_env(
        t: &TempStation,
        now: Option<&str>,
        args: &[&str],
        lines: usize,
        env: &[(&str, &str)],
    ) -> (Serve, Vec<String>) {
        use std::io::BufRead;
        let mut c = Command::new(kiosk_bin());
        c.arg("--config-dir").arg(t.config_dir()).arg("--data-dir").arg(t.data_dir());
        c.arg("serve").args(args);
        c.envs(env.iter().copied());
        match now {
            Some(n) => c.env("KIOSK_NOW", n),
            None => c.env_remove("KIOSK_NOW"),
        };
        c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
        let mut child = c.spawn().expect("start kiosk serve");
        let out = child.stdout.take().expect("stdout");
        let mut reader = std::io::BufReader::new(out);
        let mut said = Vec::new();
        for _ in 0..lines {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read the listening line");
            said.push(
                line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("serve said {line:?}")).to_string(),
            );
        }
        let base = said.first().cloned().unwrap_or_default();
        (Serve { child, base }, said)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The service's process id (for its memory in /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the service as systemd would (SIGTERM) and waits for it; its exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            assert!(std::time::Instant::now() < deadline, "kiosk serve did not stop within 10 s of SIGTERM");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that reports every status (4xx included) and follows no redirect.
pub fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(std::time::Duration::from_secs(20)))
        .build()
        .into()
}

/// GET: (status, body).
pub fn get(url: &str) -> (u16, String) {
    let mut r = http().get(url).call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap_or_default())
}

/// GETs `url` until its body contains `needle` (pages follow the store every 100 ms; 3 s
/// leaves room for a loaded CI); the last body.
pub fn get_until(url: &str, needle: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let (_, body) = get(url);
        if body.contains(needle) || started.elapsed() > std::time::Duration::from_secs(3) {
            return body;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Reads a server-sent event stream until `found` says yes about an event's data, or
/// `timeout`; returns the data and the moment it arrived.
pub fn sse_until(
    url: &str,
    timeout: std::time::Duration,
    found: impl Fn(&str) -> bool,
) -> Option<(String, std::time::Instant)> {
    read_sse(url, None, timeout, |_, d| found(d), || {}).map(|(_, data, at)| (data, at))
}

/// A live stream followed on its own thread. `connected()` returns once the stream's first
/// event has arrived (every live page sends its whole state first), so a test changes
/// something only when the stream is surely open — not after a guessed sleep.
pub struct Following {
    first: std::sync::mpsc::Receiver<()>,
    handle: std::thread::JoinHandle<Option<(String, String, std::time::Instant)>>,
}

impl Following {
    /// Waits for the stream's first event (at most 20 s, which only bounds a failure).
    pub fn connected(&self) {
        self.first.recv_timeout(std::time::Duration::from_secs(20)).expect("the live stream sent its first event");
    }

    /// The event (name, data, when it arrived) that `found` picked, if any came in time.
    pub fn join(self) -> Option<(String, String, std::time::Instant)> {
        self.handle.join().expect("the stream's reader")
    }
}

/// Follows `url` (with `cookie`, if any) on a thread until `found` says yes about an
/// event's name and data, or `timeout`.
pub fn follow(
    url: &str,
    cookie: Option<&str>,
    timeout: std::time::Duration,
    found: impl Fn(&str, &str) -> bool + Send + 'static,
) -> Following {
    let (tx, first) = std::sync::mpsc::channel();
    let (url, cookie) = (url.to_string(), cookie.map(str::to_string));
    let handle = std::thread::spawn(move || {
        read_sse(&url, cookie.as_deref(), timeout, found, move || {
            let _ = tx.send(());
        })
    });
    Following { first, handle }
}

/// The one reader of server-sent events: `on_first` runs when the first event is complete.
fn read_sse(
    url: &str,
    cookie: Option<&str>,
    timeout: std::time::Duration,
    found: impl Fn(&str, &str) -> bool,
    on_first: impl FnOnce(),
) -> Option<(String, String, std::time::Instant)> {
    use std::io::{BufRead, Write};
    let started = std::time::Instant::now();
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_millis(200))).expect("timeout");
    let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    // HTTP/1.0: the stream comes unchunked, one event after another.
    write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\n{cookie}Accept: text/event-stream\r\n\r\n").expect("request");
    let mut reader = std::io::BufReader::new(s);
    let (mut line, mut data, mut event) = (String::new(), String::new(), String::new());
    let mut on_first = Some(on_first);
    while started.elapsed() < timeout {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(_) => continue,
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if let Some(d) = l.strip_prefix("data:") {
            data.push_str(d.trim_start());
        } else if let Some(e) = l.strip_prefix("event:") {
            event = e.trim().to_string();
        } else if l.is_empty() && (!data.is_empty() || !event.is_empty()) {
            if let Some(f) = on_first.take() {
                f();
            }
            if found(&event, &data) {
                return Some((event, data, std::time::Instant::now()));
            }
            data.clear();
            event.clear();
        }
    }
    None
}

/// With `KIOSK_SCREENSHOTS=DIR`: the first page of `pdf` as `DIR/{name}.png` (150 dpi),
/// for docs/.
pub fn pdf_picture(pdf: &Path, name: &str) {
    let Some(dir) = std::env::var_os("KIOSK_SCREENSHOTS") else { return };
    let _ = std::fs::create_dir_all(&dir);
    let prefix = PathBuf::from(dir).join(name);
    let o = tool(
        "pdftoppm",
        &[
            "-r",
            "110",
            "-png",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
            pdf.to_str().expect("utf8"),
            prefix.to_str().expect("utf8"),
        ],
    );
    assert!(o.status.success(), "pdftoppm failed: {}", stderr(&o));
}

/// Everything the station service logged (its files are one per day).
pub fn serve_log(t: &TempStation) -> String {
    let dir = t.data_dir().join("logs");
    let mut names: Vec<_> =
        std::fs::read_dir(&dir).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
    names.retain(|p: &std::path::PathBuf| {
        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("serve-"))
    });
    names.sort();
    names.iter().map(|p| std::fs::read_to_string(p).unwrap_or_default()).collect()
}

/// Waits until the station service's log has a line containing `needle` (at most 60 s,
/// which only bounds a failure): what a test waits on instead of a guessed sleep.
pub fn log_until(t: &TempStation, needle: &str) {
    let started = std::time::Instant::now();
    while !serve_log(t).contains(needle) {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the log never said {needle:?}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A real CUPS scheduler of the test's own: Debian's cupsd with its own folders and socket,
/// and four queues — `ok` (completes every job), `slow` (its backend takes 4 s), `held`
/// (holds every job) and `nopaper` (its backend reports media-empty and fails).
pub struct Cups {
    pub dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Cups {
    /// Stops cupsd as the system would (SIGTERM: it saves its jobs) and waits for it.
    pub fn stop(&mut self) {
        // SAFETY: kill on the pid of our own child process.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }

    /// Starts cupsd again on the same folders (its queues and saved jobs come back).
    pub fn restart(&mut self) {
        let d = self.dir.path();
        self.child = Command::new("/usr/sbin/cupsd")
            .arg("-f")
            .arg("-c")
            .arg(d.join("cupsd.conf"))
            .arg("-s")
            .arg(d.join("cups-files.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cupsd runs again");
        let started = std::time::Instant::now();
        while !self.cmd("lpstat", &["-r"]).status.success() {
            assert!(started.elapsed() < std::time::Duration::from_secs(20), "cupsd did not start again");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Cups {
    pub fn start() -> Cups {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        for sub in ["spool", "cache", "log", "state", "tmp", "bin/backend"] {
            std::fs::create_dir_all(d.join(sub)).expect("cups dir");
        }
        std::fs::set_permissions(d.join("tmp"), std::fs::Permissions::from_mode(0o1777)).expect("chmod");
        // The system's filters and backends, plus two test backends.
        for e in std::fs::read_dir("/usr/lib/cups").expect("cups installed (./test.sh installs it)").flatten() {
            if e.file_name() != "backend" {
                std::os::unix::fs::symlink(e.path(), d.join("bin").join(e.file_name())).expect("link");
            }
        }
        for e in std::fs::read_dir("/usr/lib/cups/backend").expect("cups backends").flatten() {
            std::os::unix::fs::symlink(e.path(), d.join("bin/backend").join(e.file_name())).expect("link");
        }
        let backends = [
            ("slow", "sleep \"${DEVICE_URI#slow:/}\"\nexit 0\n"),
            ("nopaper", "echo 'STATE: +media-empty-error' >&2\necho 'ERROR: out of paper' >&2\nexit 1\n"),
        ];
        for (name, body) in backends {
            let p = d.join("bin/backend").join(name);
            let script = format!(
                "#!/bin/sh\nif [ $# -eq 0 ]; then echo 'direct {name} \"Unknown\" \"test\"'; exit 0; fi\n{body}"
            );
            std::fs::write(&p, script).expect("backend");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let sock = d.join("cups.sock");
        std::fs::write(
            d.join("cupsd.conf"),
            format!(
                "Listen {}\nLogLevel warn\nWebInterface No\nBrowsing No\nDirtyCleanInterval 0\n<Location />\n  Order allow,deny\n  Allow all\n</Location>\n\
                 <Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n",
                sock.display()
            ),
        )
        .expect("cupsd.conf");
        // Run as root, cupsd drops to `lp` for backends; as another user it stays that user.
        let user = if unsafe_is_root() { "User lp\nGroup lp\nSystemGroup root\n" } else { "" };
        std::fs::write(
            d.join("cups-files.conf"),
            format!(
                "FileDevice Yes\nRequestRoot {0}/spool\nCacheDir {0}/cache\nStateDir {0}/state\nTempDir {0}/tmp\n\
                 ServerRoot {0}\nServerBin {0}/bin\nErrorLog {0}/log/error_log\nAccessLog {0}/log/access_log\n\
                 PageLog {0}/log/page_log\n{user}",
                d.display()
            ),
        )
        .expect("cups-files.conf");
        let child = Command::new("/usr/sbin/cupsd")
            .arg("-f")
            .arg("-c")
            .arg(d.join("cupsd.conf"))
            .arg("-s")
            .arg(d.join("cups-files.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cupsd runs (./test.sh installs the cups package)");
        let cups = Cups { dir, child };
        let started = std::time::Instant::now();
        while !cups.cmd("lpstat", &["-r"]).status.success() {
            assert!(started.elapsed() < std::time::Duration::from_secs(20), "cupsd did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        for args in [
            &["-p", "ok", "-E", "-v", "file:///dev/null"][..],
            &["-p", "slow", "-E", "-v", "slow:/4"],
            &["-p", "held", "-E", "-v", "file:///dev/null", "-o", "job-hold-until-default=indefinite"],
            &["-p", "nopaper", "-E", "-v", "nopaper:/"],
        ] {
            // Under a loaded machine a fresh cupsd may still refuse a moment: try again.
            let mut tries = 0;
            loop {
                let o = cups.cmd("/usr/sbin/lpadmin", args);
                if o.status.success() {
                    break;
                }
                tries += 1;
                assert!(tries < 20, "lpadmin {args:?}: {}", String::from_utf8_lossy(&o.stderr));
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
        }
        cups
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("cups.sock")
    }

    /// Runs a CUPS program against this scheduler.
    pub fn cmd(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .env("CUPS_SERVER", self.socket())
            .env("LC_ALL", "C")
            .output()
            .expect("CUPS client programs installed")
    }

    /// Jobs CUPS has not finished, on every queue ("slow-3 ..." lines).
    pub fn not_completed(&self) -> String {
        String::from_utf8_lossy(&self.cmd("lpstat", &["-W", "not-completed", "-o"]).stdout).into_owned()
    }

    /// Jobs CUPS completed (or cancelled), on every queue.
    pub fn completed(&self) -> String {
        String::from_utf8_lossy(&self.cmd("lpstat", &["-W", "completed", "-o"]).stdout).into_owned()
    }
}

fn unsafe_is_root() -> bool {
    // SAFETY: geteuid cannot fail and has no side effects.
    unsafe { libc::geteuid() == 0 }
}

impl Drop for Cups {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TempStation {
    /// A station printing to `printer` on the test's own CUPS, with a print timeout.
    pub fn with_cups(cups: &Cups, printer: &str, timeout_secs: u32) -> TempStation {
        let t = Self::new();
        let toml = config::SHIPPED_STATION
            .replacen("name = \"\"\n# 打印命令", &format!("name = \"{printer}\"\n# 打印命令"), 1)
            .replace("timeout-secs = 15", &format!("timeout-secs = {timeout_secs}"))
            .replace("server = \"\"", &format!("server = \"{}\"", cups.socket().display()));
        std::fs::write(t.config_dir().join("station.toml"), toml).expect("rewrite station.toml");
        t
    }
}

/// Half-written files (`*.part`) anywhere under `dir`.
pub fn part_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            found.extend(part_files(&p));
        } else if p.extension().is_some_and(|x| x == "part") {
            found.push(p);
        }
    }
    found
}

/// A TCP connection to `to` from the loopback address `from` (127.0.0.2, 127.0.0.3 …): a
/// second device on the station LAN, as far as the service can tell.
pub fn connect_from(from: std::net::Ipv4Addr, to: std::net::SocketAddr) -> std::io::Result<std::net::TcpStream> {
    use std::os::fd::FromRawFd;
    let std::net::SocketAddr::V4(to) = to else { return Err(std::io::Error::other("IPv4 only")) };
    let sockaddr = |ip: std::net::Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(ip.octets()) },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket calls on a descriptor this function owns until it is wrapped.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let stream = std::net::TcpStream::from_raw_fd(fd);
        let local = sockaddr(from, 0);
        if libc::bind(fd, &local as *const _ as *const libc::sockaddr, len) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let remote = sockaddr(*to.ip(), to.port());
        if libc::connect(fd, &remote as *const _ as *const libc::sockaddr, len) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(stream)
    }
}

/// One HTTP/1.1 request from the loopback address `from`: (status, headers, body). The
/// connection is closed after it.
pub fn request_from(
    from: std::net::Ipv4Addr,
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let addr: std::net::SocketAddr = host.parse().expect("host:port");
    let mut s = connect_from(from, addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(20))).expect("timeout");
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {host}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let _ = s.write_all(req.as_bytes());
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// The processes `pid` started, and theirs, from /proc (children first, deepest last):
/// what a test ends by id when it started a process that starts others.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let tasks =
        std::fs::read_dir(format!("/proc/{pid}/task")).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default();
    for t in tasks {
        let children = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
        for c in children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()) {
            out.push(c);
            out.extend(descendants(c));
        }
    }
    out
}

/// One HTTPS request to `host:port`, trusting only the CA certificate `ca` (PEM), with a real
/// TLS client that checks the server's certificate for `host`: (status, headers, body), or
/// the TLS error.
pub fn https_request(host: &str, port: u16, ca: &str, request: &str) -> Result<(u16, String, String), String> {
    use kiosk_tls::pki_types::pem::PemObject;
    use kiosk_tls::pki_types::{CertificateDer, ServerName};
    use std::io::{Read, Write};
    let mut roots = kiosk_tls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca.as_bytes()) {
        roots.add(c.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    }
    #[allow(deprecated)]
    let provider = std::sync::Arc::new(kiosk_tls::crypto::ring::default_provider());
    let config = kiosk_tls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
    let conn = kiosk_tls::ClientConnection::new(std::sync::Arc::new(config), name).map_err(|e| e.to_string())?;
    let sock = std::net::TcpStream::connect((host, port)).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut tls = kiosk_tls::StreamOwned::new(conn, sock);
    tls.write_all(request.replace("{host}", &format!("{host}:{port}")).as_bytes()).map_err(|e| e.to_string())?;
    tls.flush().map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    // The server may close without a TLS close_notify: what arrived is the answer.
    if let Err(e) = tls.read_to_end(&mut raw) {
        if raw.is_empty() {
            return Err(e.to_string());
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, head.to_string(), body.to_string()))
}
