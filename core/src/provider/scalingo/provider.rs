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
use super::model::{ApiBackup, ApiDatabase, Region};
use crate::jobs::JobContext;
use crate::jobs::dump::human_size;
use crate::pgtools::pg_dump::ConnTarget;
use crate::provider::cidr::check_rule;
use crate::provider::{
    ArchiveStream, Backup, BackupMethod, BackupStatus, Database, DatabaseStatus, Features,
    Firewall, FirewallRule, FirewallRuleKind, Hosting, ManagedRange, NewFirewallRule, PitrWindow,
    Provider, ProviderError, ProviderKind, ProviderSchedule,
};

/// How long the list of databases is reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(60);
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
struct Found {
    database: Database,
    addon: AddonRef,
}

pub struct ScalingoProvider {
    client: Arc<ScalingoClient>,
    selection: Selection,
    /// How often jobs ask Scalingo how a backup or an operation is going.
    poll_every: Duration,
    found: tokio::sync::Mutex<Option<(Instant, Vec<Found>)>>,
    /// The authorities the databases' certificates are checked against; the system's when `None`.
    db_root_cert: Option<std::path::PathBuf>,
}

impl From<ScalingoError> for ProviderError {
    fn from(e: ScalingoError) -> Self {
        match e {
            ScalingoError::NotFound { .. } => ProviderError::Missing(e.to_string()),
            ScalingoError::Invalid(fields) => ProviderError::Invalid {
                field: fields.first().map(|f| f.field.clone()),
                message: ScalingoError::Invalid(fields).to_string(),
            },
            ScalingoError::Rejected {
                status: 400 | 422, ..
            } => ProviderError::Invalid {
                field: None,
                message: e.to_string(),
            },
            ScalingoError::Rejected { status: 409, .. } => ProviderError::Conflict(e.to_string()),
            ScalingoError::Rejected {
                status: 416,
                message,
            } => ProviderError::Invalid {
                field: None,
                message,
            },
            ScalingoError::Rejected { .. } => ProviderError::Conflict(e.to_string()),
            ScalingoError::RateLimited | ScalingoError::Unavailable(_) => {
                ProviderError::Unavailable(e.to_string())
            }
            ScalingoError::Unauthorized
            | ScalingoError::Forbidden(_)
            | ScalingoError::Unexpected(_) => ProviderError::Upstream(e.to_string()),
        }
    }
}

/// Tidemark's id for a database: its app's name and its region, in URL-safe form.
fn tidemark_id(app: &str, region: &str, n: usize) -> String {
    let clean: String = app
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    match n {
        0 => format!("{clean}-{region}"),
        n => format!("{clean}-{region}-{}", n + 1),
    }
}

fn engine(d: &ApiDatabase) -> String {
    match d
        .readable_version
        .split('-')
        .next()
        .filter(|v| !v.is_empty())
    {
        Some(v) => format!("PostgreSQL {v}"),
        None => "PostgreSQL".into(),
    }
}

fn status(d: &ApiDatabase) -> DatabaseStatus {
    match d.status.as_str() {
        "stopped" => DatabaseStatus::Stopped,
        _ => DatabaseStatus::Running,
    }
}

fn backup_status(s: &str) -> BackupStatus {
    match s {
        "scheduled" | "pending" => BackupStatus::Scheduled,
        "running" | "cancelling" => BackupStatus::Running,
        "done" => BackupStatus::Done,
        _ => BackupStatus::Error,
    }
}

/// A rule as Tidemark shows it, with its managed range's name when the range is known.
fn shown_rule(r: super::model::ApiFirewallRule, ranges: &[impl RangeLike]) -> FirewallRule {
    FirewallRule {
        range_name: r
            .range_id
            .as_ref()
            .and_then(|id| ranges.iter().find(|m| m.id() == id))
            .map(|m| m.name().to_string()),
        kind: if r.kind == "managed_range" {
            FirewallRuleKind::Managed
        } else {
            FirewallRuleKind::Custom
        },
        id: r.id,
        cidr: r.cidr,
        label: r.label,
        range_id: r.range_id,
    }
}

/// A managed range, as the client reads it or as Tidemark shows it.
trait RangeLike {
    fn id(&self) -> &str;
    fn name(&self) -> &str;
}

