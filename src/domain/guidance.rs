//! Voice guidance for those who cannot read: each kiosk screen has a short prompt saying
//! where the villager is and what to press. The prompts are data (guidance.toml) with
//! slots such as `{matter}` and `{number}`; this module fills them in, for the screen (the
//! text) and for the voice (a list of pieces: words to synthesize or play from a recording,
//! and the letters and digits joined from the calling voice's clips).
//!
//! Spoken words must be the right words: synthesis goes through a pronunciation lexicon
//! (word → pinyin with tone numbers) so that polyphones such as 长辈 (zhang3) and 银行
//! (hang2) are read as meant. The lexicon is applied here, to the text given to espeak-ng.

use std::collections::BTreeMap;

/// The kiosk's screens, by the names the UI uses for its pages. Every one has a prompt.
pub const SCREENS: [&str; 16] = [
    "home",
    "categories",
    "matters",
    "matter",
    "search",
    "priority",
    "ticket",
    "case-materials",
    "case-notice",
    "case-phone",
    "case-id",
    "case-name",
    "case-confirm",
    "case-done",
    "lookup",
    "lookup-result",
];

/// The extra sentences some screens add to their prompt.
pub const PHRASES: [&str; 5] = ["material", "matter-end", "ticket-next", "case-id-card", "card-remove"];

/// The slots a prompt (screen or phrase) may use.
pub fn slots_of(name: &str) -> &'static [&'static str] {
    match name {
        "matters" => &["category"],
        "matter" => &["matter", "count"],
        "ticket" | "ticket-next" => &["number", "ahead"],
        "case-materials" => &["matter"],
        "case-notice" | "case-done" => &["days"],
        "lookup-result" => &["status"],
        "material" => &["n", "material"],
        _ => &[],
    }
}

/// A prompt as written: text and slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Slot(String),
}

/// What is wrong with a prompt's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("左花括号没有配对的右花括号")]
    Unclosed,
    #[error("右花括号前面没有左花括号")]
    Unopened,
    #[error("不认识 {{{0}}}，这里能用的是：{1}")]
    UnknownSlot(String, String),
    #[error("提示语是空的")]
    Empty,
}

impl Template {
    /// Parses `text` for the prompt `name`, whose allowed slots are [`slots_of`].
    pub fn parse(name: &str, text: &str) -> Result<Template, TemplateError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TemplateError::Empty);
        }
        let allowed = slots_of(name);
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match (rest.find('{'), rest.find('}')) {
                (Some(o), Some(c)) if o < c => {
                    if o > 0 {
                        parts.push(Part::Text(rest[..o].to_string()));
                    }
                    let slot = &rest[o + 1..c];
                    if slot.contains('{') {
                        return Err(TemplateError::Unclosed);
                    }
                    if !allowed.contains(&slot) {
                        let list = if allowed.is_empty() {
                            "（这一句不能用花括号）".to_string()
                        } else {
                            allowed.iter().map(|s| format!("{{{s}}}")).collect::<Vec<_>>().join(" ")
                        };
                        return Err(TemplateError::UnknownSlot(slot.to_string(), list));
                    }
                    parts.push(Part::Slot(slot.to_string()));
                    rest = &rest[c + 1..];
                }
                (Some(_), _) => return Err(TemplateError::Unclosed),
                (None, Some(_)) => return Err(TemplateError::Unopened),
                (None, None) => {
                    parts.push(Part::Text(rest.to_string()));
                    rest = "";
                }
            }
        }
        Ok(Template { parts })
    }

    /// The fixed words of the prompt (what a recording of the whole prompt must say, when
    /// it has no slot; the pieces synthesized ahead of time).
    pub fn texts(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                Part::Slot(_) => None,
            })
            .collect()
    }

    pub fn has_slots(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Slot(_)))
    }

    /// The prompt as written, slots shown as `{name}`.
    pub fn source(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Slot(s) => format!("{{{s}}}"),
            })
            .collect()
    }

    /// The prompt filled in: the text for the screen and the pieces for the voice. A slot
    /// without a value is left out of both (never read as its name).
    pub fn fill(&self, values: &Values) -> Prompt {
        let mut prompt = Prompt::default();
        for part in &self.parts {
            match part {
                Part::Text(t) => {
                    prompt.text.push_str(t);
                    prompt.pieces.push(Piece::Words(t.clone()));
                }
                Part::Slot(s) => match values.get(s) {
                    Some(Value::Text(v)) => {
                        prompt.text.push_str(v);
                        if !v.trim().is_empty() {
                            prompt.pieces.push(Piece::Words(v.trim().to_string()));
                        }
                    }
                    Some(Value::Count(n)) => {
                        prompt.text.push_str(&n.to_string());
                        prompt.pieces.extend(count_pieces(*n));
                    }
                    Some(Value::Ticket(number)) => {
                        prompt.text.push_str(number);
                        prompt.pieces.extend(ticket_pieces(number));
                    }
                    None => {}
                },
            }
        }
        prompt
    }
}

