//! Tidemark's pages and components, rendered on the server and hydrated in the browser.

pub mod error;
pub mod format;
#[cfg(feature = "hydrate")]
mod live;
pub mod model;
// Leptos's component macro repeats a component's visibility on what it generates, which this
// lint reads as wider than the private module allows.
#[expect(
    unreachable_pub,
    reason = "components are public to the macros that render them; the module stays private"
)]
mod pages;
mod routes;
pub mod server_fns;
#[cfg(feature = "hydrate")]
mod upload;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

/// The nonce the server put in this response's content security policy; the inline scripts of
/// hydration carry it.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(nonce) =
        use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HashedStylesheet options=options.clone() id="tidemark"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The bar atop every page; a page opened through a share link gets the name alone, with no way
/// into the dashboard.
#[component]
fn TopBar() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let shared = move || location.pathname.get().starts_with("/s/");
    let mark = || {
        view! {
            <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
                <path d="M2 20c4 0 4-4 8-4s4 4 8 4 4-4 8-4 4 4 4 4v8H2z"/>
                <path d="M2 12c4 0 4-4 8-4s4 4 8 4 4-4 8-4 4 4 4 4" fill="none" stroke-width="2.5"/>
            </svg>
        }
    };
    view! {
        <header class="topbar">
            <Show
                when=shared
                fallback=move || view! {
                    <a href="/" class="brand">{mark()}<span>"Tidemark"</span></a>
                    <nav aria-label="Main">
                        <a href="/">"Databases"</a>
                        <a href="/jobs">"Jobs"</a>
                        <a href="/account">"Account"</a>
                        <a href="/admin">"Admin"</a>
                        <form method="post" action="/logout" class="logout-form">
                            <button type="submit" class="link-like">"Log out"</button>
                        </form>
                    </nav>
                }
            >
                <span class="brand" data-testid="shared-brand">{mark()}<span>"Tidemark"</span></span>
            </Show>
        </header>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Tidemark".to_string() } else { format!("{page} · Tidemark") }/>
        <Router>
            // The browser, not the router, follows this link: it moves the focus to the content.
            <a href="#content" target="_self" class="skip-link">"Skip to content"</a>
            <TopBar/>
            <main id="content" tabindex="-1">
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/databases/:id") view=pages::DatabasePage ssr=SsrMode::Async/>
                    <Route path=path!("/databases/:id/backups/:backup") view={Lazy::<routes::BackupRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/") view={Lazy::<routes::OverviewRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/jobs") view={Lazy::<routes::JobsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/jobs/:id") view={Lazy::<routes::JobRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/login") view={Lazy::<routes::LoginRoute>::new()}/>
                    <Route path=path!("/account") view={Lazy::<routes::AccountRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view={Lazy::<routes::AdminRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/s/:token") view={Lazy::<routes::SharedJobRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}
