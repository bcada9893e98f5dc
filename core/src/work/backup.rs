//! Logical backups as jobs: pg_dump in custom format, packed into a `.tar.gz` archive named with a
//! UTC timestamp and the database (as Scalingo's are), and recorded in the backups catalogue.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::Utc;

use super::dump::{self, DumpPlan, StartDumpError, human_size};
use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::jobs::{Job, JobKind};
use crate::jobs::{JobContext, JobRequest, JobRunner, WorkOutcome};
use crate::pgtools::snapshot::RowCounts;
use crate::provider::{Backup, BackupMethod, BackupStatus, Database, ProviderKind};
use crate::schedule::retention::{self, Candidate, CandidateKind, RetentionPolicy};
use crate::store::{LogicalBackup, Store};
use tidemark_types::VerificationOutcome;

/// Where a database's archives are kept.
pub fn backups_dir(config: &Config, database: &str) -> PathBuf {
    config.data_dir.join("backups").join(database)
}

/// The name a backup Tidemark takes on its own at start is recorded under.
pub const FIRST_BACKUP: &str = "tidemark";

/// Takes a first logical backup of a database that has none, so that there is something to
/// download and to prove from the start; `None` when it has one already.
pub async fn first_backup_if_none(
    runner: &JobRunner,
    catalog: &Catalog,
    config: &Config,
    database: &str,
) -> Result<Option<Job>, StartDumpError> {
    let none_yet = runner
        .store()
        .logical_backups(database)
        .await
        .map_err(|e| StartDumpError::NotSupported(e.to_string()))?
        .is_empty();
    if !none_yet {
        return Ok(None);
    }
    let principal = Principal::system(FIRST_BACKUP);
    start_backup(
        runner,
        catalog,
        config,
        database,
        BackupMethod::Manual,
        &principal,
    )
    .await
    .map(Some)
}

/// Starts a logical backup of the database as a job; returns the queued job at once.
pub async fn start_backup(
    runner: &JobRunner,
    catalog: &Catalog,
    config: &Config,
    database: &str,
    method: BackupMethod,
    actor: &Principal,
) -> Result<Job, StartDumpError> {
    let started_by = actor.user.as_str();
    let db = catalog.database(database).await?;
    if !db.features.manual_backups {
        return Err(StartDumpError::NotSupported(format!(
            "{} does not take logical backups here.",
            db.name
        )));
    }
    if db.provider == ProviderKind::Scalingo {
        return start_provider_backup(runner, catalog, &db, started_by).await;
    }
    let plan = DumpPlan {
        pg_bin_dir: config.pg_bin_dir.clone(),
        target: catalog.connection(database).await?,
        artifacts_dir: backups_dir(config, &db.id),
        database_id: db.id.clone(),
        count_rows: true,
    };
    let store = runner.store().clone();
    let retention = config.retention;
    let request = JobRequest {
        kind: JobKind::Backup,
        database: db.id.clone(),
        started_by: started_by.to_string(),
        params: serde_json::json!({
            "method": method.as_str(),
            "database": db.main_database,
        }),
    };
    Ok(runner
        .submit(request, move |ctx| {
            Box::pin(run(ctx, plan, store, method, retention))
        })
        .await?)
}

/// A backup the provider takes itself (Scalingo), followed as a job until it is done.
async fn start_provider_backup(
    runner: &JobRunner,
    catalog: &Catalog,
    db: &Database,
    started_by: &str,
) -> Result<Job, StartDumpError> {
    let (db, provider) = catalog.resolve(&db.id).await?;
    let request = JobRequest {
        kind: JobKind::Backup,
        database: db.id.clone(),
        started_by: started_by.to_string(),
        params: serde_json::json!({ "method": "manual", "database": db.main_database, "taken_by": "scalingo" }),
    };
    Ok(runner
        .submit(request, move |ctx| {
            Box::pin(async move {
                let summary = provider.provider_backup(&db.id, &ctx).await?;
                Ok(WorkOutcome::Succeeded {
                    summary,
                    artifact: None,
                })
            })
        })
        .await?)
}

