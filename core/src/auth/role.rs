//! Roles, the actions they allow, and the one check every edge calls before acting.

use serde::{Deserialize, Serialize};

/// What a person or a script may do; each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything, downloads backups, follows jobs.
    Viewer,
    /// Also takes manual backups, dumps, and restores into a new database.
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
    pub const ALL: [Action; 15] = [
        Action::Read,
        Action::Download,
        Action::ManualBackup,
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

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Session,
    /// An API token, by its id.
    Token(i64),
    /// A user name set by the trusted reverse proxy.
    Proxy,
    /// Tidemark itself (the scheduler).
    System,
}

/// Someone acting: a user with a role, or Tidemark itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: String,
    pub role: Role,
    pub via: Via,
}

/// Refused for want of a role; the message says what was needed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("to {} you need the {needed} role; {user} is {have}", action.describe())]
pub struct Denied {
    pub action: Action,
    pub needed: Role,
    pub have: Role,
    pub user: String,
}

impl Principal {
    /// Tidemark's own jobs (the scheduler): allowed what an operator is.
    pub fn system(name: &str) -> Self {
        Self {
            user: name.to_string(),
            role: Role::Operator,
            via: Via::System,
        }
    }

    /// Whether the role allows the action; the one check every edge calls.
    pub fn may(&self, action: Action) -> Result<(), Denied> {
        if self.role >= action.needs() {
            Ok(())
        } else {
            Err(Denied {
                action,
                needed: action.needs(),
                have: self.role,
                user: self.user.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_role(role: Role) -> Principal {
        Principal {
            user: "sam".into(),
            role,
            via: Via::Session,
        }
    }

    /// The least role of every action, written out by hand: the rules as the README states
    /// them, not as the code derives them.
    const LEAST: [(Action, Role); 15] = [
        (Action::Read, Role::Viewer),
        (Action::Download, Role::Viewer),
        (Action::ManualBackup, Role::Operator),
        (Action::Dump, Role::Operator),
        (Action::Upload, Role::Operator),
        (Action::RestoreIntoNewDatabase, Role::Operator),
        (Action::CancelJob, Role::Operator),
        (Action::CreateShareLink, Role::Operator),
        (Action::RestoreInPlace, Role::Admin),
        (Action::PitrRestore, Role::Admin),
        (Action::ChangeSchedule, Role::Admin),
        (Action::ChangeFirewall, Role::Admin),
        (Action::DiscardSafetyCopy, Role::Admin),
        (Action::ManageUsers, Role::Admin),
        (Action::ReadAudit, Role::Admin),
    ];

    #[test]
    fn every_action_is_allowed_from_its_least_role_up_and_refused_below() {
        assert_eq!(LEAST.len(), Action::ALL.len());
        for action in Action::ALL {
            let (_, least) = LEAST
                .iter()
                .find(|(a, _)| *a == action)
                .unwrap_or_else(|| panic!("{action:?} has no written rule"));
            for role in [Role::Viewer, Role::Operator, Role::Admin] {
                assert_eq!(
                    as_role(role).may(action).is_ok(),
                    role >= *least,
                    "{action:?} as {role}"
                );
            }
        }
    }

    #[test]
    fn a_refusal_says_what_was_needed() {
        let e = as_role(Role::Viewer).may(Action::PitrRestore).unwrap_err();
        assert_eq!(
            e.to_string(),
            "to restore a database to a point in time you need the admin role; sam is viewer"
        );
    }
}
