//! The caller of a handler: their principal and address, as the operations know them.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use tidemark_core::auth::Principal;

use super::login::source;
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub source: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let principal = parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "Log in, or send an API token as Authorization: Bearer <token>.",
                )
            })?;
        Ok(Actor {
            principal,
            source: source(&parts.extensions),
        })
    }
}

impl Actor {
    /// The caller as the operations know them.
    pub fn caller(&self) -> tidemark_core::ops::Caller {
        tidemark_core::ops::Caller::new(self.principal.clone(), Some(self.source.clone()))
    }
}
