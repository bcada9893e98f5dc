//! The restore job: pg_restore of a finished dump into a new database, or in place after a
//! safety copy of what is there, with progress by table-of-contents entry.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use sqlx::Connection;

use super::dump::{self, DumpPlan, human_size};
use super::model::{Artifact, Job, JobId, JobKind};
use super::preflight::{self, Check};
use super::runner::{JobContext, JobError, JobRequest, JobRunner, WorkOutcome};
use super::timescale;
use super::upload;
use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::pgtools::acting::{self, Acting};
use crate::pgtools::pg_dump::ConnTarget;
use crate::pgtools::pg_restore::{self, FailureWatch, RestoreMode};
use crate::pgtools::runner::run as run_tool;
use crate::pgtools::streaming::{Output, Streaming};
use crate::provider::ProviderError;
use crate::store::StoreError;

/// Where the restored data goes.
#[derive(Debug, Clone, PartialEq)]
pub enum RestoreTarget {
    /// A database created for the restore, on the same server.
    NewDatabase(String),
    /// The database's main database itself, after a safety copy.
    InPlace,
}

/// The dump to restore.
#[derive(Debug, Clone, PartialEq)]
pub enum RestoreSource {
    /// A finished dump job's file.
    DumpJob(String),
    /// A checked upload (see `upload::receive`).
    Upload(String),
}

/// What someone asked for. In place needs `confirm` and the database's name typed again.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    pub source: RestoreSource,
    pub target: RestoreTarget,
    pub confirm: bool,
    pub confirm_name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartRestoreError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Job(#[from] JobError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}", preflight::failures(.0).unwrap_or_default())]
    Preflight(Vec<Check>),
}

fn invalid(field: &'static str, message: impl Into<String>) -> StartRestoreError {
    StartRestoreError::Invalid {
        field,
        message: message.into(),
    }
}

/// A new database's name: lower-case letters, digits and underscores, not starting with a digit.
pub fn valid_database_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && name.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[derive(Debug, Clone)]
struct RestorePlan {
    pg_bin_dir: PathBuf,
    source_file: PathBuf,
    /// The main database (for a safety copy) and the server's maintenance database.
    main: ConnTarget,
    target: RestoreTarget,
    artifacts_dir: PathBuf,
    database_id: String,
    parallel: u32,
    /// The TimescaleDB version the dump was taken with, when known.
    dumped_timescaledb: Option<String>,
}

impl RestorePlan {
    fn destination(&self) -> ConnTarget {
        match &self.target {
            RestoreTarget::NewDatabase(name) => ConnTarget {
                dbname: name.clone(),
                ..self.main.clone()
            },
            RestoreTarget::InPlace => self.main.clone(),
        }
    }

    fn maintenance(&self) -> ConnTarget {
        ConnTarget {
            dbname: "postgres".into(),
            ..self.main.clone()
        }
    }
}

async fn database_exists(maintenance: &ConnTarget, name: &str) -> anyhow::Result<bool> {
    let mut conn = maintenance.connect().await?;
    let exists = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await?;
    let _ = conn.close().await;
    Ok(exists)
}

/// A checked request, ready to run.
struct Prepared {
    plan: RestorePlan,
    job: JobRequest,
}

/// Runs the preflight checks for a request without starting anything.
pub async fn preflight_restore(
    runner: &JobRunner,
    catalog: &Catalog,
    config: &Config,
    database: &str,
    actor: &Principal,
    request: RestoreRequest,
) -> Result<Vec<Check>, StartRestoreError> {
    let prepared = prepare(runner, catalog, config, database, actor, request).await?;
    Ok(checks(config, &prepared.plan).await)
}

async fn checks(config: &Config, plan: &RestorePlan) -> Vec<Check> {
    // The restored data usually takes a few times the compressed dump; an in-place restore
    // also keeps a safety copy about the dump's size.
    let size = std::fs::metadata(&plan.source_file).map_or(0, |m| m.len());
    let needed = size.saturating_mul(if plan.target == RestoreTarget::InPlace {
        5
    } else {
        4
    });
    let target = match plan.target {
        RestoreTarget::InPlace => plan.main.clone(),
        RestoreTarget::NewDatabase(_) => plan.maintenance(),
    };
    let mut checks = preflight::preflight(
        &plan.pg_bin_dir,
        &plan.source_file,
        &target,
        &config.data_dir,
        needed,
    )
    .await;
    if plan.target == RestoreTarget::InPlace && checks.iter().any(|c| c.name == "reachable" && c.ok)
    {
        checks.push(owner_check(&plan.main).await);
    }
    checks
}

