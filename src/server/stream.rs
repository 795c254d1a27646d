//! A live stream (Server-Sent Events) that follows the snapshot: it renders on connect
//! and after every change, sends only when what it renders differs from what it sent
//! last, and ends when the service stops, the browser leaves, or the render says so.
//! `EventSource` reconnects by itself, and every connect starts with the whole state.

use super::state::{AppState, Live};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio_stream::wrappers::ReceiverStream;

/// What a render decided.
pub enum Next {
    /// Send `event` unless `key` equals what was sent last.
    Send { key: String, event: Event },
    /// Send this last event (if any), then close the stream.
    End(Option<Event>),
}

pub type Render = Box<dyn FnMut(Live) -> Pin<Box<dyn Future<Output = Next> + Send>> + Send>;

/// How long a browser waits before reconnecting after the stream drops.
const RETRY: Duration = Duration::from_secs(2);

/// Follows the snapshot with `render`; `tick` renders again after that long without a
/// change (for what time alone changes, such as an idle sign-out).
pub fn follow(s: AppState, tick: Option<Duration>, mut render: Render) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(8);
    // Every message in the language of the request that opened the stream.
    let lang = crate::lang::current();
    tokio::spawn(crate::lang::scope(lang, async move {
        let mut live = s.subscribe();
        let mut stop = s.stopping();
        let mut last: Option<String> = None;
        loop {
            let cur = live.borrow_and_update().clone();
            match render(cur).await {
                Next::Send { key, event } => {
                    if last.as_deref() != Some(key.as_str()) {
                        if tx.send(Ok(event.retry(RETRY))).await.is_err() {
                            return;
                        }
                        last = Some(key);
                    }
                }
                Next::End(event) => {
                    if let Some(e) = event {
                        let _ = tx.send(Ok(e)).await;
                    }
                    return;
                }
            }
            let wait = tick.unwrap_or(Duration::from_secs(3600));
            tokio::select! {
                r = live.changed() => if r.is_err() { return },
                _ = stop.wait_for(|s| *s) => return,
                _ = tx.closed() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }));
    Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::default()).into_response()
}

/// [`follow`] with a render that needs no store access.
pub fn follow_snapshot(s: AppState, mut render: impl FnMut(&Live) -> Next + Send + 'static) -> Response {
    follow(
        s,
        None,
        Box::new(move |live| {
            let next = render(&live);
            Box::pin(std::future::ready(next))
        }),
    )
}
