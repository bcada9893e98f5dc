//! Bearer secrets (API tokens, share links): random, shown once, stored as SHA-256 hashes.

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// A token as handed to its owner once; only its hash is stored.
pub type ApiTokenSecret = Secret<String>;

/// A new secret with a prefix that says what it is (`tm_` for API tokens, `tms_` for share links).
pub fn new_token(prefix: &str) -> ApiTokenSecret {
    let body: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    Secret::new(format!("{prefix}{body}"))
}

/// What is stored and looked up: the hex SHA-256 of the token.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unguessable_and_stored_by_hash() {
        let t = new_token("tm_");
        assert!(t.expose().starts_with("tm_"));
        assert_eq!(t.expose().len(), 43);
        assert_ne!(t.expose(), new_token("tm_").expose());
        let h = hash_token(t.expose());
        assert_eq!(h.len(), 64);
        assert_eq!(h, hash_token(t.expose()));
        assert!(!h.contains(&t.expose()[3..]));
    }
}
