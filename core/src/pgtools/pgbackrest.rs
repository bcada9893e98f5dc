//! pgBackRest: the configuration Tidemark writes for a stanza, command builders, and `info` parsing.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

use super::command::ToolCommand;
use crate::sysuser::RunAs;

/// One stanza's files and the cluster it backs up.
#[derive(Debug, Clone)]
pub struct Stanza {
    pub program: PathBuf,
    pub config_file: PathBuf,
    pub name: String,
}

/// What goes in a stanza's configuration file.
#[derive(Debug, Clone)]
pub struct StanzaSettings<'a> {
    pub stanza: &'a str,
    pub repo_path: &'a Path,
    pub log_path: &'a Path,
    pub lock_path: &'a Path,
    pub pgdata: &'a Path,
    pub port: u16,
    pub socket_dir: &'a Path,
    pub retention_full: u32,
}

/// Renders pgbackrest.conf: one local repository, fast checkpoints, lz4 compression.
pub fn render_config(s: &StanzaSettings<'_>) -> String {
    format!(
        "# Written by Tidemark.\n\
         [global]\n\
         repo1-path={repo}\n\
         repo1-retention-full={retention}\n\
         log-path={log}\n\
         lock-path={lock}\n\
         log-level-console=warn\n\
         log-level-file=info\n\
         start-fast=y\n\
         compress-type=lz4\n\
         \n\
         [{stanza}]\n\
         pg1-path={pgdata}\n\
         pg1-port={port}\n\
         pg1-socket-path={socket}\n\
         pg1-user=postgres\n",
        repo = s.repo_path.display(),
        retention = s.retention_full,
        log = s.log_path.display(),
        lock = s.lock_path.display(),
        stanza = s.stanza,
        pgdata = s.pgdata.display(),
        port = s.port,
        socket = s.socket_dir.display(),
    )
}

impl Stanza {
    fn base(&self, run_as: Option<RunAs>) -> ToolCommand {
        ToolCommand::new(&self.program)
            .arg(format!("--config={}", self.config_file.display()))
            .arg(format!("--stanza={}", self.name))
            .run_as(run_as)
    }

    /// The `archive_command` PostgreSQL runs for each finished WAL segment.
    pub fn archive_command(&self) -> String {
        format!(
            "{} --config={} --stanza={} archive-push %p",
            self.program.display(),
            shell_quote(&self.config_file.display().to_string()),
            self.name
        )
    }

    pub fn stanza_create(&self, run_as: Option<RunAs>) -> ToolCommand {
        self.base(run_as).arg("stanza-create")
    }

    pub fn check(&self, run_as: Option<RunAs>) -> ToolCommand {
        self.base(run_as).arg("check")
    }

    pub fn backup(&self, kind: PhysicalKind, run_as: Option<RunAs>) -> ToolCommand {
        self.base(run_as)
            .arg(format!("--type={}", kind.as_str()))
            .arg("backup")
    }

    pub fn info(&self, run_as: Option<RunAs>) -> ToolCommand {
        self.base(run_as).arg("--output=json").arg("info")
    }

    /// Restores the cluster's (empty) data directory to the state at `target`, then promotes: the
    /// backup set is the newest one that ended before the target, chosen by pgBackRest.
    pub fn restore_to_time(&self, target: DateTime<Utc>, run_as: Option<RunAs>) -> ToolCommand {
        self.base(run_as)
            .arg("--type=time")
            .arg(format!("--target={}", target_time(target)))
            .arg("--target-action=promote")
            .arg("--target-timeline=current")
            .arg("restore")
    }

    /// Restores backup `set` into `pgdata` (an empty directory beside the cluster) up to
    /// `target`, promoting there, with archiving off so that the copy never writes to the
    /// repository.
    pub fn restore_copy(
        &self,
        pgdata: &Path,
        set: &str,
        target: DateTime<Utc>,
        run_as: Option<RunAs>,
    ) -> ToolCommand {
        self.base(run_as)
            .arg(format!("--pg1-path={}", pgdata.display()))
            .arg(format!("--set={set}"))
            .arg("--type=time")
            .arg(format!("--target={}", target_time(target)))
            .arg("--target-action=promote")
            .arg("--target-timeline=current")
            .arg("--archive-mode=off")
            .arg("restore")
    }

    /// Checks every backup and WAL segment in the repository; read with
    /// [`super::repo_verify::parse`].
    pub fn verify(&self, run_as: Option<RunAs>) -> ToolCommand {
        self.base(run_as)
            .arg("--output=text")
            .arg("--verbose")
            .arg("verify")
    }
}

/// A time as pgBackRest and PostgreSQL read `recovery_target_time`, to the microsecond, in UTC.
pub fn target_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string()
}

/// The timeline a WAL segment name belongs to (its first 8 hex digits).
pub fn timeline_of(segment: &str) -> Option<u32> {
    segment
        .get(..8)
        .and_then(|t| u32::from_str_radix(t, 16).ok())
}

