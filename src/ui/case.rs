//! 申请代办 at the kiosk, one question per screen, and 进度查询.
//!
//! Everything typed here lives in `State::case_form` / `State::lookup` and in the adapters,
//! and both are wiped by `reset` (done, 首页 after submission, idle).

use super::{
    navigate, show_done_page, toast, AppWindow, CaseFormAdapter, CaseFormMaterial, LookupAdapter, LookupEvent, Page,
    PrintTarget, Shared,
};
use crate::domain::case::TRACKING_DIGITS;
use crate::domain::{identity, ime};
use crate::service::{CaseRequest, LookupError, PrintError, PrintOutcome, SubmitError};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::sync::mpsc;

#[derive(Debug, Clone, Default)]
pub struct CaseDraft {
    matter: String,
    brought: Vec<bool>,
    phone: String,
    phone2: String,
    second: bool,
    id: String,
    name: String,
    letters: String,
    /// A 修改 from the confirmation page: 下一步 goes straight back there.
    back_to_confirm: bool,
}

#[derive(Debug, Clone, Default)]
pub struct LookupDraft {
    field: i32,
    digits: String,
    last4: String,
}

const MAX_NAME: usize = 10;

pub fn clear_adapters(app: &AppWindow) {
    let p = app.global::<CaseFormAdapter>();
    for setter in [
        CaseFormAdapter::set_phone,
        CaseFormAdapter::set_phone2,
        CaseFormAdapter::set_id_number,
        CaseFormAdapter::set_name,
    ] {
        setter(&p, "".into());
    }
    p.set_name_letters("".into());
    p.set_error("".into());
    p.set_phone_masked("".into());
    p.set_phone2_masked("".into());
    p.set_id_masked("".into());
    p.set_name_masked("".into());
    p.set_tracking("".into());
    p.set_due_text("".into());
    p.set_matter_name("".into());
    p.set_print_message("".into());
    p.set_print_failed(false);
    p.set_has_authorization(false);
    p.set_materials(ModelRc::new(VecModel::<CaseFormMaterial>::default()));
    p.set_missing(ModelRc::new(VecModel::<SharedString>::default()));
    p.set_name_candidates(ModelRc::new(VecModel::<SharedString>::default()));
    let l = app.global::<LookupAdapter>();
    l.set_tracking_digits("".into());
    l.set_last4("".into());
    l.set_error("".into());
    l.set_tracking("".into());
    l.set_applicant("".into());
    for setter in [
        LookupAdapter::set_matter,
        LookupAdapter::set_state_label,
        LookupAdapter::set_explanation,
        LookupAdapter::set_due,
        LookupAdapter::set_extension,
    ] {
        setter(&l, "".into());
    }
    l.set_timeline(ModelRc::new(VecModel::<LookupEvent>::default()));
    l.set_missing(ModelRc::new(VecModel::<SharedString>::default()));
}

/// Pushes the draft into the adapter (one place, so the screen never shows stale data).
fn sync(app: &AppWindow, state: &Shared) {
    let s = state.borrow();
    let d = &s.case_form;
    let p = app.global::<CaseFormAdapter>();
    let Some(m) = s.station.cfg.catalog.matter(&d.matter) else { return };
    p.set_matter_name(m.name.clone().into());
    let mats: Vec<CaseFormMaterial> = m
        .materials
        .iter()
        .zip(&d.brought)
        .map(|(x, b)| CaseFormMaterial {
            name: x.name.clone().into(),
            requirement: x.requirement().into(),
            brought: *b,
        })
        .collect();
    p.set_materials(ModelRc::new(VecModel::from(mats)));
    let missing: Vec<SharedString> = m
        .materials
        .iter()
        .zip(&d.brought)
        .filter(|(_, b)| !**b)
        .map(|(x, _)| SharedString::from(x.name.as_str()))
        .collect();
    p.set_missing(ModelRc::new(VecModel::from(missing)));
    p.set_second_phone(d.second);
    p.set_phone(d.phone.clone().into());
    p.set_phone2(d.phone2.clone().into());
    p.set_id_number(d.id.clone().into());
    p.set_name(d.name.clone().into());
    p.set_name_letters(d.letters.clone().into());
    let cands: Vec<SharedString> =
        ime::candidates(&d.letters, d.name.is_empty()).into_iter().take(10).map(|c| c.to_string().into()).collect();
    p.set_name_candidates(ModelRc::new(VecModel::from(cands)));
    p.set_phone_masked(identity::parse_phone(&d.phone).map(|x| identity::mask_phone(&x)).unwrap_or_default().into());
    p.set_phone2_masked(identity::parse_phone(&d.phone2).map(|x| identity::mask_phone(&x)).unwrap_or_default().into());
    p.set_id_masked(identity::parse_id(&d.id, s.station.clock.today()).map(|x| x.masked()).unwrap_or_default().into());
    p.set_name_masked(identity::mask_name(&d.name).into());
}

