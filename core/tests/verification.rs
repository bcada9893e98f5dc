//! The evidence a logical backup carries and its verification, against a real cluster: the
//! archive's checksum, row counts taken in the dump's own snapshot while rows keep coming, and
//! test restores on the scratch instance that prove the archive, or say what is wrong with it.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tidemark_core::jobs::{Job, JobStatus};
use tidemark_core::provider::BackupMethod;
use tidemark_core::store::LogicalBackup;
use tidemark_core::testing::{TestJobs, admin};
use tidemark_core::work::backup::{backups_dir, start_backup};

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
