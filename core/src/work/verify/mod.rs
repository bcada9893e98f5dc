//! The verification job: proves a logical backup by restoring it on the scratch instance. It
//! checks the archive's SHA-256, restores it as a role without rights beyond its scratch
//! database, compares every table's rows with those counted at backup time, and runs pg_amcheck;
//! the evidence is kept step by step, and the scratch database goes whatever happens.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use sqlx::Connection;

use super::backup::{backups_dir, sha256_of};
use super::dump::StartDumpError;
use super::staging::stage_backup;
use super::upload::upload_path;
use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::jobs::{Job, JobContext, JobKind, JobRequest, JobRunner, WorkOutcome};
use crate::pgtools::pg_amcheck;
use crate::pgtools::pg_restore::{self, FailureWatch, RestoreMode};
use crate::pgtools::runner::run as run_tool;
use crate::pgtools::snapshot::count_rows;
use crate::pgtools::streaming::{Output, Streaming};
use crate::provider::local::scratch::{SCRATCH_PREFIX, ScratchInstance, ScratchSession};
use crate::provider::{BackupMethod, BackupStatus, ProviderKind};
use crate::store::{LogicalBackup, Store};
use tidemark_types::{Evidence, Verification, VerificationOutcome};

/// Everything a verification needs, decided before it starts.
#[derive(Debug, Clone)]
struct VerifyPlan {
    config: Arc<Config>,
    catalog: Catalog,
    store: Store,
    scratch: Arc<ScratchInstance>,
    record: LogicalBackup,
    /// The archive on this server; `None` for a provider's backup, streamed from the provider.
    archive: Option<PathBuf>,
}

/// Starts a verification of one of the database's logical backups as a job.
pub async fn start_verification(
    runner: &JobRunner,
    catalog: &Catalog,
    config: &Arc<Config>,
    scratch: &Arc<ScratchInstance>,
    database: &str,
    backup: &str,
    actor: &Principal,
) -> Result<Job, StartDumpError> {
    let db = catalog.database(database).await?;
    let store = runner.store().clone();
    let not_found = || {
        StartDumpError::NotFound(format!(
            "{} has no finished logical backup with the id '{backup}' to verify.",
            db.name
        ))
    };
    let (record, archive) = if db.provider == ProviderKind::Scalingo {
        // Scalingo keeps the archive and records neither checksum nor counts: it is streamed
        // from Scalingo, and its rows are compared with the previous verified backup's.
        let found = catalog
            .backups(&db.id)
            .await?
            .into_iter()
            .find(|b| {
                b.id == backup
                    && b.status == BackupStatus::Done
                    && matches!(b.method, BackupMethod::Manual | BackupMethod::Periodic)
            })
            .ok_or_else(not_found)?;
        let record = LogicalBackup {
            database: db.id.clone(),
            file_name: format!("Scalingo backup {}", found.id),
            sha256: None,
            row_counts: None,
            backup: found,
        };
        (record, None)
    } else {
        let record = store
            .logical_backups(&db.id)
            .await
            .map_err(|e| StartDumpError::NotSupported(e.to_string()))?
            .into_iter()
            .find(|b| b.backup.id == backup && b.backup.status == BackupStatus::Done)
            .ok_or_else(not_found)?;
        let archive = backups_dir(config, &db.id).join(&record.file_name);
        (record, Some(archive))
    };
    let size = match &archive {
        Some(path) => std::fs::metadata(path)
            .map_err(|_| {
                StartDumpError::NotFound(format!("The archive {} is missing.", path.display()))
            })?
            .len(),
        None => record.backup.size_bytes.unwrap_or_default(),
    };
    check_space(config, size)?;
    let plan = VerifyPlan {
        config: config.clone(),
        catalog: catalog.clone(),
        store,
        scratch: scratch.clone(),
        record,
        archive,
    };
    let request = JobRequest {
        kind: JobKind::Verification,
        database: db.id.clone(),
        started_by: actor.user.clone(),
        params: serde_json::json!({ "backup": backup }),
    };
    let (database, backup) = (plan.record.database.clone(), plan.record.backup.id.clone());
    let store = plan.store.clone();
    let job = runner
        .submit(request, move |ctx| Box::pin(run(ctx, plan)))
        .await?;
    // Recorded from the start, so that a queued verification shows, and is not asked for twice.
    store
        .save_verification(&Verification {
            id: job.id.to_string(),
            database,
            backup,
            started_at: Utc::now(),
            finished_at: None,
            outcome: VerificationOutcome::Running,
            evidence: Evidence::default(),
        })
        .await
        .map_err(|e| StartDumpError::NotSupported(e.to_string()))?;
    Ok(job)
}

