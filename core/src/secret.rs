//! A wrapper for secrets (passwords, tokens) that cannot be printed or logged by accident.

use std::fmt;

/// A secret value: `Debug` and `Display` print a placeholder, only `expose` gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself; call it only where the secret leaves for its one legitimate use.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Read from configuration; never written back out.
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Secret)
    }
}

impl From<String> for Secret<String> {
    fn from(value: String) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("hunter2".to_string());
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }
}

/// Replaces every occurrence of the given secrets in `text` with `***`.
pub fn redact(text: &str, secrets: &[&Secret<String>]) -> String {
    secrets
        .iter()
        .filter(|s| !s.expose().is_empty())
        .fold(text.to_string(), |acc, s| {
            acc.replace(s.expose().as_str(), "***")
        })
}

#[cfg(test)]
mod redact_tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_wherever_they_appear() {
        let pw = Secret::new("hunter2".to_string());
        let empty = Secret::new(String::new());
        assert_eq!(
            redact(
                "url postgres://u:hunter2@h/db and hunter2 again",
                &[&pw, &empty]
            ),
            "url postgres://u:***@h/db and *** again"
        );
    }
}
