//! Scalingo's databases as a Tidemark provider: discovery of Shared Resources addons and
//! Dedicated Resources databases in the chosen regions, and each Backups-tab block through the
//! client. Manual backups and PITR restores run as jobs that follow Scalingo's own progress.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt};
use tokio::time::Instant;

use super::client::{AddonRef, NewRule, ScalingoClient};
use super::error::ScalingoError;
use crate::jobs::JobContext;
use crate::pgtools::pg_dump::ConnTarget;
use crate::provider::cidr::check_rule;
use crate::provider::{
    ArchiveStream, Backup, BackupStatus, Database, Firewall, FirewallRule, ManagedRange,
    NewFirewallRule, PitrWindow, Provider, ProviderError, ProviderKind, ProviderSchedule,
};
use tidemark_types::units::size as human_size;

use super::conversions::*;
use super::poll::{Look, follow_task};

/// How long the list of databases is reused.
pub(super) const DISCOVERY_TTL: Duration = Duration::from_secs(60);
/// The most firewall rules a database can have.
pub const MAX_FIREWALL_RULES: usize = 30;
/// The variable holding the connection URL.
const URL_VARIABLE: &str = "SCALINGO_POSTGRESQL_URL";

/// Which databases to show.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Region names; all of them when empty.
    pub regions: Vec<String>,
    /// App or database names; all when empty.
    pub only: Vec<String>,
}

/// A database found, and how to reach it.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub(super) database: Database,
    pub(super) addon: AddonRef,
}

#[derive(Debug)]
pub struct ScalingoProvider {
    pub(super) client: Arc<ScalingoClient>,
    pub(super) selection: Selection,
    /// How often jobs ask Scalingo how a backup or an operation is going.
    pub(super) poll_every: Duration,
    pub(super) found: tokio::sync::Mutex<Option<(Instant, Vec<Found>)>>,
    /// The authorities the databases' certificates are checked against; the system's when `None`.
    db_root_cert: Option<std::path::PathBuf>,
}

impl ScalingoProvider {
    pub fn new(client: Arc<ScalingoClient>, selection: Selection) -> Self {
        Self {
            client,
            selection,
            poll_every: Duration::from_secs(1),
            found: tokio::sync::Mutex::new(None),
            db_root_cert: None,
        }
    }

    /// Checks the databases' certificates against these authorities rather than the system's.
    pub fn db_root_cert(mut self, path: Option<std::path::PathBuf>) -> Self {
        self.db_root_cert = path;
        self
    }

    /// Asks about jobs' progress this often (tests go faster).
    pub fn poll_every(mut self, every: Duration) -> Self {
        self.poll_every = every;
        self
    }

    pub fn client(&self) -> &ScalingoClient {
        &self.client
    }
}

