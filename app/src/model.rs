//! The JSON shapes the pages and the REST API share, derived from `core`'s domain types on the server.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use tidemark_types::{
    Backup, BackupDetail, BackupMethod, BackupStatus, Database, DatabaseStatus, DrillEvidence,
    Evidence, Features, Firewall, FirewallRule, FirewallRuleKind, Hosting, JobKind, JobState,
    ManagedRange, PitrDrill, PitrWindow, Progress, ProviderKind, RepositoryCheck, SafetyCopy,
    Schedule, TableCheck, Verification, VerificationMode, VerificationOutcome,
};

/// A job as the API and the job page show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    pub database: String,
    pub started_by: String,
    /// What was asked, without secrets.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub params: serde_json::Value,
    pub state: JobState,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// One sentence on the result, or why it failed.
    pub summary: Option<String>,
    pub artifact: Option<JobArtifact>,
}

/// The part of a status event the page needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveStatus {
    pub state: JobState,
    pub reason: Option<String>,
}

/// One event of a job's stream, as the browser reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEventBody {
    Status { status: LiveStatus },
    Progress { progress: Progress },
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
    pub progress: Option<Progress>,
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
                self.job.state = status.state;
                if status.reason.is_some() {
                    self.job.summary = status.reason.clone();
                }
                status.state.is_finished()
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
    pub firewall: Option<Firewall>,
    /// The database's verifications, newest first.
    pub verifications: Vec<Verification>,
    /// The newest point-in-time drill, for managed clusters.
    pub drill: Option<PitrDrill>,
    /// The newest repository check of each physical backup.
    pub repository: Vec<RepositoryCheck>,
}

/// A backup's own page: the database it belongs to, and the backup with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupPage {
    pub database: Database,
    pub detail: BackupDetail,
    /// Opened through a share link: read-only, and nothing of the database but its name.
    #[serde(default)]
    pub shared: bool,
}

impl BackupPage {
    /// What a share link may show: the backup and its evidence, the database's name and engine.
    pub fn for_share_link(mut self) -> Self {
        self.database.id = String::new();
        self.database.main_database = String::new();
        self.database.plan = None;
        self.detail.database = String::new();
        // Each verification's id is its job's, and names its database: neither is shown.
        for v in &mut self.detail.verifications {
            v.id = String::new();
            v.database = String::new();
        }
        self.shared = true;
        self
    }
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
    pub fn from_upload(up: &tidemark_core::work::upload::Upload) -> StagedDump {
        StagedDump {
            upload_id: up.id.clone(),
            received_as: up.received_as.received_as().to_string(),
            size_bytes: up.size_bytes,
            kept_until: tidemark_core::work::upload_sweep::kept_until(Utc::now()),
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
impl From<tidemark_core::jobs::Job> for Job {
    fn from(j: tidemark_core::jobs::Job) -> Self {
        let download_url = format!("/api/v1/jobs/{}/artifact", j.id);
        Job {
            kind: j.kind,
            state: j.status.state(),
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
                kind: JobKind::Dump,
                database: "demo".into(),
                started_by: "ann".into(),
                params: serde_json::Value::Null,
                state: JobState::Running,
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
                state: JobState::Succeeded,
                reason: Some("Dumped 3 tables.".into()),
            },
        };
        assert!(p.fold(&event(6, done)), "the job's end");
        assert_eq!(p.job.state, JobState::Succeeded);
        assert_eq!(p.job.summary.as_deref(), Some("Dumped 3 tables."));
        for seq in 7..7 + LOG_TAIL as u64 + 5 {
            p.fold(&event(seq, line()));
        }
        assert_eq!(p.log.len(), LOG_TAIL);
    }
}
