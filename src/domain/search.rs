//! Finding a matter the way villagers type on a touchscreen: hanzi, pinyin initials
//! (`dbsq` → 低保申请), full pinyin (`gaoling`), or a mix (`高lbt`), over names and aliases.
//!
//! Readings come from the `pinyin` crate, with every reading of a polyphonic character
//! (长 chang/zhang, 调 tiao/diao) so that neither reading misses. No pinyin table is
//! written by hand here.

use super::matter::Catalog;
use pinyin::ToPinyinMulti;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Alias,
    ShortName,
    Name,
}

#[derive(Debug, Clone)]
struct Entry {
    matter: usize,
    field: Field,
    chars: Vec<char>,
    /// Lowercase plain readings per character; a non-hanzi character reads as itself.
    readings: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub code: String,
    /// The name or alias that matched (shown so "低保申请" explains why 最低生活保障 came up).
    pub matched: String,
    pub field: Field,
    pub score: u32,
}

#[derive(Debug, Clone)]
pub struct SearchIndex {
    codes: Vec<String>,
    entries: Vec<Entry>,
    /// Hanzi that occur in the catalog, with how often: the on-screen keyboard's candidates.
    vocabulary: HashMap<char, usize>,
}

fn readings_of(c: char) -> Vec<String> {
    match c.to_pinyin_multi() {
        Some(multi) => {
            let mut v: Vec<String> = Vec::new();
            for p in multi {
                let s = p.plain().to_string();
                if !v.contains(&s) {
                    v.push(s);
                }
            }
            v
        }
        None => vec![c.to_lowercase().collect()],
    }
}

fn is_hanzi(c: char) -> bool {
    c.to_pinyin_multi().is_some()
}

/// Normalises a typed query: lowercase, no spaces or punctuation.
pub fn normalize(q: &str) -> Vec<char> {
    q.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '（' | '）' | '(' | ')' | '/' | '、' | '·' | '-'))
        .flat_map(|c| c.to_lowercase())
        .collect()
}

impl SearchIndex {
    pub fn build(catalog: &Catalog) -> SearchIndex {
        let mut entries = Vec::new();
        let mut vocabulary: HashMap<char, usize> = HashMap::new();
        for (i, m) in catalog.matters.iter().enumerate() {
            let mut texts = vec![(Field::Name, m.name.as_str()), (Field::ShortName, m.short_name.as_str())];
            texts.extend(m.aliases.iter().map(|a| (Field::Alias, a.as_str())));
            for (field, text) in texts {
                let chars = normalize(text);
                if chars.is_empty() {
                    continue;
                }
                for &c in &chars {
                    if is_hanzi(c) {
                        *vocabulary.entry(c).or_default() += 1;
                    }
                }
                let readings = chars.iter().map(|&c| readings_of(c)).collect();
                entries.push(Entry { matter: i, field, chars, readings });
            }
        }
        SearchIndex { codes: catalog.matters.iter().map(|m| m.code.clone()).collect(), entries, vocabulary }
    }

    /// Matters matching `query`, best first, one hit per matter.
    pub fn search(&self, query: &str) -> Vec<Hit> {
        let q = normalize(query);
        if q.is_empty() {
            return Vec::new();
        }
        let q_text: String = q.iter().collect();
        let mut best: HashMap<usize, Hit> = HashMap::new();
        for e in &self.entries {
            let Some(start) = find_match(&q, e) else {
                if self.codes[e.matter].to_lowercase() != q_text {
                    continue;
                }
                // Staff sometimes type the matter code itself.
                let hit = Hit {
                    code: self.codes[e.matter].clone(),
                    matched: e.chars.iter().collect(),
                    field: e.field,
                    score: 200,
                };
                best.insert(e.matter, hit);
                continue;
            };
            let text: String = e.chars.iter().collect();
            let mut score = match e.field {
                Field::Name => 30,
                Field::ShortName => 28,
                Field::Alias => 26,
            };
            if start == 0 {
                score += 20;
            }
            if text == q_text {
                score += 100;
            }
            // Shorter names that match are more likely what was meant.
            score += 20u32.saturating_sub(e.chars.len() as u32);
            let hit = Hit { code: self.codes[e.matter].clone(), matched: text, field: e.field, score };
            match best.get(&e.matter) {
                Some(h) if (h.score, h.field) >= (hit.score, hit.field) => {}
                _ => {
                    best.insert(e.matter, hit);
                }
            }
        }
        let mut hits: Vec<Hit> = best.into_values().collect();
        hits.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.code.cmp(&b.code)));
        hits
    }

    /// Hanzi from the catalog whose reading starts with the trailing letters of `typed`,
    /// most frequent first: tapping one replaces those letters (a tiny pinyin IME whose
    /// dictionary is exactly the list of matters, so every candidate leads somewhere).
    pub fn candidates(&self, typed: &str, limit: usize) -> Vec<char> {
        let letters = trailing_letters(typed);
        if letters.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<(char, usize, bool)> = self
            .vocabulary
            .iter()
            .filter_map(|(&c, &n)| {
                let rs = readings_of(c);
                let exact = rs.iter().any(|r| r == &letters);
                rs.iter().any(|r| r.starts_with(&letters)).then_some((c, n, exact))
            })
            .collect();
        found.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
        found.into_iter().take(limit).map(|(c, _, _)| c).collect()
    }
}

