//! Streaming a file to the client: Content-Length, Range (resume), and the name it is saved as.

use std::path::Path;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::error::ApiError;

/// The file as a download named `download_name`; `None` when it is not on disk.
/// Memory stays flat whatever the size: the body is read from disk as it is sent.
pub async fn serve(
    path: &Path,
    download_name: &str,
    request: Request,
) -> Result<Option<Response>, ApiError> {
    let internal = || {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "The file could not be read.",
        )
    };
    let mime = "application/octet-stream".parse().map_err(|_| internal())?;
    // Reads of 1 MiB: far fewer wake-ups than the default 64 KiB, and still a flat memory use.
    let mut res = ServeFile::new_with_mime(path, &mime)
        .with_buf_chunk_size(1024 * 1024)
        .oneshot(request)
        .await
        .map_err(|_| internal())?
        .into_response();
    if res.status() == StatusCode::NOT_FOUND {
        return Ok(None);
    }
    let disposition = format!(
        "attachment; filename=\"{}\"",
        download_name.replace('"', "")
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(Some(res))
}
