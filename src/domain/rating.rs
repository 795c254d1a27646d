//! 好差评: the five national levels and the reasons a bad rating must give.
//!
//! Rules (DOMAIN §5, 国办发〔2019〕51号): five levels, 非常满意 (5) … 非常不满意 (1); the
//! last two are 差评 and must say why (a short fixed list, or the villager's own words);
//! one rating per ticket or case; rating is voluntary, so nothing is ever pre-selected
//! or submitted on a timeout.

/// A rating level, 1 (非常不满意) to 5 (非常满意).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Level(u8);

impl Level {
    pub const ALL: [Level; 5] = [Level(5), Level(4), Level(3), Level(2), Level(1)];

    pub fn new(n: u8) -> Option<Level> {
        (1..=5).contains(&n).then_some(Level(n))
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn label(self) -> &'static str {
        match self.0 {
            5 => tr_later!("非常满意"),
            4 => tr_later!("满意"),
            3 => tr_later!("基本满意"),
            2 => tr_later!("不满意"),
            _ => tr_later!("非常不满意"),
        }
    }

    /// 差评: flagged to the station for follow-up, and a reason is required.
    pub fn is_bad(self) -> bool {
        self.0 <= 2
    }
}

/// The fixed reasons a 差评 can choose from (plus the villager's own words).
pub const REASONS: [(&str, &str); 6] = [
    ("wait", "等候时间太长"),
    ("slow", "办事效率低"),
    ("attitude", "工作人员态度不好"),
    ("unclear", "要带的材料没有一次说清楚"),
    ("trips", "让我多跑了路"),
    ("other", "其他"),
];

/// The reason label for a key, a label, or a 1-based position of the shipped list; None
/// for anything else.
pub fn reason(input: &str) -> Option<&'static str> {
    let s = input.trim();
    if let Ok(n) = s.parse::<usize>() {
        return REASONS.get(n.checked_sub(1)?).map(|r| r.1);
    }
    REASONS.iter().find(|(k, l)| *k == s || *l == s).map(|r| r.1)
}

/// The list of 差评 reasons in force: the town's (it publishes one for every village) or
/// the shipped [`REASONS`]. Always ends with 其他 (key `other`): a villager's own words
/// count as it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reasons(Vec<(String, String)>);

/// Why a list of reasons cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonsProblem {
    #[error("要有 2 到 10 个原因")]
    Count,
    #[error("第{0}个原因的代码要 1 到 16 个小写字母、数字或 -")]
    Key(usize),
    #[error("第{0}个原因的文字要 2 到 24 个字，一行")]
    Label(usize),
    #[error("原因“{0}”重复了")]
    Repeated(String),
    #[error("最后一个原因要是“其他”（代码 other）：村民自己写的话算作它")]
    NoOther,
}

impl Default for Reasons {
    fn default() -> Self {
        Reasons::shipped()
    }
}

impl Reasons {
    pub fn shipped() -> Reasons {
        Reasons(REASONS.iter().map(|(k, l)| (k.to_string(), l.to_string())).collect())
    }

    /// A list as published, checked.
    pub fn new(list: Vec<(String, String)>) -> Result<Reasons, ReasonsProblem> {
        if !(2..=10).contains(&list.len()) {
            return Err(ReasonsProblem::Count);
        }
        let (mut keys, mut labels) = (std::collections::HashSet::new(), std::collections::HashSet::new());
        for (i, (k, l)) in list.iter().enumerate() {
            if k.is_empty()
                || k.len() > 16
                || !k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(ReasonsProblem::Key(i + 1));
            }
            let n = l.trim().chars().count();
            if !(2..=24).contains(&n) || l.chars().any(|c| c.is_control() || super::text::is_hidden(c)) {
                return Err(ReasonsProblem::Label(i + 1));
            }
            if !keys.insert(k.as_str()) {
                return Err(ReasonsProblem::Repeated(k.clone()));
            }
            if !labels.insert(l.trim()) {
                return Err(ReasonsProblem::Repeated(l.trim().to_string()));
            }
        }
        if list.last().map(|(k, _)| k.as_str()) != Some("other") {
            return Err(ReasonsProblem::NoOther);
        }
        Ok(Reasons(list.into_iter().map(|(k, l)| (k, l.trim().to_string())).collect()))
    }

    /// (key, label), in order.
    pub fn list(&self) -> &[(String, String)] {
        &self.0
    }

    /// The label for a key, a label or a 1-based position; None for anything else.
    pub fn find(&self, input: &str) -> Option<&str> {
        self.find_entry(input).map(|(_, label)| label)
    }

    /// The (key, label) for a key, a label or a 1-based position; None for anything else.
    pub fn find_entry(&self, input: &str) -> Option<(&str, &str)> {
        let s = input.trim();
        if let Ok(n) = s.parse::<usize>() {
            return self.0.get(n.checked_sub(1)?).map(|r| (r.0.as_str(), r.1.as_str()));
        }
        self.0.iter().find(|(k, l)| k == s || l == s).map(|r| (r.0.as_str(), r.1.as_str()))
    }

    /// The label for a code of the list (the code itself when the list no longer has it).
    pub fn label_of<'a>(&'a self, key: &'a str) -> &'a str {
        self.0.iter().find(|(k, _)| k == key).map(|r| r.1.as_str()).unwrap_or(key)
    }

    /// The label of 其他 (the last reason).
    pub fn other(&self) -> &str {
        self.0.last().map(|r| r.1.as_str()).unwrap_or("其他")
    }
}

