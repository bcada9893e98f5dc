//! The scratch instance: a PostgreSQL cluster Tidemark makes for test restores alone, never a
//! production server. It is created with initdb on first use, started on a free port only while
//! a verification needs it, and used by one verification at a time.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{Mutex, MutexGuard};

use super::cluster::{
    ManagedCluster, check_reachable, free_port, generate_password, last_lines, owned_file,
    private_dir, write_tidemark_conf,
};
use super::error::ClusterError;
use crate::config::Config;
use crate::pgtools::conn::ConnTarget;
use crate::pgtools::pg_ctl::{self, ClusterPaths};
use crate::pgtools::quote::{quote_ident, quote_literal};
use crate::pgtools::{ToolError, run};
use crate::secret::Secret;
use crate::sysuser::RunAs;

/// The role test restores run as: it logs in, owns the scratch databases, and nothing more.
pub const VERIFIER: &str = "tidemark_verifier";
/// The prefix of every scratch database's name; anything left with it is dropped at the next use.
pub const SCRATCH_PREFIX: &str = "verify_";
/// The schema amcheck is installed in, apart from what a restore brings.
const AMCHECK_SCHEMA: &str = "tidemark_amcheck";
const START_WAIT_SECONDS: u32 = 60;

/// The scratch instance's files, and the lock that lets one verification in at a time.
#[derive(Debug)]
pub struct ScratchInstance {
    dir: PathBuf,
    paths: ClusterPaths,
    run_as: Option<RunAs>,
    secrets: Config,
    lock: Mutex<()>,
}

/// The scratch instance, started, for one verification; `close` stops it.
#[derive(Debug)]
pub struct ScratchSession<'a> {
    instance: &'a ScratchInstance,
    _turn: MutexGuard<'a, ()>,
    port: u16,
    password: Secret<String>,
    verifier_password: Secret<String>,
}

impl ScratchInstance {
    /// Where the scratch instance lives under the data directory; nothing is created yet.
    pub fn new(config: &Config, run_as: Option<RunAs>) -> Self {
        let dir = config.data_dir.join("scratch");
        Self {
            paths: ClusterPaths {
                bin_dir: config.pg_bin_dir.clone(),
                pgdata: dir.join("pgdata"),
                log_file: dir.join("log").join("postgresql.log"),
            },
            dir,
            run_as,
            secrets: config.clone(),
            lock: Mutex::new(()),
        }
    }

    /// Waits for the instance to be free, creates it the first time, and starts it on a free
    /// port. Databases left by an interrupted verification are dropped first.
    pub async fn open(&self) -> Result<ScratchSession<'_>, ClusterError> {
        let turn = self.lock.lock().await;
        let run_as = self.run_as.as_ref();
        if let Some(user) = run_as {
            check_reachable(&self.dir, user)?;
        }
        private_dir(&self.dir, run_as)?;
        for sub in ["log", "run"] {
            private_dir(&self.dir.join(sub), run_as)?;
        }
        let password = ManagedCluster::password(&self.secrets, "scratch")?;
        if !self.paths.pgdata.join("PG_VERSION").exists() {
            tracing::info!(dir = %self.dir.display(), "creating the scratch instance with initdb");
            let pwfile = self.dir.join("run").join("initdb.pw");
            owned_file(&pwfile, password.expose(), 0o600, run_as)?;
            let result = run(
                &pg_ctl::initdb(&self.paths, &pwfile, self.run_as.clone()),
                Duration::from_secs(120),
            )
            .await;
            let _ = std::fs::remove_file(&pwfile);
            result?;
        }
        // A port of its own each time; nothing on it outlives the verification.
        let port = free_port()?;
        // Few connections: a smaller shared memory to set up at each start.
        let settings = format!(
            "{}max_connections = 30\n",
            pg_ctl::throwaway_settings(port, &self.dir.join("run"))
        );
        write_tidemark_conf(&self.paths.pgdata, &settings, run_as)?;
        self.start().await?;
        let session = ScratchSession {
            instance: self,
            _turn: turn,
            port,
            password,
            verifier_password: Secret::new(generate_password()),
        };
        if let Err(e) = session.prepare().await {
            session.close().await;
            return Err(e);
        }
        Ok(session)
    }

    async fn start(&self) -> Result<(), ClusterError> {
        let cmd = pg_ctl::start(&self.paths, START_WAIT_SECONDS, self.run_as.clone());
        match run(
            &cmd,
            Duration::from_secs(u64::from(START_WAIT_SECONDS) + 10),
        )
        .await
        {
            Ok(_) => Ok(()),
            Err(e @ ToolError::Missing { .. }) => Err(ClusterError::Tool(e)),
            Err(e) => Err(ClusterError::StartFailed {
                cluster: "scratch".to_string(),
                reason: e.to_string().lines().next().unwrap_or_default().to_string(),
                log_file: self.paths.log_file.display().to_string(),
                log_tail: last_lines(&self.paths.log_file, 6),
            }),
        }
    }

    /// Stops the instance if it runs (after a crash, it may).
    async fn stop(&self) {
        let running = run(&pg_ctl::status(&self.paths, self.run_as.clone()), SHORT)
            .await
            .is_ok();
        if running {
            let stop = pg_ctl::stop(&self.paths, START_WAIT_SECONDS, self.run_as.clone());
            if let Err(e) = run(&stop, Duration::from_secs(70)).await {
                tracing::warn!(error = %e, "the scratch instance did not stop");
            }
        }
    }
}

