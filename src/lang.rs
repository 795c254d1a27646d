//! Every text a person reads at a screen, in one catalogue per language.
//!
//! Simplified Chinese is the source and the default: the strings in the code are the
//! Chinese ones, and they are the keys. English is shipped as a translation, in the gettext
//! catalogue `lang/en/LC_MESSAGES/kiosk.po`, which serves both faces: Slint compiles it into
//! the kiosk for every `@tr(...)` of `ui/`, and this module reads the same file (embedded in
//! the program) for the strings of the Rust code — the web pages (`tr!`), the kiosk's
//! Rust-side texts, the labels of the domain (`tr_later!`, looked up when shown) and the
//! service's refusals (their `#[error(...)]` sentences, matched whole at the face that shows
//! them, see [`sentence`]).
//!
//! Which language a text is wanted in is the viewer's: a web request's (from its
//! `Accept-Language`, set for the request by the server), else the screen's (the kiosk's
//! 中/EN control, on its UI thread; Chinese for the command line, the paper and the voice). Data — matter
//! names, materials, people's names, notes — is never translated.
//!
//! `tests/lang.rs` fails when a string of the code has no English entry, or when an entry's
//! placeholders differ from its source's.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::OnceLock;

/// A language a screen can be read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese: the source, the default.
    #[default]
    Zh,
    English,
}

impl Lang {
    /// The HTML `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::English => "en",
        }
    }

    /// The name of the bundled Slint translation ("" is the source).
    pub fn slint_name(self) -> &'static str {
        match self {
            Lang::Zh => "",
            Lang::English => "en",
        }
    }

    /// From a command-line value: `zh` or `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "中文" => Some(Lang::Zh),
            "en" | "english" => Some(Lang::English),
            _ => None,
        }
    }

    /// The language a browser asks for in `Accept-Language`: the first of Chinese and
    /// English in its order of preference; Chinese when it names neither.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, part) in header.split(',').enumerate() {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .filter_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok()))
                .next()
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "zh" => Lang::Zh,
                "en" => Lang::English,
                _ => continue,
            };
            if q <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((bq, _, _)) => q > bq,
            };
            if better {
                best = Some((q, i, lang));
            }
        }
        best.map(|b| b.2).unwrap_or_default()
    }
}

thread_local! {
    /// The language of this thread's screen: the kiosk's UI thread (its 中/EN control).
    /// Per thread, so that what one kiosk shows never changes what another thread words.
    static SCREEN: Cell<Lang> = const { Cell::new(Lang::Zh) };
}

tokio::task_local! {
    /// The language of the web request being answered.
    static REQUEST: Lang;
}

/// The language texts are wanted in here and now.
pub fn current() -> Lang {
    if let Ok(l) = REQUEST.try_with(|l| *l) {
        return l;
    }
    SCREEN.with(Cell::get)
}

/// Sets this thread's language (the kiosk's 中/EN control; idle sets it back).
pub fn set_screen(lang: Lang) {
    SCREEN.with(|s| s.set(lang));
}

/// Runs `fut` with `lang` as the language of everything it renders (a web request).
pub async fn scope<F: std::future::Future>(lang: Lang, fut: F) -> F::Output {
    REQUEST.scope(lang, fut).await
}

/// Runs `f` with `lang` as the language (rendering outside a request's task: a live
/// stream's next message).
pub fn sync_scope<R>(lang: Lang, f: impl FnOnce() -> R) -> R {
    REQUEST.sync_scope(lang, f)
}

