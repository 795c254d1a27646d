//! The list of matters, published in versions. The station head uploads a file; it is
//! validated (file:line:field), compared with the live version (新增, 删除, each changed
//! field in Chinese), published with a note, listed, rolled back. Opening the station
//! never rewrites it: `matters.toml` seeds only the first version of a new store.
//! Tickets and cases keep the version they were issued under; the kiosk switches to a new
//! version at its home screen.

use super::auth::{ActorError, Signed};
use super::Station;
use crate::config::{self, ConfigErrors};
use crate::domain::matter::{Catalog, Matter};
use crate::storage::{self, audit, matters as store, StoreError};
use rusqlite::Connection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What changed between the live version and a new file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MattersDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<MatterChange>,
    /// Categories added, removed or renamed, in words.
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MatterChange {
    pub code: String,
    /// The changed fields as in the file (name, promised-days, materials…).
    pub fields: Vec<String>,
    /// The same, in words for the station head: "承诺时限：5个工作日 → 3个工作日".
    #[serde(skip)]
    pub described: Vec<String>,
}

impl MattersDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty() && self.categories.is_empty()
    }
}

/// A version as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionInfo {
    pub version: i64,
    pub published_at: String,
    pub staff: Option<String>,
    pub note: String,
}

/// A file checked against the live version, ready to publish.
#[derive(Debug, Clone)]
pub struct Checked {
    pub catalog: Catalog,
    pub diff: MattersDiff,
    pub live_version: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum MattersError {
    #[error("{0}")]
    Invalid(ConfigErrors),
    #[error("需要站长（管理员）权限")]
    NotAdmin,
    #[error("发布要写一句说明（改了什么、为什么）")]
    NoNote,
    #[error("和现在用的版本完全一样，不用发布")]
    Unchanged,
    #[error("没有第{0}版")]
    NoVersion(i64),
    #[error("本站已加入镇中心，事项清单由镇中心统一发布，本站不能自己发布或回滚。")]
    ByTown,
    #[error("{0}")]
    Actor(#[from] ActorError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Parsed versions, shared by every handle of a process: a version never changes, so it
/// is parsed once.
pub type Parsed = Arc<Mutex<HashMap<i64, Arc<Catalog>>>>;

fn text(v: &str) -> String {
    if v.is_empty() {
        "（空）".into()
    } else {
        v.to_string()
    }
}

fn days(d: Option<u32>) -> String {
    d.map(|d| format!("{d}个工作日")).unwrap_or_else(|| "（无）".into())
}

/// The differing fields of two versions of a matter: (field key, description).
fn matter_changes(old: &Matter, new: &Matter) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut cmp = |key: &'static str, label: &str, a: String, b: String| {
        if a != b {
            out.push((key, format!("{label}：{} → {}", text(&a), text(&b))));
        }
    };
    cmp("name", "名称", old.name.clone(), new.name.clone());
    cmp("short-name", "简称", old.short_name.clone(), new.short_name.clone());
    cmp("category", "类别", old.category.clone(), new.category.clone());
    cmp("mode", "办理方式", old.mode.label().into(), new.mode.label().into());
    cmp("department", "主管部门", old.department.clone(), new.department.clone());
    cmp("promised-days", "承诺时限", days(old.promised_days), days(new.promised_days));
    cmp("legal-days", "法定时限", days(old.legal_days), days(new.legal_days));
    cmp("promise-note", "时限说明", old.promise_note.clone(), new.promise_note.clone());
    cmp("fee", "收费", old.fee.clone(), new.fee.clone());
    cmp("summary", "事项说明", old.summary.clone(), new.summary.clone());
    cmp("eligibility", "申请条件", old.eligibility.clone(), new.eligibility.clone());
    let yes = |b: bool| if b { "需要" } else { "不需要" }.to_string();
    cmp("needs-signature", "委托书签字", yes(old.needs_signature), yes(new.needs_signature));
    cmp("aliases", "别名", old.aliases.join("、"), new.aliases.join("、"));
    cmp("steps", "办理步骤", old.steps.join(" → "), new.steps.join(" → "));
    cmp("notes", "温馨提示", old.notes.join("；"), new.notes.join("；"));
    let mats = |m: &Matter| {
        m.materials.iter().map(|x| format!("{}（{}）", x.name, x.requirement())).collect::<Vec<_>>().join("、")
    };
    cmp("materials", "材料", mats(old), mats(new));
    out
}

/// Compares two catalogues.
pub fn diff(old: &Catalog, new: &Catalog) -> MattersDiff {
    let mut d = MattersDiff::default();
    for m in &new.matters {
        match old.matter(&m.code) {
            None => d.added.push(m.code.clone()),
            Some(o) => {
                let ch = matter_changes(o, m);
                if !ch.is_empty() {
                    d.changed.push(MatterChange {
                        code: m.code.clone(),
                        fields: ch.iter().map(|c| c.0.to_string()).collect(),
                        described: ch.into_iter().map(|c| c.1).collect(),
                    });
                }
            }
        }
    }
    d.removed = old.matters.iter().filter(|m| new.matter(&m.code).is_none()).map(|m| m.code.clone()).collect();
    for c in &new.categories {
        match old.category(&c.code) {
            None => d.categories.push(format!("新增类别 {} {}", c.code, c.name)),
            Some(o) if o.name != c.name || o.full_name != c.full_name || o.description != c.description => {
                d.categories.push(format!("类别 {} 改为“{}”", c.code, c.name))
            }
            _ => {}
        }
    }
    for c in &old.categories {
        if new.category(&c.code).is_none() {
            d.categories.push(format!("删除类别 {} {}", c.code, c.name));
        }
    }
    d
}

/// The live version for a store: loads it, or — in a store that never had one — publishes
/// `cfg`'s matters.toml as version 1. Returns (catalogue, version).
pub(super) fn open_live(
    conn: &mut Connection,
    cfg: &config::LoadedConfig,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Catalog, i64), StoreError> {
    let version = match store::live_version(conn)? {
        Some(v) => v,
        None => {
            let v = store::publish(conn, &cfg.matters_source, None, "初始导入（matters.toml）", None, true, now)?;
            storage::matters::sync(conn, &cfg.catalog, now)?;
            v
        }
    };
    let src = store::source(conn, version)?.unwrap_or_default();
    if src == cfg.matters_source {
        // The published list is the file just parsed with the configuration: not twice.
        return Ok((cfg.catalog.clone(), version));
    }
    match config::parse_matters(&format!("已发布的第{version}版"), &src) {
        Ok(c) => Ok((c, version)),
        Err(e) => {
            // Validated when published; only a newer build's stricter rules can get here.
            tracing::error!("published matters version {version} no longer parses: {e}; using {}", cfg.matters_file);
            Ok((cfg.catalog.clone(), version))
        }
    }
}

fn when(s: &Station, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&s.clock.tz()).format("%Y-%m-%d %H:%M").to_string()
}

