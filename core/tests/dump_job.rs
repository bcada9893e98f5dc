//! Dump jobs against a real cluster: the artifact restores, progress is honest, and nothing is left
//! behind when a dump is cancelled, killed or interrupted.

use std::time::Duration;

use tidemark_core::jobs::{EventBody, EventHub, Job, JobId, JobRunner};
use tidemark_core::testing::TestJobs;
use tidemark_core::work::dump::{artifact_path, start_dump};

async fn fixture() -> TestJobs {
    TestJobs::start().await
}

async fn wait_until_finished(f: &TestJobs, id: &JobId) -> Job {
    f.finished(id).await
}

async fn wait_until_dumping(f: &TestJobs, id: &JobId) {
    for _ in 0..300 {
        let events = f.t.store.events_after(id, 0).await.unwrap();
        let dumping = events.iter().any(|e| {
            matches!(&e.body, EventBody::Progress { progress } if progress.phase == "dumping tables" && progress.done >= 1)
        });
        if dumping {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {id} never started dumping");
}

/// A table large enough that a dump takes a few seconds.
async fn add_big_table(f: &TestJobs) {
    sqlx::query("CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS v FROM generate_series(1, 1500000) g")
        .execute(f.t.cluster.pool())
        .await
        .unwrap();
}

/// A dump of a large table, caught while pg_dump is writing it.
async fn a_dump_under_way() -> (TestJobs, Job) {
    let f = fixture().await;
    add_big_table(&f).await;
    let job = start_dump(
        &f.runner,
        &f.catalog,
        &f.t.config,
        "demo",
        &tidemark_core::testing::admin(),
    )
    .await
    .unwrap();
    wait_until_dumping(&f, &job.id).await;
    (f, job)
}

fn leftovers(f: &TestJobs) -> Vec<String> {
    match std::fs::read_dir(f.t.config.artifacts_dir()) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn a_dump_job_writes_a_restorable_dump_with_progress_ending_at_the_total() {
    let f = fixture().await;
    let job = start_dump(
        &f.runner,
        &f.catalog,
        &f.t.config,
        "demo",
        &tidemark_core::testing::admin(),
    )
    .await
    .unwrap();
    assert_eq!(job.status.name(), "queued");
    assert!(!job.params.to_string().contains("password"));
    let job = wait_until_finished(&f, &job.id).await;
    assert_eq!(job.status.name(), "succeeded", "{:?}", job.summary);
    let artifact = job.artifact.clone().unwrap();
    assert!(artifact.file_name.starts_with("demo_") && artifact.file_name.ends_with(".dump"));
    let path = artifact_path(&f.t.config.artifacts_dir(), &job.id);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), artifact.size_bytes);

    // pg_restore reads it and finds the demo tables' data.
    let list = std::process::Command::new(f.t.config.pg_bin("pg_restore"))
        .arg("--list")
        .arg(&path)
        .output()
        .unwrap();
    assert!(list.status.success());
    let toc = String::from_utf8_lossy(&list.stdout);
    for table in ["customers", "orders", "page_views"] {
        assert!(
            toc.contains(&format!("TABLE DATA public {table}")),
            "{table} missing from:\n{toc}"
        );
    }

    // Progress only moves forward and ends exactly at the number of tables.
    let events = f.t.store.events_after(&job.id, 0).await.unwrap();
    let progress: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Progress { progress } if progress.phase == "dumping tables" => {
                Some(progress.clone())
            }
            _ => None,
        })
        .collect();
    assert!(
        progress.windows(2).all(|w| w[0].done <= w[1].done),
        "{progress:?}"
    );
    let last = progress.last().unwrap();
    assert_eq!(last.total, Some(3));
    assert_eq!(last.done, 3);
    assert_eq!(last.per_mille(), Some(1000));
    assert_eq!(last.bytes, artifact.size_bytes);
    // Events are numbered 1, 2, 3... and the last says the job succeeded.
    assert!(
        events
            .iter()
            .enumerate()
            .all(|(i, e)| e.seq == i as u64 + 1)
    );
    assert!(events.last().unwrap().is_final());
    assert_eq!(leftovers(&f), [format!("{}.dump", job.id)]);
}

#[tokio::test]
async fn a_cancelled_dump_leaves_no_file() {
    let (f, job) = a_dump_under_way().await;
    f.runner.cancel(&job.id).await.unwrap();
    let job = wait_until_finished(&f, &job.id).await;
    assert_eq!(job.status.name(), "cancelled");
    assert!(job.artifact.is_none());
    assert!(leftovers(&f).is_empty(), "{:?}", leftovers(&f));
    // A finished job cannot be cancelled again.
    assert!(f.runner.cancel(&job.id).await.is_err());
}

#[tokio::test]
async fn a_killed_pg_dump_fails_the_job_and_leaves_no_file() {
    let (f, job) = a_dump_under_way().await;
    let pattern = format!("pg_dump.*{}", job.id);
    let killed = std::process::Command::new("pkill")
        .args(["-9", "-f", &pattern])
        .status()
        .unwrap();
    assert!(killed.success(), "no pg_dump process matched {pattern}");
    let job = wait_until_finished(&f, &job.id).await;
    assert_eq!(job.status.name(), "failed");
    let reason = job.summary.unwrap();
    assert!(reason.contains("pg_dump failed"), "{reason}");
    assert!(reason.contains("signal: 9"), "{reason}");
    assert!(leftovers(&f).is_empty(), "{:?}", leftovers(&f));
}

#[tokio::test]
async fn a_server_stop_interrupts_running_dumps_and_a_restart_marks_leftovers() {
    let (f, job) = a_dump_under_way().await;
    f.runner.shutdown().await;
    let stopped = f.t.store.job(&job.id).await.unwrap().unwrap();
    assert_eq!(stopped.status.name(), "interrupted");
    assert!(stopped.status.started_at().is_some());
    assert!(leftovers(&f).is_empty(), "{:?}", leftovers(&f));
    assert!(
        start_dump(
            &f.runner,
            &f.catalog,
            &f.t.config,
            "demo",
            &tidemark_core::testing::admin()
        )
        .await
        .is_err()
    );

    // A job a crashed server left "running" becomes interrupted at the next start.
    let mut crashed = stopped.clone();
    crashed.id = JobId("20261122000000-crashedjob".into());
    crashed.status = tidemark_core::jobs::JobStatus::Queued {
        queued_at: chrono::Utc::now(),
    }
    .start(chrono::Utc::now());
    f.t.store.insert_job(&crashed).await.unwrap();
    let next = JobRunner::new(EventHub::new(f.t.store.clone()), 2);
    assert_eq!(next.recover().await.unwrap(), 1);
    let reread = f.t.store.job(&crashed.id).await.unwrap().unwrap();
    assert_eq!(reread.status.name(), "interrupted");
}
