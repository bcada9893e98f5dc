//! Roles, the actions they allow, and the one check every edge calls before acting.

pub use tidemark_types::{Action, Role};

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
    const LEAST: [(Action, Role); 16] = [
        (Action::Read, Role::Viewer),
        (Action::Download, Role::Viewer),
        (Action::ManualBackup, Role::Operator),
        (Action::VerifyBackup, Role::Operator),
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