impl Station {
    /// The version of the list of matters this handle uses.
    pub fn catalog_version(&self) -> i64 {
        self.catalog_version
    }

    /// The newest published version (a cheap look, for a kiosk deciding to switch).
    pub fn published_version(&self) -> Result<i64, StoreError> {
        Ok(store::live_version(self.conn())?.unwrap_or(0))
    }

    /// Switches this handle to the newest published version if there is one; true when it
    /// switched. The kiosk calls it only on its home screen.
    pub fn reload_matters(&mut self) -> Result<bool, StoreError> {
        // The holiday calendar follows too (it may change at any moment, not only at home).
        self.reload_holidays()?;
        let live = self.published_version()?;
        if live == self.catalog_version || live == 0 {
            return Ok(false);
        }
        let catalog = self.catalog_at(live)?;
        self.cfg.catalog = (*catalog).clone();
        self.index = Arc::new(crate::domain::search::SearchIndex::build(&self.cfg.catalog));
        self.catalog_version = live;
        tracing::info!("list of matters: now version {live}");
        Ok(true)
    }

    /// The list of matters as version `version` published it (the live one if unknown).
    pub fn catalog_at(&self, version: i64) -> Result<Arc<Catalog>, StoreError> {
        if let Ok(cache) = self.parsed.lock() {
            if let Some(c) = cache.get(&version) {
                return Ok(c.clone());
            }
        }
        let parsed = match store::source(self.conn(), version)? {
            Some(src) => config::parse_matters("", &src).ok(),
            None => None,
        };
        let c = Arc::new(parsed.unwrap_or_else(|| self.cfg.catalog.clone()));
        if let Ok(mut cache) = self.parsed.lock() {
            cache.insert(version, c.clone());
        }
        Ok(c)
    }

