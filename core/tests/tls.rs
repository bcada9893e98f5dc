//! TLS against a real cluster serving a certificate made by the test: with `verify-full`, a
//! server whose certificate another authority signed is refused, and the right authority lets
//! Tidemark's own connections and the tools it runs (pg_dump) in, over TLS; a connection URL's
//! `sslmode` and `sslrootcert` are honoured.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tidemark_core::pgtools::pg_dump::{ConnTarget, SslMode, dump_custom};
use tidemark_core::pgtools::run;
use tidemark_core::sysuser::RunAs;
use tidemark_core::testing::TestCluster;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An authority, and a certificate it signs for 127.0.0.1 and localhost.
fn make_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    for ca in ["ca", "other-ca"] {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.crt"),
                "-subj",
                &format!("/CN=Tidemark test {ca}"),
            ],
        );
    }
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.crt",
        ],
    );
    (
        dir.join("ca.crt"),
        dir.join("other-ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
    )
}

/// Turns TLS on in the running cluster with this certificate and key.
async fn serve_tls(t: &TestCluster, cert: &Path, key: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let pgdata = &t.cluster.paths.pgdata;
    let run_as = RunAs::for_current_process(&t.config.run_as_user).unwrap();
    for (from, name) in [(cert, "server.crt"), (key, "server.key")] {
        let to = pgdata.join(name);
        std::fs::copy(from, &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
        if let Some(user) = &run_as {
            user.chown(&to).unwrap();
        }
    }
    let pool = sqlx::PgPool::connect_with(t.cluster.connect_options("postgres"))
        .await
        .unwrap();
    for stmt in [
        "ALTER SYSTEM SET ssl = on",
        "ALTER SYSTEM SET ssl_cert_file = 'server.crt'",
        "ALTER SYSTEM SET ssl_key_file = 'server.key'",
        "SELECT pg_reload_conf()",
    ] {
        sqlx::query(stmt).execute(&pool).await.unwrap();
    }
    pool.close().await;
    // The reload is asynchronous: wait until a new session sees it.
    for _ in 0..50 {
        let pool = sqlx::PgPool::connect_with(t.cluster.connect_options("postgres"))
            .await
            .unwrap();
        let on: String = sqlx::query_scalar("SHOW ssl")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        if on == "on" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the cluster did not turn TLS on");
}

fn verifying(t: &TestCluster, root: &Path) -> ConnTarget {
    ConnTarget {
        ssl_mode: SslMode::VerifyFull,
        ssl_root_cert: Some(root.to_path_buf()),
        ..t.cluster.conn_target()
    }
}

#[tokio::test]
async fn verify_full_refuses_a_stranger_and_admits_the_right_authority() {
    let t = TestCluster::start().await;
    let certs = tempfile::tempdir().unwrap();
    let (ca, other_ca, cert, key) = make_certificates(certs.path());
    serve_tls(&t, &cert, &key).await;

    // Tidemark's own connection.
    let wrong = verifying(&t, &other_ca).connect().await;
    let why = format!(
        "{:#}",
        wrong.expect_err("a certificate from another authority")
    );
    assert!(why.contains("verify-full"), "{why}");
    let mut conn = verifying(&t, &ca)
        .connect()
        .await
        .expect("the right authority");
    let over_tls: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(over_tls);

    // The tools Tidemark runs get the same rules through their environment.
    let bin = t.config.pg_bin_dir.clone();
    let out = certs.path().join("x.dump");
    let refused = run(
        &dump_custom(&bin, &verifying(&t, &other_ca), &out),
        Duration::from_secs(60),
    )
    .await
    .expect_err("pg_dump refuses a stranger's certificate");
    assert!(
        refused.to_string().contains("certificate verify failed"),
        "{refused}"
    );
    run(
        &dump_custom(&bin, &verifying(&t, &ca), &out),
        Duration::from_secs(60),
    )
    .await
    .expect("pg_dump connects with the right authority");
    assert!(std::fs::metadata(&out).unwrap().len() > 0);

    // A URL's own sslmode and sslrootcert are what counts.
    let c = t.cluster.conn_target();
    let url = |root: &Path| {
        format!(
            "postgres://{}:{}@127.0.0.1:{}/{}?sslmode=verify-full&sslrootcert={}",
            c.user,
            c.password.as_ref().unwrap().expose(),
            c.port,
            c.dbname,
            root.display()
        )
    };
    let from_url = ConnTarget::from_url(&url(&other_ca)).unwrap();
    assert_eq!(from_url.ssl_mode, SslMode::VerifyFull);
    assert!(from_url.connect().await.is_err());
    assert!(
        ConnTarget::from_url(&url(&ca))
            .unwrap()
            .connect()
            .await
            .is_ok()
    );
    t.stop().await;
}
