//! The log file's writer. Warnings and errors reach the disk at once; routine lines (the
//! station service's access log: one per request) are buffered and written within a
//! second, so a busy service does not make a system call per request.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone)]
pub struct LogFile {
    buf: Arc<Mutex<BufWriter<File>>>,
}

static CURRENT: OnceLock<LogFile> = OnceLock::new();

/// Writes out what is buffered (at the end of a command, or when the service stops).
pub fn flush() {
    if let Some(l) = CURRENT.get() {
        let _ = l.lock().flush();
    }
}

impl LogFile {
    pub fn new(file: File) -> LogFile {
        let buf = Arc::new(Mutex::new(BufWriter::with_capacity(64 * 1024, file)));
        let weak = Arc::downgrade(&buf);
        let _ = std::thread::Builder::new().name("log-flush".into()).spawn(move || {
            while let Some(buf) = weak.upgrade() {
                if let Ok(mut b) = buf.lock() {
                    let _ = b.flush();
                }
                drop(buf);
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        let log = LogFile { buf };
        let _ = CURRENT.set(log.clone());
        log
    }

    fn lock(&self) -> MutexGuard<'_, BufWriter<File>> {
        self.buf.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One event's writer: buffered, flushed on drop when the event matters.
pub struct EventWriter<'a> {
    guard: MutexGuard<'a, BufWriter<File>>,
    urgent: bool,
}

impl Write for EventWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.guard.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.guard.flush()
    }
}

impl Drop for EventWriter<'_> {
    fn drop(&mut self) {
        if self.urgent {
            let _ = self.guard.flush();
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
