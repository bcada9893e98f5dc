//! Proof of physical backups against a real cluster and real pgBackRest: `pgbackrest verify`
//! recorded per backup, and drills that restore beside the cluster to a moment between two canary
//! rows, find the one before and not the one after, and leave nothing behind.

use std::path::{Path, PathBuf};

use chrono::{TimeDelta, Utc};
use tidemark_core::jobs::{EventBody, Job, JobKind, JobStatus};
use tidemark_core::testing::{TestJobs, admin};
use tidemark_core::work::drill::{start_drill, start_repository_check};
use tidemark_core::work::drill_sweep::DrillSweeper;
use tidemark_core::work::pitr::{PitrRequest, start_pitr_restore};
use tidemark_types::VerificationOutcome;

fn drill_dir(j: &TestJobs) -> PathBuf {
    j.t.cluster.dir.join("drill")
}

/// Every file under `dir`, for finding the repository's backup files and history files.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

async fn drill(j: &TestJobs) -> Job {
    let job = start_drill(&j.runner, &j.catalog, "demo", &admin())
        .await
        .unwrap();
    j.finished(&job.id).await
}

/// Nothing of a drill is left: no directory, no server on its port.
fn nothing_left(j: &TestJobs) {
    assert!(
        !drill_dir(j).exists(),
        "the drill's directory {} is gone",
        drill_dir(j).display()
    );
}

#[tokio::test]
async fn a_drill_restores_beside_the_cluster_and_finds_the_canary() {
    let j = TestJobs::start().await;
    let before_timeline = j.t.cluster.archive_state().await.unwrap().1;

    let job = drill(&j).await;
    assert!(
        matches!(job.status, JobStatus::Succeeded { .. }),
        "{:?} {:?}",
        job.status,
        job.summary
    );
    assert_eq!(job.kind, JobKind::PitrDrill);
    let drills = j.t.store.drills("demo", 10).await.unwrap();
    assert_eq!(drills.len(), 1);
    let d = &drills[0];
    assert_eq!(d.outcome, VerificationOutcome::Passed, "{:?}", d.evidence);
    let e = &d.evidence;
    let (target, before, after) = (
        e.target.unwrap(),
        e.canary_before.unwrap(),
        e.canary_after.unwrap(),
    );
    assert!(before < target && target < after, "{e:?}");
    assert!(e.replay_seconds.unwrap() > 0.0);
    assert!(
        e.canary
            .as_deref()
            .unwrap()
            .contains("is there and the row"),
        "{e:?}"
    );
    let newest =
        j.t.cluster
            .info()
            .await
            .unwrap()
            .backups
            .last()
            .unwrap()
            .label
            .clone();
    assert_eq!(e.backup.as_deref(), Some(newest.as_str()));
    // The repository was checked first, each backup valid.
    assert!(!e.repository.is_empty());
    assert!(e.repository.iter().all(|c| c.valid), "{:?}", e.repository);
    assert!(job.summary.unwrap().contains("canary"));

    nothing_left(&j);
    // The cluster itself was not touched: same timeline, running, and the restored copy wrote
    // nothing to the repository (no new timeline's history file).
    assert_eq!(
        j.t.cluster.archive_state().await.unwrap().1,
        before_timeline
    );
    assert!(j.t.cluster.is_running().await);
    let histories: Vec<_> = files_under(&j.t.cluster.dir.join("repo").join("archive"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".history"))
        })
        .collect();
    assert!(histories.is_empty(), "{histories:?}");
    j.t.stop().await;
}

#[tokio::test]
async fn a_corrupted_physical_backup_fails_the_check_and_the_drill_naming_it() {
    let j = TestJobs::start().await;
    let label = j.t.cluster.info().await.unwrap().backups[0].label.clone();
    // One byte flipped in the middle of one of the backup's larger files.
    let victim = files_under(&j.t.cluster.dir.join("repo").join("backup"))
        .into_iter()
        .filter(|p| {
            p.to_string_lossy().contains(&label) && p.extension().is_some_and(|x| x == "lz4")
        })
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a compressed file in the backup");
    let mut bytes = std::fs::read(&victim).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&victim, bytes).unwrap();

    let job = start_repository_check(&j.runner, &j.catalog, "demo", &admin())
        .await
        .unwrap();
    let job = j.finished(&job.id).await;
    let JobStatus::Failed { reason: error, .. } = &job.status else {
        panic!("the check should fail: {:?}", job.status);
    };
    assert!(
        error.contains(&format!("backup {label} is invalid")),
        "{error}"
    );
    assert!(error.contains("checksum invalid: 1"), "{error}");
    let checks = j.t.store.repository_checks("demo").await.unwrap();
    let check = checks.iter().find(|c| c.backup == label).unwrap();
    assert!(!check.valid);

    let job = drill(&j).await;
    let JobStatus::Failed { reason: error, .. } = &job.status else {
        panic!("the drill should fail: {:?}", job.status);
    };
    assert!(error.contains(&label), "{error}");
    let d = &j.t.store.drills("demo", 1).await.unwrap()[0];
    assert_eq!(d.outcome, VerificationOutcome::Failed);
    assert!(d.evidence.failure.as_deref().unwrap().contains("invalid"));
    nothing_left(&j);
    j.t.stop().await;
}