/// Who an in-place restore would act as: the database's owner, which must not be a superuser.
async fn owner_check(main: &ConnTarget) -> Check {
    let check = |ok, message: String| Check {
        name: "owner",
        ok,
        message,
    };
    let login = match acting::rights(main).await {
        Ok(l) => l,
        Err(e) => return check(false, format!("The login's rights cannot be read: {e:#}")),
    };
    if !login.superuser {
        return check(
            true,
            format!(
                "The restore acts as '{}', the login Tidemark has for this server, which is not a superuser.",
                login.user
            ),
        );
    }
    match acting::owner_of(main, &main.dbname).await {
        Ok((owner, false)) => check(
            true,
            format!("The restore acts as '{owner}', the database's owner, never as a superuser."),
        ),
        Ok((owner, true)) => check(
            false,
            format!(
                "'{}' is owned by the superuser '{owner}', and Tidemark never restores as a superuser. Make a role without superuser rights its owner first.",
                main.dbname
            ),
        ),
        Err(e) => check(false, format!("The database's owner cannot be read: {e:#}")),
    }
}

/// Checks the request and the preflight, then starts the restore as a job; returns the queued
/// job at once. Nothing starts when a check fails.
pub async fn start_restore(
    runner: &JobRunner,
    catalog: &Catalog,
    config: &Config,
    database: &str,
    actor: &Principal,
    request: RestoreRequest,
) -> Result<Job, StartRestoreError> {
    let Prepared { plan, job } = prepare(runner, catalog, config, database, actor, request).await?;
    let results = checks(config, &plan).await;
    if results.iter().any(|c| !c.ok) {
        return Err(StartRestoreError::Preflight(results));
    }
    Ok(runner
        .submit(job, move |ctx| Box::pin(run(ctx, plan)))
        .await?)
}

async fn prepare(
    runner: &JobRunner,
    catalog: &Catalog,
    config: &Config,
    database: &str,
    actor: &Principal,
    request: RestoreRequest,
) -> Result<Prepared, StartRestoreError> {
    let started_by = actor.user.as_str();
    let db = catalog.database(database).await?;
    let (source_file, source_param, dumped_timescaledb) = match &request.source {
        RestoreSource::DumpJob(id) => {
            let source_id = JobId::parse(id)
                .ok_or_else(|| invalid("source_job", format!("'{id}' is not a job id.")))?;
            let source = runner.store().job(&source_id).await?.ok_or_else(|| {
                invalid(
                    "source_job",
                    format!("There is no job with the id '{source_id}'."),
                )
            })?;
            let file = dump::artifact_path(&config.artifacts_dir(), &source_id);
            if source.kind != JobKind::Dump || source.artifact.is_none() || !file.is_file() {
                return Err(invalid(
                    "source_job",
                    format!(
                        "The job '{source_id}' is not a finished dump whose file is still on the server."
                    ),
                ));
            }
            let timescaledb = source.params["timescaledb_version"]
                .as_str()
                .map(str::to_string);
            (
                file,
                serde_json::json!({ "source_job": source_id.as_str() }),
                timescaledb,
            )
        }
        RestoreSource::Upload(id) => {
            let file = upload::upload_path(&config.artifacts_dir(), id).ok_or_else(|| {
                invalid(
                    "source_upload",
                    format!("There is no upload with the id '{id}'."),
                )
            })?;
            (file, serde_json::json!({ "source_upload": id }), None)
        }
    };
    let main = catalog.connection(database).await?;
    match &request.target {
        RestoreTarget::NewDatabase(name) => {
            if !valid_database_name(name) {
                return Err(invalid(
                    "new_database",
                    "A new database's name uses lower-case letters, digits and underscores (at most 63), and does not start with a digit.",
                ));
            }
            let maintenance = ConnTarget {
                dbname: "postgres".into(),
                ..main.clone()
            };
            let exists = database_exists(&maintenance, name)
                .await
                .map_err(|e| ProviderError::Unavailable(format!("{e:#}")))?;
            if exists {
                return Err(StartRestoreError::Conflict(format!(
                    "A database named '{name}' already exists on this server; choose another name."
                )));
            }
        }
        RestoreTarget::InPlace => {
            if !request.confirm {
                return Err(invalid(
                    "confirm",
                    format!(
                        "Restoring in place replaces everything in '{}'. Set confirm to true to go ahead; a safety copy is taken first.",
                        db.main_database
                    ),
                ));
            }
            if request.confirm_name.as_deref() != Some(db.main_database.as_str()) {
                return Err(invalid(
                    "confirm_name",
                    format!(
                        "Type the database's name, '{}', to confirm.",
                        db.main_database
                    ),
                ));
            }
        }
    }
    let (target_kind, new_database) = match &request.target {
        RestoreTarget::NewDatabase(n) => ("new_database", Some(n.clone())),
        RestoreTarget::InPlace => ("in_place", None),
    };
    let plan = RestorePlan {
        pg_bin_dir: config.pg_bin_dir.clone(),
        source_file,
        main,
        target: request.target,
        artifacts_dir: config.artifacts_dir(),
        database_id: db.id.clone(),
        parallel: std::thread::available_parallelism()
            .map(|n| u32::try_from(n.get()).unwrap_or(1))
            .unwrap_or(1)
            .clamp(1, 4),
        dumped_timescaledb,
    };
    let job_request = JobRequest {
        kind: JobKind::Restore,
        database: db.id.clone(),
        started_by: started_by.to_string(),
        params: {
            let mut p = source_param;
            p["target"] = serde_json::json!(target_kind);
            p["new_database"] = serde_json::json!(new_database);
            p
        },
    };
    Ok(Prepared {
        plan,
        job: job_request,
    })
}

