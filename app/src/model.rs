//! The JSON shapes the pages and the REST API share, derived from `core`'s domain types on the server.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where the database lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Local,
    Scalingo,
}

/// How it is hosted, which decides the blocks of its Backups tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Hosting {
    Managed,
    External,
    ScalingoShared,
    ScalingoDedicated,
}

impl Hosting {
    pub fn label(self) -> &'static str {
        match self {
            Hosting::Managed => "Managed by Tidemark",
            Hosting::External => "External server",
            Hosting::ScalingoShared => "Scalingo · Shared Resources",
            Hosting::ScalingoDedicated => "Scalingo · Dedicated Resources",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DatabaseStatus {
    Running,
    Stopped,
    Unreachable,
}

/// What can be done with a database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Features {
    pub pitr: bool,
    pub scheduled_backups: bool,
    pub manual_backups: bool,
    pub dumps: bool,
    pub firewall: bool,
    pub timescaledb: bool,
}

/// A database as the overview and the API show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Database {
    /// Tidemark's id, used in URLs.
    pub id: String,
    pub name: String,
    pub provider: Provider,
    pub hosting: Hosting,
    /// The engine and its version, e.g. "PostgreSQL 15.18".
    pub engine: String,
    /// The database that dumps and logical backups are of.
    pub main_database: String,
    pub status: DatabaseStatus,
    pub features: Features,
    /// The provider's plan, e.g. `postgresql-business-1024`.
    pub plan: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BackupStatus {
    Scheduled,
    Running,
    Done,
    Error,
}

impl BackupStatus {
    pub fn label(self) -> &'static str {
        match self {
            BackupStatus::Scheduled => "Scheduled",
            BackupStatus::Running => "Running",
            BackupStatus::Done => "Done",
            BackupStatus::Error => "Failed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BackupMethod {
    PhysicalFull,
    PhysicalDifferential,
    PhysicalIncremental,
    Periodic,
    Manual,
}

impl BackupMethod {
    pub fn label(self) -> &'static str {
        match self {
            BackupMethod::PhysicalFull => "Full (physical)",
            BackupMethod::PhysicalDifferential => "Differential (physical)",
            BackupMethod::PhysicalIncremental => "Incremental (physical)",
            BackupMethod::Periodic => "Scheduled",
            BackupMethod::Manual => "Manual",
        }
    }
}

/// One backup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Backup {
    pub id: String,
    /// When it started, in UTC.
    pub created_at: DateTime<Utc>,
    /// When it finished, in UTC, if it has.
    pub finished_at: Option<DateTime<Utc>>,
    /// Size of the stored backup in bytes.
    pub size_bytes: Option<u64>,
    pub status: BackupStatus,
    pub method: BackupMethod,
}

/// The span of time a point-in-time restore can target (UTC), or why there is none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PitrWindow {
    pub available: bool,
    pub earliest: Option<DateTime<Utc>>,
    pub latest: Option<DateTime<Utc>>,
    pub unavailable_reason: Option<String>,
}

/// A job as the API and the job page show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Job {
    pub id: String,
    /// dump, restore, backup, pitr_restore, verification.
    pub kind: String,
    pub database: String,
    pub started_by: String,
    /// What was asked, without secrets.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub params: serde_json::Value,
    /// queued, running, succeeded, failed, cancelled or interrupted.
    pub state: String,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// One sentence on the result, or why it failed.
    pub summary: Option<String>,
    pub artifact: Option<JobArtifact>,
}

/// How far a job has come (mirrors the progress events of the event stream).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobProgress {
    pub phase: String,
    pub done: u64,
    pub total: Option<u64>,
    pub unit: String,
    pub current: Option<String>,
    pub bytes: u64,
    pub bytes_per_second: Option<f64>,
    pub eta_seconds: Option<u64>,
}

impl JobProgress {
    /// How far along, in tenths of a percent (1000 is done), when the total is known.
    pub fn per_mille(&self) -> Option<u64> {
        match self.total {
            Some(0) => Some(1000),
            Some(t) => Some(
                u64::try_from(u128::from(self.done.min(t)) * 1000 / u128::from(t)).unwrap_or(1000),
            ),
            None => None,
        }
    }
}

/// The part of a status event the page needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveStatus {
    pub state: String,
    pub reason: Option<String>,
}

/// One event of a job's stream, as the browser reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEventBody {
    Status { status: LiveStatus },
    Progress { progress: JobProgress },
    Log { line: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    pub seq: u64,
    #[serde(flatten)]
    pub body: LiveEventBody,
}

/// How many log lines a job's page keeps.
pub const LOG_TAIL: usize = 40;

