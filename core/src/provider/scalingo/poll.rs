//! Following a task Scalingo runs for a job (a point-in-time restore, a backup): one loop that
//! reads it, reports each change of status, waits less often as it drags on, and ends with it.

use std::future::Future;
use std::time::Duration;

use super::error::ScalingoError;
use crate::jobs::JobContext;
use crate::provider::ProviderError;

/// One look at a task.
pub(super) struct Look {
    /// Its status in Scalingo's words: reported when it changes.
    pub(super) status: String,
    /// The phase of the job that status means, if any.
    pub(super) phase: Option<&'static str>,
    /// The log line for a change of status.
    pub(super) line: String,
    /// Set once the task has ended: the job's summary, or why it failed.
    pub(super) end: Option<anyhow::Result<String>>,
}

/// Waits `every` before the `n`th look at a job's progress, or less when the job is cancelled:
/// every poll interval at first, five times less often after ten looks, so that a long
/// restore leaves most of the request budget to the pages.
async fn pause(ctx: &JobContext, every: Duration, n: &mut u32) {
    *n += 1;
    let wait = if *n <= 10 { every } else { every * 5 };
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = ctx.cancel.cancelled() => {}
    }
}

/// Follows a task until it ends, looking `every` so often. A read that fails for a passing reason (Scalingo busy or
/// rate-limiting) is logged and tried again; a cancelled job stops following with `stopped`,
/// as Scalingo goes on regardless.
pub(super) async fn follow_task<F, Fut>(
    ctx: &JobContext,
    every: Duration,
    noun: &str,
    stopped: String,
    mut look: F,
) -> anyhow::Result<String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Look, ScalingoError>>,
{
    let mut last = String::new();
    let mut polls = 0;
    loop {
        let seen = match look().await {
            Ok(seen) => seen,
            // Reads are retried by the client; a blip beyond that is not the task failing.
            Err(e @ (ScalingoError::Unavailable(_) | ScalingoError::RateLimited)) => {
                ctx.progress
                    .log(&format!("Cannot read {noun} status now: {e}"))
                    .await?;
                pause(ctx, every, &mut polls).await;
                continue;
            }
            Err(e) => return Err(ProviderError::from(e).into()),
        };
        if seen.status != last {
            if let Some(phase) = seen.phase {
                ctx.progress.phase(phase, "", None).await?;
            }
            ctx.progress.log(&seen.line).await?;
            last = seen.status;
        }
        if let Some(end) = seen.end {
            return end;
        }
        if ctx.cancel.is_cancelled() {
            anyhow::bail!(stopped);
        }
        pause(ctx, every, &mut polls).await;
    }
}