impl RangeLike for super::model::ManagedRange {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl RangeLike for ManagedRange {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

fn backup(b: &ApiBackup) -> Backup {
    Backup {
        id: b.id.clone(),
        created_at: b.created_at,
        finished_at: None,
        size_bytes: b.size.filter(|s| *s > 0),
        status: backup_status(&b.status),
        method: if b.method == "manual" {
            BackupMethod::Manual
        } else {
            BackupMethod::Periodic
        },
    }
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

    fn wanted(&self, name: &str) -> bool {
        self.selection.only.is_empty() || self.selection.only.iter().any(|o| o == name)
    }

    /// Every database in the chosen regions, asked again after a minute.
    async fn discover(&self) -> Result<Vec<Found>, ProviderError> {
        let mut held = self.found.lock().await;
        if let Some((at, found)) = held.as_ref()
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(found.clone());
        }
        let regions: Vec<Region> = self
            .client
            .regions()
            .await?
            .into_iter()
            .filter(|r| {
                self.selection.regions.is_empty() || self.selection.regions.contains(&r.name)
            })
            .collect();
        let mut found = Vec::new();
        let mut failure = None;
        for region in &regions {
            match self.discover_region(region).await {
                Ok(mut f) => found.append(&mut f),
                Err(e) => {
                    tracing::warn!(region = %region.name, error = %e, "cannot list a Scalingo region's databases");
                    failure = Some(e);
                }
            }
        }
        match failure {
            // Nothing listed: say why rather than "no such database".
            Some(e) if found.is_empty() => return Err(e),
            // A partial list is served but not kept, so the next look asks again.
            Some(_) => return Ok(found),
            None => {}
        }
        *held = Some((Instant::now(), found.clone()));
        Ok(found)
    }

