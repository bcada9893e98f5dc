//! The configuration itself: every setting with its safe default, and the paths it implies.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::retention::RetentionPolicy;
use super::servers::{ClusterConfig, ExternalConfig, ScalingoConfig};

/// Everything the server needs to start. Every field has a safe default.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address the dashboard listens on (`TIDEMARK_LISTEN`, default 127.0.0.1:3000).
    pub listen: SocketAddr,
    /// Where Tidemark keeps its state and its managed clusters (`TIDEMARK_DATA_DIR`, default ./data).
    pub data_dir: PathBuf,
    /// Directory with initdb, pg_ctl, pg_dump... (`TIDEMARK_PG_BIN_DIR`).
    pub pg_bin_dir: PathBuf,
    /// The pgBackRest program (`TIDEMARK_PGBACKREST`, default `pgbackrest` on the PATH).
    pub pgbackrest: PathBuf,
    /// System user that owns managed clusters when Tidemark runs as root (`TIDEMARK_RUN_AS`).
    pub run_as_user: String,
    /// Whether to create and run the embedded demo cluster (`TIDEMARK_EMBEDDED`, default true).
    pub embedded: bool,
    /// Port of the embedded cluster on 127.0.0.1 (`TIDEMARK_EMBEDDED_PORT`); chosen on first start when unset.
    pub embedded_port: Option<u16>,
    /// Directory holding the compiled site: wasm, JS, CSS (`TIDEMARK_SITE_ROOT`, default target/site).
    pub site_root: PathBuf,
    /// Largest dump that can be uploaded, in bytes (`TIDEMARK_MAX_UPLOAD_BYTES`, default 10 GiB).
    pub max_upload_bytes: u64,
    /// Whether a daily backup missed while the server was down runs when it starts again
    /// (`TIDEMARK_CATCH_UP_MISSED_BACKUPS`, default true).
    pub catch_up_missed_backups: bool,
    /// Take a full physical backup when the newest is this many days old; 0 turns it off
    /// (`TIDEMARK_FULL_BACKUP_EVERY_DAYS`, default 7).
    pub full_backup_every_days: u32,
    /// Which logical backups are kept (`TIDEMARK_RETENTION` = starter or business, default
    /// starter; the file's `[retention]` table can override each number).
    pub retention: RetentionPolicy,
    /// Tidemark is reached over HTTPS (through a proxy): session cookies are marked Secure
    /// (`TIDEMARK_HTTPS`, default false).
    pub https: bool,
    /// Off unless set: the header in which an authenticating reverse proxy names the user
    /// (`TIDEMARK_PROXY_USER_HEADER`, e.g. `X-Forwarded-User`), trusted only from
    /// `trusted_proxies`.
    pub proxy_user_header: Option<String>,
    /// The proxies' addresses (`TIDEMARK_TRUSTED_PROXIES`, comma-separated IPs).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// More clusters for Tidemark to create and manage, besides the embedded one (`[[clusters]]`).
    pub clusters: Vec<ClusterConfig>,
    /// PostgreSQL servers Tidemark reaches by URL but does not manage (`[[external]]`).
    pub external: Vec<ExternalConfig>,
    /// Scalingo's databases, shown when `SCALINGO_API_TOKEN` is set.
    pub scalingo: Option<ScalingoConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("data"),
            pg_bin_dir: PathBuf::from("/usr/lib/postgresql/15/bin"),
            pgbackrest: PathBuf::from("pgbackrest"),
            run_as_user: "postgres".to_string(),
            embedded: true,
            embedded_port: None,
            site_root: PathBuf::from("target/site"),
            max_upload_bytes: 10 << 30,
            catch_up_missed_backups: true,
            full_backup_every_days: 7,
            retention: RetentionPolicy::starter(),
            https: false,
            proxy_user_header: None,
            trusted_proxies: Vec::new(),
            clusters: Vec::new(),
            external: Vec::new(),
            scalingo: None,
        }
    }
}

impl Config {
    /// Path of a PostgreSQL program in the configured binary directory.
    pub fn pg_bin(&self, program: &str) -> PathBuf {
        self.pg_bin_dir.join(program)
    }

    /// The SQLite file that holds Tidemark's own state.
    pub fn state_db_path(&self) -> PathBuf {
        self.data_dir.join("tidemark.db")
    }

    /// The directory of one managed cluster.
    pub fn cluster_dir(&self, name: &str) -> PathBuf {
        self.data_dir.join("clusters").join(name)
    }

    /// Where finished dumps are kept.
    pub fn artifacts_dir(&self) -> PathBuf {
        self.data_dir.join("artifacts")
    }

    /// Where Tidemark keeps secrets it generated (cluster passwords), readable by its own user only.
    pub fn secrets_dir(&self) -> PathBuf {
        self.data_dir.join("secrets")
    }

    /// Absolute data directory, so paths written into PostgreSQL and pgBackRest settings stay valid.
    pub fn absolute_data_dir(&self) -> std::io::Result<PathBuf> {
        absolute(&self.data_dir)
    }
}

fn absolute(p: &Path) -> std::io::Result<PathBuf> {
    if p.is_absolute() {
        Ok(p.to_path_buf())
    } else {
        Ok(std::env::current_dir()?.join(p))
    }
}
