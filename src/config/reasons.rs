//! reasons.toml: the 差评 reasons the town publishes for every village (the shipped list
//! until it does), in order, the last one 其他:
//!
//! ```toml
//! [[reason]]
//! key = "wait"
//! label = "等候时间太长"
//! ```

use super::issues::ConfigErrors;
use super::issues::{syntax_issue, Issues};
use crate::domain::rating::{Reasons, ReasonsProblem};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReasons {
    #[serde(default)]
    reason: Vec<Spanned<RawReason>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReason {
    key: String,
    label: String,
}

/// Parses a list of reasons; a problem names its line.
pub fn parse_reasons(file: &str, src: &str) -> Result<Reasons, ConfigErrors> {
    let raw: RawReasons = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);
    let spans: Vec<_> = raw.reason.iter().map(|r| r.span()).collect();
    let list: Vec<(String, String)> =
        raw.reason.into_iter().map(|r| r.into_inner()).map(|r| (r.key.trim().to_string(), r.label)).collect();
    match Reasons::new(list) {
        Ok(r) => issues.finish(r),
        Err(e) => {
            let span = match &e {
                ReasonsProblem::Key(i) | ReasonsProblem::Label(i) => spans.get(i - 1).cloned(),
                ReasonsProblem::NoOther => spans.last().cloned(),
                _ => spans.first().cloned(),
            };
            issues.at(span.unwrap_or(0..0), "reason", e.to_string());
            // An issue is recorded: this is the refusal.
            issues.finish(Reasons::shipped())
        }
    }
}

/// The shipped list as a reasons.toml (a starting point for the town's own).
pub fn reasons_toml(r: &Reasons) -> String {
    let mut out = String::new();
    for (k, l) in r.list() {
        out.push_str(&format!("[[reason]]\nkey = {k:?}\nlabel = {l:?}\n\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_files() {
        let shipped = reasons_toml(&Reasons::shipped());
        assert_eq!(parse_reasons("r.toml", &shipped), Ok(Reasons::shipped()));
        let e = parse_reasons(
            "r.toml",
            "[[reason]]\nkey = \"a\"\nlabel = \"排队太久\"\n\n[[reason]]\nkey = \"B\"\nlabel = \"其他\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("r.toml:5: reason: 第2个原因的代码"), "{e}");
    }
}
