//! The dump job: pg_dump in custom format into the artifacts directory, with progress by table.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use sqlx::Connection;

use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::jobs::{Artifact, Job, JobKind};
use crate::jobs::{JobContext, JobError, JobRequest, JobRunner, WorkOutcome};
use crate::pgtools::acting::Acting;
use crate::pgtools::pg_dump::{self, ConnTarget, TABLES_TO_DUMP_SQL};
use crate::pgtools::runner::require;
use crate::pgtools::snapshot::{ExportedSnapshot, RowCounts};
use crate::pgtools::streaming::{Output, Streaming};
use crate::provider::ProviderError;

/// Everything a dump needs, decided before the job starts.
#[derive(Debug, Clone)]
pub struct DumpPlan {
    pub pg_bin_dir: PathBuf,
    pub target: ConnTarget,
    pub artifacts_dir: PathBuf,
    /// Tidemark's id of the database, for the file name people download.
    pub database_id: String,
    /// Count every table's rows in the dump's own snapshot, as evidence for verifications.
    pub count_rows: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StartDumpError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("{0}")]
    NotSupported(String),
    /// Nothing by that id; the sentence names it.
    #[error("{0}")]
    NotFound(String),
    /// Too little disk for the work; the sentence says how much is needed and free.
    #[error("{0}")]
    NoSpace(String),
    /// The database cannot be reached from this server; the sentence says what to do.
    #[error("{0}")]
    Unreachable(String),
    #[error(transparent)]
    Job(#[from] JobError),
}

/// Starts a dump of a database's main database as a job; returns the queued job at once.
pub async fn start_dump(
    runner: &JobRunner,
    catalog: &Catalog,
    config: &Config,
    database: &str,
    actor: &Principal,
) -> Result<Job, StartDumpError> {
    let started_by = actor.user.as_str();
    let db = catalog.database(database).await?;
    if !db.features.dumps {
        return Err(StartDumpError::NotSupported(format!(
            "Tidemark cannot dump {}: it has no way to reach it.",
            db.name
        )));
    }
    let target = catalog.connection(database).await?;
    if db.features.firewall {
        let reach = super::preflight::reachability(&target, true).await;
        if !reach.ok {
            return Err(StartDumpError::Unreachable(reach.message));
        }
    }
    // Recorded so that a restore can check it against its target (unknown if unreachable now).
    let timescaledb = super::timescale::detect(&target)
        .await
        .ok()
        .flatten()
        .and_then(|t| t.version);
    let plan = DumpPlan {
        pg_bin_dir: config.pg_bin_dir.clone(),
        target,
        artifacts_dir: config.artifacts_dir(),
        database_id: db.id.clone(),
        count_rows: false,
    };
    let request = JobRequest {
        kind: JobKind::Dump,
        database: db.id.clone(),
        started_by: started_by.to_string(),
        params: serde_json::json!({
            "database": db.main_database,
            "format": "custom",
            "timescaledb_version": timescaledb,
        }),
    };
    Ok(runner
        .submit(request, move |ctx| Box::pin(run(ctx, plan)))
        .await?)
}

/// Where a finished dump of a job lives.
pub fn artifact_path(artifacts_dir: &Path, job: &crate::jobs::JobId) -> PathBuf {
    artifacts_dir.join(format!("{job}.dump"))
}

/// A file being written: removed when dropped unless kept, so a failed or cancelled dump leaves
/// nothing that could be taken for a complete one.
struct PartialFile {
    path: PathBuf,
    kept: bool,
}

