//! Cross-site request forgery: a request that changes something with a session cookie must come
//! from Tidemark's own pages, as its Origin (or Referer) header shows. SameSite=Lax cookies are the
//! first defence; this is the second.

use axum::http::{HeaderMap, Method, StatusCode, header};

use crate::error::ApiError;

fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    Some(rest.split('/').next().unwrap_or(rest))
}

pub(super) fn check(method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|h| h.to_str().ok())
        .and_then(host_of);
    match (origin, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "This request did not come from Tidemark's own pages, so it was refused.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_passes_and_other_origins_do_not() {
        let ok = headers(&[
            (header::HOST, "tm.local:3000"),
            (header::ORIGIN, "http://tm.local:3000"),
        ]);
        assert!(check(&Method::POST, &ok).is_ok());
        let evil = headers(&[
            (header::HOST, "tm.local:3000"),
            (header::ORIGIN, "https://evil.example"),
        ]);
        assert!(check(&Method::POST, &evil).is_err());
        let none = headers(&[(header::HOST, "tm.local:3000")]);
        assert!(check(&Method::DELETE, &none).is_err());
        assert!(check(&Method::GET, &none).is_ok());
        let referer = headers(&[
            (header::HOST, "tm.local:3000"),
            (header::REFERER, "http://tm.local:3000/databases/demo"),
        ]);
        assert!(check(&Method::PUT, &referer).is_ok());
    }
}
