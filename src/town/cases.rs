//! 全程代办 at the town (issue 16): the cases the stations handed over, by due date across
//! the township, and the town's steps on them — 已接收, 退回补正, 已转县级部门, 办结, 不予受理 —
//! each recorded with its audit entry and sent down to the station by the hub. The promised
//! date is the station's (it comes up with every step); the town reads it against the
//! calendar it publishes.

use super::office::{Office, TownError, TownSigned};
use crate::domain::case::{check_town_transition, CaseMaterial, CaseState, Urgency};
use crate::domain::identity::{mask_id, mask_name, mask_phone};
use crate::domain::workdays::Calendar;
use chrono::{Datelike, NaiveDate};
use rusqlite::{params, OptionalExtension};

/// A paper of a case, as the case page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDocLine {
    pub kind: String,
    pub title: String,
    /// The PDF's size; None when only the paper came (too large for the link).
    pub size: Option<i64>,
}

/// A paper's PDF, opened by a town staff member.
#[derive(Debug, Clone)]
pub struct CaseDocFile {
    pub title: String,
    pub pdf: Vec<u8>,
}

/// A case as the town holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TownCase {
    pub station: String,
    pub station_name: String,
    pub tracking: String,
    pub matter: String,
    pub matter_name: String,
    pub matter_version: Option<i64>,
    #[serde(skip)]
    pub name: Option<String>,
    #[serde(skip)]
    pub id_number: String,
    #[serde(skip)]
    pub phone: String,
    #[serde(skip)]
    pub phone2: Option<String>,
    #[serde(skip)]
    pub materials: Vec<CaseMaterial>,
    #[serde(serialize_with = "day")]
    pub due: Option<NaiveDate>,
    pub promised_days: Option<i64>,
    pub first_responder: Option<String>,
    pub first_responder_name: Option<String>,
    pub station_note: Option<String>,
    #[serde(serialize_with = "state_key")]
    pub state: CaseState,
    pub handed_at: String,
    pub updated_at: String,
    pub conflict: Option<String>,
    pub masked: bool,
    #[serde(skip)]
    pub urgency: Urgency,
}

fn day<S: serde::Serializer>(d: &Option<NaiveDate>, ser: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => ser.serialize_str(&d.to_string()),
        None => ser.serialize_none(),
    }
}

fn state_key<S: serde::Serializer>(s: &CaseState, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.key())
}

impl TownCase {
    /// `STATION:TRACKING`, as the 交接单's QR code holds it.
    pub fn key(&self) -> String {
        format!("{}:{}", self.station, self.tracking)
    }
    pub fn id_masked(&self) -> String {
        mask_id(&self.id_number)
    }
    pub fn phone_masked(&self) -> String {
        mask_phone(&self.phone)
    }
    pub fn name_masked(&self) -> String {
        self.name.as_deref().map(mask_name).unwrap_or_default()
    }
    /// Materials still missing, by name.
    pub fn missing(&self) -> Vec<&str> {
        self.materials.iter().filter(|m| !m.received).map(|m| m.name.as_str()).collect()
    }
}

/// One step of a case at the town, from either end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TownStep {
    pub at: String,
    /// town or station
    pub origin: String,
    /// handed, move, conflict, settled, extend, materials
    pub kind: String,
    pub from: Option<CaseState>,
    pub to: Option<CaseState>,
    pub staff: Option<String>,
    pub note: Option<String>,
    /// A town step the hub has taken (on its way to the station).
    pub sent: bool,
}

/// The inbox's filters.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CaseFilter {
    #[serde(default)]
    pub station: Option<String>,
    #[serde(default)]
    pub matter: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    /// Closed ones too (rejected, withdrawn, collected).
    #[serde(default)]
    pub all: Option<String>,
}

impl CaseFilter {
    fn wants(&self, c: &TownCase) -> bool {
        let some = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        some(&self.station).is_none_or(|s| c.station == s)
            && some(&self.matter).is_none_or(|m| c.matter == m)
            && some(&self.state).is_none_or(|s| c.state.key() == s)
            && (some(&self.all).is_some()
                || some(&self.state).is_some()
                || c.state.with_town()
                || c.state == CaseState::Returned
                || c.conflict.is_some())
    }
}

const SELECT: &str = "SELECT station, tracking, matter, matter_name, matter_version, name, id_number, phone, phone2,
    materials, due, promised_days, first_responder, first_responder_name, station_note, state, handed_at,
    updated_at, conflict, masked_at FROM cases";

