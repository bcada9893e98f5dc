//! Point-in-time restore of a managed cluster with pgBackRest, the old data directory kept aside
//! as a safety copy and put back if anything fails before the restored cluster serves.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cluster::{ManagedCluster, io_err, last_lines, private_dir};
use super::error::ClusterError;
use crate::jobs::JobContext;
use crate::pgtools::pg_ctl;
use crate::pgtools::pgbackrest::PhysicalKind;
use crate::pgtools::run;
use crate::provider::SafetyCopy;

/// Marks a restore under way; its text is the safety copy's id. Found at start, it means the
/// server stopped mid-restore, and the safety copy goes back.
const MARKER: &str = "pitr-in-progress";
/// How long WAL archiving may take to catch up before the restore begins.
const ARCHIVE_WAIT: Duration = Duration::from_secs(90);
/// How long replay may take before the restore is given up.
const REPLAY_WAIT_SECONDS: u32 = 3600;

/// What is recorded beside a safety copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct About {
    job: String,
    created_at: DateTime<Utc>,
    restore_time: DateTime<Utc>,
}

impl ManagedCluster {
    fn safety_root(&self) -> PathBuf {
        self.dir.join("safety")
    }

    fn marker(&self) -> PathBuf {
        self.dir.join(MARKER)
    }

    /// Restores the cluster to `target` inside a running job; returns the job's summary.
    pub async fn restore_to(
        &self,
        target: DateTime<Utc>,
        ctx: &JobContext,
    ) -> anyhow::Result<String> {
        let started = Instant::now();
        let progress = &ctx.progress;
        progress
            .phase("making the target reachable", "", None)
            .await?;
        let old_timeline = self.archive_everything().await?;
        let info = self.info().await?;
        let base = info
            .backups
            .iter()
            .filter(|b| !b.error && b.stopped_at <= target)
            .map(|b| b.stopped_at)
            .max()
            .context("no finished physical backup precedes the requested time")?;
        if ctx.cancel.is_cancelled() {
            bail!("cancelled before the database was stopped; nothing changed");
        }

        progress.phase("stopping the database", "", None).await?;
        self.stop().await?;
        progress.phase("keeping a safety copy", "", None).await?;
        let id = ctx.id.to_string();
        let copy = match self.set_aside(&id, target) {
            Ok(copy) => copy,
            Err(failure) => {
                // Whatever was moved goes back, and the database starts again.
                return Err(match self.roll_back(&self.safety_root().join(&id)).await {
                    Ok(()) => failure.context(
                        "the data could not be set aside, so nothing was restored and the database runs as before",
                    ),
                    Err(e) => failure.context(format!(
                        "the data could not be set aside, and starting the database again failed too ({e})"
                    )),
                });
            }
        };

        match self
            .restore_and_start(target, base, old_timeline, ctx)
            .await
        {
            Ok(timeline) => {
                let _ = std::fs::remove_file(self.marker());
                progress.phase("taking a new full backup", "", None).await?;
                let backup = self.backup(PhysicalKind::Full).await;
                let restored = format!(
                    "Restored to {} UTC in {:.0} s; the database runs on timeline {timeline}. The previous data is kept as safety copy {id}.",
                    target.format("%Y-%m-%d %H:%M:%S"),
                    started.elapsed().as_secs_f64()
                );
                Ok(match backup {
                    Ok(()) => {
                        format!("{restored} A new full backup restarts the recoverable window.")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the full backup after a point-in-time restore failed");
                        format!(
                            "{restored} The full backup that should follow failed ({e}); take one before relying on point-in-time recovery."
                        )
                    }
                })
            }
            Err(failure) => {
                progress
                    .phase("putting the previous data back", "", None)
                    .await?;
                match self.roll_back(&copy).await {
                    Ok(()) => Err(failure.context(
                        "the restore failed, so the previous data was put back and the database runs as before",
                    )),
                    Err(e) => Err(failure.context(format!(
                        "the restore failed, and putting the previous data back failed too ({e}); the safety copy is at {}",
                        copy.display()
                    ))),
                }
            }
        }
    }

