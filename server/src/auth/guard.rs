//! The gate every request passes: a session or an API token becomes a `Principal`, or the
//! request is refused or sent to the login page; and the security headers every answer carries.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tidemark_core::auth::{Principal, Via, hash_token};
use tower_sessions::Session;

use crate::error::ApiError;
use crate::state::AppState;

use super::keys::{LOGIN_AT_KEY, SEEN_AT_KEY, USER_KEY, session_is_live};
use super::login::url_encode;
use super::paths::is_public;

/// Requests that answer in JSON rather than with pages.
fn wants_json(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/_fn/") || path == "/metrics"
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
    let store = state.tm.jobs.store();
    let Some(t) = store
        .use_token(&hash_token(token), state.tm.clock.now())
        .await?
    else {
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

/// A signed-in user who must choose a new password before anything else.
#[derive(Debug, Clone, Copy)]
pub(super) struct PasswordChangeRequired;

/// The principal of a live session, and whether its user must change their password first; a
/// session past its absolute or idle expiry, or of a disabled user, ends.
async fn from_session(
    state: &AppState,
    session: &Session,
) -> Result<Option<(Principal, bool)>, ApiError> {
    let name: Option<String> = session.get(USER_KEY).await.ok().flatten();
    let Some(name) = name else { return Ok(None) };
    let login_at: Option<i64> = session.get(LOGIN_AT_KEY).await.ok().flatten();
    let seen_at: Option<i64> = session.get(SEEN_AT_KEY).await.ok().flatten();
    let now = state.tm.clock.now().timestamp();
    let live = session_is_live(login_at, seen_at, now);
    let user = state.tm.jobs.store().user(&name).await?;
    match user {
        Some(u) if live && !u.disabled => {
            let _ = session.insert(SEEN_AT_KEY, now).await;
            Ok(Some((
                Principal {
                    user: u.name,
                    role: u.role,
                    via: Via::Session,
                },
                u.must_change_password,
            )))
        }
        _ => {
            let _ = session.flush().await;
            Ok(None)
        }
    }
}

/// What a user who must change their password may still reach: the account page and what it
/// calls, the site's files, and logging out.
fn reachable_before_password_change(method: &axum::http::Method, path: &str) -> bool {
    use axum::http::Method;
    matches!(
        (method, path),
        (&Method::GET, "/account")
            | (&Method::POST, "/_fn/account")
            | (&Method::POST, "/_fn/change_password")
            | (&Method::GET, "/api/v1/account")
            | (&Method::POST, "/api/v1/account/password")
            | (&Method::POST, "/logout")
    ) || path.starts_with("/pkg/")
        || path == "/favicon.svg"
}

fn password_change_required(path: &str) -> Response {
    if wants_json(path) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "Choose a new password first (POST /api/v1/account/password): this account still has the one it was given.",
        )
        .into_response();
    }
    Redirect::to(&format!("/account?first=1&next={}", url_encode(path))).into_response()
}

/// The user named by the trusted proxy's header, when the request comes from a trusted proxy.
fn proxy_user(state: &AppState, req: &Request) -> Option<String> {
    let header = state.tm.config.proxy_user_header.as_deref()?;
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    if !state.tm.config.trusted_proxies.contains(&peer) {
        return None;
    }
    let name = req.headers().get(header)?.to_str().ok()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The middleware: finds the client's address and the principal, checks cross-site requests,
/// refuses the anonymous, and holds back a user who must change their password.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    if let Some(addr) =
        super::login::client_address(peer, forwarded, &state.tm.config.trusted_proxies)
    {
        req.extensions_mut()
            .insert(tidemark_core::auth::ClientAddr(addr));
    }
    let mut must_change = false;
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
        match state.tm.jobs.store().user(&name).await {
            Ok(Some(u)) if !u.disabled => Some(Principal {
                user: u.name,
                role: u.role,
                via: Via::Proxy,
            }),
            Ok(_) => {
                let name = super::login::loggable_name(&name);
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
            Ok(Some((p, change))) => {
                must_change = change;
                Some(p)
            }
            Ok(None) => None,
            Err(e) => return e.into_response(),
        }
    } else {
        None
    };
    if let Some(p) = &principal
        && matches!(p.via, Via::Session | Via::Proxy)
        && let Err(refusal) = super::csrf::check(req.method(), req.headers())
    {
        return refusal.into_response();
    }
    if must_change && !reachable_before_password_change(req.method(), &path) {
        return password_change_required(&path);
    }
    match principal {
        Some(p) => {
            if must_change {
                req.extensions_mut().insert(PasswordChangeRequired);
            }
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
