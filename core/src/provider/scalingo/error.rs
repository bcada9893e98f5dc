//! What can go wrong talking to Scalingo: HTTP statuses become variants here, never in the pages.

use std::fmt;

/// One field the API refused, with its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub messages: Vec<String>,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.messages.join(", "))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScalingoError {
    /// 401 even after a new token exchange.
    #[error(
        "Scalingo refused the API token. Check that SCALINGO_API_TOKEN holds a valid token that has not been revoked."
    )]
    Unauthorized,
    /// 403: the token's owner lacks the rights.
    #[error(
        "Scalingo refused the request: {0}. The token's owner may not have enough rights on this app."
    )]
    Forbidden(String),
    /// 404, naming what was missing.
    #[error("Scalingo has no such {resource}.")]
    NotFound { resource: String },
    /// 422, field by field.
    #[error("Scalingo refused the request: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// 400, 402 or 409: refused with a message a person can act on.
    #[error("Scalingo refused the request: {message}")]
    Rejected { status: u16, message: String },
    /// 429, still after backing off.
    #[error("Scalingo is limiting the request rate; try again in a minute.")]
    RateLimited,
    /// 5xx or no answer in time, still after retrying where that is safe.
    #[error("Scalingo is not answering ({0}); try again later.")]
    Unavailable(String),
    /// An answer that does not have the documented shape.
    #[error("Scalingo sent an answer Tidemark cannot read: {0}")]
    Unexpected(String),
}

impl ScalingoError {
    /// Whether a request that got this error can be sent again without harm.
    pub fn is_transient(&self) -> bool {
        matches!(self, ScalingoError::Unavailable(_))
    }
}
