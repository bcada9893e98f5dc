//! The page for addresses and databases that do not exist, answered with a 404.

use leptos::prelude::*;
use leptos_meta::Title;

/// Sets the 404 status on the server's response.
pub fn set_not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_not_found_status();
    view! {
        <Title text="Not found"/>
        <section class="empty-page">
            <h1>"Nothing here"</h1>
            <p>"This address does not match any page of Tidemark."</p>
            <a class="link-button" href="/">"See all databases"</a>
        </section>
    }
}

/// A database id that matches nothing.
#[component]
pub fn DatabaseNotFound(id: String) -> impl IntoView {
    set_not_found_status();
    view! {
        <Title text="Database not found"/>
        <section class="empty-page" data-testid="database-not-found">
            <h1>"Database not found"</h1>
            <p>"There is no database with the id " <code>{id}</code> " in this Tidemark."</p>
            <a class="link-button" href="/">"See all databases"</a>
        </section>
    }
}
