//! The verification job against the same steps done by hand on the same scratch instance: the
//! archive unpacked, pg_restore into a new database, and pg_amcheck, with the very commands the
//! job builds. Printed as a ratio measured in one run:
//! `cargo run -p tidemark-core --features testing --example bench_verify [scale] [rounds]`.
#![expect(clippy::print_stdout, reason = "a benchmark prints its results")]

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tidemark_core::jobs::JobStatus;
use tidemark_core::pgtools::pg_amcheck;
use tidemark_core::pgtools::pg_restore::{self, RestoreMode};
use tidemark_core::provider::BackupMethod;
use tidemark_core::provider::local::scratch::ScratchInstance;
use tidemark_core::sysuser::RunAs;
use tidemark_core::testing::{TestJobs, admin};
use tidemark_core::work::backup::{backups_dir, start_backup};
use tidemark_core::work::verify::start_verification;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn run(mut c: Command) {
    c.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let status = c.status().expect("the tool runs");
    assert!(status.success(), "{c:?} failed");
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let scale: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let j = TestJobs::start().await;
    let target = j.t.cluster.conn_target();
    println!("Loading pgbench data at scale {scale}...");
    let mut init = Command::new(j.t.config.pg_bin("pgbench"));
    init.args(["-i", "-q", "-s", &scale.to_string()])
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
        );
    run(init);

    let job = start_backup(
        &j.runner,
        &j.catalog,
        &j.t.config,
        "demo",
        BackupMethod::Manual,
        &admin(),
    )
    .await
    .expect("the backup starts");
    let job = j.finished(&job.id).await;
    assert!(
        matches!(job.status, JobStatus::Succeeded { .. }),
        "{:?}",
        job.summary
    );
    let record = j.t.store.logical_backups("demo").await.unwrap().remove(0);
    let archive = backups_dir(&j.t.config, "demo").join(&record.file_name);
    let rows: u64 = record.row_counts.iter().flat_map(|c| c.values()).sum();
    let run_as = RunAs::for_current_process(&j.t.config.run_as_user).unwrap();
    let scratch = Arc::new(ScratchInstance::new(&j.t.config, run_as));
    let config = Arc::new(j.t.config.clone());
    let bin = j.t.config.pg_bin_dir.clone();
    let mode = RestoreMode {
        jobs: u32::try_from(
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(4),
        )
        .unwrap_or(1),
        single_transaction: false,
        role: None,
    };

    let (mut by_hand, mut jobs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // By hand, on the scratch instance already started: unpack, create, restore, check.
        let session = scratch.open().await.expect("the scratch instance starts");
        let dir = tempfile::tempdir().unwrap();
        let name = format!("verify_by_hand_{round}");
        let start = Instant::now();
        let mut untar = Command::new("tar");
        untar.arg("-xzf").arg(&archive).arg("-C").arg(dir.path());
        run(untar);
        let dump = std::fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        session.create_database(&name).await.unwrap();
        let db = session.verifier(&name);
        run(pg_restore::restore(&bin, &db, &dump, &mode).to_std_process());
        session.install_amcheck(&name).await.unwrap();
        run(pg_amcheck::check_database(&bin, &db).to_std_process());
        by_hand.push(start.elapsed());
        session.drop_database(&name).await.unwrap();
        session.close().await;

        // The job, from submit to its recorded end, scratch instance start and stop included.
        let start = Instant::now();
        let job = start_verification(
            &j.runner,
            &j.catalog,
            &config,
            &scratch,
            "demo",
            &record.backup.id,
            &admin(),
        )
        .await
        .expect("the verification starts");
        let job = j.finished(&job.id).await;
        jobs.push(start.elapsed());
        assert!(
            matches!(job.status, JobStatus::Succeeded { .. }),
            "{:?}",
            job.summary
        );
    }
    let (hand, job) = (median(by_hand), median(jobs));
    println!(
        "verify  by hand {:>7.2} s   verification job {:>7.2} s   job/hand = {:.3}  (goal <= 1.10)",
        hand.as_secs_f64(),
        job.as_secs_f64(),
        job.as_secs_f64() / hand.as_secs_f64()
    );
    println!(
        "archive {} ({rows} rows) · the job also checks the SHA-256, counts every table's rows, and starts and stops the scratch instance",
        tidemark_types::units::size(record.backup.size_bytes.unwrap_or_default())
    );
    j.t.stop().await;
}
