//! The browser entry point: hydrates the page the server rendered.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes (the pages besides the Backups tab) need the asynchronous hydration.
    leptos::mount::hydrate_lazy(tidemark_app::App);
}
