//! The ID-card reader (issue 17, part 2): `kiosk idcard read` against a simulated reader
//! on a pseudo-terminal pair — a card with a synthetic identity that passes GB 11643, and
//! every fault: no card, noise before a reply and replies in pieces, a bad check byte, a
//! card that is not a resident ID card, an expired card, a reader that does not answer,
//! the reader unplugged. No photo byte ever reaches the output or the data folder.

use crate::util::{kiosk_bin, stderr, stdout};
use kiosk::domain::idcard::{self, text_block};
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The synthetic person of DOMAIN §6.1.
const ID: &str = "130110194503150138";
/// A byte pattern only the photo block holds (the test greps for it).
pub(crate) const PHOTO: [u8; 8] = [0xF1, 0x9E, 0x37, 0xC2, 0x5B, 0x08, 0xE4, 0x6D];

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Sim {
    Card,
    NoCard,
    /// Noise before each reply, each reply written a few bytes at a time.
    NoisyAndSplit,
    /// The first reply to the read has a wrong check byte.
    BadCheckOnce,
    NotResident,
    Expired,
    /// Never answers.
    Silent,
    /// Answers the find, then goes away (unplugged).
    Unplugged,
}

fn card_data(mark: &str, valid_to: &str) -> Vec<u8> {
    let text = text_block(&[
        (0, 30, "王小明"),
        (30, 32, "1"),
        (32, 36, "01"),
        (36, 52, "19450315"),
        (52, 122, "河北省石家庄市鹿泉区南刘庄村1号"),
        (122, 158, ID),
        (158, 188, "鹿泉区公安局"),
        (188, 204, "20200101"),
        (204, 220, valid_to),
        (248, 250, mark),
    ]);
    let mut data = vec![0x00, 0x00, idcard::OK, 0x01, 0x00, 0x04, 0x00];
    data.extend(text);
    data.extend(PHOTO.iter().cycle().take(1024));
    data
}

/// A pseudo-terminal pair: the master for the simulated reader, the slave's path for the
/// kiosk.
pub(crate) fn pty() -> (std::fs::File, String) {
    // SAFETY: plain libc calls on a descriptor we own; ptsname's buffer is copied at once.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(fd >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(fd), 0);
        assert_eq!(libc::unlockpt(fd), 0);
        let name = std::ffi::CStr::from_ptr(libc::ptsname(fd)).to_string_lossy().into_owned();
        (std::fs::File::from_raw_fd(fd), name)
    }
}

/// Runs the simulated reader until `stop`: answers each request the way `sim` says.
pub(crate) fn simulate(mut master: std::fs::File, sim: Sim, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut bad_sent = false;
        let mut reads = 0;
        let mut chunk = [0u8; 256];
        while !stop.load(Ordering::SeqCst) {
            let mut p = libc::pollfd { fd: std::os::fd::AsRawFd::as_raw_fd(&master), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut p, 1, 50) };
            if n <= 0 || p.revents & libc::POLLIN == 0 {
                if n > 0 {
                    std::thread::sleep(Duration::from_millis(20)); // no slave open yet (POLLHUP)
                }
                continue;
            }
            match master.read(&mut chunk) {
                Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            }
            // Requests: preamble, 00 03, CMD PARA, CHK.
            while let Some(at) = buf.windows(5).position(|w| w == idcard::PREAMBLE) {
                if buf.len() < at + 10 {
                    break;
                }
                let cmd = [buf[at + 7], buf[at + 8]];
                buf.drain(..at + 10);
                if sim == Sim::Silent {
                    continue;
                }
                let reply: Vec<u8> = match cmd {
                    idcard::FIND if sim == Sim::NoCard => idcard::frame(&[0, 0, idcard::NO_CARD]),
                    idcard::FIND => idcard::frame(&[0, 0, idcard::FOUND, 0, 0, 0, 0]),
                    idcard::SELECT => idcard::frame(&[0, 0, idcard::OK, 0, 0, 0, 0, 0, 0, 0, 0]),
                    idcard::READ => {
                        reads += 1;
                        let data = match sim {
                            Sim::NotResident => card_data("I", "20400101"),
                            Sim::Expired => card_data("", "20200101"),
                            _ => card_data("", "20400101"),
                        };
                        let mut f = idcard::frame(&data);
                        if sim == Sim::BadCheckOnce && !bad_sent {
                            bad_sent = true;
                            let last = f.len() - 1;
                            f[last] ^= 0x55;
                        }
                        f
                    }
                    _ => idcard::frame(&[0, 0, 0x21]),
                };
                if sim == Sim::Unplugged && cmd == idcard::SELECT {
                    // The reader goes away: the line closes under the kiosk.
                    drop(master);
                    return;
                }
                let mut out = Vec::new();
                if sim == Sim::NoisyAndSplit {
                    out.extend_from_slice(&[0x00, 0x13, 0xAA, 0x96, 0xFF]);
                }
                out.extend(reply);
                let step = if sim == Sim::NoisyAndSplit { 7 } else { out.len() };
                for piece in out.chunks(step) {
                    let _ = master.write_all(piece);
                    let _ = master.flush();
                    if sim == Sim::NoisyAndSplit {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
            }
            let _ = reads;
        }
    })
}

