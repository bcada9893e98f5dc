//! The repository check and the point-in-time drill of a managed cluster, as jobs: the check
//! records `pgbackrest verify`'s word on each physical backup; the drill checks the repository
//! first, then restores beside the cluster and looks for its canary rows.

use chrono::Utc;

use super::dump::StartDumpError;
use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::jobs::{Job, JobContext, JobKind, JobRequest, JobRunner, WorkOutcome};
use crate::pgtools::repo_verify::RepoVerdict;
use crate::provider::{Database, Provider};
use crate::store::Store;
use std::sync::Arc;
use tidemark_types::{DrillEvidence, PitrDrill, RepositoryCheck, VerificationOutcome};

async fn managed(
    catalog: &Catalog,
    database: &str,
) -> Result<(Database, Arc<dyn Provider>), StartDumpError> {
    let (db, provider) = catalog.resolve(database).await?;
    if !db.features.pitr || db.provider != crate::provider::ProviderKind::Local {
        return Err(StartDumpError::NotSupported(format!(
            "{} is not a cluster Tidemark manages with continuous archiving, so it has no physical backups to check or drill.",
            db.name
        )));
    }
    Ok((db, provider))
}

/// A job of `kind` on the database, asked for by `actor`; it takes no parameters.
fn request(kind: JobKind, db: &Database, actor: &Principal) -> JobRequest {
    JobRequest {
        kind,
        database: db.id.clone(),
        started_by: actor.user.clone(),
        params: serde_json::json!({}),
    }
}

/// Starts `pgbackrest verify` over the database's repository as a job.
pub async fn start_repository_check(
    runner: &JobRunner,
    catalog: &Catalog,
    database: &str,
    actor: &Principal,
) -> Result<Job, StartDumpError> {
    let (db, provider) = managed(catalog, database).await?;
    let store = runner.store().clone();
    let request = request(JobKind::RepositoryCheck, &db, actor);
    let id = db.id.clone();
    Ok(runner
        .submit(request, move |ctx| {
            Box::pin(async move {
                ctx.progress
                    .phase("checking every file of the repository", "", None)
                    .await?;
                let checks = check_and_record(&store, provider.as_ref(), &id).await?;
                Ok(WorkOutcome::Succeeded {
                    summary: repository_sentence(&checks)?,
                    artifact: None,
                })
            })
        })
        .await?)
}

/// Runs the check and records its word on each backup.
async fn check_and_record(
    store: &Store,
    provider: &dyn Provider,
    database: &str,
) -> anyhow::Result<(RepoVerdict, Vec<RepositoryCheck>)> {
    let verdict = provider.check_repository(database).await?;
    let now = Utc::now();
    let checks: Vec<RepositoryCheck> = verdict
        .backups
        .iter()
        .map(|b| RepositoryCheck {
            backup: b.label.clone(),
            checked_at: now,
            valid: b.valid,
            detail: b.detail.clone(),
        })
        .collect();
    store.save_repository_checks(database, &checks).await?;
    Ok((verdict, checks))
}

/// "2 backups checked, every file valid", or an error naming what is wrong.
fn repository_sentence(
    (verdict, checks): &(RepoVerdict, Vec<RepositoryCheck>),
) -> anyhow::Result<String> {
    let bad: Vec<String> = checks
        .iter()
        .filter(|c| !c.valid)
        .map(|c| format!("backup {} is invalid ({})", c.backup, c.detail))
        .chain(verdict.archive_problems.iter().cloned())
        .collect();
    // A backup being taken (or expired) while the check ran is neither good nor bad.
    if !bad.is_empty() || (!verdict.ok && verdict.unjudged.is_empty()) {
        let what = if bad.is_empty() {
            "pgbackrest verify reported an error".to_string()
        } else {
            bad.join("; ")
        };
        anyhow::bail!("The repository check failed: {what}.");
    }
    let unjudged = if verdict.unjudged.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = verdict
            .unjudged
            .iter()
            .map(|(label, why)| format!("{label} ({why})"))
            .collect();
        format!(" Not judged this time: {}.", list.join(", "))
    };
    Ok(format!(
        "pgbackrest verify checked {} backup(s) and the WAL archive: every file is present, of the right size, with the right checksum.{unjudged}",
        checks.len()
    ))
}

/// Starts a point-in-time drill of the database as a job.
pub async fn start_drill(
    runner: &JobRunner,
    catalog: &Catalog,
    database: &str,
    actor: &Principal,
) -> Result<Job, StartDumpError> {
    let (db, provider) = managed(catalog, database).await?;
    let window = provider.pitr_window(&db.id).await?;
    if window.latest.is_none() {
        return Err(StartDumpError::NotSupported(
            window
                .unavailable_reason
                .unwrap_or_else(|| "There is no recoverable window yet.".into()),
        ));
    }
    let store = runner.store().clone();
    let request = request(JobKind::PitrDrill, &db, actor);
    Ok(runner
        .submit(request, move |ctx| {
            Box::pin(run_drill(ctx, store, provider, db.id))
        })
        .await?)
}

async fn run_drill(
    ctx: JobContext,
    store: Store,
    provider: Arc<dyn Provider>,
    database: String,
) -> anyhow::Result<WorkOutcome> {
    let mut drill = PitrDrill {
        id: ctx.id.to_string(),
        database: database.clone(),
        started_at: Utc::now(),
        finished_at: None,
        outcome: VerificationOutcome::Running,
        evidence: DrillEvidence::default(),
    };
    store.save_drill(&drill).await?;
    let result = async {
        ctx.progress
            .phase("checking every file of the repository", "", None)
            .await?;
        let checked = check_and_record(&store, provider.as_ref(), &database).await?;
        drill.evidence.repository = checked.1.clone();
        repository_sentence(&checked)?;
        provider
            .pitr_drill(&database, &ctx, &mut drill.evidence)
            .await
    }
    .await;
    drill.finished_at = Some(Utc::now());
    let outcome = match result {
        Ok(true) => {
            drill.outcome = VerificationOutcome::Passed;
            Ok(WorkOutcome::Succeeded {
                summary: drill_summary(&drill.evidence),
                artifact: None,
            })
        }
        Ok(false) => {
            drill.outcome = VerificationOutcome::Cancelled;
            Ok(WorkOutcome::Cancelled)
        }
        Err(e) => {
            let sentence = format!("{e:#}");
            drill.outcome = VerificationOutcome::Failed;
            drill.evidence.failure = Some(sentence.clone());
            Err(anyhow::anyhow!(sentence))
        }
    };
    store.save_drill(&drill).await?;
    outcome
}

fn drill_summary(e: &DrillEvidence) -> String {
    format!(
        "Restored beside the cluster to {} UTC from backup {} and replayed in {:.1} s; canary: {}.",
        e.target
            .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
            .unwrap_or_default(),
        e.backup.as_deref().unwrap_or("?"),
        e.replay_seconds.unwrap_or_default(),
        e.canary.as_deref().unwrap_or("not checked"),
    )
}
