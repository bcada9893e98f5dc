//! Streaming a file to the client: Content-Length, Range (resume), and the name it is saved as.

use std::path::Path;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::error::ApiError;
use tidemark_core::provider::ArchiveStream;

fn disposition(download_name: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        download_name.replace(['"', '\\', '\r', '\n'], "")
    ))
    .ok()
}

/// An archive fetched from a provider, passed through as it arrives: memory stays flat.
pub(super) fn stream(archive: ArchiveStream) -> Response {
    let mut res = Response::new(axum::body::Body::from_stream(archive.body));
    if archive.partial {
        *res.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(len) = archive.content_length {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    if let Some(v) = archive
        .content_range
        .as_deref()
        .and_then(|r| HeaderValue::from_str(r).ok())
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    if let Some(v) = disposition(&archive.file_name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// The file as a download named `download_name`; `None` when it is not on disk.
/// Memory stays flat whatever the size: the body is read from disk as it is sent.
pub(super) async fn serve(
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
    if let Some(v) = disposition(download_name) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(Some(res))
}
