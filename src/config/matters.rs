//! matters.toml: the list of matters (categories, matters, their materials), parsed and
//! checked one named check at a time.

use super::issues::{line_of, ConfigErrors};
use super::issues::{syntax_issue, Issues};
use crate::domain::matter::{Catalog, Category, Material, Matter, Mode};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawMatters {
    #[serde(default)]
    category: Vec<Spanned<RawCategory>>,
    #[serde(default)]
    matter: Vec<Spanned<RawMatter>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawCategory {
    code: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawMatter {
    code: Spanned<String>,
    category: Spanned<String>,
    name: Spanned<String>,
    short_name: Option<Spanned<String>>,
    #[serde(default)]
    aliases: Vec<String>,
    mode: Spanned<String>,
    #[serde(default)]
    department: String,
    promised_days: Option<Spanned<u32>>,
    #[serde(default)]
    promise_note: String,
    legal_days: Option<u32>,
    #[serde(default = "default_fee")]
    fee: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    eligibility: String,
    #[serde(default)]
    needs_signature: bool,
    #[serde(default)]
    steps: Vec<String>,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    materials: Vec<Spanned<RawMaterial>>,
}

fn default_fee() -> String {
    "免费".to_string()
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawMaterial {
    name: Spanned<String>,
    #[serde(default)]
    original: bool,
    #[serde(default)]
    copies: u32,
    #[serde(default)]
    quantity: u32,
    #[serde(default)]
    spec: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    optional: bool,
}

/// Parses and validates a list of matters. `file` is the name used in messages.
pub fn parse_matters(file: &str, src: &str) -> Result<Catalog, ConfigErrors> {
    let raw: RawMatters = toml::from_str(src).map_err(|e| syntax_issue(file, src, &e))?;
    let mut issues = Issues::new(file, src);
    let categories = check_categories(&raw.category, &mut issues);
    let mut codes: HashMap<String, usize> = HashMap::new();
    let mut matters: Vec<Matter> =
        raw.matter.iter().map(|m| check_matter(m, &categories, &mut codes, src, &mut issues)).collect();
    if raw.matter.is_empty() {
        issues.at(0..0, "matter", "文件里没有任何事项（[[matter]]）");
    }
    matters.sort_by(|a, b| a.code.cmp(&b.code));
    issues.finish(Catalog { categories, matters })
}

/// Categories: one capital letter each, each once, each named; at least one.
fn check_categories(raw: &[Spanned<RawCategory>], issues: &mut Issues<'_>) -> Vec<Category> {
    let mut categories = Vec::new();
    let mut cat_codes = HashSet::new();
    for c in raw {
        let c = c.get_ref();
        let code = c.code.get_ref().trim();
        if code.len() != 1 || !code.chars().all(|ch| ch.is_ascii_uppercase()) {
            issues.at(c.code.span(), "category.code", format!("“{code}”不对：类别代码要用一个大写字母（A-Z）"));
        } else if !cat_codes.insert(code.to_string()) {
            issues.at(c.code.span(), "category.code", format!("类别代码“{code}”重复了，每个类别要用不同的字母"));
        }
        if c.name.get_ref().trim().is_empty() {
            issues.at(c.name.span(), "category.name", "类别名称是空的，请填写");
        }
        categories.push(Category {
            code: code.to_string(),
            name: c.name.get_ref().trim().to_string(),
            full_name: if c.full_name.trim().is_empty() { c.name.get_ref().clone() } else { c.full_name.clone() },
            description: c.description.clone(),
        });
    }
    if raw.is_empty() {
        issues.at(0..0, "category", "文件里没有任何类别（[[category]]）");
    }
    categories
}

/// One matter: its code (its category's letter and two digits, once), a known category, a
/// name, a short name that fits the screen, a known way of handling, the promised days
/// where the station promises, and its materials.
fn check_matter(
    m: &Spanned<RawMatter>,
    categories: &[Category],
    codes: &mut HashMap<String, usize>,
    src: &str,
    issues: &mut Issues<'_>,
) -> Matter {
    let whole = m.span();
    let m = m.get_ref();
    let code = m.code.get_ref().trim().to_uppercase();
    let code_ok = code.len() == 3
        && code.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && code.chars().skip(1).all(|c| c.is_ascii_digit());
    if !code_ok {
        issues.at(m.code.span(), "matter.code", format!("事项代码“{code}”不对：要一个大写字母加两位数字，例如 A01"));
    } else if let Some(first) = codes.get(&code) {
        issues.at(m.code.span(), "matter.code", format!("事项代码“{code}”重复了（第 {first} 行已经用过）"));
    } else {
        codes.insert(code.clone(), line_of(src, m.code.span().start));
    }
    let category = m.category.get_ref().trim().to_string();
    if !categories.iter().any(|c| c.code == category) {
        let known: Vec<&str> = categories.iter().map(|c| c.code.as_str()).collect();
        issues.at(
            m.category.span(),
            "matter.category",
            format!("没有“{category}”这个类别（现有：{}）", known.join("、")),
        );
    } else if code_ok && !code.starts_with(&category) {
        issues.at(m.code.span(), "matter.code", format!("事项代码“{code}”要以它的类别字母“{category}”开头"));
    }
    let name = m.name.get_ref().trim().to_string();
    if name.is_empty() {
        issues.at(m.name.span(), "matter.name", "事项名称是空的，请填写");
    }
    let short_name = match &m.short_name {
        Some(s) => {
            let v = s.get_ref().trim().to_string();
            if v.is_empty() {
                issues.at(s.span(), "matter.short-name", "简称是空的（不要简称就删掉这一行，会用事项名称）");
            } else if v.chars().count() > 8 {
                issues.at(s.span(), "matter.short-name", format!("简称“{v}”超过 8 个字，屏幕上放不下"));
            }
            v
        }
        None => name.chars().take(8).collect(),
    };
    let mode = match Mode::from_key(m.mode.get_ref().trim()) {
        Some(mode) => mode,
        None => {
            let keys: Vec<&str> = Mode::ALL.iter().map(|m| m.key()).collect();
            issues.at(
                m.mode.span(),
                "matter.mode",
                format!("办理方式“{}”不认识（只能是：{}）", m.mode.get_ref(), keys.join("、")),
            );
            Mode::GuideOnly
        }
    };
    let promised_days = m.promised_days.as_ref().map(|d| *d.get_ref());
    match (&m.promised_days, mode) {
        (None, Mode::VillageDone | Mode::Relay | Mode::AssistOnline) => {
            issues.at(
                m.mode.span(),
                "matter.promised-days",
                format!("缺少承诺时限：办理方式为 {} 的事项要写承诺的工作日数（0 = 当场办结）", mode.key()),
            );
        }
        (Some(d), _) if *d.get_ref() > 60 => {
            issues.at(d.span(), "matter.promised-days", format!("{} 个工作日超过 60 天，请核对数字", d.get_ref()));
        }
        _ => {}
    }
    if m.materials.is_empty() {
        issues.at(whole.clone(), "matter.materials", format!("事项 {code} 没有列出材料：要一次性告知村民带什么"));
    }
    let materials = check_materials(&m.materials, issues);
    Matter {
        code,
        category,
        name,
        short_name,
        aliases: m.aliases.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect(),
        mode,
        department: m.department.trim().to_string(),
        promised_days,
        promise_note: m.promise_note.trim().to_string(),
        legal_days: m.legal_days,
        fee: m.fee.trim().to_string(),
        summary: m.summary.trim().to_string(),
        eligibility: m.eligibility.trim().to_string(),
        needs_signature: m.needs_signature,
        steps: m.steps.clone(),
        notes: m.notes.clone(),
        materials,
    }
}

/// Materials: each named, each saying how it is brought (original, copies or a quantity).
fn check_materials(raw: &[Spanned<RawMaterial>], issues: &mut Issues<'_>) -> Vec<Material> {
    let mut materials = Vec::new();
    for mat in raw {
        let mspan = mat.span();
        let mat = mat.get_ref();
        let mname = mat.name.get_ref().trim().to_string();
        if mname.is_empty() {
            issues.at(mat.name.span(), "matter.materials.name", "材料名称是空的，请填写");
        }
        if !mat.original && mat.copies == 0 && mat.quantity == 0 {
            issues.at(
                mspan,
                "matter.materials",
                format!("“{mname}”没说怎么带：写 original = true（原件）、copies（复印件份数）或 quantity（数量）"),
            );
        }
        materials.push(Material {
            name: mname,
            original: mat.original,
            copies: mat.copies,
            quantity: mat.quantity,
            spec: mat.spec.trim().to_string(),
            note: mat.note.trim().to_string(),
            optional: mat.optional,
        });
    }
    materials
}