async fn run(ctx: JobContext, plan: RestorePlan) -> anyhow::Result<WorkOutcome> {
    let started = Instant::now();
    ctx.progress
        .phase("reading the dump", "entries", None)
        .await?;
    let listing = run_tool(
        &pg_restore::list(&plan.pg_bin_dir, &plan.source_file),
        Duration::from_secs(120),
    )
    .await?;
    let entries = pg_restore::toc_ids(&listing.stdout);

    // The role the restore acts as: the target's owner, never a superuser. Settled before
    // anything is copied or created that a refusal would leave behind.
    let mut safety: Option<Artifact> = None;
    let acting = match &plan.target {
        RestoreTarget::InPlace => {
            let acting = Acting::for_restore_in_place(&plan.main).await?;
            let dump_plan = DumpPlan {
                pg_bin_dir: plan.pg_bin_dir.clone(),
                target: plan.main.clone(),
                artifacts_dir: plan.artifacts_dir.clone(),
                database_id: plan.database_id.clone(),
            };
            let path = dump::artifact_path(&plan.artifacts_dir, &ctx.id);
            let Some(copy) = dump::dump_to(&ctx, &dump_plan, &path, "taking a safety copy")
                .await
                .context("the safety copy failed, so the restore did not start")?
            else {
                acting.finish().await;
                return Ok(WorkOutcome::Cancelled);
            };
            safety = Some(Artifact {
                file_name: format!(
                    "{}_before_restore_{}.dump",
                    plan.database_id,
                    Utc::now().format("%Y%m%d%H%M%S")
                ),
                size_bytes: copy.size_bytes,
            });
            acting
        }
        RestoreTarget::NewDatabase(name) => {
            ctx.progress
                .phase("creating the database", "", None)
                .await?;
            Acting::for_new_database(&plan.maintenance(), name).await?
        }
    };
    ctx.progress
        .log(&match &acting.role {
            Some(owner) => format!(
                "Restoring as '{owner}', the database's owner, through a role made for this job (never as a superuser)."
            ),
            None => format!(
                "Restoring as '{}', the login Tidemark has for this server, which is not a superuser.",
                acting.login.user
            ),
        })
        .await?;

    let result = restore_with_timescale(&ctx, &plan, &acting, &entries).await;
    acting.finish().await;
    let restored = match result {
        Ok(Some(n)) => n,
        other => {
            // A new database that did not fill completely is removed: nothing half-written stays.
            if let RestoreTarget::NewDatabase(name) = &plan.target {
                acting::drop_new_database(&plan.maintenance(), name).await;
            }
            return match other {
                Ok(_) => Ok(WorkOutcome::Cancelled),
                Err(e) => Err(match &safety {
                    // In place runs in one transaction: a failure leaves the database as it was.
                    Some(a) => e.context(format!(
                        "'{}' is unchanged, and its data as it was is also in the safety copy {} (download it from this job)",
                        plan.main.dbname, a.file_name
                    )),
                    None => e,
                }),
            };
        }
    };
    let target_name = plan.destination().dbname;
    let mut summary = format!(
        "Restored {restored} entries into '{target_name}' in {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    if let Some(a) = &safety {
        summary.push_str(&format!(
            " The data it replaced is kept in the safety copy {} ({}).",
            a.file_name,
            human_size(a.size_bytes)
        ));
    }
    Ok(WorkOutcome::Succeeded {
        summary,
        artifact: safety,
    })
}

