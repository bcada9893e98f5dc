//! Drills: the cluster restored to a recent moment beside itself, in a directory of its own on a
//! free port, with archiving off; it must replay to the target, promote, and hold the last canary
//! row written before the target and not the first written after. The copy is stopped and its
//! directory removed however the drill ends. Also the repository check, `pgbackrest verify`.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{TimeDelta, Utc};

use super::cluster::{
    BACKUP_TIMEOUT, ManagedCluster, free_port, last_lines, private_dir, write_tidemark_conf,
};
use crate::jobs::JobContext;
use crate::pgtools::pg_ctl::{self, ClusterPaths};
use crate::pgtools::repo_verify::{self, RepoVerdict};
use crate::pgtools::run;
use tidemark_types::{DrillEvidence, units};

/// How long the copy may take to replay and promote.
const REPLAY_WAIT_SECONDS: u32 = 3600;
/// Between the two canary rows a drill writes when the cluster has none recent enough.
const CANARY_GAP: Duration = Duration::from_secs(1);

impl ManagedCluster {
    fn drill_paths(&self) -> ClusterPaths {
        let dir = self.dir.join("drill");
        ClusterPaths {
            bin_dir: self.paths.bin_dir.clone(),
            pgdata: dir.join("pgdata"),
            log_file: dir.join("postgresql.log"),
        }
    }

    fn drill_dir(&self) -> PathBuf {
        self.dir.join("drill")
    }

    /// Stops a copy left running and removes the drill's directory (at start, and after each
    /// drill).
    pub(super) async fn clear_drill(&self) {
        let paths = self.drill_paths();
        if paths.pgdata.join("postmaster.pid").exists() {
            let stop = pg_ctl::stop_immediately(&paths, self.run_as.clone());
            if let Err(e) = run(&stop, Duration::from_secs(60)).await {
                tracing::warn!(cluster = %self.spec.name, error = %e, "the drill's copy did not stop");
            }
        }
        let dir = self.drill_dir();
        if dir.exists()
            && let Err(e) = std::fs::remove_dir_all(&dir)
        {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot remove the drill's directory");
        }
    }

    /// `pgbackrest verify` over the whole repository.
    pub async fn check_repository(&self) -> anyhow::Result<RepoVerdict> {
        let out = run(&self.stanza.verify(self.run_as.clone()), BACKUP_TIMEOUT).await?;
        Ok(repo_verify::parse(&out.stdout))
    }

    /// Runs a drill, filling `evidence` step by step; `false` when cancelled. Nothing of the
    /// copy is left afterwards.
    pub async fn drill(
        &self,
        ctx: &JobContext,
        evidence: &mut DrillEvidence,
    ) -> anyhow::Result<bool> {
        let _turn = self.drill_turn.lock().await;
        self.clear_drill().await;
        let result = self.drill_steps(ctx, evidence).await;
        // Said if it can be; the copy goes whatever happens.
        let _ = ctx
            .progress
            .phase("removing the restored copy", "", None)
            .await;
        self.clear_drill().await;
        result
    }

