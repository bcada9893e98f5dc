//! How many Scalingo requests one view of a Backups tab costs, cold and within the caches' life:
//! the figures that keep a team's dashboard under Scalingo's 60 requests a minute.

use std::sync::Arc;

use tidemark_core::auth::Role;
use tidemark_core::provider::scalingo::{
    ClientSettings, ScalingoClient, ScalingoProvider, Selection,
};
use tidemark_core::{Catalog, Config};
use tidemark_scalingo_fake::{FakeOptions, FakeScalingo};
use tidemark_server::{AppState, router};

mod common;

/// The router over a catalog of the test server's databases, reached with `api_token`.
async fn serve(
    fake: &FakeScalingo,
    api_token: &str,
) -> (String, reqwest::Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        embedded: false,
        ..Config::default()
    };
    std::fs::create_dir_all(&config.data_dir).unwrap();
    let store = tidemark_core::store::Store::open(&config.state_db_path())
        .await
        .unwrap();
    let client = ScalingoClient::new(ClientSettings::new(
        fake.auth_url(),
        api_token.to_string().into(),
    ));
    let provider = ScalingoProvider::new(Arc::new(client), Selection::default());
    let catalog = Catalog::new(vec![Arc::new(provider)]);
    let state = AppState::new(
        tidemark_server::startup::leptos_options(&config),
        tidemark_core::ops::Tidemark::new(config, catalog, store.clone(), 2),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let http = common::client_with(&common::token_for(&store, "viewer", Role::Viewer).await);
    (base, http, dir)
}

#[tokio::test]
async fn a_backups_tab_view_stays_well_within_the_request_budget() {
    let fake = FakeScalingo::start(FakeOptions {
        cluster: false,
        ..FakeOptions::default()
    })
    .await
    .unwrap();
    let (base, http, _dir) = serve(&fake, &fake.api_token()).await;

    let mut counts = Vec::new();
    for (what, path) in [
        ("Shared tab, cold", "/databases/shop-osc-fr1"),
        ("Shared tab, again", "/databases/shop-osc-fr1"),
        ("Dedicated tab, first view", "/databases/ledger-osc-fr1"),
        ("Dedicated tab, again", "/databases/ledger-osc-fr1"),
    ] {
        fake.clear_requests();
        let page = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Point-in-time recovery"),
            "{path} shows its tab"
        );
        let n = fake.requests().len();
        println!("{what:<28} {n:>3} Scalingo requests");
        counts.push(n);
    }
    // Cold, the whole discovery of both regions is paid once; then only the tab's own reads,
    // and those are reused for a while.
    assert!(counts[0] <= 30, "a cold view costs {} requests", counts[0]);
    assert!(
        counts[1] <= 2,
        "a view within the caches' life costs {} requests",
        counts[1]
    );
    assert!(
        counts[2] <= 8,
        "another database's first view costs {} requests",
        counts[2]
    );
    assert!(counts[3] <= 2, "{}", counts[3]);
    fake.stop().await;
}

#[tokio::test]
async fn a_refused_token_is_explained_on_the_overview_and_by_the_api() {
    let fake = FakeScalingo::start(FakeOptions {
        cluster: false,
        ..FakeOptions::default()
    })
    .await
    .unwrap();
    let (base, http, _dir) = serve(&fake, "tk-us-revoked").await;
    let page = http
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Scalingo&#x27;s databases cannot be listed now")
            || page.contains("Scalingo's databases cannot be listed now"),
        "{page}"
    );
    assert!(
        page.contains("SCALINGO_API_TOKEN"),
        "the sentence names the setting to check"
    );
    assert!(!page.contains("tk-us-revoked"));
    let res = http
        .get(format!("{base}/api/v1/databases"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "provider_error", "{body}");
    fake.stop().await;
}

#[tokio::test]
async fn a_schedule_of_several_hours_keeps_them_when_turned_off_and_on() {
    let fake = FakeScalingo::start(FakeOptions {
        cluster: false,
        ..FakeOptions::default()
    })
    .await
    .unwrap();
    fake.set_schedule("shop", true, &[0, 12]);
    let (base, _viewer, dir) = serve(&fake, &fake.api_token()).await;
    let store = tidemark_core::store::Store::open(&dir.path().join("data/tidemark.db"))
        .await
        .unwrap();
    let admin = common::client_with(&common::token_for(&store, "ops", Role::Admin).await);
    let url = format!("{base}/api/v1/databases/shop-osc-fr1/schedule");
    let put = |body: serde_json::Value| admin.put(&url).json(&body).send();

    let view: serde_json::Value = admin.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(view["hours"], serde_json::json!([0, 12]));
    // The page always sends the hour; the same first hour changes nothing else.
    assert_eq!(
        put(serde_json::json!({"enabled": true, "hour": 0}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(fake.schedule("shop"), Some((true, vec![0, 12])));
    assert_eq!(
        put(serde_json::json!({"enabled": false, "hour": 0}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(fake.schedule("shop"), Some((false, vec![0, 12])));
    assert_eq!(
        put(serde_json::json!({"enabled": true}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(fake.schedule("shop"), Some((true, vec![0, 12])));
    // Another hour would replace both: refused, nothing changed.
    let res = put(serde_json::json!({"hour": 5})).await.unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("support"),
        "{body}"
    );
    assert_eq!(fake.schedule("shop"), Some((true, vec![0, 12])));
    fake.stop().await;
}
