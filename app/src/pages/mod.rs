//! One module per page.

mod account;
mod admin;
mod database;
pub(crate) mod job;
mod jobs;
mod login;
pub(crate) mod not_found;
mod overview;

pub use account::AccountPage;
pub use admin::AdminPage;
pub use database::DatabasePage;
pub use job::{JobPageView, SharedJobPage};
pub use jobs::{JobsPage, RecentActivity};
pub use login::LoginPage;
pub use not_found::NotFound;
pub use overview::Overview;

use leptos::prelude::*;

use crate::error::AppError;

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
