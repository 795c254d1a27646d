//! Resident ID numbers (GB 11643-1999), phone numbers, and masking for screens and paper.
//!
//! Checks say exactly what is wrong, in plain Chinese, because the person reading the
//! message is a villager at a keypad. Masking follows DOMAIN §6.3: ID `130***********0138`,
//! mobile `138****5678`, name `张*`.

use chrono::{Datelike, NaiveDate};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// ISO 7064 MOD 11-2 check character of the first 17 digits.
pub fn check_char(body17: &str) -> Option<char> {
    if body17.len() != 17 || !body17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let s: u32 = body17.bytes().zip(WEIGHTS).map(|(b, w)| (b - b'0') as u32 * w).sum();
    Some(CHECK[(s % 11) as usize] as char)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("身份证号应为18位（老身份证15位），您输入了{0}位")]
    Length(usize),
    #[error("身份证号只能是数字，最后一位可以是X")]
    Characters,
    #[error("身份证号里的出生日期{0}不存在，请核对第7到14位")]
    BadDate(String),
    #[error("身份证号里的出生日期{0}还没到，请核对第7到14位")]
    FutureDate(String),
    #[error("身份证号最后一位应为{expected}，您输入的是{got}，请逐位核对")]
    Check { expected: char, got: char },
}

/// A checked 18-character ID number (uppercase X).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").ok()
    }

    pub fn masked(&self) -> String {
        mask_id(&self.0)
    }
}

/// Validates an ID number typed at the kiosk (spaces ignored, x accepted for X). A 15-digit
/// first-generation number is converted: "19" inserted before the year, check computed.
pub fn parse_id(input: &str, today: NaiveDate) -> Result<IdNumber, IdError> {
    let input = super::text::half_width(input);
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    let n = s.chars().count();
    // Everything below slices by byte: only ASCII may go further (a full-width ０ may not).
    if !s.is_ascii() {
        return Err(IdError::Characters);
    }
    let full = match n {
        18 => {
            if !s[..17].bytes().all(|b| b.is_ascii_digit()) || !s[17..].bytes().all(|b| b.is_ascii_digit() || b == b'X')
            {
                return Err(IdError::Characters);
            }
            s
        }
        15 => {
            if !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(IdError::Characters);
            }
            let body = format!("{}19{}", &s[..6], &s[6..]);
            let c = check_char(&body).ok_or(IdError::Characters)?;
            format!("{body}{c}")
        }
        _ => {
            if !s.chars().all(|c| c.is_ascii_digit() || c == 'X') {
                return Err(IdError::Characters);
            }
            return Err(IdError::Length(n));
        }
    };
    let date_str = &full[6..14];
    let shown = format!("{}年{}月{}日", &date_str[..4], &date_str[4..6], &date_str[6..8]);
    let birth = NaiveDate::parse_from_str(date_str, "%Y%m%d").map_err(|_| IdError::BadDate(shown.clone()))?;
    if birth.year() < 1880 {
        return Err(IdError::BadDate(shown));
    }
    if birth > today {
        return Err(IdError::FutureDate(shown));
    }
    let expected = check_char(&full[..17]).ok_or(IdError::Characters)?;
    let got = full.chars().nth(17).unwrap_or('?');
    if expected != got {
        return Err(IdError::Check { expected, got });
    }
    Ok(IdNumber(full))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("请输入电话号码")]
    Empty,
    #[error("手机号应为11位，您输入了{0}位")]
    MobileLength(usize),
    #[error("手机号第二位应是3到9，请核对")]
    MobilePrefix,
    #[error("座机请带区号，例如 0311-12345678")]
    Landline,
    #[error("电话号码只能是数字")]
    Characters,
}

/// Normalises and checks a phone number: a mainland mobile (`1[3-9]` + 9 digits, after
/// stripping +86/0086, spaces, dashes) or a landline with area code (`0` + 2–3 + 7–8 digits).
/// Returns the number as stored: mobiles as 11 digits, landlines as `0311-12345678`.
pub fn parse_phone(input: &str) -> Result<String, PhoneError> {
    let input = super::text::half_width(input);
    let mut raw: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if raw.is_empty() {
        return Err(PhoneError::Empty);
    }
    // The country code belongs to a mobile only: +86 138…, never +86 0311….
    let international = if let Some(rest) = raw.strip_prefix("+86") {
        raw = rest.trim_start_matches('-').to_string();
        true
    } else if let Some(rest) = raw.strip_prefix("0086") {
        raw = rest.trim_start_matches('-').to_string();
        true
    } else {
        false
    };
    let digits: String = raw.chars().filter(|c| *c != '-').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::Characters);
    }
    if international && !digits.starts_with('1') {
        return Err(PhoneError::MobilePrefix);
    }
    if digits.starts_with('1') {
        if digits.len() != 11 {
            return Err(PhoneError::MobileLength(digits.len()));
        }
        if !matches!(digits.as_bytes()[1], b'3'..=b'9') {
            return Err(PhoneError::MobilePrefix);
        }
        return Ok(digits);
    }
    if digits.starts_with('0') {
        // Area codes: 3 digits (010, 02x) or 4 digits (0311…); local numbers 7–8 digits.
        let area_len = if digits.starts_with("01") || digits.starts_with("02") { 3 } else { 4 };
        if raw.contains('-') {
            let (area, local) = raw.split_once('-').unwrap_or(("", ""));
            let local: String = local.chars().filter(|c| *c != '-').collect();
            if (3..=4).contains(&area.len())
                && area.starts_with('0')
                && area.bytes().all(|b| b.is_ascii_digit())
                && (7..=8).contains(&local.len())
                && local.bytes().all(|b| b.is_ascii_digit())
            {
                return Ok(format!("{area}-{local}"));
            }
            return Err(PhoneError::Landline);
        }
        let local_len = digits.len().saturating_sub(area_len);
        if (7..=8).contains(&local_len) {
            return Ok(format!("{}-{}", &digits[..area_len], &digits[area_len..]));
        }
        return Err(PhoneError::Landline);
    }
    if digits.len() >= 7 && digits.len() <= 8 {
        return Err(PhoneError::Landline);
    }
    Err(PhoneError::MobileLength(digits.len()))
}