/// Why a rating cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingProblem {
    #[error("评价要选 1 到 5 星（5 = 非常满意）")]
    Level,
    #[error("“{0}”请选一个原因，或写几个字说明，我们会跟进整改")]
    ReasonNeeded(&'static str),
    #[error("说明太长了（最多 200 字）")]
    TooLong,
}

/// Where a rating was given (GB/T 39734's channels): the window's 评价器, the QR code on
/// the receipt (the phone, and `kiosk rate`), the kiosk's screen, or a paper form typed in
/// at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Pad,
    Qr,
    Kiosk,
    Paper,
}

impl Channel {
    pub fn key(self) -> &'static str {
        match self {
            Channel::Pad => "pad",
            Channel::Qr => "qr",
            Channel::Kiosk => "kiosk",
            Channel::Paper => "paper",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Pad => tr_later!("评价器"),
            Channel::Qr => tr_later!("二维码"),
            Channel::Kiosk => tr_later!("自助终端"),
            Channel::Paper => tr_later!("书面"),
        }
    }

    pub fn from_key(k: &str) -> Option<Channel> {
        [Channel::Pad, Channel::Qr, Channel::Kiosk, Channel::Paper].into_iter().find(|c| c.key() == k)
    }
}

/// The longest comment kept (characters).
pub const COMMENT_MAX: usize = 200;

/// A checked rating: the level, the reasons (for 差评: the label of the first, and the
/// codes of all) and optional words, with any ID or phone number in them masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub level: Level,
    pub reason: Option<String>,
    /// The codes of the reasons chosen, from the list in force.
    pub reasons: Vec<String>,
    pub comment: Option<String>,
}

/// Checks a rating as given by a form or the command line: a bad rating needs a reason
/// (from the list, or free words, which count as 其他); words are trimmed and bounded.
pub fn check(level: u8, reason_in: Option<&str>, comment: Option<&str>) -> Result<Rating, RatingProblem> {
    check_with(level, reason_in, comment, &Reasons::shipped())
}

/// [`check`] against the list of reasons in force.
pub fn check_with(
    level: u8,
    reason_in: Option<&str>,
    comment: Option<&str>,
    reasons: &Reasons,
) -> Result<Rating, RatingProblem> {
    let picked: Vec<&str> = reason_in.into_iter().collect();
    check_many(level, &picked, comment, reasons)
}