async fn run(
    ctx: JobContext,
    plan: DumpPlan,
    store: Store,
    method: BackupMethod,
    retention: RetentionPolicy,
) -> anyhow::Result<WorkOutcome> {
    let started = Instant::now();
    let stamp = Utc::now();
    let base = format!("{}_{}", stamp.format("%Y%m%d%H%M%S"), plan.database_id);
    let mut record = LogicalBackup {
        backup: Backup {
            id: ctx.id.to_string(),
            created_at: stamp,
            finished_at: None,
            size_bytes: None,
            status: BackupStatus::Running,
            method,
        },
        database: plan.database_id.clone(),
        file_name: format!("{base}.tar.gz"),
        sha256: None,
        row_counts: None,
    };
    store.save_logical_backup(&record).await?;

    let result = dump_and_pack(&ctx, &plan, &base, &record.file_name).await;
    record.backup.finished_at = Some(Utc::now());
    match result {
        Ok(Some(packed)) => {
            let size = packed.size_bytes;
            record.backup.status = BackupStatus::Done;
            record.backup.size_bytes = Some(size);
            record.sha256 = Some(packed.sha256);
            record.row_counts = packed.row_counts;
            store.save_logical_backup(&record).await?;
            let deleted = apply_retention(&ctx, &store, &plan, &retention).await?;
            Ok(WorkOutcome::Succeeded {
                summary: format!(
                    "Backed up into {} ({}) in {:.1} s.{}",
                    record.file_name,
                    human_size(size),
                    started.elapsed().as_secs_f64(),
                    match deleted {
                        0 => String::new(),
                        1 => " Retention deleted 1 older backup.".to_string(),
                        n => format!(" Retention deleted {n} older backups."),
                    }
                ),
                artifact: None,
            })
        }
        other => {
            record.backup.status = BackupStatus::Error;
            store.save_logical_backup(&record).await?;
            match other {
                Ok(_) => Ok(WorkOutcome::Cancelled),
                Err(e) => Err(e),
            }
        }
    }
}

/// Deletes the database's archives that retention no longer keeps; each deletion is logged with
/// its reason, in the server log and the job's. Returns how many went.
async fn apply_retention(
    ctx: &JobContext,
    store: &Store,
    plan: &DumpPlan,
    policy: &RetentionPolicy,
) -> anyhow::Result<usize> {
    let all = store.logical_backups(&plan.database_id).await?;
    // Each backup's latest verification, newest first: those that passed are proven.
    let mut latest: std::collections::HashMap<String, VerificationOutcome> = Default::default();
    for v in store.verifications(&plan.database_id, 1000).await? {
        latest.entry(v.backup).or_insert(v.outcome);
    }
    let candidates: Vec<Candidate> = all
        .iter()
        .filter(|b| matches!(b.backup.status, BackupStatus::Done | BackupStatus::Error))
        .map(|b| Candidate {
            id: b.backup.id.clone(),
            created_at: b.backup.created_at,
            kind: if b.backup.method == BackupMethod::Periodic {
                CandidateKind::Scheduled
            } else {
                CandidateKind::Manual
            },
            successful: b.backup.status == BackupStatus::Done,
            verified: latest.get(&b.backup.id) == Some(&VerificationOutcome::Passed),
        })
        .collect();
    let deletions = retention::plan(&candidates, policy, Utc::now());
    for d in &deletions {
        let Some(b) = all.iter().find(|b| b.backup.id == d.id) else {
            continue;
        };
        let path = plan.artifacts_dir.join(&b.file_name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(anyhow::Error::from(e)
                    .context(format!("retention cannot delete {}", path.display())));
            }
        }
        store.delete_logical_backup(&d.id).await?;
        tracing::info!(database = %plan.database_id, backup = %d.id, file = %b.file_name, reason = %d.reason, "retention deleted a backup");
        ctx.progress
            .log(&format!(
                "Retention deleted {} ({}): {}",
                b.file_name, d.id, d.reason
            ))
            .await?;
    }
    Ok(deletions.len())
}

