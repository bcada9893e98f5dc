//! Running a restore: the role it acts as, a safety copy before an in-place restore, pg_restore
//! with progress by entry (between TimescaleDB's procedure when the target has it), and nothing
//! half-written left when it fails.

use super::*;

pub(super) async fn run(ctx: JobContext, plan: RestorePlan) -> anyhow::Result<WorkOutcome> {
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
                count_rows: false,
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
