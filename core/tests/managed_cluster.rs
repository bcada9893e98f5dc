//! A real managed cluster in a temporary directory: initdb, pgBackRest stanza, first backup, window, reuse.

use std::sync::Arc;

use tidemark_core::Catalog;
use tidemark_core::provider::local::{LocalProvider, ManagedCluster};
use tidemark_core::provider::{
    BackupMethod, BackupStatus, DatabaseStatus, Provider, ProviderError,
};
use tidemark_core::sysuser::RunAs;
use tidemark_core::testing::{TestCluster, demo_spec};

#[tokio::test]
async fn a_new_cluster_has_a_backup_and_a_window_and_is_reused_on_restart() {
    let t = TestCluster::start().await;
    let cluster = t.cluster.clone();
    let port = cluster.port;
    let catalog = Catalog::new(vec![Arc::new(LocalProvider::new(
        vec![cluster.clone()],
        t.store.clone(),
    ))]);

    let dbs = catalog.databases().await.unwrap();
    assert_eq!(dbs.len(), 1);
    assert_eq!(dbs[0].id, "demo");
    assert_eq!(dbs[0].status, DatabaseStatus::Running);
    assert!(
        dbs[0].engine.starts_with("PostgreSQL 15"),
        "{}",
        dbs[0].engine
    );

    // The demo data is there.
    let customers: i64 = sqlx::query_scalar("SELECT count(*) FROM customers")
        .fetch_one(cluster.pool())
        .await
        .unwrap();
    assert_eq!(customers, 200);

    let backups = catalog.backups("demo").await.unwrap();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(backups[0].method, BackupMethod::PhysicalFull);
    assert_eq!(backups[0].status, BackupStatus::Done);
    assert!(backups[0].size_bytes.unwrap() > 0);

    let window = catalog.pitr_window("demo").await.unwrap();
    let (earliest, latest) = (window.earliest.unwrap(), window.latest.unwrap());
    assert_eq!(earliest, backups[0].finished_at.unwrap());
    assert!(latest >= earliest);

    // The archive really receives WAL: a forced switch moves the latest point forward.
    sqlx::query("INSERT INTO customers (name, email) VALUES ('After', 'after@example.com')")
        .execute(cluster.pool())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    sqlx::query("SELECT pg_switch_wal()")
        .execute(cluster.pool())
        .await
        .unwrap();
    let mut moved = false;
    for _ in 0..50 {
        let w = catalog.pitr_window("demo").await.unwrap();
        if w.latest.unwrap() > latest {
            moved = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(moved, "the archived WAL time never moved past {latest}");

    // Unknown ids are not found.
    assert!(matches!(
        catalog.backups("nope").await,
        Err(ProviderError::NotFound(_))
    ));

    // Stop, then start again: the same cluster, port, data and backups.
    cluster.stop().await.unwrap();
    assert!(!cluster.is_running().await);
    drop(catalog);
    let run_as = RunAs::for_current_process(&t.config.run_as_user).unwrap();
    let again = ManagedCluster::ensure(&t.config, &t.store, demo_spec(), run_as)
        .await
        .unwrap();
    assert_eq!(again.port, port);
    let provider = LocalProvider::new(vec![again.clone()], t.store.clone());
    assert_eq!(provider.backups("demo").await.unwrap().len(), 1);
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM customers")
        .fetch_one(again.pool())
        .await
        .unwrap();
    assert_eq!(after, 201);
    again.stop().await.unwrap();
}

#[tokio::test]
async fn a_cluster_that_cannot_start_names_its_log_and_the_cause() {
    let t = TestCluster::start().await;
    let port = t.cluster.port;
    t.cluster.stop().await.unwrap();
    // Something else takes the cluster's port.
    let _squatter = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let err = t.cluster.start().await.unwrap_err().to_string();
    assert!(err.contains("did not start"), "{err}");
    assert!(err.contains("postgresql.log"), "{err}");
    assert!(
        err.contains("could not bind") || err.contains("in use"),
        "{err}"
    );
}
