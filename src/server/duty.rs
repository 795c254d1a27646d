//! AB岗与值班 in 站务管理 (station head): the A and B posts by category or matter, days away
//! for the next two weeks, the weekly rota of the village cadres, and which categories each
//! window calls. Every change goes through the service, which checks the head and records it.

use super::access::{lenient, Checked, Head, PageError};
use super::chrome::{admin_page, csrf};
use super::session::Session;
use super::state::AppState;
use crate::domain::staff::WEEKDAYS;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate};
use maud::{html, Markup};
use std::collections::HashMap;

const HERE: &str = "/desk/admin/duty";
const ACT: &str = "/desk/admin/duty/act";

/// A one-button form: the action, its fields, the button's words.
fn toggle(sess: &Session, action: &str, fields: &[(&str, String)], label: &str, aria: &str) -> Markup {
    html! {
        form.inline method="post" action=(ACT) {
            (csrf(sess))
            input type="hidden" name="action" value=(action);
            @for (k, v) in fields { input type="hidden" name=(k) value=(v); }
            button type="submit" aria-label=(aria) { (label) }
        }
    }
}

pub async fn page(State(s): State<AppState>, Head(desk): Head) -> Result<Response, PageError> {
    let sess = &desk.sess;
    let (staff, posts, away, rota, windows, categories, today) = s
        .call(|st| {
            let today = st.clock.today();
            let until = today + Duration::days(13);
            Ok::<_, crate::service::StoreError>((
                st.staff_list()?,
                st.posts()?,
                st.away_between(today, until)?,
                st.rota()?,
                st.window_rules(),
                st.cfg.catalog.categories.iter().map(|c| (c.code.clone(), c.name.clone())).collect::<Vec<_>>(),
                today,
            ))
        })
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let active: Vec<_> = staff.iter().filter(|m| m.active).collect();
    let days: Vec<NaiveDate> = (0..14).map(|i| today + Duration::days(i)).collect();
    let weekday = |d: &NaiveDate| crate::lang::tr(WEEKDAYS[d.weekday().num_days_from_monday() as usize]);
    let inner = html! {
        section {
            h2 { (tr!("AB岗")) }
            p { (tr!("新的代办交给A岗；A岗当天不在时交给B岗；两人都不在会提醒安排顶岗。事项编号（如 C02）的设置优先于类别。")) }
            table.cases {
                thead { tr { th { (tr!("范围")) } th { (tr!("A岗")) } th { (tr!("B岗")) } th { (tr!("操作")) } } }
                tbody {
                    @for p in &posts {
                        tr {
                            td { (p.scope) }
                            td { (p.a) }
                            td { (p.b.as_deref().unwrap_or(tr!("（无）"))) }
                            td { (toggle(sess, "post-remove", &[("scope", p.scope.clone())], tr!("删除"), &tr!("删除 {} 的AB岗", p.scope))) }
                        }
                    }
                }
            }
            form method="post" action=(ACT) {
                (csrf(sess))
                input type="hidden" name="action" value="post-set";
                label {
                    (tr!("范围 "))
                    select name="scope_cat" {
                        @for (c, n) in &categories { option value=(c) { (c) " " (n) (tr!("（类别）")) } }
                    }
                }
                label { (tr!("或事项编号 ")) input name="scope" maxlength="3" placeholder="C02"; }
                label {
                    (tr!("A岗 "))
                    select name="a" { @for m in &active { option value=(m.no) { (m.no) " " (m.name) } } }
                }
                label {
                    (tr!("B岗 "))
                    select name="b" {
                        option value="" { (tr!("（无）")) }
                        @for m in &active { option value=(m.no) { (m.no) " " (m.name) } }
                    }
                }
                button type="submit" { (tr!("设置")) }
            }
        }
        section {
            h2 { (tr!("请假（今后两周，点一下切换）")) }
            table.grid {
                thead {
                    tr {
                        th { span.visually-hidden { (tr!("工作人员")) } }
                        @for d in &days { th { (d.format("%m-%d")) br; (weekday(d)) } }
                    }
                }
                tbody {
                    @for m in &active {
                        tr {
                            th { (m.no) " " (m.name) }
                            @for d in &days {
                                @let off = away.iter().any(|(n, day)| n == &m.no && day == d);
                                td {
                                    (toggle(
                                        sess,
                                        if off { "away-clear" } else { "away-set" },
                                        &[("no", m.no.clone()), ("day", d.to_string())],
                                        if off { tr!("休") } else { "·" },
                                        &format!("{} {} {}", m.name, d, if off { tr!("请假，点一下改为在岗") } else { tr!("在岗，点一下改为请假") }),
                                    ))
                                }
                            }
                        }
                    }
                }
            }
        }
        section {
            h2 { (tr!("每周值班（村两委干部轮流坐班，自助终端首页显示当天值班人）")) }
            table.grid {
                thead {
                    tr {
                        th { span.visually-hidden { (tr!("工作人员")) } }
                        @for d in WEEKDAYS { th { (crate::lang::tr(d)) } }
                    }
                }
                tbody {
                    @for m in &active {
                        tr {
                            th { (m.no) " " (m.name) }
                            @for (i, day) in WEEKDAYS.iter().enumerate() {
                                @let wd = i as u32 + 1;
                                @let on = rota.iter().any(|(d, n)| *d == wd && n == &m.no);
                                td {
                                    (toggle(
                                        sess,
                                        if on { "rota-off" } else { "rota-on" },
                                        &[("no", m.no.clone()), ("weekday", wd.to_string())],
                                        if on { tr!("值班") } else { "·" },
                                        &format!("{} {}{}", m.name, crate::lang::tr(day), if on { tr!("值班，点一下取消") } else { tr!("不值班，点一下排班") }),
                                    ))
                                }
                            }
                        }
                    }
                }
            }
        }
        section {
            h2 { (tr!("窗口叫哪些类别的号")) }
            @for w in &windows {
                form.windowcats method="post" action=(ACT) {
                    (csrf(sess))
                    input type="hidden" name="action" value="window";
                    input type="hidden" name="window" value=(w.number);
                    b { (w.number) (tr!("号窗口")) } " "
                    @for (c, n) in &categories {
                        label.inline {
                            input type="checkbox" name={ "cat-" (c) } value="1" checked[w.categories.iter().any(|x| x == c)];
                            " " (c) " " (n)
                        }
                    }
                    " "
                    button type="submit" { (tr!("保存")) }
                    small { (tr!("一个都不选 = 叫所有类别")) }
                }
            }
        }
    };
    Ok(admin_page(&s, sess, HERE, tr!("AB岗与值班"), inner, StatusCode::OK))
}