#[async_trait]
impl Provider for ScalingoProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Scalingo
    }

    async fn databases(&self) -> Result<Vec<Database>, ProviderError> {
        Ok(self
            .discover()
            .await?
            .into_iter()
            .map(|f| f.database)
            .collect())
    }

    async fn backups(&self, database: &str) -> Result<Vec<Backup>, ProviderError> {
        let f = self.find(database).await?;
        if !f.database.features.manual_backups {
            // Dedicated Resources databases have continuous backups only.
            return Ok(Vec::new());
        }
        Ok(self
            .client
            .backups(&f.addon)
            .await?
            .iter()
            .map(backup)
            .collect())
    }

    async fn pitr_window(&self, database: &str) -> Result<PitrWindow, ProviderError> {
        let f = self.find(database).await?;
        let w = match self.client.recovery_window(&f.addon).await {
            Ok(w) => (w.earliest_recoverable_at, w.latest_recoverable_at),
            // An API without the endpoint: the window from the first base backup and the plan.
            Err(ScalingoError::NotFound { .. }) => {
                let d = self.client.database(&f.addon).await?;
                let days = self
                    .client
                    .plan(&f.addon)
                    .await?
                    .pitr_backup_days
                    .unwrap_or(7);
                let now = Utc::now();
                let earliest = d
                    .first_pitr_backup
                    .map(|first| first.max(now - chrono::Duration::days(days.into())));
                (earliest, earliest.map(|_| now))
            }
            Err(e) => return Err(e.into()),
        };
        Ok(match w {
            (Some(e), Some(l)) if e <= l => PitrWindow::available(e, l),
            _ => PitrWindow::unavailable(
                "Scalingo has no base backup of this database yet: the first one can take up to a day after the database is created.",
            ),
        })
    }

    async fn connection(&self, database: &str) -> Result<ConnTarget, ProviderError> {
        let f = self.find(database).await?;
        let url = self.client.variable(&f.addon, URL_VARIABLE).await?.ok_or_else(|| {
            ProviderError::Missing(format!(
                "The app {} has no {URL_VARIABLE} variable, so Tidemark cannot connect to its database.",
                f.addon.app
            ))
        })?;
        // Scalingo's URLs ask for `require`; Tidemark also checks the certificate and the name,
        // since these connections cross the internet.
        let root = self.db_root_cert.clone();
        ConnTarget::from_url(url.expose())
            .map(|mut t| {
                if root.is_some() {
                    t.ssl_root_cert = root;
                }
                t.at_least(crate::pgtools::conn::SslMode::VerifyFull)
            })
            .map_err(|e| ProviderError::Upstream(format!("{URL_VARIABLE} of {}: {e}", f.addon.app)))
    }

    async fn pitr_restore(
        &self,
        database: &str,
        target: DateTime<Utc>,
        ctx: &JobContext,
    ) -> anyhow::Result<String> {
        let f = self.find(database).await?;
        let progress = &ctx.progress;
        progress
            .phase("asking Scalingo to restore", "", None)
            .await?;
        let op_id = self
            .client
            .pitr_restore(&f.addon, target)
            .await
            .map_err(ProviderError::from)?;
        progress
            .log(&format!(
                "Scalingo accepted the restore as operation {op_id}."
            ))
            .await?;
        let stopped =
            format!("Stopped following the restore; Scalingo goes on with it (operation {op_id}).");
        let name = f.database.name.clone();
        let result = follow_task(ctx, self.poll_every, "the operation's", stopped, || async {
                let op = self.client.operation(&f.addon, &op_id).await?;
                let end = op.is_final().then(|| match op.status.as_str() {
                    "finished" => Ok(format!(
                        "Scalingo restored {name} to {}. Data written after that moment is gone, and the point-in-time window starts again from now.",
                        target.format("%Y-%m-%d %H:%M:%S UTC")
                    )),
                    "cancelled" => Err(anyhow::anyhow!(
                        "Scalingo cancelled the restore; the database was not changed."
                    )),
                    _ => Err(anyhow::anyhow!(
                        "Scalingo could not restore the database: {}",
                        op.error.as_deref().unwrap_or("no reason given")
                    )),
                });
                Ok(Look {
                    phase: match op.status.as_str() {
                        "pending" => Some("waiting for Scalingo to start the restore"),
                        "running" => Some("Scalingo is restoring the database"),
                        "cancelling" => Some("Scalingo is cancelling the restore"),
                        _ => None,
                    },
                    line: format!("Operation {op_id}: {}", op.status),
                    status: op.status,
                    end,
                })
            })
            .await;
        // The database changed under the cached list.
        self.found.lock().await.take();
        result
    }

    async fn own_schedule(
        &self,
        database: &str,
    ) -> Result<Option<ProviderSchedule>, ProviderError> {
        let f = self.find(database).await?;
        if !f.database.features.scheduled_backups {
            return Ok(None);
        }
        let d = self.client.database(&f.addon).await?;
        Ok(Some(ProviderSchedule {
            enabled: d.periodic_backups_enabled,
            hours: d.periodic_backups_scheduled_at,
        }))
    }

    async fn set_own_schedule(
        &self,
        database: &str,
        enabled: bool,
        hour: Option<u8>,
    ) -> Result<ProviderSchedule, ProviderError> {
        let f = self.find(database).await?;
        let d = self.client.database(&f.addon).await?;
        let current = &d.periodic_backups_scheduled_at;
        // Several backups a day are set by Scalingo's support: turning the schedule on or off
        // keeps them, and sending one hour would replace them all, so no hour is sent.
        let hour = match hour {
            Some(h) if current.len() > 1 && current.first() != Some(&h) && enabled => {
                return Err(ProviderError::NotSupported(format!(
                    "{} is backed up several times a day ({}); only Scalingo's support can change that schedule.",
                    f.database.name,
                    current
                        .iter()
                        .map(|h| format!("{h:02}:00"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            _ if current.len() > 1 => None,
            Some(_) if !enabled => {
                return Err(ProviderError::Invalid {
                    field: Some("hour".into()),
                    message: "Scalingo keeps the hour of a schedule that is off: turn it on to set the hour.".into(),
                });
            }
            other => other,
        };
        let d = self.client.update_schedule(&f.addon, enabled, hour).await?;
        Ok(ProviderSchedule {
            enabled: d.periodic_backups_enabled,
            hours: d.periodic_backups_scheduled_at,
        })
    }

    async fn provider_backup(&self, database: &str, ctx: &JobContext) -> anyhow::Result<String> {
        let f = self.find(database).await?;
        let progress = &ctx.progress;
        progress
            .phase("asking Scalingo for a backup", "", None)
            .await?;
        let created = self
            .client
            .create_backup(&f.addon)
            .await
            .map_err(ProviderError::from)?;
        progress
            .log(&format!(
                "Scalingo scheduled backup {} ({}).",
                created.id, created.name
            ))
            .await?;
        let stopped = format!(
            "Stopped following the backup; Scalingo goes on with it (backup {}).",
            created.id
        );
        follow_task(ctx, self.poll_every, "the backup's", stopped, || async {
            let b = self.client.backup(&f.addon, &created.id).await?;
            let state = backup_status(&b.status);
            let end = match state {
                BackupStatus::Done => Some(Ok(format!(
                    "Scalingo took backup {}{}.",
                    b.name,
                    b.size
                        .filter(|s| *s > 0)
                        .map(|s| format!(" ({})", human_size(s)))
                        .unwrap_or_default()
                ))),
                BackupStatus::Error => Some(Err(anyhow::anyhow!(
                    "Scalingo's backup {} failed ({}).",
                    b.id,
                    b.status
                ))),
                _ => None,
            };
            Ok(Look {
                phase: match state {
                    BackupStatus::Scheduled => Some("waiting for Scalingo to start the backup"),
                    BackupStatus::Running => Some("Scalingo is backing up the database"),
                    _ => None,
                },
                line: format!("Backup {}: {}", b.id, b.status),
                status: b.status,
                end,
            })
        })
        .await
    }

    async fn open_archive(
        &self,
        database: &str,
        backup_id: &str,
        range: Option<&str>,
    ) -> Result<Option<ArchiveStream>, ProviderError> {
        let f = self.find(database).await?;
        let b = if backup_id == "latest" {
            self.client
                .backups(&f.addon)
                .await?
                .into_iter()
                .find(|b| b.status == "done")
                .ok_or_else(|| {
                    ProviderError::Missing(format!(
                        "{} has no successful backup to download yet.",
                        f.database.name
                    ))
                })?
        } else {
            match self.client.backup(&f.addon, backup_id).await {
                Ok(b) => b,
                Err(ScalingoError::NotFound { .. }) => {
                    return Err(ProviderError::Missing(format!(
                        "{} has no backup with the id '{backup_id}'.",
                        f.database.name
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        };
        if b.status != "done" {
            return Err(ProviderError::Conflict(format!(
                "Backup {} is {}: only finished backups can be downloaded.",
                b.id, b.status
            )));
        }
        let url = self.client.archive_url(&f.addon, &b.id).await?;
        let response = self.client.open_archive(&url, range).await?;
        let partial = response.status() == reqwest::StatusCode::PARTIAL_CONTENT;
        let content_range = response
            .headers()
            .get(reqwest::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let name = if b.name.is_empty() {
            b.id.clone()
        } else {
            b.name.clone()
        };
        Ok(Some(ArchiveStream {
            file_name: format!("{name}.tar.gz"),
            partial,
            content_length: response.content_length(),
            content_range,
            body: response
                .bytes_stream()
                .map_err(std::io::Error::other)
                .boxed(),
        }))
    }

    async fn firewall(&self, database: &str) -> Result<Firewall, ProviderError> {
        let f = self.find(database).await?;
        Self::dedicated_only(&f)?;
        let ranges = self.client.managed_ranges(&f.addon).await?;
        let rules = self.client.firewall_rules(&f.addon).await?;
        Ok(Firewall {
            rules: rules.into_iter().map(|r| shown_rule(r, &ranges)).collect(),
            managed_ranges: ranges
                .into_iter()
                .map(|m| ManagedRange {
                    id: m.id,
                    name: m.name,
                })
                .collect(),
            max_rules: MAX_FIREWALL_RULES,
        })
    }

    async fn add_firewall_rule(
        &self,
        database: &str,
        rule: NewFirewallRule,
    ) -> Result<FirewallRule, ProviderError> {
        let f = self.find(database).await?;
        Self::dedicated_only(&f)?;
        let rule = check_rule(rule)?;
        let current = self.firewall(database).await?;
        if current.rules.len() >= MAX_FIREWALL_RULES {
            return Err(ProviderError::Conflict(format!(
                "{} already has {MAX_FIREWALL_RULES} firewall rules, the most Scalingo allows; remove one first.",
                f.database.name
            )));
        }
        if let NewFirewallRule::Managed { range_id } = &rule
            && !current.managed_ranges.iter().any(|m| &m.id == range_id)
        {
            return Err(ProviderError::Invalid {
                field: Some("range_id".into()),
                message: format!("'{range_id}' is not one of the ranges Scalingo manages."),
            });
        }
        let new = match rule {
            NewFirewallRule::Custom { cidr, label } => NewRule::Custom { cidr, label },
            NewFirewallRule::Managed { range_id } => NewRule::Managed { range_id },
        };
        let r = self.client.add_firewall_rule(&f.addon, &new).await?;
        tracing::info!(database = %f.database.id, rule = %r.id, "firewall rule added");
        Ok(shown_rule(r, &current.managed_ranges))
    }

    async fn remove_firewall_rule(&self, database: &str, id: &str) -> Result<(), ProviderError> {
        let f = self.find(database).await?;
        Self::dedicated_only(&f)?;
        match self.client.remove_firewall_rule(&f.addon, id).await {
            Err(ScalingoError::NotFound { .. }) => Err(ProviderError::Missing(format!(
                "{} has no firewall rule with the id '{id}'.",
                f.database.name
            ))),
            other => Ok(other?),
        }
    }
}