/// The run of ASCII letters at the end of a query ("高lin" → "lin").
pub fn trailing_letters(typed: &str) -> String {
    let rev: Vec<char> = typed.chars().rev().take_while(|c| c.is_ascii_alphabetic()).collect();
    rev.into_iter().rev().flat_map(|c| c.to_lowercase()).collect()
}

/// Replaces the trailing letters of `typed` with `hanzi` (a candidate was chosen).
pub fn apply_candidate(typed: &str, hanzi: char) -> String {
    let n = trailing_letters(typed).chars().count();
    let keep: String = typed.chars().take(typed.chars().count() - n).collect();
    format!("{keep}{hanzi}")
}

/// The first character index where the query matches, if it does.
fn find_match(q: &[char], e: &Entry) -> Option<usize> {
    let mut failed = HashSet::new();
    (0..e.chars.len()).find(|&start| matches_at(q, 0, e, start, &mut failed))
}

/// Does q[qi..] match the entry from character ci? Each entry character is consumed by
/// the same hanzi, its full reading, its initial, or any leading part of its reading; the
/// query may end half-way through a reading (typing is still going on).
fn matches_at(q: &[char], qi: usize, e: &Entry, ci: usize, failed: &mut HashSet<(usize, usize)>) -> bool {
    if qi == q.len() {
        return true;
    }
    if ci == e.chars.len() || failed.contains(&(qi, ci)) {
        return false;
    }
    let qc = q[qi];
    let ok = if !qc.is_ascii_alphanumeric() {
        e.chars[ci] == qc && matches_at(q, qi + 1, e, ci + 1, failed)
    } else {
        e.readings[ci].iter().any(|r| {
            let r: Vec<char> = r.chars().collect();
            let common = r.iter().zip(&q[qi..]).take_while(|(a, b)| a == b).count();
            if common == 0 {
                return false;
            }
            if qi + common == q.len() {
                return true;
            }
            (1..=common).rev().any(|k| matches_at(q, qi + k, e, ci + 1, failed))
        })
    };
    if !ok {
        failed.insert((qi, ci));
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::matter::{Matter, Mode};

    fn matter(code: &str, name: &str, aliases: &[&str]) -> Matter {
        Matter {
            code: code.into(),
            category: code[..1].into(),
            name: name.into(),
            short_name: name.chars().take(8).collect(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            mode: Mode::Relay,
            department: String::new(),
            promised_days: Some(3),
            promise_note: String::new(),
            legal_days: None,
            fee: "免费".into(),
            summary: String::new(),
            eligibility: String::new(),
            needs_signature: false,
            steps: vec![],
            notes: vec![],
            materials: vec![],
        }
    }

    fn index() -> SearchIndex {
        SearchIndex::build(&Catalog {
            categories: vec![],
            matters: vec![
                matter("C01", "高龄津贴申请", &["高龄补贴"]),
                matter("C02", "最低生活保障申请", &["低保申请", "低保"]),
                matter("J01", "人民调解", &["调解纠纷"]),
                matter("A07", "社会保障卡申领", &["社保卡补办"]),
            ],
        })
    }

    fn codes(hits: &[Hit]) -> Vec<&str> {
        hits.iter().map(|h| h.code.as_str()).collect()
    }

    #[test]
    fn initials_find_alias() {
        let hits = index().search("dbsq");
        assert_eq!(codes(&hits), vec!["C02"]);
        assert_eq!(hits[0].matched, "低保申请");
    }

    #[test]
    fn alias_in_hanzi() {
        assert_eq!(codes(&index().search("高龄补贴")), vec!["C01"]);
        assert_eq!(codes(&index().search("低保")), vec!["C02"]);
    }

    #[test]
    fn full_and_mixed_pinyin() {
        assert_eq!(codes(&index().search("gaoling")), vec!["C01"]);
        assert_eq!(codes(&index().search("高lbt")), vec!["C01"]);
        assert_eq!(codes(&index().search("GLJT")), vec!["C01"]);
        // 调 reads tiao here; both readings are indexed.
        assert_eq!(codes(&index().search("tj")), vec!["J01"]);
    }

    #[test]
    fn no_false_hits() {
        assert!(index().search("xyzq").is_empty());
        assert!(index().search("").is_empty());
    }

    #[test]
    fn code_and_partial_typing() {
        assert_eq!(codes(&index().search("c02")), vec!["C02"]);
        // Half-way through a syllable still finds it.
        assert_eq!(codes(&index().search("shebaok")), vec!["A07"]);
    }

    #[test]
    fn candidates_come_from_the_catalog() {
        let idx = index();
        let c = idx.candidates("gao", 5);
        assert_eq!(c.first(), Some(&'高'));
        assert!(idx.candidates("", 5).is_empty());
        assert_eq!(apply_candidate("申请gao", '高'), "申请高");
        assert_eq!(trailing_letters("高LIN"), "lin");
    }
}
