//! The log files: one per face and day (`serve-2026-11-29.log`), so that the purge can
//! keep 30 days. Warnings and errors reach the disk at once; routine lines (the station
//! service's access log: one per request) are buffered and written within a second, so a
//! busy service does not make a system call per request. A process that runs past
//! midnight moves on to the new day's file at its next line.

use chrono::NaiveDate;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// The file of `face` on `day`.
pub fn file_name(face: &str, day: NaiveDate) -> String {
    format!("{face}-{day}.log")
}

struct Current {
    dir: PathBuf,
    face: String,
    day: NaiveDate,
    buf: BufWriter<File>,
}

impl Current {
    /// On a new day: the old file written out, the new one opened (kept if it cannot be).
    fn roll(&mut self) {
        let today = chrono::Local::now().date_naive();
        if today == self.day {
            return;
        }
        if let Ok(f) = open(&self.dir, &self.face, today) {
            let _ = self.buf.flush();
            self.buf = BufWriter::with_capacity(64 * 1024, f);
            self.day = today;
        }
    }
}

fn open(dir: &Path, face: &str, day: NaiveDate) -> std::io::Result<File> {
    std::fs::OpenOptions::new().create(true).append(true).open(dir.join(file_name(face, day)))
}

#[derive(Clone)]
pub struct LogFile {
    current: Arc<Mutex<Current>>,
}

static CURRENT: OnceLock<LogFile> = OnceLock::new();

/// Writes out what is buffered (at the end of a command, or when the service stops).
pub fn flush() {
    if let Some(l) = CURRENT.get() {
        let _ = l.lock().buf.flush();
    }
}

impl LogFile {
    /// Today's log of `face` in `dir`.
    pub fn open(dir: &Path, face: &str) -> std::io::Result<LogFile> {
        let day = chrono::Local::now().date_naive();
        let file = open(dir, face, day)?;
        let current = Arc::new(Mutex::new(Current {
            dir: dir.to_path_buf(),
            face: face.to_string(),
            day,
            buf: BufWriter::with_capacity(64 * 1024, file),
        }));
        let weak = Arc::downgrade(&current);
        let _ = std::thread::Builder::new().name("log-flush".into()).spawn(move || {
            while let Some(c) = weak.upgrade() {
                if let Ok(mut c) = c.lock() {
                    let _ = c.buf.flush();
                }
                drop(c);
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        let log = LogFile { current };
        let _ = CURRENT.set(log.clone());
        Ok(log)
    }

    fn lock(&self) -> MutexGuard<'_, Current> {
        let mut g = self.current.lock().unwrap_or_else(|p| p.into_inner());
        g.roll();
        g
    }
}

/// One event's writer: buffered, flushed on drop when the event matters.
pub struct EventWriter<'a> {
    guard: MutexGuard<'a, Current>,
    urgent: bool,
}

impl Write for EventWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.guard.buf.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.guard.buf.flush()
    }
}

impl Drop for EventWriter<'_> {
    fn drop(&mut self) {
        if self.urgent {
            let _ = self.guard.buf.flush();
        }
    }
}

impl<'a> MakeWriter<'a> for LogFile {
    type Writer = EventWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter { guard: self.lock(), urgent: true }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        EventWriter { guard: self.lock(), urgent: *meta.level() <= Level::WARN }
    }
}
