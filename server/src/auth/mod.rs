//! Who is asking: sessions and API tokens become a `Principal` on every request; anything else is
//! refused, except the login page, the health check, share links and the site's static files.

mod actor;
mod csrf;
mod login;
mod sessions;
mod throttle;

pub use actor::Actor;
pub use login::{login_form, logout, source};
pub use sessions::StateSessions;
pub use throttle::LoginThrottle;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use tidemark_core::auth::{Principal, Via, hash_token};
use tower_sessions::Session;

use crate::api::ApiError;
use crate::state::AppState;

/// Session keys.
pub const USER_KEY: &str = "user";
pub const LOGIN_AT_KEY: &str = "login_at";
/// A session ends this long after login, however active.
pub const ABSOLUTE_EXPIRY: chrono::Duration = chrono::Duration::hours(24);
/// ... and after this long without a request.
pub const IDLE_EXPIRY_SECONDS: i64 = 8 * 3600;

/// What anyone may reach without logging in.
pub fn is_public(path: &str) -> bool {
    // `/_fn/shared_job` takes a share link's token as its credential: a shared page reloads
    // its job through it when the job ends.
    matches!(
        path,
        "/login" | "/api/v1/health" | "/favicon.svg" | "/favicon.ico" | "/_fn/shared_job"
    ) || path.starts_with("/pkg/")
        || path.starts_with("/s/")
}

/// Requests that answer in JSON rather than with pages.
fn wants_json(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/_fn/")
}

fn unauthenticated(path: &str, query: Option<&str>) -> Response {
    if wants_json(path) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Log in, or send an API token as Authorization: Bearer <token>.",
        )
        .into_response();
    }
    let next = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    let encoded: String = url_encode(&next);
    Redirect::to(&format!("/login?next={encoded}")).into_response()
}

/// Percent-encodes everything but unreserved characters.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The principal behind a bearer token: the token's role, never above its owner's current one.
async fn from_token(state: &AppState, token: &str) -> Result<Option<Principal>, ApiError> {
    let store = state.jobs.store();
    let Some(t) = store.use_token(&hash_token(token), Utc::now()).await? else {
        return Ok(None);
    };
    let Some(user) = store.user(&t.user).await? else {
        return Ok(None);
    };
    Ok(Some(Principal {
        user: t.user,
        role: t.role.min(user.role),
        via: Via::Token(t.id),
    }))
}

/// The principal of a live session; a session past its absolute expiry or of a disabled user ends.
async fn from_session(state: &AppState, session: &Session) -> Result<Option<Principal>, ApiError> {
    let name: Option<String> = session.get(USER_KEY).await.ok().flatten();
    let Some(name) = name else { return Ok(None) };
    let login_at: Option<i64> = session.get(LOGIN_AT_KEY).await.ok().flatten();
    let fresh =
        login_at.is_some_and(|t| Utc::now().timestamp() - t < ABSOLUTE_EXPIRY.num_seconds());
    let user = state.jobs.store().user(&name).await?;
    match user {
        Some(u) if fresh && !u.disabled => Ok(Some(Principal {
            user: u.name,
            role: u.role,
            via: Via::Session,
        })),
        _ => {
            let _ = session.flush().await;
            Ok(None)
        }
    }
}

/// The user named by the trusted proxy's header, when the request comes from a trusted proxy.
fn proxy_user(state: &AppState, req: &Request) -> Option<String> {
    let header = state.config.proxy_user_header.as_deref()?;
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    if !state.config.trusted_proxies.contains(&peer) {
        return None;
    }
    let name = req.headers().get(header)?.to_str().ok()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The middleware: finds the principal, checks cross-site requests, refuses the anonymous.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let principal = if let Some(token) = bearer(req.headers()) {
        match from_token(&state, token).await {
            Ok(Some(p)) => Some(p),
            Ok(None) => {
                return ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "This API token is unknown or revoked.",
                )
                .into_response();
            }
            Err(e) => return e.into_response(),
        }
    } else if let Some(name) = proxy_user(&state, &req) {
        match state.jobs.store().user(&name).await {
            Ok(Some(u)) if !u.disabled => Some(Principal {
                user: u.name,
                role: u.role,
                via: Via::Proxy,
            }),
            Ok(_) => {
                tracing::warn!(user = %name, "the proxy named a user Tidemark does not know");
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "unknown_user",
                    format!("The user '{name}' has no Tidemark account; ask an admin to add one."),
                )
                .into_response();
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else if let Some(session) = req.extensions().get::<Session>().cloned() {
        match from_session(&state, &session).await {
            Ok(p) => p,
            Err(e) => return e.into_response(),
        }
    } else {
        None
    };
    if let Some(p) = &principal
        && matches!(p.via, Via::Session | Via::Proxy)
        && let Err(refusal) = csrf::check(req.method(), req.headers())
    {
        return refusal.into_response();
    }
    match principal {
        Some(p) => {
            req.extensions_mut().insert(p);
        }
        None if is_public(&path) => {}
        None => return unauthenticated(&path, req.uri().query()),
    }
    next.run(req).await
}

/// Security headers on every response. Scripts run only from this site or with this response's
/// nonce (the hydration scripts carry it).
pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let shared = req.uri().path().starts_with("/s/");
    let nonce: String = {
        use rand::Rng;
        let bytes: [u8; 16] = rand::thread_rng().r#gen();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    };
    req.extensions_mut()
        .insert(tidemark_app::CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, axum::http::HeaderValue::from_static(v));
    };
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
        h.insert("content-security-policy", v);
    }
    set(h, "x-frame-options", "DENY");
    set(h, "x-content-type-options", "nosniff");
    // A share link's token is in its URL: never pass it on.
    set(
        h,
        "referrer-policy",
        if shared { "no-referrer" } else { "same-origin" },
    );
    res
}