    /// Validates a matters file and compares it with the live version.
    pub fn check_matters(&self, file: &str, src: &str) -> Result<Checked, MattersError> {
        let catalog = config::parse_matters(file, src).map_err(MattersError::Invalid)?;
        config::cross_check(&self.cfg.station, &self.cfg.station_file, &catalog).map_err(MattersError::Invalid)?;
        let live_version = self.published_version()?;
        let live = self.catalog_at(live_version)?;
        Ok(Checked { diff: diff(&live, &catalog), catalog, live_version })
    }

    fn admin(&self, who: &Signed) -> Result<(), MattersError> {
        match self.admin_actor(who) {
            Ok(_) => Ok(()),
            Err(ActorError::NotAdmin) => Err(MattersError::NotAdmin),
            Err(e) => Err(e.into()),
        }
    }

    /// Publishes a matters file as the next version (station head only).
    pub fn publish_matters(
        &mut self,
        who: &Signed,
        file: &str,
        src: &str,
        note: &str,
    ) -> Result<(i64, MattersDiff), MattersError> {
        self.admin(who)?;
        if self.cfg.join.is_some() {
            return Err(MattersError::ByTown);
        }
        if note.trim().is_empty() {
            return Err(MattersError::NoNote);
        }
        let checked = self.check_matters(file, src)?;
        if checked.diff.is_empty() {
            return Err(MattersError::Unchanged);
        }
        let now = self.clock.now();
        let v = store::publish(self.conn_mut(), src, Some(who.no()), note.trim(), None, false, now)?;
        storage::matters::sync(self.conn_mut(), &checked.catalog, now)?;
        let summary = format!(
            "新增{} 删除{} 修改{}：{}",
            checked.diff.added.len(),
            checked.diff.removed.len(),
            checked.diff.changed.len(),
            note.trim()
        );
        audit::by(self.conn(), now, who.by(), "matters-publish", Some(&format!("第{v}版")), Some(&summary))?;
        tracing::info!("list of matters version {v} published by {}", who.no());
        self.reload_matters()?;
        Ok((v, checked.diff))
    }

