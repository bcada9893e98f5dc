//! The evidence a logical backup carries and its verification, against a real cluster: the
//! archive's checksum, row counts taken in the dump's own snapshot while rows keep coming, and
//! test restores on the scratch instance that prove the archive, or say what is wrong with it.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tidemark_core::jobs::{EventBody, Job, JobStatus};
use tidemark_core::provider::BackupMethod;
use tidemark_core::provider::local::scratch::ScratchInstance;
use tidemark_core::schedule::retention::RetentionPolicy;
use tidemark_core::store::LogicalBackup;
use tidemark_core::sysuser::RunAs;
use tidemark_core::testing::{TestJobs, admin};
use tidemark_core::work::backup::{backups_dir, sha256_of, start_backup};
use tidemark_core::work::dump::StartDumpError;
use tidemark_core::work::verify::start_verification;
use tidemark_core::work::verify_sweep::{AUTO_VERIFIER, AutoVerifier};
use tidemark_types::{TableCheck, Verification, VerificationMode, VerificationOutcome};

async fn backup(j: &TestJobs) -> (Job, LogicalBackup) {
    let job = start_backup(
        &j.runner,
        &j.catalog,
        &j.t.config,
        "demo",
        BackupMethod::Manual,
        &admin(),
    )
    .await
    .unwrap();
    let job = j.finished(&job.id).await;
    assert!(
        matches!(job.status, JobStatus::Succeeded { .. }),
        "{:?}",
        job.summary
    );
    let record =
        j.t.store
            .logical_backups("demo")
            .await
            .unwrap()
            .into_iter()
            .find(|b| b.backup.id == job.id.to_string())
            .expect("the backup is recorded");
    (job, record)
}

/// The archive unpacked and restored with the plain tools into `name` on the test cluster.
fn restore_by_hand(j: &TestJobs, record: &LogicalBackup, name: &str) {
    let archive = backups_dir(&j.t.config, "demo").join(&record.file_name);
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let member = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let target = j.t.cluster.conn_target();
    let password = target.password.as_ref().unwrap().expose().clone();
    let psql = |sql: &str| {
        let ok = Command::new(j.t.config.pg_bin("psql"))
            .args([
                "-X",
                "-q",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .arg(format!("--port={}", target.port))
            .args(["-c", sql])
            .env("PGPASSWORD", &password)
            .status()
            .unwrap();
        assert!(ok.success(), "{sql}");
    };
    psql(&format!("CREATE DATABASE {name}"));
    let ok = Command::new(j.t.config.pg_bin("pg_restore"))
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "--no-owner",
            "-d",
            name,
        ])
        .arg(format!("--port={}", target.port))
        .arg(&member)
        .env("PGPASSWORD", &password)
        .status()
        .unwrap();
    assert!(ok.success());
}

async fn rows(j: &TestJobs, database: &str, table: &str) -> u64 {
    let mut conn =
        j.t.cluster
            .conn_target()
            .on_database(database)
            .connect()
            .await
            .unwrap();
    let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    u64::try_from(n).unwrap()
}