/// A slot's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Words, spoken as words (a matter's name, a state).
    Text(String),
    /// A count, spoken as a Chinese number (一共五样, 两个人).
    Count(u32),
    /// A ticket number (A005), spoken letter by letter and digit by digit (A 零零五).
    Ticket(String),
}

/// The values of a prompt's slots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(BTreeMap<String, Value>);

impl Values {
    pub fn new() -> Values {
        Values::default()
    }

    pub fn text(mut self, slot: &str, v: impl Into<String>) -> Values {
        self.0.insert(slot.into(), Value::Text(v.into()));
        self
    }

    pub fn count(mut self, slot: &str, n: u32) -> Values {
        self.0.insert(slot.into(), Value::Count(n));
        self
    }

    pub fn ticket(mut self, slot: &str, number: impl Into<String>) -> Values {
        self.0.insert(slot.into(), Value::Ticket(number.into()));
        self
    }

    fn get(&self, slot: &str) -> Option<&Value> {
        self.0.get(slot)
    }
}

/// One piece of a spoken prompt.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Piece {
    /// Words: a recording of exactly these words if there is one, else synthesized
    /// (through the lexicon).
    Words(String),
    /// A letter, from the calling voice's clips (the ticket prefix).
    Letter(char),
    /// A digit 0-9, from the calling voice's clips.
    Digit(u8),
    /// A short silence between two sentences (milliseconds).
    Pause(u32),
}

/// A prompt filled in: what the screen shows and what the voice says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prompt {
    pub text: String,
    pub pieces: Vec<Piece>,
}

impl Prompt {
    /// Appends another sentence (after a short pause for the voice; on the screen, a space
    /// only when it does not end with Chinese punctuation).
    pub fn then(&mut self, more: Prompt) {
        if !self.pieces.is_empty() {
            self.pieces.push(Piece::Pause(SENTENCE_PAUSE_MS));
        }
        self.text.push_str(&more.text);
        self.pieces.extend(more.pieces);
    }
}

/// The silence between two sentences of a prompt (between materials read item by item).
pub const SENTENCE_PAUSE_MS: u32 = 350;

/// A count as spoken: 0-9 from the digit clips, 两 for a lone 2 (两个人, 两样), 十 and 百
/// as words: 12 → 十二, 20 → 二十, 105 → 一百零五. Counts above 999 are said digit by digit.
pub fn count_pieces(n: u32) -> Vec<Piece> {
    let w = |s: &str| Piece::Words(s.to_string());
    let d = |x: u32| Piece::Digit(x as u8);
    match n {
        2 => vec![w("两")],
        0..=9 => vec![d(n)],
        10..=19 => {
            let mut v = vec![w("十")];
            if n > 10 {
                v.push(d(n - 10));
            }
            v
        }
        20..=99 => {
            let mut v = vec![d(n / 10), w("十")];
            if !n.is_multiple_of(10) {
                v.push(d(n % 10));
            }
            v
        }
        100..=999 => {
            let mut v = vec![d(n / 100), w("百")];
            let rest = n % 100;
            if rest == 0 {
                return v;
            }
            match rest {
                1..=9 => v.extend([d(0), d(rest)]),
                10..=19 => {
                    // 一百一十五: the tens' 一 is said after 百.
                    v.push(d(1));
                    v.extend(count_pieces(rest));
                }
                _ => v.extend(count_pieces(rest)),
            }
            v
        }
        _ => n.to_string().bytes().map(|b| Piece::Digit(b - b'0')).collect(),
    }
}

/// A ticket number as the calling voice says it: the letter, then each digit (A005 → A 零
/// 零 五). Anything else in it is said as words.
pub fn ticket_pieces(number: &str) -> Vec<Piece> {
    number
        .chars()
        .map(|c| match c {
            'A'..='Z' => Piece::Letter(c),
            'a'..='z' => Piece::Letter(c.to_ascii_uppercase()),
            '0'..='9' => Piece::Digit(c as u8 - b'0'),
            _ => Piece::Words(c.to_string()),
        })
        .collect()
}

