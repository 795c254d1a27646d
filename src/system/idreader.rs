//! Reading a resident ID card through a desktop reader that speaks the SAM protocol on a
//! serial line (DOMAIN §6.4): find the card, select it, read its text — and keep only
//! what [`crate::domain::idcard::parse_read`] keeps. Every fault has its words.

use super::serial::Line;
use crate::domain::idcard::{self, CardError, CardText, FrameError, Parser, Reply};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a command's reply may take (the read of text and photo takes about 1 s).
const REPLY_WITHIN: Duration = Duration::from_millis(2500);
/// Between two looks for a card.
const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("没有检测到身份证")]
    NoCard,
    #[error("读卡器没有连接（{0}）：请检查读卡器的线，插好后再试")]
    NotConnected(String),
    #[error("读卡器断开了：请检查读卡器的线，插好后再试")]
    Lost,
    #[error("读卡器没有回应：请检查读卡器是否通电、station.toml 里的设备对不对")]
    Silent,
    #[error("{0}")]
    Status(&'static str),
    #[error("{0}")]
    Frame(#[from] FrameError),
    #[error("{0}")]
    Card(#[from] CardError),
}

struct Reader {
    line: Line,
    parser: Parser,
}

impl Reader {
    fn ask(&mut self, cmd: [u8; 2]) -> Result<Reply, ReadError> {
        let mut tries = 0;
        loop {
            self.line.send(&idcard::request(cmd)).map_err(|_| ReadError::Lost)?;
            match self.reply() {
                Err(ReadError::Frame(_)) if tries < 2 => tries += 1,
                other => return other,
            }
        }
    }

    fn reply(&mut self) -> Result<Reply, ReadError> {
        let deadline = Instant::now() + REPLY_WITHIN;
        loop {
            if let Some(r) = self.parser.next_frame() {
                return Ok(r?);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ReadError::Silent);
            }
            let bytes = self.line.receive(left.min(Duration::from_millis(200))).map_err(|_| ReadError::Lost)?;
            self.parser.push(&bytes);
        }
    }
}

fn open(path: &Path) -> Result<Reader, ReadError> {
    let line = Line::open(path).map_err(|e| ReadError::NotConnected(format!("{}: {e}", path.display())))?;
    Ok(Reader { line, parser: Parser::default() })
}

/// Waits up to `timeout` for a card on the reader at `path` and reads it.
pub fn read_card(path: &Path, timeout: Duration) -> Result<CardText, ReadError> {
    let mut r = open(path)?;
    let deadline = Instant::now() + timeout;
    loop {
        let found = r.ask(idcard::FIND)?;
        match found.sw3 {
            idcard::FOUND => break,
            idcard::NO_CARD | 0x81 => {
                if Instant::now() >= deadline {
                    return Err(ReadError::NoCard);
                }
                std::thread::sleep(POLL);
            }
            other => return Err(ReadError::Status(idcard::status_words(other))),
        }
    }
    let selected = r.ask(idcard::SELECT)?;
    if selected.sw3 != idcard::OK {
        return Err(ReadError::Status(idcard::status_words(selected.sw3)));
    }
    let read = r.ask(idcard::READ)?;
    if read.sw3 != idcard::OK {
        return Err(ReadError::Status(idcard::status_words(read.sw3)));
    }
    // The reply's photo goes with `read` when it is dropped here; only the text is kept.
    Ok(idcard::parse_read(&read.data)?)
}

/// After a read: waits up to `timeout` for the card to leave the reader (the same card
/// is not read twice). True when it has.
pub fn wait_lifted(path: &Path, timeout: Duration) -> Result<bool, ReadError> {
    let mut r = open(path)?;
    let deadline = Instant::now() + timeout;
    loop {
        if r.ask(idcard::FIND)?.sw3 == idcard::NO_CARD {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(POLL);
    }
}
