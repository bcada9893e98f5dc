//! Point-in-time restores of a real cluster with real pgBackRest: the right rows come back, refused
//! requests change nothing, and a failed or interrupted restore puts the previous data back.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::PgPool;
use tidemark_core::jobs::JobStatus;
use tidemark_core::provider::local::ManagedCluster;
use tidemark_core::sysuser::RunAs;
use tidemark_core::testing::{TestJobs, demo_spec};
use tidemark_core::work::pitr::{PitrRequest, StartPitrError, start_pitr_restore};

async fn exec(pool: &PgPool, sql: &str) {
    sqlx::query(sql).execute(pool).await.unwrap();
}

async fn marks(pool: &PgPool) -> Vec<i32> {
    sqlx::query_scalar("SELECT n FROM marks ORDER BY n")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn timeline(c: &ManagedCluster) -> u32 {
    c.archive_state().await.unwrap().1.unwrap()
}

/// Switches WAL and waits until the archive holds everything written before `t`.
async fn archived_past(c: &ManagedCluster, t: DateTime<Utc>) {
    exec(c.pool(), "SELECT pg_switch_wal()").await;
    for _ in 0..300 {
        if c.archive_state().await.unwrap().0.is_some_and(|a| a > t) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("WAL written before {t} never reached the archive");
}

/// Rows 1-3 committed before the returned time T, rows 4-6 after it, all archived.
async fn history(j: &TestJobs) -> DateTime<Utc> {
    let pool = j.t.cluster.pool();
    exec(pool, "CREATE TABLE marks (n int PRIMARY KEY)").await;
    exec(pool, "INSERT INTO marks SELECT generate_series(1, 3)").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let t = Utc::now();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    exec(pool, "INSERT INTO marks SELECT generate_series(4, 6)").await;
    archived_past(&j.t.cluster, Utc::now()).await;
    t
}

fn request(t: DateTime<Utc>, confirm: bool) -> PitrRequest {
    PitrRequest {
        restore_time: t.to_rfc3339_opts(SecondsFormat::Micros, true),
        confirm,
    }
}

#[tokio::test]
async fn restoring_to_t_keeps_exactly_the_rows_committed_before_t() {
    let j = TestJobs::start().await;
    let t = history(&j).await;
    let before = timeline(&j.t.cluster).await;

    // Any offset is accepted: T written in UTC+02:00.
    let local = t.with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap());
    let job = start_pitr_restore(
        &j.runner,
        &j.catalog,
        "demo",
        PitrRequest {
            restore_time: local.to_rfc3339_opts(SecondsFormat::Micros, false),
            confirm: true,
        },
        &tidemark_core::testing::admin(),
    )
    .await
    .unwrap();
    let done = j.finished(&job.id).await;
    assert!(
        matches!(done.status, JobStatus::Succeeded { .. }),
        "{:?} {:?}",
        done.status,
        done.summary
    );
    assert!(done.summary.as_deref().unwrap().contains("Restored to"));

    let pool = j.t.cluster.pool();
    assert_eq!(marks(pool).await, [1, 2, 3]);
    assert!(timeline(&j.t.cluster).await > before);
    // The database takes writes again.
    exec(pool, "INSERT INTO marks VALUES (7)").await;

    // The previous data is kept aside, and the window restarts after the restore.
    let copies = j.catalog.safety_copies("demo").await.unwrap();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].id, job.id.to_string());
    assert!(copies[0].size_bytes > 1_000_000);
    let window = j.catalog.pitr_window("demo").await.unwrap();
    assert!(window.earliest.unwrap() > t, "{window:?}");

    // The events tell the phases in order.
    let events = j.t.store.events_after(&job.id, 0).await.unwrap();
    let phases: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.body {
            tidemark_core::jobs::EventBody::Progress { progress } => Some(progress.phase.clone()),
            _ => None,
        })
        .fold(Vec::new(), |mut v, p| {
            if v.last() != Some(&p) {
                v.push(p);
            }
            v
        });
    for expected in [
        "stopping the database",
        "keeping a safety copy",
        "restoring files from the backup",
        "replaying WAL up to the target",
        "checking that it accepts connections",
        "taking a new full backup",
    ] {
        assert!(
            phases.iter().any(|p| p == expected),
            "{expected} missing from {phases:?}"
        );
    }

    // An admin discards the safety copy.
    assert!(
        j.catalog
            .discard_safety_copy("demo", &copies[0].id)
            .await
            .unwrap()
    );
    assert!(j.catalog.safety_copies("demo").await.unwrap().is_empty());
    assert!(
        !j.catalog
            .discard_safety_copy("demo", &copies[0].id)
            .await
            .unwrap()
    );
    j.t.stop().await;
}

