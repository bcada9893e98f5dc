//! The scheduler against a real cluster: a slot runs once (also across a restart), a missed slot
//! is caught up only when configured, full physical backups come back on their period, and
//! retention deletes what the policy no longer keeps.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tidemark_core::Config;
use tidemark_core::jobs::{EventBody, Job, JobStatus};
use tidemark_core::provider::{BackupMethod, BackupStatus};
use tidemark_core::schedule::daily::DailySchedule;
use tidemark_core::schedule::retention::RetentionPolicy;
use tidemark_core::testing::TestJobs;
use tidemark_core::work::scheduler::Scheduler;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn scheduler(j: &TestJobs, config: Config) -> Scheduler {
    Scheduler {
        runner: j.runner.clone(),
        catalog: j.catalog.clone(),
        config: Arc::new(config),
    }
}

/// A schedule at 03:00 UTC, saved (and so last run) the day before `now`.
async fn schedule_at_three(j: &TestJobs, now: DateTime<Utc>) {
    j.t.store
        .save_schedule(
            "demo",
            DailySchedule {
                enabled: true,
                hour: 3,
            },
            now - Duration::days(1),
        )
        .await
        .unwrap();
}

async fn succeeded(j: &TestJobs, job: &Job) -> Job {
    let done = j.finished(&job.id).await;
    assert!(
        matches!(done.status, JobStatus::Succeeded { .. }),
        "{:?} {:?}",
        done.status,
        done.summary
    );
    done
}

#[tokio::test]
async fn a_slot_runs_once_even_across_a_restart_and_missed_slots_follow_the_setting() {
    let j = TestJobs::start().await;
    let config = Config {
        full_backup_every_days: 0,
        ..j.t.config.clone()
    };
    let now = at("2030-01-10T03:01:00Z");
    schedule_at_three(&j, now).await;

    let started = scheduler(&j, config.clone()).tick(now).await.unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].params["method"], "periodic");
    assert_eq!(started[0].started_by, "scheduler");
    // Asked again while it runs, and after it ran, by a new scheduler as after a restart: nothing.
    assert!(
        scheduler(&j, config.clone())
            .tick(now)
            .await
            .unwrap()
            .is_empty()
    );
    succeeded(&j, &started[0]).await;
    let later = now + Duration::minutes(5);
    assert!(
        scheduler(&j, config.clone())
            .tick(later)
            .await
            .unwrap()
            .is_empty()
    );
    let backups = j.catalog.backups("demo").await.unwrap();
    let periodic: Vec<_> = backups
        .iter()
        .filter(|b| b.method == BackupMethod::Periodic)
        .collect();
    assert_eq!(periodic.len(), 1);
    assert_eq!(periodic[0].status, BackupStatus::Done);

    // The next day's slot, found three hours late (the server was down): caught up or not.
    let late = at("2030-01-11T06:00:00Z");
    let strict = Config {
        catch_up_missed_backups: false,
        ..config.clone()
    };
    assert!(scheduler(&j, strict).tick(late).await.unwrap().is_empty());
    let caught_up = scheduler(&j, config.clone()).tick(late).await.unwrap();
    assert_eq!(caught_up.len(), 1);
    succeeded(&j, &caught_up[0]).await;

    // Turned off: nothing, whatever the hour.
    j.t.store
        .save_schedule(
            "demo",
            DailySchedule {
                enabled: false,
                hour: 3,
            },
            late,
        )
        .await
        .unwrap();
    let next_day = at("2030-01-12T03:00:30Z");
    assert!(
        scheduler(&j, config)
            .tick(next_day)
            .await
            .unwrap()
            .is_empty()
    );
    j.t.stop().await;
}

#[tokio::test]
async fn a_full_physical_backup_is_taken_when_the_newest_is_older_than_the_period() {
    let j = TestJobs::start().await;
    let mut config = j.t.config.clone();
    config.full_backup_every_days = 7;
    let now = Utc::now();
    // A schedule that is not due, so only physical backups are in play.
    j.t.store
        .save_schedule(
            "demo",
            DailySchedule {
                enabled: false,
                hour: 3,
            },
            now,
        )
        .await
        .unwrap();
    let fulls = |b: &[tidemark_core::provider::Backup]| {
        b.iter()
            .filter(|b| b.method == BackupMethod::PhysicalFull)
            .count()
    };
    assert_eq!(fulls(&j.catalog.backups("demo").await.unwrap()), 1);
    assert!(
        scheduler(&j, config.clone())
            .tick(now)
            .await
            .unwrap()
            .is_empty()
    );

    let eight_days_on = now + Duration::days(8);
    let started = scheduler(&j, config.clone())
        .tick(eight_days_on)
        .await
        .unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].params["method"], "physical_full");
    // Not a second one while the first runs.
    assert!(
        scheduler(&j, config)
            .tick(eight_days_on)
            .await
            .unwrap()
            .is_empty()
    );
    succeeded(&j, &started[0]).await;
    assert_eq!(fulls(&j.catalog.backups("demo").await.unwrap()), 2);
    j.t.stop().await;
}

#[tokio::test]
async fn retention_deletes_manual_backups_beyond_the_cap_and_says_why() {
    let mut j = TestJobs::start().await;
    j.t.config.retention = RetentionPolicy {
        manual_keep: 2,
        ..RetentionPolicy::starter()
    };
    let mut ids = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let job = tidemark_core::work::backup::start_backup(
            &j.runner,
            &j.catalog,
            &j.t.config,
            "demo",
            BackupMethod::Manual,
            &tidemark_core::testing::admin(),
        )
        .await
        .unwrap();
        last = Some(succeeded(&j, &job).await);
        ids.push(job.id.to_string());
        // Archive names carry the second they were taken.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    let logical = j.t.store.logical_backups("demo").await.unwrap();
    let kept: Vec<&str> = logical.iter().map(|b| b.backup.id.as_str()).collect();
    assert_eq!(kept, [ids[2].as_str(), ids[1].as_str()]);
    let dir = j.t.config.data_dir.join("backups/demo");
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        files,
        2,
        "the oldest archive is deleted from {}",
        dir.display()
    );

    let last = last.unwrap();
    assert!(
        last.summary
            .as_deref()
            .unwrap()
            .contains("Retention deleted 1 older backup")
    );
    let logs: Vec<String> =
        j.t.store
            .events_after(&last.id, 0)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.body {
                EventBody::Log { line } => Some(line),
                _ => None,
            })
            .collect();
    assert!(
        logs.iter()
            .any(|l| l.contains(&ids[0]) && l.contains("more than 2 manual backups")),
        "{logs:?}"
    );
    j.t.stop().await;
}
