//! A small pinyin keyboard for names typed at the kiosk: letters in, candidate hanzi out.
//!
//! Readings come from the `pinyin` crate. Which characters to offer, and in what order,
//! comes from GB2312 (via `encoding_rs`): its level-1 set is the 3,755 characters in
//! everyday use, offered first; level 2 follows. For the first character of a name the
//! most common family names come first.

use pinyin::ToPinyinMulti;
use std::sync::OnceLock;

/// The most common family names in mainland China, roughly by frequency.
const COMMON_SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";

struct Entry {
    c: char,
    readings: Vec<&'static str>,
    /// 1 = GB2312 level 1, 2 = level 2.
    level: u8,
    /// GB2312 code: within a level, pinyin order.
    code: u16,
}

fn gb2312(c: char) -> Option<(u8, u16)> {
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(s);
    if unmappable || bytes.len() != 2 {
        return None;
    }
    let (hi, lo) = (bytes[0], bytes[1]);
    if !(0xA1..=0xFE).contains(&lo) {
        return None;
    }
    let code = (hi as u16) << 8 | lo as u16;
    match hi {
        0xB0..=0xD7 => Some((1, code)),
        0xD8..=0xF7 => Some((2, code)),
        _ => None,
    }
}

fn table() -> &'static Vec<Entry> {
    static TABLE: OnceLock<Vec<Entry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut v = Vec::new();
        for u in 0x4E00u32..=0x9FA5 {
            let Some(c) = char::from_u32(u) else { continue };
            let Some((level, code)) = gb2312(c) else { continue };
            let Some(multi) = c.to_pinyin_multi() else { continue };
            let mut readings: Vec<&'static str> = Vec::new();
            for p in multi {
                if !readings.contains(&p.plain()) {
                    readings.push(p.plain());
                }
            }
            v.push(Entry { c, readings, level, code });
        }
        v.sort_by_key(|e| (e.level, e.code));
        v
    })
}

/// Candidate hanzi for `letters` (one syllable or its beginning), best first.
/// `surname` puts common family names first (the first character of a name).
pub fn candidates(letters: &str, surname: bool) -> Vec<char> {
    let l = letters.to_lowercase();
    if l.is_empty() || !l.bytes().all(|b| b.is_ascii_lowercase()) {
        return Vec::new();
    }
    let mut hits: Vec<(u8, u8, usize, u8, u16, char)> = table()
        .iter()
        .filter_map(|e| {
            let exact = e.readings.iter().any(|r| *r == l);
            if !exact && !e.readings.iter().any(|r| r.starts_with(&l)) {
                return None;
            }
            // A character whose usual (first) reading is this syllable beats one that only
            // has it as a rare reading (方 also reads wǎng, but nobody means that).
            let primary = e.readings.first().is_some_and(|r| r.starts_with(&l));
            let surname_rank =
                if surname { COMMON_SURNAMES.chars().position(|s| s == e.c).unwrap_or(usize::MAX) } else { usize::MAX };
            Some((u8::from(!exact), u8::from(!primary), surname_rank, e.level, e.code, e.c))
        })
        .collect();
    hits.sort();
    hits.into_iter().map(|h| h.5).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surnames_come_first_for_the_first_character() {
        let c = candidates("zhang", true);
        assert_eq!(c.first(), Some(&'张'));
        assert!(c.contains(&'章') && c.contains(&'掌'));
        let w = candidates("wang", true);
        assert_eq!(&w[..2], &['王', '汪']);
        let pos = |ch| w.iter().position(|&x| x == ch).unwrap_or(usize::MAX);
        assert!(pos('网') < pos('方'), "方's rare reading wǎng comes after real wang characters: {w:?}");
    }

    #[test]
    fn common_characters_before_rare_ones() {
        let c = candidates("ming", false);
        let pos = |ch| c.iter().position(|&x| x == ch).unwrap_or(usize::MAX);
        assert!(pos('明') < pos('茗'), "{c:?}");
        assert!(candidates("xyz", false).is_empty());
        assert!(candidates("", false).is_empty());
    }

    #[test]
    fn partial_syllables_offer_their_completions() {
        let c = candidates("zh", true);
        assert_eq!(c.first(), Some(&'张'), "张 is the commonest zh- surname: {:?}", &c[..5]);
    }
}
