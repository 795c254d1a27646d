//! rules.toml: the station's rules as posted on the wall (公示栏).

use super::issues::ConfigErrors;
use super::issues::{syntax_issue, Issues};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawRule {
    title: Spanned<String>,
    text: Spanned<String>,
}

/// One of the station's rules as posted on the wall (公示栏).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub title: String,
    pub text: String,
}

/// Parses the station's rules: each needs a title and a text.
pub fn parse_rules(file: &str, src: &str) -> Result<Vec<Rule>, ConfigErrors> {
    let raw: RawRules = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);
    let mut out = Vec::new();
    for r in &raw.rule {
        if r.title.get_ref().trim().is_empty() {
            issues.at(r.title.span(), "rule.title", "制度名称是空的，请填写");
        }
        if r.text.get_ref().trim().is_empty() {
            issues.at(r.text.span(), "rule.text", "制度内容是空的，请填写");
        }
        out.push(Rule { title: r.title.get_ref().trim().to_string(), text: r.text.get_ref().trim().to_string() });
    }
    issues.finish(out)
}
