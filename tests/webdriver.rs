//! A small blocking W3C WebDriver client for the integration tests that drive a real browser:
//! Debian's headless Chromium, steered through Debian's `chromedriver` over HTTP on loopback
//! (install both with `apt-get install -y --no-install-recommends chromium chromium-driver`).
//! Each [`Browser`] runs its own chromedriver on a free port with a fresh temporary Chromium
//! profile, and removes both when dropped. Every call blocks, is bounded by a per-request
//! timeout, and on failure panics with what it attempted and what the driver answered, which is
//! what a failing test should show.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The key under which W3C WebDriver wraps an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Longest that one HTTP request to chromedriver may take; page loads and scripts give up sooner.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Session timeouts for page loads and scripts, in milliseconds.
const PAGE_LOAD_TIMEOUT_MS: u64 = 30_000;
const SCRIPT_TIMEOUT_MS: u64 = 30_000;
/// How long chromedriver gets to report its port and say it is ready on `/status`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// Timeout of one `/status` probe during start-up.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Timeout of the session deletion (which quits Chromium) in `drop`.
const QUIT_TIMEOUT: Duration = Duration::from_secs(15);
/// Pause between two polls of the `wait_*` methods.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// How much of chromedriver's log a start-up failure quotes (its end).
const LOG_TAIL: usize = 12_000;

const INSTALL_HINT: &str = "install them with `apt-get install -y --no-install-recommends chromium chromium-driver`";

/// Chromium switches besides the profile and window size. Tests run as root, which needs
/// `--no-sandbox`; the rest keep Chromium from calling out to Google (this machine's network
/// refuses that) and from relying on a GPU or a large /dev/shm.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=Translate",
    "--force-device-scale-factor=1",
];

/// A headless Chromium session, with the chromedriver process that serves it.
pub struct Browser {
    agent: ureq::Agent,
    /// `http://127.0.0.1:PORT`, where chromedriver listens.
    base: String,
    port: u16,
    /// The WebDriver session id; empty until the session exists.
    session: String,
    driver: Child,
    /// Temporary folder holding Chromium's profile and chromedriver's output and log.
    dir: PathBuf,
}

/// An element found on the page; it borrows the [`Browser`] that found it.
pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
    /// The selector it was found by, for messages.
    css: String,
}

/// A command that failed, as the driver (or the connection to it) answered.
#[derive(Debug)]
struct DriverError {
    /// HTTP status, or 0 when no HTTP answer came.
    status: u16,
    /// W3C error code, such as `no such element`.
    error: String,
    message: String,
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.status == 0 {
            write!(f, "no answer from chromedriver ({}): {}", self.error, self.message)
        } else {
            write!(f, "HTTP {} `{}`: {}", self.status, self.error, self.message)
        }
    }
}

enum Req {
    Get,
    Post(Value),
    Delete,
}

impl fmt::Display for Req {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Req::Get => "GET",
            Req::Post(_) => "POST",
            Req::Delete => "DELETE",
        })
    }
}