/// What the job page renders on the server: the job, its latest progress, its log tail, and the
/// number of the last event included, from which the browser follows the stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobPage {
    pub job: Job,
    pub progress: Option<JobProgress>,
    pub log: Vec<String>,
    pub last_event: u64,
    /// Where the browser follows the job's events.
    pub events_url: String,
    /// Opened through a share link: a read-only page with no way further into Tidemark.
    pub shared: bool,
}

impl JobPage {
    /// Folds one event of the live stream into the page, as the browser shows it, so a page
    /// redrawn from it (after a reload that failed) shows what was last seen and follows on from
    /// there. True when the event ends the job.
    pub fn fold(&mut self, e: &LiveEvent) -> bool {
        if e.seq <= self.last_event {
            return false;
        }
        self.last_event = e.seq;
        match &e.body {
            LiveEventBody::Status { status } => {
                self.job.state = status.state.clone();
                if status.reason.is_some() {
                    self.job.summary = status.reason.clone();
                }
                !matches!(status.state.as_str(), "queued" | "running")
            }
            LiveEventBody::Progress { progress } => {
                self.progress = Some(progress.clone());
                false
            }
            LiveEventBody::Log { line } => {
                self.log.push(line.clone());
                let extra = self.log.len().saturating_sub(LOG_TAIL);
                self.log.drain(..extra);
                false
            }
        }
    }

    /// The page as a share link shows it: the kind, the database's display name, the state,
    /// phase and progress, the times and the outcome. Who started it, what was asked, the log
    /// (which names hosts and roles), the item being worked on and any download stay out.
    pub fn for_share_link(mut self, token: &str, database_name: String) -> JobPage {
        self.job.params = serde_json::Value::Null;
        self.job.started_by = String::new();
        self.job.database = database_name;
        self.job.artifact = None;
        self.log = Vec::new();
        if let Some(p) = &mut self.progress {
            p.current = None;
        }
        self.events_url = format!("/s/{token}/events");
        self.shared = true;
        self
    }
}

/// A file a job produced, such as a dump.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobArtifact {
    pub file_name: String,
    pub size_bytes: u64,
    pub download_url: String,
}

/// The overview: every database that could be listed, and what could not be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseList {
    pub databases: Vec<Database>,
    /// A sentence for each provider that did not answer.
    pub problems: Vec<String>,
}

/// Everything the Backups tab shows, in one answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupsTab {
    pub database: Database,
    pub window: PitrWindow,
    pub backups: Vec<Backup>,
    /// The daily backup schedule, where the database has one.
    pub schedule: Option<Schedule>,
    /// Data directories that point-in-time restores set aside, newest first.
    pub safety_copies: Vec<SafetyCopy>,
    /// The firewall, for databases that have one.
    pub firewall: Option<FirewallView>,
}

/// A data directory a point-in-time restore set aside.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SafetyCopy {
    /// The id of the restore job that made it.
    pub id: String,
    pub created_at: DateTime<Utc>,
    /// The moment the database was restored to.
    pub restore_time: DateTime<Utc>,
    pub size_bytes: u64,
}

/// The daily logical backup schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub enabled: bool,
    /// Hour of the day in UTC.
    pub hour: u8,
    /// Every hour it runs, when the provider runs it several times a day.
    pub hours: Vec<u8>,
    pub next_run: Option<DateTime<Utc>>,
    /// Whether the provider (Scalingo) runs it, rather than Tidemark.
    pub kept_by_provider: bool,
}

/// One firewall rule of a Dedicated Resources database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FirewallRule {
    pub id: String,
    /// `custom` (a CIDR range with a label) or `managed` (a range the provider maintains).
    pub kind: String,
    pub cidr: Option<String>,
    pub label: Option<String>,
    pub range_id: Option<String>,
    pub range_name: Option<String>,
}

/// A range the provider maintains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ManagedRange {
    pub id: String,
    pub name: String,
}

/// A database's firewall: its rules and what can be added.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FirewallView {
    pub rules: Vec<FirewallRule>,
    pub managed_ranges: Vec<ManagedRange>,
    /// The most rules a database can have.
    pub max_rules: usize,
}

/// What a restore reads, as the restore form sends it: `dump:<job id>` or `upload:<upload id>`
/// (an uploaded file, or a backup made ready).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreFrom {
    Dump(String),
    Upload(String),
}

impl RestoreFrom {
    pub fn parse(value: &str) -> Option<RestoreFrom> {
        let (kind, id) = value.trim().split_once(':')?;
        let id = id.trim();
        if id.is_empty() {
            return None;
        }
        match kind {
            "dump" => Some(RestoreFrom::Dump(id.to_string())),
            "upload" => Some(RestoreFrom::Upload(id.to_string())),
            _ => None,
        }
    }