/// Starts a request for `code` (from the matter page's 申请代办).
pub fn start(app: &AppWindow, state: &Shared, code: &str) {
    {
        let mut s = state.borrow_mut();
        let n = s.station.cfg.catalog.matter(code).map(|m| m.materials.len()).unwrap_or(0);
        s.case_form = CaseDraft { matter: code.to_string(), brought: vec![false; n], ..Default::default() };
    }
    app.global::<CaseFormAdapter>().set_error("".into());
    sync(app, state);
}

pub fn show(app: &AppWindow, state: &Shared) {
    app.global::<CaseFormAdapter>().set_error("".into());
    sync(app, state);
}

fn set_error(app: &AppWindow, msg: &str) {
    app.global::<CaseFormAdapter>().set_error(msg.into());
}

fn current(state: &Shared) -> Page {
    state.borrow().current.0
}

fn go_next(app: &AppWindow, state: &Shared, normal: Page) {
    let back = std::mem::take(&mut state.borrow_mut().case_form.back_to_confirm);
    let code = state.borrow().case_form.matter.clone();
    navigate(app, state, if back { Page::CaseConfirm } else { normal }, &code);
}

fn next(app: &AppWindow, state: &Shared) {
    let page = current(state);
    let today = state.borrow().station.clock.today();
    match page {
        Page::CaseMaterials => go_next(app, state, Page::CasePhone),
        Page::CasePhone => {
            let (p1, p2) = {
                let d = &state.borrow().case_form;
                (d.phone.clone(), d.phone2.clone())
            };
            if let Err(e) = identity::parse_phone(&p1) {
                state.borrow_mut().case_form.second = false;
                sync(app, state);
                return set_error(app, &format!("联系电话：{e}"));
            }
            if !p2.is_empty() {
                if let Err(e) = identity::parse_phone(&p2) {
                    state.borrow_mut().case_form.second = true;
                    sync(app, state);
                    return set_error(app, &format!("家人或村干部电话：{e}"));
                }
            }
            go_next(app, state, Page::CaseId);
        }
        Page::CaseId => {
            let id = state.borrow().case_form.id.clone();
            match identity::parse_id(&id, today) {
                Ok(parsed) => {
                    // Keep the normalised number (a 15-digit one becomes 18 digits).
                    state.borrow_mut().case_form.id = parsed.as_str().to_string();
                    go_next(app, state, Page::CaseName);
                }
                Err(e) => set_error(app, &e.to_string()),
            }
        }
        Page::CaseName => {
            if !state.borrow().case_form.letters.is_empty() {
                return set_error(app, "拼音还没有选字：请点上面的字，或按“删除”去掉拼音");
            }
            go_next(app, state, Page::CaseConfirm);
        }
        _ => {}
    }
}

