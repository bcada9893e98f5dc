//! The control API under /_fake: faults to inject, the request log, expired tokens.

use axum::extract::State;
use axum::http::StatusCode;

use crate::{Fault, Recorded, lock};

use super::common::{S, expire_tokens};

pub(super) async fn control_fault(State(inner): S, axum::Json(f): axum::Json<Fault>) -> StatusCode {
    lock(&inner.faults).push(f);
    StatusCode::NO_CONTENT
}

pub(super) async fn control_requests(State(inner): S) -> axum::Json<Vec<Recorded>> {
    axum::Json(lock(&inner.log).clone())
}

pub(super) async fn control_clear(State(inner): S) -> StatusCode {
    lock(&inner.log).clear();
    StatusCode::NO_CONTENT
}

pub(super) async fn control_expire(State(inner): S) -> StatusCode {
    expire_tokens(&inner);
    StatusCode::NO_CONTENT
}