/// A string of the code (its Chinese source) in the current language.
pub fn tr(source: &'static str) -> &'static str {
    tr_in(current(), source)
}

/// A string of the code in `lang`; the source itself when the catalogue lacks it.
pub fn tr_in(lang: Lang, source: &'static str) -> &'static str {
    match lang {
        Lang::Zh => source,
        Lang::English => catalogue().exact.get(source).map(String::as_str).unwrap_or(source),
    }
}

/// A text that is not a literal of the code (a label handed up from the domain, marked
/// there with `tr_later!`) in the current language.
pub fn text(source: &str) -> String {
    match current() {
        Lang::Zh => source.to_string(),
        Lang::English => catalogue().exact.get(source).map(|s| s.to_string()).unwrap_or_else(|| source.to_string()),
    }
}

/// A day as a screen says it: 2026年11月30日 星期一, or Monday 30 November 2026.
pub fn date(d: chrono::NaiveDate) -> String {
    match current() {
        Lang::Zh => crate::domain::clock::date_cn(d),
        Lang::English => d.format("%A %-d %B %Y").to_string(),
    }
}

/// A material's requirement ("原件＋复印件1份") in the current language.
pub fn requirement(m: &crate::domain::matter::Material) -> String {
    struct Screen;
    impl crate::domain::matter::RequirementWords for Screen {
        fn word(&self, template: &'static str, n: &dyn Display) -> String {
            fill(tr(template), &[n])
        }
    }
    m.requirement_in(&Screen)
}

/// A requirement already worded in Chinese (a view's, or one a case keeps in the store:
/// "原件＋复印件1份（A4）" or "2张，如有") in the current language: the same words as
/// [`requirement`] gives for the material, taken apart again; the spec is data and stays.
pub fn requirement_text(chinese: &str) -> String {
    if current() == Lang::Zh {
        return chinese.to_string();
    }
    let (rest, optional) = match chinese.strip_suffix("，如有") {
        Some(r) => (r, true),
        None => (chinese, false),
    };
    let (rest, spec) = match rest.find('（') {
        Some(i) if rest.ends_with('）') => {
            (&rest[..i], Some(&rest[i + '（'.len_utf8()..rest.len() - '）'.len_utf8()]))
        }
        _ => (rest, None),
    };
    let number =
        |s: &str, pre: &str, post: &str| -> Option<u32> { s.strip_prefix(pre)?.strip_suffix(post)?.parse().ok() };
    let mut parts = Vec::new();
    for p in rest.split('＋').filter(|p| !p.is_empty()) {
        parts.push(if p == "原件" {
            tr("原件").to_string()
        } else if let Some(n) = number(p, "复印件", "份") {
            fill(tr("复印件{}份"), &[&n])
        } else if let Some(n) = number(p, "", "张") {
            fill(tr("{}张"), &[&n])
        } else {
            p.to_string()
        });
    }
    let mut s = parts.join(tr("＋"));
    if let Some(spec) = spec {
        s.push_str(&fill(tr("（{}）"), &[&spec]));
    }
    if optional {
        s.push_str(tr("，如有"));
    }
    s
}

/// Fills a template's placeholders: `{}` takes the next argument, `{N}` the N-th.
pub fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut next = 0;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let inside = &after[..close];
                let index = if inside.is_empty() {
                    next += 1;
                    Some(next - 1)
                } else {
                    inside.parse::<usize>().ok()
                };
                match index.and_then(|i| args.get(i)) {
                    Some(a) => out.push_str(&a.to_string()),
                    None => {
                        out.push('{');
                        out.push_str(inside);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A sentence the service made (a refusal: its `#[error(...)]` template filled in Chinese)
/// in the current language: the template it was made from is found in the catalogue and
/// its English filled with the same values (values that are sentences themselves are
/// translated in turn). A sentence no template matches is shown as it is.
pub fn sentence(text: &str) -> String {
    match current() {
        Lang::Zh => text.to_string(),
        Lang::English => translate_sentence(catalogue(), text, 0).unwrap_or_else(|| text.to_string()),
    }
}

fn translate_sentence(cat: &Catalogue, text: &str, depth: u8) -> Option<String> {
    if let Some(t) = cat.exact.get(text) {
        return Some(t.to_string());
    }
    if depth > 3 || !has_han(text) {
        return None;
    }
    for t in &cat.templates {
        if let Some(values) = t.source.capture(text) {
            let values: Vec<(String, String)> = values
                .into_iter()
                .map(|(name, v)| {
                    let v = if has_han(&v) { translate_sentence(cat, &v, depth + 1).unwrap_or(v) } else { v };
                    (name, v)
                })
                .collect();
            return Some(t.target.render(&values));
        }
    }
    None
}

fn has_han(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A template cut into its literal pieces and placeholders: `a{0}b{name}c`.
#[derive(Debug)]
struct Pattern {
    /// literal, then (placeholder, literal) pairs.
    head: String,
    parts: Vec<(String, String)>,
}

impl Pattern {
    fn parse(s: &str) -> Pattern {
        let mut head = String::new();
        let mut parts: Vec<(String, String)> = Vec::new();
        let mut rest = s;
        let mut next = 0usize;
        loop {
            let Some(open) = rest.find('{') else {
                match parts.last_mut() {
                    Some(p) => p.1.push_str(rest),
                    None => head.push_str(rest),
                }
                break;
            };
            let lit = &rest[..open];
            match parts.last_mut() {
                Some(p) => p.1.push_str(lit),
                None => head.push_str(lit),
            }
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                match parts.last_mut() {
                    Some(p) => p.1.push_str(&rest[open..]),
                    None => head.push_str(&rest[open..]),
                }
                break;
            };
            // `{0:?}` and `{0}` name the same value.
            let mut name = after[..close].split(':').next().unwrap_or("").to_string();
            if name.is_empty() {
                name = next.to_string();
                next += 1;
            }
            parts.push((name, String::new()));
            rest = &after[close + 1..];
        }
        Pattern { head, parts }
    }

    fn placeholders(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.parts.iter().map(|p| p.0.as_str()).collect();
        v.sort_unstable();
        v
    }

    /// How much of the template is fixed text (the more, the more specific).
    fn literal_len(&self) -> usize {
        self.head.len() + self.parts.iter().map(|p| p.1.len()).sum::<usize>()
    }

    /// The values of the placeholders if `text` was made from this template.
    fn capture(&self, text: &str) -> Option<Vec<(String, String)>> {
        let mut rest = text.strip_prefix(self.head.as_str())?;
        let mut out = Vec::with_capacity(self.parts.len());
        for (i, (name, lit)) in self.parts.iter().enumerate() {
            let last = i + 1 == self.parts.len();
            let value;
            if last {
                value = rest.strip_suffix(lit.as_str())?;
                rest = "";
            } else if lit.is_empty() {
                return None;
            } else {
                let at = rest.find(lit.as_str())?;
                value = &rest[..at];
                rest = &rest[at + lit.len()..];
            }
            if value.is_empty() {
                return None;
            }
            out.push((name.clone(), value.to_string()));
        }
        if self.parts.is_empty() && !rest.is_empty() {
            return None;
        }
        Some(out)
    }

    fn render(&self, values: &[(String, String)]) -> String {
        let mut out = self.head.clone();
        for (name, lit) in &self.parts {
            match values.iter().find(|v| &v.0 == name) {
                Some(v) => out.push_str(&v.1),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            }
            out.push_str(lit);
        }
        out
    }
}

struct Template {
    source: Pattern,
    target: Pattern,
}

/// One language's catalogue.
pub struct Catalogue {
    exact: HashMap<String, String>,
    /// Entries with placeholders, most specific first.
    templates: Vec<Template>,
}

impl Catalogue {
    /// The entries: (source, translation), in file order; an empty translation is missing.
    pub fn entries(po: &str) -> Result<Vec<(String, String)>, String> {
        parse_po(po)
    }

    fn build(po: &str) -> Catalogue {
        let entries = parse_po(po).unwrap_or_else(|e| {
            tracing::warn!("the English catalogue does not read: {e}");
            Vec::new()
        });
        let mut exact = HashMap::with_capacity(entries.len());
        let mut templates = Vec::new();
        for (id, s) in entries {
            if id.is_empty() || s.is_empty() {
                continue;
            }
            if id.contains('{') {
                let source = Pattern::parse(&id);
                if !source.parts.is_empty() && source.literal_len() > 0 {
                    templates.push(Template { source, target: Pattern::parse(&s) });
                }
            }
            exact.insert(id, s);
        }
        templates.sort_by_key(|t| std::cmp::Reverse(t.source.literal_len()));
        Catalogue { exact, templates }
    }
}

/// Whether a translation names the same placeholders as its source.
pub fn same_placeholders(source: &str, translation: &str) -> bool {
    Pattern::parse(source).placeholders() == Pattern::parse(translation).placeholders()
}

/// The English catalogue, as shipped.
pub const ENGLISH_PO: &str = include_str!("../lang/en/LC_MESSAGES/kiosk.po");

fn catalogue() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| Catalogue::build(ENGLISH_PO))
}

/// Reads a gettext file: `msgid`/`msgstr` pairs (with `msgctxt` and comments skipped,
/// continued strings joined, C escapes undone).
fn parse_po(po: &str) -> Result<Vec<(String, String)>, String> {
    #[derive(PartialEq)]
    enum Field {
        None,
        Ctx,
        Id,
        Str,
    }
    let mut out = Vec::new();
    let mut id = String::new();
    let mut s = String::new();
    let mut field = Field::None;
    let mut have = false;
    for (n, line) in po.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (kw, rest) = match line.split_once(char::is_whitespace) {
            Some((k, r)) if !line.starts_with('"') => (k, r.trim()),
            _ => ("", line),
        };
        match kw {
            "msgctxt" => {
                if have {
                    out.push((std::mem::take(&mut id), std::mem::take(&mut s)));
                    have = false;
                }
                field = Field::Ctx;
            }
            "msgid" => {
                if have && field != Field::Ctx {
                    out.push((std::mem::take(&mut id), std::mem::take(&mut s)));
                }
                id.clear();
                s.clear();
                have = true;
                field = Field::Id;
            }
            "msgstr" => field = Field::Str,
            "" => {}
            other => return Err(format!("line {}: unknown keyword {other}", n + 1)),
        }
        let value = unquote(rest).ok_or_else(|| format!("line {}: not a quoted string", n + 1))?;
        match field {
            Field::Id => id.push_str(&value),
            Field::Str => s.push_str(&value),
            Field::Ctx | Field::None => {}
        }
    }
    if have {
        out.push((id, s));
    }
    Ok(out)
}

fn unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Some(out)
}

