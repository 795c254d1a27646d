//! Adapter for the staff console: sign-in, the 代办 queue, one case. Personal data is
//! shown in full only here, and only after an explicit reveal that is logged.

use super::{
    ActionItem, CaseAdapter, CaseItem, LoginAdapter, MaterialCheck, QueueAdapter, StaffNav, StaffPage, StaffWindow,
    TimelineItem,
};
use crate::domain::case::{Case, CaseState, Urgency};
use crate::domain::identity::{mask_id, mask_name, mask_phone};
use crate::service::{Signed, Station};
use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::rc::Rc;

pub struct ConsoleState {
    pub station: Station,
    me: Option<Signed>,
    /// The case on screen: its tracking code and the version the staff member sees, so a
    /// change made elsewhere meanwhile is refused rather than overwritten.
    current: Option<(String, i64)>,
    /// The case with its personal data in full, after a logged 显示完整信息.
    revealed: Option<Case>,
    matter_codes: Vec<String>,
    staff_nos: Vec<String>,
}

type Shared = Rc<RefCell<ConsoleState>>;

pub struct Console {
    pub win: StaffWindow,
    pub state: Shared,
}

/// States a staff member can filter the queue by (the open ones), in workflow order.
const FILTER_STATES: [CaseState; 6] = [
    CaseState::Pending,
    CaseState::Accepted,
    CaseState::Submitted,
    CaseState::Completed,
    CaseState::Notified,
    CaseState::Returned,
];

fn action_label(s: CaseState) -> &'static str {
    match s {
        CaseState::Accepted => "受理",
        CaseState::Submitted => "报送",
        CaseState::Completed => "办结",
        CaseState::Notified => "已通知村民",
        CaseState::Closed => "领取/归档",
        CaseState::Returned => "退回补正",
        CaseState::Rejected => "不予受理",
        CaseState::Withdrawn => "撤回",
        CaseState::Pending => "待受理",
    }
}

fn urgency_key(u: Urgency) -> &'static str {
    match u {
        Urgency::Overdue => "overdue",
        Urgency::DueSoon => "due-soon",
        Urgency::Normal => "normal",
        Urgency::Paused => "paused",
    }
}

fn strings(v: Vec<String>) -> ModelRc<SharedString> {
    ModelRc::new(VecModel::from(v.into_iter().map(SharedString::from).collect::<Vec<_>>()))
}

impl Console {
    pub fn build(station: Station) -> Result<Console, slint::PlatformError> {
        let win = StaffWindow::new()?;
        win.set_font_family(station.cfg.station.font_family.clone().into());
        win.global::<LoginAdapter>().set_station_name(station.cfg.station.name.clone().into());
        let state = Rc::new(RefCell::new(ConsoleState {
            station,
            me: None,
            current: None,
            revealed: None,
            matter_codes: Vec::new(),
            staff_nos: Vec::new(),
        }));
        wire(&win, &state);
        Ok(Console { win, state })
    }
}

impl Console {
    /// Shows the queue as `me` (used by the screenshot command; the window signs in by PIN).
    pub fn sign_in_as(&self, me: Signed) {
        self.state.borrow_mut().me = Some(me);
        show_queue(&self.win, &self.state);
    }

    /// Opens a case, as a click on its row does.
    pub fn open(&self, tracking: &str) {
        self.win.global::<QueueAdapter>().invoke_open(tracking.into());
    }
}