/// Starts a full physical backup of the database as a job.
pub async fn start_physical_backup(
    runner: &JobRunner,
    catalog: &Catalog,
    database: &str,
    actor: &Principal,
) -> Result<Job, StartDumpError> {
    let started_by = actor.user.as_str();
    let (db, provider) = catalog.resolve(database).await?;
    if !db.features.pitr {
        return Err(StartDumpError::NotSupported(format!(
            "{} takes no physical backups here.",
            db.name
        )));
    }
    let request = JobRequest {
        kind: JobKind::Backup,
        database: db.id.clone(),
        started_by: started_by.to_string(),
        params: serde_json::json!({ "method": PHYSICAL_FULL }),
    };
    let id = db.id.clone();
    Ok(runner
        .submit(request, move |ctx| {
            Box::pin(async move {
                let summary = provider.physical_backup(&id, &ctx).await?;
                Ok(WorkOutcome::Succeeded {
                    summary,
                    artifact: None,
                })
            })
        })
        .await?)
}

/// The `method` parameter of physical backup jobs.
pub const PHYSICAL_FULL: &str = "physical_full";

/// A finished archive: its size, its SHA-256, and the rows counted in the dump's snapshot.
#[derive(Debug)]
struct Packed {
    size_bytes: u64,
    sha256: String,
    row_counts: Option<RowCounts>,
}

/// The archive, or `None` when cancelled. Nothing partial is left either way.
async fn dump_and_pack(
    ctx: &JobContext,
    plan: &DumpPlan,
    base: &str,
    file_name: &str,
) -> anyhow::Result<Option<Packed>> {
    let dump_path = plan.artifacts_dir.join(format!("{}.pgsql", ctx.id));
    let Some(dumped) = dump::dump_to(ctx, plan, &dump_path, "dumping tables").await? else {
        return Ok(None);
    };
    ctx.progress.phase("packing the archive", "", None).await?;
    let archive = plan.artifacts_dir.join(file_name);
    let member = format!("{base}.pgsql");
    let (from, to) = (dump_path.clone(), archive.clone());
    let packed = tokio::task::spawn_blocking(move || pack(&from, &member, &to))
        .await
        .context("the packing task failed")?;
    let _ = std::fs::remove_file(&dump_path);
    packed?;
    let size = std::fs::metadata(&archive)
        .context("the archive is missing")?
        .len();
    ctx.progress.bytes(size).await?;
    let path = archive.clone();
    let sha256 = tokio::task::spawn_blocking(move || sha256_of(&path))
        .await
        .context("the checksum task failed")?
        .with_context(|| format!("cannot read {} to checksum it", archive.display()))?;
    Ok(Some(Packed {
        size_bytes: size,
        sha256,
        row_counts: dumped.row_counts,
    }))
}

/// The SHA-256 of a file, in lower-case hex.
pub fn sha256_of(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Writes `dump` into a gzip'd tar archive as `member`, under a partial name until complete.
fn pack(dump: &Path, member: &str, archive: &Path) -> anyhow::Result<()> {
    let partial = archive.with_extension("partial");
    let result = (|| -> anyhow::Result<()> {
        let file = std::fs::File::create(&partial)?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        tar.append_path_with_name(dump, member)?;
        tar.into_inner()?.finish()?.sync_all()?;
        std::fs::rename(&partial, archive)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result.with_context(|| format!("cannot write the archive {}", archive.display()))
}

/// The archive of a database's backup: by id, or `latest` for the newest successful one.
pub async fn find_archive(
    store: &Store,
    config: &Config,
    database: &str,
    backup: &str,
) -> Result<Option<(LogicalBackup, PathBuf)>, crate::store::StoreError> {
    let all = store.logical_backups(database).await?;
    let found = if backup == "latest" {
        all.into_iter()
            .find(|b| b.backup.status == BackupStatus::Done)
    } else {
        all.into_iter()
            .find(|b| b.backup.id == backup && b.backup.status == BackupStatus::Done)
    };
    Ok(found.map(|b| {
        let path = backups_dir(config, database).join(&b.file_name);
        (b, path)
    }))
}