/// A string of the code in the current language: `tr!("叫号台")` is a `&'static str`;
/// with arguments, `tr!("{}号窗口", n)` fills the translated template (`{}` the next
/// argument, `{N}` the N-th) into a `String`.
#[macro_export]
macro_rules! tr {
    ($s:literal) => {
        $crate::lang::tr($s)
    };
    ($s:literal, $($a:expr),+ $(,)?) => {
        $crate::lang::fill($crate::lang::tr($s), &[$(&$a as &dyn ::std::fmt::Display),+])
    };
}

/// Marks a string for the catalogue without translating it here: a label of the domain or
/// a sentence of a service's view, kept in Chinese (`tr_later!("…{}…", x)` is `format!`)
/// and translated by the face that shows it, with [`text`] or [`sentence`].
#[macro_export]
macro_rules! tr_later {
    ($s:literal) => {
        $s
    };
    ($s:literal, $($a:tt)+) => {
        format!($s, $($a)+)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_language() {
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::English);
        assert_eq!(Lang::from_accept_language("de-DE,en;q=0.5,zh;q=0.4"), Lang::English);
        assert_eq!(Lang::from_accept_language("fr"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en;q=0,zh"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("zh;q=0.5, en;q=0.9"), Lang::English);
    }

    #[test]
    fn fills_templates() {
        assert_eq!(fill("{}号窗口", &[&3]), "3号窗口");
        assert_eq!(fill("Window {}", &[&3]), "Window 3");
        assert_eq!(fill("{1} then {0}", &[&"a", &"b"]), "b then a");
        assert_eq!(fill("{} of {}", &[&1]), "1 of {}");
        assert_eq!(fill("no braces", &[]), "no braces");
    }

    #[test]
    fn reads_po() {
        let po = "msgid \"\"\nmsgstr \"\"\n\"Language: en\\n\"\n\n# c\nmsgctxt \"X\"\nmsgid \"叫号\"\nmsgstr \"Call\"\n\nmsgid \"\"\n\"两行\"\n\"文本\"\nmsgstr \"Two \\\"lines\\\"\"\n\nmsgid \"空\"\nmsgstr \"\"\n";
        let e = parse_po(po).unwrap_or_default();
        assert_eq!(e[1], ("叫号".to_string(), "Call".to_string()));
        assert_eq!(e[2], ("两行文本".to_string(), "Two \"lines\"".to_string()));
        assert_eq!(e[3], ("空".to_string(), String::new()));
    }

    #[test]
    fn sentences_from_templates() {
        let cat = Catalogue::build(
            "msgid \"号票{0}已经叫过了\"\nmsgstr \"Ticket {0} has been called\"\n\nmsgid \"不能办理：{reason}\"\nmsgstr \"Cannot: {reason}\"\n\nmsgid \"没有人等候\"\nmsgstr \"Nobody is waiting\"\n\nmsgid \"{0}\"\nmsgstr \"{0}\"\n",
        );
        assert_eq!(translate_sentence(&cat, "号票C004已经叫过了", 0).as_deref(), Some("Ticket C004 has been called"));
        assert_eq!(translate_sentence(&cat, "不能办理：没有人等候", 0).as_deref(), Some("Cannot: Nobody is waiting"));
        assert_eq!(translate_sentence(&cat, "别的话", 0), None);
        assert!(same_placeholders("号票{0}已经叫过了", "Ticket {0} has been called"));
        assert!(!same_placeholders("{}号", "Number"));
        assert!(same_placeholders("{name:?}不对", "{name} is wrong"));
    }

    #[test]
    fn requirements_taken_apart_read_as_made() {
        use crate::domain::matter::Material;
        let mat = |original, copies, quantity, spec: &str, optional| Material {
            name: "x".into(),
            original,
            copies,
            quantity,
            spec: spec.into(),
            note: String::new(),
            optional,
        };
        for m in [
            mat(true, 1, 0, "", false),
            mat(false, 0, 4, "2寸白底", false),
            mat(true, 0, 0, "", true),
            mat(true, 2, 0, "A4（双面）", true),
            mat(false, 0, 0, "", false),
        ] {
            for lang in [Lang::Zh, Lang::English] {
                sync_scope(lang, || assert_eq!(requirement_text(&m.requirement()), requirement(&m), "{m:?}"));
            }
        }
    }

    #[test]
    fn request_scope_wins() {
        assert_eq!(current(), Lang::Zh);
        sync_scope(Lang::English, || assert_eq!(current(), Lang::English));
        assert_eq!(tr_in(Lang::Zh, "叫号"), "叫号");
    }
}