fn wire(win: &StaffWindow, state: &Shared) {
    let (w, s) = (win.as_weak(), state.clone());
    win.global::<LoginAdapter>().on_login(move || {
        let Some(win) = w.upgrade() else { return };
        let la = win.global::<LoginAdapter>();
        let result = s.borrow().station.sign_in(la.get_staff_no().as_str(), la.get_pin().as_str());
        la.set_pin("".into());
        match result {
            Ok(me) => {
                la.set_error("".into());
                s.borrow_mut().me = Some(me);
                show_queue(&win, &s);
            }
            Err(e) => la.set_error(e.to_string().into()),
        }
    });
    let q = win.global::<QueueAdapter>();
    let (w, s) = (win.as_weak(), state.clone());
    q.on_refresh(move || {
        let Some(win) = w.upgrade() else { return };
        show_queue(&win, &s);
    });
    let (w, s) = (win.as_weak(), state.clone());
    q.on_open(move |tracking| {
        let Some(win) = w.upgrade() else { return };
        {
            let mut st = s.borrow_mut();
            st.current = Some((tracking.to_string(), 0));
            st.revealed = None;
        }
        win.global::<CaseAdapter>().set_message("".into());
        win.global::<CaseAdapter>().set_note("".into());
        show_case(&win, &s);
    });
    let (w, s) = (win.as_weak(), state.clone());
    q.on_logout(move || {
        let Some(win) = w.upgrade() else { return };
        let mut st = s.borrow_mut();
        st.me = None;
        st.current = None;
        st.revealed = None;
        clear_case(&win);
        win.global::<StaffNav>().set_page(StaffPage::Login);
    });
    let c = win.global::<CaseAdapter>();
    let (w, s) = (win.as_weak(), state.clone());
    c.on_back(move || {
        let Some(win) = w.upgrade() else { return };
        {
            let mut st = s.borrow_mut();
            st.current = None;
            st.revealed = None;
        }
        clear_case(&win);
        show_queue(&win, &s);
    });
    let (w, s) = (win.as_weak(), state.clone());
    c.on_reveal(move || {
        let Some(win) = w.upgrade() else { return };
        let result = {
            let st = s.borrow();
            let (Some(me), Some((t, _))) = (st.me.as_ref(), st.current.as_ref()) else { return };
            st.station.reveal_case(me, t)
        };
        match result {
            Ok(case) => s.borrow_mut().revealed = Some(case),
            Err(e) => {
                let ca = win.global::<CaseAdapter>();
                ca.set_message(e.to_string().into());
                ca.set_message_is_error(true);
            }
        }
        show_case(&win, &s);
    });
    let (w, s) = (win.as_weak(), state.clone());
    c.on_act(move |key| {
        let Some(win) = w.upgrade() else { return };
        let ca = win.global::<CaseAdapter>();
        let Some(to) = CaseState::from_key(key.as_str()) else { return };
        let note = ca.get_note().to_string();
        let result = {
            let mut st = s.borrow_mut();
            let (Some(me), Some((t, seen))) = (st.me.clone(), st.current.clone()) else { return };
            st.station.advance_case(&me, &t, to, &note, Some(seen))
        };
        match result {
            Ok(c) => {
                ca.set_message(format!("已办理：{}", c.state.label()).into());
                ca.set_message_is_error(false);
                ca.set_note("".into());
            }
            Err(e) => {
                ca.set_message(e.to_string().into());
                ca.set_message_is_error(true);
            }
        }
        show_case(&win, &s);
    });
    let (w, s) = (win.as_weak(), state.clone());
    c.on_save_materials(move || {
        let Some(win) = w.upgrade() else { return };
        let ca = win.global::<CaseAdapter>();
        let received: Vec<bool> = ca.get_materials().iter().map(|m| m.received).collect();
        let result = {
            let mut st = s.borrow_mut();
            let (Some(me), Some((t, seen))) = (st.me.clone(), st.current.clone()) else { return };
            st.station.set_case_materials(&me, &t, &received, Some(seen)).map_err(|e| e.to_string())
        };
        ca.set_message_is_error(result.is_err());
        ca.set_message(result.map(|_| "材料已保存".to_string()).unwrap_or_else(|e| e).into());
        show_case(&win, &s);
    });
    let (w, s) = (win.as_weak(), state.clone());
    c.on_extend(move || {
        let Some(win) = w.upgrade() else { return };
        let ca = win.global::<CaseAdapter>();
        let (days, reason) = (ca.get_extend_days().max(0) as u32, ca.get_note().to_string());
        let result = {
            let mut st = s.borrow_mut();
            let (Some(me), Some((t, seen))) = (st.me.clone(), st.current.clone()) else { return };
            st.station.extend_case(&me, &t, days, &reason, Some(seen))
        };
        ca.set_message_is_error(result.is_err());
        ca.set_message(match result {
            Ok(c) => format!("已延期，新的承诺办结日期 {}", c.due_on.map(|d| d.to_string()).unwrap_or_default()).into(),
            Err(e) => e.to_string().into(),
        });
        if !ca.get_message_is_error() {
            ca.set_note("".into());
        }
        show_case(&win, &s);
    });
    let (w, s) = (win.as_weak(), state.clone());
    c.on_reassign(move || {
        let Some(win) = w.upgrade() else { return };
        let ca = win.global::<CaseAdapter>();
        let idx = ca.get_reassign_to().max(0) as usize;
        let note = ca.get_note().to_string();
        let result = {
            let mut st = s.borrow_mut();
            let (Some(me), Some((t, seen))) = (st.me.clone(), st.current.clone()) else { return };
            let Some(to) = st.staff_nos.get(idx).cloned() else { return };
            st.station.reassign_case(&me, &t, &to, &note, Some(seen))
        };
        ca.set_message_is_error(result.is_err());
        ca.set_message(match result {
            Ok(c) => format!("已转给 {}", c.assignee.unwrap_or_default()).into(),
            Err(e) => e.to_string().into(),
        });
        show_case(&win, &s);
    });
}