/// `130***********0138`: first 3, last 4.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let n = chars.len();
    format!(
        "{}{}{}",
        chars[..3].iter().collect::<String>(),
        "*".repeat(n - 7),
        chars[n - 4..].iter().collect::<String>()
    )
}

/// `138****5678` for a mobile; `0311-****5678` for a landline.
pub fn mask_phone(phone: &str) -> String {
    if let Some((area, local)) = phone.split_once('-') {
        let l: Vec<char> = local.chars().collect();
        let keep = l.len().min(4);
        return format!("{area}-{}{}", "*".repeat(l.len() - keep), l[l.len() - keep..].iter().collect::<String>());
    }
    let c: Vec<char> = phone.chars().collect();
    if c.len() == 11 {
        return format!("{}****{}", c[..3].iter().collect::<String>(), c[7..].iter().collect::<String>());
    }
    let keep = c.len().min(4);
    format!("{}{}", "*".repeat(c.len() - keep), c[c.len() - keep..].iter().collect::<String>())
}

/// `张*` (the family name, the rest hidden); empty stays empty.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count();
            format!("{first}{}", "*".repeat(rest.max(1)))
        }
        None => String::new(),
    }
}

/// `text` with every ID number and phone number in it masked as on the public pages
/// (18- or 15-digit ID numbers, mobiles `1[3-9]` + 9 digits, landlines `0AAA-NNNNNNN`):
/// for words staff typed into notes, when the case's personal data is purged.
pub fn mask_patterns(text: &str) -> String {
    let chars: Vec<char> = text
        .chars()
        .map(|c| if ('０'..='９').contains(&c) { char::from_u32(c as u32 - 0xFF10 + 0x30).unwrap_or(c) } else { c })
        .collect();
    let original: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_alphanumeric()) {
            out.push(original[i]);
            i += 1;
            continue;
        }
        // A run of digits (with one dash inside, for a landline; an X at the end, for an ID).
        let start = i;
        let mut j = i;
        let mut dash = None;
        while j < chars.len() && (chars[j].is_ascii_digit() || (chars[j] == '-' && dash.is_none() && j > start)) {
            if chars[j] == '-' {
                dash = Some(j);
            }
            j += 1;
        }
        if dash == Some(j - 1) {
            j -= 1;
            dash = None;
        }
        let mut run: String = chars[start..j].iter().collect();
        if dash.is_none() && run.len() == 17 && j < chars.len() && matches!(chars[j], 'X' | 'x' | 'Ｘ' | 'ｘ') {
            run.push('X');
            j += 1;
        }
        let followed = j < chars.len() && chars[j].is_ascii_alphanumeric();
        let masked = match (dash, run.len()) {
            _ if followed => None,
            (None, 18) | (None, 15) => Some(mask_id(&run)),
            (None, 11) if run.starts_with('1') && matches!(run.as_bytes()[1], b'3'..=b'9') => Some(mask_phone(&run)),
            (Some(d), _) if chars[start] == '0' && (3..=4).contains(&(d - start)) && (7..=8).contains(&(j - d - 1)) => {
                Some(mask_phone(&run))
            }
            _ => None,
        };
        match masked {
            Some(m) => out.push_str(&m),
            None => out.extend(&original[start..j]),
        }
        i = j;
    }
    out
}