#[tokio::test]
async fn a_backup_records_its_checksum_and_the_rows_of_its_own_snapshot() {
    let j = TestJobs::start().await;
    // Rows keep coming while the backup runs: the counts must be those of the dump, not of
    // some moment before or after it.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let writing = writing.clone();
        let target = j.t.cluster.conn_target();
        tokio::spawn(async move {
            let mut conn = target.connect().await.unwrap();
            let mut written = 0u64;
            while writing.load(Ordering::Relaxed) {
                sqlx::query("INSERT INTO page_views (path, viewed_at) VALUES ('/live', now())")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                written += 1;
            }
            written
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (_, record) = backup(&j).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    writing.store(false, Ordering::Relaxed);
    assert!(writer.await.unwrap() > 0);

    let counts = record.row_counts.clone().expect("counts are recorded");
    assert_eq!(
        counts.keys().collect::<Vec<_>>(),
        ["public.customers", "public.orders", "public.page_views"]
    );
    assert_eq!(counts["public.customers"], 200);
    assert_eq!(counts["public.orders"], 2000);
    let live = rows(&j, "demo", "page_views").await;
    assert!(
        counts["public.page_views"] < live,
        "rows written after the dump are not counted ({} of {live})",
        counts["public.page_views"]
    );

    restore_by_hand(&j, &record, "by_hand");
    for table in ["customers", "orders", "page_views"] {
        assert_eq!(
            rows(&j, "by_hand", table).await,
            counts[&format!("public.{table}")],
            "{table}: the archive holds exactly the rows counted"
        );
    }

    let archive = backups_dir(&j.t.config, "demo").join(&record.file_name);
    let out = Command::new("sha256sum").arg(&archive).output().unwrap();
    let expected = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        record.sha256.as_deref(),
        expected.split_whitespace().next(),
        "the recorded checksum is the archive's"
    );
    j.t.stop().await;
}

fn scratch(j: &TestJobs) -> Arc<ScratchInstance> {
    let run_as = RunAs::for_current_process(&j.t.config.run_as_user).unwrap();
    Arc::new(ScratchInstance::new(&j.t.config, run_as))
}

/// Asks for a verification of `record`; the job, or why it was refused.
async fn start(
    j: &TestJobs,
    scratch: &Arc<ScratchInstance>,
    record: &LogicalBackup,
) -> Result<Job, StartDumpError> {
    start_verification(
        &j.runner,
        &j.catalog,
        &Arc::new(j.t.config.clone()),
        scratch,
        "demo",
        &record.backup.id,
        &admin(),
    )
    .await
}

async fn verify(
    j: &TestJobs,
    scratch: &Arc<ScratchInstance>,
    record: &LogicalBackup,
) -> (Job, Verification) {
    let job = start(j, scratch, record).await.unwrap();
    let job = j.finished(&job.id).await;
    let v =
        j.t.store
            .verifications_of_backup(&record.backup.id)
            .await
            .unwrap()
            .into_iter()
            .find(|v| v.id == job.id.to_string())
            .expect("the verification is recorded");
    (job, v)
}

fn auto_verifier(j: &TestJobs) -> AutoVerifier {
    AutoVerifier {
        runner: j.runner.clone(),
        catalog: j.catalog.clone(),
        config: Arc::new(j.t.config.clone()),
        scratch: scratch(j),
    }
}

/// Nothing of a verification is left: the scratch instance is stopped and no dump lingers.
fn nothing_left(j: &TestJobs) {
    let scratch = j.t.config.data_dir.join("scratch/pgdata/postmaster.pid");
    assert!(!scratch.exists(), "the scratch instance is stopped");
    let uploads = j.t.config.artifacts_dir().join("uploads");
    let left = std::fs::read_dir(&uploads).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "no unpacked dump is left in {}", uploads.display());
}

#[tokio::test]
async fn a_verification_restores_the_backup_and_shows_its_evidence_or_what_failed() {
    let j = TestJobs::start().await;
    let scratch = scratch(&j);
    let (_, record) = backup(&j).await;

    let (job, v) = verify(&j, &scratch, &record).await;
    assert!(
        matches!(job.status, JobStatus::Succeeded { .. }),
        "{:?}",
        job.summary
    );
    assert_eq!(v.outcome, VerificationOutcome::Passed);
    let e = &v.evidence;
    assert_eq!(e.checksum_matches, Some(true));
    assert_eq!(e.sha256, record.sha256);
    assert_eq!(e.tables.len(), 3);
    assert!(e.tables.iter().all(TableCheck::matches), "{:?}", e.tables);
    let orders = e
        .tables
        .iter()
        .find(|t| t.table == "public.orders")
        .unwrap();
    assert_eq!(orders.found, Some(2000));
    assert!(e.restore_seconds.unwrap() > 0.0);
    assert!(
        e.amcheck.as_deref().unwrap().contains("no corruption"),
        "{e:?}"
    );
    assert!(
        job.summary
            .as_deref()
            .unwrap()
            .contains("every count equal"),
        "{:?}",
        job.summary
    );
    nothing_left(&j);

    // A count that differs from the backup's is named, table and both numbers.
    let mut tampered = record.clone();
    tampered
        .row_counts
        .as_mut()
        .unwrap()
        .insert("public.orders".into(), 1999);
    j.t.store.save_logical_backup(&tampered).await.unwrap();
    let (job, v) = verify(&j, &scratch, &record).await;
    assert!(matches!(job.status, JobStatus::Failed { .. }));
    assert_eq!(v.outcome, VerificationOutcome::Failed);
    assert_eq!(
        v.evidence.failure.as_deref(),
        Some("public.orders has 2000 rows after the restore, but the backup counted 1999.")
    );
    j.t.store.save_logical_backup(&record).await.unwrap();
    nothing_left(&j);

    // Bytes flipped in the archive: the checksum says so before anything is restored.
    let archive = backups_dir(&j.t.config, "demo").join(&record.file_name);
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 16] {
        *b ^= 0xff;
    }
    std::fs::write(&archive, &bytes).unwrap();
    let (job, v) = verify(&j, &scratch, &record).await;
    assert!(matches!(job.status, JobStatus::Failed { .. }));
    let failure = v.evidence.failure.clone().unwrap();
    assert!(
        failure.starts_with("The archive's SHA-256 is "),
        "{failure}"
    );
    assert!(
        failure.contains(record.sha256.as_deref().unwrap()),
        "{failure}"
    );
    assert_eq!(v.evidence.checksum_matches, Some(false));
    assert!(v.evidence.restore.is_none(), "nothing was restored");

    // The same damage with a checksum that agrees: the unpacking or pg_restore names it.
    let mut recorded = record.clone();
    recorded.sha256 = Some(sha256_of(&archive).unwrap());
    j.t.store.save_logical_backup(&recorded).await.unwrap();
    let (job, v) = verify(&j, &scratch, &recorded).await;
    assert!(matches!(job.status, JobStatus::Failed { .. }));
    let failure = v.evidence.failure.clone().unwrap();
    assert!(
        failure.contains("cannot be unpacked") || failure.contains("pg_restore"),
        "{failure}"
    );
    nothing_left(&j);

    // The backup itself is as it was: marked by its verifications, nothing else changed.
    let now = j.t.store.logical_backups("demo").await.unwrap();
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].backup.status, record.backup.status);
    let history =
        j.t.store
            .verifications_of_backup(&record.backup.id)
            .await
            .unwrap();
    let outcomes: Vec<_> = history.iter().map(|v| v.outcome).collect();
    assert_eq!(
        outcomes,
        [
            VerificationOutcome::Failed,
            VerificationOutcome::Failed,
            VerificationOutcome::Failed,
            VerificationOutcome::Passed
        ]
    );
    j.t.stop().await;
}

