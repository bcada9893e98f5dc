//! The system user that owns managed clusters: PostgreSQL and pgBackRest refuse to run as root.

use std::path::Path;

use nix::unistd::{Gid, Uid, User};

/// Run external programs as this user (via `setpriv`) and give it the files they own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAs {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum SysUserError {
    #[error(
        "Tidemark runs as root, and PostgreSQL refuses to; the system user '{0}' that should own the clusters does not exist (install postgresql-15, which creates it, or set TIDEMARK_RUN_AS)"
    )]
    NoSuchUser(String),
    #[error("cannot look up the system user '{user}': {source}")]
    Lookup { user: String, source: nix::Error },
    #[error("cannot give {path} to the user '{user}': {source}")]
    Chown {
        path: String,
        user: String,
        source: nix::Error,
    },
}

impl RunAs {
    /// `None` when the current user is not root: programs then run as the current user.
    pub fn for_current_process(user: &str) -> Result<Option<RunAs>, SysUserError> {
        if !Uid::effective().is_root() {
            return Ok(None);
        }
        let found = User::from_name(user).map_err(|source| SysUserError::Lookup {
            user: user.to_string(),
            source,
        })?;
        let u = found.ok_or_else(|| SysUserError::NoSuchUser(user.to_string()))?;
        Ok(Some(RunAs {
            name: u.name,
            uid: u.uid.as_raw(),
            gid: u.gid.as_raw(),
        }))
    }

    /// Gives one path to this user.
    pub fn chown(&self, path: &Path) -> Result<(), SysUserError> {
        nix::unistd::chown(
            path,
            Some(Uid::from_raw(self.uid)),
            Some(Gid::from_raw(self.gid)),
        )
        .map_err(|source| SysUserError::Chown {
            path: path.display().to_string(),
            user: self.name.clone(),
            source,
        })
    }
}

/// Gives `path` to `run_as` when there is one; a no-op otherwise.
pub fn chown_opt(run_as: Option<&RunAs>, path: &Path) -> Result<(), SysUserError> {
    match run_as {
        Some(r) => r.chown(path),
        None => Ok(()),
    }
}
