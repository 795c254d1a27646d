//! The resident ID card (二代身份证) as a desktop reader's SAM module speaks it (公安部 SAM
//! protocol, DOMAIN §6.4): request and reply frames `AA AA AA 96 69 | Len(2, big-endian:
//! every byte after it, the check byte included) | payload | CHK (XOR of Len1 … the last
//! payload byte)`; find card `20 01`, select `20 02`, read text and photo `30 01`.
//!
//! Only what a matter needs is kept from a read: the name, the ID number, the address
//! (for 户籍 matters) and the expiry date (to warn). The photo, fingerprint, sex, ethnic
//! group, birth date, issuing office and the SAM's id are dropped here, as the reply is
//! parsed, and never leave this module.

/// The frames' preamble.
pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];
/// The longest frame length a reader sends (text, photo and fingerprint: 0x0A0A bytes).
const MAX_LEN: usize = 4096;

/// Find card (寻卡).
pub const FIND: [u8; 2] = [0x20, 0x01];
/// Select card (选卡).
pub const SELECT: [u8; 2] = [0x20, 0x02];
/// Read the text and the photo (读基本信息).
pub const READ: [u8; 2] = [0x30, 0x01];

/// SW3 status bytes.
pub const OK: u8 = 0x90;
pub const FOUND: u8 = 0x9F;
pub const NO_CARD: u8 = 0x80;

/// A request frame: the preamble, the length, `cmd` and its parameter, the check byte.
pub fn request(cmd: [u8; 2]) -> Vec<u8> {
    frame(&cmd)
}

/// A frame around `payload` (what a reader sends too: the test's simulated reader uses it).
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() + 1) as u16;
    let mut out = PREAMBLE.to_vec();
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.push(check(&out[PREAMBLE.len()..]));
    out
}

fn check(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

/// A reply: SW1 SW2 SW3 and the data after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub sw3: u8,
    pub data: Vec<u8>,
}

/// A frame that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("读卡器的回复校验不对（线路有干扰），请再放一次身份证")]
    Checksum,
}

/// Finds frames in the bytes as they come from the line: noise before a frame is skipped,
/// a frame split over several reads waits for its rest, a length no reader sends is noise.
#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
}

impl Parser {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        // Never more than a few frames' worth of noise.
        if self.buf.len() > 4 * MAX_LEN {
            let cut = self.buf.len() - 2 * MAX_LEN;
            self.buf.drain(..cut);
        }
    }

    /// The next whole frame, if one is there.
    pub fn next_frame(&mut self) -> Option<Result<Reply, FrameError>> {
        loop {
            let start = self.buf.windows(PREAMBLE.len()).position(|w| w == PREAMBLE);
            let Some(start) = start else {
                // Keep a possible start of a preamble split across reads.
                let keep = self.buf.len().min(PREAMBLE.len() - 1);
                let cut = self.buf.len() - keep;
                self.buf.drain(..cut);
                return None;
            };
            self.buf.drain(..start);
            if self.buf.len() < PREAMBLE.len() + 2 {
                return None;
            }
            let len = u16::from_be_bytes([self.buf[5], self.buf[6]]) as usize;
            if !(4..=MAX_LEN).contains(&len) {
                // Not a frame after all: look for the next preamble.
                self.buf.drain(..1);
                continue;
            }
            let total = PREAMBLE.len() + 2 + len;
            if self.buf.len() < total {
                return None;
            }
            let f: Vec<u8> = self.buf.drain(..total).collect();
            let body = &f[PREAMBLE.len()..total - 1];
            if check(body) != f[total - 1] {
                return Some(Err(FrameError::Checksum));
            }
            let payload = &f[PREAMBLE.len() + 2..total - 1];
            return Some(Ok(Reply { sw3: payload[2], data: payload[3..].to_vec() }));
        }
    }
}

/// What a read keeps of a card. Nothing else of the reply survives the parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardText {
    pub name: String,
    pub id_number: String,
    pub address: String,
    /// "YYYY-MM-DD", or "长期" for a card without end.
    pub valid_to: String,
}