/// The pronunciation lexicon: words espeak-ng reads wrong, with their pinyin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lexicon {
    /// word → pinyin, longest words first when applied.
    words: BTreeMap<String, String>,
}

/// What is wrong with a lexicon entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LexiconError {
    #[error("词是空的")]
    EmptyWord,
    #[error("“{0}”不是带声调数字的拼音（每个音节后写 1 到 5，音节之间空一格，ü 写作 v，例如 zhang3 bei4）")]
    BadPinyin(String),
    #[error("“{word}”有 {chars} 个字，拼音却有 {syllables} 个音节")]
    Mismatch { word: String, chars: usize, syllables: usize },
}

impl Lexicon {
    /// Adds (or replaces) a word's reading after checking it.
    pub fn insert(&mut self, word: &str, pinyin: &str) -> Result<(), LexiconError> {
        let word = word.trim();
        if word.is_empty() {
            return Err(LexiconError::EmptyWord);
        }
        let syllables: Vec<&str> = pinyin.split_whitespace().collect();
        if syllables.is_empty() || !syllables.iter().all(|s| is_syllable(s)) {
            return Err(LexiconError::BadPinyin(pinyin.to_string()));
        }
        let hanzi = word.chars().filter(|c| is_hanzi(*c)).count();
        if hanzi != word.chars().count() || hanzi != syllables.len() {
            return Err(LexiconError::Mismatch {
                word: word.into(),
                chars: word.chars().count(),
                syllables: syllables.len(),
            });
        }
        self.words.insert(word.to_string(), syllables.join(" "));
        Ok(())
    }

    /// The reading of `word`, if the lexicon has it.
    pub fn reading(&self, word: &str) -> Option<&str> {
        self.words.get(word).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Every word and its reading.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.words.iter().map(|(w, p)| (w.as_str(), p.as_str()))
    }

    /// Another lexicon laid over this one (the station's words win).
    pub fn extend(&mut self, other: &Lexicon) {
        for (w, p) in other.entries() {
            self.words.insert(w.to_string(), p.to_string());
        }
    }

    /// The words of `text` found in the lexicon, longest match first, left to right, as
    /// (char index, word).
    pub fn matches<'a>(&'a self, text: &str) -> Vec<(usize, &'a str)> {
        let chars: Vec<char> = text.chars().collect();
        let longest = self.words.keys().map(|w| w.chars().count()).max().unwrap_or(0);
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let mut found = None;
            for len in (1..=longest.min(chars.len() - i)).rev() {
                let candidate: String = chars[i..i + len].iter().collect();
                if let Some((w, _)) = self.words.get_key_value(&candidate) {
                    found = Some((len, w.as_str()));
                    break;
                }
            }
            match found {
                Some((len, w)) => {
                    out.push((i, w));
                    i += len;
                }
                None => i += 1,
            }
        }
        out
    }

    /// The text given to espeak-ng: each lexicon word replaced by its pinyin between
    /// spaces (`请点长辈模式` → `请点 zhang3 bei4 mo2 shi4 `).
    pub fn apply(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::new();
        let mut at = 0;
        for (i, w) in self.matches(text) {
            out.extend(&chars[at..i]);
            out.push(' ');
            out.push_str(&self.words[w]);
            out.push(' ');
            at = i + w.chars().count();
        }
        out.extend(&chars[at..]);
        out
    }
}

