//! 个人信息 at the desk: a villager asks what the station keeps about them, or asks to
//! have it removed. Staff type the ID number from the card; the request's subject is kept
//! in the desk's server-side session (never in an address), the list is masked as the
//! receipts are, 打印 gives the villager a sheet to take away, 删除 masks the finished
//! cases at once and refuses the open ones with the reason. Every step is audited.

use super::access::{Checked, Desk, PageError};
use super::chrome::{csrf, desk_bar, desk_page, flash};
use super::state::AppState;
use crate::service::HeldCase;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

const HERE: &str = "/desk/privacy";

fn list(held: &[HeldCase]) -> maud::Markup {
    html! {
        @if held.is_empty() {
            p.ok { (tr!("本站没有保存这个人的个人信息（或已全部隐去）。")) }
        } @else {
            table.privacy {
                thead { tr {
                    th { (tr!("编号")) } th { (tr!("事项")) } th { (tr!("状态")) } th { (tr!("申请日期")) }
                    th { (tr!("姓名")) } th { (tr!("身份证号")) } th { (tr!("电话")) } th { (tr!("能否现在删除")) }
                } }
                tbody {
                    @for h in held {
                        tr {
                            td { (h.tracking) } td { (h.matter) } td { (crate::lang::tr(h.state)) } td { (h.created) }
                            td { (h.name) } td { (h.id) }
                            td { (h.phone) @if let Some(p) = &h.phone2 { "、" (p) } }
                            td { @if h.finished { (tr!("可以（已结束）")) } @else { (tr!("不能：还在办理中")) } }
                        }
                    }
                }
            }
        }
    }
}

pub async fn page(State(s): State<AppState>, desk: Desk) -> Result<Response, PageError> {
    let sess = &desk.sess;
    let subject = s.sessions().subject(&desk.id);
    let who = sess.who.clone();
    let held = match subject.clone() {
        Some(id) => Some(
            s.call(move |st| st.personal_data_held(&who, &id))
                .await?
                .map_err(|w| PageError::Refused(StatusCode::FORBIDDEN, w))?,
        ),
        None => None,
    };
    let body = html! {
        main.desk {
            (desk_bar(&s, sess, HERE))
            (flash(sess))
            h1 { (tr!("个人信息查询和删除")) }
            p { (tr!("村民本人带身份证来，要求查看本站保存的他的个人信息，或要求删除时用。已经结束的代办可以马上隐去身份证号、电话和姓名（和保存期满时一样）；还在办理中的不能删除。每一步都记入审计日志。")) }
            form.inline.find method="post" action="/desk/privacy/find" {
                (csrf(sess))
                label {
                    (tr!("身份证号 "))
                    input name="id_number" required maxlength="20" autocomplete="off" inputmode="text"
                        placeholder=(tr!("核对本人身份证后输入"));
                }
                button.primary type="submit" { (tr!("查询")) }
            }
            @if let Some(held) = &held {
                section.held {
                    h2 { (tr!("本站保存的信息（共 {} 件代办）", held.len())) }
                    (list(held))
                    div.actions {
                        form.inline method="post" action="/desk/privacy/print" target="_blank" {
                            (csrf(sess))
                            button type="submit" { (tr!("打印给村民带走")) }
                        }
                        @if held.iter().any(|h| h.finished) {
                            form.inline method="post" action="/desk/privacy/erase" {
                                (csrf(sess))
                                button.danger type="submit" { (tr!("删除（隐去）已结束代办的个人信息")) }
                            }
                        }
                        form.inline method="post" action="/desk/privacy/done" {
                            (csrf(sess))
                            button type="submit" { (tr!("办完了，清空")) }
                        }
                    }
                }
            }
        }
    };
    Ok(desk_page(&s, tr!("个人信息"), body, StatusCode::OK, false))
}

#[derive(Debug, serde::Deserialize)]
pub struct Find {
    #[serde(default)]
    id_number: String,
}

pub async fn find(State(s): State<AppState>, desk: Desk, Checked(f): Checked<Find>) -> Result<Response, PageError> {
    let who = desk.sess.who.clone();
    let id = f.id_number.clone();
    let outcome = s.call(move |st| st.find_personal_data(&who, &id)).await?;
    match outcome {
        Ok(held) => {
            // As typed: the service checks and normalises it on each use.
            s.sessions().set_subject(&desk.id, Some(f.id_number.trim().to_string()));
            Ok(desk.back(&s, HERE, Ok(tr!("找到 {} 件代办", held.len()))))
        }
        Err(words) => {
            s.sessions().set_subject(&desk.id, None);
            Ok(desk.back(&s, HERE, Err(words)))
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct Nothing {}

pub async fn print(State(s): State<AppState>, desk: Desk, Checked(_): Checked<Nothing>) -> Result<Response, PageError> {
    let Some(id) = s.sessions().subject(&desk.id) else {
        return Ok(desk.back(&s, HERE, Err(tr!("请先输入身份证号查询").into())));
    };
    let who = desk.sess.who.clone();
    let pdf = s
        .call(move |st| st.personal_data_pdf(&who, &id))
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let mut r = super::typed(StatusCode::OK, "application/pdf", pdf);
    if let Ok(h) = HeaderValue::from_str("inline; filename=\"personal-data.pdf\"") {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, h);
    }
    Ok(r)
}

pub async fn erase(State(s): State<AppState>, desk: Desk, Checked(_): Checked<Nothing>) -> Result<Response, PageError> {
    let Some(id) = s.sessions().subject(&desk.id) else {
        return Ok(desk.back(&s, HERE, Err(tr!("请先输入身份证号查询").into())));
    };
    let who = desk.sess.who.clone();
    let outcome = s.call(move |st| st.erase_personal_data(&who, &id)).await?;
    let words = outcome.map(|e| {
        let mut w = tr!("已隐去 {} 件：{}。", e.masked.len(), e.masked.join("、"));
        for (t, why) in &e.refused {
            w.push_str(&tr!("{} 没有删除：{}。", t, why));
        }
        w
    });
    Ok(desk.back(&s, HERE, words))
}

pub async fn done(State(s): State<AppState>, desk: Desk, Checked(_): Checked<Nothing>) -> Result<Response, PageError> {
    s.sessions().set_subject(&desk.id, None);
    Ok(Redirect::to(HERE).into_response())
}