/// What the station head changed.
#[derive(Debug, serde::Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Change {
    PostSet {
        #[serde(default)]
        scope: String,
        #[serde(default)]
        scope_cat: String,
        #[serde(default)]
        a: String,
        #[serde(default)]
        b: String,
    },
    PostRemove {
        #[serde(default)]
        scope: String,
    },
    AwaySet {
        #[serde(default)]
        no: String,
        #[serde(default)]
        day: String,
    },
    AwayClear {
        #[serde(default)]
        no: String,
        #[serde(default)]
        day: String,
    },
    RotaOn {
        #[serde(default)]
        no: String,
        #[serde(default, deserialize_with = "lenient::number")]
        weekday: Option<u32>,
    },
    RotaOff {
        #[serde(default)]
        no: String,
        #[serde(default, deserialize_with = "lenient::number")]
        weekday: Option<u32>,
    },
    /// A window's categories: the boxes ticked are `cat-CODE`.
    Window {
        #[serde(default, deserialize_with = "lenient::number")]
        window: Option<u32>,
        #[serde(flatten)]
        ticked: HashMap<String, String>,
    },
}

fn day(d: &str) -> Result<NaiveDate, PageError> {
    d.trim()
        .parse()
        .map_err(|_| PageError::Refused(StatusCode::BAD_REQUEST, tr!("日期不对，请回到页面重新点选。").into()))
}

fn number<T>(n: Option<T>, what: &str) -> Result<T, PageError> {
    n.ok_or_else(|| PageError::Refused(StatusCode::BAD_REQUEST, tr!("{}不对，请回到页面重新点选。", what)))
}

pub async fn act(
    State(s): State<AppState>,
    Head(desk): Head,
    Checked(c): Checked<Change>,
) -> Result<Response, PageError> {
    let who = desk.sess.who.clone();
    // What is not a value the page offers is a 400 before the service is asked.
    enum Do {
        PostSet(String, String, Option<String>),
        PostRemove(String),
        Away(String, NaiveDate, bool),
        Rota(String, u32, bool),
        Window(u32, Vec<String>),
    }
    let what = match c {
        Change::PostSet { scope, scope_cat, a, b } => {
            let scope = if scope.trim().is_empty() { scope_cat } else { scope };
            Do::PostSet(scope, a, (!b.trim().is_empty()).then_some(b))
        }
        Change::PostRemove { scope } => Do::PostRemove(scope),
        Change::AwaySet { no, day: d } => Do::Away(no, day(&d)?, true),
        Change::AwayClear { no, day: d } => Do::Away(no, day(&d)?, false),
        Change::RotaOn { no, weekday } => Do::Rota(no, number(weekday, tr!("星期"))?, true),
        Change::RotaOff { no, weekday } => Do::Rota(no, number(weekday, tr!("星期"))?, false),
        Change::Window { window, ticked } => {
            let mut cats: Vec<String> =
                ticked.keys().filter_map(|k| k.strip_prefix("cat-")).map(str::to_string).collect();
            cats.sort();
            Do::Window(number(window, tr!("窗口"))?, cats)
        }
    };
    let outcome = s
        .call(move |st| match what {
            Do::PostSet(scope, a, b) => {
                st.admin_set_post(&who, &scope, &a, b.as_deref()).map(|sc| tr!("已设置 {} 的AB岗", sc))
            }
            Do::PostRemove(scope) => st.admin_remove_post(&who, &scope).map(|_| tr!("已删除 {} 的AB岗", scope.trim())),
            Do::Away(no, d, true) => st.admin_set_away(&who, &no, d, true).map(|_| tr!("{} {} 请假", no, d)),
            Do::Away(no, d, false) => st.admin_set_away(&who, &no, d, false).map(|_| tr!("{} {} 在岗", no, d)),
            Do::Rota(no, wd, on) => st
                .admin_set_rota(&who, wd, &no, on)
                .map(|_| format!("{no} {}", if on { tr!("加入值班") } else { tr!("移出值班") })),
            Do::Window(w, cats) => st.admin_set_window_categories(&who, w, &cats).map(|_| tr!("{}号窗口已保存", w)),
        })
        .await?;
    Ok(desk.back(&s, HERE, outcome))
}
