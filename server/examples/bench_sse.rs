//! 1,000 subscribers to one running job's event stream, against the real server in its own process:
//! prints the p50/p99 delay from an event's publication to its arrival, and the server's peak memory.
//! `cargo build -p tidemark-server && cargo run -p tidemark-server --example bench_sse [subscribers]`
#![expect(clippy::print_stdout, reason = "a benchmark prints its results")]

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Reads one job's stream over a raw connection; returns the delays of the live events it
/// received, and whether it saw the job's final event.
async fn subscribe(port: u16, job: String) -> (Vec<Duration>, bool) {
    let mut delays = Vec::new();
    let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return (delays, false);
    };
    let req = format!(
        "GET /api/v1/jobs/{job}/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).await.is_err() {
        return (delays, false);
    }
    let mut buf = vec![0u8; 16 * 1024];
    let mut pending = String::new();
    // Events published before the stream opened come from the snapshot: not a delivery delay.
    let mut opened_at: Option<DateTime<Utc>> = None;
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let now = Utc::now();
        let opened = *opened_at.get_or_insert(now);
        pending.push_str(&String::from_utf8_lossy(&buf[..n]));
        while let Some(i) = pending.find("\n\n") {
            let block: String = pending.drain(..i + 2).collect();
            for line in block.lines() {
                let Some(data) = line.strip_prefix("data:") else {
                    continue;
                };
                let Ok(v) = serde_json::from_str::<serde_json::Value>(data.trim()) else {
                    continue;
                };
                if let Some(at) = v["at"]
                    .as_str()
                    .and_then(|t| t.parse::<DateTime<Utc>>().ok())
                    && at > opened
                {
                    delays.push((now - at).to_std().unwrap_or_default());
                }
                if v["type"] == "status"
                    && !matches!(v["status"]["state"].as_str(), Some("queued" | "running"))
                {
                    return (delays, true);
                }
            }
        }
    }
    (delays, false)
}

#[tokio::main]
async fn main() {
    let subscribers: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let bin = std::env::var("TIDEMARK_BIN").unwrap_or_else(|_| "target/debug/tidemark".into());
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let port = free_port();
    let mut server = Command::new(&bin)
        .env("TIDEMARK_DATA_DIR", dir.path().join("data"))
        .env("TIDEMARK_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("tidemark starts");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    while http
        .get(format!("{base}/api/v1/health"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A table big enough that the dump runs while every subscriber is connected.
    let conf = std::fs::read_to_string(dir.path().join("data/clusters/main/pgdata/tidemark.conf"))
        .expect("conf");
    let pg_port = conf
        .lines()
        .find_map(|l| l.strip_prefix("port = "))
        .expect("port")
        .trim()
        .to_string();
    let password =
        std::fs::read_to_string(dir.path().join("data/secrets/main.password")).expect("password");
    let status = Command::new("/usr/lib/postgresql/15/bin/psql")
        .args(["-X", "-q", "-h", "127.0.0.1", "-p", &pg_port, "-U", "postgres", "-d", "demo", "-c"])
        .arg("CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS v FROM generate_series(1, 6000000) g")
        .env("PGPASSWORD", password.trim())
        .status()
        .expect("psql");
    assert!(status.success());

    let idle_rss = rss_kib(server.id(), "VmRSS:");
    let job: serde_json::Value = http
        .post(format!("{base}/api/v1/databases/demo/dumps"))
        .send()
        .await
        .expect("dump")
        .json()
        .await
        .expect("job");
    let id = job["id"].as_str().expect("id").to_string();
    let started = Instant::now();
    let tasks: Vec<_> = (0..subscribers)
        .map(|_| tokio::spawn(subscribe(port, id.clone())))
        .collect();
    let mut delays = Vec::new();
    let mut complete = 0;
    for t in tasks {
        let (d, reached_end) = t.await.unwrap_or_default();
        if reached_end {
            complete += 1;
        }
        delays.extend(d);
    }
    let elapsed = started.elapsed();
    let peak = rss_kib(server.id(), "VmHWM:");
    delays.sort();
    let pct = |p: f64| delays[((delays.len() as f64 - 1.0) * p) as usize];
    println!(
        "subscribers {subscribers}, streams that reached the job's end {complete}, live events measured {}",
        delays.len()
    );
    println!(
        "delay from publication to arrival: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms  (goal p99 < 250 ms)",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        pct(1.0).as_secs_f64() * 1e3
    );
    println!(
        "server memory: {:.1} MB before the job, peak {:.1} MB  (goal < 150 MB)   job took {:.1} s",
        idle_rss as f64 / 1024.0,
        peak as f64 / 1024.0,
        elapsed.as_secs_f64()
    );
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status();
    let _ = server.wait();
}