/// Last 4 digits of a phone, for the progress lookup.
pub fn phone_last4(phone: &str) -> String {
    let d: Vec<char> = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    d[d.len().saturating_sub(4)..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    #[test]
    fn numbers_in_notes_are_masked() {
        assert_eq!(
            mask_patterns("村民儿子电话13812345678，身份证130110194503150138，座机0311-88881234。"),
            "村民儿子电话138****5678，身份证130***********0138，座机0311-****1234。"
        );
        assert_eq!(mask_patterns("旧证11010519491231002x"), "旧证110***********002X");
        assert_eq!(
            mask_patterns("报乡镇民政办，3个工作日，2026-12-01 送达"),
            "报乡镇民政办，3个工作日，2026-12-01 送达"
        );
        assert_eq!(mask_patterns("编号D-1201-003"), "编号D-1201-003");
        assert_eq!(mask_patterns("电话１３８１２３４５６７８"), "电话138****5678");
    }

    #[test]
    fn standard_examples_pass() {
        // The worked examples published with GB 11643-1999 (DOMAIN §6.1).
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert_eq!(check_char("44052418800101001"), Some('4'));
        assert!(parse_id("11010519491231002X", today()).is_ok());
        assert!(parse_id("11010519491231002x", today()).is_ok(), "lowercase x accepted");
        assert!(parse_id("440524188001010014", today()).is_ok());
        for ok in [
            "130110194503150138",
            "130533195207080244",
            "130324198802290576",
            "13011019450315039X",
            "13053319520708048X",
        ] {
            assert!(parse_id(ok, today()).is_ok(), "{ok}");
        }
    }

    #[test]
    fn generated_numbers_round_trip() {
        // Every body over a spread of dates gets the check the algorithm computes, and any
        // other final character is refused.
        let mut d = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap();
        let mut seq = 0u32;
        while d < today() {
            seq = (seq + 37) % 1000;
            let body = format!("130110{}{:03}", d.format("%Y%m%d"), seq);
            let c = check_char(&body).unwrap();
            assert!(parse_id(&format!("{body}{c}"), today()).is_ok());
            let wrong = if c == '0' { '1' } else { '0' };
            assert_eq!(parse_id(&format!("{body}{wrong}"), today()), Err(IdError::Check { expected: c, got: wrong }));
            d += chrono::Duration::days(97);
        }
    }

    #[test]
    fn wrong_inputs_say_what_is_wrong() {
        assert_eq!(parse_id("130110194503150130", today()), Err(IdError::Check { expected: '8', got: '0' }));
        assert_eq!(parse_id("13011019450315013", today()), Err(IdError::Length(17)));
        assert_eq!(parse_id("1301101945031501A8", today()), Err(IdError::Characters));
        // A Chinese input method's full-width digits are the digits they look like.
        assert_eq!(parse_id("13011019450315013０", today()), Err(IdError::Check { expected: '8', got: '0' }));
        assert_eq!(
            parse_id("１３０１１０１９４５０３１５０１３８", today()).map(|i| i.0),
            Ok("130110194503150138".into())
        );
        assert_eq!(parse_id("张三", today()), Err(IdError::Characters));
        assert!(matches!(parse_id("130110194502300138", today()), Err(IdError::BadDate(_))));
        assert!(matches!(parse_id("130110203001010138", today()), Err(IdError::FutureDate(_))));
        assert_eq!(
            IdError::Check { expected: '8', got: '0' }.to_string(),
            "身份证号最后一位应为8，您输入的是0，请逐位核对"
        );
    }

    #[test]
    fn fifteen_digit_numbers_convert() {
        // 130110 450315 013 → 130110 19450315 013 + check 8.
        assert_eq!(parse_id("130110450315013", today()).unwrap().as_str(), "130110194503150138");
        assert!(matches!(parse_id("130110451315013", today()), Err(IdError::BadDate(_))));
    }

    #[test]
    fn phones() {
        assert_eq!(parse_phone("13812345678"), Ok("13812345678".into()));
        assert_eq!(parse_phone("+86 138-1234-5678"), Ok("13812345678".into()));
        assert_eq!(parse_phone("0086 13812345678"), Ok("13812345678".into()));
        assert_eq!(parse_phone("1381234567"), Err(PhoneError::MobileLength(10)));
        assert_eq!(parse_phone("12812345678"), Err(PhoneError::MobilePrefix));
        assert_eq!(parse_phone("0311-88881234"), Ok("0311-88881234".into()));
        assert_eq!(parse_phone("031188881234"), Ok("0311-88881234".into()));
        assert_eq!(parse_phone("01012345678"), Ok("010-12345678".into()));
        assert_eq!(parse_phone("88881234"), Err(PhoneError::Landline));
        assert_eq!(parse_phone("0311-123"), Err(PhoneError::Landline));
        assert_eq!(parse_phone(""), Err(PhoneError::Empty));
        // Issue 13: a country code before a landline, or an area code that is not one.
        assert!(parse_phone("+860-1234567").is_err());
        assert!(parse_phone("0086-0311-1234567").is_err());
        assert!(parse_phone("x311-1234567").is_err());
        // A Chinese input method's full-width digits are the digits they look like.
        assert_eq!(parse_phone("１３８１２３４５６７８"), Ok("13812345678".into()));
        assert_eq!(parse_phone("０３１１－８８８８１２３４"), Ok("0311-88881234".into()));
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id("130110194503150138"), "130***********0138");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0311-88881234"), "0311-****1234");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("张"), "张*");
        assert_eq!(mask_name(""), "");
        assert_eq!(phone_last4("0311-88881234"), "1234");
    }
}
