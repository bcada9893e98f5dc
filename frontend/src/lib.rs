//! The browser entry point: hydrates the page the server rendered.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes (the pages besides the Backups tab) need the asynchronous hydration; the body
    // is marked once the whole page, a lazy route's code included, is live.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document()
            .body()
            .expect("the page has a body");
        let owner = leptos::mount::hydrate_from_async(body.clone(), tidemark_app::App).await;
        owner.forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
