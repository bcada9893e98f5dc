//! The point-in-time restore job against the same restore done by hand (stop, set pgdata aside,
//! pgBackRest restore, pg_ctl start, wait for promotion), to the same time from the same backup set:
//! `cargo run -p tidemark-core --features testing --example bench_pitr [scale] [rounds]`.
#![expect(clippy::print_stdout, reason = "a benchmark prints its results")]

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::PgPool;
use tidemark_core::auth::{Principal, Role, Via};
use tidemark_core::jobs::{EventBody, Job, JobEvent, JobId};
use tidemark_core::pgtools::pg_ctl;
use tidemark_core::pgtools::pgbackrest::PhysicalKind;
use tidemark_core::pgtools::run;
use tidemark_core::provider::local::ManagedCluster;
use tidemark_core::sysuser::RunAs;
use tidemark_core::testing::{TestCluster, TestJobs};
use tidemark_core::work::pitr::{PitrRequest, start_pitr_restore};

/// The phase the job enters right after the restored cluster has answered a query.
const ACCEPTING: &str = "taking a new full backup";
/// Where the by-hand restore moves the data directory it replaces.
const ASIDE: &str = "bench-pgdata-before-by-hand";

async fn exec(pool: &PgPool, sql: &str) {
    sqlx::query(sql).execute(pool).await.expect(sql);
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

/// Fills the main database with pgbench's tables at `scale`.
async fn pgbench_init(t: &TestCluster, scale: u32) {
    let target = t.cluster.conn_target();
    let out = tokio::process::Command::new(t.config.pg_bin("pgbench"))
        .args(["-i", "-q", "-s", &scale.to_string()])
        .arg(format!("--host={}", target.host))
        .arg(format!("--port={}", target.port))
        .arg(format!("--username={}", target.user))
        .arg(&target.dbname)
        .env(
            "PGPASSWORD",
            target
                .password
                .as_ref()
                .map(|p| p.expose().clone())
                .unwrap_or_default(),
        )
        .output()
        .await
        .expect("pgbench runs");
    assert!(
        out.status.success(),
        "pgbench -i failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Switches WAL and waits until the archive holds everything written before `t`.
async fn archived_past(c: &ManagedCluster, t: DateTime<Utc>) {
    exec(c.pool(), "SELECT pg_switch_wal()").await;
    for _ in 0..600 {
        if c.archive_state()
            .await
            .expect("archive state")
            .0
            .is_some_and(|a| a > t)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("WAL written before {t} never reached the archive");
}

/// Writes to replay before the returned time T (1,000 marks of this round, 10% of the accounts
/// updated), and as much after it, all archived.
async fn history(c: &ManagedCluster, round: usize) -> DateTime<Utc> {
    let pool = c.pool();
    exec(pool, "CREATE TABLE IF NOT EXISTS marks (round int, n int)").await;
    let round = round as i32;
    let write = |part: i32| async move {
        sqlx::query("INSERT INTO marks SELECT $1, generate_series($2, $2 + 999)")
            .bind(round)
            .bind(part * 1000 + 1)
            .execute(pool)
            .await
            .expect("insert marks");
        sqlx::query("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 10 = $1")
            .bind((2 * round + part) % 10)
            .execute(pool)
            .await
            .expect("update accounts");
    };
    write(0).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let target = Utc::now();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    write(1).await;
    archived_past(c, Utc::now()).await;
    target
}

async fn marks(c: &ManagedCluster, round: usize) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM marks WHERE round = $1")
        .bind(round as i32)
        .fetch_one(c.pool())
        .await
        .expect("count marks")
}

/// Waits for the job's end (a restore of a large database may take longer than the tests allow).
async fn finished(t: &TestCluster, id: &JobId) -> Job {
    loop {
        let job = t.store.job(id).await.expect("job").expect("job exists");
        if job.status.is_finished() {
            assert_eq!(job.status.name(), "succeeded", "{:?}", job.summary);
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn secs(d: chrono::TimeDelta) -> f64 {
    d.to_std().unwrap_or_default().as_secs_f64()
}

/// One measured restore: the total, then the parts worth comparing.
struct Timing {
    total: f64,
    restore: f64,
    start_and_replay: f64,
}

impl Timing {
    fn line(&self) -> String {
        format!(
            "{:>6.2} s (restore {:.2} s, start and replay {:.2} s, the rest {:.2} s)",
            self.total,
            self.restore,
            self.start_and_replay,
            self.total - self.restore - self.start_and_replay
        )
    }
}

/// The job, from the call that confirms it to the phase that follows the restored cluster
/// answering a query.
async fn job(j: &TestJobs, target: DateTime<Utc>) -> Timing {
    let started = Utc::now();
    let job = start_pitr_restore(
        &j.runner,
        &j.catalog,
        "demo",
        PitrRequest {
            restore_time: target.to_rfc3339_opts(SecondsFormat::Micros, true),
            confirm: true,
        },
        &Principal {
            user: "bench".into(),
            role: Role::Admin,
            via: Via::System,
        },
    )
    .await
    .expect("restore starts");
    finished(&j.t, &job.id).await;
    let events = j.t.store.events_after(&job.id, 0).await.expect("events");
    let began = |phase: &str| {
        events
            .iter()
            .find_map(|e: &JobEvent| match &e.body {
                EventBody::Progress { progress } if progress.phase == phase => Some(e.at),
                _ => None,
            })
            .unwrap_or_else(|| panic!("the job has no phase '{phase}'"))
    };
    let restoring = began("restoring files from the backup");
    let replaying = began("replaying WAL up to the target");
    let checking = began("checking that it accepts connections");
    Timing {
        total: secs(began(ACCEPTING) - started),
        restore: secs(replaying - restoring),
        start_and_replay: secs(checking - replaying),
    }
}

/// The same steps typed by hand, from the stop to `pg_is_in_recovery()` turning false.
async fn by_hand(c: &ManagedCluster, target: DateTime<Utc>, run_as: Option<RunAs>) -> Timing {
    let started = Instant::now();
    c.stop().await.expect("cluster stops");
    let pgdata = &c.paths.pgdata;
    let aside = c.dir.join(ASIDE);
    if aside.exists() {
        std::fs::remove_dir_all(&aside).expect("remove an old pgdata set aside");
    }
    std::fs::rename(pgdata, &aside).expect("move pgdata aside");
    std::fs::create_dir(pgdata).expect("empty pgdata");
    if let Some(user) = &run_as {
        std::os::unix::fs::chown(pgdata, Some(user.uid), Some(user.gid)).expect("chown pgdata");
    }
    std::fs::set_permissions(pgdata, std::fs::Permissions::from_mode(0o700)).expect("chmod pgdata");

    let restoring = Instant::now();
    run(
        &c.stanza.restore_to_time(target, run_as.clone()),
        Duration::from_secs(6 * 3600),
    )
    .await
    .expect("pgbackrest restore");
    let starting = Instant::now();
    run(
        &pg_ctl::start(&c.paths, 3600, run_as),
        Duration::from_secs(3610),
    )
    .await
    .expect("pg_ctl start");
    let deadline = Instant::now() + Duration::from_secs(3600);
    loop {
        let recovering: Result<bool, _> = sqlx::query_scalar("SELECT pg_is_in_recovery()")
            .fetch_one(c.pool())
            .await;
        if matches!(recovering, Ok(false)) {
            break;
        }
        assert!(Instant::now() < deadline, "recovery did not end");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Timing {
        total: started.elapsed().as_secs_f64(),
        restore: (starting - restoring).as_secs_f64(),
        start_and_replay: starting.elapsed().as_secs_f64(),
    }
}

/// Puts back the data directory `by_hand` moved aside, and starts it.
async fn put_back(c: &ManagedCluster) {
    c.stop().await.expect("cluster stops");
    std::fs::remove_dir_all(&c.paths.pgdata).expect("remove the restored pgdata");
    std::fs::rename(c.dir.join(ASIDE), &c.paths.pgdata).expect("put pgdata back");
    c.start().await.expect("cluster starts");
}

/// Writes dirty pages out, so that one restore's writes do not slow the next one down.
async fn settle() {
    tokio::task::spawn_blocking(nix::unistd::sync)
        .await
        .expect("sync");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let scale: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let j = TestJobs::start().await;
    let c = j.t.cluster.clone();
    let run_as = RunAs::for_current_process(&j.t.config.run_as_user).expect("system user");

    println!("Loading pgbench data at scale {scale}...");
    pgbench_init(&j.t, scale).await;
    c.backup(PhysicalKind::Full).await.expect("full backup");
    let db_bytes = count(c.pool(), "SELECT pg_database_size(current_database())").await;
    let set_bytes = c
        .info()
        .await
        .expect("pgbackrest info")
        .backups
        .last()
        .map_or(0, |b| b.repository_bytes);
    println!(
        "database size {:.0} MB, its full backup {:.0} MB in the repository (lz4); {rounds} rounds",
        db_bytes as f64 / 1e6,
        set_bytes as f64 / 1e6
    );

    // Each round restores one new target T both ways, from the same backup set. The order
    // alternates; after the job, the by-hand restore needs a full backup on its own timeline for
    // the next round, as the job takes one.
    let (mut jobs, mut hands) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let target = history(&c, round).await;
        let hand_first = round % 2 == 0;
        let (job_timing, hand_timing, job_rows, hand_rows);
        if hand_first {
            settle().await;
            hand_timing = by_hand(&c, target, run_as.clone()).await;
            hand_rows = marks(&c, round).await;
            put_back(&c).await;
            settle().await;
            job_timing = job(&j, target).await;
            job_rows = marks(&c, round).await;
        } else {
            settle().await;
            job_timing = job(&j, target).await;
            job_rows = marks(&c, round).await;
            settle().await;
            hand_timing = by_hand(&c, target, run_as.clone()).await;
            hand_rows = marks(&c, round).await;
            c.backup(PhysicalKind::Full).await.expect("full backup");
        }
        println!(
            "round {} ({} first), T = {}; rows before T restored: job {job_rows}, by hand {hand_rows} (expected 1000)",
            round + 1,
            if hand_first { "by hand" } else { "job" },
            target.to_rfc3339_opts(SecondsFormat::Millis, true)
        );
        println!("    job     {}", job_timing.line());
        println!("    by hand {}", hand_timing.line());
        jobs.push(job_timing.total);
        hands.push(hand_timing.total);
    }

    let (job_secs, hand_secs) = (median(jobs), median(hands));
    println!(
        "job: confirm to accepting connections, median {job_secs:.2} s (queued, set aside, restored, replayed, checked; the new full backup that follows is not counted)"
    );
    println!(
        "by hand: pg_ctl stop to pg_is_in_recovery() = false (polled every 100 ms), median {hand_secs:.2} s"
    );
    println!("(dirty pages flushed with sync(2) before each measured restore)");
    println!(
        "ratio job/by-hand = {:.3}  (goal <= 1.15)",
        job_secs / hand_secs
    );
    j.runner.shutdown().await;
    j.t.stop().await;
}
