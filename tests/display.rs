//! The kiosk full screen on a real X server (Debian's Xvfb), through its own X11 platform
//! (src/ui/x11.rs): the screen shows exactly what `kiosk screenshot` renders; a tap and a
//! barcode scanner's keys reach it; a window manager's resize and close are followed; it
//! needs no window manager at all. Each test starts its own Xvfb (`-displayfd` picks a free
//! display) and talks to it with x11rb, as a touchscreen driver and a scanner would.

use crate::util::{kiosk_bin, stderr, TempStation};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    self, ButtonPressEvent, ClientMessageEvent, ConfigureWindowAux, ConnectionExt as _, EventMask, ImageFormat,
    KeyButMask, KeyPressEvent,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

const NOW: &str = "2026-11-27T10:00:00+08:00";

struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start(width: u32, height: u32) -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0", &format!("{width}x{height}x24")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("Xvfb is needed by this test (package xvfb; ./test.sh installs it): {e}"));
        let mut line = String::new();
        let out = child.stdout.take().expect("Xvfb stdout");
        BufReader::new(out).read_line(&mut line).expect("Xvfb display number");
        let n: u32 = line.trim().parse().unwrap_or_else(|_| panic!("Xvfb said {line:?}"));
        Xvfb { child, display: format!(":{n}") }
    }

    fn connect(&self) -> RustConnection {
        x11rb::connect(Some(&self.display)).expect("connect to Xvfb").0
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Kiosk(Child);

impl Drop for Kiosk {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_kiosk(t: &TempStation, x: &Xvfb, extra_env: &[(&str, &str)]) -> Kiosk {
    start_kiosk_with(t, x, extra_env, &[])
}

fn start_kiosk_with(t: &TempStation, x: &Xvfb, extra_env: &[(&str, &str)], args: &[&str]) -> Kiosk {
    let mut c = Command::new(kiosk_bin());
    c.arg("--config-dir").arg(t.config_dir()).arg("--data-dir").arg(t.data_dir()).args(args);
    c.env("KIOSK_NOW", NOW).env("DISPLAY", &x.display).env_remove("WAYLAND_DISPLAY").env_remove("SLINT_BACKEND");
    for (k, v) in extra_env {
        c.env(k, v);
    }
    Kiosk(c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start the kiosk"))
}

/// `kiosk screenshot` of `page` at `size`, as 0xRRGGBB pixels.
fn expected(t: &TempStation, page: &str, size: &str, scratch: &Path) -> (u32, u32, Vec<u32>) {
    let out = scratch.join(format!("{}-{size}.png", page.replace(':', "-")));
    let o = t.kiosk(NOW, &["screenshot", "--page", page, "--size", size, "--out", out.to_str().expect("utf8")]);
    assert!(o.status.success(), "screenshot {page}: {}", stderr(&o));
    let img = image::open(&out).expect("read the screenshot").to_rgb8();
    let px = img.pixels().map(|p| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2])).collect();
    (img.width(), img.height(), px)
}

/// The screen's top-left `w`×`h`, as 0xRRGGBB pixels.
fn capture(conn: &RustConnection, w: u32, h: u32) -> Vec<u32> {
    let root = conn.setup().roots[0].root;
    let reply = conn
        .get_image(ImageFormat::Z_PIXMAP, root, 0, 0, w as u16, h as u16, !0)
        .expect("get_image")
        .reply()
        .expect("the screen's picture");
    reply.data.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & 0xff_ffff).collect()
}

