//! Start-up failures as a user meets them: the real binary exits with one sentence naming the cause.

use std::process::Command;

/// Runs tidemark with the given environment and returns (exit code, everything it printed).
fn run_tidemark(env: &[(&str, &str)]) -> (i32, String) {
    let data = tempfile::tempdir().expect("temporary directory");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidemark"));
    cmd.env("TIDEMARK_DATA_DIR", data.path().join("data"))
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("tidemark runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn assert_one_clear_sentence(text: &str, expected: &str) {
    assert!(text.contains(expected), "expected {expected:?} in:\n{text}");
    assert!(
        !text.contains("panicked"),
        "a panic reached the user:\n{text}"
    );
    assert!(
        !text.contains("RUST_BACKTRACE"),
        "a panic reached the user:\n{text}"
    );
}

#[test]
fn a_port_in_use_is_named_with_the_setting_to_change() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("address").to_string();
    let (code, text) = run_tidemark(&[("TIDEMARK_LISTEN", &addr), ("TIDEMARK_EMBEDDED", "false")]);
    assert_eq!(code, 1);
    assert_one_clear_sentence(&text, &format!("the address {addr} is already in use"));
    assert!(text.contains("TIDEMARK_LISTEN"));
}

#[test]
fn a_missing_pgbackrest_names_the_package() {
    let (code, text) = run_tidemark(&[
        ("TIDEMARK_LISTEN", "127.0.0.1:0"),
        ("TIDEMARK_PGBACKREST", "/nonexistent/pgbackrest"),
    ]);
    assert_eq!(code, 1);
    assert_one_clear_sentence(&text, "install the Debian package pgbackrest");
}

#[test]
fn missing_postgresql_binaries_name_the_package() {
    let (code, text) = run_tidemark(&[
        ("TIDEMARK_LISTEN", "127.0.0.1:0"),
        ("TIDEMARK_PG_BIN_DIR", "/nonexistent/bin"),
    ]);
    assert_eq!(code, 1);
    assert_one_clear_sentence(&text, "install the Debian package postgresql-15");
}

#[test]
fn a_data_directory_that_cannot_be_written_is_named() {
    let file = tempfile::NamedTempFile::new().expect("file");
    let inside_a_file = file.path().join("data");
    let (code, text) = run_tidemark(&[
        ("TIDEMARK_LISTEN", "127.0.0.1:0"),
        (
            "TIDEMARK_DATA_DIR",
            inside_a_file.to_str().expect("utf-8 path"),
        ),
    ]);
    assert_eq!(code, 1);
    assert_one_clear_sentence(&text, "is not writable");
    assert!(text.contains("TIDEMARK_DATA_DIR"));
}

#[test]
fn an_invalid_setting_is_named() {
    let (code, text) = run_tidemark(&[("TIDEMARK_LISTEN", "localhost")]);
    assert_eq!(code, 2);
    assert_one_clear_sentence(&text, "TIDEMARK_LISTEN: 'localhost' is not an address");
}

mod common;

/// Modes of everything directly under `dir` (and `dir` itself), as `path mode`.
fn modes(dir: &std::path::Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = vec![(
        dir.display().to_string(),
        std::fs::metadata(dir).unwrap().permissions().mode() & 0o777,
    )];
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        out.push((
            entry.path().display().to_string(),
            entry.metadata().unwrap().permissions().mode() & 0o777,
        ));
    }
    out
}

#[tokio::test]
async fn the_data_directory_and_its_files_are_private_from_their_creation() {
    let data = tempfile::tempdir().expect("temporary directory");
    std::fs::set_permissions(
        data.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let dir = data.path().join("data");
    let port = common::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_tidemark"))
        .env("TIDEMARK_DATA_DIR", &dir)
        .env("TIDEMARK_LISTEN", format!("127.0.0.1:{port}"))
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = common::Running(Some(child));
    let http = reqwest::Client::new();
    common::wait_ready(&http, &format!("http://127.0.0.1:{port}"), &mut running).await;
    let log = running.stop();
    assert!(log.contains("one-time password"), "{log}");

    let as_root =
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(data.path()).unwrap()) == 0;
    // When the clusters run as another user, its group may pass through, and read nothing.
    let expected_dir = if as_root { 0o710 } else { 0o700 };
    let top = modes(&dir);
    assert_eq!(top[0].1, expected_dir, "{top:?}");
    for (path, mode) in &top[1..] {
        let name = path.rsplit('/').next().unwrap();
        match name {
            // Each cluster's directory belongs to the user running it, private to that user.
            "clusters" | "secrets" | "artifacts" | "backups" => {
                assert_eq!(mode & 0o077, 0, "{path} is {mode:o}")
            }
            _ => assert_eq!(*mode, 0o600, "{path} is {mode:o}"),
        }
    }
    assert!(
        top.iter().any(|(p, _)| p.ends_with("tidemark.db")),
        "{top:?}"
    );
    for (path, mode) in modes(&dir.join("secrets")) {
        assert_eq!(mode & 0o077, 0, "{path} is {mode:o}");
    }
}
