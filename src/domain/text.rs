//! Typed text as people type it: a Chinese input method gives full-width digits
//! (１３５７９０) that are the digits they look like, and a pasted name may carry invisible
//! direction and format characters that would make a list read backwards. Pure functions,
//! used by every face before a number is parsed or a name is kept.

use std::borrow::Cow;

/// Full-width ASCII forms (Ｕ+FF01–FF5E: ０–９, Ａ–Ｚ, －…) and the ideographic space as
/// the plain characters they stand for. Other text is left as it is.
pub fn half_width(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| ('\u{FF01}'..='\u{FF5E}').contains(&c) || c == '\u{3000}') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
                '\u{3000}' => ' ',
                c => c,
            })
            .collect(),
    )
}

/// Characters that are not seen but change how text is shown or read: controls, the
/// bidirectional overrides and isolates (U+202A–202E, U+2066–2069, which can make a name
/// or a note read backwards), zero-width and other format characters, tags.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

/// Whether `s` holds any [`is_hidden`] character (line breaks allowed where `multiline`).
pub fn has_hidden(s: &str, multiline: bool) -> bool {
    s.chars().any(|c| is_hidden(c) && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

/// At most `max` characters of `s` (whole characters, never a broken one), with "…" when
/// cut: for what is logged or stored from a request nobody checked yet.
pub fn capped(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((i, _)) => Cow::Owned(format!("{}…", &s[..i])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_are_digits() {
        assert_eq!(half_width("１３５７９０"), "135790");
        assert_eq!(half_width("１３０１１０１９４５０３１５０１３ｘ"), "13011019450315013x");
        assert_eq!(half_width("0311－12345678"), "0311-12345678");
        assert!(matches!(half_width("135790"), Cow::Borrowed(_)));
        assert_eq!(half_width("张三"), "张三");
    }

    #[test]
    fn hidden_characters_are_found() {
        assert!(has_hidden("王\u{202E}五", false));
        assert!(has_hidden("a\u{200B}b", false));
        assert!(has_hidden("a\nb", false));
        assert!(!has_hidden("a\nb", true));
        assert!(!has_hidden("欧阳·娜娜", false));
    }

    #[test]
    fn capped_cuts_whole_characters() {
        assert_eq!(capped("一二三四", 2), "一二…");
        assert_eq!(capped("abc", 3), "abc");
    }
}
