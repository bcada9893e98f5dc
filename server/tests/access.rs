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
        .replace(":token", "tms_made-up")
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

/// Logs in with a form post; returns the response (not followed) and the session cookie.
async fn login(base: &str, name: &str, password: &str) -> (reqwest::Response, Option<String>) {
    let c = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let res = c
        .post(format!("{base}/login"))
        .form(&[
            ("name", name),
            ("password", password),
            ("next", "/databases/demo"),
        ])
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

    // Wrong passwords: five, then even the right one waits.
    for _ in 0..5 {
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
    assert!(html.contains("Dump of demo"), "the job's page");
    assert!(
        !html.contains("/databases/demo\""),
        "no link further into Tidemark"
    );
    assert!(!html.contains("job-artifact"), "no download");
    let events = anonymous
        .get(format!("{base}{path}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    assert!(events.text().await.unwrap().contains("event: status"));
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
    assert!(res.text().await.unwrap().contains(id), "the shared job");
    let res = reload("tms_not-a-real-token").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.text().await.unwrap(),
        "null",
        "nothing for a wrong token"
    );
    let forged = anonymous
        .get(format!("{base}/s/tms_not-a-real-token"))
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
        .create_share_link(
            &tidemark_core::auth::hash_token(old.expose()),
            id,
            "demo",
            "otto",
            past,
            past + chrono::Duration::days(7),
        )
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
