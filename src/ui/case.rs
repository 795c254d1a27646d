//! 申请代办 at the kiosk, one question per screen, and 进度查询.
//!
//! Everything typed here lives in the session (`session::CaseDraft`, `session::LookupDraft`,
//! where the rules of each keypad and question are, unit-tested) and in the adapters; both
//! are wiped by `reset` (done, 首页 after submission, idle).

use super::failure::refusal_or_toast;
use super::{
    navigate, show_done_page, AppWindow, CaseFormAdapter, CaseFormMaterial, LookupAdapter, LookupEvent, Page,
    PrintTarget, Shared,
};
use crate::domain::{identity, ime};
use crate::service::{CaseRequest, PrintError, PrintOutcome};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::sync::mpsc;

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
    p.set_hand_checked(false);
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
    let d = &s.session.case;
    let p = app.global::<CaseFormAdapter>();
    let Some(m) = s.station.cfg.catalog.matter(&d.matter) else { return };
    p.set_matter_name(m.name.clone().into());
    let mats: Vec<CaseFormMaterial> = m
        .materials
        .iter()
        .zip(&d.brought)
        .map(|(x, b)| CaseFormMaterial {
            name: x.name.clone().into(),
            requirement: crate::lang::requirement(x).into(),
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
    let days = s.station.cfg.station.retention_days;
    let notice: Vec<SharedString> = crate::domain::privacy::NOTICE
        .iter()
        .map(|&(h, w)| format!("{}：{}", crate::lang::tr(h), crate::lang::fill(crate::lang::tr(w), &[&days])).into())
        .collect();
    p.set_notice(ModelRc::new(VecModel::from(notice)));
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
        s.session.start_case(code, n);
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
    state.borrow().session.current.0
}

/// 下一步: the session checks the answer; a refusal is shown at the field.
fn next(app: &AppWindow, state: &Shared) {
    let page = current(state);
    let (today, now) = (state.borrow().station.clock.today(), state.borrow().station.clock.now());
    let outcome = state.borrow_mut().session.case.next(page, today);
    if page == Page::CaseNotice && outcome.is_ok() {
        // 下一步 under the privacy notice is the acknowledgement (the first one counts).
        state.borrow_mut().session.case.noticed_at.get_or_insert(now);
    }
    sync(app, state);
    match outcome {
        Ok(to) if to != page => {
            let code = state.borrow().session.case.matter.clone();
            navigate(app, state, to, &code);
        }
        Ok(_) => {}
        Err(why) => set_error(app, &why),
    }
}

fn key(app: &AppWindow, state: &Shared, k: &str) {
    let page = current(state);
    state.borrow_mut().session.case.key(page, k);
    app.global::<CaseFormAdapter>().set_error("".into());
    sync(app, state);
}

fn backspace(app: &AppWindow, state: &Shared) {
    let page = current(state);
    state.borrow_mut().session.case.backspace(page);
    sync(app, state);
}

fn submit(app: &AppWindow, state: &Shared) {
    let req = {
        let s = state.borrow();
        let d = &s.session.case;
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
    let notice = state.borrow().session.case.noticed_at.map(|t| (crate::domain::privacy::NOTICE_VERSION, t));
    let result = {
        let mut s = state.borrow_mut();
        let helper = s.assist.clone();
        s.station.submit_case_noticed(&req, notice, helper.as_ref())
    };
    let mut sub = match result {
        Ok(s) => s,
        Err(e) => {
            let sorry = tr!("暂时提交不了，请到窗口找工作人员，我们当面为您办理。");
            if let Some(why) = refusal_or_toast(app, "request not submitted", &e, sorry) {
                // The confirm screen: what was typed is changed with 修改.
                set_error(app, &tr!("{}。请点“修改”。", why));
            }
            return;
        }
    };
    // 帮办: materials the staff member checked by hand — the request is accepted now, on
    // their number, recorded as such (the same step as at the desk).
    let helper = state.borrow().assist.clone();
    if let Some(who) = helper.filter(|_| app.global::<CaseFormAdapter>().get_hand_checked()) {
        let note = tr_later!("帮办：工作人员在自助终端当面核对了材料，直接受理");
        let accepted = state.borrow_mut().station.advance_case(
            &who,
            &sub.case.tracking,
            crate::domain::case::CaseState::Accepted,
            note,
            None,
        );
        match accepted {
            Ok(case) => sub.case = case,
            Err(e) => {
                let sorry = tr!("申请已提交，但没能直接受理，请到窗口电脑上受理。");
                if let Some(why) = refusal_or_toast(app, "request not accepted at the kiosk", &e, sorry) {
                    super::toast(app, &why);
                }
            }
        }
    }
    let p = app.global::<CaseFormAdapter>();
    p.set_tracking(sub.case.tracking.clone().into());
    let due = sub.case.due_on.map(crate::lang::date).unwrap_or_default();
    p.set_due_text(tr!("承诺在 {} 前办好（自受理之日起{}个工作日）", due, sub.case.promised_days).into());
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
        p.set_print_message(tr!("正在打印回执，请稍候……").into());
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
    state.borrow_mut().session.no_way_back();
    show_done_page(app, state);
}

/// Ok(true) printed, Ok(false) spooled only, Err(()) failed.
pub fn set_print(app: &AppWindow, outcome: Result<bool, ()>, tracking: &str) {
    let p = app.global::<CaseFormAdapter>();
    let (failed, msg) = match outcome {
        Ok(true) => (false, tr!("回执已打印，请从下方出票口取走，妥善保管。").to_string()),
        Ok(false) => (true, tr!("本机不打印回执，请记下您的代办编号 {}，工作人员会给您手写回执。", tracking)),
        Err(()) => (true, tr!("打印机暂时无法出票，请记住您的代办编号 {}，或联系工作人员", tracking)),
    };
    p.set_print_failed(failed);
    p.set_print_message(msg.into());
}

pub fn wire(app: &AppWindow, state: &Shared) {
    let p = app.global::<CaseFormAdapter>();
    let (w, s) = (app.as_weak(), state.clone());
    p.on_toggle_material(move |i| {
        let Some(app) = w.upgrade() else { return };
        s.borrow_mut().session.case.toggle_material(i.max(0) as usize);
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
        s.borrow_mut().session.case.pick(c.as_str());
        sync(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    p.on_choose_phone_field(move |second| {
        let Some(app) = w.upgrade() else { return };
        s.borrow_mut().session.case.second = second;
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
        let code = s.borrow().session.case.matter.clone();
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
        s.borrow_mut().session.case.back_to_confirm = true;
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
        s.borrow_mut().session.lookup.choose_field(f);
        sync_lookup(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    l.on_key(move |k| {
        let Some(app) = w.upgrade() else { return };
        s.borrow_mut().session.lookup.key(k.as_str());
        app.global::<LookupAdapter>().set_error("".into());
        sync_lookup(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    l.on_backspace(move || {
        let Some(app) = w.upgrade() else { return };
        s.borrow_mut().session.lookup.backspace();
        sync_lookup(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    l.on_search(move || {
        let Some(app) = w.upgrade() else { return };
        let la = app.global::<LookupAdapter>();
        let ready = s.borrow().session.lookup.ready();
        let (tracking, last4) = match ready {
            Ok(both) => both,
            Err(why) => return la.set_error(why.into()),
        };
        // The limits on misses live in the store (per code and per station).
        let found = match s.borrow().station.lookup_case(&tracking, &last4) {
            Ok(found) => found,
            Err(e) => {
                let sorry = tr!("现在查不了，请到窗口请工作人员帮您查。");
                if let Some(why) = refusal_or_toast(&app, "progress lookup", &e, sorry) {
                    la.set_error(tr!("{}。", why).into());
                }
                return;
            }
        };
        show_result(&app, &s, found);
    });
    let (w, s) = (app.as_weak(), state.clone());
    l.on_scanned(move |text| {
        let Some(app) = w.upgrade() else { return };
        // Only a receipt's own URL (or bare token) opens a case: it is the proof of holding it.
        let found = match s.borrow().station.find_case_by_token(text.as_str()) {
            Ok(found) => found,
            Err(e) => {
                let sorry = tr!("暂时查不到，请到窗口询问。");
                if let Some(why) = refusal_or_toast(&app, "case by its receipt's code", &e, sorry) {
                    app.global::<LookupAdapter>().set_error(why.into());
                }
                return;
            }
        };
        if found.is_none() {
            app.global::<LookupAdapter>().set_error(tr!("这个二维码不是本站的代办回执，请输入编号查询").into());
            return;
        }
        show_result(&app, &s, found);
    });
}

pub fn start_lookup(app: &AppWindow, state: &Shared) {
    app.global::<LookupAdapter>().set_error("".into());
    sync_lookup(app, state);
}

fn sync_lookup(app: &AppWindow, state: &Shared) {
    let s = state.borrow();
    let l = app.global::<LookupAdapter>();
    l.set_field(s.session.lookup.field);
    l.set_tracking_digits(s.session.lookup.digits.clone().into());
    l.set_last4(s.session.lookup.last4.clone().into());
}

fn show_result(app: &AppWindow, state: &Shared, found: Option<crate::domain::case::Case>) {
    let la = app.global::<LookupAdapter>();
    let Some(case) = found else {
        // Says nothing about which part was wrong, or whether the code exists.
        la.set_error(tr!("没有找到。请核对编号和电话后4位，或到窗口询问。").into());
        return;
    };
    let view = match state.borrow().station.public_view(&case) {
        Ok(v) => v,
        Err(e) => {
            let sorry = tr!("暂时查不到，请到窗口询问。");
            if let Some(why) = refusal_or_toast(app, "public view", &e, sorry) {
                la.set_error(why.into());
            }
            return;
        }
    };
    la.set_tracking(view.tracking.clone().into());
    la.set_matter(view.matter.clone().into());
    // The service words its view in Chinese; it is shown in the screen's language.
    let say = |s: &str| crate::lang::sentence(s);
    la.set_state_label(say(&view.state_label).into());
    state.borrow_mut().lookup_state = Some(view.state_label.clone());
    la.set_explanation(say(&view.explanation).into());
    la.set_due(match &view.due {
        Some(d) if !view.due_note.is_empty() => tr!("承诺办结日期：{}（{}）", d, say(&view.due_note)).into(),
        Some(d) => tr!("承诺办结日期：{}", d).into(),
        None => say(&view.due_note).into(),
    });
    la.set_extension(view.extension.as_deref().map(say).unwrap_or_default().into());
    la.set_missing(ModelRc::new(VecModel::from(
        view.missing.iter().map(|m| SharedString::from(m.as_str())).collect::<Vec<_>>(),
    )));
    la.set_applicant(tr!("申请人：{} {}  电话：{}", view.name_masked, view.id_masked, view.phone_masked).into());
    let events: Vec<LookupEvent> = view
        .timeline
        .iter()
        .map(|e| LookupEvent {
            date: e.date.clone().into(),
            label: say(&e.label).into(),
            note: e.note.clone().unwrap_or_default().into(),
        })
        .collect();
    la.set_timeline(ModelRc::new(VecModel::from(events)));
    navigate(app, state, Page::LookupResult, &view.tracking);
}

/// The ID-card reader while the identity step is on screen: a thread reading the card,
/// its answers on a channel the kiosk's timer looks at. Dropping it stops the thread.
pub struct CardReading {
    rx: mpsc::Receiver<CardEvent>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for CardReading {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

enum CardEvent {
    Read(crate::domain::idcard::CardText),
    /// The card left the reader.
    Lifted,
    /// What the reader says now (empty: it works again).
    Fault(String),
}

/// Starts reading when the station has a reader and the identity step is shown. After a
/// card was read in this session, the reader first waits for it to be lifted (the same
/// card is not read twice).
pub fn start_card(app: &AppWindow, state: &Shared) {
    let Some(device) = state.borrow().station.cfg.station.idcard_device.clone() else {
        app.global::<CaseFormAdapter>().set_card_reader(false);
        return;
    };
    let p = app.global::<CaseFormAdapter>();
    p.set_card_reader(true);
    if state.borrow().card.is_some() {
        return;
    }
    let must_lift = state.borrow().session.case.card_read;
    p.set_card_message(if must_lift { tr!("请取走身份证") } else { tr!("请把身份证放在读卡器上") }.into());
    let (tx, rx) = mpsc::channel();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let halt = stop.clone();
    let spawned = std::thread::Builder::new().name("idcard".into()).spawn(move || {
        use crate::system::idreader::{read_card, wait_lifted, ReadError};
        use std::sync::atomic::Ordering;
        let second = std::time::Duration::from_secs(1);
        let mut lift_first = must_lift;
        let mut fault: Option<String> = None;
        while !halt.load(Ordering::SeqCst) {
            if lift_first {
                match wait_lifted(&device, second) {
                    Ok(true) => {
                        lift_first = false;
                        if tx.send(CardEvent::Lifted).is_err() {
                            return;
                        }
                    }
                    Ok(false) => {}
                    Err(_) => std::thread::sleep(second),
                }
                continue;
            }
            match read_card(&device, second) {
                Ok(card) => {
                    lift_first = true;
                    if tx.send(CardEvent::Read(card)).is_err() {
                        return;
                    }
                }
                Err(ReadError::NoCard) => {
                    if fault.take().is_some() && tx.send(CardEvent::Fault(String::new())).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let words = e.to_string();
                    if fault.as_deref() != Some(words.as_str()) {
                        tracing::warn!("ID-card reader: {words}");
                        if tx.send(CardEvent::Fault(words.clone())).is_err() {
                            return;
                        }
                    }
                    fault = Some(words);
                    std::thread::sleep(second);
                }
            }
        }
    });
    match spawned {
        Ok(_) => state.borrow_mut().card = Some(CardReading { rx, stop }),
        Err(e) => tracing::warn!("ID-card reader thread not started: {e}"),
    }
}

/// What the reader said since the last look (on the kiosk's short timer).
pub fn poll_card(app: &AppWindow, state: &Shared) {
    let event = match &state.borrow().card {
        Some(c) => match c.rx.try_recv() {
            Ok(e) => e,
            Err(_) => return,
        },
        None => return,
    };
    let p = app.global::<CaseFormAdapter>();
    match event {
        CardEvent::Lifted => p.set_card_message(tr!("请把身份证放在读卡器上").into()),
        CardEvent::Fault(words) if words.is_empty() => p.set_card_message(tr!("请把身份证放在读卡器上").into()),
        CardEvent::Fault(words) => p.set_card_message(words.into()),
        CardEvent::Read(card) => {
            let today = state.borrow().station.clock.today();
            // Checked as a typed number is (GB 11643).
            let id = match identity::parse_id(&card.id_number, today) {
                Ok(id) => id,
                Err(e) => {
                    p.set_card_message(tr!("读到的身份证号不对（{}），请在右边输入", e).into());
                    return;
                }
            };
            let expired = card.valid_to.parse::<chrono::NaiveDate>().is_ok_and(|d| d < today);
            {
                let mut s = state.borrow_mut();
                let d = &mut s.session.case;
                d.id = id.as_str().to_string();
                d.name = card.name.chars().take(super::session::MAX_NAME).collect();
                d.letters.clear();
                d.card_read = true;
            }
            // Only the name and the number were kept; the card's other fields went with
            // `card` here.
            sync(app, state);
            let code = state.borrow().session.case.matter.clone();
            navigate(app, state, Page::CaseConfirm, &code);
            super::guide::say_card_remove(state);
            super::toast(
                app,
                if expired {
                    tr!("已读取。这张身份证已经过期，仍可申请，请记得去换领。请取走身份证。")
                } else {
                    tr!("已读取。请取走身份证。")
                },
            );
        }
    }
}