fn read_with(sim: Sim, timeout: &str) -> std::process::Output {
    let (master, slave) = pty();
    let stop = Arc::new(AtomicBool::new(false));
    let h = simulate(master, sim, stop.clone());
    let data = tempfile::tempdir().expect("dir");
    let o = Command::new(kiosk_bin())
        .args(["--data-dir", data.path().to_str().expect("utf8")])
        .args(["idcard", "read", "--device", &slave, "--timeout-secs", timeout, "--json"])
        .env("KIOSK_NOW", "2026-11-30T09:00:00+08:00")
        .env_remove("DISPLAY")
        .output()
        .expect("run kiosk");
    stop.store(true, Ordering::SeqCst);
    let _ = h.join();
    // Nothing of the photo anywhere: the output, the data folder (it stays empty: the
    // command needs no store).
    let mut all = o.stdout.clone();
    all.extend(&o.stderr);
    for e in walk(data.path()) {
        all.extend(std::fs::read(e).unwrap_or_default());
    }
    assert!(!all.windows(PHOTO.len()).any(|w| w == PHOTO), "a photo byte pattern was written somewhere");
    o
}

pub(crate) fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The pseudo-terminal tests run one at a time (they share the process's pty handling).
pub(crate) static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_card_is_read_masked_and_checked_as_a_typed_number_is() {
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    for sim in [Sim::Card, Sim::NoisyAndSplit, Sim::BadCheckOnce] {
        let o = read_with(sim, "5");
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
        assert_eq!(v, serde_json::json!({"name": "王**", "id": "130***********0138", "valid_to": "2040-01-01"}));
        assert!(!stdout(&o).contains("河北省") && !stdout(&o).contains("鹿泉区公安局"));
    }
    // Expired: read, with a warning.
    let o = read_with(Sim::Expired, "5");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"valid_to\":\"2020-01-01\""), "{}", stdout(&o));
    assert!(stderr(&o).contains("已经过期"), "{}", stderr(&o));
}

#[test]
fn every_reader_fault_has_its_words_and_its_exit_code() {
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let o = read_with(Sim::NoCard, "1");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("没有检测到身份证"));
    let o = read_with(Sim::NotResident, "5");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("这不是居民身份证"), "{}", stderr(&o));
    let o = read_with(Sim::Silent, "1");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("读卡器没有回应"), "{}", stderr(&o));
    let o = read_with(Sim::Unplugged, "5");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("读卡器断开了") || stderr(&o).contains("读卡器没有回应"), "{}", stderr(&o));
    let o = Command::new(kiosk_bin())
        .args(["idcard", "read", "--device", "/dev/ttyUSB-none", "--timeout-secs", "1", "--json"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("读卡器没有连接"), "{}", stderr(&o));
}
