//! The browser side of a job's event stream: an EventSource that, when its connection breaks,
//! is opened again after the last event the page has, so nothing is missed or shown twice.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::model::LiveEvent;

/// How long the page waits before opening a broken stream again.
const RETRY_AFTER: Duration = Duration::from_secs(2);

type Listener = Closure<dyn Fn(web_sys::MessageEvent)>;

struct Follow {
    url: String,
    /// The number of the last event the page has.
    last: Cell<u64>,
    /// The job has ended or the page has gone: no more streams.
    done: Cell<bool>,
    source: RefCell<Option<(web_sys::EventSource, Listener, Listener)>>,
    on_event: Box<dyn Fn(LiveEvent)>,
}

impl Follow {
    /// Closes the stream. Its listeners are dropped a moment later: one of them may be running.
    fn close(&self) {
        if let Some(open) = self.source.borrow_mut().take() {
            open.0.close();
            set_timeout(move || drop(open), Duration::ZERO);
        }
    }
}

/// Follows the job's events after `after`, calling `on_event` for each; closes after the job's
/// last event, and when the page goes away.
pub(crate) fn follow(events_url: &str, after: u64, on_event: impl Fn(LiveEvent) + 'static) {
    let state = Rc::new(Follow {
        url: events_url.to_string(),
        last: Cell::new(after),
        done: Cell::new(false),
        source: RefCell::new(None),
        on_event: Box::new(on_event),
    });
    open(&state);
    let kept = StoredValue::new_local(state);
    on_cleanup(move || {
        kept.with_value(|state| {
            state.done.set(true);
            state.close();
        })
    });
}

/// Opens a stream from the last event the page has.
fn open(state: &Rc<Follow>) {
    if state.done.get() {
        return;
    }
    let url = format!("{}?after={}", state.url, state.last.get());
    let Ok(source) = web_sys::EventSource::new(&url) else {
        return;
    };
    let on_message = {
        let state = Rc::clone(state);
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |m: web_sys::MessageEvent| {
            let Some(text) = m.data().as_string() else {
                return;
            };
            let Ok(event) = serde_json::from_str::<LiveEvent>(&text) else {
                return;
            };
            if event.seq <= state.last.get() {
                return;
            }
            state.last.set(event.seq);
            let last = matches!(&event.body, crate::model::LiveEventBody::Status { status }
                if status.state.is_finished());
            (state.on_event)(event);
            if last {
                state.done.set(true);
                state.close();
            }
        })
    };
    // A broken connection (a phone that went offline): this stream closes, and a new one opens
    // after the last event the page has, rather than where this one started.
    let on_error = {
        let state = Rc::clone(state);
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
            state.close();
            let state = Rc::clone(&state);
            set_timeout(move || open(&state), RETRY_AFTER);
        })
    };
    for name in ["status", "progress", "log"] {
        let _ = source.add_event_listener_with_callback(name, on_message.as_ref().unchecked_ref());
    }
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    *state.source.borrow_mut() = Some((source, on_message, on_error));
}
