//! What every server function starts from: the operations' handle and the caller, from one
//! place. Only the shared page's function goes without a caller.

use std::sync::Arc;

use leptos::prelude::*;
use tidemark_core::ops::{Caller, Tidemark};

use crate::error::{AppError, ErrorKind, set_status};

/// The sentence an anonymous call gets.
pub const LOG_IN_FIRST: &str = "Log in first: this needs a signed-in user.";

fn tidemark() -> Result<Arc<Tidemark>, AppError> {
    use_context::<Arc<Tidemark>>().ok_or_else(|| {
        AppError::new(
            ErrorKind::Internal,
            "internal_error",
            "The server's state is missing from this call.",
        )
    })
}

/// The caller, as the server's authentication found them, or a refusal when nobody is signed
/// in. The address is the one authentication settled on (through trusted proxies).
fn caller() -> Result<Caller, AppError> {
    let parts = use_context::<http::request::Parts>().ok_or_else(|| {
        AppError::new(
            ErrorKind::Internal,
            "internal_error",
            "The request is missing.",
        )
    })?;
    let Some(principal) = parts
        .extensions
        .get::<tidemark_core::auth::Principal>()
        .cloned()
    else {
        set_status(http::StatusCode::UNAUTHORIZED);
        return Err(AppError::new(
            ErrorKind::SignIn,
            "unauthenticated",
            LOG_IN_FIRST,
        ));
    };
    let source = parts
        .extensions
        .get::<tidemark_core::auth::ClientAddr>()
        .map(|a| a.0.to_string());
    Ok(Caller::new(principal, source))
}

/// The handle and the caller: where every server function but the shared page's starts,
/// reads included, so none serves the anonymous.
pub fn signed_in() -> Result<(Arc<Tidemark>, Caller), AppError> {
    let who = caller()?;
    Ok((tidemark()?, who))
}

/// The handle for the public shared page alone, whose link's token is its credential.
pub fn for_share_link() -> Result<Arc<Tidemark>, AppError> {
    tidemark()
}