/// Sends one command and returns the `value` of a successful answer.
fn send(agent: &ureq::Agent, url: &str, req: &Req, timeout: Duration) -> Result<Value, DriverError> {
    let result = match req {
        Req::Get => agent.get(url).config().timeout_global(Some(timeout)).build().call(),
        Req::Delete => agent.delete(url).config().timeout_global(Some(timeout)).build().call(),
        Req::Post(body) => agent
            .post(url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("Content-Type", "application/json; charset=utf-8")
            .send(body.to_string()),
    };
    let transport = |kind: &str, e: ureq::Error| DriverError { status: 0, error: kind.into(), message: e.to_string() };
    let response = result.map_err(|e| transport("request failed", e))?;
    let status = response.status().as_u16();
    let text = response
        .into_body()
        .into_with_config()
        .limit(u64::MAX)
        .read_to_string()
        .map_err(|e| transport("reading the answer failed", e))?;
    let mut answer: Value = serde_json::from_str(&text).map_err(|e| DriverError {
        status,
        error: "answer is not JSON".into(),
        message: format!("{e}; answer: {}", head(&text, 2_000)),
    })?;
    let value = answer.get_mut("value").map(Value::take).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        Ok(value)
    } else {
        Err(DriverError {
            status,
            error: value["error"].as_str().unwrap_or("unknown error").to_string(),
            message: match value["message"].as_str() {
                Some(message) => message.to_string(),
                None => head(&text, 2_000).to_string(),
            },
        })
    }
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a headless session with a window of
    /// w×h CSS px: the page's viewport (`innerWidth`×`innerHeight`) is exactly that size.
    ///
    /// The programs are `/usr/bin/chromedriver` and `/usr/bin/chromium` (else found on `PATH`);
    /// the environment variables `CHROMEDRIVER` and `CHROMIUM` override them.
    /// The browser speaks Chinese, as a station's do (the pages follow `Accept-Language`,
    /// and chromium's own default is the machine's locale).
    pub fn start(width: u32, height: u32) -> Browser {
        Browser::start_in(width, height, Some("zh-CN,zh"))
    }

    /// [`Browser::start`] with the browser's languages set (its `Accept-Language`), e.g.
    /// `Some("en-US,en")` for a visitor's English browser.
    pub fn start_in(width: u32, height: u32, languages: Option<&str>) -> Browser {
        let chromedriver = locate("CHROMEDRIVER", &["chromedriver"]).unwrap_or_else(|| {
            panic!("Browser::start: chromedriver not found ($CHROMEDRIVER, /usr/bin, PATH); {INSTALL_HINT}")
        });
        let chromium = locate("CHROMIUM", &["chromium", "chromium-browser"]).unwrap_or_else(|| {
            panic!("Browser::start: chromium not found ($CHROMIUM, /usr/bin, PATH); {INSTALL_HINT}")
        });
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let dir = make_temp_dir();
        let output = |name: &str| {
            let path = dir.join(name);
            File::create(&path).unwrap_or_else(|e| {
                let _ = fs::remove_dir_all(&dir);
                panic!("Browser::start: cannot create {}: {e}", path.display())
            })
        };
        let (stdout, stderr) = (output("chromedriver.out"), output("chromedriver.err"));
        let mut log_arg = OsString::from("--log-path=");
        log_arg.push(dir.join("chromedriver.log"));
        // Port 0: chromedriver picks a free port itself and prints it, so parallel tests never race
        // for one. Chromium's own stderr goes to the log too, which start-up failures quote.
        let spawned = Command::new(&chromedriver)
            .arg("--port=0")
            .arg("--enable-chrome-logs")
            .arg(log_arg)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn();
        let driver = match spawned {
            Ok(child) => child,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                panic!("Browser::start: cannot run {}: {e}; {INSTALL_HINT}", chromedriver.display());
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .new_agent();
        // From here on, a panic drops `browser`, which kills chromedriver and removes `dir`.
        let mut browser = Browser { agent, base: String::new(), port: 0, session: String::new(), driver, dir };
        browser.port = browser.await_port(deadline);
        browser.base = format!("http://127.0.0.1:{}", browser.port);
        browser.await_ready(deadline);
        browser.open_session(&chromium, width, height, languages);
        browser.size_viewport(width, height);
        browser
    }

    /// The loopback port chromedriver listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temporary folder holding Chromium's profile and chromedriver's log; removed on drop.
    pub fn temp_dir(&self) -> &Path {
        &self.dir
    }

    /// Loads `url` and returns once the page has loaded (its `load` event fired).
    pub fn goto(&self, url: &str) {
        self.must(&format!("goto({url:?})"), "/url", Req::Post(json!({ "url": url })));
    }

    /// The browser's reload (F5): a page that came from a POST would be posted again.
    pub fn refresh(&self) {
        self.must("refresh()", "/refresh", Req::Post(json!({})));
    }

    pub fn current_url(&self) -> String {
        string(self.must("current_url()", "/url", Req::Get))
    }

    pub fn title(&self) -> String {
        string(self.must("title()", "/title", Req::Get))
    }

    /// The first element matching the CSS selector; panics naming the selector when there is none.
    pub fn find(&self, css: &str) -> Element<'_> {
        match self.cmd("/element", Req::Post(locator(css))) {
            Ok(found) => self.element(found, css),
            Err(e) if e.error == "no such element" => {
                panic!("find({css:?}): no element matches on {}; the driver answered {e}", self.where_now())
            }
            Err(e) => panic!("find({css:?}) on {} failed: {e}", self.where_now()),
        }
    }

    /// The first element matching the CSS selector, or `None` when there is none.
    pub fn try_find(&self, css: &str) -> Option<Element<'_>> {
        match self.cmd("/element", Req::Post(locator(css))) {
            Ok(found) => Some(self.element(found, css)),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("try_find({css:?}) on {} failed: {e}", self.where_now()),
        }
    }

    /// Every element matching the CSS selector, in document order.
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let found = self.must(&format!("find_all({css:?})"), "/elements", Req::Post(locator(css)));
        let Value::Array(items) = found else {
            panic!("find_all({css:?}): the driver answered {found} instead of a list");
        };
        items.into_iter().enumerate().map(|(i, item)| self.element(item, &format!("{css}[{i}]"))).collect()
    }

    /// Polls until an element matches the CSS selector and returns it.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Element<'_> {
        let start = Instant::now();
        loop {
            if let Some(element) = self.try_find(css) {
                return element;
            }
            if start.elapsed() >= timeout {
                panic!("wait_for({css:?}): no element matched within {timeout:?} on {}", self.where_now());
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Polls until the text of the first element matching `css` contains `needle`, and returns
    /// how long that took. Tolerates the element being absent or replaced meanwhile.
    pub fn wait_for_text(&self, css: &str, needle: &str, timeout: Duration) -> Duration {
        let start = Instant::now();
        let mut last_seen: String;
        loop {
            match self.cmd("/element", Req::Post(locator(css))) {
                Ok(found) => {
                    let element = self.element(found, css);
                    match self.cmd(&format!("/element/{}/text", element.id), Req::Get) {
                        Ok(text) => {
                            let text = string(text);
                            if text.contains(needle) {
                                return start.elapsed();
                            }
                            last_seen = format!("{text:?}");
                        }
                        Err(e) if e.error == "stale element reference" => {
                            last_seen = String::from("(element was replaced while being read)");
                        }
                        // A page being replaced (a form posted, a redirect) can make the driver
                        // answer anything for a moment; only the timeout decides.
                        Err(e) if e.error != "invalid session id" => {
                            last_seen = format!("(reading the text failed: {e})");
                        }
                        Err(e) => panic!("wait_for_text({css:?}, {needle:?}): reading the text failed: {e}"),
                    }
                }
                Err(e) if e.error == "no such element" => last_seen = String::from("(no element matched)"),
                Err(e) if e.error != "invalid session id" => last_seen = format!("(finding it failed: {e})"),
                Err(e) => panic!("wait_for_text({css:?}, {needle:?}): finding the element failed: {e}"),
            }
            if start.elapsed() >= timeout {
                panic!(
                    "wait_for_text({css:?}, {needle:?}): not seen within {timeout:?} on {}; last text seen: {last_seen}",
                    self.where_now()
                );
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// The serialized DOM of the current page.
    pub fn page_source(&self) -> String {
        string(self.must("page_source()", "/source", Req::Get))
    }

    /// Runs `script` as the body of a function in the page (so it must `return` its result);
    /// `args` are its `arguments`, and [`Element::as_arg`] passes an element.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        let what = format!("execute({:?})", head(script, 200));
        self.must(&what, "/execute/sync", Req::Post(json!({ "script": script, "args": args })))
    }

    /// Saves a PNG of the viewport to `png_path`.
    pub fn screenshot(&self, png_path: &Path) {
        let encoded = string(self.must("screenshot()", "/screenshot", Req::Get));
        let Some(png) = decode_base64(&encoded) else {
            panic!("screenshot(): the driver answered something that is not base64: {:?}", head(&encoded, 200));
        };
        fs::write(png_path, png).unwrap_or_else(|e| panic!("screenshot(): cannot write {}: {e}", png_path.display()));
    }

    /// Resizes the window so that the viewport is w×h CSS px.
    pub fn set_window_size(&self, w: u32, h: u32) {
        self.size_viewport(w, h);
    }

    /// Opens a new tab and returns its handle; it does not switch to it (see [`Browser::switch_to`]).
    pub fn new_tab(&self) -> String {
        let opened = self.must("new_tab()", "/window/new", Req::Post(json!({ "type": "tab" })));
        match opened["handle"].as_str() {
            Some(handle) => handle.to_string(),
            None => panic!("new_tab(): the driver answered {opened} without a handle"),
        }
    }

    /// Makes the tab (or window) with this handle the one that later commands act on.
    pub fn switch_to(&self, handle: &str) {
        self.must(&format!("switch_to({handle:?})"), "/window", Req::Post(json!({ "handle": handle })));
    }

    /// The handle of the tab that commands act on.
    pub fn window_handle(&self) -> String {
        string(self.must("window_handle()", "/window", Req::Get))
    }

    /// The cookies visible to the current page, as WebDriver cookie objects (`name`, `value`, …).
    pub fn cookies(&self) -> Vec<Value> {
        match self.must("cookies()", "/cookie", Req::Get) {
            Value::Array(cookies) => cookies,
            other => panic!("cookies(): the driver answered {other} instead of a list"),
        }
    }

    /// Deletes the cookies visible to the current page.
    pub fn delete_cookies(&self) {
        self.must("delete_cookies()", "/cookie", Req::Delete);
    }

    /// Sends a command of the session; `path` is relative to `/session/{id}`.
    fn cmd(&self, path: &str, req: Req) -> Result<Value, DriverError> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        send(&self.agent, &url, &req, REQUEST_TIMEOUT)
    }

    /// Like [`Browser::cmd`], but panics saying `what` failed and what the driver answered.
    fn must(&self, what: &str, path: &str, req: Req) -> Value {
        let method = req.to_string();
        self.cmd(path, req).unwrap_or_else(|e| panic!("{what} ({method} {path}) failed: {e}"))
    }

    fn element(&self, found: Value, css: &str) -> Element<'_> {
        match found[ELEMENT_KEY].as_str() {
            Some(id) => Element { browser: self, id: id.to_string(), css: css.to_string() },
            None => panic!("finding {css:?}: the driver answered {found} instead of an element reference"),
        }
    }

    /// The current URL for a message, without panicking.
    fn where_now(&self) -> String {
        match self.cmd("/url", Req::Get) {
            Ok(Value::String(url)) => url,
            Ok(other) => format!("(current URL unknown: {other})"),
            Err(e) => format!("(current URL unknown: {e})"),
        }
    }

    /// Waits until chromedriver prints the port it picked.
    fn await_port(&mut self, deadline: Instant) -> u16 {
        loop {
            let printed = fs::read_to_string(self.dir.join("chromedriver.out")).unwrap_or_default();
            if let Some(port) = reported_port(&printed) {
                return port;
            }
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("Browser::start: chromedriver exited ({status}) before listening\n{}", self.driver_output());
            }
            if Instant::now() >= deadline {
                panic!(
                    "Browser::start: chromedriver did not report a port within {STARTUP_TIMEOUT:?}\n{}",
                    self.driver_output()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls `/status` until chromedriver says it is ready for new sessions.
    fn await_ready(&mut self, deadline: Instant) {
        let url = format!("{}/status", self.base);
        loop {
            let last = match send(&self.agent, &url, &Req::Get, PROBE_TIMEOUT) {
                Ok(status) if status["ready"] == Value::Bool(true) => return,
                Ok(status) => format!("not ready: {status}"),
                Err(e) => e.to_string(),
            };
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("Browser::start: chromedriver exited ({status}); GET {url}: {last}\n{}", self.driver_output());
            }
            if Instant::now() >= deadline {
                panic!(
                    "Browser::start: chromedriver not ready within {STARTUP_TIMEOUT:?}; GET {url}: {last}\n{}",
                    self.driver_output()
                );
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    fn open_session(&mut self, chromium: &Path, width: u32, height: u32, languages: Option<&str>) {
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|arg| arg.to_string()).collect();
        args.push(format!("--user-data-dir={}", self.dir.join("profile").display()));
        args.push(format!("--window-size={width},{height}"));
        let mut options = json!({ "binary": chromium.to_string_lossy(), "args": args });
        if let Some(l) = languages {
            options["prefs"] = json!({ "intl": { "accept_languages": l } });
        }
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": { "implicit": 0, "pageLoad": PAGE_LOAD_TIMEOUT_MS, "script": SCRIPT_TIMEOUT_MS },
            "goog:chromeOptions": options,
        }}});
        let url = format!("{}/session", self.base);
        match send(&self.agent, &url, &Req::Post(capabilities), REQUEST_TIMEOUT) {
            Ok(created) => match created["sessionId"].as_str() {
                Some(id) => self.session = id.to_string(),
                None => panic!(
                    "Browser::start: POST {url} answered {created} without a session id\n{}",
                    self.driver_output()
                ),
            },
            Err(e) => panic!(
                "Browser::start: chromedriver could not open a session of {}: {e}\n{}",
                chromium.display(),
                self.driver_output()
            ),
        }
    }

    /// Sizes the window so that the viewport is w×h: sets the window to that size, measures the
    /// viewport, and makes up for any difference (window decorations) once.
    fn size_viewport(&self, w: u32, h: u32) {
        let what = format!("sizing the viewport to {w}×{h} CSS px");
        let set_rect = |rect_w: i64, rect_h: i64| {
            self.must(&what, "/window/rect", Req::Post(json!({ "width": rect_w, "height": rect_h })));
        };
        let viewport = || {
            let size = self.must(
                &what,
                "/execute/sync",
                Req::Post(json!({
                    "script": "return [window.innerWidth, window.innerHeight];",
                    "args": [],
                })),
            );
            (size[0].as_i64().unwrap_or(-1), size[1].as_i64().unwrap_or(-1))
        };
        let (w, h) = (i64::from(w), i64::from(h));
        set_rect(w, h);
        let (inner_w, inner_h) = viewport();
        if (inner_w, inner_h) == (w, h) {
            return;
        }
        set_rect(2 * w - inner_w, 2 * h - inner_h);
        let (inner_w, inner_h) = viewport();
        if (inner_w, inner_h) != (w, h) {
            panic!("{what}: the viewport is {inner_w}×{inner_h} CSS px after resizing the window");
        }
    }

    /// chromedriver's output and the end of its log, for start-up failures.
    fn driver_output(&self) -> String {
        let read = |name: &str| fs::read_to_string(self.dir.join(name)).unwrap_or_else(|e| format!("({e})"));
        let log = read("chromedriver.log");
        format!(
            "--- chromedriver stdout ---\n{}\n--- chromedriver stderr ---\n{}\n--- chromedriver log (its last {} bytes) ---\n{}",
            read("chromedriver.out").trim_end(),
            read("chromedriver.err").trim_end(),
            LOG_TAIL.min(log.len()),
            tail(&log, LOG_TAIL).trim_end(),
        )
    }

    /// Kills Chromium processes still using this browser's profile (after a failed quit).
    fn kill_leftover_chromium(&self) {
        let Ok(processes) = fs::read_dir("/proc") else { return };
        let mut marker = b"--user-data-dir=".to_vec();
        marker.extend_from_slice(self.dir.join("profile").to_string_lossy().as_bytes());
        for process in processes.flatten() {
            let name = process.file_name();
            let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else { continue };
            let Ok(cmdline) = fs::read(process.path().join("cmdline")) else { continue };
            if cmdline.split(|&b| b == 0).any(|arg| arg == marker.as_slice()) {
                let _ = Command::new("kill").args(["-KILL", pid]).stderr(Stdio::null()).status();
            }
        }
    }
}

impl Drop for Browser {
    /// Deletes the session (which quits Chromium), kills chromedriver and removes the temporary
    /// folder. Never panics.
    fn drop(&mut self) {
        let quit = if self.session.is_empty() {
            false
        } else {
            let url = format!("{}/session/{}", self.base, self.session);
            send(&self.agent, &url, &Req::Delete, QUIT_TIMEOUT).is_ok()
        };
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if !quit {
            self.kill_leftover_chromium();
        }
        for _ in 0..30 {
            if fs::remove_dir_all(&self.dir).is_ok() || !self.dir.exists() {
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Element<'_> {
    pub fn click(&self) {
        self.must("click()", "click", Req::Post(json!({})));
    }

    /// The rendered text, as a user sees it.
    pub fn text(&self) -> String {
        string(self.must("text()", "text", Req::Get))
    }

    /// Types `s` into the element (after focusing it), as key presses.
    pub fn send_keys(&self, s: &str) {
        self.must(&format!("send_keys({s:?})"), "value", Req::Post(json!({ "text": s })));
    }

    /// Empties an input or textarea.
    pub fn clear(&self) {
        self.must("clear()", "clear", Req::Post(json!({})));
    }

    /// The attribute `name` as written in the HTML (or set by `setAttribute`), or `None` when the
    /// element has none. A form field's current value is [`Element::prop`]`("value")`.
    pub fn attr(&self, name: &str) -> Option<String> {
        let path = format!("attribute/{}", encode_segment(name));
        optional_string(self.must(&format!("attr({name:?})"), &path, Req::Get))
    }

    /// The DOM property `name` (such as `value` or `checked`), or `None` when it is null or undefined.
    pub fn prop(&self, name: &str) -> Option<String> {
        let path = format!("property/{}", encode_segment(name));
        optional_string(self.must(&format!("prop({name:?})"), &path, Req::Get))
    }

    pub fn is_displayed(&self) -> bool {
        match self.must("is_displayed()", "displayed", Req::Get) {
            Value::Bool(shown) => shown,
            other => panic!("is_displayed() of {:?}: the driver answered {other}", self.css),
        }
    }

    /// The element as an argument for [`Browser::execute`].
    pub fn as_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    fn must(&self, what: &str, command: &str, req: Req) -> Value {
        let what = format!("element {:?}: {what}", self.css);
        self.browser.must(&what, &format!("/element/{}/{command}", self.id), req)
    }
}

fn locator(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

fn optional_string(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

fn string(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The program named by the environment variable `var`, else the first of `names` in /usr/bin or on `PATH`.
fn locate(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var).filter(|path| !path.is_empty()) {
        return Some(PathBuf::from(path)).filter(|path| path.is_file());
    }
    let mut dirs = vec![PathBuf::from("/usr/bin")];
    dirs.extend(
        std::env::var_os("PATH").map(|path| std::env::split_paths(&path).collect::<Vec<_>>()).unwrap_or_default(),
    );
    names.iter().flat_map(|name| dirs.iter().map(move |dir| dir.join(name))).find(|path| path.is_file())
}

/// A new, empty folder under the system's temporary folder.
fn make_temp_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("webdriver-{}-{n}-{nanos}", std::process::id()));
    fs::create_dir(&dir).unwrap_or_else(|e| panic!("Browser::start: cannot create {}: {e}", dir.display()));
    dir
}

/// The port in chromedriver's "ChromeDriver was started successfully on port 12345." line.
fn reported_port(printed: &str) -> Option<u16> {
    const MARK: &str = "started successfully on port ";
    let rest = &printed[printed.find(MARK)? + MARK.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|&port| port != 0)
}

/// Percent-encodes everything but unreserved characters, for one URL path segment.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes standard base64 (as WebDriver screenshots are sent), or `None` if it is not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b'\r' | b'\n' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// At most the first `max` bytes of `s`, cut at a character boundary.
fn head(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// At most the last `max` bytes of `s`, cut at a character boundary.
fn tail(s: &str, max: usize) -> &str {
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}