/// Wraps the restore in TimescaleDB's procedure when the target has it.
async fn restore_with_timescale(
    ctx: &JobContext,
    plan: &RestorePlan,
    acting: &Acting,
    entries: &HashSet<u32>,
) -> anyhow::Result<Option<u64>> {
    let destination = plan.destination();
    let Some(ts) = timescale::detect(&destination).await? else {
        return restore_entries(ctx, plan, acting, entries, plan.parallel).await;
    };
    if let Some(refusal) =
        timescale::version_mismatch(plan.dumped_timescaledb.as_deref(), ts.version.as_deref())
    {
        anyhow::bail!(refusal);
    }
    if plan.dumped_timescaledb.is_none() || ts.version.is_none() {
        ctx.progress
            .log("TimescaleDB: the versions of the dump and the target could not both be read, so they were not compared.")
            .await?;
    }
    ctx.progress
        .log("TimescaleDB found on the target: running timescaledb_pre_restore(), then restoring with one process.")
        .await?;
    timescale::call(acting, "timescaledb_pre_restore").await?;
    let result = restore_entries(ctx, plan, acting, entries, 1).await;
    // After a failure or a cancel too: the database must not stay in restore mode.
    let post = timescale::call(acting, "timescaledb_post_restore").await;
    ctx.progress
        .log(&match &post {
            Ok(()) => "TimescaleDB: timescaledb_post_restore() done.".to_string(),
            Err(e) => format!("TimescaleDB: timescaledb_post_restore() failed: {e:#}"),
        })
        .await?;
    let restored = result?;
    post?;
    Ok(restored)
}

/// Runs pg_restore as the acting role: into a new database with `parallel` processes, in place
/// in one transaction (all or nothing). `None` when cancelled.
async fn restore_entries(
    ctx: &JobContext,
    plan: &RestorePlan,
    acting: &Acting,
    entries: &HashSet<u32>,
    parallel: u32,
) -> anyhow::Result<Option<u64>> {
    let total = u64::try_from(entries.len()).unwrap_or_default();
    ctx.progress
        .phase("restoring", "entries", Some(total))
        .await?;
    let mode = RestoreMode {
        jobs: parallel,
        single_transaction: plan.target == RestoreTarget::InPlace,
        role: acting.role.clone(),
    };
    let cmd = pg_restore::restore(&plan.pg_bin_dir, acting.target(), &plan.source_file, &mode);
    let mut tool = Streaming::spawn(&cmd)?;
    let mut watch = FailureWatch::default();
    let mut seen: HashSet<u32> = HashSet::new();
    let status = loop {
        tokio::select! {
            out = tool.next() => match out? {
                Output::Line(line) => {
                    watch.see(&line);
                    if let Some(id) = pg_restore::restored_item(&line) {
                        if entries.contains(&id) && seen.insert(id) {
                            let done = u64::try_from(seen.len()).unwrap_or_default();
                            ctx.progress.advance(done, None).await?;
                        }
                    } else if pg_restore::is_worth_showing(&line) {
                        ctx.progress.log(&line).await?;
                    }
                }
                Output::Exited(status) => break status,
            },
            () = ctx.cancel.cancelled() => {
                tool.stop().await;
                return Ok(None);
            }
        }
    };
    if !status.success() {
        return Err(match watch.superuser_only() {
            Some(sentence) => anyhow::anyhow!(sentence),
            None => tool.failure(status),
        });
    }
    // Entries that print nothing when restored (such as ACLs left out) are done too.
    ctx.progress.advance(total, None).await?;
    Ok(Some(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_database_names_are_plain_identifiers() {
        assert!(valid_database_name("demo_copy"));
        assert!(valid_database_name("_x1"));
        assert!(!valid_database_name("1abc"));
        assert!(!valid_database_name("Demo"));
        assert!(!valid_database_name("a-b"));
        assert!(!valid_database_name("x\"; DROP DATABASE demo; --"));
        assert!(!valid_database_name(""));
        assert!(!valid_database_name(&"a".repeat(64)));
    }
}
