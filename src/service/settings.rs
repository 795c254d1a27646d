//! Station settings at the desk (站点设置): name, phone, the QR address, office hours, idle
//! times, the printer and the service's listen addresses. The station head's values are
//! kept in the store and laid over station.toml when a process opens the station, checked
//! exactly as `kiosk config check` checks the file (the merged text goes through the same
//! parser and cross-check). Keys left equal to station.toml's are not kept, so later hand
//! edits of the file still count. A process takes new settings up when it starts.

use super::auth::{ActorError, Signed};
use super::Station;
use crate::config::{self, ConfigErrors, StationConfig};
use crate::storage::{settings as store, StoreError};
use std::collections::HashMap;

/// How a field is typed in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Several values separated by commas, 、 or spaces.
    List,
    Number,
    /// One of a few words (value, label), shown as a list to pick from.
    Choice(&'static [(&'static str, &'static str)]),
}

/// What becomes of tickets left at closing, as the settings page offers it.
pub const CLOSING_CHOICES: [(&str, &str); 2] =
    [("expire", tr_later!("作废（过期）")), ("keep", tr_later!("留到下一个工作日，上班第一个小时先叫"))];

/// The priority rules as the settings page offers them.
pub const PRIORITY_CHOICES: [(&str, &str); 3] = [
    ("strict", tr_later!("优先号总是先叫")),
    ("every", tr_later!("每叫几个普通号插叫 1 个优先号")),
    ("after", tr_later!("普通号等满若干分钟就先叫它")),
];

/// One setting: its station.toml key, its name and hint in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub kind: Kind,
}

pub const FIELDS: [Field; 17] = [
    Field {
        key: "station.name",
        label: tr_later!("服务站名称"),
        hint: tr_later!("首页大标题、回执抬头"),
        kind: Kind::Text,
    },
    Field {
        key: "station.phone", label: tr_later!("服务电话"), hint: tr_later!("首页和回执上显示"), kind: Kind::Text
    },
    Field {
        key: "station.public-base-url",
        label: tr_later!("二维码地址"),
        hint: tr_later!("手机扫回执二维码打开的地址，例如 http://192.168.1.10:8080"),
        kind: Kind::Text,
    },
    Field {
        key: "hours.weekdays",
        label: tr_later!("周一至周五办公时间"),
        hint: tr_later!("例如 08:30-12:00, 14:00-17:30"),
        kind: Kind::List,
    },
    Field {
        key: "hours.weekends",
        label: tr_later!("周六、周日值班时间"),
        hint: tr_later!("不值班就留空"),
        kind: Kind::List,
    },
    Field {
        key: "idle.timeout-secs",
        label: tr_later!("无人操作多少秒后提醒"),
        hint: tr_later!("不少于 30 秒"),
        kind: Kind::Number,
    },
    Field {
        key: "idle.countdown-secs",
        label: tr_later!("提醒后倒计时秒数"),
        hint: tr_later!("不少于 20 秒"),
        kind: Kind::Number,
    },
    Field {
        key: "printer.name",
        label: tr_later!("打印机（CUPS 队列名）"),
        hint: tr_later!("lpstat -p 可查看；留空 = 不打印，只保存回执 PDF"),
        kind: Kind::Text,
    },
    Field {
        key: "printer.timeout-secs",
        label: tr_later!("打印超时（秒）"),
        hint: tr_later!("超过就算打印失败，号照样有效"),
        kind: Kind::Number,
    },
    Field {
        key: "calling.priority",
        label: tr_later!("优先号（绿色通道）怎么叫"),
        hint: tr_later!("同一类里总是先来先叫；后两种不会让普通号一直等"),
        kind: Kind::Choice(&PRIORITY_CHOICES),
    },
    Field {
        key: "calling.priority-every",
        label: tr_later!("每叫几个普通号插叫 1 个优先号"),
        hint: tr_later!("1 到 20；只在上面选了“每叫几个普通号”时用"),
        kind: Kind::Number,
    },
    Field {
        key: "calling.priority-after-minutes",
        label: tr_later!("普通号等满几分钟先叫"),
        hint: tr_later!("5 到 240；只在上面选了“普通号等满若干分钟”时用"),
        kind: Kind::Number,
    },
    Field {
        key: "calling.nearly-up",
        label: tr_later!("前面还剩几人时提醒“快到您了”"),
        hint: tr_later!("手机号票页面响一声、振动；0 到 20"),
        kind: Kind::Number,
    },
    Field {
        key: "calling.at-closing",
        label: tr_later!("下班时还没叫到的号"),
        hint: tr_later!("手机号票页面会写明；月报计数"),
        kind: Kind::Choice(&CLOSING_CHOICES),
    },
    Field {
        key: "rating.followup-days",
        label: tr_later!("差评整改期限（工作日）"),
        hint: tr_later!("1 到 60；国家要求 100% 跟进，各地多为 5 到 15 个工作日"),
        kind: Kind::Number,
    },
    Field {
        key: "station.area-code",
        label: tr_later!("统计用区划代码（12 位）"),
        hint: tr_later!("国家统计局发布的本村代码；导出的每条好差评都带它"),
        kind: Kind::Text,
    },
    Field {
        key: "server.listen",
        label: tr_later!("服务监听地址"),
        hint: tr_later!("地址:端口，多个用逗号隔开；留空 = 按二维码地址"),
        kind: Kind::List,
    },
];

