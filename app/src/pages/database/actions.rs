//! What the tab's forms share: opening the job an action started, and saying why one failed.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::error::AppError;
use crate::pages::common::error_text;

/// Opens a job's page once the action that started it answers with its id.
pub(super) fn follow_job<A>(action: ServerAction<A>)
where
    A: leptos::server_fn::ServerFn<Output = String, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(job)) = action.value().get() {
            navigate(&format!("/jobs/{job}"), Default::default());
        }
    });
}

/// What a failed action said, in an alert.
pub(super) fn action_error<A>(action: ServerAction<A>) -> impl IntoView
where
    A: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
{
    move || {
        action.value().get().and_then(|r| r.err()).map(|e| {
            view! { <p class="notice notice-error" role="alert">{error_text(&e)}</p> }
        })
    }
}
