//! Where the kiosk sorts a failed service call, once (as `PageError::from_service` does
//! for the web and `explained` for the command line; the two kinds are in
//! `service::failure`). A *refusal* is a sentence for the villager, in the screen's
//! language, that the caller puts at the field that asked (or, on a screen without one,
//! in the toast). A *fault* (the store, a file) is logged with what was being done, and
//! the villager reads the caller's plain sentence saying where to go instead.
//!
//! No adapter matches on an error's variants: a refusal never ends up as the fault's
//! toast, and a fault's detail never reaches the screen.

use super::{toast, AppWindow};
use crate::service::{Explain, Failure};

/// `e` sorted for a villager who pressed something: `Some(sentence)` is a refusal for the
/// caller to show; `None` means it was a fault, now logged (`doing` says what failed) and
/// shown as the toast `sorry`.
pub(crate) fn refusal_or_toast(app: &AppWindow, doing: &str, e: &impl Explain, sorry: &str) -> Option<String> {
    match e.explain() {
        Failure::Refused(text) => Some(crate::lang::sentence(&text)),
        Failure::Fault(detail) => {
            tracing::error!("{doing}: {detail}");
            toast(app, sorry);
            None
        }
    }
}

/// `e` of a read the villager did not ask for (a notice on the home screen): logged,
/// nothing shown; the screen goes on without it.
pub(crate) fn logged(doing: &str, e: &impl Explain) {
    match e.explain() {
        Failure::Refused(text) => tracing::warn!("{doing}: {text}"),
        Failure::Fault(detail) => tracing::error!("{doing}: {detail}"),
    }
}
