//! The browser side of a job's event stream: an EventSource that reconnects by itself.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::model::LiveEvent;

/// Follows the job's events after `after`, calling `on_event` for each; the EventSource
/// reconnects with Last-Event-ID on its own, closes after the job's last event, and when the
/// page goes away.
pub fn follow(events_url: &str, after: u64, on_event: impl Fn(LiveEvent) + 'static) {
    let url = format!("{events_url}?after={after}");
    let Ok(source) = web_sys::EventSource::new(&url) else {
        return;
    };
    let handle = source.clone();
    let callback =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |m: web_sys::MessageEvent| {
            let Some(text) = m.data().as_string() else {
                return;
            };
            if let Ok(event) = serde_json::from_str::<LiveEvent>(&text) {
                let last = matches!(&event.body, crate::model::LiveEventBody::Status { status }
                if !matches!(status.state.as_str(), "queued" | "running"));
                on_event(event);
                if last {
                    handle.close();
                }
            }
        });
    for name in ["status", "progress", "log"] {
        let _ = source.add_event_listener_with_callback(name, callback.as_ref().unchecked_ref());
    }
    let kept = StoredValue::new_local((source, callback));
    on_cleanup(move || kept.with_value(|(source, _)| source.close()));
}
