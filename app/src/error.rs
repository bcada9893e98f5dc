//! The error a page gets from a server function: the same kinds the operations have, so a page
//! tells "log in" from "not allowed", "no such thing" and "this field is wrong", and only a
//! sentence meant for a person.

use std::fmt;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Nobody is signed in.
    SignIn,
    NotFound,
    Invalid,
    Conflict,
    /// The caller's role does not allow it.
    Denied,
    Unavailable,
    Internal,
    /// The call itself failed on its way (the network, an unreadable request).
    Request,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub kind: ErrorKind,
    /// Stable and machine-readable, as the REST API's.
    pub code: String,
    /// A sentence for a person.
    pub message: String,
    /// The form field at fault, when there is one.
    pub field: Option<String>,
}

impl AppError {
    pub fn new(kind: ErrorKind, code: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.to_string(),
            message: message.into(),
            field: None,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_string()),
            ..Self::new(ErrorKind::Invalid, "invalid_field", message)
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::new(ErrorKind::Request, "request_failed", value.to_string())
    }
}

#[cfg(feature = "ssr")]
mod from_ops {
    use super::*;
    use tidemark_core::ops::{ErrorKind as Ops, OpsError};

    /// The one mapping of an operation's failure to a page's error, with the HTTP status that
    /// goes with it.
    impl From<OpsError> for AppError {
        fn from(e: OpsError) -> Self {
            let (kind, status) = match e.kind {
                Ops::NotFound => (ErrorKind::NotFound, http::StatusCode::NOT_FOUND),
                Ops::Invalid => (ErrorKind::Invalid, http::StatusCode::UNPROCESSABLE_ENTITY),
                Ops::Conflict => (ErrorKind::Conflict, http::StatusCode::CONFLICT),
                Ops::Denied => (ErrorKind::Denied, http::StatusCode::FORBIDDEN),
                Ops::Unavailable => (
                    ErrorKind::Unavailable,
                    http::StatusCode::SERVICE_UNAVAILABLE,
                ),
                Ops::Internal => (ErrorKind::Internal, http::StatusCode::INTERNAL_SERVER_ERROR),
            };
            set_status(status);
            AppError {
                kind,
                code: e.code.to_string(),
                message: e.message,
                field: e.field,
            }
        }
    }

    /// The status the response of this server function call carries.
    pub fn set_status(status: http::StatusCode) {
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(status);
        }
    }
}

#[cfg(feature = "ssr")]
pub use from_ops::set_status;