fn key(app: &AppWindow, state: &Shared, k: &str) {
    let page = current(state);
    {
        let mut s = state.borrow_mut();
        let d = &mut s.case_form;
        match page {
            Page::CasePhone => {
                let f = if d.second { &mut d.phone2 } else { &mut d.phone };
                if f.chars().count() < 14 {
                    f.push_str(k);
                }
            }
            Page::CaseId if d.id.chars().count() < 18 => d.id.push_str(k),
            Page::CaseName if d.letters.len() < 6 && d.name.chars().count() < MAX_NAME => {
                d.letters.push_str(&k.to_lowercase());
            }
            _ => {}
        }
    }
    app.global::<CaseFormAdapter>().set_error("".into());
    sync(app, state);
}

fn backspace(app: &AppWindow, state: &Shared) {
    let page = current(state);
    {
        let mut s = state.borrow_mut();
        let d = &mut s.case_form;
        match page {
            Page::CasePhone => {
                if d.second {
                    d.phone2.pop();
                } else {
                    d.phone.pop();
                }
            }
            Page::CaseId => {
                d.id.pop();
            }
            Page::CaseName => {
                // The pinyin being typed first, then the name.
                let _ = d.letters.pop().or_else(|| d.name.pop());
            }
            _ => {}
        }
    }
    sync(app, state);
}

fn submit(app: &AppWindow, state: &Shared) {
    let req = {
        let s = state.borrow();
        let d = &s.case_form;
        let Some(m) = s.station.cfg.catalog.matter(&d.matter) else { return };
        CaseRequest {
            matter: d.matter.clone(),
            phone: d.phone.clone(),
            phone2: (!d.phone2.is_empty()).then(|| d.phone2.clone()),
            id_number: d.id.clone(),
            name: (!d.name.is_empty()).then(|| d.name.clone()),
            missing: m.materials.iter().zip(&d.brought).filter(|(_, b)| !**b).map(|(x, _)| x.name.clone()).collect(),
        }
    };
    let result = state.borrow_mut().station.submit_case(&req);
    let sub = match result {
        Ok(s) => s,
        Err(SubmitError::Id(e)) => return set_error(app, &format!("身份证号：{e}。请点“修改”。")),
        Err(SubmitError::Phone(e)) | Err(SubmitError::Phone2(e)) => {
            return set_error(app, &format!("电话：{e}。请点“修改”。"))
        }
        Err(e) => {
            tracing::error!("request not submitted: {e}");
            return toast(app, "暂时提交不了，请到窗口找工作人员，我们当面为您办理。");
        }
    };
    let p = app.global::<CaseFormAdapter>();
    p.set_tracking(sub.case.tracking.clone().into());
    let due = sub.case.due_on.map(crate::domain::clock::date_cn).unwrap_or_default();
    p.set_due_text(format!("承诺在 {due} 前办好（自受理之日起{}个工作日）", sub.case.promised_days).into());
    p.set_has_authorization(sub.authorization.is_some());
    let printer_configured = state.borrow().station.cfg.station.printer.name.is_some();
    if sub.receipt_error.is_some() || sub.print_tasks.is_empty() {
        set_print(app, Err(()), &sub.case.tracking);
    } else if !printer_configured {
        let clock = state.borrow().station.clock;
        for t in &sub.print_tasks {
            let _ = t.run(&clock);
        }
        set_print(app, Ok(false), &sub.case.tracking);
    } else {
        p.set_print_failed(false);
        p.set_print_message("正在打印回执，请稍候……".into());
        let (tx, rx) = mpsc::channel();
        let clock = state.borrow().station.clock;
        let tasks = sub.print_tasks.clone();
        std::thread::spawn(move || {
            let mut result: Result<PrintOutcome, PrintError> = Ok(PrintOutcome::Printed);
            for t in &tasks {
                let r = t.run(&clock);
                if result.is_ok() {
                    if let Err(e) = r {
                        result = Err(e);
                    }
                }
            }
            let _ = tx.send(result);
        });
        state.borrow_mut().print_rx = Some((PrintTarget::Case, rx));
    }
    {
        let mut s = state.borrow_mut();
        s.history.clear();
    }
    show_done_page(app, state);
}

