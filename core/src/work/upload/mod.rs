//! Uploaded dumps: streamed to disk under a size limit, then checked. A custom-format dump is kept
//! as it is; a .tar.gz archive (as Scalingo's backups are) gives up the dump inside it; a plain SQL
//! file or anything else is refused with a sentence that says why.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::Utc;
use rand::Rng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::sysuser::free_space;

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpKind {
    /// pg_dump's custom format (starts with `PGDMP`).
    Custom,
    /// A gzip stream, expected to be a tar archive holding a dump.
    Gzip,
    /// A tar archive of a directory-format dump (its `toc.dat` and data files).
    Directory,
    /// Text that looks like SQL.
    PlainSql,
    Unknown,
}

impl DumpKind {
    /// How an upload was received, as the API and the pages name it: `custom`, `tar_gz` (a dump
    /// taken out of an archive) or `directory` (a directory-format dump taken out of one).
    pub fn received_as(self) -> &'static str {
        match self {
            DumpKind::Gzip => "tar_gz",
            DumpKind::Directory => "directory",
            _ => "custom",
        }
    }
}

/// Recognises a dump from its first bytes.
pub fn sniff(head: &[u8]) -> DumpKind {
    if head.starts_with(b"PGDMP") {
        DumpKind::Custom
    } else if head.starts_with(&[0x1f, 0x8b]) {
        DumpKind::Gzip
    } else {
        let text = String::from_utf8_lossy(&head[..head.len().min(512)]);
        let t = text.trim_start();
        let sql_start = ["--", "SET ", "CREATE ", "BEGIN", "\\", "SELECT "];
        if sql_start.iter().any(|p| t.starts_with(p)) {
            DumpKind::PlainSql
        } else {
            DumpKind::Unknown
        }
    }
}

/// How much an upload may take: as sent, once unpacked, and of the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// The most bytes received.
    pub max_bytes: u64,
    /// The most bytes a dump taken out of an archive may unpack to.
    pub max_unpacked_bytes: u64,
    /// Space that must stay free on the uploads' disk, whatever the limits allow.
    pub keep_free_bytes: u64,
}

impl UploadLimits {
    /// The limits from the configuration's upload limit: a dump is as large once unpacked as the
    /// limit allows it to be sent, and 1 GiB of the disk stays free.
    pub fn from_max(max_bytes: u64) -> Self {
        Self {
            max_bytes,
            max_unpacked_bytes: max_bytes,
            keep_free_bytes: 1 << 30,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("The upload is larger than the limit of {limit} bytes.")]
    TooLarge { limit: u64 },
    #[error(
        "The archive unpacks to more than the limit of {limit} bytes, so it was not kept; send the dump itself, or raise TIDEMARK_MAX_UPLOAD_BYTES."
    )]
    UnpacksTooLarge { limit: u64 },
    #[error(
        "The server's disk is nearly full ({free} bytes free, {keep} must stay free), so the upload was not kept; free some space first."
    )]
    DiskFull { free: u64, keep: u64 },
    #[error("The upload is empty.")]
    Empty,
    #[error(
        "This is a plain SQL dump. Tidemark restores pg_dump's custom format (pg_dump --format=custom); restore a plain dump with psql."
    )]
    PlainSql,
    #[error(
        "This is not a PostgreSQL dump: expected pg_dump's custom format or a .tar.gz archive holding one."
    )]
    NotADump,
    #[error("The .tar.gz archive holds no custom-format dump.")]
    NoDumpInArchive,
    #[error("The .tar.gz archive cannot be read: {0}")]
    BadArchive(String),
    #[error("The upload could not be stored: {0}")]
    Io(#[from] std::io::Error),
}

impl UploadError {
    /// Errors the uploader can fix, as opposed to the server's own trouble.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, UploadError::Io(_) | UploadError::DiskFull { .. })
    }
}