/// Space a test restore of an archive of `size` bytes takes, against what the data directory has
/// free: the dump taken out of the archive, and the restored database with its indexes.
fn check_space(config: &Config, size: u64) -> Result<(), StartDumpError> {
    // A gzip'd dump grows about fourfold when taken out; then restored, about threefold again.
    let needed = size.saturating_mul(12);
    let free = crate::sysuser::free_space(&config.data_dir).unwrap_or(u64::MAX);
    if free < needed {
        return Err(StartDumpError::NoSpace(format!(
            "A test restore of this backup needs about {} free in {}, which has {}.",
            tidemark_types::units::size(needed),
            config.data_dir.display(),
            tidemark_types::units::size(free)
        )));
    }
    Ok(())
}

async fn run(ctx: JobContext, plan: VerifyPlan) -> anyhow::Result<WorkOutcome> {
    let mut v = Verification {
        id: ctx.id.to_string(),
        database: plan.record.database.clone(),
        backup: plan.record.backup.id.clone(),
        started_at: Utc::now(),
        finished_at: None,
        outcome: VerificationOutcome::Running,
        evidence: Evidence::default(),
    };
    plan.store.save_verification(&v).await?;
    let result = verify(&ctx, &plan, &mut v.evidence).await;
    v.finished_at = Some(Utc::now());
    let outcome = match result {
        Ok(true) => {
            v.outcome = VerificationOutcome::Passed;
            Ok(WorkOutcome::Succeeded {
                summary: passed_summary(&plan.record, &v.evidence),
                artifact: None,
            })
        }
        Ok(false) => {
            v.outcome = VerificationOutcome::Cancelled;
            Ok(WorkOutcome::Cancelled)
        }
        Err(e) => {
            let sentence = format!("{e:#}");
            v.outcome = VerificationOutcome::Failed;
            v.evidence.failure = Some(sentence.clone());
            Err(anyhow::anyhow!(sentence))
        }
    };
    plan.store.save_verification(&v).await?;
    outcome
}

fn passed_summary(record: &LogicalBackup, e: &Evidence) -> String {
    let rows: u64 = e.tables.iter().filter_map(|t| t.found).sum();
    let counts = if e.tables.iter().all(|t| t.expected.is_some()) {
        "every count equal to the backup's".to_string()
    } else if e.flags.is_empty() {
        "no counts were recorded when it was made".to_string()
    } else {
        format!(
            "{} table(s) shrank by more than half since the previous verified backup",
            e.flags.len()
        )
    };
    format!(
        "{} restores: {} tables, {rows} rows, {counts}; restored in {:.1} s; pg_amcheck found no corruption.",
        record.file_name,
        e.tables.len(),
        e.restore_seconds.unwrap_or_default(),
    )
}

/// The steps, filling `evidence` as they go; `false` when cancelled. The scratch database and
/// the dump taken out of the archive are gone afterwards, however it ended.
async fn verify(
    ctx: &JobContext,
    plan: &VerifyPlan,
    evidence: &mut Evidence,
) -> anyhow::Result<bool> {
    if let Some(archive) = &plan.archive {
        ctx.progress.phase("checking the archive", "", None).await?;
        let path = archive.clone();
        let sha256 = tokio::task::spawn_blocking(move || sha256_of(&path))
            .await
            .context("the checksum task failed")?
            .with_context(|| format!("cannot read the archive {}", archive.display()))?;
        evidence.sha256 = Some(sha256.clone());
        if let Some(recorded) = &plan.record.sha256 {
            evidence.checksum_matches = Some(*recorded == sha256);
            if *recorded != sha256 {
                anyhow::bail!(
                    "The archive's SHA-256 is {sha256}, not the {recorded} recorded when the backup was made: the file has changed since."
                );
            }
        }
    }
    if ctx.cancel.is_cancelled() {
        return Ok(false);
    }

    ctx.progress
        .phase("taking the dump out of the archive", "", None)
        .await?;
    let staged = stage_backup(
        &plan.catalog,
        &plan.store,
        &plan.config,
        &plan.record.database,
        &plan.record.backup.id,
    )
    .await
    .map_err(|e| anyhow::anyhow!("The archive cannot be unpacked: {e}"))?;
    let artifacts = plan.config.artifacts_dir();
    let dump = upload_path(&artifacts, &staged.id).context("the unpacked dump is missing")?;
    let _dump_goes = Removed(dump.clone());

    ctx.progress
        .phase("starting the scratch instance", "", None)
        .await?;
    let session = plan
        .scratch
        .open()
        .await
        .map_err(|e| anyhow::anyhow!("The scratch instance did not start: {e}"))?;
    let name = scratch_name(&ctx.id.to_string());
    let result = restore_and_check(ctx, plan, &session, &name, &dump, evidence).await;
    if let Err(e) = session.drop_database(&name).await {
        tracing::warn!(database = %name, error = %e, "cannot drop a scratch database");
    }
    session.close().await;
    result
}

