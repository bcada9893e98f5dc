//! External servers: PostgreSQL reached by a connection URL and not managed by Tidemark, so they
//! get logical backups, dumps and restores, and no point-in-time recovery.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{
    Backup, Database, DatabaseStatus, Features, Hosting, PitrWindow, Provider, ProviderError,
    ProviderKind,
};
use crate::config::ExternalConfig;
use crate::pgtools::pg_dump::ConnTarget;
use crate::store::Store;

/// How long a reachability check is trusted.
const STATUS_TTL: Duration = Duration::from_secs(30);

/// What a server offers: everything but PITR and firewall rules.
fn features() -> Features {
    Features {
        pitr: false,
        ..Features::managed()
    }
}

/// Why there is no point-in-time recovery, in the words the pages show.
pub const NO_PITR: &str = "This server is not managed by Tidemark, so its WAL is not archived and it cannot be restored to a point in time. Logical backups, dumps and restores work.";

#[derive(Debug)]
pub struct ExternalServer {
    pub id: String,
    pub name: String,
    pub target: ConnTarget,
    /// The last check: when, whether it answered, and its version.
    seen: Mutex<Option<(Instant, DatabaseStatus, String)>>,
}

impl ExternalServer {
    /// Reads a configured server; the error names it but never repeats its URL.
    pub fn from_config(c: &ExternalConfig) -> Result<Self, String> {
        let url = c
            .url
            .as_ref()
            .ok_or_else(|| format!("external server '{}' has no URL", c.id))?;
        let target = ConnTarget::from_url(url.expose())
            .map_err(|e| format!("external server '{}': {e}", c.id))?;
        Ok(Self {
            id: c.id.clone(),
            name: c.name.clone().unwrap_or_else(|| c.id.clone()),
            target,
            seen: Mutex::new(None),
        })
    }

    /// Whether it answers, and its version; checked at most every 30 s.
    async fn check(&self) -> (DatabaseStatus, String) {
        if let Some((at, status, engine)) = self.lock().clone()
            && at.elapsed() < STATUS_TTL
        {
            return (status, engine);
        }
        let result = async {
            let mut conn = self.target.connect().await?;
            let v: String = sqlx::query_scalar("SHOW server_version")
                .fetch_one(&mut conn)
                .await?;
            anyhow::Ok(v)
        }
        .await;
        let seen = match result {
            Ok(v) => (
                DatabaseStatus::Running,
                format!("PostgreSQL {}", v.split_whitespace().next().unwrap_or(&v)),
            ),
            Err(e) => {
                tracing::warn!(server = %self.id, error = %format!("{e:#}"), "an external server does not answer");
                let engine = self
                    .lock()
                    .as_ref()
                    .map(|s| s.2.clone())
                    .unwrap_or_else(|| "PostgreSQL".into());
                (DatabaseStatus::Unreachable, engine)
            }
        };
        *self.lock() = Some((Instant::now(), seen.0, seen.1.clone()));
        seen
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, DatabaseStatus, String)>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Debug)]
pub struct ExternalProvider {
    servers: Vec<ExternalServer>,
    store: Store,
}

impl ExternalProvider {
    pub fn new(servers: Vec<ExternalServer>, store: Store) -> Self {
        Self { servers, store }
    }

    fn server(&self, id: &str) -> Result<&ExternalServer, ProviderError> {
        self.servers
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| ProviderError::NotFound(id.to_string()))
    }
}

#[async_trait]
impl Provider for ExternalProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Local
    }

    async fn databases(&self) -> Result<Vec<Database>, ProviderError> {
        let mut out = Vec::with_capacity(self.servers.len());
        for s in &self.servers {
            let (status, engine) = s.check().await;
            out.push(Database {
                id: s.id.clone(),
                name: s.name.clone(),
                provider: ProviderKind::Local,
                hosting: Hosting::External,
                engine,
                main_database: s.target.dbname.clone(),
                features: features(),
                status,
                plan: None,
            });
        }
        Ok(out)
    }

    async fn backups(&self, database: &str) -> Result<Vec<Backup>, ProviderError> {
        self.server(database)?;
        let logical = self
            .store
            .logical_backups(database)
            .await
            .map_err(|e| ProviderError::Internal(e.to_string()))?;
        Ok(logical.into_iter().map(|l| l.backup).collect())
    }

    async fn pitr_window(&self, database: &str) -> Result<PitrWindow, ProviderError> {
        self.server(database)?;
        Ok(PitrWindow::unavailable(NO_PITR))
    }

    async fn connection(&self, database: &str) -> Result<ConnTarget, ProviderError> {
        Ok(self.server(database)?.target.clone())
    }
}
