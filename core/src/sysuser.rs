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

/// Every file and directory this process creates from now on is private to its user (umask
/// 077): dumps, uploads, the state database and secrets are never readable by others, from the
/// moment they exist. Programs Tidemark starts inherit it.
pub fn keep_new_files_private() {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
}

/// Makes the data directory private: 0700, or, when the clusters run as another user, 0710 with
/// that user's group so it can pass through to its clusters' directories (and read nothing).
pub fn make_data_dir_private(dir: &Path, run_as: Option<&RunAs>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match run_as {
        Some(user) => {
            nix::unistd::chown(dir, None, Some(Gid::from_raw(user.gid)))
                .map_err(std::io::Error::from)?;
            0o710
        }
        None => 0o700,
    };
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
}

/// Writes a new private file (0600 from its creation) with `contents`, replacing any.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // A file that existed keeps its old mode through open: narrow it too.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(contents)?;
    f.sync_all()
}

/// Free bytes on the file system holding `dir`, for the user's files.
pub fn free_space(dir: &Path) -> Option<u64> {
    let stat = nix::sys::statvfs::statvfs(dir).ok()?;
    Some(stat.blocks_available() * stat.fragment_size())
}