    pub fn value(&self) -> String {
        match self {
            RestoreFrom::Dump(id) => format!("dump:{id}"),
            RestoreFrom::Upload(id) => format!("upload:{id}"),
        }
    }
}

/// A dump kept on the server, ready to restore: an uploaded file, or a backup's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StagedDump {
    /// Pass it as `source_upload` to a restore.
    pub upload_id: String,
    /// `custom`, `tar_gz` (taken out of an archive) or `directory`.
    pub received_as: String,
    pub size_bytes: u64,
    /// The server removes it after this time (a day after it arrived), unless it is being restored.
    pub kept_until: DateTime<Utc>,
}

#[cfg(feature = "ssr")]
impl StagedDump {
    /// The view of an upload that has just arrived.
    pub fn from_upload(up: &tidemark_core::jobs::upload::Upload) -> StagedDump {
        StagedDump {
            upload_id: up.id.clone(),
            received_as: up.received_as.received_as().to_string(),
            size_bytes: up.size_bytes,
            kept_until: tidemark_core::jobs::upload_sweep::kept_until(Utc::now()),
        }
    }
}

/// One check made before a restore.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreflightCheck {
    /// reachable, versions, extensions, disk_space...
    pub name: String,
    pub ok: bool,
    pub message: String,
}

/// Whether this server reaches a database now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Reachability {
    pub reachable: bool,
    /// What was found, and what to do when it is not reachable.
    pub message: String,
}

#[cfg(feature = "ssr")]
mod from_core {
    use super::*;
    use tidemark_core::provider as core;

    impl From<core::FirewallRule> for FirewallRule {
        fn from(r: core::FirewallRule) -> Self {
            FirewallRule {
                id: r.id,
                kind: match r.kind {
                    core::FirewallRuleKind::Custom => "custom".into(),
                    core::FirewallRuleKind::Managed => "managed".into(),
                },
                cidr: r.cidr,
                label: r.label,
                range_id: r.range_id,
                range_name: r.range_name,
            }
        }
    }

    impl From<core::Firewall> for FirewallView {
        fn from(f: core::Firewall) -> Self {
            FirewallView {
                rules: f.rules.into_iter().map(Into::into).collect(),
                managed_ranges: f
                    .managed_ranges
                    .into_iter()
                    .map(|m| ManagedRange {
                        id: m.id,
                        name: m.name,
                    })
                    .collect(),
                max_rules: f.max_rules,
            }
        }
    }

    impl From<core::Database> for Database {
        fn from(d: core::Database) -> Self {
            Database {
                id: d.id,
                name: d.name,
                provider: match d.provider {
                    core::ProviderKind::Local => Provider::Local,
                    core::ProviderKind::Scalingo => Provider::Scalingo,
                },
                hosting: match d.hosting {
                    core::Hosting::Managed => Hosting::Managed,
                    core::Hosting::External => Hosting::External,
                    core::Hosting::ScalingoShared => Hosting::ScalingoShared,
                    core::Hosting::ScalingoDedicated => Hosting::ScalingoDedicated,
                },
                engine: d.engine,
                plan: d.plan,
                main_database: d.main_database,
                status: match d.status {
                    core::DatabaseStatus::Running => DatabaseStatus::Running,
                    core::DatabaseStatus::Stopped => DatabaseStatus::Stopped,
                    core::DatabaseStatus::Unreachable => DatabaseStatus::Unreachable,
                },
                features: Features {
                    pitr: d.features.pitr,
                    scheduled_backups: d.features.scheduled_backups,
                    manual_backups: d.features.manual_backups,
                    dumps: d.features.dumps,
                    firewall: d.features.firewall,
                    timescaledb: d.features.timescaledb,
                },
            }
        }
    }

    impl From<core::Backup> for Backup {
        fn from(b: core::Backup) -> Self {
            Backup {
                id: b.id,
                created_at: b.created_at,
                finished_at: b.finished_at,
                size_bytes: b.size_bytes,
                status: match b.status {
                    core::BackupStatus::Scheduled => BackupStatus::Scheduled,
                    core::BackupStatus::Running => BackupStatus::Running,
                    core::BackupStatus::Done => BackupStatus::Done,
                    core::BackupStatus::Error => BackupStatus::Error,
                },
                method: match b.method {
                    core::BackupMethod::PhysicalFull => BackupMethod::PhysicalFull,
                    core::BackupMethod::PhysicalDifferential => BackupMethod::PhysicalDifferential,
                    core::BackupMethod::PhysicalIncremental => BackupMethod::PhysicalIncremental,
                    core::BackupMethod::Periodic => BackupMethod::Periodic,
                    core::BackupMethod::Manual => BackupMethod::Manual,
                },
            }
        }
    }

