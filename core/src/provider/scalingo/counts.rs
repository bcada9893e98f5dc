//! How many requests this process sent to Scalingo, by the status of the answer (`error` when
//! none came), for the metrics route.

use std::collections::BTreeMap;
use std::sync::Mutex;

static SENT: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

/// Counts one request and the status it got.
pub(super) fn count(status: &str) {
    let mut sent = SENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *sent.entry(status.to_string()).or_default() += 1;
}

/// Every status seen since start, with its count.
pub fn request_counts() -> Vec<(String, u64)> {
    let sent = SENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    sent.iter().map(|(k, v)| (k.clone(), *v)).collect()
}
