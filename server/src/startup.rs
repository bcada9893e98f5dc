//! Start-up and shutdown: check the machine, open the state, bring up the clusters, serve, stop in order.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use leptos::config::{Env, LeptosOptions};
use tidemark_core::config::ClusterConfig;
use tidemark_core::ops::Tidemark;
use tidemark_core::pgtools::runner::{ToolError, require};
use tidemark_core::provider::external::{ExternalProvider, ExternalServer};
use tidemark_core::provider::local::{ClusterError, ClusterSpec, LocalProvider, ManagedCluster};
use tidemark_core::store::{Store, StoreError};
use tidemark_core::sysuser::{RunAs, SysUserError};
use tidemark_core::work::scheduler::Scheduler;
use tidemark_core::{Catalog, Config};

use crate::state::AppState;
use crate::tasks::{Tasks, shutdown_signal};

/// Why the server could not start, as one sentence that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "the data directory {path} is not writable ({reason}); fix its permissions or choose another with TIDEMARK_DATA_DIR"
    )]
    DataDir { path: String, reason: String },
    #[error(
        "the address {0} is already in use; stop the program using it or choose another address with TIDEMARK_LISTEN"
    )]
    PortInUse(SocketAddr),
    #[error("cannot listen on {addr}: {source}; choose another address with TIDEMARK_LISTEN")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    MissingTool(#[from] ToolError),
    #[error("{0}")]
    User(#[from] SysUserError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Cluster(#[from] ClusterError),
    #[error("{0}")]
    External(String),
    #[error("the HTTP server stopped: {0}")]
    Serve(std::io::Error),
}

/// How many jobs run at once on this server.
const MAX_CONCURRENT_JOBS: usize = 4;

/// The embedded default: one managed cluster with a demo database.
pub fn embedded_spec(config: &Config) -> ClusterSpec {
    ClusterSpec {
        id: "demo".into(),
        display_name: "Demo".into(),
        name: "main".into(),
        main_database: "demo".into(),
        port: config.embedded_port,
        demo: true,
    }
}

/// On the first start, an admin account with a one-time password, printed once.
async fn first_admin(store: &Store) -> Result<(), StartError> {
    use tidemark_core::auth::{Role, generate_password, hash_password};
    if store.user_count().await? > 0 {
        return Ok(());
    }
    let password = generate_password();
    let hash = hash_password(&password).map_err(|e| StartError::External(e.to_string()))?;
    store
        .create_user("admin", Role::Admin, &hash, chrono::Utc::now())
        .await?;
    store.require_password_change("admin").await?;
    tracing::warn!(
        user = "admin",
        "created the first account; log in as admin with the one-time password {password} and choose a new one when asked"
    );
    Ok(())
}

/// A cluster declared in the configuration.
fn configured_spec(c: &ClusterConfig) -> ClusterSpec {
    ClusterSpec {
        id: c.id.clone(),
        display_name: c.name.clone().unwrap_or_else(|| c.id.clone()),
        name: c.id.clone(),
        main_database: c.main_database.clone().unwrap_or_else(|| c.id.clone()),
        port: c.port,
        demo: false,
    }
}

fn check_data_dir(dir: &Path) -> Result<(), StartError> {
    let fail = |reason: String| StartError::DataDir {
        path: dir.display().to_string(),
        reason,
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(|e| fail(e.to_string()))?;
    std::fs::remove_file(&probe).map_err(|e| fail(e.to_string()))?;
    Ok(())
}

/// The programs the embedded cluster needs, checked before anything starts.
fn check_tools(config: &Config, run_as: Option<&RunAs>) -> Result<(), ToolError> {
    for program in ["initdb", "pg_ctl", "postgres"] {
        require(&config.pg_bin(program))?;
    }
    require(&config.pgbackrest)?;
    if run_as.is_some() {
        require(Path::new("setpriv"))?;
    }
    Ok(())
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("tidemark")
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .env(Env::PROD)
        .hash_files(hashed_site())
        .build()
}

/// Whether the site's files carry content hashes: the build lists them in `hash.txt` beside the
/// binary.
pub fn hashed_site() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("hash.txt")))
        .is_some_and(|f| f.is_file())
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => StartError::PortInUse(addr),
            _ => StartError::Bind { addr, source },
        })
}

