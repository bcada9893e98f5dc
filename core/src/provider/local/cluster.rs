//! One managed cluster: its files, first-time creation, start and stop, and what it reports.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::distributions::Alphanumeric;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::error::ClusterError;
use crate::config::Config;
use crate::pgtools::pg_ctl::{self, ClusterPaths};
use crate::pgtools::pgbackrest::{self, PhysicalKind, Stanza, StanzaInfo, StanzaSettings};
use crate::pgtools::{ToolError, run};
use crate::secret::Secret;
use crate::store::{ClusterRecord, Store};
use crate::sysuser::{RunAs, chown_opt};

const SHORT: Duration = Duration::from_secs(30);
const START_WAIT_SECONDS: u32 = 60;
pub(super) const BACKUP_TIMEOUT: Duration = Duration::from_secs(3600);

/// What the configuration asks for.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    /// Tidemark's id for the database (URLs, API).
    pub id: String,
    pub display_name: String,
    /// Directory name under `<data>/clusters/`, and the pgBackRest stanza.
    pub name: String,
    pub main_database: String,
    /// Fixed port, or `None` to pick a free one the first time and keep it.
    pub port: Option<u16>,
    /// Fill the main database with demo tables when it is first created.
    pub demo: bool,
}

/// A cluster Tidemark created and runs.
pub struct ManagedCluster {
    pub spec: ClusterSpec,
    pub dir: PathBuf,
    pub paths: ClusterPaths,
    pub stanza: Stanza,
    pub port: u16,
    pub(super) run_as: Option<RunAs>,
    password: Secret<String>,
    pool: PgPool,
    engine: std::sync::OnceLock<String>,
    /// One drill at a time: they share the directory beside the cluster.
    pub(super) drill_turn: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for ManagedCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedCluster")
            .field("name", &self.spec.name)
            .field("dir", &self.dir)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError + '_ {
    move |source| ClusterError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Creates `dir` (and parents) owned by `run_as`, private to it.
pub(super) fn private_dir(dir: &Path, run_as: Option<&RunAs>) -> Result<(), ClusterError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    chown_opt(run_as, dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io_err(dir))?;
    Ok(())
}

/// Writes a file owned by `run_as` with the given mode.
pub(super) fn owned_file(
    path: &Path,
    text: &str,
    mode: u32,
    run_as: Option<&RunAs>,
) -> Result<(), ClusterError> {
    // Created private, then given the mode and owner it needs.
    crate::sysuser::write_private(path, text.as_bytes()).map_err(io_err(path))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io_err(path))?;
    chown_opt(run_as, path)?;
    Ok(())
}

/// Writes Tidemark's settings to `tidemark.conf` in `pgdata`, included last by postgresql.conf so
/// that they win.
pub(super) fn write_tidemark_conf(
    pgdata: &Path,
    settings: &str,
    run_as: Option<&RunAs>,
) -> Result<(), ClusterError> {
    owned_file(&pgdata.join("tidemark.conf"), settings, 0o600, run_as)?;
    let main_conf = pgdata.join("postgresql.conf");
    let text = std::fs::read_to_string(&main_conf).map_err(io_err(&main_conf))?;
    let include = "include_if_exists = 'tidemark.conf'";
    if !text.contains(include) {
        let updated = format!("{text}\n# Tidemark's settings come last and win.\n{include}\n");
        owned_file(&main_conf, &updated, 0o600, run_as)?;
    }
    Ok(())
}

/// The cluster's user must be able to walk down to its directory.
pub(super) fn check_reachable(dir: &Path, run_as: &RunAs) -> Result<(), ClusterError> {
    for ancestor in dir.ancestors().skip(1) {
        let Ok(meta) = std::fs::metadata(ancestor) else {
            continue;
        };
        let others_search = meta.mode() & 0o001 != 0;
        let owner_search = meta.uid() == run_as.uid && meta.mode() & 0o100 != 0;
        let group_search = meta.gid() == run_as.gid && meta.mode() & 0o010 != 0;
        if !(others_search || owner_search || group_search) {
            return Err(ClusterError::Io {
                path: ancestor.display().to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!(
                        "the system user '{}' that runs PostgreSQL cannot enter it; allow it (chmod o+x {}) or choose a data directory elsewhere with TIDEMARK_DATA_DIR",
                        run_as.name,
                        ancestor.display()
                    ),
                ),
            });
        }
    }
    Ok(())
}

pub(super) fn free_port() -> Result<u16, ClusterError> {
    let l =
        std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(io_err(Path::new("127.0.0.1:0")))?;
    Ok(l.local_addr()
        .map_err(io_err(Path::new("127.0.0.1:0")))?
        .port())
}

pub(super) fn generate_password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

pub(super) fn last_lines(path: &Path, n: usize) -> String {
    std::fs::read_to_string(path)
        .map(|t| crate::pgtools::runner::tail(&t, n))
        .unwrap_or_else(|_| "(the log file is empty or missing)".to_string())
}

