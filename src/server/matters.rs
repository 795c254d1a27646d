//! 事项清单 in 站务管理 (station head): the published versions, an upload checked line by
//! line with its changes shown before it is published, a rollback reviewed the same way,
//! and the live version to download. Every change is an audit event (made in the service).

use super::access::{lenient, Checked, Head, PageError};
use super::chrome::{admin_page, csrf};
use super::state::AppState;
use super::typed;
use crate::service::{MattersDiff, MattersError};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

/// Matters files are larger than the desk's forms.
pub const UPLOAD_LIMIT: usize = 1024 * 1024;

const HERE: &str = "/desk/admin/matters";

pub async fn home(_: Head) -> Redirect {
    Redirect::to(HERE)
}

pub(super) fn diff(d: &MattersDiff) -> Markup {
    let empty = d.added.is_empty() && d.removed.is_empty() && d.changed.is_empty() && d.categories.is_empty();
    html! {
        @if empty {
            p { (tr!("和现在用的版本完全一样。")) }
        } @else {
            ul.diff {
                @for c in &d.added { li.added { (tr!("新增事项 ")) b { (c) } } }
                @for c in &d.removed { li.removed { (tr!("删除事项 ")) b { (c) } } }
                @for c in &d.changed {
                    @for x in &c.described { li.changed { (tr!("修改 ")) b { (c.code) } " " (x) } }
                }
                @for c in &d.categories { li.changed { (c) } }
            }
        }
    }
}

