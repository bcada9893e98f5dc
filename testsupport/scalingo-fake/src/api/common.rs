//! What the fake's routes share: answers in Scalingo's error shapes, the token checks, and the
//! guard that injects faults, rate-limits and records requests.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use crate::{Inner, Recorded, lock};

pub(super) type S = State<Arc<Inner>>;
pub(super) type Answer = Result<Response, Response>;

pub(super) const REGIONS: [(&str, &str); 2] = [
    ("osc-fr1", "Paris - Outscale"),
    ("osc-secnum-fr1", "Paris - SecNumCloud - Outscale"),
];

pub(super) fn json_answer(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

pub(super) fn ok(v: Value) -> Answer {
    Ok(json_answer(StatusCode::OK, v))
}

pub(super) fn error(status: u16, v: Value) -> Response {
    json_answer(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        v,
    )
}

pub(super) fn not_found(resource: &str) -> Response {
    error(404, json!({"resource": resource, "error": "not found"}))
}

pub(super) fn unprocessable(field: &str, message: &str) -> Response {
    error(422, json!({"errors": {field: [message]}}))
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

pub(super) fn user(inner: &Inner, headers: &HeaderMap) -> Result<(), Response> {
    let token = bearer(headers).ok_or_else(|| error(401, json!({"error": "no token given"})))?;
    match lock(&inner.bearer_tokens).get(token) {
        Some(exp) if *exp > Utc::now() => Ok(()),
        Some(_) => Err(error(401, json!({"error": "token expired"}))),
        None => Err(error(401, json!({"error": "invalid token"}))),
    }
}

pub(super) fn addon_user(inner: &Inner, headers: &HeaderMap, addon: &str) -> Result<(), Response> {
    let token = bearer(headers).ok_or_else(|| error(401, json!({"error": "no token given"})))?;
    match lock(&inner.addon_tokens).get(token) {
        Some((_, exp)) if *exp <= Utc::now() => Err(error(401, json!({"error": "token expired"}))),
        Some((a, _)) if a == addon => Ok(()),
        Some(_) => Err(error(
            403,
            json!({"error": "this token is for another database"}),
        )),
        None => Err(error(401, json!({"error": "invalid token"}))),
    }
}

pub(crate) fn expire_tokens(inner: &Inner) {
    let past = Utc::now() - chrono::Duration::seconds(1);
    lock(&inner.bearer_tokens)
        .values_mut()
        .for_each(|e| *e = past);
    lock(&inner.addon_tokens)
        .values_mut()
        .for_each(|e| e.1 = past);
}

/// Faults, the rate limit and the request log, for everything but the control API and downloads.
pub(super) async fn guard(State(inner): S, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let fault = {
        let mut faults = lock(&inner.faults);
        let i = faults.iter().position(|f| {
            path.contains(&f.path_contains)
                && f.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(&method))
        });
        i.map(|i| {
            let f = faults[i].clone();
            faults[i].times -= 1;
            if faults[i].times == 0 {
                faults.remove(i);
            }
            f
        })
    };
    let limited = !path.starts_with("/v1/tokens") && {
        let now = tokio::time::Instant::now();
        let mut sent = lock(&inner.sent);
        while sent
            .front()
            .is_some_and(|t| now - *t >= Duration::from_secs(60))
        {
            sent.pop_front();
        }
        let over = sent.len() >= inner.opts.rate_limit_per_minute as usize;
        if !over {
            sent.push_back(now);
        }
        over
    };
    // Logged on arrival, so that a request whose caller gave up before the answer still shows
    // (with status 0).
    let index = {
        let mut log = lock(&inner.log);
        log.push(Recorded {
            method,
            path,
            query,
            status: 0,
            at: Utc::now(),
        });
        log.len() - 1
    };
    let response = if let Some(f) = fault {
        tokio::time::sleep(f.delay).await;
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match serde_json::from_str::<Value>(&f.body) {
            Ok(v) => json_answer(status, v),
            Err(_) => (status, [(header::CONTENT_TYPE, "text/plain")], f.body).into_response(),
        }
    } else if limited {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CONTENT_TYPE, "text/plain")],
            "Retry later",
        )
            .into_response()
    } else {
        next.run(req).await
    };
    if let Some(r) = lock(&inner.log).get_mut(index) {
        r.status = response.status().as_u16();
    }
    response
}
