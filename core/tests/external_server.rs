//! An external server (a real cluster reached by URL only): listed as external, backed up
//! logically, refused point-in-time recovery in plain words, and reported when it does not answer.

use std::sync::Arc;

use tidemark_core::Catalog;
use tidemark_core::config::ExternalConfig;
use tidemark_core::jobs::JobStatus;
use tidemark_core::provider::external::{ExternalProvider, ExternalServer, NO_PITR};
use tidemark_core::provider::{BackupMethod, BackupStatus, DatabaseStatus, Hosting};
use tidemark_core::secret::Secret;
use tidemark_core::testing::TestJobs;
use tidemark_core::work::backup::start_backup;
use tidemark_core::work::pitr::{PitrRequest, StartPitrError, start_pitr_restore};

fn server(id: &str, url: String) -> ExternalServer {
    ExternalServer::from_config(&ExternalConfig {
        id: id.into(),
        name: Some("Legacy CRM".into()),
        url: Some(Secret::new(url)),
        url_env: None,
    })
    .unwrap()
}

#[tokio::test]
async fn an_external_server_gets_logical_backups_and_no_pitr() {
    let j = TestJobs::start().await;
    let t = j.t.cluster.conn_target();
    let url = format!(
        "postgres://{}:{}@{}:{}/{}",
        t.user,
        t.password.as_ref().unwrap().expose(),
        t.host,
        t.port,
        t.dbname
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let catalog = Catalog::new(vec![Arc::new(ExternalProvider::new(
        vec![
            server("legacy", url),
            server("gone", format!("postgres://u:p@127.0.0.1:{closed_port}/x")),
        ],
        j.t.store.clone(),
    ))]);

    let dbs = catalog.databases().await.unwrap();
    let legacy = dbs.iter().find(|d| d.id == "legacy").unwrap();
    assert_eq!(legacy.hosting, Hosting::External);
    assert_eq!(legacy.status, DatabaseStatus::Running);
    assert!(
        legacy.engine.starts_with("PostgreSQL 15"),
        "{}",
        legacy.engine
    );
    assert!(!legacy.features.pitr);
    let gone = dbs.iter().find(|d| d.id == "gone").unwrap();
    assert_eq!(gone.status, DatabaseStatus::Unreachable);

    let window = catalog.pitr_window("legacy").await.unwrap();
    assert_eq!(window.unavailable_reason.as_deref(), Some(NO_PITR));
    let refused = start_pitr_restore(
        &j.runner,
        &catalog,
        "legacy",
        PitrRequest {
            restore_time: chrono::Utc::now().to_rfc3339(),
            confirm: true,
        },
        &tidemark_core::testing::admin(),
    )
    .await;
    assert!(matches!(refused, Err(StartPitrError::NotSupported(m)) if m.contains("Legacy CRM")));

    let job = start_backup(
        &j.runner,
        &catalog,
        &j.t.config,
        "legacy",
        BackupMethod::Manual,
        &tidemark_core::testing::admin(),
    )
    .await
    .unwrap();
    let done = j.finished(&job.id).await;
    assert!(
        matches!(done.status, JobStatus::Succeeded { .. }),
        "{:?}",
        done.status
    );
    let backups = catalog.backups("legacy").await.unwrap();
    assert_eq!(backups.len(), 1);
    assert_eq!(backups[0].status, BackupStatus::Done);
    assert!(
        j.t.config
            .data_dir
            .join("backups/legacy")
            .join(format!(
                "{}_legacy.tar.gz",
                backups[0].created_at.format("%Y%m%d%H%M%S")
            ))
            .exists()
    );
    j.t.stop().await;
}
