//! Uploaded dumps: streamed to disk under a size limit, then checked. A custom-format dump is kept
//! as it is; a .tar.gz archive (as Scalingo's backups are) gives up the dump inside it; a plain SQL
//! file or anything else is refused with a sentence that says why.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::Utc;
use rand::Rng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

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

/// Free bytes on the file system holding `dir`.
pub fn free_space(dir: &Path) -> Option<u64> {
    let stat = nix::sys::statvfs::statvfs(dir).ok()?;
    Some(stat.blocks_available() * stat.fragment_size())
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
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_apart_by_their_first_bytes() {
        assert_eq!(sniff(b"PGDMP\x01\x0e\x00"), DumpKind::Custom);
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), DumpKind::Gzip);
        assert_eq!(
            sniff(b"--\n-- PostgreSQL database dump\n"),
            DumpKind::PlainSql
        );
        assert_eq!(sniff(b"\x00\x01garbage"), DumpKind::Unknown);
        assert_eq!(sniff(b""), DumpKind::Unknown);
    }

    fn tar_gz_with(name: &str, content: &[u8]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, content).unwrap();
        let raw = tar.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &raw).unwrap();
        gz.finish().unwrap()
    }

    #[tokio::test]
    async fn a_custom_dump_is_kept_and_an_archive_gives_up_its_dump() {
        let dir = tempfile::tempdir().unwrap();
        let up = receive(
            dir.path(),
            &UploadLimits::from_max(1 << 20),
            &b"PGDMP-fake-dump"[..],
        )
        .await
        .unwrap();
        assert_eq!(up.received_as, DumpKind::Custom);
        let path = upload_path(dir.path(), &up.id).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"PGDMP-fake-dump");

        let archive = tar_gz_with("20231207000608_my_app_4553.pgsql", b"PGDMP-inside");
        let up = receive(dir.path(), &UploadLimits::from_max(1 << 20), &archive[..])
            .await
            .unwrap();
        assert_eq!(up.received_as, DumpKind::Gzip);
        let path = upload_path(dir.path(), &up.id).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"PGDMP-inside");
    }

    #[tokio::test]
    async fn a_directory_format_dump_in_an_archive_is_kept_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut tar = tar::Builder::new(Vec::new());
        for (name, content) in [
            ("demo.dir/toc.dat", &b"PGDMP-toc"[..]),
            ("demo.dir/3355.dat.gz", &b"data"[..]),
            ("notes.txt", &b"not part of the dump"[..]),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, content).unwrap();
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
        let up = receive(
            dir.path(),
            &UploadLimits::from_max(1 << 20),
            &gz.finish().unwrap()[..],
        )
        .await
        .unwrap();
        assert_eq!(up.received_as, DumpKind::Directory);
        let path = upload_path(dir.path(), &up.id).unwrap();
        assert!(path.is_dir());
        let mut names: Vec<_> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["3355.dat.gz", "toc.dat"]);
    }

    #[tokio::test]
    async fn refusals_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        type Expect = fn(&UploadError) -> bool;
        let cases: Vec<(Vec<u8>, Expect)> = vec![
            (b"-- PostgreSQL database dump\nSET x = 1;".to_vec(), |e| {
                matches!(e, UploadError::PlainSql)
            }),
            (b"\x00\x00\x00 not a dump".to_vec(), |e| {
                matches!(e, UploadError::NotADump)
            }),
            (Vec::new(), |e| matches!(e, UploadError::Empty)),
            (tar_gz_with("notes.txt", b"hello"), |e| {
                matches!(e, UploadError::NoDumpInArchive)
            }),
            (vec![0x1f, 0x8b, 0, 1, 2, 3], |e| {
                matches!(e, UploadError::BadArchive(_))
            }),
            (vec![b'P'; 2048], |e| {
                matches!(e, UploadError::TooLarge { .. })
            }),
        ];
        for (body, expected) in cases {
            let limits = UploadLimits {
                keep_free_bytes: 0,
                ..UploadLimits::from_max(1024)
            };
            let err = receive(dir.path(), &limits, &body[..]).await.unwrap_err();
            assert!(expected(&err), "{err}");
            assert!(err.is_client_error());
        }
        let left: Vec<_> = std::fs::read_dir(uploads_dir(dir.path()))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[tokio::test]
    async fn an_archive_that_unpacks_past_the_limit_is_refused_and_nothing_stays() {
        let dir = tempfile::tempdir().unwrap();
        // 4 MiB of the same byte behind a dump's magic: a few kB once compressed.
        let mut content = b"PGDMP".to_vec();
        content.resize(4 << 20, b'x');
        let archive = tar_gz_with("bomb.pgsql", &content);
        assert!(archive.len() < 64 << 10, "{}", archive.len());
        let limits = UploadLimits {
            max_bytes: 1 << 20,
            max_unpacked_bytes: 1 << 20,
            keep_free_bytes: 0,
        };
        let err = receive(dir.path(), &limits, &archive[..])
            .await
            .unwrap_err();
        assert!(matches!(err, UploadError::UnpacksTooLarge { .. }), "{err}");
        assert!(err.is_client_error());
        let left: Vec<_> = std::fs::read_dir(uploads_dir(dir.path()))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[tokio::test]
    async fn a_nearly_full_disk_refuses_the_upload() {
        let dir = tempfile::tempdir().unwrap();
        let limits = UploadLimits {
            keep_free_bytes: u64::MAX,
            ..UploadLimits::from_max(1 << 20)
        };
        let err = receive(dir.path(), &limits, &b"PGDMP-fake"[..])
            .await
            .unwrap_err();
        assert!(matches!(err, UploadError::DiskFull { .. }), "{err}");
        assert!(err.to_string().contains("must stay free"), "{err}");
    }

    #[test]
    fn upload_ids_from_requests_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(uploads_dir(dir.path())).unwrap();
        std::fs::write(
            uploads_dir(dir.path()).join("up-20261122000000-abc.dump"),
            b"PGDMP",
        )
        .unwrap();
        assert!(upload_path(dir.path(), "up-20261122000000-abc").is_some());
        assert!(upload_path(dir.path(), "up-20261122000000-none").is_none());
        assert!(upload_path(dir.path(), "../x").is_none());
        assert!(upload_path(dir.path(), "up-../../etc").is_none());
    }
}