/// Ok(true) printed, Ok(false) spooled only, Err(()) failed.
pub fn set_print(app: &AppWindow, outcome: Result<bool, ()>, tracking: &str) {
    let p = app.global::<CaseFormAdapter>();
    let (failed, msg) = match outcome {
        Ok(true) => (false, "回执已打印，请从下方出票口取走，妥善保管。".to_string()),
        Ok(false) => (true, format!("本机不打印回执，请记下您的代办编号 {tracking}，工作人员会给您手写回执。")),
        Err(()) => (true, format!("打印机暂时无法出票，请记住您的代办编号 {tracking}，或联系工作人员")),
    };
    p.set_print_failed(failed);
    p.set_print_message(msg.into());
}

pub fn wire(app: &AppWindow, state: &Shared) {
    let p = app.global::<CaseFormAdapter>();
    let (w, s) = (app.as_weak(), state.clone());
    p.on_toggle_material(move |i| {
        let Some(app) = w.upgrade() else { return };
        if let Some(b) = s.borrow_mut().case_form.brought.get_mut(i.max(0) as usize) {
            *b = !*b;
        }
        sync(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    p.on_key(move |k| {
        let Some(app) = w.upgrade() else { return };
        key(&app, &s, k.as_str());
    });
    let (w, s) = (app.as_weak(), state.clone());
    p.on_backspace(move || {
        let Some(app) = w.upgrade() else { return };
        backspace(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    p.on_pick(move |c| {
        let Some(app) = w.upgrade() else { return };
        {
            let mut st = s.borrow_mut();
            if st.case_form.name.chars().count() < MAX_NAME {
                st.case_form.name.push_str(c.as_str());
            }
            st.case_form.letters.clear();
        }
        sync(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    p.on_choose_phone_field(move |second| {
        let Some(app) = w.upgrade() else { return };
        s.borrow_mut().case_form.second = second;
        sync(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    p.on_next(move || {
        let Some(app) = w.upgrade() else { return };
        next(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    p.on_edit(move |field| {
        let Some(app) = w.upgrade() else { return };
        let code = s.borrow().case_form.matter.clone();
        let page = match field.as_str() {
            "matter" => {
                navigate(&app, &s, Page::Matter, &code);
                return;
            }
            "materials" => Page::CaseMaterials,
            "phone" => Page::CasePhone,
            "id" => Page::CaseId,
            _ => Page::CaseName,
        };
        s.borrow_mut().case_form.back_to_confirm = true;
        navigate(&app, &s, page, &code);
    });
    let (w, s) = (app.as_weak(), state.clone());
    p.on_submit(move || {
        let Some(app) = w.upgrade() else { return };
        submit(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    p.on_done(move || {
        let Some(app) = w.upgrade() else { return };
        super::reset(&app, &s);
    });

    let l = app.global::<LookupAdapter>();
    let (w, s) = (app.as_weak(), state.clone());
    l.on_choose_field(move |f| {
        let Some(app) = w.upgrade() else { return };
        s.borrow_mut().lookup.field = f;
        sync_lookup(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    l.on_key(move |k| {
        let Some(app) = w.upgrade() else { return };
        {
            let mut st = s.borrow_mut();
            let d = &mut st.lookup;
            if d.field == 0 {
                if d.digits.len() < TRACKING_DIGITS {
                    d.digits.push_str(k.as_str());
                }
                // (An older seven-digit code: the villager taps the phone field.)
                if d.digits.len() == TRACKING_DIGITS {
                    d.field = 1;
                }
            } else if d.last4.len() < 4 {
                d.last4.push_str(k.as_str());
            }
        }
        app.global::<LookupAdapter>().set_error("".into());
        sync_lookup(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    l.on_backspace(move || {
        let Some(app) = w.upgrade() else { return };
        {
            let mut st = s.borrow_mut();
            let d = &mut st.lookup;
            if d.field == 0 {
                d.digits.pop();
            } else if d.last4.pop().is_none() {
                d.field = 0;
                d.digits.pop();
            }
        }
        sync_lookup(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    l.on_search(move || {
        let Some(app) = w.upgrade() else { return };
        let (digits, last4) = {
            let st = s.borrow();
            (st.lookup.digits.clone(), st.lookup.last4.clone())
        };
        let la = app.global::<LookupAdapter>();
        // Nine digits (seven on receipts made before the year was in the code).
        if !(digits.len() == TRACKING_DIGITS || digits.len() == 7) || last4.len() != 4 {
            la.set_error(format!("请输入编号的全部{TRACKING_DIGITS}个数字和电话后4位").into());
            return;
        }
        // The limits on misses live in the store (per code and per station).
        let found = match s.borrow().station.lookup_case(&format!("D{digits}"), &last4) {
            Ok(found) => found,
            Err(e @ (LookupError::TooMany | LookupError::Paused(_))) => {
                la.set_error(format!("{e}。").into());
                return;
            }
            Err(LookupError::Store(e)) => {
                tracing::error!("progress lookup: {e}");
                la.set_error("现在查不了，请到窗口请工作人员帮您查。".into());
                return;
            }
        };
        show_result(&app, &s, found);
    });
    let (w, s) = (app.as_weak(), state.clone());
    l.on_scanned(move |text| {
        let Some(app) = w.upgrade() else { return };
        // Only a receipt's own URL (or bare token) opens a case: it is the proof of holding it.
        let found = s.borrow().station.find_case_by_token(text.as_str()).ok().flatten();
        if found.is_none() {
            app.global::<LookupAdapter>().set_error("这个二维码不是本站的代办回执，请输入编号查询".into());
            return;
        }
        show_result(&app, &s, found);
    });
}

pub fn start_lookup(app: &AppWindow, state: &Shared) {
    state.borrow_mut().lookup = LookupDraft::default();
    app.global::<LookupAdapter>().set_error("".into());
    sync_lookup(app, state);
}

fn sync_lookup(app: &AppWindow, state: &Shared) {
    let s = state.borrow();
    let l = app.global::<LookupAdapter>();
    l.set_field(s.lookup.field);
    l.set_tracking_digits(s.lookup.digits.clone().into());
    l.set_last4(s.lookup.last4.clone().into());
}

fn show_result(app: &AppWindow, state: &Shared, found: Option<crate::domain::case::Case>) {
    let la = app.global::<LookupAdapter>();
    let Some(case) = found else {
        // Says nothing about which part was wrong, or whether the code exists.
        la.set_error("没有找到。请核对编号和电话后4位，或到窗口询问。".into());
        return;
    };
    let view = match state.borrow().station.public_view(&case) {
        Ok(v) => v,
        Err(e) => {
            tracing::error!("public view: {e}");
            la.set_error("暂时查不到，请到窗口询问。".into());
            return;
        }
    };
    la.set_tracking(view.tracking.clone().into());
    la.set_matter(view.matter.clone().into());
    la.set_state_label(view.state_label.clone().into());
    la.set_explanation(view.explanation.clone().into());
    la.set_due(match &view.due {
        Some(d) if !view.due_note.is_empty() => format!("承诺办结日期：{d}（{}）", view.due_note).into(),
        Some(d) => format!("承诺办结日期：{d}").into(),
        None => view.due_note.clone().into(),
    });
    la.set_extension(view.extension.clone().unwrap_or_default().into());
    la.set_missing(ModelRc::new(VecModel::from(
        view.missing.iter().map(|m| SharedString::from(m.as_str())).collect::<Vec<_>>(),
    )));
    la.set_applicant(format!("申请人：{} {}  电话：{}", view.name_masked, view.id_masked, view.phone_masked).into());
    let events: Vec<LookupEvent> = view
        .timeline
        .iter()
        .map(|e| LookupEvent {
            date: e.date.clone().into(),
            label: e.label.clone().into(),
            note: e.note.clone().unwrap_or_default().into(),
        })
        .collect();
    la.set_timeline(ModelRc::new(VecModel::from(events)));
    navigate(app, state, Page::LookupResult, &view.tracking);
}