impl ManagedCluster {
    /// Creates the cluster on first use, or reuses it; starts it; makes sure it has a stanza,
    /// its main database and at least one full backup.
    pub async fn ensure(
        config: &Config,
        store: &Store,
        spec: ClusterSpec,
        run_as: Option<RunAs>,
    ) -> Result<Arc<Self>, ClusterError> {
        let data_dir = config
            .absolute_data_dir()
            .map_err(io_err(&config.data_dir))?;
        let dir = data_dir.join("clusters").join(&spec.name);
        if let Some(user) = &run_as {
            check_reachable(&dir, user)?;
        }
        // The clusters' parent belongs to the user running them too: nobody else looks inside.
        private_dir(dir.parent().unwrap_or(&data_dir), run_as.as_ref())?;
        private_dir(&dir, run_as.as_ref())?;
        for sub in ["log", "run", "repo"] {
            private_dir(&dir.join(sub), run_as.as_ref())?;
        }

        let password = Self::password(config, &spec.name)?;
        let record = store.cluster(&spec.name).await?;
        let port = match (spec.port, &record) {
            (Some(p), _) => p,
            (None, Some(r)) => r.port,
            (None, None) => free_port()?,
        };
        store
            .save_cluster(&ClusterRecord {
                name: spec.name.clone(),
                port,
                main_database: spec.main_database.clone(),
                ready_at: record.as_ref().and_then(|r| r.ready_at),
            })
            .await?;

        let paths = ClusterPaths {
            bin_dir: config.pg_bin_dir.clone(),
            pgdata: dir.join("pgdata"),
            log_file: dir.join("log").join("postgresql.log"),
        };
        let stanza = Stanza {
            program: config.pgbackrest.clone(),
            config_file: dir.join("pgbackrest.conf"),
            name: spec.name.clone(),
        };
        let options = PgConnectOptions::new()
            .host("127.0.0.1")
            .port(port)
            .username("postgres")
            .password(password.expose())
            .database(&spec.main_database);
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(options);
        let cluster = Arc::new(ManagedCluster {
            spec,
            dir,
            paths,
            stanza,
            port,
            run_as,
            password,
            pool,
            engine: std::sync::OnceLock::new(),
            drill_turn: tokio::sync::Mutex::new(()),
        });
        cluster.finish_interrupted_pitr().await?;
        cluster.clear_drill().await;
        cluster.prepare_files().await?;
        cluster.start().await?;
        run(&cluster.stanza.stanza_create(cluster.run_as.clone()), SHORT).await?;
        cluster.ensure_main_database().await?;
        cluster.ensure_canary().await?;
        cluster.read_engine_version().await?;
        if cluster.info().await?.backups.iter().all(|b| b.error) {
            tracing::info!(cluster = %cluster.spec.name, "taking the first full backup");
            cluster.backup(PhysicalKind::Full).await?;
        }
        store.mark_cluster_ready(&cluster.spec.name).await?;
        Ok(cluster)
    }

