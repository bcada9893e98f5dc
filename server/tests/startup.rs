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
