//! Test support: a real managed cluster in a temporary directory, removed with its guard.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use crate::config::Config;
use crate::provider::local::{ClusterSpec, ManagedCluster};
use crate::store::Store;
use crate::sysuser::RunAs;

/// A temporary data directory with a running cluster; stops the cluster when dropped by `stop`.
#[derive(Debug)]
pub struct TestCluster {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub store: Store,
    pub cluster: Arc<ManagedCluster>,
}

/// The spec of the demo database, as the embedded default uses it.
pub fn demo_spec() -> ClusterSpec {
    ClusterSpec {
        id: "demo".into(),
        display_name: "Demo".into(),
        name: "main".into(),
        main_database: "demo".into(),
        port: None,
        demo: true,
    }
}

/// A data directory the clusters' system user can enter.
pub fn temp_data_dir() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod temporary directory");
    let config = Config {
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    std::fs::create_dir_all(&config.data_dir).expect("data directory");
    (dir, config)
}

impl TestCluster {
    /// initdb, archiving, stanza, demo data and a first full backup.
    pub async fn start() -> TestCluster {
        let (dir, config) = temp_data_dir();
        let store = Store::open(&config.state_db_path())
            .await
            .expect("state database");
        let run_as = RunAs::for_current_process(&config.run_as_user).expect("system user");
        let cluster = ManagedCluster::ensure(&config, &store, demo_spec(), run_as)
            .await
            .expect("managed cluster");
        TestCluster {
            dir,
            config,
            store,
            cluster,
        }
    }

    pub async fn stop(self) {
        self.cluster.stop().await.expect("cluster stops");
        self.store.close().await;
    }
}

impl Drop for TestCluster {
    /// A test that failed half-way must not leave a server running on a deleted directory.
    fn drop(&mut self) {
        if self.cluster.paths.pgdata.join("postmaster.pid").exists() {
            self.cluster.stop_immediately_blocking();
        }
    }
}

/// Someone allowed everything, for tests and benchmarks.
pub fn admin() -> crate::auth::Principal {
    crate::auth::Principal {
        user: "tester".into(),
        role: crate::auth::Role::Admin,
        via: crate::auth::Via::Session,
    }
}

/// A test cluster with a job runner and a catalog serving it.
#[derive(Debug)]
pub struct TestJobs {
    pub t: TestCluster,
    pub runner: Arc<crate::jobs::JobRunner>,
    pub catalog: crate::Catalog,
}

impl TestJobs {
    pub async fn start() -> TestJobs {
        let t = TestCluster::start().await;
        let runner = Arc::new(crate::jobs::JobRunner::new(
            crate::jobs::EventHub::new(t.store.clone()),
            2,
        ));
        let catalog = crate::Catalog::new(vec![Arc::new(
            crate::provider::local::LocalProvider::new(vec![t.cluster.clone()], t.store.clone()),
        )]);
        TestJobs { t, runner, catalog }
    }

    /// Waits (up to 90 s) until the job has ended, and returns it.
    pub async fn finished(&self, id: &crate::jobs::JobId) -> crate::jobs::Job {
        for _ in 0..900 {
            let job = self
                .t
                .store
                .job(id)
                .await
                .expect("read job")
                .expect("job exists");
            if job.status.is_finished() {
                return job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("job {id} did not finish within 90 s");
    }
}