/// A rating with any number of reasons picked (the paper form may tick several): each a
/// code, a label or a position of the list; anything else is the villager's own words,
/// kept as the comment under 其他.
pub fn check_many(
    level: u8,
    picked: &[&str],
    comment: Option<&str>,
    reasons: &Reasons,
) -> Result<Rating, RatingProblem> {
    let level = Level::new(level).ok_or(RatingProblem::Level)?;
    let clean = |s: &str| {
        Some(s.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_string()).filter(|x| !x.is_empty())
    };
    let mut comment = comment.and_then(clean);
    let mut codes: Vec<String> = Vec::new();
    let mut own: Vec<String> = Vec::new();
    for p in picked.iter().filter_map(|p| clean(p)) {
        match reasons.find_entry(&p) {
            Some((k, _)) => {
                if !codes.iter().any(|c| c == k) {
                    codes.push(k.to_string());
                }
            }
            None => own.push(p),
        }
    }
    if !own.is_empty() {
        // Their own words: reason 其他, the words kept as the comment.
        let words = own.join("；");
        comment = Some(match comment {
            Some(c) => format!("{words}；{c}"),
            None => words,
        });
        let other = reasons.list().last().map(|r| r.0.clone()).unwrap_or_else(|| "other".into());
        if !codes.contains(&other) {
            codes.push(other);
        }
    }
    // ID and phone numbers typed into the words never reach the store.
    let comment = comment.map(|c| super::identity::mask_patterns(&c));
    if comment.as_ref().is_some_and(|c| c.chars().count() > COMMENT_MAX) {
        return Err(RatingProblem::TooLong);
    }
    if level.is_bad() && codes.is_empty() && comment.is_none() {
        return Err(RatingProblem::ReasonNeeded(level.label()));
    }
    if level.is_bad() && codes.is_empty() {
        codes.push(reasons.list().last().map(|r| r.0.clone()).unwrap_or_else(|| "other".into()));
    }
    let reason = codes.first().map(|k| reasons.label_of(k).to_string());
    Ok(Rating { level, reason, reasons: codes, comment })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_list_of_reasons() {
        let l = |v: &[(&str, &str)]| v.iter().map(|(k, l)| (k.to_string(), l.to_string())).collect::<Vec<_>>();
        let r = Reasons::new(l(&[("queue", "排队太久"), ("other", "其他原因")])).unwrap();
        assert_eq!(r.find("queue"), Some("排队太久"));
        assert_eq!(r.find("2"), Some("其他原因"));
        let bad = check_with(2, Some("门口没有坡道"), None, &r).unwrap();
        assert_eq!(bad.reason.as_deref(), Some("其他原因"), "own words count as the list's 其他");
        assert_eq!(bad.comment.as_deref(), Some("门口没有坡道"));
        assert_eq!(Reasons::new(l(&[("other", "其他")])), Err(ReasonsProblem::Count));
        assert_eq!(Reasons::new(l(&[("a", "排队太久"), ("b", "态度不好")])), Err(ReasonsProblem::NoOther));
        assert_eq!(Reasons::new(l(&[("A", "排队太久"), ("other", "其他")])), Err(ReasonsProblem::Key(1)));
        assert_eq!(Reasons::new(l(&[("a", "久"), ("other", "其他")])), Err(ReasonsProblem::Label(1)));
        assert!(matches!(Reasons::new(l(&[("a", "其他"), ("other", "其他")])), Err(ReasonsProblem::Repeated(_))));
        assert_eq!(Reasons::shipped().list().len(), REASONS.len());
    }

    #[test]
    fn levels_and_labels() {
        assert_eq!(Level::new(5).map(|l| l.label()), Some("非常满意"));
        assert_eq!(Level::new(1).map(|l| l.label()), Some("非常不满意"));
        assert_eq!(Level::new(0), None);
        assert_eq!(Level::new(6), None);
        assert!(Level::new(2).is_some_and(|l| l.is_bad()));
        assert!(Level::new(3).is_some_and(|l| !l.is_bad()));
    }

    #[test]
    fn bad_ratings_need_a_reason() {
        assert_eq!(check(2, None, None), Err(RatingProblem::ReasonNeeded("不满意")));
        assert_eq!(check(1, Some("wait"), None).map(|r| r.reason), Ok(Some("等候时间太长".into())));
        assert_eq!(check(1, Some("2"), None).map(|r| r.reason), Ok(Some("办事效率低".into())));
        let own = check(2, Some("窗口没人"), None).expect("own words");
        assert_eq!(own.reason.as_deref(), Some("其他"));
        assert_eq!(own.comment.as_deref(), Some("窗口没人"));
        assert!(check(5, None, None).is_ok(), "good ratings submit directly");
        assert_eq!(check(9, None, None), Err(RatingProblem::Level));
        assert_eq!(check(3, None, Some(&"长".repeat(201))), Err(RatingProblem::TooLong));
        assert_eq!(check(1, Some("  "), Some(" \u{7} ")), Err(RatingProblem::ReasonNeeded("非常不满意")));
        assert_eq!(own.reasons, ["other"]);
        assert_eq!(check(1, Some("wait"), None).map(|r| r.reasons), Ok(vec!["wait".to_string()]));
    }

    #[test]
    fn several_reasons_and_numbers_in_the_words_masked() {
        let r = check_many(1, &["wait", "3", "门口太窄"], Some("打13912345678找我"), &Reasons::shipped()).unwrap();
        assert_eq!(r.reasons, ["wait", "attitude", "other"]);
        assert_eq!(r.reason.as_deref(), Some("等候时间太长"));
        let c = r.comment.unwrap();
        assert!(c.starts_with("门口太窄；打") && !c.contains("13912345678"), "{c}");
        assert!(check_many(4, &[], Some("130110194503070138 很好"), &Reasons::shipped())
            .unwrap()
            .comment
            .is_some_and(|c| !c.contains("194503070")));
        assert_eq!(Channel::from_key("paper").map(|c| c.label()), Some("书面"));
    }
}
