//! 差评跟进 at the desk: every 不满意 / 非常不满意 with its reason, who it is assigned to, the
//! 整改 result, and the due day (15 working days; overdue in red). The station head assigns
//! and may record; staff see and record the ones given to them.

use super::cases::{desk_header, flash};
use super::desk::{checked, hidden_csrf, shell, signed_in};
use super::html::esc;
use super::public::unavailable;
use super::state::AppState;
use crate::domain::followup::{Stage, RESULT_MAX};
use crate::domain::staff::StaffMember;
use crate::service::{Followup, FollowupError};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

fn person(staff: &[StaffMember], no: Option<&str>) -> String {
    match no {
        Some(n) => staff.iter().find(|s| s.no == n).map(|s| format!("{} {}", s.no, s.name)).unwrap_or(n.to_string()),
        None => "—".into(),
    }
}

fn card(f: &Followup, staff: &[StaffMember], csrf: &str, admin: bool, me: &str, tz: &chrono_tz::Tz) -> String {
    let when = f.rated_at.with_timezone(tz).format("%Y-%m-%d %H:%M");
    let channel = match f.channel.as_str() {
        "pad" => "窗口评价器",
        "phone" => "手机扫码",
        _ => "其他",
    };
    let window = f.window.map(|w| format!(" · {w}号窗口")).unwrap_or_default();
    let due = format!("{}{}", f.due, if f.due_beyond_calendar { "（未含明年节假日）" } else { "" });
    let state = if f.overdue {
        format!("<b class=\"late\">已超期（应于 {due} 前整改）</b>")
    } else if f.stage == Stage::Done {
        format!("<b>{}</b>", f.stage.label())
    } else {
        format!("<b>{}</b>，请于 {due} 前整改", f.stage.label())
    };
    let hidden = format!(
        "{csrf}<input type=\"hidden\" name=\"id\" value=\"{}\"><input type=\"hidden\" name=\"version\" value=\"{}\">",
        f.id, f.version
    );
    let mut forms = String::new();
    if f.stage != Stage::Done && admin {
        let pick = f.assignee.as_deref().or(f.served_by.as_deref());
        let options: String = staff
            .iter()
            .filter(|s| s.active)
            .map(|s| {
                let sel = if Some(s.no.as_str()) == pick { " selected" } else { "" };
                format!("<option value=\"{}\"{sel}>{} {}</option>", esc(&s.no), esc(&s.no), esc(&s.name))
            })
            .collect();
        forms.push_str(&format!(
            "<form method=\"post\" action=\"/desk/followups/act\" class=\"inline\">{hidden}\
             <input type=\"hidden\" name=\"action\" value=\"assign\"><label>分派给 <select name=\"assignee\">{options}</select></label>\
             <button type=\"submit\">{}</button></form>",
            if f.assignee.is_some() { "改派" } else { "分派" }
        ));
    }
    if f.stage != Stage::Done && (admin || f.assignee.as_deref() == Some(me)) {
        forms.push_str(&format!(
            "<form method=\"post\" action=\"/desk/followups/act\" class=\"result\">{hidden}\
             <input type=\"hidden\" name=\"action\" value=\"result\"><label>整改结果 \
             <textarea name=\"result\" rows=\"2\" maxlength=\"{RESULT_MAX}\" placeholder=\"做了什么改进，是否已向村民说明\"></textarea></label>\
             <button type=\"submit\">记录整改结果</button></form>"
        ));
    }
    let result = match (&f.result, &f.done_at) {
        (Some(r), Some(at)) => format!(
            "<p class=\"done\">整改结果：{}（{} 记录于 {}）</p>",
            esc(r),
            esc(&person(staff, f.done_by.as_deref())),
            at.with_timezone(tz).format("%Y-%m-%d")
        ),
        _ => String::new(),
    };
    format!(
        "<li class=\"followup{}\" id=\"f{}\"><p><b>{}</b> {when}（{channel}）· {} · {}{window} · 服务人员 {}</p>\
         <p>原因：{}</p><p>{state} · 跟进人 {}</p>{result}{forms}</li>",
        if f.overdue {
            " late"
        } else if f.stage == Stage::Done {
            " closed"
        } else {
            ""
        },
        f.id,
        f.level,
        esc(&f.subject),
        esc(&f.matter),
        esc(&person(staff, f.served_by.as_deref())),
        esc(if f.reason.is_empty() { "（未填写）" } else { &f.reason }),
        esc(&person(staff, f.assignee.as_deref())),
    )
}

pub async fn page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let sess = match signed_in(&s, &headers, false).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let who = sess.who.clone();
    let found = s.with_station(move |st| Ok::<_, FollowupError>((st.followups(&who)?, st.staff_list()?))).await;
    let (list, staff) = match found {
        Ok(Ok(x)) => x,
        Ok(Err(FollowupError::Actor(e))) => {
            return super::html::plain(StatusCode::FORBIDDEN, "不能操作", &e.to_string())
        }
        Ok(Err(e)) => return unavailable(&e.to_string()),
        Err(e) => return unavailable(&e.0),
    };
    let admin = sess.who.is_admin();
    let csrf = hidden_csrf(&sess);
    let tz = s.clock().tz();
    let open = list.iter().filter(|f| f.stage != Stage::Done).count();
    let late = list.iter().filter(|f| f.overdue).count();
    let items: String = list.iter().map(|f| card(f, &staff, &csrf, admin, sess.who.no(), &tz)).collect();
    let intro = if admin {
        "每一条不满意、非常不满意的评价都要跟进：分派给办理的人（谁办理谁负责），15个工作日内整改并记录结果。"
    } else {
        "分派给您的差评：请在15个工作日内整改，并在这里写明结果。"
    };
    let body = format!(
        "<main class=\"desk\">{}{}<h1>差评跟进</h1><p>{intro}</p><p class=\"counts\">待整改 <b>{open}</b> 条 · 已超期 <b>{late}</b> 条</p>\
         <ul class=\"followups\">{}</ul></main>",
        desk_header(&s, &sess, "/desk/followups"),
        flash(&sess),
        if items.is_empty() { "<li>没有需要跟进的差评。</li>".to_string() } else { items },
    );
    shell(&s, "差评跟进", body, StatusCode::OK, false)
}

pub async fn act(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (id, sess, f) = match checked(&s, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let (Ok(rating), Ok(version)) = (get("id").parse::<i64>(), get("version").parse::<i64>()) else {
        return super::html::bad_request("这条差评的编号不对，请回到差评跟进页面重新操作。");
    };
    let (action, assignee, result) = (get("action"), get("assignee"), get("result"));
    let who = sess.who.clone();
    let r = s
        .with_station(move |st| match action.as_str() {
            "assign" => {
                st.assign_followup(&who, rating, version, &assignee).map(|_| format!("已分派给 {}", assignee.trim()))
            }
            "result" => st.record_followup(&who, rating, version, &result).map(|_| "已记录整改结果".to_string()),
            _ => Err(FollowupError::NotFound),
        })
        .await;
    match r {
        Ok(Ok(text)) => s.sessions().flash(&id, false, text),
        Ok(Err(FollowupError::Store(e))) => return unavailable(&e.to_string()),
        Ok(Err(e)) => s.sessions().flash(&id, true, e.to_string()),
        Err(e) => return unavailable(&e.0),
    }
    Redirect::to("/desk/followups").into_response()
}
