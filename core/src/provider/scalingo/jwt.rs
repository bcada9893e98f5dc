//! Reads a JWT's expiry without checking its signature: enough to know when to ask for a new one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

/// The `exp` claim of a JWT, if it has one.
pub(super) fn expiry(token: &str) -> Option<DateTime<Utc>> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    DateTime::from_timestamp(claims.get("exp")?.as_i64()?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: &str) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS512","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn the_expiry_comes_from_the_exp_claim() {
        let t = token(r#"{"exp":1700000000,"sub":"u"}"#);
        assert_eq!(expiry(&t).unwrap().timestamp(), 1_700_000_000);
    }

    #[test]
    fn tokens_without_a_readable_exp_have_no_expiry() {
        assert_eq!(expiry("opaque-token"), None);
        assert_eq!(expiry(&token(r#"{"sub":"u"}"#)), None);
        assert_eq!(expiry("a.!!!.b"), None);
    }
}