pub async fn list(State(s): State<AppState>, Head(desk): Head) -> Result<Response, PageError> {
    let (versions, live) = s
        .call(|st| Ok::<_, crate::service::StoreError>((st.catalog_versions()?, st.published_version()?)))
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let town = s.cfg().join.as_ref().map(|j| j.town.clone());
    let inner = html! {
        @if let Some(t) = &town {
            p.notice { (tr!("由镇中心统一发布：本站已加入{}，事项清单由镇中心发布，各站自动采用；本站不能自己发布或回滚。", t)) }
        }
        p {
            (tr!("现在使用第{}版。村民在自助终端回到首页时换用新版本；已取的号和已受理的代办仍按原来的版本。", live))
            " "
            a href="/desk/admin/matters/export" { (tr!("下载现在的版本（TOML）")) }
        }
        // A joined station takes the town's list: no upload, no rollback (the service
        // refuses them too).
        @if town.is_none() { section {
            h2 { (tr!("上传新的事项清单")) }
            form method="post" action="/desk/admin/matters/check" {
                (csrf(&desk.sess))
                label { (tr!("选择文件 ")) input type="file" id="matters-file" data-into="matters-source" accept=".toml,text/plain"; }
                label { (tr!("或粘贴内容")) textarea name="source" id="matters-source" rows="10" required {} }
                button.primary type="submit" { (tr!("检查并查看改动")) }
            }
        } }
        section {
            h2 { (tr!("历次版本")) }
            table.cases {
                thead { tr { th { (tr!("版本")) } th { (tr!("发布时间")) } th { (tr!("发布人")) } th { (tr!("说明")) } th { (tr!("操作")) } } }
                tbody {
                    @for v in versions.iter().rev() {
                        tr {
                            td { (tr!("第{}版", v.version)) }
                            td { (v.published_at) }
                            td { (v.staff.as_deref().unwrap_or(tr!("（系统）"))) }
                            td { (v.note) }
                            td {
                                @if v.version == live {
                                    b { (tr!("正在使用")) }
                                } @else if town.is_some() {
                                    "—"
                                } @else {
                                    // First the changes and a note, as for a publish: nothing changes on one click.
                                    a.button href={ "/desk/admin/matters/rollback?version=" (v.version) } { (tr!("回滚到这一版…")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        script src="/assets/admin.js" defer {}
    };
    Ok(admin_page(&s, &desk.sess, HERE, tr!("事项清单"), inner, StatusCode::OK))
}

/// An uploaded matters file.
#[derive(Debug, serde::Deserialize)]
pub struct Upload {
    #[serde(default)]
    source: String,
}

/// Checks an uploaded file: its errors by line, or its changes and the publish form.
pub async fn check(
    State(s): State<AppState>,
    Head(desk): Head,
    Checked(f): Checked<Upload>,
) -> Result<Response, PageError> {
    let src = f.source.clone();
    let back = html! { p { a href=(HERE) { (tr!("返回")) } } };
    let checked = match s.with_station(move |st| st.check_matters(tr!("上传的文件"), &src)).await? {
        Ok(c) => c,
        Err(MattersError::Invalid(errs)) => {
            let inner = html! {
                p.error { (tr!("文件有 {} 处错误，没有发布。请按行号改好后重新上传：", errs.0.len())) }
                ul.errors { @for e in &errs.0 { li { (e.to_string()) } } }
                (back)
            };
            return Ok(admin_page(&s, &desk.sess, HERE, tr!("文件有错误"), inner, StatusCode::UNPROCESSABLE_ENTITY));
        }
        Err(e) => return Err(PageError::from_service(&e, StatusCode::BAD_REQUEST)),
    };
    let inner = html! {
        p {
            (tr!(
                "文件检查通过：{} 个类别，{} 个事项。和现在使用的第{}版相比：",
                checked.catalog.categories.len(),
                checked.catalog.matters.len(),
                checked.live_version
            ))
        }
        (diff(&checked.diff))
        @if checked.diff.is_empty() {
            p { (tr!("没有改动，不用发布。")) }
        } @else {
            form method="post" action="/desk/admin/matters/publish" {
                (csrf(&desk.sess))
                textarea name="source" hidden aria-hidden="true" { (f.source) }
                label { (tr!("发布说明（改了什么、为什么）")) input name="note" maxlength="200" required; }
                button.primary type="submit" { (tr!("发布为第{}版", checked.live_version + 1)) }
            }
        }
        p { a href=(HERE) { (tr!("不发布，返回")) } }
    };
    Ok(admin_page(&s, &desk.sess, HERE, tr!("核对改动"), inner, StatusCode::OK))
}

/// A checked file to publish, with its note.
#[derive(Debug, serde::Deserialize)]
pub struct Publish {
    #[serde(default)]
    source: String,
    #[serde(default)]
    note: String,
}

pub async fn publish(
    State(s): State<AppState>,
    Head(desk): Head,
    Checked(f): Checked<Publish>,
) -> Result<Response, PageError> {
    let who = desk.sess.who.clone();
    let outcome = s
        .call(move |st| {
            st.publish_matters(&who, tr!("上传的文件"), &f.source, &f.note).map(|(v, _)| tr!("已发布第{}版", v))
        })
        .await?;
    Ok(desk.back(&s, HERE, outcome))
}

/// The version a rollback is about.
#[derive(Debug, serde::Deserialize)]
pub struct Version {
    #[serde(default, deserialize_with = "lenient::number")]
    version: Option<i64>,
}

fn pick_version() -> PageError {
    PageError::Refused(StatusCode::BAD_REQUEST, tr!("请选择版本。").into())
}

/// 回滚到这一版…: what it would change, and the note and confirmation a publish asks for.
pub async fn rollback_review(
    State(s): State<AppState>,
    Head(desk): Head,
    Query(q): Query<Version>,
) -> Result<Response, PageError> {
    let version = q.version.ok_or_else(pick_version)?;
    let checked = match s.call(move |st| st.check_rollback(version)).await? {
        Ok(c) => c,
        Err(words) => {
            let inner = html! { p.error { (words) } p { a href=(HERE) { (tr!("返回")) } } };
            return Ok(admin_page(&s, &desk.sess, HERE, tr!("不能回滚"), inner, StatusCode::BAD_REQUEST));
        }
    };
    let inner = html! {
        p {
            (tr!(
                "第{}版：{} 个类别，{} 个事项。和现在使用的第{}版相比，回滚会：",
                version,
                checked.catalog.categories.len(),
                checked.catalog.matters.len(),
                checked.live_version
            ))
        }
        (diff(&checked.diff))
        @if checked.diff.is_empty() {
            p { (tr!("这一版和现在使用的内容一样，不用回滚。")) }
        } @else {
            form method="post" action="/desk/admin/matters/rollback" {
                (csrf(&desk.sess))
                input type="hidden" name="version" value=(version);
                label { (tr!("回滚说明（为什么回滚）")) input name="note" maxlength="200" required; }
                button.primary type="submit" {
                    (tr!("确认回滚：用第{}版的内容发布为第{}版", version, checked.live_version + 1))
                }
            }
        }
        p { a href=(HERE) { (tr!("不回滚，返回")) } }
    };
    Ok(admin_page(&s, &desk.sess, HERE, tr!("核对回滚"), inner, StatusCode::OK))
}

/// A confirmed rollback.
#[derive(Debug, serde::Deserialize)]
pub struct Rollback {
    #[serde(default, deserialize_with = "lenient::number")]
    version: Option<i64>,
    #[serde(default)]
    note: String,
}

pub async fn rollback(
    State(s): State<AppState>,
    Head(desk): Head,
    Checked(f): Checked<Rollback>,
) -> Result<Response, PageError> {
    let version = f.version.ok_or_else(pick_version)?;
    let note = f.note.trim().to_string();
    if note.is_empty() {
        desk.flash(&s, true, tr!("回滚要写说明（为什么回滚），没有回滚。"));
        return Ok(Redirect::to(&format!("/desk/admin/matters/rollback?version={version}")).into_response());
    }
    let who = desk.sess.who.clone();
    let outcome = s
        .call(move |st| {
            st.rollback_matters(&who, version, Some(&note))
                .map(|(v, _)| tr!("已回滚：第{}版用第{}版的内容", v, version))
        })
        .await?;
    Ok(desk.back(&s, HERE, outcome))
}

pub async fn export(State(s): State<AppState>, _: Head) -> Result<Response, PageError> {
    let (v, src) = s
        .call(|st| Ok::<_, crate::service::StoreError>((st.published_version()?, st.export_matters()?)))
        .await?
        .map_err(|w| PageError::Refused(StatusCode::BAD_REQUEST, w))?;
    let mut r = typed(StatusCode::OK, "text/plain; charset=utf-8", src);
    if let Ok(h) = HeaderValue::from_str(&format!("attachment; filename=\"matters-v{v}.toml\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, h);
    }
    Ok(r)
}
