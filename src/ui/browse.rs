//! Browsing adapters: categories → matters of a category → one matter.

use super::{
    navigate, AppWindow, CategoriesAdapter, CategoryItem, MaterialItem, MatterAdapter, MatterItem, MattersAdapter,
    Page, Shared, Theme,
};
use crate::domain::matter::{Matter, Mode};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

/// Rows that fit on one page of a list at the current text size.
pub fn rows_per_page(app: &AppWindow) -> usize {
    if app.global::<Theme>().get_large_text() {
        4
    } else {
        5
    }
}

pub fn pages_for(total: usize, per_page: usize) -> usize {
    total.div_ceil(per_page.max(1)).max(1)
}

pub fn matter_item(m: &Matter, detail: String) -> MatterItem {
    MatterItem {
        code: m.code.clone().into(),
        name: m.name.clone().into(),
        detail: detail.into(),
        badge: crate::lang::tr(m.mode.label()).into(),
        promise: m.promise_text().into(),
    }
}

fn alias_line(m: &Matter) -> String {
    if m.aliases.is_empty() {
        String::new()
    } else {
        tr!("也叫：{}", m.aliases.iter().take(3).cloned().collect::<Vec<_>>().join("、"))
    }
}

pub fn wire(app: &AppWindow, state: &Shared) {
    let cats = app.global::<CategoriesAdapter>();
    let (w, s) = (app.as_weak(), state.clone());
    cats.on_open(move |code| {
        let Some(app) = w.upgrade() else { return };
        if app.global::<CategoriesAdapter>().get_for_ticket() {
            navigate(&app, &s, Page::Priority, &format!("C:{code}"));
        } else {
            navigate(&app, &s, Page::Matters, code.as_str());
        }
    });

    let ms = app.global::<MattersAdapter>();
    let (w, s) = (app.as_weak(), state.clone());
    ms.on_open(move |code| {
        let Some(app) = w.upgrade() else { return };
        navigate(&app, &s, Page::Matter, code.as_str());
    });
    let (w, s) = (app.as_weak(), state.clone());
    ms.on_previous_page(move || {
        let Some(app) = w.upgrade() else { return };
        let cat = {
            let mut st = s.borrow_mut();
            st.session.matters_page = st.session.matters_page.saturating_sub(1);
            st.session.current.1.clone()
        };
        show_matters(&app, &s, &cat);
    });
    let (w, s) = (app.as_weak(), state.clone());
    ms.on_next_page(move || {
        let Some(app) = w.upgrade() else { return };
        let cat = {
            let mut st = s.borrow_mut();
            st.session.matters_page += 1;
            st.session.current.1.clone()
        };
        show_matters(&app, &s, &cat);
    });
    let (w, s) = (app.as_weak(), state.clone());
    ms.on_take_category_ticket(move || {
        let Some(app) = w.upgrade() else { return };
        let cat = s.borrow().session.current.1.clone();
        navigate(&app, &s, Page::Priority, &format!("C:{cat}"));
    });

    let m = app.global::<MatterAdapter>();
    let (w, s) = (app.as_weak(), state.clone());
    m.on_apply_case(move || {
        let Some(app) = w.upgrade() else { return };
        let code = s.borrow().session.current.1.clone();
        super::case::start(&app, &s, &code);
        navigate(&app, &s, Page::CaseMaterials, &code);
    });
    let (w, s) = (app.as_weak(), state.clone());
    m.on_take_ticket(move || {
        let Some(app) = w.upgrade() else { return };
        let code = s.borrow().session.current.1.clone();
        navigate(&app, &s, Page::Priority, &format!("M:{code}"));
    });
}

pub fn show_categories(app: &AppWindow, state: &Shared, arg: &str) {
    let s = state.borrow();
    let catalog = &s.station.cfg.catalog;
    let items: Vec<CategoryItem> = catalog
        .categories
        .iter()
        .map(|c| CategoryItem {
            code: c.code.clone().into(),
            name: c.name.clone().into(),
            description: c.description.clone().into(),
            count: catalog.matters_in(&c.code).count() as i32,
        })
        .collect();
    let a = app.global::<CategoriesAdapter>();
    a.set_for_ticket(arg == "ticket");
    a.set_for_case(arg == "case");
    a.set_categories(ModelRc::new(VecModel::from(items)));
}

pub fn show_matters(app: &AppWindow, state: &Shared, category: &str) {
    let per = rows_per_page(app);
    let mut s = state.borrow_mut();
    let catalog = &s.station.cfg.catalog;
    let all: Vec<&Matter> = catalog.matters_in(category).collect();
    let name = catalog.category(category).map(|c| c.name.clone()).unwrap_or_default();
    let pages = pages_for(all.len(), per);
    let page = s.session.matters_page.min(pages - 1);
    let items: Vec<MatterItem> = all.iter().skip(page * per).take(per).map(|m| matter_item(m, alias_line(m))).collect();
    s.session.matters_page = page;
    let a = app.global::<MattersAdapter>();
    a.set_category_name(name.into());
    a.set_items(ModelRc::new(VecModel::from(items)));
    a.set_page(page as i32);
    a.set_pages(pages as i32);
}

fn strings(v: &[String]) -> ModelRc<SharedString> {
    ModelRc::new(VecModel::from(v.iter().map(|x| SharedString::from(x.as_str())).collect::<Vec<_>>()))
}

pub fn show_matter(app: &AppWindow, state: &Shared, code: &str) {
    let s = state.borrow();
    let Some(m) = s.station.cfg.catalog.matter(code) else {
        tracing::warn!("matter {code} not found");
        return;
    };
    let a = app.global::<MatterAdapter>();
    a.set_code(m.code.clone().into());
    a.set_name(m.name.clone().into());
    a.set_mode_label(crate::lang::tr(m.mode.label()).into());
    a.set_mode_explanation(crate::lang::tr(m.mode.explanation()).into());
    a.set_promise(m.promise_text().into());
    a.set_promise_note(m.promise_note.clone().into());
    a.set_department(m.department.clone().into());
    a.set_fee(m.fee.clone().into());
    a.set_summary(m.summary.clone().into());
    a.set_eligibility(m.eligibility.clone().into());
    let materials: Vec<MaterialItem> = m
        .materials
        .iter()
        .map(|x| MaterialItem {
            name: x.name.clone().into(),
            requirement: crate::lang::requirement(x).into(),
            note: x.note.clone().into(),
        })
        .collect();
    a.set_materials(ModelRc::new(VecModel::from(materials)));
    a.set_steps(strings(&m.steps));
    a.set_notes(strings(&m.notes));
    a.set_can_apply(m.mode.allows_case());
    a.set_case_note(
        match m.mode {
            Mode::GuideOnly => tr!("本站不能受理，请看左侧指引"),
            _ => tr!("当场办结，不需代办"),
        }
        .into(),
    );
    a.set_ticket_text(if m.mode == Mode::GuideOnly { tr!("取号咨询") } else { tr!("取号办理") }.into());
}