/// Drops a case's (possibly revealed) personal data from the window.
fn clear_case(win: &StaffWindow) {
    let ca = win.global::<CaseAdapter>();
    for setter in [
        CaseAdapter::set_name,
        CaseAdapter::set_id_number,
        CaseAdapter::set_phone,
        CaseAdapter::set_phone2,
        CaseAdapter::set_note,
    ] {
        setter(&ca, "".into());
    }
    ca.set_revealed(false);
    ca.set_timeline(ModelRc::new(VecModel::<TimelineItem>::default()));
}

fn case_item(st: &Station, c: &Case) -> CaseItem {
    CaseItem {
        tracking: c.tracking.clone().into(),
        matter: c.matter_name.clone().into(),
        state: c.state.label().into(),
        due: match (c.state, c.due_on) {
            (CaseState::Returned, _) => "暂停（待补正）".into(),
            (_, Some(d)) if c.due_beyond_calendar => format!("{d}（未含明年节假日）").into(),
            (_, Some(d)) => d.to_string().into(),
            (_, None) => "".into(),
        },
        urgency: urgency_key(st.urgency(c)).into(),
        assignee: c.assignee.clone().unwrap_or_default().into(),
        applicant: format!("{} {}", c.name.as_deref().map(mask_name).unwrap_or_default(), mask_phone(&c.phone))
            .trim()
            .to_string()
            .into(),
    }
}

pub fn show_queue(win: &StaffWindow, state: &Shared) {
    let mut s = state.borrow_mut();
    let q = win.global::<QueueAdapter>();
    let all = s.station.open_cases().unwrap_or_else(|e| {
        tracing::error!("queue: {e}");
        Vec::new()
    });
    let counts = s.station.case_counts().unwrap_or_default();
    let count_text: Vec<String> = FILTER_STATES
        .iter()
        .map(|st| format!("{} {}", st.label(), counts.iter().find(|(k, _)| k == st).map(|(_, n)| *n).unwrap_or(0)))
        .collect();
    q.set_counts(count_text.join(" · ").into());
    let mut filters = vec!["全部状态".to_string()];
    filters.extend(FILTER_STATES.iter().map(|s| s.label().to_string()));
    q.set_state_filters(strings(filters));
    let mut codes: Vec<String> = all.iter().map(|c| c.matter_code.clone()).collect();
    codes.sort();
    codes.dedup();
    let mut mf = vec!["全部事项".to_string()];
    mf.extend(codes.iter().map(|c| {
        let name = s.station.cfg.catalog.matter(c).map(|m| m.short_name.clone()).unwrap_or_default();
        format!("{c} {name}")
    }));
    q.set_matter_filters(strings(mf));
    let state_filter = q.get_state_filter();
    let matter_filter = q.get_matter_filter();
    let me = s.me.as_ref().map(|m| m.no().to_string()).unwrap_or_default();
    let items: Vec<CaseItem> = all
        .iter()
        .filter(|c| state_filter <= 0 || FILTER_STATES.get(state_filter as usize - 1) == Some(&c.state))
        .filter(|c| matter_filter <= 0 || codes.get(matter_filter as usize - 1) == Some(&c.matter_code))
        .filter(|c| !q.get_overdue_only() || s.station.urgency(c) == Urgency::Overdue)
        .filter(|c| {
            !q.get_mine_only() || c.assignee.as_deref() == Some(&me) || c.first_responder.as_deref() == Some(&me)
        })
        .map(|c| case_item(&s.station, c))
        .collect();
    q.set_cases(ModelRc::new(VecModel::from(items)));
    let uncovered = all.iter().filter(|c| c.uncovered).count();
    q.set_notice(if uncovered > 0 {
        format!("{uncovered} 件代办的A、B岗今日都不在岗，请安排人员顶岗或转办").into()
    } else {
        "".into()
    });
    q.set_signed_in(s.me.as_ref().map(|m| format!("{} {}", m.no(), m.name())).unwrap_or_default().into());
    s.matter_codes = codes;
    win.global::<StaffNav>().set_page(StaffPage::Queue);
}

