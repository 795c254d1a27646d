//! Personal data on request (PIPL arts. 45 and 47): a villager at the window asks what
//! the station keeps about them, or asks to have it removed. Staff find the cases by the
//! ID number, print what is held (masked as the receipts are) for the villager to take
//! away, and mask a closed case's personal data at once, as the retention purge would; an
//! open case is refused with the reason (the matter is still being carried, and needs
//! the data). Every step and its outcome is an audit event, naming the person only by the
//! masked ID number.

use super::auth::{ActorError, Signed};
use super::Station;
use crate::domain::case::CaseState;
use crate::domain::identity::{self, mask_id, mask_name, mask_phone, IdError};
use crate::storage::purge::{self as store, Held};
use crate::storage::{audit, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("身份证号：{0}")]
    Id(#[from] IdError),
    #[error("{0}")]
    Actor(#[from] ActorError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("打印用的字体：{0}")]
    Font(String),
}

/// A case as the person may see it (masked as on the receipts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCase {
    pub tracking: String,
    pub matter: String,
    pub state: &'static str,
    /// Closed, rejected or withdrawn: its data may be masked at once.
    pub finished: bool,
    pub created: String,
    pub name: String,
    pub id: String,
    pub phone: String,
    pub phone2: Option<String>,
    /// The privacy notice it was taken under (None: at the window or the command line).
    pub notice_version: Option<u32>,
}

/// What a request to remove did: cases masked, and cases refused with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Erased {
    pub masked: Vec<String>,
    pub refused: Vec<(String, String)>,
}

impl Station {
    fn held(&self, id_text: &str) -> Result<(String, Vec<Held>), PrivacyError> {
        let id = identity::parse_id(id_text, self.clock.today())?;
        Ok((id.as_str().to_string(), store::held_for(self.conn(), id.as_str())?))
    }

    fn shown(&self, h: &Held) -> HeldCase {
        let state = CaseState::from_key(&h.state);
        HeldCase {
            tracking: h.due.tracking.clone(),
            matter: h.matter.clone(),
            state: state.map(|s| s.label()).unwrap_or(""),
            finished: state.is_some_and(|s| !s.is_open()),
            created: h.created_at.with_timezone(&self.clock.tz()).format("%Y-%m-%d").to_string(),
            name: h.due.name.as_deref().map(mask_name).unwrap_or_default(),
            id: mask_id(&h.due.id_number),
            phone: mask_phone(&h.due.phone),
            phone2: h.due.phone2.as_deref().map(mask_phone),
            notice_version: h.notice_version,
        }
    }

    /// 查询本人信息: what the station holds about the person with this ID number (a
    /// villager asking at the window, with their card). Audited.
    pub fn find_personal_data(&self, who: &Signed, id_text: &str) -> Result<Vec<HeldCase>, PrivacyError> {
        self.actor(who)?;
        let (id, held) = self.held(id_text)?;
        let shown: Vec<HeldCase> = held.iter().map(|h| self.shown(h)).collect();
        let detail = format!("{} 件代办", shown.len());
        audit::by(self.conn(), self.clock.now(), who.by(), "personal-data-view", Some(&mask_id(&id)), Some(&detail))?;
        Ok(shown)
    }

    /// The same list again (the page after the request), not audited a second time.
    pub fn personal_data_held(&self, who: &Signed, id_text: &str) -> Result<Vec<HeldCase>, PrivacyError> {
        self.actor(who)?;
        Ok(self.held(id_text)?.1.iter().map(|h| self.shown(h)).collect())
    }

    /// What is held, as an A4 sheet for the villager to take away (masked). Audited.
    pub fn personal_data_pdf(&self, who: &Signed, id_text: &str) -> Result<Vec<u8>, PrivacyError> {
        self.actor(who)?;
        let (id, held) = self.held(id_text)?;
        let shown: Vec<HeldCase> = held.iter().map(|h| self.shown(h)).collect();
        let font = self.font().map_err(PrivacyError::Font)?;
        let st = &self.cfg.station;
        let printed = self.clock.now_local().format("%Y年%m月%d日 %H:%M").to_string();
        let pdf = crate::receipt::privacy::pdf(
            &font,
            &st.name,
            &st.phone,
            st.retention_days,
            &printed,
            &mask_id(&id),
            &shown,
        )
        .map_err(|e| PrivacyError::Font(e.to_string()))?;
        let detail = format!("打印 {} 件代办的个人信息", shown.len());
        audit::by(self.conn(), self.clock.now(), who.by(), "personal-data-print", Some(&mask_id(&id)), Some(&detail))?;
        Ok(pdf)
    }

    /// 删除本人信息: masks the personal data of the person's finished cases at once, as the
    /// retention purge would; open cases are refused with the reason. Audited with the
    /// outcome.
    pub fn erase_personal_data(&mut self, who: &Signed, id_text: &str) -> Result<Erased, PrivacyError> {
        self.actor(who)?;
        let (id, held) = self.held(id_text)?;
        let mut out = Erased::default();
        let mut masked = Vec::new();
        for h in held {
            let state = CaseState::from_key(&h.state);
            if state.is_some_and(|s| !s.is_open()) {
                out.masked.push(h.due.tracking.clone());
                let mut d = h.due;
                d.id_number = mask_id(&d.id_number);
                d.phone = mask_phone(&d.phone);
                d.phone2 = d.phone2.as_deref().map(mask_phone);
                d.name = d.name.as_deref().map(mask_name);
                masked.push(d);
            } else {
                let why = format!(
                    "{}（{}）还在办理中，办结前需要这些信息；办结后可以再来申请删除",
                    h.matter,
                    state.map(|s| s.label()).unwrap_or("")
                );
                out.refused.push((h.due.tracking.clone(), why));
            }
        }
        let now = self.clock.now();
        if !masked.is_empty() {
            store::mask(self.conn_mut(), &masked, identity::mask_patterns, now)?;
        }
        let detail = format!(
            "已隐去 {} 件：{}；未删除 {} 件：{}",
            out.masked.len(),
            out.masked.join("、"),
            out.refused.len(),
            out.refused.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join("、")
        );
        audit::by(self.conn(), now, who.by(), "personal-data-erase", Some(&mask_id(&id)), Some(&detail))?;
        tracing::info!("personal data erased on request: {} masked, {} refused", out.masked.len(), out.refused.len());
        Ok(out)
    }
}
