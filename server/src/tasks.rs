//! Named background tasks that all stop with the server through one cancellation token.

use std::future::Future;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Spawns tasks by name and waits for them at shutdown.
#[derive(Debug, Clone, Default)]
pub struct Tasks {
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Tasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// The token every task watches; cancelling it starts the shutdown.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Runs `task` until it ends or the server stops; its end is logged with its name.
    pub fn spawn<F>(&self, name: &'static str, task: F)
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let token = self.token.clone();
        self.tracker.spawn(async move {
            tracing::debug!(task = name, "task started");
            tokio::select! {
                result = task => match result {
                    Ok(()) => tracing::debug!(task = name, "task finished"),
                    Err(e) => tracing::error!(task = name, error = %e, "task failed"),
                },
                () = token.cancelled() => tracing::debug!(task = name, "task cancelled"),
            }
        });
    }

    /// Cancels every task and waits until all have returned.
    pub async fn shutdown(&self) {
        self.token.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_stops_tasks_that_would_never_end_on_their_own() {
        let tasks = Tasks::new();
        tasks.spawn("forever", async {
            std::future::pending::<()>().await;
            Ok(())
        });
        assert_eq!(tasks.tracker.len(), 1);
        tokio::time::timeout(std::time::Duration::from_secs(5), tasks.shutdown())
            .await
            .expect("shutdown returned");
        assert!(tasks.tracker.is_empty());
    }
}