    async fn drill_steps(
        &self,
        ctx: &JobContext,
        evidence: &mut DrillEvidence,
    ) -> anyhow::Result<bool> {
        let progress = &ctx.progress;
        progress.phase("choosing the target", "", None).await?;
        let info = self.info().await?;
        let newest = info
            .backups
            .iter()
            .filter(|b| !b.error)
            .max_by_key(|b| b.stopped_at)
            .context("there is no finished physical backup to restore from")?
            .clone();
        evidence.backup = Some(newest.label.clone());
        let needed = newest.database_bytes.saturating_mul(2).max(64 << 20);
        let free = crate::sysuser::free_space(&self.dir).unwrap_or(u64::MAX);
        if free < needed {
            bail!(
                "the drill needs about {} free beside the cluster in {}, which has {}",
                units::size(needed),
                self.dir.display(),
                units::size(free)
            );
        }
        // Two canary rows after the backup, and the target between them.
        self.ensure_canary().await?;
        let after_backup = newest.stopped_at + TimeDelta::seconds(1);
        let (before, after) = match self.canary_pair_after(after_backup).await? {
            Some(pair) => pair,
            None => {
                let first = self.write_canary().await?;
                tokio::time::sleep(CANARY_GAP).await;
                (first, self.write_canary().await?)
            }
        };
        let target = before + (after - before) / 2;
        evidence.target = Some(target);
        evidence.canary_before = Some(before);
        evidence.canary_after = Some(after);
        progress
            .phase("archiving the WAL up to now", "", None)
            .await?;
        self.archive_everything().await?;
        if ctx.cancel.is_cancelled() {
            return Ok(false);
        }

        progress
            .phase("restoring files from the backup", "", None)
            .await?;
        let paths = self.drill_paths();
        let run_as = self.run_as.as_ref();
        private_dir(&self.drill_dir(), run_as)?;
        private_dir(&paths.pgdata, run_as)?;
        private_dir(&self.drill_dir().join("run"), run_as)?;
        let restore =
            self.stanza
                .restore_copy(&paths.pgdata, &newest.label, target, self.run_as.clone());
        let Some(restored) = cancellable(ctx, run(&restore, BACKUP_TIMEOUT)).await else {
            return Ok(false);
        };
        restored?;
        let port = free_port()?;
        let settings = pg_ctl::throwaway_settings(port, &self.drill_dir().join("run"));
        write_tidemark_conf(&paths.pgdata, &settings, run_as)?;

        progress
            .phase("replaying WAL up to the target", "", None)
            .await?;
        let started = Instant::now();
        let start = pg_ctl::start(&paths, REPLAY_WAIT_SECONDS, self.run_as.clone());
        let wait = Duration::from_secs(u64::from(REPLAY_WAIT_SECONDS) + 10);
        let Some(began) = cancellable(ctx, run(&start, wait)).await else {
            return Ok(false);
        };
        if let Err(e) = began {
            bail!(
                "the restored copy did not start ({}); its log ends with:\n{}",
                e.to_string().lines().next().unwrap_or_default(),
                last_lines(&paths.log_file, 8)
            );
        }
        let options = self.connect_options("postgres").port(port);
        let deadline = Instant::now() + Duration::from_secs(u64::from(REPLAY_WAIT_SECONDS));
        loop {
            let mut conn = match sqlx::ConnectOptions::connect(&options).await {
                Ok(conn) => conn,
                Err(e) => bail!(
                    "cannot connect to the restored copy ({e}); its log ends with:\n{}",
                    last_lines(&paths.log_file, 8)
                ),
            };
            let recovering: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
                .fetch_one(&mut conn)
                .await?;
            if !recovering {
                break;
            }
            if ctx.cancel.is_cancelled() {
                return Ok(false);
            }
            if Instant::now() > deadline {
                bail!("the restored copy was still replaying after {REPLAY_WAIT_SECONDS} s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        evidence.replay_seconds = Some(started.elapsed().as_secs_f64());

        progress
            .phase("looking for the canary rows", "", None)
            .await?;
        let [has_before, has_after] = self.canary_rows_on(port, [before, after]).await?;
        let when = |t: chrono::DateTime<Utc>| t.format("%H:%M:%S%.3f").to_string();
        let sentence = match (has_before, has_after) {
            (true, false) => format!(
                "the row written at {} (before the target) is there and the row written at {} (after it) is not",
                when(before),
                when(after)
            ),
            (false, _) => format!(
                "the row written at {}, before the target, is missing: replay stopped short of the target",
                when(before)
            ),
            (true, true) => format!(
                "the row written at {}, after the target, is there: replay went past the target",
                when(after)
            ),
        };
        evidence.canary = Some(sentence.clone());
        if !has_before || has_after {
            bail!("The canary check failed: {sentence}.");
        }
        Ok(true)
    }
}

/// Runs `step` unless the job is cancelled first; `None` when it was.
async fn cancellable<T>(ctx: &JobContext, step: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        out = step => Some(out),
        () = ctx.cancel.cancelled() => None,
    }
}
