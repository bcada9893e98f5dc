//! The caller of a handler: their principal and address, the role check, and the audit record.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use tidemark_core::auth::{Action, Denied, Principal};
use tidemark_core::store::Store;

use super::login::source;
use crate::api::ApiError;

#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub source: String,
}

impl From<Denied> for ApiError {
    fn from(e: Denied) -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("{}.", capitalise(&e.to_string())),
        )
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
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
    /// Refuses what the role does not allow, and records the refusal.
    pub async fn may(
        &self,
        store: &Store,
        action: Action,
        database: Option<&str>,
    ) -> Result<(), ApiError> {
        if let Err(denied) = self.principal.may(action) {
            self.audit(store, action, database, None, &format!("denied: {denied}"))
                .await;
            return Err(denied.into());
        }
        Ok(())
    }

    /// Records a change and how it ended.
    pub async fn audit(
        &self,
        store: &Store,
        action: Action,
        database: Option<&str>,
        target: Option<&str>,
        outcome: &str,
    ) {
        store
            .record(
                &self.principal.user,
                action,
                database,
                target,
                outcome,
                Some(&self.source),
            )
            .await;
    }

    /// Records a change from its result: the target on success, the error's sentence otherwise.
    pub async fn audit_result<T: std::fmt::Display, E: std::fmt::Display>(
        &self,
        store: &Store,
        action: Action,
        database: Option<&str>,
        result: &Result<T, E>,
    ) {
        match result {
            Ok(target) => {
                self.audit(store, action, database, Some(&target.to_string()), "ok")
                    .await
            }
            Err(e) => {
                self.audit(store, action, database, None, &e.to_string())
                    .await
            }
        }
    }
}
