//! Search adapter: the on-screen keyboard's keys go into the query, results follow.

use super::browse::{matter_item, pages_for, rows_per_page};
use super::{navigate, AppWindow, MatterItem, Page, SearchAdapter, Shared};
use crate::domain::search::{apply_candidate, Field};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

const MAX_QUERY: usize = 20;

pub fn clear_adapter(app: &AppWindow) {
    let a = app.global::<SearchAdapter>();
    a.set_query("".into());
    a.set_results(ModelRc::new(VecModel::<MatterItem>::default()));
    a.set_candidates(ModelRc::new(VecModel::<SharedString>::default()));
}

fn edit(app: &AppWindow, state: &Shared, f: impl FnOnce(&mut String)) {
    {
        let mut s = state.borrow_mut();
        f(&mut s.session.query);
        s.session.search_page = 0;
    }
    show(app, state);
}

pub fn wire(app: &AppWindow, state: &Shared) {
    let a = app.global::<SearchAdapter>();
    let (w, s) = (app.as_weak(), state.clone());
    a.on_key(move |k| {
        let Some(app) = w.upgrade() else { return };
        edit(&app, &s, |q| {
            if q.chars().count() < MAX_QUERY {
                q.push_str(&k.to_lowercase());
            }
        });
    });
    let (w, s) = (app.as_weak(), state.clone());
    a.on_backspace(move || {
        let Some(app) = w.upgrade() else { return };
        edit(&app, &s, |q| {
            q.pop();
        });
    });
    let (w, s) = (app.as_weak(), state.clone());
    a.on_clear(move || {
        let Some(app) = w.upgrade() else { return };
        edit(&app, &s, |q| q.clear());
    });
    let (w, s) = (app.as_weak(), state.clone());
    a.on_pick(move |c| {
        let Some(app) = w.upgrade() else { return };
        if let Some(ch) = c.chars().next() {
            edit(&app, &s, |q| *q = apply_candidate(q, ch));
        }
    });
    let (w, s) = (app.as_weak(), state.clone());
    a.on_open(move |code| {
        let Some(app) = w.upgrade() else { return };
        navigate(&app, &s, Page::Matter, code.as_str());
    });
    let (w, s) = (app.as_weak(), state.clone());
    a.on_previous_page(move || {
        let Some(app) = w.upgrade() else { return };
        {
            let mut st = s.borrow_mut();
            st.session.search_page = st.session.search_page.saturating_sub(1);
        }
        show(&app, &s);
    });
    let (w, s) = (app.as_weak(), state.clone());
    a.on_next_page(move || {
        let Some(app) = w.upgrade() else { return };
        s.borrow_mut().session.search_page += 1;
        show(&app, &s);
    });
}

/// Shows the current query's results (a page of them) and candidate hanzi.
pub fn show(app: &AppWindow, state: &Shared) {
    // The keyboard takes room: fewer rows than a plain list.
    let per = rows_per_page(app).saturating_sub(2).max(2);
    let mut s = state.borrow_mut();
    let hits = s.station.index.search(&s.session.query);
    let pages = pages_for(hits.len(), per);
    let page = s.session.search_page.min(pages - 1);
    s.session.search_page = page;
    let catalog = &s.station.cfg.catalog;
    let items: Vec<MatterItem> = hits
        .iter()
        .skip(page * per)
        .take(per)
        .filter_map(|h| {
            let m = catalog.matter(&h.code)?;
            let detail = match h.field {
                Field::Alias => tr!("您找的“{}”就是这一项", h.matched),
                _ => String::new(),
            };
            Some(matter_item(m, detail))
        })
        .collect();
    let candidates: Vec<SharedString> =
        s.station.index.candidates(&s.session.query, 8).into_iter().map(|c| c.to_string().into()).collect();
    let a = app.global::<SearchAdapter>();
    a.set_query(s.session.query.clone().into());
    a.set_results(ModelRc::new(VecModel::from(items)));
    a.set_candidates(ModelRc::new(VecModel::from(candidates)));
    a.set_page(page as i32);
    a.set_pages(pages as i32);
}
