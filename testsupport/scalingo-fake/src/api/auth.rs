//! The auth API: the API token exchanged for a bearer token, the regions, the user.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use base64::Engine;
use chrono::Utc;
use serde_json::{Value, json};

use crate::{lock, tokens};

use super::common::{Answer, REGIONS, S, error, ok, user};

pub(super) async fn exchange(State(inner): S, headers: HeaderMap) -> Answer {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    if given
        .as_deref()
        .and_then(|g| g.split_once(':'))
        .map(|(_, p)| p)
        != Some(inner.opts.api_token.as_str())
    {
        return Err(error(401, json!({"error": "invalid API token"})));
    }
    let exp = Utc::now() + chrono::Duration::from_std(inner.opts.token_ttl).unwrap_or_default();
    let token = tokens::issue("user-1", exp);
    lock(&inner.bearer_tokens).insert(token.clone(), exp);
    ok(json!({ "token": token }))
}

pub(super) async fn regions(State(inner): S, headers: HeaderMap) -> Answer {
    user(&inner, &headers)?;
    let list: Vec<Value> = REGIONS
        .iter()
        .enumerate()
        .map(|(i, (name, display))| {
            json!({"name": name, "display_name": display,
                   "api": format!("{}/{name}", inner.base),
                   "database_api": format!("{}/{name}/dbapi", inner.base),
                   "dashboard": format!("{}/dashboard", inner.base),
                   "ssh": format!("ssh.{name}.example:22"), "default": i == 0})
        })
        .collect();
    ok(json!({ "regions": list }))
}

pub(super) async fn user_self(State(inner): S, headers: HeaderMap) -> Answer {
    user(&inner, &headers)?;
    ok(
        json!({"user": {"id": "us-1", "username": "fake", "fullname": "Fake User", "email": "fake@example.com", "flags": {}}}),
    )
}