/// A field with its value now (station.toml with the desk's settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldView {
    pub field: Field,
    pub value: String,
    /// Set at the desk (not station.toml's).
    pub from_desk: bool,
    /// This process runs with another value (it takes the new one when restarted).
    pub pending: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Each problem as "名称：问题".
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
    #[error("设置刚被别人保存过：页面已显示最新的设置，请核对后再保存")]
    Stale,
    #[error("{0}")]
    Actor(#[from] ActorError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A setting's value as the form shows it.
fn shown(st: &StationConfig, key: &str) -> String {
    match key {
        "station.name" => st.name.clone(),
        "station.phone" => st.phone.clone(),
        "station.public-base-url" => st.public_base_url.clone(),
        "hours.weekdays" => st.weekday_hours.join(", "),
        "hours.weekends" => st.weekend_hours.join(", "),
        "idle.timeout-secs" => st.idle.idle_after_secs.to_string(),
        "idle.countdown-secs" => st.idle.countdown_secs.to_string(),
        "printer.name" => st.printer.name.clone().unwrap_or_default(),
        "printer.timeout-secs" => st.printer.timeout_secs.to_string(),
        "server.listen" => st.server.listen.join(", "),
        "calling.priority" => st.calling.priority.key().to_string(),
        "calling.priority-every" => st.calling.priority_every.to_string(),
        "calling.priority-after-minutes" => st.calling.priority_after_minutes.to_string(),
        "calling.nearly-up" => st.calling.nearly_up.to_string(),
        "calling.at-closing" => match st.calling.at_closing {
            crate::domain::calling::AtClosing::Expire => "expire".into(),
            crate::domain::calling::AtClosing::Keep => "keep".into(),
        },
        "rating.followup-days" => st.followup_days.to_string(),
        "station.area-code" => st.area_code.clone(),
        _ => String::new(),
    }
}

/// The form's text as a TOML value ("" for an empty listen list: the key is removed).
fn to_toml(f: &Field, text: &str) -> Result<String, String> {
    let text = text.trim();
    match f.kind {
        Kind::Text | Kind::Choice(_) => Ok(toml_edit::Value::from(text).to_string().trim().to_string()),
        Kind::Number => match text.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n.to_string()),
            _ => Err(format!("{}：“{text}”不是数字，请填写整数", f.label)),
        },
        Kind::List => {
            let items: Vec<&str> =
                text.split(|c: char| c.is_whitespace() || ",，、;；".contains(c)).filter(|s| !s.is_empty()).collect();
            if items.is_empty() && f.key == "server.listen" {
                return Ok(String::new());
            }
            let arr: toml_edit::Array = items.into_iter().collect();
            Ok(toml_edit::Value::Array(arr).to_string().trim().to_string())
        }
    }
}

