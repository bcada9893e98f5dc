//! JWT-shaped tokens with an expiry, as Scalingo issues: the bearer token and addon tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

/// A token whose payload names its subject and expiry; the signature is random.
pub(crate) fn issue(subject: &str, expires: DateTime<Utc>) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS512","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(
        serde_json::json!({ "sub": subject, "exp": expires.timestamp(), "iss": "scalingo-fake" })
            .to_string(),
    );
    let sig: String = (0..32)
        .map(|_| char::from(b'a' + rand::random::<u8>() % 26))
        .collect();
    format!("{header}.{payload}.{sig}")
}
