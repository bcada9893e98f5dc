//! Access control over real HTTP: every route refuses the anonymous (generated from the route
//! lists), roles decide who may do what through the API and server functions, and sessions resist
//! cross-site requests and password guessing. Every change lands in the audit log.

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use tidemark_core::auth::Role;

mod common;
use common::{Served, client_with, serve, token_for};

fn sample(path: &str) -> String {
    path.replace("{db}", "demo")
        .replace("{id}", "1")
        .replace("{backup}", "latest")
        .replace("{copy}", "x")
        .replace("{name}", "someone")
        .replace(":id", "demo")
        .replace(":token", "tms_madeup")
        .replace("{token}", "tms_madeup")
}

#[tokio::test]
async fn every_route_refuses_the_anonymous_but_login_health_and_static_files() {
    let Served { base, http, t, .. } = serve().await;
    let anonymous = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();

    // Every API route and method, from the OpenAPI document the router serves.
    let doc: Value = http
        .get(format!("{base}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let url = format!("{base}{}", sample(path));
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = anonymous.request(m, &url).send().await.unwrap();
            if path == "/api/v1/health" {
                assert_eq!(res.status(), StatusCode::OK);
                continue;
            }
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthenticated", "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} API routes checked");

    // Every page, from the app's route list: a redirect to the login page that comes back.
    for route in leptos_axum::generate_route_list(tidemark_app::App) {
        let path = sample(route.path());
        let res = anonymous.get(format!("{base}{path}")).send().await.unwrap();
        if path == "/login" {
            assert_eq!(res.status(), StatusCode::OK);
            continue;
        }
        if path.starts_with("/s/") {
            // Share links are public; a made-up one is simply not found.
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
            continue;
        }
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        assert!(
            location.starts_with("/login?next=%2F") || location.starts_with("/login?next=/"),
            "{path}: {location}"
        );
    }
    // Server functions, pages outside the route list, and a made-up path.
    for path in ["/_fn/trigger_backup", "/_fn/backups_tab"] {
        let res = anonymous
            .post(format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let res = anonymous
        .get(format!("{base}/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The site's own files stay public, so the login page can load (here the site is not built,
    // so they are missing, but not refused).
    for path in ["/favicon.svg", "/pkg/tidemark.css"] {
        let res = anonymous.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    t.stop().await;
}

async fn status_of(res: reqwest::Response) -> (StatusCode, Value) {
    let s = res.status();
    (s, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn roles_decide_through_the_api_and_server_functions_and_everything_is_audited() {
    let Served { base, http, t, .. } = serve().await;
    let store = t.store.clone();
    let viewer = client_with(&token_for(&store, "vera", Role::Viewer).await);
    let operator = client_with(&token_for(&store, "otto", Role::Operator).await);
    let db = format!("{base}/api/v1/databases/demo");

    // Reading is for everyone.
    for c in [&viewer, &operator, &http] {
        assert_eq!(c.get(&db).send().await.unwrap().status(), StatusCode::OK);
    }
    // A manual backup: operators and admins.
    let (s, body) = status_of(viewer.post(format!("{db}/backups")).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("operator role"),
        "{body}"
    );
    assert_eq!(
        operator
            .post(format!("{db}/backups"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::ACCEPTED
    );
    // Schedules, point-in-time restores, in-place restores and safety copies: admins only.
    let (s, _) = status_of(
        operator
            .put(format!("{db}/schedule"))
            .json(&json!({"hour": 4}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        http.put(format!("{db}/schedule"))
            .json(&json!({"hour": 4}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let pitr = json!({"restore_time": chrono::Utc::now().to_rfc3339(), "confirm": true});
    let (s, body) = status_of(
        operator
            .post(format!("{db}/pitr-restores"))
            .json(&pitr)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let in_place = json!({"source_upload": "nope", "target": "in_place", "confirm": true, "confirm_name": "demo"});
    let (s, _) = status_of(
        operator
            .post(format!("{db}/restores"))
            .json(&in_place)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = status_of(
        operator
            .delete(format!("{db}/safety-copies/x"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Users and the audit log: admins only.
    assert_eq!(
        operator
            .get(format!("{base}/api/v1/users"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        viewer
            .get(format!("{base}/api/v1/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );

    // Server functions check the same rules.
    let res = viewer
        .post(format!("{base}/_fn/trigger_backup"))
        .form(&[("id", "demo")])
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_success());
    assert!(res.text().await.unwrap().contains("operator role"));
    let res = operator
        .post(format!("{base}/_fn/save_schedule"))
        .form(&[("id", "demo"), ("hour", "5"), ("enabled", "on")])
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_success());

    // Tokens: never above their owner's role; shown once; revocable.
    let (s, body) = status_of(
        operator
            .post(format!("{base}/api/v1/tokens"))
            .json(&json!({"label": "x", "role": "admin"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "role");
    let (s, created) = status_of(
        operator
            .post(format!("{base}/api/v1/tokens"))
            .json(&json!({"label": "nightly", "role": "viewer"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let script = client_with(created["token"].as_str().unwrap());
    assert_eq!(
        script.get(&db).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        script
            .post(format!("{db}/backups"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let listed: Vec<Value> = operator
        .get(format!("{base}/api/v1/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mine = listed.iter().find(|t| t["id"] == created["id"]).unwrap();
    assert!(mine["last_used_at"].is_string(), "last use is shown");
    assert!(mine.get("token").is_none(), "the secret is not shown again");
    let revoke = format!("{base}/api/v1/tokens/{}", created["id"]);
    assert_eq!(
        operator.delete(&revoke).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        script.get(&db).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    // The audit log says who did what, and what was refused.
    let audit: Vec<Value> = http
        .get(format!("{base}/api/v1/audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let has = |actor: &str, action: &str, outcome: &str| {
        audit.iter().any(|e| {
            e["actor"] == actor
                && e["action"] == action
                && e["outcome"].as_str().unwrap().starts_with(outcome)
        })
    };
    assert!(has("otto", "manual_backup", "ok"), "{audit:#?}");
    assert!(has("vera", "manual_backup", "denied"), "{audit:#?}");
    assert!(has("otto", "pitr_restore", "denied"), "{audit:#?}");
    assert!(has("admin-test", "change_schedule", "ok"), "{audit:#?}");
    assert!(
        audit.iter().all(|e| e["source"].is_string()),
        "the address is recorded"
    );
    t.stop().await;
}

async fn login(base: &str, name: &str, password: &str) -> (reqwest::Response, Option<String>) {
    common::login(base, name, password, "/databases/demo").await
}

#[tokio::test]
async fn sessions_log_in_refuse_cross_site_requests_and_slow_down_guessing() {
    let Served { base, t, .. } = serve().await;
    let hash = tidemark_core::auth::hash_password("a long enough password").unwrap();
    t.store
        .create_user("ann", Role::Admin, &hash, chrono::Utc::now())
        .await
        .unwrap();

    let (res, cookie) = login(&base, "ann", "a long enough password").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/databases/demo");
    let set = res.headers()["set-cookie"].to_str().unwrap().to_lowercase();
    assert!(
        set.contains("httponly") && set.contains("samesite=lax"),
        "{set}"
    );
    let cookie = cookie.unwrap();
    let c = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let me: Value = c
        .get(format!("{base}/api/v1/account"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["name"].as_str(), me["via"].as_str()),
        (Some("ann"), Some("session"))
    );
    let page = c
        .get(format!("{base}/databases/demo"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    // Scripts: this site's files, and inline ones only with this response's nonce.
    let script_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap();
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    let nonce = script_src
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let html = page.text().await.unwrap();
    let inline_scripts = html.matches("<script").count();
    assert!(inline_scripts > 0);
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        inline_scripts,
        "every script carries the nonce"
    );
    let again = c
        .get(format!("{base}/databases/demo"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(
        !again.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(&nonce),
        "a new nonce each time"
    );

    // A change with the cookie but from another site, or from nowhere, is refused.
    let schedule = format!("{base}/api/v1/databases/demo/schedule");
    for origin in [Some("https://evil.example"), None] {
        let mut req = c
            .put(&schedule)
            .header("cookie", &cookie)
            .json(&json!({"hour": 9}));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let (s, body) = status_of(req.send().await.unwrap()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{origin:?}");
        assert_eq!(body["error"]["code"], "cross_site_request");
    }
    let ok = c
        .put(&schedule)
        .header("cookie", &cookie)
        .header("origin", base.as_str())
        .json(&json!({"hour": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);

    // Logging out ends the session.
    c.post(format!("{base}/logout"))
        .header("cookie", &cookie)
        .header("origin", base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.get(format!("{base}/api/v1/account"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Wrong passwords: three free tries and one more, then even the right one waits.
    for _ in 0..4 {
        let (res, cookie) = login(&base, "ann", "not the password").await;
        assert!(
            res.headers()["location"]
                .to_str()
                .unwrap()
                .contains("error=wrong")
        );
        assert!(cookie.is_none());
    }
    let (res, cookie) = login(&base, "ann", "a long enough password").await;
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=throttled")
    );
    assert!(cookie.is_none());
    t.stop().await;
}

#[tokio::test]
async fn a_share_link_opens_one_job_page_read_only_until_revoked_or_expired() {
    let Served { base, http, t, .. } = serve().await;
    let operator = client_with(&token_for(&t.store, "otto", Role::Operator).await);
    let viewer = client_with(&token_for(&t.store, "vera", Role::Viewer).await);
    let job: Value = operator
        .post(format!("{base}/api/v1/databases/demo/dumps"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = job["id"].as_str().unwrap();
    let links = format!("{base}/api/v1/jobs/{id}/share-links");

    assert_eq!(
        viewer.post(&links).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let (s, body) = status_of(
        operator
            .post(&links)
            .json(&json!({"days": 0}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("days"))
    );
    let (s, link) = status_of(operator.post(&links).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::CREATED);
    let path = link["path"].as_str().unwrap();
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(link["expires_at"].clone()).unwrap();
    let days = (expires - chrono::Utc::now()).num_hours();
    assert!(
        (167..=168).contains(&days),
        "7 days by default, got {days} h"
    );

    // Anyone with the link sees that job's status, live, and nothing else.
    let anonymous = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let page = anonymous.get(format!("{base}{path}")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Dump of Demo"),
        "the job's page, by its database's name"
    );
    assert!(!html.contains("otto"), "not who started it");
    assert!(!html.contains("timescaledb_version"), "not what was asked");
    assert!(
        !html.contains("/databases/demo\""),
        "no link further into Tidemark"
    );
    assert!(!html.contains("job-artifact"), "no download");
    // A log line names hosts and roles: the job's own page shows it, the shared one does not.
    let job_id = tidemark_core::jobs::JobId(id.to_string());
    t.store
        .append_event(
            &job_id,
            chrono::Utc::now(),
            &tidemark_core::jobs::EventBody::Log {
                line: "pg_dump: connecting to 127.0.0.1 as postgres".into(),
            },
        )
        .await
        .unwrap();
    let events = anonymous
        .get(format!("{base}{path}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    let shared_stream = events.text().await.unwrap();
    assert!(shared_stream.contains("event: status"));
    assert!(!shared_stream.contains("event: log"), "{shared_stream}");
    assert!(!shared_stream.contains("127.0.0.1"), "{shared_stream}");
    assert!(
        !shared_stream.contains("\"current\":\""),
        "no table names: {shared_stream}"
    );
    let own_stream = operator
        .get(format!("{base}/api/v1/jobs/{id}/events"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        own_stream.contains("connecting to 127.0.0.1"),
        "{own_stream}"
    );
    assert_eq!(
        anonymous
            .get(format!("{base}/api/v1/jobs/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // The page reloads its job through a server function that the link's token opens, and
    // that shows nothing for any other token.
    let token = path.trim_start_matches("/s/");
    let reload = |t: &str| {
        anonymous
            .post(format!("{base}/_fn/shared_job"))
            .form(&[("token", t)])
            .send()
    };
    let res = reload(token).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let shared: Value = res.json().await.unwrap();
    assert_eq!(shared["job"]["id"], id, "the shared job");
    assert_eq!(shared["job"]["database"], "Demo");
    assert_eq!(shared["job"]["started_by"], "");
    assert_eq!(shared["job"]["params"], Value::Null);
    assert_eq!(shared["log"], json!([]));
    assert!(!shared.to_string().contains("otto"), "{shared}");
    let res = reload("tms_notarealtoken").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.text().await.unwrap(),
        "null",
        "nothing for a wrong token"
    );
    let forged = anonymous
        .get(format!("{base}/s/tms_notarealtoken"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);

    // Revoked: the page and its events are gone at once.
    let listed: Vec<Value> = http.get(&links).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0].get("path").is_none(),
        "the token is not shown again"
    );
    let revoke = format!("{base}/api/v1/share-links/{}", link["id"]);
    assert_eq!(
        operator.delete(&revoke).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        anonymous
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        anonymous
            .get(format!("{base}{path}/events"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // Expired: the same.
    let old = tidemark_core::auth::new_token("tms_");
    let past = chrono::Utc::now() - chrono::Duration::days(8);
    t.store
        .create_share_link(&tidemark_core::store::NewShareLink {
            token_hash: &tidemark_core::auth::hash_token(old.expose()),
            kind: "job",
            target: id,
            database: "demo",
            created_by: "otto",
            created_at: past,
            expires_at: past + chrono::Duration::days(7),
        })
        .await
        .unwrap();
    let res = anonymous
        .get(format!("{base}/s/{}", old.expose()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn a_trusted_proxy_names_the_user_and_no_one_else_can() {
    let trusted = common::serve_with(|c| {
        c.proxy_user_header = Some("x-forwarded-user".into());
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let hash = tidemark_core::auth::hash_password("a long enough password").unwrap();
    trusted
        .t
        .store
        .create_user("ann", Role::Operator, &hash, chrono::Utc::now())
        .await
        .unwrap();
    let c = reqwest::Client::new();
    let account = format!("{}/api/v1/account", trusted.base);
    let me: Value = c
        .get(&account)
        .header("x-forwarded-user", "ann")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["name"].as_str(), me["role"].as_str(), me["via"].as_str()),
        (Some("ann"), Some("operator"), Some("proxy"))
    );
    let (s, body) = status_of(
        c.get(&account)
            .header("x-forwarded-user", "mallory")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("unknown_user"))
    );
    trusted.t.stop().await;

    // The same header from an address that is not the proxy counts for nothing.
    let elsewhere = common::serve_with(|c| {
        c.proxy_user_header = Some("x-forwarded-user".into());
        c.trusted_proxies = vec!["10.0.0.9".parse().unwrap()];
    })
    .await;
    let res = c
        .get(format!("{}/api/v1/account", elsewhere.base))
        .header("x-forwarded-user", "admin-test")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    elsewhere.t.stop().await;
}

/// Sends `method path` exactly as written (no client tidies it), returns the status and body.
async fn raw(base: &str, method: &str, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The ways a path can be spelt to slip past a prefix match.
fn spellings(path: &str) -> Vec<String> {
    let rest = path.trim_start_matches('/');
    vec![
        format!("/s/x/../../{rest}"),
        format!("/s/tms_abc/../../{rest}"),
        format!("/pkg/%2e%2e/{rest}"),
        format!("/pkg/%2E%2E/{rest}"),
        format!("/s/x%2f..%2f..%2f{rest}"),
        format!("/./{rest}"),
        format!("//{rest}"),
        format!("/{rest}/"),
        format!("/login/../{rest}"),
    ]
}

#[tokio::test]
async fn every_route_refuses_the_anonymous_under_every_spelling_of_its_path() {
    let Served { base, http, t, .. } = serve().await;
    let doc: Value = http
        .get(format!("{base}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut targets: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path == "/api/v1/health" {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            targets.push((method.to_uppercase(), sample(path)));
        }
    }
    for route in leptos_axum::generate_route_list(tidemark_app::App) {
        let path = sample(route.path());
        if path != "/login" && !path.starts_with("/s/") {
            targets.push(("GET".into(), path));
        }
    }
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        if path != "/_fn/shared_job" && path != "/_fn/shared_backup" {
            targets.push(("POST".into(), path.to_string()));
        }
    }
    assert!(targets.len() > 60, "{}", targets.len());
    let mut tried = 0;
    for (method, path) in &targets {
        for spelt in spellings(path) {
            let (status, body) = raw(&base, method, &spelt).await;
            let what = format!("{method} {spelt}");
            // Refused as odd (400), or sent to log in (401, or 303 for a page): never served.
            assert!(
                matches!(status, 400 | 401 | 303 | 404),
                "{what}: {status} {body}"
            );
            for secret in [
                "Demo",
                "customers",
                "one-time",
                "demo_owner",
                "tidemark_session",
            ] {
                assert!(!body.contains(secret), "{what} reveals {secret}: {body}");
            }
            if spelt.contains("..")
                || spelt.contains("%2")
                || spelt.contains("/./")
                || spelt.starts_with("//")
            {
                assert_eq!(status, 400, "{what}");
                let v: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(v["error"]["code"], "bad_path", "{what}");
            }
            tried += 1;
        }
    }
    assert!(tried > 500, "{tried}");
    t.stop().await;
}

#[tokio::test]
async fn server_functions_refuse_the_anonymous_even_past_the_middleware() {
    use leptos::prelude::provide_context;
    let Served { state, t, .. } = serve().await;
    // The server functions alone, with no authentication in front: each must still ask.
    let cx = state.tm.clone();
    let app = axum::Router::new().route(
        "/_fn/{*name}",
        axum::routing::post(move |req: axum::extract::Request| {
            let cx = cx.clone();
            async move {
                leptos_axum::handle_server_fns_with_context(
                    move || provide_context(cx.clone()),
                    req,
                )
                .await
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    // Every argument any of them takes, so each reads its own and reaches its body.
    let form = [
        ("id", "1"),
        ("token", "tms_x"),
        ("source", "dump:1"),
        ("target", "new_database"),
        ("new_database", "x"),
        ("confirm_name", "demo"),
        ("backup", "latest"),
        ("hour", "3"),
        ("enabled", "on"),
        ("restore_time", "2026-01-01T00:00"),
        ("confirm", "on"),
        ("cidr", "203.0.113.0/24"),
        ("label", "x"),
        ("rule", "x"),
        ("copy", "x"),
        ("current", "x"),
        ("new", "x"),
        ("again", "x"),
        ("role", "viewer"),
        ("name", "x"),
    ];
    let anonymous = reqwest::Client::new();
    let mut checked = 0;
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        let res = anonymous
            .post(format!("{base}{path}"))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body = res.text().await.unwrap();
        if path == "/_fn/shared_job" || path == "/_fn/shared_backup" {
            assert_eq!((status, body.as_str()), (StatusCode::OK, "null"), "{path}");
            continue;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
        assert!(body.contains("Log in first"), "{path}: {body}");
        checked += 1;
    }
    assert!(checked >= 23, "only {checked} server functions");
    t.stop().await;
}

#[tokio::test]
async fn logins_back_off_per_name_and_address_and_refuse_other_sites() {
    let Served { base, t, .. } = common::serve_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let hash = tidemark_core::auth::hash_password("a long enough password").unwrap();
    t.store
        .create_user("ann", Role::Operator, &hash, chrono::Utc::now())
        .await
        .unwrap();
    let c = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let attempt = |from: &'static str, password: &'static str, origin: Option<&str>| {
        let mut req = c
            .post(format!("{base}/login"))
            .header("x-forwarded-for", from)
            .form(&[("name", "ann"), ("password", password), ("next", "/jobs")]);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    let location = |res: &reqwest::Response| {
        res.headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default()
    };

    // A login posted from another site, or from nowhere, is refused before any password check.
    for origin in [Some("https://evil.example"), None] {
        let res = attempt("198.51.100.1", "a long enough password", origin)
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{origin:?}");
    }

    // Guesses sent together from one address: a few are checked, the rest wait.
    let guesses: Vec<_> = (0..10)
        .map(|_| attempt("203.0.113.9", "not the password", Some(base.as_str())))
        .collect();
    let mut wrong = 0;
    let mut throttled = 0;
    for res in futures_util::future::join_all(guesses).await {
        let l = location(&res.unwrap());
        if l.contains("error=wrong") {
            wrong += 1;
        } else if l.contains("error=throttled") {
            throttled += 1;
        }
    }
    assert_eq!(wrong + throttled, 10);
    assert!(wrong <= 4, "{wrong} guesses were checked");
    // Ann, from her own address behind the same proxy, is not locked out by them.
    let res = attempt(
        "198.51.100.7",
        "a long enough password",
        Some(base.as_str()),
    )
    .await
    .unwrap();
    assert_eq!(location(&res), "/jobs");

    // The audit log has the address the proxy gave, not the proxy's.
    let audit = t.store.audit_log(50).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.source.as_deref() == Some("203.0.113.9")),
        "{audit:#?}"
    );

    // Where to go after logging in: only a plain path on this site.
    for next in [
        "/\t/evil.example",
        "//evil.example",
        "https://evil.example",
        "/\\evil",
    ] {
        let res = c
            .post(format!("{base}/login"))
            .header("origin", base.as_str())
            .header("x-forwarded-for", "198.51.100.8")
            .form(&[
                ("name", "ann"),
                ("password", "a long enough password"),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/", "{next:?}");
    }

    // A name too long or full of control characters is cut and cleaned before it is recorded.
    let long = format!("evil\nFORGED {}", "x".repeat(500));
    let _ = c
        .post(format!("{base}/login"))
        .header("origin", base.as_str())
        .form(&[("name", long.as_str()), ("password", "x"), ("next", "/")])
        .send()
        .await
        .unwrap();
    let newest = &t.store.audit_log(1).await.unwrap()[0];
    assert!(newest.actor.chars().count() <= 64, "{}", newest.actor);
    assert!(
        newest.actor.starts_with("evil?FORGED"),
        "{:?}",
        newest.actor
    );
    t.stop().await;
}
