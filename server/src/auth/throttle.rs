//! Login rate limit: a few failed attempts per user name and per address, then a pause.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed within the window before logins are refused.
const MAX_FAILURES: usize = 5;
const WINDOW: Duration = Duration::from_secs(300);

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginThrottle {
    fn keys(name: &str, source: &str) -> [String; 2] {
        [
            format!("user:{}", name.to_lowercase()),
            format!("addr:{source}"),
        ]
    }

    /// `Some(seconds to wait)` while refused.
    pub fn blocked(&self, name: &str, source: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        Self::keys(name, source)
            .iter()
            .filter_map(|k| {
                let list = map.get_mut(k)?;
                list.retain(|t| now.duration_since(*t) < WINDOW);
                (list.len() >= MAX_FAILURES).then(|| {
                    let oldest = list[0];
                    (WINDOW - now.duration_since(oldest)).as_secs().max(1)
                })
            })
            .max()
    }

    pub fn failed(&self, name: &str, source: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for k in Self::keys(name, source) {
            map.entry(k).or_default().push(Instant::now());
        }
    }

    pub fn succeeded(&self, name: &str, source: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for k in Self::keys(name, source) {
            map.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_block_the_name_and_the_address() {
        let t = LoginThrottle::default();
        for _ in 0..4 {
            t.failed("Ann", "10.0.0.1");
        }
        assert_eq!(t.blocked("ann", "10.0.0.1"), None);
        t.failed("ann", "10.0.0.1");
        assert!(
            t.blocked("ann", "10.0.0.9").is_some(),
            "the name is blocked from anywhere"
        );
        assert!(
            t.blocked("bob", "10.0.0.1").is_some(),
            "the address is blocked for any name"
        );
        assert_eq!(t.blocked("bob", "10.0.0.2"), None);
        t.succeeded("ann", "10.0.0.1");
        assert_eq!(t.blocked("ann", "10.0.0.1"), None);
    }
}