pub fn show_case(win: &StaffWindow, state: &Shared) {
    let mut s = state.borrow_mut();
    let Some((t, _)) = s.current.clone() else { return };
    let case = match s.station.find_case(&t) {
        Ok(Some(c)) => c,
        _ => return,
    };
    // What the staff member now sees is what their next change is decided on.
    s.current = Some((t, case.version));
    // The full personal data only from the logged reveal, and only of this case.
    let full = s.revealed.clone().filter(|r| r.id == case.id);
    let ca = win.global::<CaseAdapter>();
    ca.set_tracking(case.tracking.clone().into());
    ca.set_matter(case.matter_name.clone().into());
    ca.set_state(case.state.label().into());
    let item = case_item(&s.station, &case);
    ca.set_due(item.due);
    ca.set_urgency(item.urgency);
    let staff_list = s.station.staff_list().unwrap_or_default();
    let name_of = |no: &Option<String>| {
        no.as_ref()
            .map(|n| {
                staff_list
                    .iter()
                    .find(|x| &x.no == n)
                    .map(|x| format!("{} {}", x.no, x.name))
                    .unwrap_or_else(|| n.clone())
            })
            .unwrap_or_else(|| "（受理时记录）".into())
    };
    ca.set_responder(name_of(&case.first_responder).into());
    ca.set_assignee(name_of(&case.assignee).into());
    ca.set_revealed(full.is_some());
    match &full {
        Some(f) => {
            ca.set_name(f.name.clone().unwrap_or_else(|| "（未填，受理时补全）".into()).into());
            ca.set_id_number(f.id_number.clone().into());
            ca.set_phone(f.phone.clone().into());
            ca.set_phone2(f.phone2.clone().unwrap_or_default().into());
        }
        None => {
            ca.set_name(case.name.as_deref().map(mask_name).unwrap_or_else(|| "（未填）".into()).into());
            ca.set_id_number(mask_id(&case.id_number).into());
            ca.set_phone(mask_phone(&case.phone).into());
            ca.set_phone2(case.phone2.as_deref().map(mask_phone).unwrap_or_default().into());
        }
    }
    ca.set_extension(
        case.extension_reason
            .as_ref()
            .map(|r| format!("延长{}个工作日：{r}", case.extension_days))
            .unwrap_or_default()
            .into(),
    );
    let mats: Vec<MaterialCheck> = case
        .materials
        .iter()
        .map(|m| MaterialCheck {
            name: m.name.clone().into(),
            requirement: m.requirement.clone().into(),
            received: m.received,
        })
        .collect();
    ca.set_materials(ModelRc::new(VecModel::from(mats)));
    let tz = s.station.clock.tz();
    let events = s.station.case_events(&case).unwrap_or_default();
    let timeline: Vec<TimelineItem> = events
        .iter()
        .map(|e| TimelineItem {
            when: e.at.with_timezone(&tz).format("%m-%d %H:%M").to_string().into(),
            what: match (e.kind.as_str(), e.to_state) {
                ("created", _) => "村民在终端提交".to_string(),
                ("transition", Some(to)) => to.label().to_string(),
                ("extend", _) => "延期".into(),
                ("reassign", _) => "转办".into(),
                ("reveal", _) => "查看完整信息".into(),
                ("materials", _) => "材料更新".into(),
                ("assigned", _) => "分派".into(),
                (k, _) => k.to_string(),
            }
            .into(),
            who: e.staff_no.clone().unwrap_or_default().into(),
            note: e.note.clone().unwrap_or_default().into(),
        })
        .collect();
    ca.set_timeline(ModelRc::new(VecModel::from(timeline)));
    let actions: Vec<ActionItem> = case
        .state
        .next_states()
        .iter()
        .map(|to| ActionItem {
            key: to.key().into(),
            label: action_label(*to).into(),
            needs_note: to.needs_note().unwrap_or("").into(),
        })
        .collect();
    ca.set_actions(ModelRc::new(VecModel::from(actions)));
    s.staff_nos = staff_list.iter().filter(|x| x.active).map(|x| x.no.clone()).collect();
    ca.set_staff_choices(strings(
        staff_list.iter().filter(|x| x.active).map(|x| format!("{} {}", x.no, x.name)).collect(),
    ));
    win.global::<StaffNav>().set_page(StaffPage::Case);
}

/// `kiosk staff`: the console window, over an opened station.
pub fn run_console(station: Station) -> i32 {
    let console = match Console::build(station) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot open the console window: {e} (is a display running? set DISPLAY)");
            return 1;
        }
    };
    match console.win.run() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