    /// The list of matters the town published as its version `town_version`: checked as a
    /// local import would be (the station's own windows and categories included) and
    /// published here as the next version, or refused whole with the reason; either way
    /// recorded, and so reported to the town. True when applied; a version already
    /// handled is left alone.
    pub fn apply_town_matters(&mut self, town_version: i64, src: &str, note: &str) -> Result<bool, StoreError> {
        if let Some((v, _)) = crate::storage::sync::town_applied(self.conn(), "matters")? {
            if v >= town_version {
                return Ok(false);
            }
        }
        let now = self.clock.now();
        let label = format!("镇中心第{town_version}版");
        let checked = match self.check_matters(&label, src) {
            Ok(c) => c,
            Err(MattersError::Store(e)) => return Err(e),
            Err(e) => {
                let why = e.to_string();
                tracing::warn!("the town's list of matters version {town_version} refused: {why}");
                crate::storage::sync::set_town_applied(self.conn(), "matters", town_version, false, Some(&why), now)?;
                return Ok(false);
            }
        };
        if !checked.diff.is_empty() {
            let note = format!("{label}：{}", crate::domain::text::capped(note.trim(), 200));
            let v = store::publish(self.conn_mut(), src, None, &note, None, false, now)?;
            storage::matters::sync(self.conn_mut(), &checked.catalog, now)?;
            crate::storage::audit::record(
                self.conn(),
                now,
                None,
                "matters-publish",
                Some(&format!("第{v}版")),
                Some(&note),
                Some("镇中心"),
            )?;
            self.reload_matters()?;
            tracing::info!("the town's list of matters version {town_version} published here as version {v}");
        }
        crate::storage::sync::set_town_applied(self.conn(), "matters", town_version, true, None, now)?;
        Ok(true)
    }

    /// Publishes an older version's content again, as a new version.
    /// What rolling back to `version` would change, checked as a new upload would be.
    pub fn check_rollback(&self, version: i64) -> Result<Checked, MattersError> {
        let src = store::source(self.conn(), version)?.ok_or(MattersError::NoVersion(version))?;
        self.check_matters(&format!("第{version}版"), &src)
    }

    /// Publishes the content of `version` again as a new version, with the station head's
    /// note (why); an empty note says only which version came back.
    pub fn rollback_matters(
        &mut self,
        who: &Signed,
        version: i64,
        why: Option<&str>,
    ) -> Result<(i64, MattersDiff), MattersError> {
        self.admin(who)?;
        if self.cfg.join.is_some() {
            return Err(MattersError::ByTown);
        }
        let src = store::source(self.conn(), version)?.ok_or(MattersError::NoVersion(version))?;
        let checked = self.check_matters(&format!("第{version}版"), &src)?;
        if checked.diff.is_empty() {
            return Err(MattersError::Unchanged);
        }
        let now = self.clock.now();
        let note = match why.map(str::trim).filter(|w| !w.is_empty()) {
            Some(w) => format!("回滚到第{version}版：{}", crate::domain::text::capped(w, 200)),
            None => format!("回滚到第{version}版"),
        };
        let v = store::publish(self.conn_mut(), &src, Some(who.no()), &note, Some(version), false, now)?;
        storage::matters::sync(self.conn_mut(), &checked.catalog, now)?;
        audit::by(self.conn(), now, who.by(), "matters-rollback", Some(&format!("第{v}版")), Some(&note))?;
        self.reload_matters()?;
        Ok((v, checked.diff))
    }

    /// Every published version, oldest first.
    pub fn catalog_versions(&self) -> Result<Vec<VersionInfo>, StoreError> {
        Ok(store::versions(self.conn())?
            .into_iter()
            .map(|r| VersionInfo {
                version: r.version,
                published_at: when(self, r.published_at),
                staff: r.staff_no,
                note: r.note,
            })
            .collect())
    }

    /// The live version as TOML (exactly as published).
    pub fn export_matters(&self) -> Result<String, StoreError> {
        let v = self.published_version()?;
        Ok(store::source(self.conn(), v)?.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_added_removed_and_changed_fields() {
        let old = config::parse_matters("a", config::SHIPPED_MATTERS).unwrap();
        let src = config::SHIPPED_MATTERS.replacen("promised-days = 15", "promised-days = 10", 1);
        let new = config::parse_matters("b", &src).unwrap();
        let d = diff(&old, &new);
        assert!(d.added.is_empty() && d.removed.is_empty());
        assert_eq!(d.changed.len(), 1, "{d:?}");
        assert_eq!(d.changed[0].fields, ["promised-days"]);
        assert!(d.changed[0].described[0].starts_with("承诺时限：15个工作日 → 10个工作日"), "{d:?}");
        assert!(diff(&old, &old).is_empty());
    }
}
