//! Finds the strings of the code that the catalogue must translate: `@tr("…")` in
//! `ui/**/*.slint`; `tr!("…")` and `tr_later!("…")` in `src/`; and the refusals of the
//! service, domain and store (their `#[error("…")]` sentences with Chinese in them).
//! Shared by `tests/lang.rs` (the check) and `examples/lang_sync.rs` (which writes the
//! catalogue's new entries).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A string found in the code, where it was first seen.
#[derive(Debug, Clone)]
pub struct Found {
    pub text: String,
    pub file: String,
    pub line: usize,
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

pub fn has_han(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The string literal starting at `s[i] == '"'`: its text (escapes undone) and the index
/// after it.
pub fn literal(s: &str, i: usize) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut out = String::new();
    let mut chars = s[i + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1 + k + 1)),
            '\\' => match chars.next()?.1 {
                // A line continued: the line end and the next line's indent are not text.
                '\n' => {
                    while chars.clone().next().is_some_and(|(_, w)| w.is_whitespace()) {
                        chars.next();
                    }
                }
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'u' => {
                    let mut hex = String::new();
                    for (_, h) in chars.by_ref() {
                        match h {
                            '{' => {}
                            '}' => break,
                            h => hex.push(h),
                        }
                    }
                    out.push(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)?);
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            },
            c => out.push(c),
        }
    }
    None
}

fn line_of(s: &str, i: usize) -> usize {
    s[..i].bytes().filter(|b| *b == b'\n').count() + 1
}

/// The part of a Rust file before its unit tests.
pub fn without_tests(src: &str) -> &str {
    match src.find("#[cfg(test)]\nmod tests") {
        Some(i) => &src[..i],
        None => src,
    }
}

/// Every string the catalogue must translate, in order of first appearance.
pub fn strings(root: &Path) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    let mut push = |text: String, file: &Path, line: usize| {
        if !found.iter().any(|f| f.text == text) {
            let file = file.strip_prefix(root).unwrap_or(file).display().to_string();
            found.push(Found { text, file, line });
        }
    };
    let mut slint = Vec::new();
    files(&root.join("ui"), "slint", &mut slint);
    for p in &slint {
        let Ok(src) = std::fs::read_to_string(p) else { continue };
        for (at, _) in src.match_indices("@tr(") {
            let mut i = at + 4;
            while src[i..].starts_with(char::is_whitespace) {
                i += 1;
            }
            if let Some((text, _)) = literal(&src, i) {
                push(text, p, line_of(&src, at));
            }
        }
    }
    let mut rust = Vec::new();
    files(&root.join("src"), "rs", &mut rust);
    for p in &rust {
        if p.ends_with("lang.rs") {
            continue;
        }
        let Ok(whole) = std::fs::read_to_string(p) else { continue };
        let src = without_tests(&whole);
        for marker in ["tr!(", "tr_later!("] {
            for (at, _) in src.match_indices(marker) {
                let prev = src[..at].chars().next_back();
                if prev.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let mut i = at + marker.len();
                while src[i..].starts_with(char::is_whitespace) {
                    i += 1;
                }
                if let Some((text, _)) = literal(src, i) {
                    push(text, p, line_of(src, at));
                }
            }
        }
        let rel = p.strip_prefix(root).unwrap_or(p);
        let refusals = ["src/service", "src/domain", "src/storage"].iter().any(|d| rel.starts_with(d));
        if refusals {
            for (at, _) in src.match_indices("#[error(") {
                if let Some((text, _)) = literal(src, at + 8) {
                    if has_han(&text) {
                        push(text, p, line_of(src, at));
                    }
                }
            }
        }
    }
    found
}

/// Chinese string literals in `dir`'s Rust files (before their unit tests) that are not
/// the argument of `tr!` or `tr_later!`: texts a screen would show untranslated.
pub fn unmarked(root: &Path, dir: &str) -> Vec<Found> {
    let mut rust = Vec::new();
    files(&root.join(dir), "rs", &mut rust);
    let mut out = Vec::new();
    for p in &rust {
        let Ok(whole) = std::fs::read_to_string(p) else { continue };
        let src = without_tests(&whole);
        let b = src.as_bytes();
        let mut i = 0;
        while i < b.len() {
            // Comments (line and doc) and character literals hold no strings of the screen.
            if src[i..].starts_with("//") {
                i = src[i..].find('\n').map(|n| i + n).unwrap_or(b.len());
                continue;
            }
            if b[i] == b'\'' {
                // 'x', '\n', '\u{..}' — or a lifetime, which is skipped as one byte.
                let rest = &src[i + 1..];
                if let Some(end) = rest.find('\'') {
                    if end <= 10 && !rest[..end].contains(['\n', ' ', ',', '>']) {
                        i += end + 2;
                        continue;
                    }
                }
                i += 1;
                continue;
            }
            if b[i] == b'"' {
                let Some((text, end)) = literal(src, i) else { break };
                if has_han(&text) {
                    let before = src[..i].trim_end();
                    let marked = before.ends_with("tr!(") || before.ends_with("tr_later!(");
                    if !marked {
                        let file = p.strip_prefix(root).unwrap_or(p).display().to_string();
                        out.push(Found { text, file, line: line_of(src, i) });
                    }
                }
                i = end;
                continue;
            }
            i += src[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        }
    }
    out
}

/// Writes a catalogue: the header, then every string with its translation from `known`
/// (empty where there is none yet).
pub fn write_po(found: &[Found], known: &std::collections::HashMap<String, String>) -> String {
    let mut out = String::from(
        "# English for the kiosk: the web pages, the kiosk's screens and the service's refusals.\n\
         # The source (msgid) is the Chinese of the code; write the English in msgstr.\n\
         # Regenerate the entries with: cargo run --example lang_sync\n\
         msgid \"\"\nmsgstr \"\"\n\"Content-Type: text/plain; charset=UTF-8\\n\"\n\"Language: en\\n\"\n\"Plural-Forms: nplurals=2; plural=(n != 1);\\n\"\n",
    );
    for f in found {
        out.push_str(&format!("\n#: {}:{}\n", f.file, f.line));
        out.push_str(&format!("msgid {}\n", quote(&f.text)));
        out.push_str(&format!("msgstr {}\n", quote(known.get(&f.text).map(String::as_str).unwrap_or(""))));
    }
    out
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