#[tokio::test]
async fn refused_requests_change_nothing_and_say_why() {
    let j = TestJobs::start().await;
    let t = history(&j).await;
    let window = j.catalog.pitr_window("demo").await.unwrap();

    let too_early = window.earliest.unwrap() - chrono::Duration::minutes(5);
    let too_late = Utc::now() + chrono::Duration::hours(1);
    for (req, field, words) in [
        (
            request(too_early, true),
            "restore_time",
            "outside the recoverable window",
        ),
        (
            request(too_late, true),
            "restore_time",
            "outside the recoverable window",
        ),
        (request(t, false), "confirm", "confirm must be true"),
        (
            PitrRequest {
                restore_time: "yesterday".into(),
                confirm: true,
            },
            "restore_time",
            "RFC 3339",
        ),
    ] {
        match start_pitr_restore(
            &j.runner,
            &j.catalog,
            "demo",
            req,
            &tidemark_core::testing::admin(),
        )
        .await
        {
            Err(StartPitrError::Invalid { field: f, message }) => {
                assert_eq!(f, field, "{message}");
                assert!(message.contains(words), "{message}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    assert!(j.t.store.jobs(Some("demo"), 10).await.unwrap().is_empty());
    assert_eq!(marks(j.t.cluster.pool()).await, [1, 2, 3, 4, 5, 6]);
    assert!(j.catalog.safety_copies("demo").await.unwrap().is_empty());
    j.t.stop().await;
}

#[tokio::test]
async fn a_restore_that_fails_puts_the_previous_data_back() {
    let j = TestJobs::start().await;
    let t = history(&j).await;
    let before = timeline(&j.t.cluster).await;

    // The backup set cannot be read: pgBackRest's restore fails after the cluster has stopped.
    let sets = j.t.cluster.dir.join("repo/backup/main");
    let set = std::fs::read_dir(&sets)
        .unwrap()
        .flatten()
        .find(|e| e.path().join("backup.manifest").exists())
        .unwrap()
        .path();
    std::fs::set_permissions(&set, std::fs::Permissions::from_mode(0o000)).unwrap();

    let job = start_pitr_restore(
        &j.runner,
        &j.catalog,
        "demo",
        request(t, true),
        &tidemark_core::testing::admin(),
    )
    .await
    .unwrap();
    let done = j.finished(&job.id).await;
    std::fs::set_permissions(&set, std::fs::Permissions::from_mode(0o750)).unwrap();
    let JobStatus::Failed { reason, .. } = &done.status else {
        panic!("expected a failure, got {:?}", done.status);
    };
    assert!(reason.contains("previous data was put back"), "{reason}");
    assert!(reason.contains("pgbackrest"), "{reason}");

    // The old cluster serves the old data, on its old timeline, and nothing is left aside.
    assert!(j.t.cluster.is_running().await);
    assert_eq!(marks(j.t.cluster.pool()).await, [1, 2, 3, 4, 5, 6]);
    assert_eq!(timeline(&j.t.cluster).await, before);
    assert!(j.catalog.safety_copies("demo").await.unwrap().is_empty());
    j.t.stop().await;
}

#[tokio::test]
async fn a_restore_cut_short_by_a_server_stop_is_undone_at_the_next_start() {
    let j = TestJobs::start().await;
    history(&j).await;
    let c = j.t.cluster.clone();
    c.stop().await.unwrap();

    // What a server killed mid-restore leaves: the data set aside, the marker, a half-made directory.
    let copy = c.dir.join("safety/20261122000000-interrupted");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::write(
        copy.join("about.json"),
        r#"{"job":"20261122000000-interrupted","created_at":"2026-11-22T00:00:00Z","restore_time":"2026-11-21T00:00:00Z"}"#,
    )
    .unwrap();
    std::fs::rename(&c.paths.pgdata, copy.join("pgdata")).unwrap();
    std::fs::create_dir(&c.paths.pgdata).unwrap();
    std::fs::write(c.paths.pgdata.join("half-restored"), "x").unwrap();
    std::fs::write(c.dir.join("pitr-in-progress"), "20261122000000-interrupted").unwrap();

    let run_as = RunAs::for_current_process(&j.t.config.run_as_user).unwrap();
    let again = ManagedCluster::ensure(&j.t.config, &j.t.store, demo_spec(), run_as)
        .await
        .unwrap();
    assert_eq!(marks(again.pool()).await, [1, 2, 3, 4, 5, 6]);
    assert!(!c.dir.join("pitr-in-progress").exists());
    assert!(!again.paths.pgdata.join("half-restored").exists());
    assert!(again.safety_copies().is_empty());
    again.stop().await.unwrap();
}
