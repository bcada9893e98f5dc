//! Uploaded and staged dumps are kept for a day, then removed, unless a job is restoring one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use super::upload::uploads_dir;
use crate::store::Store;

/// How long an upload stays ready to restore.
pub const KEEP_UPLOADS: Duration = Duration::from_secs(24 * 3600);

/// Until when an upload that arrived at `arrived` is kept.
pub fn kept_until(arrived: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    arrived + chrono::Duration::from_std(KEEP_UPLOADS).expect("a day fits")
}

/// How often the sweeper looks.
const EVERY: Duration = Duration::from_secs(600);

/// The upload an entry of the uploads folder belongs to (`up-…` before its extension).
fn upload_id(name: &str) -> Option<&str> {
    let id = name.split('.').next()?;
    id.starts_with("up-").then_some(id)
}

/// Removes the uploads last written before `now - keep`, except those in `in_use`; partial
/// files left by an interrupted upload go the same way. Returns the removed ids, sorted.
pub fn sweep(
    artifacts_dir: &Path,
    keep: Duration,
    now: SystemTime,
    in_use: &HashSet<String>,
) -> std::io::Result<Vec<String>> {
    let dir = uploads_dir(artifacts_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let cutoff = now.checked_sub(keep).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = upload_id(&name) else { continue };
        if in_use.contains(id) || entry.metadata()?.modified()? > cutoff {
            continue;
        }
        let path: PathBuf = entry.path();
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
        removed.push(id.to_string());
    }
    removed.sort();
    removed.dedup();
    Ok(removed)
}

/// The uploads that queued or running restores read from.
async fn uploads_in_use(store: &Store) -> Result<HashSet<String>, crate::store::StoreError> {
    Ok(store
        .unfinished_jobs()
        .await?
        .iter()
        .filter_map(|j| j.params.get("source_upload")?.as_str().map(str::to_string))
        .collect())
}

/// The task that sweeps the uploads folder now and then, until cancelled.
#[derive(Debug)]
pub struct UploadSweeper {
    pub store: Store,
    pub artifacts_dir: PathBuf,
}

impl UploadSweeper {
    pub async fn run(self, token: CancellationToken) -> anyhow::Result<()> {
        crate::periodic::every(EVERY, token, || self.once()).await
    }

    async fn once(&self) {
        let in_use = match uploads_in_use(&self.store).await {
            Ok(in_use) => in_use,
            Err(e) => {
                tracing::warn!(error = %e, "cannot tell which uploads are being restored; none is removed");
                return;
            }
        };
        let dir = self.artifacts_dir.clone();
        let swept = tokio::task::spawn_blocking(move || {
            sweep(&dir, KEEP_UPLOADS, SystemTime::now(), &in_use)
        })
        .await;
        match swept {
            Ok(Ok(removed)) if !removed.is_empty() => {
                tracing::info!(count = removed.len(), uploads = ?removed, "removed uploads older than a day");
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot sweep the uploads folder"),
            Err(e) => tracing::warn!(error = %e, "the uploads sweep stopped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aged(path: &Path, age: Duration) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
    }

    #[test]
    fn old_uploads_go_and_recent_or_restoring_ones_stay() {
        let root = tempfile::tempdir().unwrap();
        let dir = uploads_dir(root.path());
        std::fs::create_dir_all(&dir).unwrap();
        let day = Duration::from_secs(24 * 3600);
        let hour = Duration::from_secs(3600);
        for (name, age) in [
            ("up-20260101000000-old.dump", day + hour),
            ("up-20260101000000-busy.dump", day + hour),
            ("up-20260101000000-fresh.dump", hour),
            ("up-20260101000000-cut.partial", 2 * day),
            ("notes.txt", 3 * day),
        ] {
            std::fs::write(dir.join(name), b"x").unwrap();
            aged(&dir.join(name), age);
        }
        let folder = dir.join("up-20260101000000-dir.dir");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("toc.dat"), b"x").unwrap();
        // A directory's time is its own, not its files'.
        std::fs::File::open(&folder)
            .unwrap()
            .set_modified(SystemTime::now() - 2 * day)
            .unwrap();

        let busy = HashSet::from(["up-20260101000000-busy".to_string()]);
        let removed = sweep(root.path(), day, SystemTime::now(), &busy).unwrap();
        assert_eq!(
            removed,
            [
                "up-20260101000000-cut",
                "up-20260101000000-dir",
                "up-20260101000000-old"
            ]
        );
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "notes.txt",
                "up-20260101000000-busy.dump",
                "up-20260101000000-fresh.dump"
            ]
        );
    }

    #[test]
    fn no_uploads_folder_is_nothing_to_sweep() {
        let root = tempfile::tempdir().unwrap();
        let removed = sweep(
            root.path(),
            KEEP_UPLOADS,
            SystemTime::now(),
            &HashSet::new(),
        );
        assert_eq!(removed.unwrap(), Vec::<String>::new());
    }
}