    impl From<tidemark_core::jobs::Job> for Job {
        fn from(j: tidemark_core::jobs::Job) -> Self {
            let download_url = format!("/api/v1/jobs/{}/artifact", j.id);
            Job {
                kind: j.kind.as_str().to_string(),
                state: j.status.name().to_string(),
                queued_at: j.status.queued_at(),
                started_at: j.status.started_at(),
                finished_at: j.status.finished_at(),
                id: j.id.0,
                database: j.database,
                started_by: j.started_by,
                params: j.params,
                summary: j.summary,
                artifact: j.artifact.map(|a| JobArtifact {
                    file_name: a.file_name,
                    size_bytes: a.size_bytes,
                    download_url,
                }),
            }
        }
    }

    impl From<core::PitrWindow> for PitrWindow {
        fn from(w: core::PitrWindow) -> Self {
            PitrWindow {
                available: w.earliest.is_some() && w.latest.is_some(),
                earliest: w.earliest,
                latest: w.latest,
                unavailable_reason: w.unavailable_reason,
            }
        }
    }
}

/// The person using the page, and their API tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub name: String,
    pub role: String,
    pub tokens: Vec<TokenRow>,
    /// The password was given by someone else: a new one comes before anything else.
    pub must_change_password: bool,
}

/// An API token, without its secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenRow {
    pub id: i64,
    pub user: String,
    pub label: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// What admins see: the users and the newest audit entries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminView {
    pub users: Vec<UserRow>,
    pub audit: Vec<AuditRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserRow {
    pub name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub database: Option<String>,
    pub target: Option<String>,
    pub outcome: String,
    pub source: Option<String>,
}

#[cfg(feature = "ssr")]
mod accounts_from_core {
    use super::*;
    use tidemark_core::store::{ApiToken, AuditEntry, User};

    impl From<ApiToken> for TokenRow {
        fn from(t: ApiToken) -> Self {
            TokenRow {
                id: t.id,
                user: t.user,
                label: t.label,
                role: t.role.as_str().into(),
                created_at: t.created_at,
                last_used_at: t.last_used_at,
                revoked: t.revoked,
            }
        }
    }

    impl From<User> for UserRow {
        fn from(u: User) -> Self {
            UserRow {
                name: u.name,
                role: u.role.as_str().into(),
                created_at: u.created_at,
                disabled: u.disabled,
            }
        }
    }

    impl From<AuditEntry> for AuditRow {
        fn from(e: AuditEntry) -> Self {
            AuditRow {
                at: e.at,
                actor: e.actor,
                action: e.action,
                database: e.database,
                target: e.target,
                outcome: e.outcome,
                source: e.source,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> JobPage {
        JobPage {
            job: Job {
                id: "j".into(),
                kind: "dump".into(),
                database: "demo".into(),
                started_by: "ann".into(),
                params: serde_json::Value::Null,
                state: "running".into(),
                queued_at: chrono::Utc::now(),
                started_at: None,
                finished_at: None,
                summary: None,
                artifact: None,
            },
            progress: None,
            log: vec![],
            last_event: 4,
            events_url: "/api/v1/jobs/j/events".into(),
            shared: false,
        }
    }

    fn event(seq: u64, body: LiveEventBody) -> LiveEvent {
        LiveEvent { seq, body }
    }

    #[test]
    fn a_page_folds_in_what_the_stream_brings_once() {
        let mut p = page();
        let line = || LiveEventBody::Log {
            line: "pg_dump: warning".into(),
        };
        assert!(!p.fold(&event(3, line())), "an old event changes nothing");
        assert!(p.log.is_empty());
        assert!(!p.fold(&event(5, line())));
        assert!(!p.fold(&event(5, line())), "nor one seen already");
        assert_eq!((p.log.len(), p.last_event), (1, 5));
        let done = LiveEventBody::Status {
            status: LiveStatus {
                state: "succeeded".into(),
                reason: Some("Dumped 3 tables.".into()),
            },
        };
        assert!(p.fold(&event(6, done)), "the job's end");
        assert_eq!(p.job.state, "succeeded");
        assert_eq!(p.job.summary.as_deref(), Some("Dumped 3 tables."));
        for seq in 7..7 + LOG_TAIL as u64 + 5 {
            p.fold(&event(seq, line()));
        }
        assert_eq!(p.log.len(), LOG_TAIL);
    }
}
