//! Keeps the state database bounded: expired sessions go, and the audit log keeps 400 days and
//! at most 200 000 entries. Runs hourly as a named task.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::database::Store;

/// How long audit entries are kept.
pub const AUDIT_DAYS: i64 = 400;
/// The most audit entries kept, newest first.
pub const AUDIT_MAX_ENTRIES: u32 = 200_000;
const EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub struct Housekeeper {
    pub store: Store,
}

impl Housekeeper {
    pub async fn run(self, token: CancellationToken) -> anyhow::Result<()> {
        crate::periodic::every(EVERY, token, || self.once()).await
    }

    /// One round: what it removed is logged; a failure is logged and tried again next hour.
    pub async fn once(&self) {
        let now = Utc::now();
        match self.store.delete_expired_sessions(now.timestamp()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "removed expired sessions"),
            Err(e) => tracing::warn!(error = %e, "cannot remove expired sessions"),
        }
        let before = now - chrono::Duration::days(AUDIT_DAYS);
        match self.store.prune_audit(before, AUDIT_MAX_ENTRIES).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "removed audit entries past their keeping"),
            Err(e) => tracing::warn!(error = %e, "cannot prune the audit log"),
        }
    }
}