    async fn discover_region(&self, region: &Region) -> Result<Vec<Found>, ProviderError> {
        let mut found = Vec::new();
        let apps = self.client.apps(region).await?;
        for app in apps
            .iter()
            .filter(|a| !a.is_dedicated_database() && self.wanted(&a.name))
        {
            let addons = match self.client.addons(region, &app.name).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(app = %app.name, error = %e, "cannot list an app's addons");
                    continue;
                }
            };
            for (n, addon) in addons.iter().filter(|a| a.is_postgresql()).enumerate() {
                let r = AddonRef {
                    region: region.name.clone(),
                    api: region.api.clone(),
                    database_api: region.database_api.clone(),
                    app: app.name.clone(),
                    addon_id: addon.id.clone(),
                };
                if let Some(f) = self
                    .describe(r, &app.name, n, false, &addon.resource_id)
                    .await
                {
                    found.push(f);
                }
            }
        }
        for db in self.client.dedicated_databases(region).await? {
            if !self.wanted(&db.name) {
                continue;
            }
            let addons = match self.client.addons(region, &db.name).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(database = %db.name, error = %e, "cannot list a Dedicated Resources database's addon");
                    continue;
                }
            };
            let [addon] = addons.as_slice() else {
                tracing::warn!(database = %db.name, addons = addons.len(), "a Dedicated Resources database should hold exactly one addon");
                continue;
            };
            let r = AddonRef {
                region: region.name.clone(),
                api: region.api.clone(),
                database_api: region.database_api.clone(),
                app: db.name.clone(),
                addon_id: addon.id.clone(),
            };
            if let Some(f) = self
                .describe(r, &db.name, 0, true, &addon.resource_id)
                .await
            {
                found.push(f);
            }
        }
        Ok(found)
    }

    async fn describe(
        &self,
        addon: AddonRef,
        name: &str,
        n: usize,
        dedicated: bool,
        resource_id: &str,
    ) -> Option<Found> {
        let d = match self.client.database(&addon).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(app = %addon.app, error = %e, "cannot read a Scalingo database");
                return None;
            }
        };
        let timescaledb = d
            .postgresql_config
            .as_ref()
            .is_some_and(|c| c.timescaledb_enabled);
        let features = Features {
            pitr: true,
            scheduled_backups: !dedicated,
            manual_backups: !dedicated,
            dumps: true,
            firewall: dedicated,
            timescaledb,
        };
        let main = if d.resource_id.is_empty() {
            resource_id
        } else {
            &d.resource_id
        };
        Some(Found {
            database: Database {
                id: tidemark_id(name, &addon.region, n),
                name: name.to_string(),
                provider: ProviderKind::Scalingo,
                hosting: if dedicated {
                    Hosting::ScalingoDedicated
                } else {
                    Hosting::ScalingoShared
                },
                engine: engine(&d),
                main_database: main.to_string(),
                features,
                status: status(&d),
                plan: Some(d.plan.clone()).filter(|p| !p.is_empty()),
            },
            addon,
        })
    }

    async fn find(&self, id: &str) -> Result<Found, ProviderError> {
        self.discover()
            .await?
            .into_iter()
            .find(|f| f.database.id == id)
            .ok_or_else(|| ProviderError::NotFound(id.to_string()))
    }

    fn dedicated_only(f: &Found) -> Result<(), ProviderError> {
        if f.database.hosting == Hosting::ScalingoDedicated {
            Ok(())
        } else {
            Err(ProviderError::NotSupported(format!(
                "{} is a Shared Resources database: it has no firewall rules to manage.",
                f.database.name
            )))
        }
    }

    /// Waits before the `n`th look at a job's progress, or less when the job is cancelled:
    /// every poll interval at first, five times less often after ten looks, so that a long
    /// restore leaves most of the request budget to the pages.
    async fn pause(&self, ctx: &JobContext, n: &mut u32) {
        *n += 1;
        let wait = if *n <= 10 {
            self.poll_every
        } else {
            self.poll_every * 5
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.cancel.cancelled() => {}
        }
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
        let mut last = String::new();
        let mut polls = 0;
        loop {
            let op = match self.client.operation(&f.addon, &op_id).await {
                Ok(op) => op,
                // Reads are retried by the client; a blip beyond that is not the restore failing.
                Err(e)
                    if matches!(
                        e,
                        ScalingoError::Unavailable(_) | ScalingoError::RateLimited
                    ) =>
                {
                    progress
                        .log(&format!("Cannot read the operation's status now: {e}"))
                        .await?;
                    self.pause(ctx, &mut polls).await;
                    continue;
                }
                Err(e) => return Err(ProviderError::from(e).into()),
            };
            if op.status != last {
                let phase = match op.status.as_str() {
                    "pending" => "waiting for Scalingo to start the restore",
                    "running" => "Scalingo is restoring the database",
                    "cancelling" => "Scalingo is cancelling the restore",
                    _ => "",
                };
                if !phase.is_empty() {
                    progress.phase(phase, "", None).await?;
                }
                progress
                    .log(&format!("Operation {op_id}: {}", op.status))
                    .await?;
                last = op.status.clone();
            }
            if op.is_final() {
                self.found.lock().await.take();
                return match op.status.as_str() {
                    "finished" => Ok(format!(
                        "Scalingo restored {} to {}. Data written after that moment is gone, and the point-in-time window starts again from now.",
                        f.database.name,
                        target.format("%Y-%m-%d %H:%M:%S UTC")
                    )),
                    "cancelled" => anyhow::bail!(
                        "Scalingo cancelled the restore; the database was not changed."
                    ),
                    _ => anyhow::bail!(
                        "Scalingo could not restore the database: {}",
                        op.error.as_deref().unwrap_or("no reason given")
                    ),
                };
            }
            if ctx.cancel.is_cancelled() {
                anyhow::bail!(
                    "Stopped following the restore; Scalingo goes on with it (operation {op_id})."
                );
            }
            self.pause(ctx, &mut polls).await;
        }
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
        let mut last = String::new();
        let mut polls = 0;
        loop {
            let b = match self.client.backup(&f.addon, &created.id).await {
                Ok(b) => b,
                Err(e)
                    if matches!(
                        e,
                        ScalingoError::Unavailable(_) | ScalingoError::RateLimited
                    ) =>
                {
                    progress
                        .log(&format!("Cannot read the backup's status now: {e}"))
                        .await?;
                    self.pause(ctx, &mut polls).await;
                    continue;
                }
                Err(e) => return Err(ProviderError::from(e).into()),
            };
            if b.status != last {
                match backup_status(&b.status) {
                    BackupStatus::Scheduled => {
                        progress
                            .phase("waiting for Scalingo to start the backup", "", None)
                            .await?
                    }
                    BackupStatus::Running => {
                        progress
                            .phase("Scalingo is backing up the database", "", None)
                            .await?
                    }
                    _ => {}
                }
                progress
                    .log(&format!("Backup {}: {}", b.id, b.status))
                    .await?;
                last = b.status.clone();
            }
            match backup_status(&b.status) {
                BackupStatus::Done => {
                    return Ok(format!(
                        "Scalingo took backup {}{}.",
                        b.name,
                        b.size
                            .filter(|s| *s > 0)
                            .map(|s| format!(" ({})", human_size(s)))
                            .unwrap_or_default()
                    ));
                }
                BackupStatus::Error => {
                    anyhow::bail!("Scalingo's backup {} failed ({}).", b.id, b.status)
                }
                _ => {}
            }
            if ctx.cancel.is_cancelled() {
                anyhow::bail!(
                    "Stopped following the backup; Scalingo goes on with it (backup {}).",
                    b.id
                );
            }
            self.pause(ctx, &mut polls).await;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_url_safe_and_name_the_region() {
        assert_eq!(tidemark_id("my_app", "osc-fr1", 0), "my-app-osc-fr1");
        assert_eq!(
            tidemark_id("Shop", "osc-secnum-fr1", 1),
            "shop-osc-secnum-fr1-2"
        );
    }

    #[test]
    fn backup_statuses_fold_into_four() {
        assert_eq!(backup_status("pending"), BackupStatus::Scheduled);
        assert_eq!(backup_status("running"), BackupStatus::Running);
        assert_eq!(backup_status("done"), BackupStatus::Done);
        assert_eq!(backup_status("cancelled"), BackupStatus::Error);
        assert_eq!(backup_status("something-new"), BackupStatus::Error);
    }
}