/// Where the case stands, to the town: red past due, amber within a working day.
pub fn urgency(cal: &Calendar, today: NaiveDate, state: CaseState, due: Option<NaiveDate>) -> Urgency {
    match (state.clock_runs(), due) {
        (true, Some(due)) if today > due => Urgency::Overdue,
        (true, Some(due)) if cal.working_days_between(today, due) <= 1 => Urgency::DueSoon,
        _ if state == CaseState::Returned => Urgency::Paused,
        _ => Urgency::Normal,
    }
}

impl Office {
    fn station_name(&self, code: &str) -> String {
        self.town().stations.iter().find(|s| s.code == code).map(|s| s.name.clone()).unwrap_or_default()
    }

    fn read_case(&self, r: &rusqlite::Row<'_>, cal: &Calendar, today: NaiveDate) -> rusqlite::Result<TownCase> {
        let station: String = r.get(0)?;
        let state = crate::storage::decode::keyed(r, "state", CaseState::from_key)?;
        let due: Option<String> = r.get(10)?;
        let due = due.and_then(|d| d.parse::<NaiveDate>().ok());
        let materials: String = r.get(9)?;
        let materials = serde_json::from_str::<serde_json::Value>(&materials)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|m| CaseMaterial {
                name: m["name"].as_str().unwrap_or("").to_string(),
                requirement: m["requirement"].as_str().unwrap_or("").to_string(),
                received: m["received"].as_bool().unwrap_or(false),
            })
            .collect();
        Ok(TownCase {
            station_name: self.station_name(&station),
            station,
            tracking: r.get(1)?,
            matter: r.get(2)?,
            matter_name: r.get(3)?,
            matter_version: r.get(4)?,
            name: r.get(5)?,
            id_number: r.get(6)?,
            phone: r.get(7)?,
            phone2: r.get(8)?,
            materials,
            due,
            promised_days: r.get(11)?,
            first_responder: r.get(12)?,
            first_responder_name: r.get(13)?,
            station_note: r.get(14)?,
            state,
            handed_at: r.get(16)?,
            updated_at: r.get(17)?,
            conflict: r.get(18)?,
            masked: r.get::<_, Option<String>>(19)?.is_some(),
            urgency: urgency(cal, today, state, due),
        })
    }

    /// The inbox: the cases the filter wants, most pressing first (overdue, due within a
    /// working day, by due date; paused and done ones last).
    pub fn cases(&self, f: &CaseFilter) -> Result<Vec<TownCase>, TownError> {
        let cal = self.calendar()?;
        let today = self.clock().today();
        // The town's open cases (with it or the county, or back for 补正, or in conflict)
        // are read by the index; every case only when asked for.
        let every = f.all.as_deref().is_some_and(|a| !a.trim().is_empty())
            || f.state.as_deref().is_some_and(|a| !a.trim().is_empty());
        let sql = if every {
            format!("{SELECT} ORDER BY due IS NULL, due, handed_at")
        } else {
            format!(
                "{SELECT} WHERE state IN ('submitted', 'received', 'forwarded', 'returned')
                 UNION ALL {SELECT} WHERE conflict IS NOT NULL AND state NOT IN ('submitted', 'received', 'forwarded', 'returned')"
            )
        };
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map([], |r| self.read_case(r, &cal, today))?;
        let mut out = Vec::new();
        for c in rows {
            let c = c?;
            if f.wants(&c) {
                out.push(c);
            }
        }
        out.sort_by_key(|c| (c.urgency, !c.state.with_town(), c.due.is_none(), c.due));
        Ok(out)
    }

    /// One case with its steps, oldest first.
    pub fn case(&self, station: &str, tracking: &str) -> Result<Option<(TownCase, Vec<TownStep>)>, TownError> {
        let cal = self.calendar()?;
        let today = self.clock().today();
        let case = self
            .conn()
            .query_row(&format!("{SELECT} WHERE station = ?1 AND tracking = ?2"), params![station, tracking], |r| {
                self.read_case(r, &cal, today)
            })
            .optional()?;
        let Some(case) = case else { return Ok(None) };
        let mut st = self.conn().prepare(
            "SELECT at, origin, kind, from_state, to_state, staff, note, sent_at FROM case_steps
             WHERE station = ?1 AND tracking = ?2 ORDER BY at, id",
        )?;
        let steps = st
            .query_map(params![station, tracking], |r| {
                Ok(TownStep {
                    at: r.get(0)?,
                    origin: r.get(1)?,
                    kind: r.get(2)?,
                    from: r.get::<_, Option<String>>(3)?.and_then(|k| CaseState::from_key(&k)),
                    to: r.get::<_, Option<String>>(4)?.and_then(|k| CaseState::from_key(&k)),
                    staff: r.get(5)?,
                    note: r.get(6)?,
                    sent: r.get::<_, Option<String>>(7)?.is_some(),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some((case, steps)))
    }

    /// `STATION:TRACKING` (a 交接单's QR code, a typed key) to the case's two parts.
    pub fn case_key(&self, key: &str) -> Result<(String, String), TownError> {
        let half = crate::domain::text::half_width(key.trim());
        let Some((station, tracking)) = half.split_once([':', '：']) else {
            return Err(TownError::Refused(format!(
                "“{}”不是代办件的编号：要写成 站点代码:受理编号，例如 s01:D-261207-001（交接单上的二维码就是它）",
                key.trim()
            )));
        };
        let station = station.trim().to_ascii_lowercase();
        let tracking = crate::domain::case::normalize_tracking(tracking)
            .ok_or_else(|| TownError::Refused(format!("“{}”不是受理编号（例如 D-261207-001）", tracking.trim())))?;
        Ok((station, tracking))
    }

    fn must_case(&self, station: &str, tracking: &str) -> Result<(TownCase, Vec<TownStep>), TownError> {
        self.case(station, tracking)?.ok_or_else(|| {
            TownError::Refused(format!(
                "镇中心没有 {station}:{tracking} 这件代办：编号不对，或还没报送上来（服务站刚报送的，连通时要等几秒到半分钟；离线的站点连通后才到）"
            ))
        })
    }

    /// The case with its personal data in full, for the town staff member who asked; the
    /// look is recorded in the town's audit trail.
    pub fn reveal_case(&self, who: &TownSigned, station: &str, tracking: &str) -> Result<TownCase, TownError> {
        self.check(who)?;
        let (case, _) = self.must_case(station, tracking)?;
        self.audit_as(who, "case-reveal", &case.key(), "查看完整身份证号和电话")?;
        Ok(case)
    }

    /// The papers the station sent with a case: (kind, title, size in bytes, or None when
    /// the PDF was too large for the link and only the paper came).
    pub fn case_docs(&self, station: &str, tracking: &str) -> Result<Vec<CaseDocLine>, TownError> {
        let mut st = self.conn().prepare_cached(
            "SELECT kind, title, length(pdf) FROM case_docs WHERE station = ?1 AND tracking = ?2 ORDER BY at, kind",
        )?;
        let rows = st.query_map(params![station, tracking], |r| {
            Ok(CaseDocLine { kind: r.get(0)?, title: r.get(1)?, size: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One paper's PDF, for the town staff member who opened it; the look is recorded in
    /// the town's audit trail (the papers carry the applicant's name).
    pub fn case_doc(
        &self,
        who: &TownSigned,
        station: &str,
        tracking: &str,
        kind: &str,
    ) -> Result<CaseDocFile, TownError> {
        self.check(who)?;
        let (case, _) = self.must_case(station, tracking)?;
        let doc: Option<(String, Option<Vec<u8>>)> = self
            .conn()
            .query_row(
                "SELECT title, pdf FROM case_docs WHERE station = ?1 AND tracking = ?2 AND kind = ?3",
                params![station, tracking, kind],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((title, Some(pdf))) = doc else {
            return Err(TownError::Refused(format!(
                "{}没有这份材料的电子件（没有随件上传，或已按保存期限清除）：请看服务站送来的纸质件",
                case.key()
            )));
        };
        self.audit_as(who, "case-doc", &case.key(), &format!("查看{title}"))?;
        Ok(CaseDocFile { title, pdf })
    }

    /// Records a town step on a case — 已接收, 退回补正, 已转县级部门, 办结, 不予受理 — if it
    /// fits the case's state; it goes down to the station with the hub.
    pub fn advance_case(
        &mut self,
        who: &TownSigned,
        station: &str,
        tracking: &str,
        to: CaseState,
        note: &str,
    ) -> Result<TownCase, TownError> {
        self.check(who)?;
        if !CaseState::TOWN_MOVES.contains(&to) {
            return Err(TownError::Refused(format!("镇中心不登记“{}”：这一步由服务站登记", to.label())));
        }
        let note = note.trim();
        if note.chars().count() > 500 {
            return Err(TownError::Refused("说明太长了（最多 500 字）".into()));
        }
        let (case, _) = self.must_case(station, tracking)?;
        if let Some(c) = &case.conflict {
            return Err(TownError::Refused(format!("这件有冲突，要先核对处理：{c}")));
        }
        check_town_transition(case.state, to, note).map_err(TownError::Move)?;
        let now = super::office::rfc(self.clock().now());
        let tx = self.conn().unchecked_transaction()?;
        tx.execute(
            "UPDATE cases SET state = ?3, updated_at = ?4 WHERE station = ?1 AND tracking = ?2",
            params![station, tracking, to.key(), now],
        )?;
        tx.execute(
            "INSERT INTO case_steps (station, tracking, at, origin, kind, from_state, to_state, staff, note)
             VALUES (?1, ?2, ?3, 'town', 'move', ?4, ?5, ?6, ?7)",
            params![station, tracking, now, case.state.key(), to.key(), who.no(), (!note.is_empty()).then_some(note)],
        )?;
        self.audit_as(who, &format!("case-{}", to.key()), &case.key(), note)?;
        tx.commit()?;
        Ok(self.must_case(station, tracking)?.0)
    }

    /// A person at the town settles a case's conflict, saying how; the station hears of it.
    pub fn settle_case(
        &mut self,
        who: &TownSigned,
        station: &str,
        tracking: &str,
        note: &str,
    ) -> Result<TownCase, TownError> {
        self.check(who)?;
        let note = note.trim();
        if note.is_empty() {
            return Err(TownError::Refused("请写明怎么处理的（与服务站核对的结果）".into()));
        }
        let (case, _) = self.must_case(station, tracking)?;
        if case.conflict.is_none() {
            return Err(TownError::Refused("这件没有冲突要处理".into()));
        }
        let now = super::office::rfc(self.clock().now());
        let tx = self.conn().unchecked_transaction()?;
        tx.execute(
            "UPDATE cases SET conflict = NULL, updated_at = ?3 WHERE station = ?1 AND tracking = ?2",
            params![station, tracking, now],
        )?;
        tx.execute(
            "INSERT INTO case_steps (station, tracking, at, origin, kind, staff, note)
             VALUES (?1, ?2, ?3, 'town', 'settled', ?4, ?5)",
            params![station, tracking, now, who.no(), note],
        )?;
        self.audit_as(who, "case-settled", &case.key(), note)?;
        tx.commit()?;
        Ok(self.must_case(station, tracking)?.0)
    }

    /// The cases with the town or the county that fall due by the end of this week
    /// (overdue ones first): what the town head looks at.
    pub fn due_this_week(&self) -> Result<Vec<TownCase>, TownError> {
        let today = self.clock().today();
        let sunday = today + chrono::Duration::days(6 - today.weekday().num_days_from_monday() as i64);
        Ok(self
            .cases(&CaseFilter::default())?
            .into_iter()
            .filter(|c| c.state.clock_runs() && c.due.is_some_and(|d| d <= sunday))
            .collect())
    }
}

/// The town's steps not yet sent down, oldest first: (id, station, tracking, message).
pub fn unsent_steps(conn: &rusqlite::Connection, limit: u32) -> rusqlite::Result<Vec<(i64, String, String, String)>> {
    let mut st = conn.prepare_cached(
        "SELECT id, station, tracking, kind, to_state, staff, note, at FROM case_steps
         WHERE origin = 'town' AND sent_at IS NULL ORDER BY id LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| {
        let kind: String = r.get(3)?;
        let body = serde_json::json!({
            "id": r.get::<_, i64>(0)?,
            "tracking": r.get::<_, String>(2)?,
            "to": r.get::<_, Option<String>>(4)?,
            "settled": kind == "settled",
            "staff": r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            "note": r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            "at": r.get::<_, String>(7)?,
        });
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, body.to_string()))
    })?;
    rows.collect()
}

pub fn mark_sent(conn: &rusqlite::Connection, id: i64, at: &str) -> rusqlite::Result<()> {
    conn.execute("UPDATE case_steps SET sent_at = ?2 WHERE id = ?1", params![id, at])?;
    Ok(())
}

/// Subjects of the town's stream still to erase.
pub fn erase_pending(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare("SELECT subject FROM stream_erase ORDER BY since, subject")?;
    let rows = st.query_map([], |r| r.get(0))?;
    rows.collect()
}

pub fn erase_done(conn: &rusqlite::Connection, subject: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM stream_erase WHERE subject = ?1", [subject])?;
    Ok(())
}