/// Refuses to go on when the disk holding `dir` would keep less than `keep` bytes free.
fn check_disk(dir: &Path, keep: u64) -> Result<(), UploadError> {
    match free_space(dir) {
        Some(free) if free < keep => Err(UploadError::DiskFull { free, keep }),
        _ => Ok(()),
    }
}

/// Bytes written during an extraction: refused past the limit, and the disk checked every
/// 64 MiB so an archive cannot fill it.
struct Budget<'a> {
    dir: &'a Path,
    limits: UploadLimits,
    written: u64,
    next_disk_check: u64,
}

impl<'a> Budget<'a> {
    const DISK_CHECK_EVERY: u64 = 64 << 20;

    fn new(dir: &'a Path, limits: UploadLimits) -> Self {
        Self {
            dir,
            limits,
            written: 0,
            next_disk_check: 0,
        }
    }

    /// Copies `from` into `to`, counting against the budget.
    fn copy(
        &mut self,
        from: &mut impl Read,
        to: &mut impl std::io::Write,
    ) -> Result<(), UploadError> {
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = from
                .read(&mut buf)
                .map_err(|e| UploadError::BadArchive(e.to_string()))?;
            if n == 0 {
                return Ok(());
            }
            self.written += n as u64;
            if self.written > self.limits.max_unpacked_bytes {
                return Err(UploadError::UnpacksTooLarge {
                    limit: self.limits.max_unpacked_bytes,
                });
            }
            if self.written >= self.next_disk_check {
                check_disk(self.dir, self.limits.keep_free_bytes)?;
                self.next_disk_check = self.written + Self::DISK_CHECK_EVERY;
            }
            to.write_all(&buf[..n])?;
        }
    }
}

/// A checked upload, ready to restore.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub id: String,
    /// Custom or Gzip (the dump was taken out of the archive).
    pub received_as: DumpKind,
    pub size_bytes: u64,
}

/// Where uploads live.
pub fn uploads_dir(artifacts_dir: &Path) -> PathBuf {
    artifacts_dir.join("uploads")
}

/// The dump of an upload (a custom-format file, or a directory-format dump's directory), if the
/// id is well-formed and the upload exists.
pub fn upload_path(artifacts_dir: &Path, id: &str) -> Option<PathBuf> {
    let well_formed = id.starts_with("up-")
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !well_formed {
        return None;
    }
    let dir = uploads_dir(artifacts_dir);
    [format!("{id}.dump"), format!("{id}.dir")]
        .into_iter()
        .map(|name| dir.join(name))
        .find(|p| p.exists())
}

struct Removed(PathBuf);

impl Drop for Removed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Streams `body` to disk (within `limits`), then checks it and keeps the dump. Nothing is
/// left behind when it is refused.
pub async fn receive(
    artifacts_dir: &Path,
    limits: &UploadLimits,
    mut body: impl AsyncRead + Unpin,
) -> Result<Upload, UploadError> {
    let limit = limits.max_bytes;
    let dir = uploads_dir(artifacts_dir);
    tokio::fs::create_dir_all(&dir).await?;
    check_disk(&dir, limits.keep_free_bytes)?;
    let suffix: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(10)
        .map(|c| char::from(c).to_ascii_lowercase())
        .collect();
    let id = format!("up-{}-{suffix}", Utc::now().format("%Y%m%d%H%M%S"));
    let partial = Removed(dir.join(format!("{id}.partial")));
    let mut file = tokio::fs::File::create(&partial.0).await?;
    let mut head: Vec<u8> = Vec::with_capacity(512);
    let mut received: u64 = 0;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = body.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        received += n as u64;
        if received > limit {
            return Err(UploadError::TooLarge { limit });
        }
        if received % (64 << 20) < n as u64 {
            check_disk(&dir, limits.keep_free_bytes)?;
        }
        if head.len() < 512 {
            let take = (512 - head.len()).min(n);
            head.extend_from_slice(&buf[..take]);
        }
        file.write_all(&buf[..n]).await?;
    }
    file.flush().await?;
    drop(file);
    if received == 0 {
        return Err(UploadError::Empty);
    }
    let file_path = dir.join(format!("{id}.dump"));
    let dir_path = dir.join(format!("{id}.dir"));
    let received_as = match sniff(&head) {
        DumpKind::Custom => {
            tokio::fs::rename(&partial.0, &file_path).await?;
            DumpKind::Custom
        }
        DumpKind::Gzip | DumpKind::Directory => {
            let from = partial.0.clone();
            let (to_file, to_dir) = (file_path.clone(), dir_path.clone());
            let (limits, uploads) = (*limits, dir.clone());
            tokio::task::spawn_blocking(move || {
                extract_dump(&from, &to_file, &to_dir, &mut Budget::new(&uploads, limits))
            })
            .await
            .map_err(|e| UploadError::BadArchive(e.to_string()))??
        }
        DumpKind::PlainSql => return Err(UploadError::PlainSql),
        DumpKind::Unknown => return Err(UploadError::NotADump),
    };
    let size_bytes = if received_as == DumpKind::Directory {
        dir_size(&dir_path)?
    } else {
        tokio::fs::metadata(&file_path).await?.len()
    };
    Ok(Upload {
        id,
        received_as,
        size_bytes,
    })
}

