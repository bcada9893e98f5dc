//! The HTTP router against a real managed cluster: API answers, error shape, OpenAPI, server-rendered pages.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tidemark_core::Catalog;
use tidemark_core::provider::local::LocalProvider;
use tidemark_core::testing::TestCluster;
use tidemark_server::{AppState, router};
use tower::ServiceExt;

mod common;

/// The router, and an admin's API token to call it with.
type Authed = (axum::Router, String);

async fn get(app: &Authed, path: &str) -> (StatusCode, String, String) {
    let res = app
        .0
        .clone()
        .oneshot(
            Request::get(path)
                .header("authorization", format!("Bearer {}", app.1))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(res.into_body(), 10 << 20)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test]
async fn api_and_pages_show_the_real_window_and_backups() {
    let t = TestCluster::start().await;
    let catalog = Catalog::new(vec![Arc::new(LocalProvider::new(
        vec![t.cluster.clone()],
        t.store.clone(),
    ))]);
    let state = AppState::new(
        tidemark_server::startup::leptos_options(&t.config),
        tidemark_core::ops::Tidemark::new(t.config.clone(), catalog, t.store.clone(), 2),
    );
    let token = common::token_for(&t.store, "admin-test", tidemark_core::auth::Role::Admin).await;
    let app = (router(state), token);

    let (status, _, body) = get(&app, "/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["status"], "ok");

    let (status, ctype, body) = get(&app, "/api/v1/databases").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("application/json"));
    let dbs = json(&body);
    assert_eq!(dbs[0]["id"], "demo");
    assert_eq!(dbs[0]["status"], "running");
    assert_eq!(dbs[0]["features"]["pitr"], true);

    let (status, _, body) = get(&app, "/api/v1/databases/demo/backups").await;
    assert_eq!(status, StatusCode::OK);
    let backups = json(&body);
    let first = &backups[0];
    assert_eq!(first["method"], "physical_full");
    assert_eq!(first["status"], "done");
    assert!(first["size_bytes"].as_u64().unwrap() > 0);

    let (status, _, body) = get(&app, "/api/v1/databases/demo/pitr").await;
    assert_eq!(status, StatusCode::OK);
    let window = json(&body);
    assert_eq!(window["available"], true);
    assert_eq!(window["earliest"], first["finished_at"]);

    // Unknown database and route: 404 with the one error shape.
    for path in [
        "/api/v1/databases/nope",
        "/api/v1/databases/nope/backups",
        "/api/v1/databases/nope/pitr",
    ] {
        let (status, _, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        let e = json(&body);
        assert_eq!(e["error"]["code"], "database_not_found", "{path}");
        assert!(e["error"]["message"].as_str().unwrap().contains("nope"));
    }
    let (status, _, body) = get(&app, "/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json(&body)["error"]["code"], "route_not_found");
    let res = app
        .0
        .clone()
        .oneshot(
            Request::delete("/api/v1/databases")
                .header("authorization", format!("Bearer {}", app.1))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);

    // The OpenAPI document lists every route and the shared schemas.
    let (status, _, body) = get(&app, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc = json(&body);
    for path in [
        "/api/v1/health",
        "/api/v1/databases",
        "/api/v1/databases/{db}",
        "/api/v1/databases/{db}/backups",
        "/api/v1/databases/{db}/pitr",
    ] {
        assert!(doc["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
    assert!(doc["components"]["schemas"].get("PitrWindow").is_some());
    assert!(doc["components"]["schemas"].get("ErrorBody").is_some());

    // The Backups tab is rendered on the server with the same data.
    let (status, ctype, html) = get(&app, "/databases/demo").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/html"));
    let id = first["id"].as_str().unwrap();
    assert!(
        html.contains(&format!("data-backup-id=\"{id}\"")),
        "backup row missing"
    );
    let earliest = window["earliest"].as_str().unwrap();
    assert!(
        html.contains(&format!("datetime=\"{earliest}\"")),
        "window missing: {earliest}"
    );

    // An unknown database page is a real 404.
    let (status, _, html) = get(&app, "/databases/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Database not found"));

    t.stop().await;
}
