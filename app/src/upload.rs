//! The browser side of uploading a dump to restore: the chosen file goes to the uploads API as the
//! request's body, and the server's verdict comes back.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::model::StagedDump;

/// Sends `file` to the database's uploads; the server stores and checks it. The error is the
/// server's sentence, or says the server could not be reached.
pub async fn send(database: &str, file: web_sys::File) -> Result<StagedDump, String> {
    let unreachable = |_| "The file could not be sent: the server did not answer.".to_string();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&file);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let url = format!("/api/v1/databases/{database}/uploads");
    let request = web_sys::Request::new_with_str_and_init(&url, &init).map_err(unreachable)?;
    let _ = request
        .headers()
        .set("content-type", "application/octet-stream");
    let response: web_sys::Response = JsFuture::from(window_fetch(&request))
        .await
        .map_err(unreachable)?
        .unchecked_into();
    let text = JsFuture::from(response.text().map_err(unreachable)?)
        .await
        .map_err(unreachable)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text).map_err(|_| "The server's answer could not be read.".into())
    } else {
        #[derive(serde::Deserialize)]
        struct ErrorDetail {
            message: String,
        }
        #[derive(serde::Deserialize)]
        struct ErrorBody {
            error: ErrorDetail,
        }
        Err(serde_json::from_str::<ErrorBody>(&text)
            .map(|e| e.error.message)
            .unwrap_or_else(|_| format!("The upload was refused ({}).", response.status())))
    }
}

fn window_fetch(request: &web_sys::Request) -> js_sys::Promise {
    leptos::prelude::window().fetch_with_request(request)
}