fn is_hanzi(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// One pinyin syllable with its tone number: letters a-z (v for ü) then 1-5.
fn is_syllable(s: &str) -> bool {
    let Some((letters, tone)) = s.split_at_checked(s.len().saturating_sub(1)) else { return false };
    !letters.is_empty()
        && letters.len() <= 6
        && letters.bytes().all(|b| b.is_ascii_lowercase())
        && matches!(tone, "1" | "2" | "3" | "4" | "5")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn w(s: &str) -> Piece {
        Piece::Words(s.into())
    }

    #[test]
    fn a_ticket_prompt_is_text_on_screen_and_clips_for_the_voice() {
        let t = Template::parse("ticket", "您的号码是{number}，前面还有{ahead}个人。").unwrap();
        let p = t.fill(&Values::new().ticket("number", "A005").count("ahead", 3));
        assert_eq!(p.text, "您的号码是A005，前面还有3个人。");
        assert_eq!(
            p.pieces,
            vec![
                w("您的号码是"),
                Piece::Letter('A'),
                Piece::Digit(0),
                Piece::Digit(0),
                Piece::Digit(5),
                w("，前面还有"),
                Piece::Digit(3),
                w("个人。")
            ]
        );
        assert_eq!(t.source(), "您的号码是{number}，前面还有{ahead}个人。");
        assert_eq!(t.texts(), vec!["您的号码是", "，前面还有", "个人。"]);
    }

    #[test]
    fn a_slot_without_a_value_is_left_out_never_read_as_its_name() {
        let t = Template::parse("matter", "这是{matter}的材料").unwrap();
        let p = t.fill(&Values::new());
        assert_eq!(p.text, "这是的材料");
        assert!(!p.text.contains('{'));
    }

    #[test]
    fn unknown_slots_and_braces_are_refused_in_words() {
        assert!(matches!(Template::parse("home", "您好{matter}"), Err(TemplateError::UnknownSlot(..))));
        assert_eq!(Template::parse("matter", "这是{matter"), Err(TemplateError::Unclosed));
        assert_eq!(Template::parse("matter", "这是matter}"), Err(TemplateError::Unopened));
        assert_eq!(Template::parse("matter", "  "), Err(TemplateError::Empty));
        let e = Template::parse("ticket", "{matter}").unwrap_err().to_string();
        assert!(e.contains("{number}") && e.contains("{ahead}"), "{e}");
    }

    #[test]
    fn counts_are_said_as_chinese_numbers() {
        let d = Piece::Digit;
        assert_eq!(count_pieces(0), vec![d(0)]);
        assert_eq!(count_pieces(2), vec![w("两")]);
        assert_eq!(count_pieces(5), vec![d(5)]);
        assert_eq!(count_pieces(10), vec![w("十")]);
        assert_eq!(count_pieces(12), vec![w("十"), d(2)]);
        assert_eq!(count_pieces(20), vec![d(2), w("十")]);
        assert_eq!(count_pieces(45), vec![d(4), w("十"), d(5)]);
        assert_eq!(count_pieces(100), vec![d(1), w("百")]);
        assert_eq!(count_pieces(105), vec![d(1), w("百"), d(0), d(5)]);
        assert_eq!(count_pieces(112), vec![d(1), w("百"), d(1), w("十"), d(2)]);
        assert_eq!(count_pieces(180), vec![d(1), w("百"), d(8), w("十")]);
        assert_eq!(count_pieces(1234), vec![d(1), d(2), d(3), d(4)]);
    }

    #[test]
    fn the_lexicon_replaces_the_longest_words_with_their_pinyin() {
        let mut l = Lexicon::default();
        l.insert("银行", "yin2 hang2").unwrap();
        l.insert("银行卡", "yin2 hang2 ka3").unwrap();
        l.insert("长辈模式", "zhang3 bei4 mo2 shi4").unwrap();
        assert_eq!(l.apply("带上银行卡和存折"), "带上 yin2 hang2 ka3 和存折");
        assert_eq!(l.apply("请点长辈模式。"), "请点 zhang3 bei4 mo2 shi4 。");
        assert_eq!(l.apply("没有"), "没有");
        assert_eq!(l.matches("银行银行卡"), vec![(0, "银行"), (2, "银行卡")]);
        assert!(matches!(l.insert("银行", "yin hang"), Err(LexiconError::BadPinyin(_))));
        assert!(matches!(l.insert("银行", "yin2"), Err(LexiconError::Mismatch { .. })));
        assert!(matches!(l.insert(" ", "yin2"), Err(LexiconError::EmptyWord)));
        assert!(l.insert("绿色", "lv4 se4").is_ok());
    }

    proptest! {
        #[test]
        fn filling_never_panics_and_keeps_the_fixed_words(text in "\\PC{0,40}", n in 0u32..5000, number in "[A-Z][0-9]{3}") {
            if let Ok(t) = Template::parse("ticket", &text) {
                let p = t.fill(&Values::new().ticket("number", number).count("ahead", n));
                for fixed in t.texts() {
                    prop_assert!(p.text.contains(fixed));
                }
            }
            let mut l = Lexicon::default();
            l.insert("银行", "yin2 hang2").unwrap();
            let _ = l.apply(&text);
        }

        #[test]
        fn every_count_is_spoken(n in 0u32..100_000) {
            prop_assert!(!count_pieces(n).is_empty());
        }
    }
}