#[tokio::test]
async fn each_new_backup_is_verified_once_without_being_asked() {
    let j = TestJobs::start().await;
    let auto = auto_verifier(&j);
    assert!(auto.round().await.unwrap().is_empty(), "no backup yet");
    let (_, first) = backup(&j).await;
    let started = auto.round().await.unwrap();
    assert_eq!(started.len(), 1);
    // Queued or running, it is not asked for twice.
    assert!(auto.round().await.unwrap().is_empty());
    let job = j.finished(&started[0].id).await;
    assert!(
        matches!(job.status, JobStatus::Succeeded { .. }),
        "{:?}",
        job.summary
    );
    assert_eq!(job.started_by, AUTO_VERIFIER);
    let v =
        j.t.store
            .verifications_of_backup(&first.backup.id)
            .await
            .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].outcome, VerificationOutcome::Passed);
    assert!(auto.round().await.unwrap().is_empty(), "verified already");

    // The next backup is the newest, and is verified in its turn.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, second) = backup(&j).await;
    let started = auto.round().await.unwrap();
    assert_eq!(started.len(), 1);
    j.finished(&started[0].id).await;
    let v =
        j.t.store
            .verifications_of_backup(&second.backup.id)
            .await
            .unwrap();
    assert_eq!(v[0].outcome, VerificationOutcome::Passed);
    j.t.stop().await;
}

#[tokio::test]
async fn retention_keeps_the_newest_verified_backup() {
    let mut j = TestJobs::start().await;
    j.t.config.retention = RetentionPolicy {
        manual_keep: 1,
        ..RetentionPolicy::starter()
    };
    let scratch = scratch(&j);
    let ids = |j: &TestJobs| {
        let store = j.t.store.clone();
        async move {
            store
                .logical_backups("demo")
                .await
                .unwrap()
                .into_iter()
                .map(|b| b.backup.id)
                .collect::<Vec<_>>()
        }
    };
    let (_, a) = backup(&j).await;
    let (job, _) = verify(&j, &scratch, &a).await;
    assert!(matches!(job.status, JobStatus::Succeeded { .. }));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, b) = backup(&j).await;
    // One manual backup is kept by the cap; the proven one stays besides.
    assert_eq!(ids(&j).await, [b.backup.id.clone(), a.backup.id.clone()]);

    verify(&j, &scratch, &b).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, c) = backup(&j).await;
    // Now b is the newest proven: a goes.
    assert_eq!(ids(&j).await, [c.backup.id.clone(), b.backup.id.clone()]);
    j.t.stop().await;
}

/// The databases of the scratch instance's data directory: one folder each under `base`, named
/// by its number (beside `pgsql_tmp`, for sorts that spill to disk).
fn scratch_databases(j: &TestJobs) -> usize {
    std::fs::read_dir(j.t.config.data_dir.join("scratch/pgdata/base"))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().chars().all(|c| c.is_ascii_digit())
        })
        .count()
}

