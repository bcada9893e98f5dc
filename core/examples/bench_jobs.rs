//! Benchmarks of the dump and restore jobs against the plain tools on the same data, printed as
//! ratios measured in one run: `cargo run --release -p tidemark-core --features testing --example bench_jobs [scale]`.
#![expect(clippy::print_stdout, reason = "a benchmark prints its results")]

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tidemark_core::Catalog;
use tidemark_core::jobs::{EventHub, Job, JobId, JobRunner};
use tidemark_core::pgtools::pg_dump;
use tidemark_core::pgtools::pg_restore::{self, RestoreMode};
use tidemark_core::provider::local::LocalProvider;
use tidemark_core::testing::TestCluster;
use tidemark_core::work::dump::start_dump;
use tidemark_core::work::restore::{RestoreRequest, RestoreSource, RestoreTarget, start_restore};

async fn finished(t: &TestCluster, id: &JobId) -> Job {
    loop {
        let job = t.store.job(id).await.expect("job").expect("job exists");
        if job.status.is_finished() {
            assert_eq!(job.status.name(), "succeeded", "{:?}", job.summary);
            return job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn tool(t: &TestCluster, program: &str) -> Command {
    let target = t.cluster.conn_target();
    let mut c = Command::new(t.config.pg_bin(program));
    c.arg(format!("--host={}", target.host))
        .arg(format!("--port={}", target.port))
        .arg("--username=postgres")
        .env(
            "PGPASSWORD",
            target
                .password
                .as_ref()
                .map(|p| p.expose().clone())
                .unwrap_or_default(),
        );
    c
}

fn run(mut c: Command) -> Duration {
    // The tools' verbose lines are the jobs' progress; here they would only hide the results.
    c.stderr(std::process::Stdio::null());
    let start = Instant::now();
    let status = c.status().expect("tool runs");
    assert!(status.success(), "{c:?} failed");
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn sql(t: &TestCluster, db: &str, statement: &str) {
    let mut c = tool(t, "psql");
    c.args([
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        db,
        "-c",
        statement,
    ]);
    run(c);
}

#[tokio::main]
async fn main() {
    let scale: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let rounds = 3;
    let t = TestCluster::start().await;
    let runner = JobRunner::new(EventHub::new(t.store.clone()), 2);
    let catalog = Catalog::new(vec![Arc::new(LocalProvider::new(
        vec![t.cluster.clone()],
        t.store.clone(),
    ))]);

    println!("Loading pgbench data at scale {scale}...");
    let mut init = tool(&t, "pgbench");
    init.args(["-i", "-q", "-s", &scale.to_string(), "demo"]);
    run(init);
    let raw_file = t.dir.path().join("raw.dump");
    let target = t.cluster.conn_target().on_database("demo");

    // Dump: the job (from submit to its recorded end) against the same pg_dump command alone.
    let (mut raw_times, mut job_times) = (Vec::new(), Vec::new());
    let mut last_dump = None;
    for _ in 0..rounds {
        // The command the dump job runs, built by the same builder.
        let c = pg_dump::dump_custom(&t.config.pg_bin_dir, &target, &raw_file).to_std_process();
        raw_times.push(run(c));
        let start = Instant::now();
        let job = start_dump(
            &runner,
            &catalog,
            &t.config,
            "demo",
            &tidemark_core::testing::admin(),
        )
        .await
        .expect("dump starts");
        let job = finished(&t, &job.id).await;
        job_times.push(start.elapsed());
        last_dump = Some(job);
    }
    let (raw, job) = (median(raw_times), median(job_times));
    println!(
        "dump    raw pg_dump {:>7.2} s   dump job {:>7.2} s   job/raw = {:.3}  (goal <= 1.03)",
        raw.as_secs_f64(),
        job.as_secs_f64(),
        job.as_secs_f64() / raw.as_secs_f64()
    );

    // Restore: the seeds' single-process pg_restore against the job (parallel), same dump.
    let dump = last_dump.expect("a dump");
    let dump_file = tidemark_core::work::dump::artifact_path(&t.config.artifacts_dir(), &dump.id);
    let (mut raw_times, mut job_times) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let raw_db = format!("raw_restore_{round}");
        sql(&t, "postgres", &format!("CREATE DATABASE {raw_db}"));
        // The restore job's command, one process instead of several.
        let mode = RestoreMode {
            jobs: 1,
            single_transaction: false,
            role: None,
        };
        let c = pg_restore::restore(
            &t.config.pg_bin_dir,
            &target.on_database(&raw_db),
            &dump_file,
            &mode,
        )
        .to_std_process();
        raw_times.push(run(c));
        let start = Instant::now();
        let job = start_restore(
            &runner,
            &catalog,
            &t.config,
            "demo",
            &tidemark_core::testing::admin(),
            RestoreRequest {
                source: RestoreSource::DumpJob(dump.id.to_string()),
                target: RestoreTarget::NewDatabase(format!("job_restore_{round}")),
                confirm: false,
                confirm_name: None,
            },
        )
        .await
        .expect("restore starts");
        finished(&t, &job.id).await;
        job_times.push(start.elapsed());
    }
    let (raw, job) = (median(raw_times), median(job_times));
    println!(
        "restore raw pg_restore {:>7.2} s   restore job {:>7.2} s   raw/job = {:.2}x faster  (goal >= 1.5x; job includes CREATE DATABASE)",
        raw.as_secs_f64(),
        job.as_secs_f64(),
        raw.as_secs_f64() / job.as_secs_f64()
    );
    println!(
        "cores: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    runner.shutdown().await;
    t.stop().await;
}
