//! Downloading a large logical backup through the API against reading the same file from disk,
//! with the memory the download adds; client and server share this process:
//! `cargo run -p tidemark-server --example bench_download [megabytes]`.
#![expect(clippy::print_stdout, reason = "a benchmark prints its results")]

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use tidemark_core::Catalog;
use tidemark_core::auth::{Role, generate_password, hash_password, hash_token, new_token};
use tidemark_core::jobs::JobId;
use tidemark_core::provider::local::LocalProvider;
use tidemark_core::provider::{Backup, BackupMethod, BackupStatus};
use tidemark_core::store::LogicalBackup;
use tidemark_core::testing::TestCluster;
use tidemark_core::work::backup::backups_dir;
use tidemark_server::{AppState, router};

const MIB: usize = 1024 * 1024;
const ROUNDS: usize = 3;

/// This process's resident memory, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Writes `mib` MiB of pseudo-random bytes (xorshift: nothing compresses or dedups it), 1 MiB at a time.
fn write_file(path: &Path, mib: usize) {
    let mut f = std::fs::File::create(path).expect("create the archive");
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut chunk = vec![0u8; MIB];
    for _ in 0..mib {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        f.write_all(&chunk).expect("write the archive");
    }
    f.sync_all().expect("sync the archive");
}

/// Reads the whole file in 1 MiB chunks; returns the bytes read and the time taken.
fn read_file(path: &Path) -> (u64, Duration) {
    let started = Instant::now();
    let mut f = std::fs::File::open(path).expect("open the archive");
    let mut buf = vec![0u8; MIB];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).expect("read the archive");
        if n == 0 {
            return (total, started.elapsed());
        }
        total += n as u64;
    }
}

/// The last `len` bytes of the file.
fn file_tail(path: &Path, len: usize) -> Vec<u8> {
    let mut f = std::fs::File::open(path).expect("open the archive");
    f.seek(SeekFrom::End(-(len as i64))).expect("seek");
    let mut tail = vec![0u8; len];
    f.read_exact(&mut tail).expect("read the tail");
    tail
}

/// Streams the download and drops each chunk; returns the bytes received and the time taken.
async fn download(http: &reqwest::Client, url: &str, token: &str) -> (u64, Duration) {
    let started = Instant::now();
    let mut res = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("download starts");
    assert_eq!(res.status(), 200, "download status");
    let mut total = 0u64;
    while let Some(chunk) = res.chunk().await.expect("download body") {
        total += chunk.len() as u64;
    }
    (total, started.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("blocking task")
}

#[tokio::main]
async fn main() {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    let t = TestCluster::start().await;
    let catalog = Catalog::new(vec![Arc::new(LocalProvider::new(
        vec![t.cluster.clone()],
        t.store.clone(),
    ))]);
    let state = AppState::new(
        tidemark_server::startup::leptos_options(&t.config),
        tidemark_core::ops::Tidemark::new(t.config.clone(), catalog, t.store.clone(), 2),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(async move { axum::serve(listener, router(state)).await });

    // A finished logical backup, named and recorded as the backup job does.
    let stamp = Utc::now();
    let id = JobId::generate(stamp).to_string();
    let file_name = format!("{}_demo.tar.gz", stamp.format("%Y%m%d%H%M%S"));
    let dir = backups_dir(&t.config, "demo");
    std::fs::create_dir_all(&dir).expect("backups directory");
    let path: PathBuf = dir.join(&file_name);
    println!("Writing a {mib} MiB archive...");
    blocking({
        let path = path.clone();
        move || write_file(&path, mib)
    })
    .await;
    let size = (mib * MIB) as u64;
    t.store
        .save_logical_backup(&LogicalBackup {
            backup: Backup {
                id: id.clone(),
                created_at: stamp,
                finished_at: Some(Utc::now()),
                size_bytes: Some(size),
                status: BackupStatus::Done,
                method: BackupMethod::Manual,
            },
            database: "demo".into(),
            file_name,
            sha256: None,
            row_counts: None,
        })
        .await
        .expect("record the backup");
    let url = format!("{base}/api/v1/databases/demo/backups/{id}/download");

    // A viewer's API token: the least role that may download.
    let token = new_token("tm_");
    let password = hash_password(&generate_password()).expect("hash a password");
    t.store
        .create_user("bench", Role::Viewer, &password, Utc::now())
        .await
        .expect("create a user");
    t.store
        .create_token(
            "bench",
            "bench",
            Role::Viewer,
            &hash_token(token.expose()),
            Utc::now(),
        )
        .await
        .expect("create a token");
    let token = token.expose().as_str();

    // Raw reads, after a first one that brings the file into the page cache.
    let read = || {
        let path = path.clone();
        blocking(move || read_file(&path))
    };
    read().await;
    let mut raw_times = Vec::new();
    for _ in 0..ROUNDS {
        let (n, d) = read().await;
        assert_eq!(n, size, "raw read length");
        raw_times.push(d);
    }

    // Downloads, with this process's resident memory sampled every 20 ms throughout.
    let http = reqwest::Client::new();
    let before = rss_kib();
    let peak = Arc::new(AtomicU64::new(before));
    let sampler = tokio::spawn({
        let peak = peak.clone();
        async move {
            loop {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let mut download_times = Vec::new();
    for _ in 0..ROUNDS {
        let (n, d) = download(&http, &url, token).await;
        if n != size {
            println!("download length {n} bytes, expected {size}");
        }
        download_times.push(d);
    }
    peak.fetch_max(rss_kib(), Ordering::Relaxed);
    sampler.abort();
    let peak = peak.load(Ordering::Relaxed);

    let (raw, dl) = (median(raw_times), median(download_times));
    let rate = |d: Duration| mib as f64 / d.as_secs_f64();
    println!(
        "archive {mib} MiB; median of {ROUNDS} rounds; client and server share this process (memory and CPU are both sides')"
    );
    println!(
        "raw read (page cache, 1 MiB reads) {:>8.0} MiB/s  ({:.3} s)",
        rate(raw),
        raw.as_secs_f64()
    );
    println!(
        "download over HTTP (127.0.0.1)     {:>8.0} MiB/s  ({:.3} s)",
        rate(dl),
        dl.as_secs_f64()
    );
    println!(
        "ratio download/raw = {:.3}  (goal >= 0.9)",
        raw.as_secs_f64() / dl.as_secs_f64()
    );
    println!(
        "memory: VmRSS {:.1} MB before the downloads, peak {:.1} MB during them, growth {:.1} MB  (goal < 32 MB)",
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        peak.saturating_sub(before) as f64 / 1024.0
    );

    // Resuming: the last 1 MiB by a suffix range.
    let res = http
        .get(&url)
        .bearer_auth(token)
        .header("Range", format!("bytes=-{MIB}"))
        .send()
        .await
        .expect("range request");
    let status = res.status();
    let content_range = res
        .headers()
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_string();
    let body = res.bytes().await.expect("range body");
    let tail = blocking({
        let path = path.clone();
        move || file_tail(&path, MIB)
    })
    .await;
    println!(
        "range bytes=-{MIB}: status {}, {} bytes (expected {MIB}), Content-Range {content_range}, same bytes as the file's end: {}",
        status.as_u16(),
        body.len(),
        if body[..] == tail[..] { "yes" } else { "NO" }
    );

    server.abort();
    t.stop().await;
}