    /// Makes sure a commit later than any target in the window is in the archive (recovery to a
    /// time stops at the first commit after it), then returns the current timeline.
    pub(super) async fn archive_everything(&self) -> anyhow::Result<u32> {
        let pool = self.pool();
        sqlx::query("SELECT txid_current()").execute(pool).await?;
        let segment: String = sqlx::query_scalar("SELECT pg_walfile_name(pg_switch_wal())")
            .fetch_one(pool)
            .await?;
        let deadline = Instant::now() + ARCHIVE_WAIT;
        loop {
            let (archived, failed): (Option<String>, Option<String>) =
                sqlx::query_as("SELECT last_archived_wal, last_failed_wal FROM pg_stat_archiver")
                    .fetch_one(pool)
                    .await?;
            if archived.as_deref().is_some_and(|a| a >= segment.as_str()) {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "WAL archiving is behind (waiting for {segment}, last archived {}, last failure {}); nothing was changed",
                    archived.as_deref().unwrap_or("none"),
                    failed.as_deref().unwrap_or("none")
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        crate::pgtools::pgbackrest::timeline_of(&segment)
            .with_context(|| format!("cannot read the timeline of {segment}"))
    }

    /// Moves the stopped cluster's data directory into the safety area; marks the restore.
    fn set_aside(&self, id: &str, target: DateTime<Utc>) -> anyhow::Result<PathBuf> {
        let run_as = self.run_as.as_ref();
        let root = self.safety_root();
        private_dir(&root, run_as)?;
        let copy = root.join(id);
        private_dir(&copy, run_as)?;
        let about = About {
            job: id.to_string(),
            created_at: Utc::now(),
            restore_time: target,
        };
        std::fs::write(copy.join("about.json"), serde_json::to_vec_pretty(&about)?)
            .map_err(io_err(&copy))?;
        std::fs::write(self.marker(), id).map_err(io_err(&self.marker()))?;
        let pgdata = &self.paths.pgdata;
        std::fs::rename(pgdata, copy.join("pgdata")).map_err(io_err(pgdata))?;
        private_dir(pgdata, run_as)?;
        Ok(copy)
    }

    /// pgBackRest restore, start, replay to the target, promotion, and a check that it serves.
    async fn restore_and_start(
        &self,
        target: DateTime<Utc>,
        base: DateTime<Utc>,
        old_timeline: u32,
        ctx: &JobContext,
    ) -> anyhow::Result<u32> {
        let progress = &ctx.progress;
        progress
            .phase("restoring files from the backup", "", None)
            .await?;
        run(
            &self.stanza.restore_to_time(target, self.run_as.clone()),
            Duration::from_secs(6 * 3600),
        )
        .await?;
        self.write_settings()?;

        let span = (target - base).num_seconds().max(1) as u64;
        progress
            .phase(
                "replaying WAL up to the target",
                "seconds of history",
                Some(span),
            )
            .await?;
        if let Err(e) = self.start_waiting(REPLAY_WAIT_SECONDS).await {
            bail!(
                "{e}{}",
                if last_lines(&self.paths.log_file, 20)
                    .contains("before configured recovery target")
                {
                    " (the archive ends before the requested time)"
                } else {
                    ""
                }
            );
        }
        let deadline = Instant::now() + Duration::from_secs(u64::from(REPLAY_WAIT_SECONDS));
        loop {
            let (recovering, replayed): (bool, Option<DateTime<Utc>>) =
                sqlx::query_as("SELECT pg_is_in_recovery(), pg_last_xact_replay_timestamp()")
                    .fetch_one(self.pool())
                    .await?;
            if let Some(at) = replayed {
                let done = (at - base).num_seconds().max(0) as u64;
                progress
                    .advance(
                        done,
                        Some(format!("replayed up to {}", at.format("%H:%M:%S"))),
                    )
                    .await?;
            }
            if !recovering {
                break;
            }
            if Instant::now() > deadline {
                bail!("recovery did not finish within {REPLAY_WAIT_SECONDS} s");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        progress.advance(span, None).await?;

        progress
            .phase("checking that it accepts connections", "", None)
            .await?;
        let segment: String = sqlx::query_scalar("SELECT pg_walfile_name(pg_current_wal_lsn())")
            .fetch_one(self.pool())
            .await?;
        let timeline = crate::pgtools::pgbackrest::timeline_of(&segment)
            .with_context(|| format!("cannot read the timeline of {segment}"))?;
        if timeline <= old_timeline {
            bail!("the restored cluster stayed on timeline {timeline}; it was not promoted");
        }
        Ok(timeline)
    }

    /// Puts the safety copy back in place of a failed restore and starts it.
    async fn roll_back(&self, copy: &Path) -> Result<(), ClusterError> {
        tracing::warn!(cluster = %self.spec.name, copy = %copy.display(), "putting the previous data directory back");
        if self.is_running().await {
            let _ = run(
                &pg_ctl::stop_immediately(&self.paths, self.run_as.clone()),
                Duration::from_secs(60),
            )
            .await;
        }
        let pgdata = &self.paths.pgdata;
        let saved = copy.join("pgdata");
        if saved.exists() {
            if pgdata.exists() {
                std::fs::remove_dir_all(pgdata).map_err(io_err(pgdata))?;
            }
            std::fs::rename(&saved, pgdata).map_err(io_err(&saved))?;
        }
        // The data is back in place (or never left): what remains of the copy is its label.
        let _ = std::fs::remove_dir_all(copy);
        let _ = std::fs::remove_file(self.marker());
        self.write_settings()?;
        self.start().await
    }

    /// At start: a restore the server did not see through is undone.
    pub(super) async fn finish_interrupted_pitr(&self) -> Result<(), ClusterError> {
        let Ok(id) = std::fs::read_to_string(self.marker()) else {
            return Ok(());
        };
        let copy = self.safety_root().join(id.trim());
        if !copy.join("pgdata").exists() {
            let _ = std::fs::remove_file(self.marker());
            return Ok(());
        }
        tracing::warn!(cluster = %self.spec.name, "a point-in-time restore was interrupted; putting the previous data back");
        self.roll_back(&copy).await?;
        self.stop().await
    }

    /// The data directories kept aside by point-in-time restores, newest first.
    pub fn safety_copies(&self) -> Vec<SafetyCopy> {
        let Ok(entries) = std::fs::read_dir(self.safety_root()) else {
            return Vec::new();
        };
        let in_progress = std::fs::read_to_string(self.marker()).ok();
        let mut list: Vec<SafetyCopy> = entries
            .flatten()
            .filter_map(|e| {
                let about: About =
                    serde_json::from_slice(&std::fs::read(e.path().join("about.json")).ok()?)
                        .ok()?;
                (in_progress.as_deref().map(str::trim) != Some(about.job.as_str())).then(|| {
                    SafetyCopy {
                        id: about.job,
                        created_at: about.created_at,
                        restore_time: about.restore_time,
                        size_bytes: dir_size(&e.path().join("pgdata")),
                    }
                })
            })
            .collect();
        list.sort_by_key(|c| std::cmp::Reverse(c.created_at));
        list
    }

    /// Deletes a safety copy for good. Returns false when there is none with that id.
    pub fn discard_safety_copy(&self, id: &str) -> Result<bool, ClusterError> {
        if !self.safety_copies().iter().any(|c| c.id == id) {
            return Ok(false);
        }
        let copy = self.safety_root().join(id);
        std::fs::remove_dir_all(&copy).map_err(io_err(&copy))?;
        tracing::info!(cluster = %self.spec.name, copy = id, "discarded a safety copy");
        Ok(true)
    }
}

/// Bytes used by the files under `dir`.
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(_) => e.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}