#[tokio::test]
async fn a_verification_cancelled_mid_restore_leaves_nothing_behind() {
    let j = TestJobs::start().await;
    let scratch = scratch(&j);
    // Enough rows for the restore to take a few seconds.
    let mut conn = j.t.cluster.conn_target().connect().await.unwrap();
    sqlx::query(
        "INSERT INTO page_views (path, viewed_at)
         SELECT '/p/' || g, now() FROM generate_series(1, 2000000) g",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let (_, record) = backup(&j).await;

    let job = start(&j, &scratch, &record).await.unwrap();
    // Cancelled once pg_restore is at work.
    let mut restoring = false;
    for _ in 0..600 {
        let events = j.t.store.events_after(&job.id, 0).await.unwrap();
        restoring = events.iter().any(|e| {
            matches!(&e.body, EventBody::Progress { progress } if progress.phase == "restoring")
        });
        if restoring {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(restoring, "the verification reached its restore");
    j.runner.cancel(&job.id).await.unwrap();
    let ended = j.finished(&job.id).await;
    assert!(
        matches!(ended.status, JobStatus::Cancelled { .. }),
        "{:?}",
        ended.status
    );
    let v =
        j.t.store
            .verifications_of_backup(&record.backup.id)
            .await
            .unwrap();
    assert_eq!(v[0].outcome, VerificationOutcome::Cancelled);
    nothing_left(&j);
    assert_eq!(
        scratch_databases(&j),
        3,
        "only template0, template1 and postgres are left"
    );

    // And the scratch instance serves the next verification as before.
    let (job, v) = verify(&j, &scratch, &record).await;
    assert!(
        matches!(job.status, JobStatus::Succeeded { .. }),
        "{:?}",
        job.summary
    );
    let views = v
        .evidence
        .tables
        .iter()
        .find(|t| t.table == "public.page_views")
        .unwrap();
    assert_eq!(views.found, Some(2_005_000));
    assert_eq!(scratch_databases(&j), 3);
    j.t.stop().await;
}

#[tokio::test]
async fn each_database_s_setting_says_when_its_backups_are_verified() {
    let j = TestJobs::start().await;
    let auto = auto_verifier(&j);
    // Off: a new backup waits for someone to ask.
    j.t.store
        .save_verification_mode("demo", VerificationMode::Off)
        .await
        .unwrap();
    let (_, record) = backup(&j).await;
    assert!(auto.round().await.unwrap().is_empty());

    // Daily: the newest backup, then not again until a day after the last verification began.
    j.t.store
        .save_verification_mode("demo", VerificationMode::Daily)
        .await
        .unwrap();
    let started = auto.round().await.unwrap();
    assert_eq!(started.len(), 1);
    j.finished(&started[0].id).await;
    assert!(auto.round().await.unwrap().is_empty(), "once a day");
    let mut last = j.t.store.verifications("demo", 1).await.unwrap().remove(0);
    last.started_at -= chrono::Duration::hours(25);
    j.t.store.save_verification(&last).await.unwrap();
    let again = auto.round().await.unwrap();
    assert_eq!(again.len(), 1, "a day later, the same newest backup again");
    j.finished(&again[0].id).await;
    let history =
        j.t.store
            .verifications_of_backup(&record.backup.id)
            .await
            .unwrap();
    assert_eq!(history.len(), 2);
    assert!(
        history
            .iter()
            .all(|v| v.outcome == VerificationOutcome::Passed)
    );
    j.t.stop().await;
}

#[tokio::test]
async fn a_backup_counted_by_no_one_is_flagged_when_a_table_lost_half_its_rows() {
    let j = TestJobs::start().await;
    let scratch = scratch(&j);
    let (_, first) = backup(&j).await;
    let (_, v) = verify(&j, &scratch, &first).await;
    assert_eq!(v.outcome, VerificationOutcome::Passed);

    let mut conn = j.t.cluster.conn_target().connect().await.unwrap();
    sqlx::query("DELETE FROM page_views WHERE id > 1000")
        .execute(&mut conn)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, mut second) = backup(&j).await;
    // As a provider's backup: no counts taken when it was made.
    second.row_counts = None;
    j.t.store.save_logical_backup(&second).await.unwrap();
    let (job, v) = verify(&j, &scratch, &second).await;
    assert_eq!(
        v.outcome,
        VerificationOutcome::Passed,
        "a flag is not a failure"
    );
    assert_eq!(
        v.evidence.flags,
        [format!(
            "public.page_views has 1000 rows, less than half the 5000 of the previous verified backup ({}).",
            first.backup.id
        )]
    );
    assert!(
        job.summary
            .as_deref()
            .unwrap()
            .contains("shrank by more than half"),
        "{:?}",
        job.summary
    );
    j.t.stop().await;
}

#[tokio::test]
async fn too_little_disk_refuses_a_verification_before_it_starts() {
    let j = TestJobs::start().await;
    let scratch = scratch(&j);
    let (_, record) = backup(&j).await;
    // The archive made huge without taking space (a sparse file): its test restore needs more
    // than any disk here has.
    let archive = backups_dir(&j.t.config, "demo").join(&record.file_name);
    std::fs::File::options()
        .write(true)
        .open(&archive)
        .unwrap()
        .set_len(1 << 40)
        .unwrap();
    let refused = start(&j, &scratch, &record).await.unwrap_err();
    let StartDumpError::NoSpace(message) = &refused else {
        panic!("refused for want of space: {refused:?}");
    };
    assert!(message.contains("needs about"), "{message}");
    assert!(message.contains("which has"), "{message}");
    assert!(
        j.t.store
            .verifications_of_backup(&record.backup.id)
            .await
            .unwrap()
            .is_empty(),
        "nothing was started"
    );
    assert!(
        !j.t.config.data_dir.join("scratch").exists(),
        "the scratch instance was not even made"
    );
    j.t.stop().await;
}

#[tokio::test]
async fn a_scratch_instance_that_cannot_start_fails_the_verification_with_its_log_and_backups_go_on()
 {
    let j = TestJobs::start().await;
    let scratch = scratch(&j);
    let (_, record) = backup(&j).await;
    let (job, _) = verify(&j, &scratch, &record).await;
    assert!(matches!(job.status, JobStatus::Succeeded { .. }));

    // A setting the server refuses, where an administrator might have left it.
    let auto =
        j.t.config
            .data_dir
            .join("scratch/pgdata/postgresql.auto.conf");
    let kept = std::fs::read_to_string(&auto).unwrap();
    std::fs::write(&auto, format!("{kept}\nshared_buffers = 'lots'\n")).unwrap();
    let (job, v) = verify(&j, &scratch, &record).await;
    let JobStatus::Failed { reason, .. } = &job.status else {
        panic!("the verification fails: {:?}", job.status);
    };
    assert!(reason.contains("scratch"), "{reason}");
    assert!(
        reason.contains("shared_buffers"),
        "the log's last lines say why: {reason}"
    );
    assert_eq!(v.outcome, VerificationOutcome::Failed);
    nothing_left(&j);

    // Backups go on.
    let (job, _) = backup(&j).await;
    assert!(matches!(job.status, JobStatus::Succeeded { .. }));
    std::fs::write(&auto, kept).unwrap();
    let (job, _) = verify(&j, &scratch, &record).await;
    assert!(
        matches!(job.status, JobStatus::Succeeded { .. }),
        "{:?}",
        job.status
    );
    j.t.stop().await;
}

#[tokio::test]
async fn what_a_stopped_server_left_is_ended_at_start_and_its_scratch_database_dropped() {
    let j = TestJobs::start().await;
    let scratch = scratch(&j);
    let (_, record) = backup(&j).await;
    // As a server killed mid-verification leaves things: the record running, a scratch
    // database still there.
    j.t.store
        .save_verification(&Verification {
            id: "killed".into(),
            database: "demo".into(),
            backup: record.backup.id.clone(),
            started_at: chrono::Utc::now(),
            finished_at: None,
            outcome: VerificationOutcome::Running,
            evidence: Default::default(),
        })
        .await
        .unwrap();
    let session = scratch.open().await.unwrap();
    session.create_database("verify_killed").await.unwrap();
    session.close().await;
    assert_eq!(scratch_databases(&j), 4);

    assert_eq!(j.t.store.end_interrupted_verifications().await.unwrap(), 1);
    let v =
        &j.t.store
            .verifications_of_backup(&record.backup.id)
            .await
            .unwrap()[0];
    assert_eq!(v.outcome, VerificationOutcome::Failed);
    assert!(
        v.evidence
            .failure
            .as_deref()
            .unwrap()
            .contains("server stopped")
    );

    let (job, _) = verify(&j, &scratch, &record).await;
    assert!(matches!(job.status, JobStatus::Succeeded { .. }));
    assert_eq!(scratch_databases(&j), 3, "the leftover is gone");
    j.t.stop().await;
}
