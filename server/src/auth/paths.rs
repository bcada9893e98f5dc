//! Request paths at the door: odd spellings are refused before anything routes or authenticates,
//! and the few public routes are matched exactly.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Why a path was refused, for the error's sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OddPath {
    /// A `.` or `..` segment, which a resolver downstream could turn into another path.
    DotSegment,
    /// `%2e`, `%2f`, `%5c` or an encoded control character: a separator or dot in disguise.
    EncodedSeparator,
    /// A backslash, which some clients and servers read as a slash.
    Backslash,
    /// An empty segment (`//`) inside the path.
    EmptySegment,
    /// A byte outside the printable ASCII a URL path may hold.
    BadByte,
}

impl OddPath {
    fn sentence(self) -> &'static str {
        match self {
            OddPath::DotSegment => {
                "The path holds a '.' or '..' segment; ask for the page by its plain address."
            }
            OddPath::EncodedSeparator => {
                "The path holds an encoded dot, slash, backslash or control character; ask for the page by its plain address."
            }
            OddPath::Backslash => {
                "The path holds a backslash; ask for the page by its plain address."
            }
            OddPath::EmptySegment => {
                "The path holds an empty segment ('//'); ask for the page by its plain address."
            }
            OddPath::BadByte => "The path holds a character a URL path cannot carry unencoded.",
        }
    }
}

/// Checks a raw (still percent-encoded) request path.
pub fn check(path: &str) -> Result<(), OddPath> {
    if path.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
        return Err(OddPath::BadByte);
    }
    if path.contains('\\') {
        return Err(OddPath::Backslash);
    }
    let lower = path.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find('%') {
        let hex = rest.get(at + 1..at + 3).unwrap_or("");
        let encoded = u8::from_str_radix(hex, 16).ok();
        if matches!(encoded, Some(b'.' | b'/' | b'\\' | 0x00..=0x1f | 0x7f)) {
            return Err(OddPath::EncodedSeparator);
        }
        rest = &rest[at + 1..];
    }
    if path.split('/').any(|segment| matches!(segment, "." | "..")) {
        return Err(OddPath::DotSegment);
    }
    if path.contains("//") {
        return Err(OddPath::EmptySegment);
    }
    Ok(())
}

/// The middleware: a 400 in the API's error shape for any odd path, before routing or auth.
pub async fn refuse_odd_paths(req: Request, next: Next) -> Response {
    if let Err(odd) = check(req.uri().path()) {
        tracing::info!(reason = ?odd, "refused a request with an odd path");
        return ApiError::new(StatusCode::BAD_REQUEST, "bad_path", odd.sentence()).into_response();
    }
    next.run(req).await
}

/// A share link's token as it appears in its path: `tms_` and letters or digits.
fn share_token(s: &str) -> bool {
    s.strip_prefix("tms_").is_some_and(|body| {
        !body.is_empty() && body.len() <= 64 && body.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// A file of the built site: one plain name under `/pkg/`.
fn site_file(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// What anyone may reach without logging in, matched exactly: the login page, the health check,
/// the site's files, a share link's page and its events, and the server function that reloads
/// a shared page (the link's token is its credential).
pub fn is_public(path: &str) -> bool {
    if matches!(
        path,
        "/login"
            | "/api/v1/health"
            | "/favicon.svg"
            | "/favicon.ico"
            | "/_fn/shared_job"
            | "/_fn/shared_backup"
    ) {
        return true;
    }
    if let Some(name) = path.strip_prefix("/pkg/") {
        return site_file(name);
    }
    if let Some(rest) = path.strip_prefix("/s/") {
        let token = rest.strip_suffix("/events").unwrap_or(rest);
        return share_token(token);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_pass() {
        for p in [
            "/",
            "/databases/demo",
            "/databases/demo/",
            "/api/v1/jobs/20261203-abc/events",
            "/pkg/tidemark-1a2b.wasm",
            "/s/tms_abc",
            "/login",
            "/databases/caf%C3%A9",
            "/a%20b",
        ] {
            assert_eq!(check(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn disguised_paths_are_refused() {
        let cases = [
            ("/s/x/../../databases/demo", OddPath::DotSegment),
            ("/s/x/./databases", OddPath::DotSegment),
            ("/..", OddPath::DotSegment),
            ("/pkg/%2e%2e/databases/demo", OddPath::EncodedSeparator),
            ("/pkg/%2E%2E/databases/demo", OddPath::EncodedSeparator),
            ("/s/x%2f..%2fdatabases", OddPath::EncodedSeparator),
            ("/s/x%5c..", OddPath::EncodedSeparator),
            ("/login%00", OddPath::EncodedSeparator),
            ("/s\\x", OddPath::Backslash),
            ("//databases/demo", OddPath::EmptySegment),
            ("//", OddPath::EmptySegment),
            ("/databases//demo", OddPath::EmptySegment),
            ("/a b", OddPath::BadByte),
            ("/caf\u{e9}", OddPath::BadByte),
        ];
        for (p, why) in cases {
            assert_eq!(check(p), Err(why), "{p}");
        }
    }

    #[test]
    fn public_routes_are_matched_exactly() {
        for p in [
            "/login",
            "/api/v1/health",
            "/pkg/tidemark.css",
            "/pkg/tidemark-3f2a.wasm",
            "/s/tms_Ab12",
            "/s/tms_Ab12/events",
            "/_fn/shared_job",
            "/_fn/shared_backup",
            "/favicon.svg",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in [
            "/login/x",
            "/loginx",
            "/api/v1/health/x",
            "/api/v1/healthz",
            "/pkg/",
            "/pkg/a/b",
            "/pkg/.hidden",
            "/s/x",
            "/s/tms_Ab12/x",
            "/s/tms_Ab12/events/x",
            "/s/tms_/events",
            "/s/",
            "/_fn/shared_job/x",
            "/_fn/shared_backup/x",
            "/_fn/backups_tab",
            "/databases/demo",
        ] {
            assert!(!is_public(p), "{p}");
        }
    }
}