/// Quotes a path for the shell that runs `archive_command`.
fn shell_quote(v: &str) -> String {
    if v.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
    {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "'\\''"))
    }
}

/// pgBackRest's backup types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhysicalKind {
    Full,
    Differential,
    Incremental,
}

impl PhysicalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PhysicalKind::Full => "full",
            PhysicalKind::Differential => "diff",
            PhysicalKind::Incremental => "incr",
        }
    }

    fn parse(v: &str) -> Option<Self> {
        match v {
            "full" => Some(PhysicalKind::Full),
            "diff" => Some(PhysicalKind::Differential),
            "incr" => Some(PhysicalKind::Incremental),
            _ => None,
        }
    }
}

/// One backup as `pgbackrest info` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhysicalBackup {
    pub label: String,
    pub kind: PhysicalKind,
    pub started_at: DateTime<Utc>,
    pub stopped_at: DateTime<Utc>,
    /// Size of the database at backup time.
    pub database_bytes: u64,
    /// Size of the backup in the repository (compressed).
    pub repository_bytes: u64,
    /// pgBackRest found an error (such as a checksum) while taking it.
    pub error: bool,
    /// First and last WAL segment the backup needs.
    pub wal_start: Option<String>,
    pub wal_stop: Option<String>,
}

/// A stanza's state from `pgbackrest info`.
#[derive(Debug, Clone, PartialEq)]
pub struct StanzaInfo {
    pub status_code: i64,
    pub status_message: String,
    pub backups: Vec<PhysicalBackup>,
    /// Oldest and newest WAL segment in the archive.
    pub archive_min: Option<String>,
    pub archive_max: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InfoError {
    #[error("pgbackrest info printed JSON that Tidemark cannot read: {0}")]
    Json(#[from] serde_json::Error),
    #[error("pgbackrest info does not know the stanza '{0}'")]
    NoStanza(String),
    #[error("pgbackrest info gave an impossible timestamp {0}")]
    Timestamp(i64),
}

#[derive(Deserialize)]
struct RawStanza {
    name: String,
    #[serde(default)]
    archive: Vec<RawArchive>,
    #[serde(default)]
    backup: Vec<RawBackup>,
    status: RawStatus,
}

#[derive(Deserialize)]
struct RawStatus {
    code: i64,
    message: String,
}

#[derive(Deserialize)]
struct RawArchive {
    min: Option<String>,
    max: Option<String>,
}

#[derive(Deserialize)]
struct RawBackup {
    label: String,
    #[serde(rename = "type")]
    kind: String,
    timestamp: RawTimestamp,
    info: RawBackupInfo,
    #[serde(default)]
    error: bool,
    archive: Option<RawWalRange>,
}

#[derive(Deserialize)]
struct RawTimestamp {
    start: i64,
    stop: i64,
}

#[derive(Deserialize)]
struct RawBackupInfo {
    size: u64,
    repository: RawRepoSize,
}

#[derive(Deserialize)]
struct RawRepoSize {
    size: Option<u64>,
    delta: u64,
}

#[derive(Deserialize)]
struct RawWalRange {
    start: Option<String>,
    stop: Option<String>,
}

fn epoch(secs: i64) -> Result<DateTime<Utc>, InfoError> {
    Utc.timestamp_opt(secs, 0)
        .single()
        .ok_or(InfoError::Timestamp(secs))
}

/// Parses `pgbackrest --output=json info` for one stanza; backups come oldest first.
pub fn parse_info(json: &str, stanza: &str) -> Result<StanzaInfo, InfoError> {
    let stanzas: Vec<RawStanza> = serde_json::from_str(json)?;
    let raw = stanzas
        .into_iter()
        .find(|s| s.name == stanza)
        .ok_or_else(|| InfoError::NoStanza(stanza.to_string()))?;
    let mut backups = Vec::with_capacity(raw.backup.len());
    for b in raw.backup {
        let Some(kind) = PhysicalKind::parse(&b.kind) else {
            continue;
        };
        backups.push(PhysicalBackup {
            label: b.label,
            kind,
            started_at: epoch(b.timestamp.start)?,
            stopped_at: epoch(b.timestamp.stop)?,
            database_bytes: b.info.size,
            repository_bytes: b.info.repository.size.unwrap_or(b.info.repository.delta),
            error: b.error,
            wal_start: b.archive.as_ref().and_then(|a| a.start.clone()),
            wal_stop: b.archive.and_then(|a| a.stop),
        });
    }
    backups.sort_by_key(|b| b.stopped_at);
    let archive_min = raw.archive.iter().filter_map(|a| a.min.clone()).min();
    let archive_max = raw.archive.iter().filter_map(|a| a.max.clone()).max();
    Ok(StanzaInfo {
        status_code: raw.status.code,
        status_message: raw.status.message,
        backups,
        archive_min,
        archive_max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = r#"[{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1",
      "max":"000000010000000000000007","min":"000000010000000000000003"}],
      "backup":[
        {"archive":{"start":"000000010000000000000005","stop":"000000010000000000000005"},
         "backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,
         "info":{"delta":1000,"repository":{"delta":300,"size":300},"size":1000},
         "label":"20261122-101500F_20261122-120000D","lsn":{"start":"0/5000028","stop":"0/5000100"},
         "prior":"20261122-101500F","reference":["20261122-101500F"],
         "timestamp":{"start":1795352400,"stop":1795352405},"type":"diff"},
        {"archive":{"start":"000000010000000000000003","stop":"000000010000000000000003"},
         "backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,
         "info":{"delta":31000000,"repository":{"delta":4000000,"size":4000000},"size":31000000},
         "label":"20261122-101500F","lsn":{"start":"0/3000028","stop":"0/3000100"},
         "prior":null,"reference":null,
         "timestamp":{"start":1795342500,"stop":1795342510},"type":"full"}],
      "cipher":"none","db":[{"id":1,"repo-key":1,"system-id":7,"version":"15"}],"name":"main",
      "repo":[{"cipher":"none","key":1,"status":{"code":0,"message":"ok"}}],
      "status":{"code":0,"lock":{"backup":{"held":false}},"message":"ok"}}]"#;

