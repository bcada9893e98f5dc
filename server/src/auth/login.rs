//! Logging in and out with the login page's form (it works without scripts).

use std::net::{IpAddr, SocketAddr};

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::Extensions;
use axum::response::Redirect;
use chrono::Utc;
use serde::Deserialize;
use tidemark_core::auth::{ClientAddr, Principal, verify_password};
use tidemark_core::store::AuditEntry;
use tower_sessions::Session;

use super::keys::{LOGIN_AT_KEY, SEEN_AT_KEY, USER_KEY};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub next: String,
}

/// Where to go after logging in: only a path on this site. Browsers drop tabs, line breaks and
/// other control characters from URLs, so `/\t/evil.example` would become `//evil.example`:
/// anything holding whitespace, a control character or a backslash goes home instead.
fn safe_next(next: &str) -> &str {
    let plain = !next
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\');
    if plain && next.starts_with('/') && !next.starts_with("//") {
        next
    } else {
        "/"
    }
}

/// The client's address as authentication found it (through trusted proxies), when known.
pub fn source(ext: &Extensions) -> String {
    ext.get::<ClientAddr>()
        .map(|c| c.0.to_string())
        .or_else(|| {
            ext.get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The client's address: the connection's peer, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
pub(super) fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(chain) = forwarded_for else {
        return Some(peer);
    };
    let mut nearest = peer;
    for hop in chain.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => nearest = ip,
            Ok(ip) => return Some(ip),
            // A malformed hop ends what can be believed.
            Err(_) => return Some(nearest),
        }
    }
    Some(nearest)
}

/// The longest user name kept in logs and the audit log.
const MAX_LOGGED_NAME: usize = 64;

/// A typed name as it may appear in logs: at most 64 characters, control characters shown as '?'.
pub(super) fn loggable_name(name: &str) -> String {
    name.chars()
        .take(MAX_LOGGED_NAME)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// A hash to verify against when the name is unknown, so the answer takes as long either way.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    tidemark_core::auth::hash_password("no account has this password")
        .unwrap_or_else(|_| String::new())
});

/// Checks a password off the async threads (argon2 is slow on purpose); an unknown or disabled
/// user is checked against a dummy hash and fails.
async fn password_matches(user: Option<tidemark_core::store::User>, password: String) -> bool {
    tokio::task::spawn_blocking(move || match user {
        Some(u) if !u.disabled => verify_password(&password, &u.password_hash),
        _ => {
            let _ = verify_password(&password, &DUMMY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false)
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
    if let Err(e) = state.tm.jobs.store().audit(&entry).await {
        tracing::error!(error = %e, "cannot write the audit log");
    }
}

/// POST /login: checks the password, opens a session, and goes on to `next`.
pub async fn login_form(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    // A login posted from another site would sign the browser in as the attacker.
    if let Err(refusal) = super::csrf::check(&axum::http::Method::POST, &headers) {
        return refusal.into_response();
    }
    let from = source(&ext);
    let next = safe_next(&form.next).to_string();
    let back = |error: &str| {
        Redirect::to(&format!("/login?error={error}&next={}", url_encode(&next))).into_response()
    };
    let name = form.name.trim();
    let logged = loggable_name(name);
    // Counted before the password is checked, so guesses sent together cannot all get through.
    if let Err(wait) = state.login_throttle.attempt(name, &from) {
        audit(&state, &logged, "login", "throttled", &from).await;
        return back(&format!("throttled-{wait}"));
    }
    let user = if name.chars().count() > MAX_LOGGED_NAME {
        None
    } else {
        match state.tm.jobs.store().user(name).await {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(error = %e, "cannot read a user");
                return back("unavailable");
            }
        }
    };
    let must_change = user.as_ref().is_some_and(|u| u.must_change_password);
    if !password_matches(user, form.password).await {
        audit(&state, &logged, "login", "wrong name or password", &from).await;
        tracing::info!(user = %logged, source = %from, "login refused");
        return back("wrong");
    }
    state.login_throttle.succeeded(name, &from);
    // A new id at login, so a session id planted before cannot be used after.
    let now = state.tm.clock.now().timestamp();
    if session.cycle_id().await.is_err()
        || session.insert(USER_KEY, name).await.is_err()
        || session.insert(LOGIN_AT_KEY, now).await.is_err()
        || session.insert(SEEN_AT_KEY, now).await.is_err()
    {
        return back("unavailable");
    }
    audit(&state, name, "login", "ok", &from).await;
    tracing::info!(user = %name, source = %from, "logged in");
    if must_change {
        return Redirect::to(&format!("/account?first=1&next={}", url_encode(&next)))
            .into_response();
    }
    Redirect::to(&next).into_response()
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

/// Percent-encodes everything but unreserved characters.
pub(super) fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/jobs/1"), "/jobs/1");
        assert_eq!(safe_next("/jobs?state=failed"), "/jobs?state=failed");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
        assert_eq!(safe_next("/\t/evil.example"), "/");
        assert_eq!(safe_next("/\n/evil.example"), "/");
        assert_eq!(safe_next("/ /evil.example"), "/");
        assert_eq!(safe_next("/\u{0}/evil"), "/");
        assert_eq!(safe_next(""), "/");
    }

    #[test]
    fn the_client_is_behind_trusted_proxies_only() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let inner: IpAddr = "10.0.0.3".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let trusted = [proxy, inner];
        // Straight from a client: its own address, whatever it claims.
        assert_eq!(
            client_address(Some(client), Some("1.2.3.4"), &trusted),
            Some(client)
        );
        // Through the proxy: the nearest untrusted hop, not what the client wrote first.
        assert_eq!(
            client_address(Some(proxy), Some("1.2.3.4, 203.0.113.7"), &trusted),
            Some(client)
        );
        assert_eq!(
            client_address(Some(proxy), Some("203.0.113.7, 10.0.0.3"), &trusted),
            Some(client)
        );
        assert_eq!(client_address(Some(proxy), None, &trusted), Some(proxy));
        assert_eq!(
            client_address(Some(proxy), Some("garbage"), &trusted),
            Some(proxy)
        );
    }

    #[test]
    fn names_in_logs_are_short_and_plain() {
        assert_eq!(loggable_name("ann"), "ann");
        assert_eq!(loggable_name("a\nFAKE log line"), "a?FAKE log line");
        assert_eq!(loggable_name(&"x".repeat(500)).len(), 64);
    }
}