fn dir_size(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        total += entry?.metadata()?.len();
    }
    Ok(total)
}

/// Takes a dump out of a .tar.gz archive, streaming: the first custom-format file, or a
/// directory-format dump (the folder of its `toc.dat`, whose files are extracted together).
/// What is written counts against `budget`.
fn extract_dump(
    archive: &Path,
    to_file: &Path,
    to_dir: &Path,
    budget: &mut Budget<'_>,
) -> Result<DumpKind, UploadError> {
    let bad = |e: std::io::Error| UploadError::BadArchive(e.to_string());
    let open = || -> Result<tar::Archive<flate2::read::GzDecoder<std::fs::File>>, UploadError> {
        Ok(tar::Archive::new(flate2::read::GzDecoder::new(
            std::fs::File::open(archive)?,
        )))
    };
    // First pass: is there a directory-format dump?
    let mut toc_folder: Option<PathBuf> = None;
    for entry in open()?.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?.into_owned();
        if path.file_name().is_some_and(|n| n == "toc.dat") {
            toc_folder = Some(path.parent().map(Path::to_path_buf).unwrap_or_default());
            break;
        }
    }
    if let Some(folder) = toc_folder {
        let partial = RemovedDir(to_dir.with_extension("extracting"));
        std::fs::create_dir_all(&partial.0)?;
        for entry in open()?.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            let path = entry.path().map_err(bad)?.into_owned();
            // Only plain files directly in the dump's folder; no paths that climb out of it.
            let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            if parent != folder || !entry.header().entry_type().is_file() {
                continue;
            }
            let mut out = std::fs::File::create(partial.0.join(name))?;
            budget.copy(&mut entry, &mut out)?;
        }
        std::fs::rename(&partial.0, to_dir)?;
        return Ok(DumpKind::Directory);
    }
    for entry in open()?.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let mut magic = [0u8; 5];
        if entry.read_exact(&mut magic).is_err() || &magic != b"PGDMP" {
            continue;
        }
        let partial = Removed(to_file.with_extension("extracting"));
        let mut out = std::fs::File::create(&partial.0)?;
        std::io::Write::write_all(&mut out, &magic)?;
        budget.copy(&mut entry, &mut out)?;
        out.sync_all()?;
        std::fs::rename(&partial.0, to_file)?;
        return Ok(DumpKind::Gzip);
    }
    Err(UploadError::NoDumpInArchive)
}

/// A directory being filled, removed when dropped (a no-op once it has been renamed away).
struct RemovedDir(PathBuf);

impl Drop for RemovedDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests;