    #[test]
    fn parses_backups_oldest_first_with_sizes_and_times() {
        let info = parse_info(INFO, "main").unwrap();
        assert_eq!(info.status_code, 0);
        assert_eq!(info.backups.len(), 2);
        let full = &info.backups[0];
        assert_eq!(full.label, "20261122-101500F");
        assert_eq!(full.kind, PhysicalKind::Full);
        assert_eq!(full.database_bytes, 31_000_000);
        assert_eq!(full.repository_bytes, 4_000_000);
        assert_eq!(full.stopped_at.timestamp(), 1795342510);
        assert_eq!(info.backups[1].kind, PhysicalKind::Differential);
        assert_eq!(
            info.archive_max.as_deref(),
            Some("000000010000000000000007")
        );
    }

    #[test]
    fn an_unknown_stanza_is_an_error() {
        assert!(matches!(
            parse_info(INFO, "other"),
            Err(InfoError::NoStanza(_))
        ));
    }

    #[test]
    fn a_new_stanza_without_backups_parses() {
        let json = r#"[{"archive":[],"backup":[],"cipher":"none","db":[],"name":"main","repo":[],
          "status":{"code":2,"message":"no valid backups"}}]"#;
        let info = parse_info(json, "main").unwrap();
        assert!(info.backups.is_empty());
        assert_eq!(info.status_code, 2);
    }

    #[test]
    fn restore_targets_a_utc_time_and_promotes() {
        let s = Stanza {
            program: "/usr/bin/pgbackrest".into(),
            config_file: "/c/pgbackrest.conf".into(),
            name: "main".into(),
        };
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 8, 5, 1).unwrap()
            + chrono::Duration::microseconds(250);
        assert_eq!(
            s.restore_to_time(t, None).display_args(),
            [
                "--config=/c/pgbackrest.conf",
                "--stanza=main",
                "--type=time",
                "--target=2026-11-22 08:05:01.000250+00",
                "--target-action=promote",
                "--target-timeline=current",
                "restore"
            ]
        );
    }

    #[test]
    fn timeline_comes_from_the_segment_name() {
        assert_eq!(timeline_of("000000020000000000000007"), Some(2));
        assert_eq!(timeline_of("0000000A0000000000000007"), Some(10));
        assert_eq!(timeline_of("xyz"), None);
    }

    #[test]
    fn commands_pass_config_and_stanza_first() {
        let s = Stanza {
            program: "pgbackrest".into(),
            config_file: "/data/clusters/main/pgbackrest.conf".into(),
            name: "main".into(),
        };
        assert_eq!(
            s.backup(PhysicalKind::Full, None).display_args(),
            [
                "--config=/data/clusters/main/pgbackrest.conf",
                "--stanza=main",
                "--type=full",
                "backup"
            ]
        );
        assert_eq!(s.info(None).display_args()[2..], ["--output=json", "info"]);
        assert_eq!(
            s.archive_command(),
            "pgbackrest --config=/data/clusters/main/pgbackrest.conf --stanza=main archive-push %p"
        );
        let spaced = Stanza {
            config_file: "/my data/p.conf".into(),
            ..s
        };
        assert!(
            spaced
                .archive_command()
                .contains("--config='/my data/p.conf'")
        );
    }

    #[test]
    fn config_names_the_stanza_and_its_cluster() {
        let text = render_config(&StanzaSettings {
            stanza: "main",
            repo_path: Path::new("/c/repo"),
            log_path: Path::new("/c/log"),
            lock_path: Path::new("/c/run"),
            pgdata: Path::new("/c/pgdata"),
            port: 54321,
            socket_dir: Path::new("/c/run"),
            retention_full: 2,
        });
        assert!(text.contains("[main]\npg1-path=/c/pgdata\npg1-port=54321\n"));
        assert!(text.contains("repo1-path=/c/repo\n"));
        assert!(text.contains("repo1-retention-full=2\n"));
    }
}
