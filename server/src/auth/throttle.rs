//! Login backoff per (name, address): a few free tries, then each failure doubles the wait before
//! the next one, up to a ceiling. Nobody can lock another person out from elsewhere, an attempt
//! counts before its password is checked (so parallel guesses cannot all get through), and the
//! memory it keeps is bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before waits begin.
const FREE_TRIES: u32 = 3;
/// The first wait, doubled with each further failure.
const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest wait.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// A pair untouched this long is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);
/// The most pairs kept; the least recently seen go first.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    not_before: Instant,
    seen: Instant,
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<(String, String), Entry>>,
}

/// The wait after `failures` failures.
fn wait_after(failures: u32) -> Duration {
    if failures <= FREE_TRIES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_TRIES - 1).min(20);
    FIRST_WAIT.saturating_mul(1 << doublings).min(MAX_WAIT)
}

impl LoginThrottle {
    fn key(name: &str, source: &str) -> (String, String) {
        (name.to_lowercase(), source.to_string())
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts an attempt at `now`: `Err(seconds to wait)` while this name and address must wait;
    /// otherwise the attempt is counted as a failure until `succeeded` clears it.
    pub fn attempt_at(&self, name: &str, source: &str, now: Instant) -> Result<(), u64> {
        let mut entries = self.entries();
        let key = Self::key(name, source);
        if let Some(e) = entries.get(&key)
            && now < e.not_before
        {
            return Err((e.not_before - now).as_secs().max(1));
        }
        let e = entries.entry(key).or_insert(Entry {
            failures: 0,
            not_before: now,
            seen: now,
        });
        e.failures += 1;
        e.not_before = now + wait_after(e.failures);
        e.seen = now;
        if entries.len() > MAX_ENTRIES {
            Self::prune(&mut entries, now);
        }
        Ok(())
    }

    pub fn attempt(&self, name: &str, source: &str) -> Result<(), u64> {
        self.attempt_at(name, source, Instant::now())
    }

    /// The password was right: this name and address start afresh.
    pub fn succeeded(&self, name: &str, source: &str) {
        self.entries().remove(&Self::key(name, source));
    }

    /// How many pairs are remembered.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets stale pairs, then the least recently seen until a tenth of the room is free.
    fn prune(entries: &mut HashMap<(String, String), Entry>, now: Instant) {
        entries.retain(|_, e| now.duration_since(e.seen) < FORGET_AFTER || now < e.not_before);
        if entries.len() <= MAX_ENTRIES {
            return;
        }
        let mut by_age: Vec<(Instant, (String, String))> =
            entries.iter().map(|(k, e)| (e.seen, k.clone())).collect();
        by_age.sort_by_key(|(seen, _)| *seen);
        let excess = entries.len() - MAX_ENTRIES * 9 / 10;
        for (_, key) in by_age.into_iter().take(excess) {
            entries.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_per_name_and_address_and_nobody_else_is_locked_out() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..FREE_TRIES {
            assert_eq!(t.attempt_at("ann", "10.0.0.1", now), Ok(()));
        }
        // The next try is allowed, then the pair waits a second.
        assert_eq!(t.attempt_at("Ann", "10.0.0.1", now), Ok(()));
        assert_eq!(t.attempt_at("ann", "10.0.0.1", now), Err(1));
        // Ann from her own address, and others from the attacker's, are not held back.
        assert_eq!(t.attempt_at("ann", "10.0.0.2", now), Ok(()));
        assert_eq!(t.attempt_at("bob", "10.0.0.1", now), Ok(()));
        // After the wait, one more try, then twice the wait.
        let later = now + Duration::from_secs(1);
        assert_eq!(t.attempt_at("ann", "10.0.0.1", later), Ok(()));
        assert_eq!(t.attempt_at("ann", "10.0.0.1", later), Err(2));
        t.succeeded("ann", "10.0.0.1");
        assert_eq!(t.attempt_at("ann", "10.0.0.1", later), Ok(()));
    }

    #[test]
    fn waits_stop_growing_at_the_ceiling() {
        assert_eq!(wait_after(FREE_TRIES), Duration::ZERO);
        assert_eq!(wait_after(FREE_TRIES + 1), FIRST_WAIT);
        assert_eq!(wait_after(FREE_TRIES + 3), FIRST_WAIT * 4);
        assert_eq!(wait_after(1000), MAX_WAIT);
    }

    #[test]
    fn memory_stays_bounded() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..(MAX_ENTRIES + 500) {
            let _ = t.attempt_at(&format!("user{i}"), "10.0.0.1", now);
        }
        assert!(t.len() <= MAX_ENTRIES, "{}", t.len());
        assert!(t.len() >= MAX_ENTRIES * 8 / 10);
    }
}