const SHORT: Duration = Duration::from_secs(30);

impl ScratchSession<'_> {
    /// Where a scratch database is, logged in as the superuser (for set-up only).
    fn superuser(&self, database: &str) -> ConnTarget {
        ConnTarget::new(
            "127.0.0.1",
            self.port,
            "postgres",
            Some(self.password.clone()),
            database,
        )
    }

    /// A connection to a scratch database as the superuser, for set-up only.
    async fn admin(&self, database: &str) -> Result<sqlx::PgConnection, ClusterError> {
        self.superuser(database)
            .connect()
            .await
            .map_err(connect_error)
    }

    /// Where a scratch database is, logged in as the verifier: restores and checks run so.
    pub fn verifier(&self, database: &str) -> ConnTarget {
        ConnTarget::new(
            "127.0.0.1",
            self.port,
            VERIFIER,
            Some(self.verifier_password.clone()),
            database,
        )
    }

    /// The verifier role with a new password for this session, and nothing left from before.
    async fn prepare(&self) -> Result<(), ClusterError> {
        let mut conn = self.admin("postgres").await?;
        let leftovers: Vec<String> =
            sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE $1")
                .bind(format!("{SCRATCH_PREFIX}%"))
                .fetch_all(&mut conn)
                .await
                .map_err(sql_error)?;
        for name in leftovers {
            tracing::info!(database = %name, "dropping a scratch database left by an interrupted verification");
            exec(
                &mut conn,
                &format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(&name)
                ),
            )
            .await?;
        }
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(VERIFIER)
                .fetch_one(&mut conn)
                .await
                .map_err(sql_error)?;
        let verb = if exists { "ALTER" } else { "CREATE" };
        exec(
            &mut conn,
            &format!(
                "{verb} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD {}",
                quote_ident(VERIFIER),
                quote_literal(self.verifier_password.expose())
            ),
        )
        .await
    }

    /// A new, empty scratch database owned by the verifier.
    pub async fn create_database(&self, name: &str) -> Result<(), ClusterError> {
        let mut conn = self.admin("postgres").await?;
        exec(
            &mut conn,
            &format!(
                "CREATE DATABASE {} OWNER {} TEMPLATE template0",
                quote_ident(name),
                quote_ident(VERIFIER)
            ),
        )
        .await
    }

    /// amcheck in a schema of its own in `database`, usable by the verifier. Installed after the
    /// restore, so that nothing the archive holds can stand in for it.
    pub async fn install_amcheck(&self, database: &str) -> Result<(), ClusterError> {
        let mut conn = self.admin(database).await?;
        let schema = quote_ident(AMCHECK_SCHEMA);
        let verifier = quote_ident(VERIFIER);
        for sql in [
            format!("CREATE SCHEMA {schema}"),
            format!("CREATE EXTENSION amcheck SCHEMA {schema}"),
            format!("GRANT USAGE ON SCHEMA {schema} TO {verifier}"),
            format!("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {verifier}"),
        ] {
            exec(&mut conn, &sql).await?;
        }
        Ok(())
    }

    /// Drops a scratch database, whatever is connected to it.
    pub async fn drop_database(&self, name: &str) -> Result<(), ClusterError> {
        let mut conn = self.admin("postgres").await?;
        exec(
            &mut conn,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name)),
        )
        .await
    }

    /// The last lines of the instance's log, for a failure's message.
    pub fn log_tail(&self, lines: usize) -> String {
        last_lines(&self.instance.paths.log_file, lines)
    }

    /// Stops the instance and lets the next verification in.
    pub async fn close(self) {
        self.instance.stop().await;
    }
}

async fn exec(conn: &mut sqlx::PgConnection, sql: &str) -> Result<(), ClusterError> {
    sqlx::query(sql).execute(conn).await.map_err(sql_error)?;
    Ok(())
}

fn connect_error(e: anyhow::Error) -> ClusterError {
    ClusterError::Io {
        path: "the scratch instance".to_string(),
        source: std::io::Error::other(format!("{e:#}")),
    }
}

fn sql_error(source: sqlx::Error) -> ClusterError {
    ClusterError::Connect {
        cluster: "scratch".to_string(),
        source,
    }
}
