//! Work done again and again until the server stops: one loop for every periodic task.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Runs `round` now and then every `every`, until `token` is cancelled.
pub async fn every<F, Fut>(
    every: Duration,
    token: CancellationToken,
    mut round: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        round().await;
        tokio::select! {
            () = token.cancelled() => return Ok(()),
            () = tokio::time::sleep(every) => {}
        }
    }
}
