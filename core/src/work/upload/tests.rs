//! Tests of `upload`.

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