/// Runs the server until SIGINT or SIGTERM, then stops the HTTP server, the tasks and the clusters.
pub async fn run(config: Config) -> Result<(), StartError> {
    check_data_dir(&config.data_dir)?;
    let run_as = RunAs::for_current_process(&config.run_as_user)?;
    tidemark_core::sysuser::make_data_dir_private(&config.data_dir, run_as.as_ref()).map_err(
        |e| StartError::DataDir {
            path: config.data_dir.display().to_string(),
            reason: format!("cannot make it private: {e}"),
        },
    )?;
    if config.embedded || !config.clusters.is_empty() {
        check_tools(&config, run_as.as_ref())?;
    }
    let listener = bind(config.listen).await?;
    let store = Store::open(&config.state_db_path()).await?;
    first_admin(&store).await?;
    let site_js: PathBuf = config.site_root.join("pkg").join("tidemark.js");
    if !site_js.exists() {
        tracing::warn!(site_root = %config.site_root.display(), "the compiled site is missing: pages are served without interactivity (build it with `cargo leptos build`)");
    }

    let mut specs = Vec::new();
    if config.embedded {
        specs.push(embedded_spec(&config));
    }
    specs.extend(config.clusters.iter().map(configured_spec));
    let mut clusters = Vec::new();
    for spec in specs {
        clusters.push(ManagedCluster::ensure(&config, &store, spec, run_as.clone()).await?);
    }
    let mut servers = Vec::new();
    for c in &config.external {
        servers.push(ExternalServer::from_config(c).map_err(StartError::External)?);
    }
    let mut providers: Vec<Arc<dyn tidemark_core::provider::Provider>> = vec![
        Arc::new(LocalProvider::new(clusters.clone(), store.clone())),
        Arc::new(ExternalProvider::new(servers, store.clone())),
    ];
    if let Some(sc) = &config.scalingo {
        use tidemark_core::provider::scalingo::{
            ClientSettings, ScalingoClient, ScalingoProvider, Selection,
        };
        tracing::info!(auth_url = %sc.auth_url, regions = ?sc.regions, apps = ?sc.apps, "serving Scalingo's databases");
        let client = ScalingoClient::new(ClientSettings::new(
            sc.auth_url.clone(),
            sc.api_token.clone(),
        ));
        providers.push(Arc::new(
            ScalingoProvider::new(
                Arc::new(client),
                Selection {
                    regions: sc.regions.clone(),
                    only: sc.apps.clone(),
                },
            )
            .db_root_cert(sc.db_ssl_root_cert.clone()),
        ));
    }
    let catalog = Catalog::new(providers);
    let listen = config.listen;
    let options = leptos_options(&config);
    let state = AppState::new(
        options,
        Tidemark::new(config, catalog, store.clone(), MAX_CONCURRENT_JOBS),
    );
    let jobs = state.tm.jobs.clone();
    let (state_catalog, state_config) = (state.tm.catalog.clone(), state.tm.config.clone());
    let uploads_root = state_config.artifacts_dir();
    let interrupted = jobs.recover().await?;
    if interrupted > 0 {
        tracing::warn!(
            count = interrupted,
            "jobs left unfinished by the previous run are marked interrupted"
        );
    }
    let ended =
        store.end_interrupted_verifications().await? + store.end_interrupted_drills().await?;
    if ended > 0 {
        tracing::warn!(
            count = ended,
            "verifications and drills left unfinished by the previous run are marked failed"
        );
    }
    let scratch = state.tm.scratch.clone();
    // The demo starts with a backup, which the auto-verifier then proves.
    if state.tm.config.embedded {
        let first = tidemark_core::work::backup::first_backup_if_none(
            &state.tm.jobs,
            &state.tm.catalog,
            &state.tm.config,
            &embedded_spec(&state.tm.config).id,
        )
        .await;
        match first {
            Ok(Some(job)) => tracing::info!(job = %job.id, "taking the demo's first backup"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot take the demo's first backup"),
        }
    }
    let app = crate::router(state);

    let tasks = Tasks::new();
    let token = tasks.token();
    tasks.spawn(
        "scheduler",
        Scheduler {
            runner: jobs.clone(),
            catalog: state_catalog.clone(),
            config: state_config.clone(),
        }
        .run(token.clone()),
    );
    let drill_catalog = state_catalog.clone();
    tasks.spawn(
        "auto-verifier",
        tidemark_core::work::verify_sweep::AutoVerifier {
            runner: jobs.clone(),
            catalog: state_catalog,
            config: state_config,
            scratch,
        }
        .run(token.clone()),
    );
    tasks.spawn(
        "drill sweeper",
        tidemark_core::work::drill_sweep::DrillSweeper {
            runner: jobs.clone(),
            catalog: drill_catalog,
        }
        .run(token.clone()),
    );
    tasks.spawn(
        "canary writer",
        tidemark_core::provider::local::CanaryWriter {
            clusters: clusters.clone(),
        }
        .run(token.clone()),
    );
    tasks.spawn(
        "upload sweeper",
        tidemark_core::work::upload_sweep::UploadSweeper {
            store: store.clone(),
            artifacts_dir: uploads_root,
        }
        .run(token.clone()),
    );
    tasks.spawn(
        "housekeeping",
        tidemark_core::store::housekeeping::Housekeeper {
            store: store.clone(),
        }
        .run(token.clone()),
    );
    tokio::spawn({
        let token = token.clone();
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            token.cancel();
        }
    });
    tracing::info!(address = %format!("http://{listen}"), "Tidemark is ready");
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { token.cancelled().await })
    .await;

    tasks.shutdown().await;
    jobs.shutdown().await;
    for cluster in &clusters {
        if let Err(e) = cluster.stop().await {
            tracing::error!(cluster = %cluster.spec.name, error = %e, "the cluster did not stop cleanly");
        }
    }
    store.close().await;
    tracing::info!("stopped");
    served.map_err(StartError::Serve)
}