/// station.toml with `overlay` (key, TOML value) put in; an empty value removes the key.
pub fn apply(src: &str, overlay: &[(String, String)]) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = src.parse().map_err(|e| format!("station.toml: {e}"))?;
    for (key, value) in overlay {
        let Some((table, name)) = key.split_once('.') else { continue };
        if value.is_empty() {
            if let Some(t) = doc.get_mut(table).and_then(|t| t.as_table_like_mut()) {
                t.remove(name);
            }
            continue;
        }
        let v: toml_edit::Value = value.parse().map_err(|e| format!("{key}: {e}"))?;
        if !doc.contains_key(table) {
            doc.insert(table, toml_edit::Item::Table(toml_edit::Table::new()));
        }
        match doc.get_mut(table).and_then(|t| t.as_table_like_mut()) {
            Some(t) => {
                t.insert(name, toml_edit::Item::Value(v));
            }
            None => return Err(format!("{table} is not a table in station.toml")),
        }
    }
    Ok(doc.to_string())
}

/// The problems of a config check, each as "名称：问题" where the key is one of ours.
fn in_words(errs: &ConfigErrors) -> Vec<String> {
    errs.0
        .iter()
        .map(|i| match FIELDS.iter().find(|f| f.key == i.field) {
            Some(f) => format!("{}：{}", f.label, i.problem),
            None => format!("{}: {}", i.field, i.problem),
        })
        .collect()
}

impl Station {
    /// The station config from station.toml and the settings saved in the store.
    fn effective_station(&self, overlay: &[(String, String)]) -> Result<StationConfig, SettingsError> {
        let label = format!("{}（含站务管理里保存的设置）", self.cfg.station_file);
        let merged = apply(&self.cfg.station_source, overlay).map_err(|e| SettingsError::Invalid(vec![e]))?;
        let st = config::parse_station(&label, &merged).map_err(|e| SettingsError::Invalid(in_words(&e)))?;
        config::cross_check(&st, &label, &self.cfg.catalog).map_err(|e| SettingsError::Invalid(in_words(&e)))?;
        Ok(st)
    }

    /// At open: the desk's settings laid over station.toml (kept as it is if they no
    /// longer fit it, with a warning in the log).
    pub(super) fn take_up_settings(&mut self) -> Result<(), StoreError> {
        let overlay = store::all(self.conn())?;
        if overlay.is_empty() {
            return Ok(());
        }
        match self.effective_station(&overlay) {
            Ok(st) => self.cfg.station = st,
            Err(e) => tracing::warn!("station settings saved at the desk not used: {e}"),
        }
        Ok(())
    }

    /// The settings form: each field's value now, where it comes from, and whether this
    /// process still runs with another value.
    pub fn settings(&self) -> Result<Vec<FieldView>, SettingsError> {
        let overlay = store::all(self.conn())?;
        let now = self.effective_station(&overlay)?;
        Ok(FIELDS
            .iter()
            .map(|f| {
                let value = shown(&now, f.key);
                FieldView {
                    field: *f,
                    from_desk: overlay.iter().any(|(k, _)| k == f.key),
                    pending: value != shown(&self.cfg.station, f.key),
                    value,
                }
            })
            .collect())
    }

    /// Which save the settings are at (the form carries it back: the stale-write check).
    pub fn settings_version(&self) -> Result<i64, StoreError> {
        store::saves(self.conn())
    }