impl PartialFile {
    fn keep_as(mut self, path: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, path)?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// How many tables pg_dump will write the data of, from the catalog.
pub async fn count_tables(target: &ConnTarget) -> anyhow::Result<u64> {
    let mut conn = target.connect().await?;
    let n: i64 = sqlx::query_scalar(TABLES_TO_DUMP_SQL)
        .fetch_one(&mut conn)
        .await
        .context("cannot list the tables to dump")?;
    let _ = conn.close().await;
    Ok(u64::try_from(n).unwrap_or_default())
}

/// "38 MB", for summaries: the same words the pages use.
pub use tidemark_types::units::size as human_size;

/// Runs pg_dump; progress counts tables and bytes written.
pub async fn run(ctx: JobContext, plan: DumpPlan) -> anyhow::Result<WorkOutcome> {
    let started = Instant::now();
    let path = artifact_path(&plan.artifacts_dir, &ctx.id);
    let Some(dumped) = dump_to(&ctx, &plan, &path, "dumping tables").await? else {
        return Ok(WorkOutcome::Cancelled);
    };
    let file_name = format!(
        "{}_{}.dump",
        plan.database_id,
        Utc::now().format("%Y%m%d%H%M%S")
    );
    Ok(WorkOutcome::Succeeded {
        summary: format!(
            "Dumped {} tables into {file_name} ({}) in {:.1} s.",
            dumped.tables,
            human_size(dumped.size_bytes),
            started.elapsed().as_secs_f64()
        ),
        artifact: Some(Artifact {
            file_name,
            size_bytes: dumped.size_bytes,
        }),
    })
}

/// What a finished pg_dump wrote.
#[derive(Debug, Clone)]
pub struct Dumped {
    pub tables: u64,
    pub size_bytes: u64,
    /// Every table's rows in the dump's snapshot, when the plan asked for them.
    pub row_counts: Option<RowCounts>,
}

/// Dumps the plan's database into `path` (written under another name, moved there only when
/// complete) as the phase `phase`. `None` when the job was cancelled; nothing is left behind then.
pub async fn dump_to(
    ctx: &JobContext,
    plan: &DumpPlan,
    path: &Path,
    phase: &str,
) -> anyhow::Result<Option<Dumped>> {
    let program = plan.pg_bin_dir.join("pg_dump");
    require(&program)?;
    std::fs::create_dir_all(&plan.artifacts_dir)
        .with_context(|| format!("cannot create {}", plan.artifacts_dir.display()))?;

    ctx.progress
        .phase("counting tables", "tables", None)
        .await?;
    let total = tokio::select! {
        n = count_tables(&plan.target) => n?,
        () = ctx.cancel.cancelled() => return Ok(None),
    };
    ctx.progress.phase(phase, "tables", Some(total)).await?;

    let partial = PartialFile {
        path: path.with_extension("dump.partial"),
        kept: false,
    };
    // pg_dump reads as the database's owner (and a reader of everything), never as a superuser.
    let acting = Acting::for_dump(&plan.target).await?;
    let result = if plan.count_rows {
        dump_and_count(ctx, plan, acting.target(), &partial.path).await
    } else {
        run_pg_dump(ctx, plan, acting.target(), &partial.path, None)
            .await
            .map(|done| done.map(|n| (n, None)))
    };
    acting.finish().await;
    let Some((done, row_counts)) = result? else {
        return Ok(None);
    };
    let size = std::fs::metadata(&partial.path)
        .context("pg_dump reported success but wrote no file")?
        .len();
    ctx.progress.bytes(size).await?;
    if done != total {
        ctx.progress
            .log(&format!(
                "The catalog listed {total} tables; pg_dump wrote {done}."
            ))
            .await?;
        ctx.progress.phase(phase, "tables", Some(done)).await?;
    }
    ctx.progress.advance(done, None).await?;
    partial
        .keep_as(path)
        .with_context(|| format!("cannot move the dump to {}", path.display()))?;
    Ok(Some(Dumped {
        tables: done,
        size_bytes: size,
        row_counts,
    }))
}

/// Runs pg_dump in a snapshot exported by a transaction that counts every table's rows
/// meanwhile; the tables written and the counts, or `None` when cancelled.
async fn dump_and_count(
    ctx: &JobContext,
    plan: &DumpPlan,
    login: &ConnTarget,
    file: &Path,
) -> anyhow::Result<Option<(u64, Option<RowCounts>)>> {
    let mut snapshot = ExportedSnapshot::open(login).await?;
    let id = snapshot.id.clone();
    let (dumped, counted) = tokio::join!(run_pg_dump(ctx, plan, login, file, Some(&id)), async {
        tokio::select! {
            counts = snapshot.count_rows() => Some(counts),
            () = ctx.cancel.cancelled() => None,
        }
    });
    snapshot.finish().await;
    let Some(done) = dumped? else {
        return Ok(None);
    };
    let Some(counts) = counted else {
        return Ok(None);
    };
    Ok(Some((done, Some(counts?))))
}

/// Runs pg_dump into `file` as `login`, in `snapshot` if given; the number of tables it wrote, or
/// `None` when cancelled.
async fn run_pg_dump(
    ctx: &JobContext,
    plan: &DumpPlan,
    login: &ConnTarget,
    file: &Path,
    snapshot: Option<&str>,
) -> anyhow::Result<Option<u64>> {
    let mut cmd = pg_dump::dump_custom(&plan.pg_bin_dir, login, file);
    if let Some(id) = snapshot {
        cmd = pg_dump::in_snapshot(cmd, id);
    }
    let mut tool = Streaming::spawn(&cmd)?;
    let mut done = 0u64;
    let mut ticker = tokio::time::interval(Duration::from_millis(500));
    let status = loop {
        tokio::select! {
            out = tool.next() => match out? {
                Output::Line(line) => {
                    if let Some(table) = pg_dump::dumped_table(&line) {
                        done += 1;
                        ctx.progress.advance(done, Some(table.to_string())).await?;
                    } else if pg_dump::is_worth_showing(&line) {
                        ctx.progress.log(&line).await?;
                    }
                }
                Output::Exited(status) => break status,
            },
            _ = ticker.tick() => {
                if let Ok(meta) = std::fs::metadata(file) {
                    ctx.progress.bytes(meta.len()).await?;
                }
            }
            () = ctx.cancel.cancelled() => {
                tool.stop().await;
                return Ok(None);
            }
        }
    };
    if !status.success() {
        return Err(tool.failure(status));
    }
    Ok(Some(done))
}
