//! The audit trail (审计日志): every staff and admin action — who, when, what, from which
//! PC — searchable by person, case, ticket and date. Append-only in the store.

use super::auth::Signed;
use super::Station;
use crate::domain::case::CaseState;
use crate::storage::audit::{self, AuditLine, AuditQuery};
use crate::storage::StoreError;
use chrono::{NaiveDate, TimeZone};

pub use crate::storage::audit::AuditLine as AuditEntry;

/// Where an action on the box's own command line comes from, in the audit log.
pub const LOCAL_ORIGIN: &str = "本机命令行";

/// What the station head looks for.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub staff: Option<String>,
    pub subject: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// An action's name in words, for the page.
pub fn action_words(action: &str) -> String {
    let known = [
        ("sign-in", "登录"),
        ("sign-in-failed", "登录失败"),
        ("sign-out", "签退"),
        ("window-take", "选择窗口"),
        ("window-pause", "暂停叫号"),
        ("window-resume", "恢复叫号"),
        ("reprint", "重新打印回执"),
        ("help-answered", "处理呼叫"),
        ("matters-publish", "发布事项清单"),
        ("matters-rollback", "回滚事项清单"),
        ("staff-add", "新增工作人员"),
        ("staff-disable", "停用账号"),
        ("staff-enable", "启用账号"),
        ("staff-role", "修改角色"),
        ("staff-pin-reset", "重置密码"),
        ("post-set", "设置AB岗"),
        ("post-remove", "删除AB岗"),
        ("away-set", "登记请假"),
        ("away-clear", "取消请假"),
        ("rota-add", "加入值班"),
        ("rota-remove", "移出值班"),
        ("window-categories", "设置窗口类别"),
        ("holidays-import", "导入节假日"),
        ("followup-assign", "分派差评跟进"),
        ("followup-result", "记录整改结果"),
        ("followup-appeal", "差评申诉"),
        ("call-out-of-turn", "选叫（不按顺序叫号）"),
        ("assist-begin", "在自助终端开始帮办"),
        ("assist-end", "结束帮办"),
        ("assist-ticket", "帮办取号"),
        ("assist-case", "帮办代办申请"),
        ("rating-paper", "录入书面评价"),
        ("personal-data-view", "查询本人个人信息"),
        ("personal-data-print", "打印本人个人信息"),
        ("personal-data-erase", "删除本人个人信息"),
        ("settings-save", "修改站点设置"),
        ("purge", "清理过期数据"),
        ("pad-pair", "配对评价器"),
        ("pad-revoke", "取消评价器配对"),
        // Written before the roster commands recorded their own actions (issue 14).
        ("local-change", "本机命令行修改"),
        ("case-transition", "代办办理"),
        ("case-extend", "代办延期"),
        ("case-reassign", "代办转办"),
        ("case-reveal", "查看完整个人信息"),
        ("case-materials", "代办材料更新"),
        ("case-assigned", "代办分派"),
        ("case-due-recomputed", "重算承诺日期"),
        ("ticket-called", "叫号"),
        ("ticket-recalled", "重呼"),
        ("ticket-no_show", "过号"),
        ("ticket-callback", "回呼"),
        ("ticket-started", "开始办理"),
        ("ticket-finished", "办结"),
        ("ticket-auto_finished", "叫下一位时自动办结"),
        ("ticket-transferred", "转窗口/转类别"),
    ];
    known.iter().find(|(k, _)| *k == action).map(|(_, w)| w.to_string()).unwrap_or_else(|| action.to_string())
}

impl Station {
    /// The trail, newest first (at most 500 lines).
    pub fn audit_log(&self, f: &AuditFilter) -> Result<Vec<AuditLine>, StoreError> {
        let tz = self.clock.tz();
        let start = |d: NaiveDate| tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()).earliest();
        let q = AuditQuery {
            staff: f.staff.clone().filter(|s| !s.trim().is_empty()),
            subject: f.subject.clone().map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty()),
            from: f.from.and_then(start).map(|d| d.to_utc()),
            to: f.to.and_then(|d| start(d + chrono::Duration::days(1))).map(|d| d.to_utc()),
            limit: 500,
        };
        let mut lines = audit::search(self.conn(), &q)?;
        for l in lines.iter_mut().filter(|l| l.action.starts_with("case-")) {
            // A case's state change carries its new state's key; show it in words.
            if let Some((key, note)) = l.detail.split_once('\u{1f}') {
                let state = CaseState::from_key(key).map(|s| s.label().to_string()).unwrap_or_else(|| key.to_string());
                l.detail =
                    [state, note.to_string()].iter().filter(|x| !x.is_empty()).cloned().collect::<Vec<_>>().join("：");
            }
        }
        Ok(lines)
    }

    /// A sign-in at the desk, with the PC it came from.
    pub fn note_sign_in(&self, who: &Signed) -> Result<(), StoreError> {
        audit::record(self.conn(), self.clock.now(), Some(who.no()), "sign-in", None, None, who.origin())
    }

    /// A failed sign-in from `origin`: counted, one row per address and day (whatever was
    /// typed as the staff number is kept capped).
    pub fn note_failed_sign_in(&self, typed: &str, origin: &str) -> Result<(), StoreError> {
        let day = self.clock.today().to_string();
        audit::failed_sign_in(self.conn(), self.clock.now(), &day, origin, typed.trim())
    }

    pub fn note_sign_out(&self, who: &Signed, origin: Option<&str>) -> Result<(), StoreError> {
        audit::record(self.conn(), self.clock.now(), Some(who.no()), "sign-out", None, None, origin)
    }
}
