//! Roles, and the actions they allow: what the REST API and the pages name when they say who may
//! do what.

use serde::{Deserialize, Serialize};

/// What a person or a script may do; each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything, downloads backups, follows jobs.
    Viewer,
    /// Also takes manual backups, verifies backups, dumps, and restores into a new database.
    Operator,
    /// Also restores in place and to a point in time, changes schedules and firewall rules,
    /// discards safety copies, and manages users.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Viewer, Role::Operator, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything Tidemark can be asked to do, by the role it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    Download,
    ManualBackup,
    VerifyBackup,
    Dump,
    Upload,
    RestoreIntoNewDatabase,
    CancelJob,
    CreateShareLink,
    RestoreInPlace,
    PitrRestore,
    ChangeSchedule,
    ChangeFirewall,
    DiscardSafetyCopy,
    ManageUsers,
    ReadAudit,
}

impl Action {
    pub const ALL: [Action; 16] = [
        Action::Read,
        Action::Download,
        Action::ManualBackup,
        Action::VerifyBackup,
        Action::Dump,
        Action::Upload,
        Action::RestoreIntoNewDatabase,
        Action::CancelJob,
        Action::CreateShareLink,
        Action::RestoreInPlace,
        Action::PitrRestore,
        Action::ChangeSchedule,
        Action::ChangeFirewall,
        Action::DiscardSafetyCopy,
        Action::ManageUsers,
        Action::ReadAudit,
    ];

    /// The least role that may do it.
    pub fn needs(self) -> Role {
        match self {
            Action::Read | Action::Download => Role::Viewer,
            Action::ManualBackup
            | Action::VerifyBackup
            | Action::Dump
            | Action::Upload
            | Action::RestoreIntoNewDatabase
            | Action::CancelJob
            | Action::CreateShareLink => Role::Operator,
            Action::RestoreInPlace
            | Action::PitrRestore
            | Action::ChangeSchedule
            | Action::ChangeFirewall
            | Action::DiscardSafetyCopy
            | Action::ManageUsers
            | Action::ReadAudit => Role::Admin,
        }
    }

    /// Its name in the audit log: `pitr_restore`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Download => "download",
            Action::ManualBackup => "manual_backup",
            Action::VerifyBackup => "verify_backup",
            Action::Dump => "dump",
            Action::Upload => "upload",
            Action::RestoreIntoNewDatabase => "restore_into_new_database",
            Action::CancelJob => "cancel_job",
            Action::CreateShareLink => "create_share_link",
            Action::RestoreInPlace => "restore_in_place",
            Action::PitrRestore => "pitr_restore",
            Action::ChangeSchedule => "change_schedule",
            Action::ChangeFirewall => "change_firewall",
            Action::DiscardSafetyCopy => "discard_safety_copy",
            Action::ManageUsers => "manage_users",
            Action::ReadAudit => "read_audit",
        }
    }

    /// Words for a sentence: "take a manual backup".
    pub fn describe(self) -> &'static str {
        match self {
            Action::Read => "read this",
            Action::Download => "download backups",
            Action::ManualBackup => "take a manual backup",
            Action::VerifyBackup => "verify a backup",
            Action::Dump => "start a dump",
            Action::Upload => "upload a dump",
            Action::RestoreIntoNewDatabase => "restore into a new database",
            Action::CancelJob => "cancel a job",
            Action::CreateShareLink => "create a share link",
            Action::RestoreInPlace => "restore over a database",
            Action::PitrRestore => "restore a database to a point in time",
            Action::ChangeSchedule => "change the backup schedule",
            Action::ChangeFirewall => "change firewall rules",
            Action::DiscardSafetyCopy => "discard a safety copy",
            Action::ManageUsers => "manage users and their tokens",
            Action::ReadAudit => "read the audit log",
        }
    }
}
