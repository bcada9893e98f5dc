//! What several pages show alike: a failed load, and a database's status.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::DatabaseStatus;

/// A failed load, said plainly, with the server's sentence.
#[component]
pub fn LoadError(message: String) -> impl IntoView {
    view! {
        <div class="notice notice-error" role="alert">
            <strong>"This could not be loaded. "</strong>
            {message}
        </div>
    }
}

/// The server's sentence from a server function error.
pub fn error_text(e: &AppError) -> String {
    e.message.clone()
}

/// A database's status as a coloured pill.
#[component]
pub fn StatusPill(status: DatabaseStatus) -> impl IntoView {
    let (class, text) = match status {
        DatabaseStatus::Running => ("pill pill-ok", "Running"),
        DatabaseStatus::Stopped => ("pill pill-bad", "Stopped"),
        DatabaseStatus::Unreachable => ("pill pill-bad", "Unreachable"),
    };
    view! { <span class=class>{text}</span> }
}

/// A share link just made, ready to copy, or why it could not be.
pub(crate) fn share_link_view(made: Result<String, crate::error::AppError>) -> AnyView {
    match made {
        Ok(path) => {
            #[cfg(feature = "hydrate")]
            let url = format!("{}{path}", window().location().origin().unwrap_or_default());
            #[cfg(not(feature = "hydrate"))]
            let url = path;
            view! {
                <p class="share-link">
                    <label for="share-url">"Read-only link, valid 7 days: "</label>
                    <input id="share-url" data-testid="share-url" readonly value=url/>
                </p>
            }
            .into_any()
        }
        Err(e) => {
            view! { <p class="notice notice-error" role="alert">{error_text(&e)}</p> }.into_any()
        }
    }
}