    /// Saves the form (station head): every value checked as `kiosk config check` would;
    /// returns the changes in words. Nothing is kept when anything is wrong, nor when the
    /// settings were saved by someone else since `seen`.
    pub fn save_settings(
        &mut self,
        who: &Signed,
        form: &HashMap<String, String>,
        seen: Option<i64>,
    ) -> Result<Vec<String>, SettingsError> {
        self.admin_actor(who)?;
        if seen.is_some_and(|v| v != store::saves(self.conn()).unwrap_or(-1)) {
            return Err(SettingsError::Stale);
        }
        let base = config::parse_station(&self.cfg.station_file, &self.cfg.station_source)
            .map_err(|e| SettingsError::Invalid(in_words(&e)))?;
        let before = self.settings()?;
        // Fields the form does not carry keep what was saved before.
        let mut overlay: Vec<(String, String)> =
            store::all(self.conn())?.into_iter().filter(|(k, _)| !form.contains_key(k)).collect();
        let mut problems = Vec::new();
        let mut changes = Vec::new();
        for f in &FIELDS {
            let Some(text) = form.get(f.key) else { continue };
            let text = text.trim();
            let old = before.iter().find(|v| v.field.key == f.key).map(|v| v.value.clone()).unwrap_or_default();
            let normal = |t: &str| to_toml(f, t).unwrap_or_else(|_| t.to_string());
            if normal(text) != normal(&old) {
                // A choice in its words, not its key.
                let said = |v: &str| {
                    match f.kind {
                        Kind::Choice(list) => list.iter().find(|(k, _)| *k == v).map(|(_, l)| l.to_string()),
                        _ => None,
                    }
                    .unwrap_or_else(|| {
                        if v.is_empty() {
                            "（空）".to_string()
                        } else {
                            v.to_string()
                        }
                    })
                };
                changes.push(format!("{}：{} → {}", f.label, said(&old), said(text)));
            }
            // Equal to station.toml's: not kept (the file's later edits still count).
            if normal(text) == normal(&shown(&base, f.key)) {
                continue;
            }
            match to_toml(f, text) {
                Ok(v) => overlay.push((f.key.to_string(), v)),
                Err(p) => problems.push(p),
            }
        }
        if !problems.is_empty() {
            return Err(SettingsError::Invalid(problems));
        }
        self.effective_station(&overlay)?;
        if changes.is_empty() {
            return Ok(changes);
        }
        let now = self.clock.now();
        store::replace(self.conn_mut(), &overlay, who.by(), &changes.join("；"), now)?;
        tracing::info!("station settings saved by {}: {}", who.no(), changes.join("; "));
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_put_in_keeping_the_rest_of_the_file() {
        let src = "# 站点\n[station]\nname = \"甲村\" # 全称\n\n[hours]\nweekdays = [\"08:00-12:00\"]\n[server]\nlisten = [\"1.2.3.4:80\"]\n";
        let out = apply(
            src,
            &[
                ("station.name".into(), "\"乙村\"".into()),
                ("idle.timeout-secs".into(), "120".into()),
                ("server.listen".into(), String::new()),
            ],
        )
        .unwrap();
        assert!(out.starts_with("# 站点\n[station]\nname = \"乙村\""), "{out}");
        assert!(out.contains("weekdays = [\"08:00-12:00\"]"));
        assert!(out.contains("[idle]\ntimeout-secs = 120"), "{out}");
        assert!(!out.contains("1.2.3.4"), "{out}");
    }

    #[test]
    fn form_text_becomes_toml() {
        let f = |k: &str| *FIELDS.iter().find(|f| f.key == k).unwrap();
        assert_eq!(
            to_toml(&f("hours.weekdays"), "08:30-12:00，14:00-17:30").unwrap(),
            "[\"08:30-12:00\", \"14:00-17:30\"]"
        );
        assert_eq!(to_toml(&f("hours.weekends"), " ").unwrap(), "[]");
        assert_eq!(to_toml(&f("server.listen"), "").unwrap(), "");
        let quoted: toml_edit::Value = to_toml(&f("station.name"), " 乙村 \"站\" ").unwrap().parse().unwrap();
        assert_eq!(quoted.as_str(), Some("乙村 \"站\""), "quotes survive");
        assert!(to_toml(&f("idle.timeout-secs"), "九十").unwrap_err().contains("不是数字"));
    }
}
