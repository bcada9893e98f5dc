//! Request bodies are small except where a file is sent: server functions, forms and the API's
//! JSON get a cap, checked against `Content-Length` at once and counted while the body is read.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The most a server function, form or JSON request may send.
pub const MAX_SMALL_BODY: usize = 64 * 1024;

/// Routes that receive files, which have their own, larger limit.
fn receives_a_file(path: &str) -> bool {
    path.strip_prefix("/api/v1/databases/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, tail)| tail == "uploads")
}

fn too_large() -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!(
            "The request body is larger than {MAX_SMALL_BODY} bytes, the most this route takes."
        ),
    )
    .into_response()
}

/// The middleware.
pub async fn limit_small_bodies(req: Request, next: Next) -> Response {
    if receives_a_file(req.uri().path()) {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_SMALL_BODY as u64) {
        return too_large();
    }
    // Read here, whole, up to the cap: a body sent without a length is judged the same way,
    // and the handlers behind get it at once.
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_SMALL_BODY).await {
        Ok(b) => b,
        Err(_) => return too_large(),
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_upload_routes_take_files() {
        assert!(receives_a_file("/api/v1/databases/demo/uploads"));
        assert!(!receives_a_file("/api/v1/databases/demo/restores"));
        assert!(!receives_a_file("/api/v1/databases/demo/backups/x/uploads"));
        assert!(!receives_a_file("/_fn/start_restore"));
        assert!(!receives_a_file("/api/v1/databases/uploads"));
    }
}