/// Why a read reply cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("读卡器读到的内容不完整，请把身份证放稳，再读一次")]
    Short,
    #[error("这不是居民身份证（读到的是其他证件），请放居民身份证，或在屏幕上输入")]
    NotResident,
    #[error("读到的身份证内容不对，请再读一次，或在屏幕上输入")]
    Garbled,
}

fn ucs2(bytes: &[u8]) -> Result<String, CardError> {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    let s = String::from_utf16(&units).map_err(|_| CardError::Garbled)?;
    Ok(s.trim_matches(|c: char| c == ' ' || c == '\0' || c == '\u{3000}').to_string())
}

/// The kept fields of a read reply's data (text length, photo length, 256 bytes of text,
/// the photo): the photo is never looked at beyond its length.
pub fn parse_read(data: &[u8]) -> Result<CardText, CardError> {
    if data.len() < 4 + 256 {
        return Err(CardError::Short);
    }
    let text_len = u16::from_be_bytes([data[0], data[1]]) as usize;
    if text_len < 256 || data.len() < 4 + text_len {
        return Err(CardError::Short);
    }
    let text = &data[4..4 + 256];
    // Other cards (the foreigner's permanent-residence card "I", the Hong Kong, Macao and
    // Taiwan residence permit "J") mark their kind at 248–250.
    let mark = ucs2(&text[248..250])?;
    if !mark.is_empty() {
        return Err(CardError::NotResident);
    }
    let name = ucs2(&text[0..30])?;
    let address = ucs2(&text[52..122])?;
    let id_number = ucs2(&text[122..158])?;
    let to = ucs2(&text[204..220])?;
    let valid_to = if to.chars().all(|c| c.is_ascii_digit()) && to.len() == 8 {
        format!("{}-{}-{}", &to[0..4], &to[4..6], &to[6..8])
    } else if to.contains("长期") {
        "长期".to_string()
    } else {
        return Err(CardError::Garbled);
    };
    if name.is_empty() || id_number.chars().count() != 18 {
        return Err(CardError::Garbled);
    }
    Ok(CardText { name, id_number, address, valid_to })
}

/// The words for a reader's status byte (SW3) other than OK, found and no card.
pub fn status_words(sw3: u8) -> &'static str {
    match sw3 {
        0x81 => tr_later!("没能选中身份证，请把身份证放稳，再读一次"),
        0x41 => tr_later!("读卡失败：身份证拿开得太早了，请放好别动，再读一次"),
        0x10 | 0x11 => tr_later!("读卡器说收到的命令不完整（线路有干扰），请再读一次"),
        0x31..=0x33 => tr_later!("身份证和读卡器互相认证没有通过，请换个角度再放一次"),
        0x40 => tr_later!("读卡器不认识这张卡，请放居民身份证"),
        0x60 | 0x66 => tr_later!("读卡器的安全模块不能用，请联系工作人员"),
        _ => tr_later!("读卡器出错了，请联系工作人员，或在屏幕上输入"),
    }
}

