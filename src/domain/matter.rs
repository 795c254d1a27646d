//! Service matters (服务事项) and their categories, as the station publishes them.
//!
//! A matter carries everything the station must tell a villager at once (一次性告知):
//! what to bring, the steps, how it is handled here and the promised working days.

use std::fmt;

/// How the station handles a matter (DOMAIN §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// 当场办结: finished at the counter.
    VillageDone,
    /// 代办: the village accepts, the township or county decides, the station carries it.
    Relay,
    /// 帮办: staff help file it online.
    AssistOnline,
    /// 指引: cannot be accepted here; the station says where to go.
    GuideOnly,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::VillageDone, Mode::Relay, Mode::AssistOnline, Mode::GuideOnly];

    /// The key used in `matters.toml`.
    pub fn key(self) -> &'static str {
        match self {
            Mode::VillageDone => "village-done",
            Mode::Relay => "relay",
            Mode::AssistOnline => "assist-online",
            Mode::GuideOnly => "guide-only",
        }
    }

    pub fn from_key(key: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.key() == key)
    }

    /// Short label for a badge.
    pub fn label(self) -> &'static str {
        match self {
            Mode::VillageDone => tr_later!("当场办结"),
            Mode::Relay => tr_later!("代办"),
            Mode::AssistOnline => tr_later!("帮办"),
            Mode::GuideOnly => tr_later!("指引"),
        }
    }

    /// One plain sentence on how the matter is handled here.
    pub fn explanation(self) -> &'static str {
        match self {
            Mode::VillageDone => tr_later!("当场办结：在本服务站窗口就能办完"),
            Mode::Relay => tr_later!("代办：村里受理，乡镇或县里办结，工作人员替您跑腿"),
            Mode::AssistOnline => tr_later!("帮办：工作人员帮您在手机或电脑上网上办理"),
            Mode::GuideOnly => tr_later!("指引：本站不能受理，工作人员告诉您去哪里办、带什么"),
        }
    }

    /// Whether the station can take the papers and carry the matter (申请代办).
    pub fn allows_case(self) -> bool {
        matches!(self, Mode::Relay | Mode::AssistOnline)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// One capital letter, also the default ticket prefix.
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    pub name: String,
    /// Bring the original (shown and handed back).
    pub original: bool,
    /// Number of photocopies.
    pub copies: u32,
    /// For items that are not documents (photos): how many.
    pub quantity: u32,
    pub spec: String,
    pub note: String,
    /// 如有 / 视情况提供.
    pub optional: bool,
}

/// The words a material's requirement is made of, in the language it is shown in: the
/// Chinese of [`Material::requirement`] (paper, the store) or a screen's translation.
pub trait RequirementWords {
    /// A template's words with `{}` filled by `n`.
    fn word(&self, template: &'static str, n: &dyn std::fmt::Display) -> String;
}

/// The source words (what the paper says).
pub struct Chinese;

impl RequirementWords for Chinese {
    fn word(&self, template: &'static str, n: &dyn std::fmt::Display) -> String {
        template.replace("{}", &n.to_string())
    }
}

impl Material {
    /// What exactly to bring, in words: "原件＋复印件1份", "4张（2寸白底）".
    pub fn requirement(&self) -> String {
        self.requirement_in(&Chinese)
    }

    /// [`Material::requirement`] in other words (a screen's language).
    pub fn requirement_in(&self, w: &impl RequirementWords) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.original {
            parts.push(w.word(tr_later!("原件"), &""));
        }
        if self.copies > 0 {
            parts.push(w.word(tr_later!("复印件{}份"), &self.copies));
        }
        if self.quantity > 0 {
            parts.push(w.word(tr_later!("{}张"), &self.quantity));
        }
        let mut s = parts.join(&w.word(tr_later!("＋"), &""));
        if !self.spec.is_empty() {
            s.push_str(&w.word(tr_later!("（{}）"), &self.spec));
        }
        if self.optional {
            s.push_str(&w.word(tr_later!("，如有"), &""));
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matter {
    pub code: String,
    pub category: String,
    pub name: String,
    pub short_name: String,
    pub aliases: Vec<String>,
    pub mode: Mode,
    pub department: String,
    /// Promised working days; None for guide-only matters.
    pub promised_days: Option<u32>,
    pub promise_note: String,
    pub legal_days: Option<u32>,
    pub fee: String,
    pub summary: String,
    pub eligibility: String,
    pub needs_signature: bool,
    pub steps: Vec<String>,
    pub notes: Vec<String>,
    pub materials: Vec<Material>,
}

impl Matter {
    /// The promise in words: "当场办结", "3个工作日", "本站不受理".
    pub fn promise_text(&self) -> String {
        match (self.mode, self.promised_days) {
            (Mode::GuideOnly, _) | (_, None) => "本站不受理，指引您去办理".to_string(),
            (_, Some(0)) => "当场办结".to_string(),
            (_, Some(d)) => format!("{d}个工作日"),
        }
    }
}

/// The whole published list: categories in display order, matters in code order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub categories: Vec<Category>,
    pub matters: Vec<Matter>,
}

impl Catalog {
    pub fn matter(&self, code: &str) -> Option<&Matter> {
        self.matters.iter().find(|m| m.code.eq_ignore_ascii_case(code))
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code.eq_ignore_ascii_case(code))
    }

    pub fn matters_in<'a>(&'a self, category: &'a str) -> impl Iterator<Item = &'a Matter> + 'a {
        self.matters.iter().filter(move |m| m.category == category)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mat(original: bool, copies: u32, quantity: u32, spec: &str, optional: bool) -> Material {
        Material { name: "x".into(), original, copies, quantity, spec: spec.into(), note: String::new(), optional }
    }

    #[test]
    fn requirement_wording() {
        assert_eq!(mat(true, 1, 0, "", false).requirement(), "原件＋复印件1份");
        assert_eq!(mat(false, 0, 4, "2寸白底", false).requirement(), "4张（2寸白底）");
        assert_eq!(mat(true, 0, 0, "", true).requirement(), "原件，如有");
    }

    #[test]
    fn mode_keys_round_trip() {
        for m in Mode::ALL {
            assert_eq!(Mode::from_key(m.key()), Some(m));
        }
        assert_eq!(Mode::from_key("proxy"), None);
    }
}
