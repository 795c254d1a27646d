//! The 代办交接单 of a day: the cases marked 已报送 that day and still with the town (not
//! yet decided, returned or withdrawn), for the trip to the town's 便民服务中心.

use super::*;
use crate::domain::case::{Case, CaseState};
use crate::domain::identity::{mask_id, mask_name, mask_phone};
use crate::receipt::handover::{HandoverData, HandoverLine};
use chrono::NaiveDate;

impl Station {
    /// The cases marked 已报送 on `day` (local) that are still 已报送, by tracking code.
    pub fn handover_cases(&self, day: NaiveDate) -> Result<Vec<Case>, StoreError> {
        let tz = self.clock.tz();
        let mut out = Vec::new();
        for c in self.open_cases()?.into_iter().filter(|c| c.state == CaseState::Submitted) {
            let sent_on = self
                .case_events(&c)?
                .iter()
                .filter(|e| e.to_state == Some(CaseState::Submitted))
                .map(|e| e.at.with_timezone(&tz).date_naive())
                .max();
            if sent_on == Some(day) {
                out.push(c);
            }
        }
        out.sort_by(|a, b| a.tracking.cmp(&b.tracking));
        Ok(out)
    }

    /// The list of `day` as an A4 PDF (masked, one QR code per case).
    pub fn handover_pdf(&self, day: NaiveDate) -> Result<(Vec<u8>, usize), ReportError> {
        let lines: Vec<HandoverLine> = self
            .handover_cases(day)?
            .into_iter()
            .map(|c| {
                let (got, missing): (Vec<_>, Vec<_>) = c.materials.iter().partition(|m| m.received);
                let names = |v: &[&crate::domain::case::CaseMaterial]| {
                    v.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join("、")
                };
                // What is missing first: what the town will ask for.
                let mut materials = String::new();
                if !missing.is_empty() {
                    materials.push_str(&format!("缺 {}；", names(&missing)));
                }
                materials.push_str(&format!("已收 {} 件", got.len()));
                if !got.is_empty() {
                    materials.push_str(&format!("（{}）", names(&got)));
                }
                HandoverLine {
                    tracking: c.tracking.clone(),
                    matter: c.matter_name.clone(),
                    applicant: c.name.as_deref().map(mask_name).unwrap_or_else(|| "—".into()),
                    id_masked: mask_id(&c.id_number),
                    phone_masked: mask_phone(&c.phone),
                    materials,
                    due: c.due_on,
                    first_responder: c.first_responder.clone(),
                }
            })
            .collect();
        let code = self.cfg.join.as_ref().map(|j| j.code.clone());
        let data = HandoverData {
            station: &self.cfg.station.name,
            code: code.as_deref(),
            day,
            lines: &lines,
            generated: self.clock.now_local().format("%Y-%m-%d %H:%M").to_string(),
        };
        let font = self.font().map_err(ReportError::Font)?;
        let pdf = crate::receipt::handover::pdf(&font, &data).map_err(|e| ReportError::Font(e.to_string()))?;
        Ok((pdf, lines.len()))
    }
}
