//! A serial line for the ID-card reader: the device opened raw at 115200 8N1 (a USB-serial
//! reader ignores the rate), written to and read from with a deadline. No vendor library.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Line {
    file: File,
}

impl Line {
    /// Opens `path` raw: no echo, no line editing, no translation, 115200 baud, 8N1.
    pub fn open(path: &Path) -> std::io::Result<Line> {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has a NUL byte"))?;
        // SAFETY: a valid C string; the descriptor is owned by the File below.
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fd is a descriptor we just opened and own.
        let file = unsafe { File::from_raw_fd(fd) };
        // SAFETY: termios is plain data; tcgetattr fills it or fails.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd is open; t is a valid termios.
        if unsafe { libc::tcgetattr(fd, &mut t) } == 0 {
            // SAFETY: t was filled by tcgetattr.
            unsafe {
                libc::cfmakeraw(&mut t);
                libc::cfsetispeed(&mut t, libc::B115200);
                libc::cfsetospeed(&mut t, libc::B115200);
            }
            t.c_cflag |= libc::CLOCAL | libc::CREAD;
            // SAFETY: fd is open; t is valid.
            unsafe { libc::tcsetattr(fd, libc::TCSANOW, &t) };
        }
        Ok(Line { file })
    }

    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut at = 0;
        let deadline = Instant::now() + Duration::from_secs(2);
        while at < bytes.len() {
            match self.file.write(&bytes[at..]) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => at += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() > deadline {
                        return Err(std::io::ErrorKind::TimedOut.into());
                    }
                    self.wait(libc::POLLOUT, Duration::from_millis(50))?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// What arrives within `within` (empty when nothing did). A line that went away (the
    /// reader unplugged) is an error.
    pub fn receive(&mut self, within: Duration) -> std::io::Result<Vec<u8>> {
        if !self.wait(libc::POLLIN, within)? {
            return Ok(Vec::new());
        }
        let mut buf = [0u8; 2048];
        match self.file.read(&mut buf) {
            Ok(0) => Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the line was closed")),
            Ok(n) => Ok(buf[..n].to_vec()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn wait(&self, events: libc::c_short, within: Duration) -> std::io::Result<bool> {
        let mut p = libc::pollfd { fd: self.file.as_raw_fd(), events, revents: 0 };
        let ms = within.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut p, 1, ms) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return if e.kind() == std::io::ErrorKind::Interrupted { Ok(false) } else { Err(e) };
        }
        if n > 0 && p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 && p.revents & events == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the reader went away"));
        }
        Ok(n > 0)
    }
}
