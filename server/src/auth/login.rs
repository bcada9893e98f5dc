//! Logging in and out with the login page's form (it works without scripts).

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::Extensions;
use axum::response::Redirect;
use chrono::Utc;
use serde::Deserialize;
use tidemark_core::auth::{Principal, verify_password};
use tidemark_core::store::AuditEntry;
use tower_sessions::Session;

use super::{LOGIN_AT_KEY, USER_KEY, url_encode};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub next: String,
}

/// Where to go after logging in: only a path on this site.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

/// The client's address, when the server knows it.
pub fn source(ext: &Extensions) -> String {
    ext.get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

async fn audit(state: &AppState, actor: &str, action: &str, outcome: &str, source: &str) {
    let entry = AuditEntry {
        at: Utc::now(),
        actor: actor.to_string(),
        action: action.to_string(),
        database: None,
        target: None,
        outcome: outcome.to_string(),
        source: Some(source.to_string()),
    };
    if let Err(e) = state.jobs.store().audit(&entry).await {
        tracing::error!(error = %e, "cannot write the audit log");
    }
}

/// POST /login: checks the password, opens a session, and goes on to `next`.
pub async fn login_form(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    Form(form): Form<LoginForm>,
) -> Redirect {
    let from = source(&ext);
    let next = safe_next(&form.next).to_string();
    let back =
        |error: &str| Redirect::to(&format!("/login?error={error}&next={}", url_encode(&next)));
    let name = form.name.trim();
    if let Some(wait) = state.login_throttle.blocked(name, &from) {
        audit(&state, name, "login", "throttled", &from).await;
        return back(&format!("throttled-{wait}"));
    }
    let user = match state.jobs.store().user(name).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "cannot read a user");
            return back("unavailable");
        }
    };
    let ok = user
        .as_ref()
        .is_some_and(|u| !u.disabled && verify_password(&form.password, &u.password_hash));
    if !ok {
        state.login_throttle.failed(name, &from);
        audit(&state, name, "login", "wrong name or password", &from).await;
        tracing::info!(user = %name, source = %from, "login refused");
        return back("wrong");
    }
    state.login_throttle.succeeded(name, &from);
    // A new id at login, so a session id planted before cannot be used after.
    if session.cycle_id().await.is_err()
        || session.insert(USER_KEY, name).await.is_err()
        || session
            .insert(LOGIN_AT_KEY, Utc::now().timestamp())
            .await
            .is_err()
    {
        return back("unavailable");
    }
    audit(&state, name, "login", "ok", &from).await;
    tracing::info!(user = %name, source = %from, "logged in");
    Redirect::to(&next)
}

/// POST /logout: ends the session.
pub async fn logout(State(state): State<AppState>, session: Session, ext: Extensions) -> Redirect {
    let principal = ext.get::<Principal>().cloned();
    let _ = session.flush().await;
    if let Some(p) = principal {
        audit(&state, &p.user, "logout", "ok", &source(&ext)).await;
    }
    Redirect::to("/login")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/jobs/1"), "/jobs/1");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
        assert_eq!(safe_next(""), "/");
    }
}
