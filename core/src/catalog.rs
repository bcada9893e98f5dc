//! The catalog: every provider Tidemark serves, and the lookups the pages and the API share.

use std::sync::Arc;

use crate::pgtools::pg_dump::ConnTarget;
use crate::provider::{
    ArchiveStream, Backup, Database, Firewall, FirewallRule, NewFirewallRule, PitrWindow, Provider,
    ProviderError, ProviderKind, ProviderSchedule, SafetyCopy,
};

/// One database with its window and backups.
#[derive(Debug, Clone)]
pub struct DatabaseOverview {
    pub database: Database,
    pub window: PitrWindow,
    pub backups: Vec<Backup>,
}

/// All providers, asked in order.
#[derive(Clone, Default)]
pub struct Catalog {
    providers: Vec<Arc<dyn Provider>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.providers.iter().map(|p| p.kind()))
            .finish()
    }
}

impl Catalog {
    pub fn new(providers: Vec<Arc<dyn Provider>>) -> Self {
        Self { providers }
    }

    /// Every database of every provider that answers; one that cannot list its databases is
    /// logged and left out, so the others still show. Only when none answers is it an error.
    pub async fn databases(&self) -> Result<Vec<Database>, ProviderError> {
        let mut all = Vec::new();
        let mut failure = None;
        let mut answered = false;
        for p in &self.providers {
            match p.databases().await {
                Ok(list) => {
                    answered = true;
                    all.extend(list);
                }
                Err(e) => {
                    tracing::warn!(provider = ?p.kind(), error = %e, "a provider cannot list its databases");
                    failure = Some(e);
                }
            }
        }
        match failure {
            Some(e) if !answered => Err(e),
            _ => Ok(all),
        }
    }

    /// Every database of the providers that answer, and for each that does not, a sentence
    /// saying which and why, for the pages to show.
    pub async fn listing(&self) -> (Vec<Database>, Vec<String>) {
        let mut all = Vec::new();
        let mut problems = Vec::new();
        for p in &self.providers {
            match p.databases().await {
                Ok(list) => all.extend(list),
                Err(e) => problems.push(match p.kind() {
                    ProviderKind::Scalingo => {
                        format!("Scalingo's databases cannot be listed now: {e}")
                    }
                    ProviderKind::Local => format!("Some databases cannot be listed now: {e}"),
                }),
            }
        }
        (all, problems)
    }

    /// The databases of one kind of provider, for work that concerns only them.
    pub async fn databases_of(&self, kind: ProviderKind) -> Result<Vec<Database>, ProviderError> {
        let mut all = Vec::new();
        for p in self.providers.iter().filter(|p| p.kind() == kind) {
            all.extend(p.databases().await?);
        }
        Ok(all)
    }

    /// One database and the provider that serves it. When it is not found and a provider could
    /// not answer, that provider's error is returned rather than "not found".
    async fn find(&self, id: &str) -> Result<(Database, &Arc<dyn Provider>), ProviderError> {
        let mut failure = None;
        for p in &self.providers {
            match p.databases().await {
                Ok(list) => {
                    if let Some(db) = list.into_iter().find(|d| d.id == id) {
                        return Ok((db, p));
                    }
                }
                Err(e) => failure = Some(e),
            }
        }
        Err(failure.unwrap_or_else(|| ProviderError::NotFound(id.to_string())))
    }

    pub async fn database(&self, id: &str) -> Result<Database, ProviderError> {
        Ok(self.find(id).await?.0)
    }

    pub async fn backups(&self, id: &str) -> Result<Vec<Backup>, ProviderError> {
        let (db, p) = self.find(id).await?;
        p.backups(&db.id).await
    }

    /// What the Backups tab shows: the database, its window and its backups, from one lookup.
    pub async fn overview(&self, id: &str) -> Result<DatabaseOverview, ProviderError> {
        let (database, p) = self.find(id).await?;
        let window = Self::window_of(&database, p).await?;
        let backups = p.backups(&database.id).await?;
        Ok(DatabaseOverview {
            database,
            window,
            backups,
        })
    }

    pub async fn connection(&self, id: &str) -> Result<ConnTarget, ProviderError> {
        let (db, p) = self.find(id).await?;
        p.connection(&db.id).await
    }

    /// A database and the provider serving it, for work that outlives the request.
    pub async fn resolve(&self, id: &str) -> Result<(Database, Arc<dyn Provider>), ProviderError> {
        let (db, p) = self.find(id).await?;
        Ok((db, p.clone()))
    }

    pub async fn safety_copies(&self, id: &str) -> Result<Vec<SafetyCopy>, ProviderError> {
        let (db, p) = self.find(id).await?;
        p.safety_copies(&db.id).await
    }

    pub async fn discard_safety_copy(&self, id: &str, copy: &str) -> Result<bool, ProviderError> {
        let (db, p) = self.find(id).await?;
        p.discard_safety_copy(&db.id, copy).await
    }

    pub async fn pitr_window(&self, id: &str) -> Result<PitrWindow, ProviderError> {
        let (db, p) = self.find(id).await?;
        Self::window_of(&db, p).await
    }

    /// The window of a database already looked up; where there is none, the provider says why.
    async fn window_of(db: &Database, p: &Arc<dyn Provider>) -> Result<PitrWindow, ProviderError> {
        p.pitr_window(&db.id).await
    }

    pub async fn own_schedule(&self, id: &str) -> Result<Option<ProviderSchedule>, ProviderError> {
        let (db, p) = self.find(id).await?;
        p.own_schedule(&db.id).await
    }

    pub async fn set_own_schedule(
        &self,
        id: &str,
        enabled: bool,
        hour: Option<u8>,
    ) -> Result<ProviderSchedule, ProviderError> {
        let (db, p) = self.find(id).await?;
        p.set_own_schedule(&db.id, enabled, hour).await
    }

    pub async fn open_archive(
        &self,
        id: &str,
        backup: &str,
        range: Option<&str>,
    ) -> Result<Option<ArchiveStream>, ProviderError> {
        let (db, p) = self.find(id).await?;
        p.open_archive(&db.id, backup, range).await
    }

    pub async fn firewall(&self, id: &str) -> Result<Firewall, ProviderError> {
        let (db, p) = self.find(id).await?;
        p.firewall(&db.id).await
    }

    pub async fn add_firewall_rule(
        &self,
        id: &str,
        rule: NewFirewallRule,
    ) -> Result<FirewallRule, ProviderError> {
        let (db, p) = self.find(id).await?;
        p.add_firewall_rule(&db.id, rule).await
    }

    pub async fn remove_firewall_rule(&self, id: &str, rule: &str) -> Result<(), ProviderError> {
        let (db, p) = self.find(id).await?;
        p.remove_firewall_rule(&db.id, rule).await
    }
}
