//! What the HTTP tests share: a real cluster behind the router on a free port, and SSE parsing.

#![allow(dead_code, reason = "each test file uses part of this module")]

use std::process::{Child, Command};
use std::sync::Arc;

use serde_json::Value;
use tidemark_core::Catalog;
use tidemark_core::auth::{Role, hash_password, hash_token, new_token};
use tidemark_core::provider::local::LocalProvider;
use tidemark_core::testing::TestCluster;
use tidemark_server::{AppState, router};

pub(crate) struct Served {
    pub base: String,
    pub state: AppState,
    pub t: TestCluster,
    /// A client that sends an admin's API token.
    pub http: reqwest::Client,
}

/// A user with this role and an API token of theirs; returns the token.
pub(crate) async fn token_for(
    store: &tidemark_core::store::Store,
    name: &str,
    role: Role,
) -> String {
    let hash = hash_password("a long enough password").unwrap();
    store
        .create_user(name, role, &hash, chrono::Utc::now())
        .await
        .unwrap();
    let secret = new_token("tm_");
    store
        .create_token(
            name,
            "tests",
            role,
            &hash_token(secret.expose()),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    secret.expose().clone()
}

/// A client that sends this token on every request.
pub(crate) fn client_with(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        // A request that never ends fails its test rather than hold up the whole run.
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

pub(crate) async fn serve() -> Served {
    serve_with(|_| {}).await
}

/// `serve` with a changed configuration.
pub(crate) async fn serve_with(edit: impl FnOnce(&mut tidemark_core::Config)) -> Served {
    serve_custom(edit, None).await
}

/// `serve` with a changed configuration and, when given, a clock the test moves.
pub(crate) async fn serve_custom(
    edit: impl FnOnce(&mut tidemark_core::Config),
    clock: Option<Arc<dyn tidemark_core::clock::Clock>>,
) -> Served {
    let mut t = TestCluster::start().await;
    edit(&mut t.config);
    let catalog = Catalog::new(vec![Arc::new(LocalProvider::new(
        vec![t.cluster.clone()],
        t.store.clone(),
    ))]);
    let mut state = AppState::new(
        tidemark_server::startup::leptos_options(&t.config),
        tidemark_core::ops::Tidemark::new(t.config.clone(), catalog, t.store.clone(), 2),
    );
    if let Some(clock) = clock {
        state = state.with_clock(clock);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let token = token_for(&t.store, "admin-test", Role::Admin).await;
    Served {
        base,
        state,
        t,
        http: client_with(&token),
    }
}

/// Parses a whole event stream into (id, event name, data as JSON).
pub(crate) fn parse_sse(text: &str) -> Vec<(u64, String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut id = None;
            let mut name = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            Some((id?, name, serde_json::from_str(&data).ok()?))
        })
        .collect()
}

/// Starts a restore (expecting 202) and reads its whole event stream, which ends with the job.
pub(crate) async fn restore_and_follow(
    http: &reqwest::Client,
    base: &str,
    body: Value,
) -> Vec<(u64, String, Value)> {
    let res = http
        .post(format!("{base}/api/v1/databases/demo/restores"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202, "{body}");
    let job: Value = res.json().await.unwrap();
    let url = format!("{base}/api/v1/jobs/{}/events", job["id"].as_str().unwrap());
    parse_sse(&http.get(url).send().await.unwrap().text().await.unwrap())
}

/// The server process; stopped with SIGTERM when dropped, even by a failing test.
pub(crate) struct Running(pub Option<Child>);

impl Running {
    /// Stops it and returns everything it printed.
    pub(crate) fn stop(mut self) -> String {
        let Some(child) = self.0.take() else {
            return String::new();
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let out = child.wait_with_output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Waits until the server answers its health check, failing if it exits or takes over 90 s.
pub(crate) async fn wait_ready(http: &reqwest::Client, base: &str, running: &mut Running) {
    for _ in 0..900 {
        if let Ok(r) = http.get(format!("{base}/api/v1/health")).send().await
            && r.status() == 200
        {
            return;
        }
        if let Some(Ok(Some(status))) = running.0.as_mut().map(Child::try_wait) {
            panic!("tidemark exited early: {status}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("tidemark did not become ready within 90 s");
}

/// Logs in with the login form, as a browser on `base` would (its Origin); returns the response
/// (not followed) and the session cookie (`name=value`) when one was set.
pub(crate) async fn login(
    base: &str,
    name: &str,
    password: &str,
    next: &str,
) -> (reqwest::Response, Option<String>) {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = c
        .post(format!("{base}/login"))
        .header("origin", base)
        .form(&[("name", name), ("password", password), ("next", next)])
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tidemark_session="))
        .map(|v| v.split(';').next().unwrap().to_string());
    (res, cookie)
}

/// A client that sends this session cookie and the Origin of `base`, and follows no redirect.
pub(crate) fn session_client(base: &str, cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
    headers.insert(reqwest::header::ORIGIN, base.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

/// Every table of a database of the test cluster with its exact row count, by name.
pub(crate) async fn rows(t: &TestCluster, db: &str) -> Vec<(String, i64)> {
    let pool = sqlx::PgPool::connect_with(t.cluster.connect_options(db))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        out.push((table, n));
    }
    pool.close().await;
    out
}

/// POSTs with no body and reads the JSON answer.
pub(crate) async fn post_json(client: &reqwest::Client, url: &str) -> Value {
    client.post(url).send().await.unwrap().json().await.unwrap()
}

/// Follows a job's event stream to its end; returns the job as it ended.
pub(crate) async fn finished(s: &Served, id: &str) -> Value {
    s.http
        .get(format!("{}/api/v1/jobs/{id}/events", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    get_json(&s.http, &format!("{}/api/v1/jobs/{id}", s.base)).await
}

/// GETs and reads the JSON answer.
pub(crate) async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

/// A dump of `demo` held running by a lock on one of its tables until the transaction ends:
/// for tests that act on a job while it runs. Returns the job's id and the lock.
pub(crate) async fn held_dump(s: &Served) -> (String, sqlx::Transaction<'static, sqlx::Postgres>) {
    let pool = sqlx::PgPool::connect_with(s.t.cluster.connect_options("demo"))
        .await
        .unwrap();
    let mut lock = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE page_views IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let job = post_json(&s.http, &format!("{}/api/v1/databases/demo/dumps", s.base)).await;
    (job["id"].as_str().unwrap().to_string(), lock)
}
