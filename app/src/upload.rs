//! The browser side of uploading a dump to restore: the chosen file goes to the uploads API as the
//! request's body, with its progress as it is sent, and the server's verdict comes back.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ProgressEvent, XmlHttpRequest};

use crate::model::StagedDump;

/// Sends `file` to the database's uploads; `on_progress` hears how many bytes have gone. The
/// server stores and checks it; the error is the server's sentence, or says it could not be reached.
pub(crate) async fn send(
    database: &str,
    file: web_sys::File,
    on_progress: impl Fn(u64) + 'static,
) -> Result<StagedDump, String> {
    const UNREACHABLE: &str = "The file could not be sent: the server did not answer.";
    let unreachable = |_: wasm_bindgen::JsValue| UNREACHABLE.to_string();
    let url = format!("/api/v1/databases/{database}/uploads");
    // XMLHttpRequest rather than fetch: only it reports an upload's progress.
    let xhr = XmlHttpRequest::new().map_err(unreachable)?;
    xhr.open_with_async("POST", &url, true)
        .map_err(unreachable)?;
    xhr.set_request_header("content-type", "application/octet-stream")
        .map_err(unreachable)?;
    let progress = Closure::<dyn Fn(ProgressEvent)>::new(move |e: ProgressEvent| {
        on_progress(e.loaded() as u64);
    });
    xhr.upload()
        .map_err(unreachable)?
        .set_onprogress(Some(progress.as_ref().unchecked_ref()));
    // `loadend` comes last, whether the request succeeded, failed or was aborted.
    let ended = js_sys::Promise::new(&mut |resolve, _| xhr.set_onloadend(Some(&resolve)));
    xhr.send_with_opt_blob(Some(&file)).map_err(unreachable)?;
    let _ = JsFuture::from(ended).await;
    drop(progress);
    let status = xhr.status().unwrap_or(0);
    if status == 0 {
        return Err(UNREACHABLE.to_string());
    }
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    if (200..300).contains(&status) {
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
            .unwrap_or_else(|_| format!("The upload was refused ({status}).")))
    }
}