    /// The superuser password Tidemark generated for this cluster, kept in its secrets directory.
    pub(super) fn password(config: &Config, name: &str) -> Result<Secret<String>, ClusterError> {
        let secrets = config.secrets_dir();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&secrets)
            .map_err(io_err(&secrets))?;
        std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o700))
            .map_err(io_err(&secrets))?;
        let file = secrets.join(format!("{name}.password"));
        match std::fs::read_to_string(&file) {
            Ok(p) if !p.trim().is_empty() => Ok(Secret::new(p.trim().to_string())),
            _ => {
                let p = generate_password();
                owned_file(&file, &p, 0o600, None)?;
                Ok(Secret::new(p))
            }
        }
    }

    /// initdb the first time; (re)write Tidemark's PostgreSQL and pgBackRest settings every time.
    async fn prepare_files(&self) -> Result<(), ClusterError> {
        let run_as = self.run_as.as_ref();
        if !self.paths.pgdata.join("PG_VERSION").exists() {
            tracing::info!(cluster = %self.spec.name, dir = %self.dir.display(), "creating the cluster with initdb");
            let pwfile = self.dir.join("run").join("initdb.pw");
            owned_file(&pwfile, self.password.expose(), 0o600, run_as)?;
            let result = run(
                &pg_ctl::initdb(&self.paths, &pwfile, self.run_as.clone()),
                Duration::from_secs(120),
            )
            .await;
            let _ = std::fs::remove_file(&pwfile);
            result?;
        }
        self.write_settings()
    }

    /// Tidemark's postgresql.conf include and the stanza's pgbackrest.conf, written every start.
    pub(super) fn write_settings(&self) -> Result<(), ClusterError> {
        let run_as = self.run_as.as_ref();
        let socket_dir = self.dir.join("run");
        let settings =
            pg_ctl::managed_settings(self.port, &socket_dir, &self.stanza.archive_command());
        write_tidemark_conf(&self.paths.pgdata, &settings, run_as)?;
        let conf = pgbackrest::render_config(&StanzaSettings {
            stanza: &self.spec.name,
            repo_path: &self.dir.join("repo"),
            log_path: &self.dir.join("log"),
            lock_path: &socket_dir,
            pgdata: &self.paths.pgdata,
            port: self.port,
            socket_dir: &socket_dir,
            retention_full: 2,
        });
        owned_file(&self.stanza.config_file, &conf, 0o600, run_as)?;
        Ok(())
    }

    pub async fn is_running(&self) -> bool {
        run(&pg_ctl::status(&self.paths, self.run_as.clone()), SHORT)
            .await
            .is_ok()
    }

    /// Starts the cluster unless it already runs (for example left running by a crash).
    pub async fn start(&self) -> Result<(), ClusterError> {
        self.start_waiting(START_WAIT_SECONDS).await
    }

    /// Starts the cluster, waiting up to `wait_seconds` for it to accept connections.
    pub(super) async fn start_waiting(&self, wait_seconds: u32) -> Result<(), ClusterError> {
        if self.is_running().await {
            tracing::info!(cluster = %self.spec.name, port = self.port, "cluster already running");
            return Ok(());
        }
        tracing::info!(cluster = %self.spec.name, port = self.port, "starting the cluster");
        let cmd = pg_ctl::start(&self.paths, wait_seconds, self.run_as.clone());
        match run(&cmd, Duration::from_secs(u64::from(wait_seconds) + 10)).await {
            Ok(_) => Ok(()),
            Err(e @ ToolError::Missing { .. }) => Err(ClusterError::Tool(e)),
            Err(e) => Err(ClusterError::StartFailed {
                cluster: self.spec.name.clone(),
                reason: e.to_string().lines().next().unwrap_or_default().to_string(),
                log_file: self.paths.log_file.display().to_string(),
                log_tail: last_lines(&self.paths.log_file, 6),
            }),
        }
    }

    /// Stops the cluster (fast mode: nothing committed is lost).
    pub async fn stop(&self) -> Result<(), ClusterError> {
        if !self.is_running().await {
            return Ok(());
        }
        tracing::info!(cluster = %self.spec.name, "stopping the cluster");
        run(
            &pg_ctl::stop(&self.paths, START_WAIT_SECONDS, self.run_as.clone()),
            Duration::from_secs(u64::from(START_WAIT_SECONDS) + 10),
        )
        .await?;
        Ok(())
    }

    /// Stops the cluster at once, blocking; for clean-up paths that cannot await.
    pub fn stop_immediately_blocking(&self) {
        let cmd = pg_ctl::stop_immediately(&self.paths, self.run_as.clone());
        let _ = cmd
            .to_std_process()
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }

    async fn read_engine_version(&self) -> Result<(), ClusterError> {
        let v: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&self.pool)
            .await
            .map_err(|s| self.connect_error(s))?;
        let short = v.split_whitespace().next().unwrap_or(&v).to_string();
        let _ = self.engine.set(format!("PostgreSQL {short}"));
        Ok(())
    }

    /// e.g. "PostgreSQL 15.18".
    pub fn engine_version(&self) -> String {
        self.engine
            .get()
            .cloned()
            .unwrap_or_else(|| "PostgreSQL".to_string())
    }

    pub(super) fn connect_error(&self, source: sqlx::Error) -> ClusterError {
        ClusterError::Connect {
            cluster: self.spec.name.clone(),
            source,
        }
    }

    /// How to reach a database of this cluster over TCP, with the generated password.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username("postgres")
            .password(self.password.expose())
            .database(database)
    }

    /// How a client such as pg_dump reaches the main database.
    pub fn conn_target(&self) -> crate::pgtools::pg_dump::ConnTarget {
        crate::pgtools::pg_dump::ConnTarget::new(
            "127.0.0.1",
            self.port,
            "postgres",
            Some(self.password.clone()),
            &self.spec.main_database,
        )
    }

    /// A pool on the main database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The stanza as pgBackRest reports it.
    pub async fn info(&self) -> Result<StanzaInfo, ClusterError> {
        let out = run(&self.stanza.info(self.run_as.clone()), SHORT).await?;
        Ok(pgbackrest::parse_info(&out.stdout, &self.stanza.name)?)
    }

    /// Takes a physical backup with pgBackRest.
    pub async fn backup(&self, kind: PhysicalKind) -> Result<(), ClusterError> {
        run(
            &self.stanza.backup(kind, self.run_as.clone()),
            BACKUP_TIMEOUT,
        )
        .await?;
        Ok(())
    }

    /// When the last WAL segment reached the archive, and the timeline the cluster writes on.
    pub async fn archive_state(
        &self,
    ) -> Result<(Option<DateTime<Utc>>, Option<u32>), ClusterError> {
        let (archived, segment): (Option<DateTime<Utc>>, Option<String>) = sqlx::query_as(
            "SELECT last_archived_time,
                    CASE WHEN pg_is_in_recovery() THEN NULL
                         ELSE pg_walfile_name(pg_current_wal_lsn()) END
             FROM pg_stat_archiver",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|s| self.connect_error(s))?;
        Ok((
            archived,
            segment.as_deref().and_then(pgbackrest::timeline_of),
        ))
    }
}

pub use crate::pgtools::quote::quote_ident;
