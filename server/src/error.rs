//! The API's one error shape: a stable code, a sentence for a person, and the field at fault.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tidemark_core::ops::OpsError;
use tidemark_core::provider::ProviderError;

/// `{"error": {"code": "...", "message": "...", "field": null}}`
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `database_not_found`, `route_not_found`, `provider_unavailable`...
    pub code: &'static str,
    /// What happened, for a person.
    pub message: String,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

/// The request's JSON body, or a 422 saying it is not `what` and why.
pub fn json_body<T>(
    b: Result<axum::Json<T>, axum::extract::rejection::JsonRejection>,
    what: &str,
) -> Result<T, ApiError> {
    b.map(|axum::Json(t)| t).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("The request body is not {what}: {}", e.body_text()),
        )
    })
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }
}

impl From<ProviderError> for ApiError {
    fn from(e: ProviderError) -> Self {
        OpsError::from(e).into()
    }
}

impl From<tidemark_core::store::StoreError> for ApiError {
    fn from(e: tidemark_core::store::StoreError) -> Self {
        OpsError::from(e).into()
    }
}

impl From<tidemark_core::auth::Denied> for ApiError {
    fn from(e: tidemark_core::auth::Denied) -> Self {
        OpsError::from(e).into()
    }
}

/// The one mapping of an operation's failure to HTTP: by its kind, except for codes that HTTP
/// has its own status for.
impl From<OpsError> for ApiError {
    fn from(e: OpsError) -> Self {
        use tidemark_core::ops::ErrorKind;
        let status = match (e.kind, e.code) {
            (_, "upload_too_large" | "body_too_large") => StatusCode::PAYLOAD_TOO_LARGE,
            (_, "disk_full") => StatusCode::INSUFFICIENT_STORAGE,
            (_, "provider_error") => StatusCode::BAD_GATEWAY,
            (ErrorKind::NotFound, _) => StatusCode::NOT_FOUND,
            (ErrorKind::Invalid, _) => StatusCode::UNPROCESSABLE_ENTITY,
            (ErrorKind::Conflict, _) => StatusCode::CONFLICT,
            (ErrorKind::Denied, _) => StatusCode::FORBIDDEN,
            (ErrorKind::Unavailable, _) => StatusCode::SERVICE_UNAVAILABLE,
            (ErrorKind::Internal, _) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError {
            status,
            code: e.code,
            message: e.message,
            field: e.field,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

pub async fn route_not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        format!("There is no API route at {}.", uri.path()),
    )
}

pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} is not allowed on {}.", method, uri.path()),
    )
}

/// Errors the framework writes itself (a path segment that is not a number, an unsupported media
/// type...) get the API's one shape too, with their sentence as the message.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let bytes = axum::body::to_bytes(res.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    let code = match status.as_u16() {
        400 => "bad_request",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        416 => "range_not_satisfiable",
        s if s >= 500 => "internal_error",
        _ => "request_refused",
    };
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("The request was refused.")
            .to_string()
    } else {
        text
    };
    ApiError::new(status, code, message).into_response()
}
