//! The restore job: pg_restore of a finished dump into a new database, or in place after a
//! safety copy of what is there, with progress by table-of-contents entry.

mod run;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use sqlx::Connection;

use super::dump::{self, DumpPlan, human_size};
use super::preflight::{self, Check};
use super::timescale;
use super::upload;
use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::jobs::{Artifact, Job, JobId, JobKind};
use crate::jobs::{JobContext, JobError, JobRequest, JobRunner, WorkOutcome};
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
pub(super) struct RestorePlan {
    pub(super) pg_bin_dir: PathBuf,
    pub(super) source_file: PathBuf,
    /// The main database (for a safety copy) and the server's maintenance database.
    pub(super) main: ConnTarget,
    pub(super) target: RestoreTarget,
    pub(super) artifacts_dir: PathBuf,
    pub(super) database_id: String,
    pub(super) parallel: u32,
    /// The TimescaleDB version the dump was taken with, when known.
    pub(super) dumped_timescaledb: Option<String>,
}

impl RestorePlan {
    pub(super) fn destination(&self) -> ConnTarget {
        match &self.target {
            RestoreTarget::NewDatabase(name) => ConnTarget {
                dbname: name.clone(),
                ..self.main.clone()
            },
            RestoreTarget::InPlace => self.main.clone(),
        }
    }

    pub(super) fn maintenance(&self) -> ConnTarget {
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
        .submit(job, move |ctx| Box::pin(run::run(ctx, plan)))
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
