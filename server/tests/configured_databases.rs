//! The real binary with a configuration that declares a second managed cluster and an external
//! server: both are created or reached, listed, and shown with what they offer.

use std::process::{Command, Stdio};

use serde_json::Value;

mod common;
use common::{Running, free_port};

#[tokio::test]
async fn declared_clusters_and_external_servers_are_listed_with_their_features() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let closed = free_port();
    let config = dir.path().join("tidemark.toml");
    std::fs::write(
        &config,
        "embedded = false\n\
         [[clusters]]\nid = \"billing\"\nname = \"Billing\"\n\n\
         [[external]]\nid = \"legacy\"\nname = \"Legacy CRM\"\nurl_env = \"LEGACY_URL\"\n",
    )
    .unwrap();
    // An admin with a token, made before the first start (so no first account is generated).
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let store = tidemark_core::store::Store::open(&dir.path().join("data/tidemark.db"))
        .await
        .unwrap();
    let token = common::token_for(&store, "ops", tidemark_core::auth::Role::Admin).await;
    store.close().await;
    let listen = format!("127.0.0.1:{}", free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_tidemark"))
        .env("TIDEMARK_CONFIG", &config)
        .env("TIDEMARK_DATA_DIR", dir.path().join("data"))
        .env("TIDEMARK_LISTEN", &listen)
        .env(
            "LEGACY_URL",
            format!("postgres://app:hunter2@127.0.0.1:{closed}/crm"),
        )
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(Some(child));
    let base = format!("http://{listen}");
    let http = common::client_with(&token);
    common::wait_ready(&http, &base, &mut running).await;

    let dbs: Vec<Value> = http
        .get(format!("{base}/api/v1/databases"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = dbs.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["billing", "legacy"]);
    assert_eq!(dbs[0]["status"], "running");
    assert_eq!(dbs[0]["features"]["pitr"], true);
    assert_eq!(dbs[1]["hosting"], "external");
    assert_eq!(dbs[1]["status"], "unreachable");
    assert_eq!(dbs[1]["features"]["pitr"], false);

    let window: Value = http
        .get(format!("{base}/api/v1/databases/billing/pitr"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(window["available"], true, "{window}");

    let page = http
        .get(format!("{base}/databases/legacy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("not managed by Tidemark"),
        "the page says why there is no PITR"
    );
    assert!(
        !page.contains("hunter2"),
        "the URL's password stays on the server"
    );

    let log = running.stop();
    assert!(log.contains("Tidemark is ready"), "{log}");
    assert!(
        !log.contains("hunter2"),
        "the URL's password stays out of the log:\n{log}"
    );
    assert!(
        dir.path()
            .join("data/clusters/billing/pgdata/PG_VERSION")
            .exists()
    );
}
