//! 站点设置 at the desk (station head): the form, checked as `kiosk config check` checks
//! station.toml, the errors named field by field with the typing kept.

use super::access::{lenient, Checked, Head, PageError};
use super::chrome::{admin_page, csrf};
use super::session::Session;
use super::state::AppState;
use crate::service::SettingKind as Kind;
use crate::service::{FieldView, SettingsError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use std::collections::HashMap;

const HERE: &str = "/desk/admin/settings";

fn render(
    s: &AppState,
    sess: &Session,
    fields: &[FieldView],
    version: i64,
    typed: Option<&HashMap<String, String>>,
    errors: &[String],
) -> Response {
    let inner = html! {
        p {
            (tr!("这些设置保存在本站的数据里，优先于配置文件 station.toml（和文件一样的值不另外保存）。保存前按 "))
            code { "kiosk config check" }
            (tr!(" 的同样规则检查。")) b { (tr!("自助终端和服务程序重启后才用新设置")) } (tr!("（关机再开机即可）。窗口、票号字头、语音等其他设置仍在 station.toml 里改。"))
        }
        @if !errors.is_empty() {
            h2.error { (tr!("没有保存：请改正下面的问题")) }
            ul.errors { @for e in errors { li { (e) } } }
        }
        form.settings method="post" action="/desk/admin/settings/save" {
            (csrf(sess))
            input type="hidden" name="version" value=(version);
            @for v in fields {
                label.setting {
                    span {
                        (crate::lang::tr(v.field.label))
                        @if v.from_desk { span.badge { (tr!("在这里改过")) } }
                        @if v.pending { span.badge { (tr!("重启后生效")) } }
                    }
                    @let now = typed.and_then(|t| t.get(v.field.key)).unwrap_or(&v.value);
                    @match v.field.kind {
                        Kind::Choice(choices) => {
                            select name=(v.field.key) {
                                @for (value, label) in choices {
                                    option value=(value) selected[*value == now.as_str()] { (crate::lang::tr(label)) }
                                }
                            }
                        }
                        _ => { input name=(v.field.key) value=(now); }
                    }
                    small { (crate::lang::tr(v.field.hint)) }
                }
            }
            button.primary type="submit" { (tr!("检查并保存")) }
        }
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    admin_page(s, sess, HERE, tr!("站点设置"), inner, status)
}

pub async fn page(State(s): State<AppState>, Head(desk): Head) -> Result<Response, PageError> {
    match s.with_station(|st| st.settings().and_then(|f| Ok((f, st.settings_version()?)))).await? {
        Ok((fields, version)) => Ok(render(&s, &desk.sess, &fields, version, None, &[])),
        Err(SettingsError::Invalid(problems)) => Ok(render(&s, &desk.sess, &[], 0, None, &problems)),
        Err(e) => Err(PageError::from_service(&e, StatusCode::FORBIDDEN)),
    }
}

/// The settings as posted: the version of the settings the page showed, and the fields.
/// The fields stay a map on purpose: their set is the service's table of settings
/// (`service::settings::FIELDS`, station.toml keys such as `station.name`), which the page
/// is drawn from; a field the form does not carry keeps its saved value. A struct here
/// would be a second copy of that table to keep in step.
#[derive(Debug, serde::Deserialize)]
pub struct Settings {
    #[serde(default, deserialize_with = "lenient::number")]
    version: Option<i64>,
    #[serde(flatten)]
    values: HashMap<String, String>,
}

pub async fn save(
    State(s): State<AppState>,
    Head(desk): Head,
    Checked(f): Checked<Settings>,
) -> Result<Response, PageError> {
    let who = desk.sess.who.clone();
    let form = f.values.clone();
    let (saved, fields, version) = s
        .with_station(move |st| (st.save_settings(&who, &form, f.version), st.settings(), st.settings_version()))
        .await?;
    let fields = match fields {
        Ok(f) => f,
        // A station.toml the settings cannot be laid over shows its problems, no fields.
        Err(SettingsError::Invalid(_)) => Vec::new(),
        Err(e) => return Err(PageError::from_service(&e, StatusCode::FORBIDDEN)),
    };
    let version = version.map_err(|e| PageError::Fault(e.to_string()))?;
    match saved {
        Ok(changes) => {
            let text = if changes.is_empty() {
                tr!("没有改动").to_string()
            } else {
                tr!("已保存：{}。自助终端和服务重启后生效。", changes.join("；"))
            };
            desk.flash(&s, false, text);
            Ok(Redirect::to(HERE).into_response())
        }
        Err(SettingsError::Invalid(problems)) => {
            Ok(render(&s, &desk.sess, &fields, version, Some(&f.values), &problems))
        }
        Err(e @ SettingsError::Stale) => Ok(render(&s, &desk.sess, &fields, version, None, &[e.to_string()])),
        Err(e) => Err(PageError::from_service(&e, StatusCode::FORBIDDEN)),
    }
}