/// A scratch database's name for a job: the prefix and the id's letters and digits.
fn scratch_name(job: &str) -> String {
    let id: String = job
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(40)
        .collect();
    format!("{SCRATCH_PREFIX}{id}")
}

async fn restore_and_check(
    ctx: &JobContext,
    plan: &VerifyPlan,
    session: &ScratchSession<'_>,
    name: &str,
    dump: &Path,
    evidence: &mut Evidence,
) -> anyhow::Result<bool> {
    session
        .create_database(name)
        .await
        .map_err(|e| anyhow::anyhow!("The scratch database cannot be created: {e}"))?;
    let target = session.verifier(name);
    let bin = &plan.config.pg_bin_dir;

    let listing = run_tool(&pg_restore::list(bin, dump), Duration::from_secs(120))
        .await
        .map_err(|e| anyhow::anyhow!("pg_restore cannot read the dump: {e}"))?;
    let total = u64::try_from(pg_restore::toc_ids(&listing.stdout).len()).unwrap_or_default();
    ctx.progress
        .phase("restoring", "entries", Some(total))
        .await?;
    let mode = RestoreMode {
        jobs: u32::try_from(
            std::thread::available_parallelism()
                .map(std::num::NonZero::get)
                .unwrap_or(1)
                .min(4),
        )
        .unwrap_or(1),
        single_transaction: false,
        role: None,
    };
    let started = Instant::now();
    let cmd = pg_restore::restore(bin, &target, dump, &mode);
    let mut tool = Streaming::spawn(&cmd)?;
    let mut watch = FailureWatch::default();
    let mut done = 0u64;
    let status = loop {
        tokio::select! {
            out = tool.next() => match out? {
                Output::Line(line) => {
                    watch.see(&line);
                    if pg_restore::restored_item(&line).is_some() {
                        done += 1;
                        ctx.progress.advance(done.min(total), None).await?;
                    }
                }
                Output::Exited(status) => break status,
            },
            () = ctx.cancel.cancelled() => {
                tool.stop().await;
                return Ok(false);
            }
        }
    };
    if !status.success() {
        let sentence = match watch.superuser_only() {
            Some(s) => s,
            None => format!("{:#}", tool.failure(status)),
        };
        evidence.restore = Some(format!("pg_restore failed: {sentence}"));
        anyhow::bail!("pg_restore failed: {sentence}");
    }
    let seconds = started.elapsed().as_secs_f64();
    evidence.restore_seconds = Some(seconds);
    evidence.restore = Some(format!(
        "pg_restore restored {total} entries without an error in {seconds:.1} s."
    ));

    ctx.progress.phase("counting rows", "", None).await?;
    let mut conn = target.connect().await?;
    let found = count_rows(&mut conn).await?;
    let _ = conn.close().await;
    evidence.tables = compare(plan.record.row_counts.as_ref(), &found);
    if plan.record.row_counts.is_none() {
        evidence.flags = shrunk_since_last(&plan.store, &plan.record, &found).await?;
        for flag in &evidence.flags {
            ctx.progress.log(flag).await?;
        }
    }
    if let Some(off) = evidence
        .tables
        .iter()
        .find(|t| t.expected.is_some() && !t.matches())
    {
        anyhow::bail!("{}", mismatch(off));
    }
    if ctx.cancel.is_cancelled() {
        return Ok(false);
    }

    ctx.progress
        .phase("checking heap and indexes", "", None)
        .await?;
    session
        .install_amcheck(name)
        .await
        .map_err(|e| anyhow::anyhow!("amcheck cannot be installed: {e}"))?;
    let mut amcheck = Streaming::spawn(&pg_amcheck::check_database(bin, &target))?;
    let mut reported = Vec::new();
    let status = loop {
        tokio::select! {
            out = amcheck.next() => match out? {
                Output::Line(line) => {
                    if reported.len() < 20 {
                        reported.push(line);
                    }
                }
                Output::Exited(status) => break status,
            },
            () = ctx.cancel.cancelled() => {
                amcheck.stop().await;
                return Ok(false);
            }
        }
    };
    if !status.success() {
        let said = reported.join("\n");
        evidence.amcheck = Some(format!("pg_amcheck reported: {said}"));
        anyhow::bail!("pg_amcheck found a problem in the restored database: {said}");
    }
    evidence.amcheck = Some(
        "pg_amcheck found no corruption in any table or B-tree index (with --heapallindexed)."
            .to_string(),
    );
    Ok(true)
}

/// A file removed when dropped.
struct Removed(PathBuf);

impl Drop for Removed {
    fn drop(&mut self) {
        let _ = if self.0.is_dir() {
            std::fs::remove_dir_all(&self.0)
        } else {
            std::fs::remove_file(&self.0)
        };
    }
}

mod evidence;
#[cfg(test)]
mod tests;

use evidence::{compare, mismatch, shrunk_since_last};