#[tokio::test]
async fn a_drill_cancelled_during_replay_leaves_nothing_and_the_next_one_passes() {
    let j = TestJobs::start().await;
    // Enough WAL after the backup for the replay to take a few seconds.
    sqlx::query(
        "CREATE TABLE bulk AS SELECT g AS n, md5(g::text) AS t FROM generate_series(1, 1500000) g",
    )
    .execute(j.t.cluster.pool())
    .await
    .unwrap();
    let job = start_drill(&j.runner, &j.catalog, "demo", &admin())
        .await
        .unwrap();
    let mut replaying = false;
    for _ in 0..1200 {
        let events = j.t.store.events_after(&job.id, 0).await.unwrap();
        replaying = events.iter().any(|e| {
            matches!(&e.body, EventBody::Progress { progress } if progress.phase.starts_with("restoring files") || progress.phase.starts_with("replaying"))
        });
        if replaying {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(replaying, "the drill reached its restore");
    j.runner.cancel(&job.id).await.unwrap();
    let ended = j.finished(&job.id).await;
    assert!(
        matches!(ended.status, JobStatus::Cancelled { .. }),
        "{:?} {:?}",
        ended.status,
        ended.summary
    );
    assert_eq!(
        j.t.store.drills("demo", 1).await.unwrap()[0].outcome,
        VerificationOutcome::Cancelled
    );
    nothing_left(&j);

    let job = drill(&j).await;
    assert!(
        matches!(job.status, JobStatus::Succeeded { .. }),
        "{:?}",
        job.status
    );
    nothing_left(&j);
    j.t.stop().await;
}

#[tokio::test]
async fn the_sweeper_drills_a_week_after_the_first_backup_then_checks_daily() {
    let j = TestJobs::start().await;
    let sweeper = DrillSweeper {
        runner: j.runner.clone(),
        catalog: j.catalog.clone(),
    };
    let now = Utc::now();
    assert!(
        sweeper.round(now).await.unwrap().is_empty(),
        "nothing is due yet"
    );

    let started = sweeper.round(now + TimeDelta::days(8)).await.unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].kind, JobKind::PitrDrill);
    let job = j.finished(&started[0].id).await;
    assert!(
        matches!(job.status, JobStatus::Succeeded { .. }),
        "{:?}",
        job.status
    );

    // The drill checked the repository; a day after that, the check alone is due.
    assert!(
        sweeper
            .round(now + TimeDelta::hours(12))
            .await
            .unwrap()
            .is_empty()
    );
    let started = sweeper.round(now + TimeDelta::hours(25)).await.unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].kind, JobKind::RepositoryCheck);
    let job = j.finished(&started[0].id).await;
    assert!(
        job.summary
            .as_deref()
            .unwrap_or_default()
            .contains("every file is present"),
        "{:?}",
        job.status
    );
    j.t.stop().await;
}

#[tokio::test]
async fn a_drill_waits_for_a_point_in_time_restore_of_its_cluster_then_passes() {
    let j = TestJobs::start().await;
    sqlx::query("CREATE TABLE marks (n int)")
        .execute(j.t.cluster.pool())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let target = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // Written after the target and archived, so that the window reaches past it.
    sqlx::query("INSERT INTO marks VALUES (1)")
        .execute(j.t.cluster.pool())
        .await
        .unwrap();
    sqlx::query("SELECT pg_switch_wal()")
        .execute(j.t.cluster.pool())
        .await
        .unwrap();
    for _ in 0..300 {
        if j.t
            .cluster
            .archive_state()
            .await
            .unwrap()
            .0
            .is_some_and(|a| a > target)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let restore = start_pitr_restore(
        &j.runner,
        &j.catalog,
        "demo",
        PitrRequest {
            restore_time: target.to_rfc3339(),
            confirm: true,
        },
        &admin(),
    )
    .await
    .unwrap();
    let job = start_drill(&j.runner, &j.catalog, "demo", &admin())
        .await
        .unwrap();
    let restored = j.finished(&restore.id).await;
    assert!(
        matches!(restored.status, JobStatus::Succeeded { .. }),
        "{:?}",
        restored.status
    );
    let drilled = j.finished(&job.id).await;
    assert!(
        matches!(drilled.status, JobStatus::Succeeded { .. }),
        "{:?} {:?}",
        drilled.status,
        drilled.summary
    );
    // The drill began only once the restore had ended, and restored the backup taken after it.
    assert!(drilled.status.started_at().unwrap() >= restored.status.finished_at().unwrap());
    let newest =
        j.t.cluster
            .info()
            .await
            .unwrap()
            .backups
            .last()
            .unwrap()
            .label
            .clone();
    let d = &j.t.store.drills("demo", 1).await.unwrap()[0];
    assert_eq!(d.evidence.backup.as_deref(), Some(newest.as_str()));
    nothing_left(&j);
    j.t.stop().await;
}