/// The text block of a card, as a reader would send it (for the tests' simulated reader
/// and the documentation): every field in its place, UCS-2, space-padded.
pub fn text_block(fields: &[(usize, usize, &str)]) -> Vec<u8> {
    let mut text = vec![0u8; 256];
    for pair in text.chunks_exact_mut(2) {
        pair.copy_from_slice(&0x0020u16.to_le_bytes());
    }
    for (from, to, value) in fields {
        let units: Vec<u16> = value.encode_utf16().collect();
        for (i, u) in units.iter().enumerate() {
            let at = from + 2 * i;
            if at + 2 <= *to {
                text[at..at + 2].copy_from_slice(&u.to_le_bytes());
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn card(mark: &str, to: &str) -> Vec<u8> {
        let text = text_block(&[
            (0, 30, "王小明"),
            (30, 32, "1"),
            (32, 36, "01"),
            (36, 52, "19450315"),
            (52, 122, "河北省石家庄市鹿泉区南刘庄村1号"),
            (122, 158, "130110194503150138"),
            (158, 188, "鹿泉区公安局"),
            (188, 204, "20200101"),
            (204, 220, to),
            (248, 250, mark),
        ]);
        let mut data = vec![0x01, 0x00, 0x04, 0x00];
        data.extend(text);
        data.extend(std::iter::repeat_n(0x5A, 1024));
        data
    }

    #[test]
    fn the_examples_of_the_protocol() {
        assert_eq!(request([0x11, 0xFF]), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x11, 0xFF, 0xED]);
        assert_eq!(request(FIND), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22]);
        let mut p = Parser::default();
        p.push(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x80, 0x84]);
        assert_eq!(p.next_frame(), Some(Ok(Reply { sw3: NO_CARD, data: vec![] })));
        assert_eq!(p.next_frame(), None);
    }

    #[test]
    fn a_read_keeps_only_what_a_matter_needs() {
        let c = parse_read(&card("", "20400101")).expect("card");
        assert_eq!(
            c,
            CardText {
                name: "王小明".into(),
                id_number: "130110194503150138".into(),
                address: "河北省石家庄市鹿泉区南刘庄村1号".into(),
                valid_to: "2040-01-01".into()
            }
        );
        assert_eq!(parse_read(&card("", "长期")).expect("card").valid_to, "长期");
        assert_eq!(parse_read(&card("I", "20400101")), Err(CardError::NotResident));
        assert_eq!(parse_read(&card("", "2040")), Err(CardError::Garbled));
        assert_eq!(parse_read(&[0x01, 0x00]), Err(CardError::Short));
    }

    #[test]
    fn noise_split_frames_and_bad_checks() {
        let reply = frame(&[0x00, 0x00, OK, 1, 2, 3]);
        let mut bytes = vec![0x13, 0xAA, 0x00, 0xAA, 0xAA];
        bytes.extend(&reply);
        let mut p = Parser::default();
        for chunk in bytes.chunks(3) {
            p.push(chunk);
        }
        assert_eq!(p.next_frame(), Some(Ok(Reply { sw3: OK, data: vec![1, 2, 3] })));
        let mut bad = frame(&[0x00, 0x00, OK]);
        let last = bad.len() - 1;
        bad[last] ^= 0xFF;
        p.push(&bad);
        p.push(&frame(&[0x00, 0x00, FOUND]));
        assert_eq!(p.next_frame(), Some(Err(FrameError::Checksum)));
        assert_eq!(p.next_frame().map(|r| r.map(|r| r.sw3)), Some(Ok(FOUND)));
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic_and_a_frame_among_them_is_found(
            noise in proptest::collection::vec(any::<u8>(), 0..600),
            cuts in proptest::collection::vec(1usize..64, 1..40),
            garbage in proptest::collection::vec(any::<u8>(), 0..3000),
        ) {
            let mut p = Parser::default();
            p.push(&garbage);
            while p.next_frame().is_some() {}
            let _ = parse_read(&garbage);
            // Noise without a preamble, then a good frame in pieces: found.
            let noise: Vec<u8> = noise.into_iter().filter(|b| *b != 0xAA).collect();
            let mut p = Parser::default();
            let mut bytes = noise.clone();
            bytes.extend(frame(&[0x00, 0x00, FOUND, 7]));
            let mut at = 0;
            let mut found = None;
            for c in cuts.iter().cycle() {
                if at >= bytes.len() { break; }
                let end = (at + c).min(bytes.len());
                p.push(&bytes[at..end]);
                at = end;
                if let Some(r) = p.next_frame() { found = Some(r); }
            }
            while found.is_none() {
                match p.next_frame() { Some(r) => found = Some(r), None => break }
            }
            prop_assert_eq!(found, Some(Ok(Reply { sw3: FOUND, data: vec![7] })));
        }
    }
}
