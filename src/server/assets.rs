//! The pages' own CSS and scripts, built into the binary: nothing is fetched from the
//! internet, and a page works the same on a station with no connection at all.

use super::typed;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;

const FILES: &[(&str, &str, &str)] = &[
    ("site.css", "text/css; charset=utf-8", include_str!("../../assets/web/site.css")),
    ("t.js", "text/javascript; charset=utf-8", include_str!("../../assets/web/t.js")),
    ("display.js", "text/javascript; charset=utf-8", include_str!("../../assets/web/display.js")),
    ("pad.js", "text/javascript; charset=utf-8", include_str!("../../assets/web/pad.js")),
    ("desk.js", "text/javascript; charset=utf-8", include_str!("../../assets/web/desk.js")),
    ("admin.js", "text/javascript; charset=utf-8", include_str!("../../assets/web/admin.js")),
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, ty, body)) => typed(StatusCode::OK, ty, *body),
        None => super::chrome::plain(StatusCode::NOT_FOUND, tr!("没有这个文件"), tr!("请检查地址。")),
    }
}