/// Waits until the screen shows `want` exactly; on a timeout, says how far it was.
fn wait_for_picture(conn: &RustConnection, want: &(u32, u32, Vec<u32>), what: &str) {
    let (w, h, px) = want;
    let start = Instant::now();
    loop {
        let got = capture(conn, *w, *h);
        if got == *px {
            return;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let differ = got.iter().zip(px).filter(|(a, b)| a != b).count();
            panic!(
                "{what}: after 20 s the screen still differs from `kiosk screenshot` in {differ} of {} pixels",
                px.len()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the screen's top-left `w`×`h` stops changing and differs from `before`.
fn wait_for_change(conn: &RustConnection, w: u32, h: u32, before: &[u32], what: &str) -> Vec<u32> {
    let start = Instant::now();
    let mut last = capture(conn, w, h);
    loop {
        std::thread::sleep(Duration::from_millis(150));
        let now = capture(conn, w, h);
        if now == last && now != before {
            return now;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{what}: the screen did not change");
        last = now;
    }
}

/// The kiosk's window: the child of the root named WM_CLASS kiosk.
fn kiosk_window(conn: &RustConnection) -> xproto::Window {
    let root = conn.setup().roots[0].root;
    let start = Instant::now();
    loop {
        let tree = conn.query_tree(root).expect("query_tree").reply().expect("tree");
        for w in tree.children {
            let class = conn
                .get_property(false, w, xproto::AtomEnum::WM_CLASS, xproto::AtomEnum::STRING, 0, 64)
                .expect("get_property")
                .reply()
                .expect("WM_CLASS");
            if class.value.starts_with(b"kiosk\0") {
                return w;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no kiosk window appeared");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn tap(conn: &RustConnection, win: xproto::Window, x: i16, y: i16) {
    let root = conn.setup().roots[0].root;
    for (response_type, mask) in [
        (xproto::BUTTON_PRESS_EVENT, EventMask::BUTTON_PRESS),
        (xproto::BUTTON_RELEASE_EVENT, EventMask::BUTTON_RELEASE),
    ] {
        let ev = ButtonPressEvent {
            response_type,
            detail: 1,
            sequence: 0,
            time: 0,
            root,
            event: win,
            child: x11rb::NONE,
            root_x: x,
            root_y: y,
            event_x: x,
            event_y: y,
            state: KeyButMask::default(),
            same_screen: true,
        };
        conn.send_event(false, win, mask, ev).expect("send a tap");
    }
    conn.flush().expect("flush");
}

/// Types `text` as a keyboard-wedge barcode scanner does (Shift where the keymap needs it),
/// then Return.
fn scan(conn: &RustConnection, win: xproto::Window, text: &str) {
    let setup = conn.setup();
    let (min, max) = (setup.min_keycode, setup.max_keycode);
    let map = conn.get_keyboard_mapping(min, max - min + 1).expect("keymap").reply().expect("keymap");
    let per = usize::from(map.keysyms_per_keycode);
    let find = |keysym: u32| -> (u8, KeyButMask) {
        for (i, syms) in map.keysyms.chunks(per).enumerate() {
            let code = min + i as u8;
            if syms.first() == Some(&keysym) {
                return (code, KeyButMask::default());
            }
            if syms.get(1) == Some(&keysym) {
                return (code, KeyButMask::SHIFT);
            }
        }
        panic!("no key for keysym {keysym:#x} in Xvfb's keymap");
    };
    let root = setup.roots[0].root;
    let keys = text.chars().map(|c| find(c as u32)).chain([find(0xff0d)]).collect::<Vec<_>>();
    for (code, state) in keys {
        for (response_type, mask) in
            [(xproto::KEY_PRESS_EVENT, EventMask::KEY_PRESS), (xproto::KEY_RELEASE_EVENT, EventMask::KEY_RELEASE)]
        {
            let ev = KeyPressEvent {
                response_type,
                detail: code,
                sequence: 0,
                time: 0,
                root,
                event: win,
                child: x11rb::NONE,
                root_x: 0,
                root_y: 0,
                event_x: 0,
                event_y: 0,
                state,
                same_screen: true,
            };
            conn.send_event(false, win, mask, ev).expect("send a key");
        }
    }
    conn.flush().expect("flush");
}

fn wait_exit(k: &mut Kiosk, within: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Ok(Some(status)) = k.0.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
#[ignore = "full suite (./test.sh): needs Xvfb"]
fn the_screen_shows_the_home_page_and_a_tap_opens_the_guide() {
    let t = TempStation::new();
    let scratch = tempfile::tempdir().expect("scratch");
    let home = expected(&t, "home", "1920x1080", scratch.path());
    let guide = expected(&t, "categories", "1920x1080", scratch.path());
    // No window manager: the kiosk's window covers the screen by itself.
    let x = Xvfb::start(1920, 1080);
    let conn = x.connect();
    let mut k = start_kiosk(&t, &x, &[]);
    wait_for_picture(&conn, &home, "the home page");
    let win = kiosk_window(&conn);
    // The 办事指南 tile is the first of the grid.
    tap(&conn, win, 350, 430);
    wait_for_picture(&conn, &guide, "办事指南 after a tap");
    // Close, as a window manager asks it (WM_DELETE_WINDOW): a clean exit.
    let atom = |name: &[u8]| conn.intern_atom(false, name).expect("atom").reply().expect("atom").atom;
    let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
    let msg = ClientMessageEvent::new(32, win, protocols, [delete, 0, 0, 0, 0]);
    conn.send_event(false, win, EventMask::NO_EVENT, msg).expect("send close");
    conn.flush().expect("flush");
    assert_eq!(wait_exit(&mut k, Duration::from_secs(10)), Some(0), "the kiosk closes cleanly when asked");
}

#[test]
#[ignore = "full suite (./test.sh): needs Xvfb"]
fn a_resized_window_is_drawn_again_at_its_new_size() {
    let t = TempStation::new();
    let scratch = tempfile::tempdir().expect("scratch");
    let home = expected(&t, "home", "1920x1080", scratch.path());
    let small = expected(&t, "home", "1280x800", scratch.path());
    let x = Xvfb::start(1920, 1080);
    let conn = x.connect();
    let _k = start_kiosk(&t, &x, &[]);
    wait_for_picture(&conn, &home, "the home page");
    let win = kiosk_window(&conn);
    conn.configure_window(win, &ConfigureWindowAux::new().width(1280).height(800)).expect("resize");
    conn.flush().expect("flush");
    wait_for_picture(&conn, &small, "the home page at 1280×800");
}

#[test]
#[ignore = "full suite (./test.sh): needs Xvfb"]
fn a_scanners_keys_reach_the_progress_lookup() {
    let t = TempStation::new();
    let token = {
        let mut st = t.station_at(NOW);
        st.submit_case(&crate::cases::request("A01", &[])).expect("submit").case.token
    };
    let scratch = tempfile::tempdir().expect("scratch");
    let home = expected(&t, "home", "1920x1080", scratch.path());
    let x = Xvfb::start(1920, 1080);
    let conn = x.connect();
    let _k = start_kiosk(&t, &x, &[]);
    wait_for_picture(&conn, &home, "the home page");
    let win = kiosk_window(&conn);
    // 进度查询 is the middle tile of the second row.
    tap(&conn, win, 960, 790);
    let lookup = wait_for_change(&conn, 1920, 1080, &home.2, "进度查询 after a tap");
    // A wrong code: the page says so and stays.
    let url = format!("http://192.168.1.10:8080/c/{token}");
    let last = if url.ends_with('x') { 'y' } else { 'x' };
    let wrong = format!("{}{last}", &url[..url.len() - 1]);
    scan(&conn, win, &wrong);
    let refused = wait_for_change(&conn, 1920, 1080, &lookup, "a wrong code scanned");
    // 首页, then 进度查询 again: the receipt's own code opens the case, another picture.
    tap(&conn, win, 310, 55);
    wait_for_picture(&conn, &home, "首页 after a tap");
    tap(&conn, win, 960, 790);
    let again = wait_for_change(&conn, 1920, 1080, &home.2, "进度查询 again");
    assert_eq!(again, lookup, "the lookup page opens empty again");
    scan(&conn, win, &url);
    let opened = wait_for_change(&conn, 1920, 1080, &lookup, "the receipt's code scanned");
    assert_ne!(opened, refused, "the right code (with its : / . and letters) opens the case; a wrong one does not");
}

#[test]
#[ignore = "full suite (./test.sh): needs Xvfb"]
fn the_scale_factor_follows_xft_dpi() {
    let t = TempStation::new();
    let scratch = tempfile::tempdir().expect("scratch");
    let home = expected(&t, "home", "1920x1080", scratch.path());
    let x = Xvfb::start(1920, 1080);
    let conn = x.connect();
    let blank = capture(&conn, 1920, 1080);
    // A HiDPI X session: Xft.dpi 192 in the resources means twice the size.
    let root = conn.setup().roots[0].root;
    conn.change_property8(
        xproto::PropMode::REPLACE,
        root,
        xproto::AtomEnum::RESOURCE_MANAGER,
        xproto::AtomEnum::STRING,
        b"Xcursor.size:\t24\nXft.dpi:\t192\n",
    )
    .expect("set the resources");
    conn.flush().expect("flush");
    let mut k = start_kiosk(&t, &x, &[]);
    let doubled = wait_for_change(&conn, 1920, 1080, &blank, "the home page at Xft.dpi 192");
    assert_ne!(doubled, home.2, "Xft.dpi 192 draws at scale 2, not 1");
    drop(k);
    conn.delete_property(root, xproto::AtomEnum::RESOURCE_MANAGER.into()).expect("clear the resources");
    conn.flush().expect("flush");
    // The same picture as SLINT_SCALE_FACTOR=2 asks for it.
    k = start_kiosk(&t, &x, &[("SLINT_SCALE_FACTOR", "2")]);
    wait_for_picture(&conn, &(1920, 1080, doubled), "the home page at SLINT_SCALE_FACTOR=2");
    drop(k);
}

#[test]
#[ignore = "full suite (./test.sh): needs Xvfb"]
fn slint_s_winit_backend_still_draws_when_chosen() {
    // `--windowed` (development) and SLINT_BACKEND keep Slint's own backend on X.
    let t = TempStation::new();
    let x = Xvfb::start(1920, 1080);
    let conn = x.connect();
    let blank = capture(&conn, 800, 600);
    for extra in [&[("SLINT_BACKEND", "winit")][..], &[]] {
        let args: &[&str] = if extra.is_empty() { &["--windowed"] } else { &[] };
        let k = start_kiosk_with(&t, &x, extra, args);
        // No window manager: winit's window stays at its own size, at the top left.
        wait_for_change(&conn, 800, 600, &blank, "the kiosk through winit");
        drop(k);
        // The window is gone when the screen is blank again (not after a guessed pause).
        let start = Instant::now();
        while capture(&conn, 800, 600) != blank {
            assert!(start.elapsed() < Duration::from_secs(20), "the kiosk's window stayed after it ended");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The `sqlite3` shell (Debian's), as a technician runs it on the box.
fn sqlite3(args: &[&str]) -> String {
    let o = Command::new("sqlite3")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("sqlite3 is needed by this test (package sqlite3; ./test.sh installs it): {e}"));
    assert!(o.status.success(), "sqlite3 {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
#[ignore = "full suite (./test.sh): needs Xvfb and the sqlite3 shell"]
fn an_outside_reader_never_splits_the_store_under_the_kiosk_and_the_service() {
    // Issue 13: a `sqlite3` shell that opened and closed the store while the kiosk or the
    // service ran deleted the write-ahead log under them (a process that held connections
    // had dropped its own locks by opening the file outside SQLite); their later writes
    // went into a deleted file. Here the kiosk (on a real X server), the station service
    // and the command line all write while the shell reads and backs the store up between
    // every step; every write must stay, and each process must see the others'.
    let t = TempStation::new();
    let pin = "246813\n";
    assert!(t.kiosk(NOW, &["staff", "add", "--no", "001", "--name", "张三", "--role", "admin"]).status.success());
    assert!(t.kiosk_stdin(NOW, &["staff", "set-pin", "001"], pin).status.success());
    let db = t.data_dir().join("kiosk.db");
    let dbs = db.to_str().expect("utf8").to_string();
    let scratch = tempfile::tempdir().expect("scratch");
    let x = Xvfb::start(1920, 1080);
    let conn = x.connect();
    let blank = capture(&conn, 1920, 1080);
    let _k = start_kiosk(&t, &x, &[]);
    // The home page of this store (it names who is on duty): whatever it shows once drawn.
    let home = (1920, 1080, wait_for_change(&conn, 1920, 1080, &blank, "the home page"));
    let win = kiosk_window(&conn);
    let serve = crate::util::Serve::start(&t, Some(NOW));
    let mut step = 0;
    // The shell reads (read-write, as most people open it, and -readonly) and backs up;
    // the journal must still be there afterwards, since the kiosk and the service hold it.
    let mut outside = |what: &str| {
        step += 1;
        let n: i64 = sqlite3(&[&dbs, "select count(*) from tickets"]).parse().expect("a count");
        let m: i64 = sqlite3(&["-readonly", &dbs, "select count(*) from tickets"]).parse().expect("a count");
        assert_eq!(n, m, "{what}");
        let copy = scratch.path().join(format!("shell-backup-{step}.db"));
        sqlite3(&[&dbs, &format!(".backup '{}'", copy.display())]);
        let copied: i64 =
            sqlite3(&[copy.to_str().expect("utf8"), "select count(*) from tickets"]).parse().expect("a count");
        assert_eq!(copied, n, "{what}: the shell's backup holds every ticket");
        assert!(
            t.data_dir().join("kiosk.db-wal").exists(),
            "{what}: the write-ahead log was deleted under the running kiosk and service"
        );
        n
    };
    let mut issued: Vec<String> = Vec::new();
    for round in 0..2 {
        outside("before the round");
        // The command line takes a ticket …
        let o = t.kiosk(NOW, &["ticket", "take", "--matter", "A01", "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        issued.push(v["number"].as_str().expect("number").to_string());
        outside("after a ticket from the command line");
        // … a villager takes one at the kiosk: 取号 → 人社 → 不是，普通取号 → the ticket …
        let mut screen = capture(&conn, 1920, 1080);
        for (x, y, what) in [(960, 380, "取号"), (351, 324, "人社"), (1400, 729, "普通取号")] {
            tap(&conn, win, x, y);
            screen = wait_for_change(&conn, 1920, 1080, &screen, what);
        }
        let kiosk_number = {
            let started = Instant::now();
            loop {
                let n = sqlite3(&[
                    "-readonly",
                    &dbs,
                    &format!(
                        "select number from tickets where number not in ('{}') order by id desc limit 1",
                        issued.join("','")
                    ),
                ]);
                if !n.is_empty() {
                    break n;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "round {round}: the kiosk's ticket never reached the store"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        };
        issued.push(kiosk_number.clone());
        // Its receipt is printed (or spooled) on another thread with its own connection:
        // that write is waited for too.
        let started = Instant::now();
        while sqlite3(&[
            "-readonly",
            &dbs,
            &format!(
                "select count(*) from print_jobs j join tickets t on t.id = j.ticket_id \
                 where t.number = '{kiosk_number}' and j.status != 'pending'"
            ),
        ]) != "1"
        {
            assert!(started.elapsed() < Duration::from_secs(20), "round {round}: the receipt was never settled");
            std::thread::sleep(Duration::from_millis(100));
        }
        outside("after a ticket at the kiosk");
        tap(&conn, win, 113, 55);
        wait_for_picture(&conn, &home, "首页");
        // … window 1 calls, starts and finishes the first waiting ticket from the command line …
        let o = t.kiosk_stdin(NOW, &["call", "next", "--window", "1", "--staff", "001", "--json"], pin);
        assert!(o.status.success(), "{}", stderr(&o));
        let called: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        let number = called["number"].as_str().expect("number").to_string();
        let token = called["token"].as_str().expect("token").to_string();
        outside("after a call");
        for action in ["start", "finish"] {
            let o = t.kiosk_stdin(
                NOW,
                &["call", action, "--number", &number, "--window", "1", "--staff", "001", "--json"],
                pin,
            );
            assert!(o.status.success(), "{action}: {}", stderr(&o));
            outside(action);
        }
        // … the service, which the shell has read beside, shows the villager's phone the
        // truth, and stores the villager's 不满意 …
        let page = crate::util::get_until(&serve.url(&format!("/t/{token}")), "已办结");
        assert!(page.contains("已办结"), "round {round}: the phone page of {number} after 办结: {page}");
        let r = crate::util::http()
            .post(&serve.url(&format!("/t/{token}/rate")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send("level=2&reason=wait&comment=")
            .expect("rate");
        assert!(r.status().as_u16() < 400, "round {round}: rating refused: {}", r.status());
        outside("after a rating through the service");
        let stored = sqlite3(&[
            "-readonly",
            &dbs,
            &format!("select count(*) from ratings r join tickets t on t.id = r.ticket_id where t.token = '{token}' and r.level = 2"),
        ]);
        assert_eq!(stored, "1", "round {round}: the 不满意 of {number} is in the store");
        // … and every page of the service still opens.
        for n in &issued {
            let tok = sqlite3(&["-readonly", &dbs, &format!("select token from tickets where number = '{n}'")]);
            let (status, _) = crate::util::get(&serve.url(&format!("/t/{tok}")));
            assert_eq!(status, 200, "round {round}: the phone page of {n}");
        }
    }
    drop(serve);
    drop(_k);
    // Everything every process wrote, with no number given twice, in a sound store.
    assert_eq!(sqlite3(&["-readonly", &dbs, "pragma integrity_check"]), "ok");
    let mut numbers: Vec<String> = sqlite3(&["-readonly", &dbs, "select number from tickets order by number"])
        .lines()
        .map(str::to_string)
        .collect();
    issued.sort();
    numbers.sort();
    assert_eq!(numbers, issued, "every ticket of the command line and the kiosk, each once");
    assert_eq!(sqlite3(&["-readonly", &dbs, "select count(*) from ratings"]), "2");
    assert_eq!(
        sqlite3(&["-readonly", &dbs, "select count(*) from ticket_events where kind = 'finished'"]),
        "2",
        "both 办结 are recorded"
    );
}
