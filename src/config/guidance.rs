//! guidance.toml (the kiosk's spoken prompts) and lexicon.toml (the readings of words the
//! speech engine gets wrong). Both ship with the configuration; a config folder may hold
//! its own copy of either, and station.toml `[guidance] lexicon` adds the station's words.

use super::issues::{syntax_issue, ConfigErrors, Issues};
use crate::domain::guidance::{Lexicon, Template, PHRASES, SCREENS};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawGuidance {
    #[serde(default)]
    screens: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    phrases: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawLexicon {
    #[serde(default)]
    words: BTreeMap<String, Spanned<String>>,
}

/// The prompts of every kiosk screen and the sentences some of them add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompts {
    pub screens: BTreeMap<String, Template>,
    pub phrases: BTreeMap<String, Template>,
}

impl Prompts {
    /// The prompt of `screen` (every screen of [`SCREENS`] has one once parsed).
    pub fn screen(&self, screen: &str) -> Option<&Template> {
        self.screens.get(screen)
    }

    pub fn phrase(&self, name: &str) -> Option<&Template> {
        self.phrases.get(name)
    }
}

/// Parses guidance.toml: every screen and phrase present, each a well-formed prompt using
/// only its own slots.
pub fn parse_guidance(file: &str, src: &str) -> Result<Prompts, ConfigErrors> {
    let raw: RawGuidance = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);
    let mut prompts = Prompts { screens: BTreeMap::new(), phrases: BTreeMap::new() };
    for (table, known, given, out) in [
        ("screens", &SCREENS[..], &raw.screens, &mut prompts.screens),
        ("phrases", &PHRASES[..], &raw.phrases, &mut prompts.phrases),
    ] {
        for (name, text) in given {
            let field = format!("{table}.{name}");
            if !known.contains(&name.as_str()) {
                issues.at(text.span(), &field, format!("没有这个名字，能写的是：{}", known.join(" ")));
                continue;
            }
            match Template::parse(name, text.get_ref()) {
                Ok(t) => {
                    out.insert(name.clone(), t);
                }
                Err(e) => issues.at(text.span(), &field, e.to_string()),
            }
        }
        for name in known {
            if !given.contains_key(*name) {
                issues.at(0..0, &format!("{table}.{name}"), "缺少这一句提示语，请补上");
            }
        }
    }
    issues.finish(prompts)
}

/// Parses a lexicon file: `[words]` of `"词" = "ci2"`.
pub fn parse_lexicon(file: &str, src: &str) -> Result<Lexicon, ConfigErrors> {
    let raw: RawLexicon = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);
    let mut lexicon = Lexicon::default();
    for (word, pinyin) in &raw.words {
        if let Err(e) = lexicon.insert(word, pinyin.get_ref()) {
            issues.at(pinyin.span(), &format!("words.{word}"), e.to_string());
        }
    }
    issues.finish(lexicon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_prompts_cover_every_screen() {
        let p = parse_guidance("guidance.toml", super::super::SHIPPED_GUIDANCE).unwrap();
        assert_eq!(p.screens.len(), SCREENS.len());
        assert_eq!(p.phrases.len(), PHRASES.len());
        let l = parse_lexicon("lexicon.toml", super::super::SHIPPED_LEXICON).unwrap();
        for w in ["长辈模式", "重新", "银行", "还款", "户口簿"] {
            assert!(l.reading(w).is_some(), "{w} is not in the lexicon");
        }
    }

    #[test]
    fn mistakes_name_the_line_and_the_field() {
        let src = super::super::SHIPPED_GUIDANCE.replace("这是{matter}需要带的材料", "这是{name}需要带的材料");
        let e = parse_guidance("g.toml", &src).unwrap_err().to_string();
        assert!(e.contains("g.toml:") && e.contains("screens.matter") && e.contains("{matter}"), "{e}");
        let src = super::super::SHIPPED_GUIDANCE.replace("lookup = ", "lookup2 = ");
        let e = parse_guidance("g.toml", &src).unwrap_err().to_string();
        assert!(e.contains("screens.lookup2: 没有这个名字") && e.contains("screens.lookup: 缺少"), "{e}");
        let e = parse_lexicon("l.toml", "[words]\n\"银行\" = \"yin hang\"\n").unwrap_err().to_string();
        assert!(e.starts_with("l.toml:2: words.银行:"), "{e}");
    }
}
