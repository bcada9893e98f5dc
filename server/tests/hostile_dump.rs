//! A hostile dump, built by the test with real PostgreSQL and sent through the API, cannot reach
//! the operating system: restored as the new database's owner (never a superuser), its
//! superuser-only content fails with one sentence naming the entry, and nothing is left behind:
//! no file from the attack, no half-filled database, no role.

use serde_json::{Value, json};
use tidemark_core::auth::Role;

mod common;
use common::{Served, client_with, parse_sse, serve, token_for};

/// Runs SQL as the cluster's superuser in `db` (the test builds its dumps this way).
async fn superuser_sql(s: &Served, db: &str, statements: &[String]) {
    let pool = sqlx::PgPool::connect_with(s.t.cluster.connect_options(db))
        .await
        .unwrap();
    for stmt in statements {
        sqlx::raw_sql(stmt)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    pool.close().await;
}

/// A source database made by the superuser with `statements`, dumped in custom format.
async fn hostile_dump(s: &Served, name: &str, statements: &[String]) -> Vec<u8> {
    superuser_sql(s, "postgres", &[format!("CREATE DATABASE {name}")]).await;
    superuser_sql(s, name, statements).await;
    let target = s.t.cluster.conn_target().on_database(name);
    let file = s.t.dir.path().join(format!("{name}.dump"));
    let out = std::process::Command::new(s.t.config.pg_bin("pg_dump"))
        .args(["--format=custom", "--no-owner"])
        .arg(format!("--file={}", file.display()))
        .arg(format!("--host={}", target.host))
        .arg(format!("--port={}", target.port))
        .arg(format!("--username={}", target.user))
        .arg(format!("--dbname={name}"))
        .env("PGPASSWORD", target.password.as_ref().unwrap().expose())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(file).unwrap()
}

/// Uploads the dump and restores it into `new_database` as an operator; the job's last status.
async fn restore_upload(
    s: &Served,
    operator: &reqwest::Client,
    dump: Vec<u8>,
    new_database: &str,
) -> Value {
    let res = operator
        .post(format!("{}/api/v1/databases/demo/uploads", s.base))
        .body(dump)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let upload: Value = res.json().await.unwrap();
    let res = operator
        .post(format!("{}/api/v1/databases/demo/restores", s.base))
        .json(&json!({
            "source_upload": upload["upload_id"],
            "target": "new_database",
            "new_database": new_database,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let job: Value = res.json().await.unwrap();
    let stream = operator
        .get(format!(
            "{}/api/v1/jobs/{}/events",
            s.base,
            job["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    parse_sse(&stream)
        .into_iter()
        .rev()
        .find(|(_, name, _)| name == "status")
        .map(|(_, _, v)| v["status"].clone())
        .unwrap()
}

/// Databases and roles on the cluster whose names start with `prefix`.
async fn left_behind(s: &Served, prefix: &str) -> Vec<String> {
    let pool = sqlx::PgPool::connect_with(s.t.cluster.connect_options("postgres"))
        .await
        .unwrap();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE $1 || '%'
         UNION ALL SELECT rolname::text FROM pg_roles WHERE rolname LIKE $1 || '%'
            OR rolname LIKE 'tidemark_job_%'",
    )
    .bind(prefix)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    names
}

#[tokio::test]
async fn a_hostile_dump_cannot_run_programs_and_leaves_nothing_behind() {
    let s = serve().await;
    let operator = client_with(&token_for(&s.t.store, "otto", Role::Operator).await);
    let marker = std::env::temp_dir().join(format!(
        "tidemark-hostile-{}",
        tidemark_core::auth::new_token("").expose()
    ));
    // A check constraint whose function runs a program: harmless in its own database, which
    // the test builds as a superuser, and armed anywhere else.
    let payload = vec![
        format!(
            "CREATE FUNCTION f() RETURNS boolean LANGUAGE plpgsql AS $f$
             BEGIN
               IF current_database() <> 'evil_src' THEN
                 EXECUTE 'COPY (SELECT 1) TO PROGRAM ''id > {}''';
               END IF;
               RETURN true;
             END $f$",
            marker.display()
        ),
        "CREATE TABLE t (id int CHECK (f()))".into(),
        "INSERT INTO t SELECT generate_series(1, 3)".into(),
    ];
    let dump = hostile_dump(&s, "evil_src", &payload).await;

    // The payload is real: restored by a superuser, it runs its program.
    superuser_sql(&s, "postgres", &["CREATE DATABASE evil_proof".into()]).await;
    let proof = s.t.dir.path().join("proof.dump");
    std::fs::write(&proof, &dump).unwrap();
    let target = s.t.cluster.conn_target();
    let out = std::process::Command::new(s.t.config.pg_bin("pg_restore"))
        .arg(format!("--host={}", target.host))
        .arg(format!("--port={}", target.port))
        .arg("--username=postgres")
        .arg("--dbname=evil_proof")
        .arg(&proof)
        .env("PGPASSWORD", target.password.as_ref().unwrap().expose())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(marker.exists(), "as a superuser, the dump runs its program");
    std::fs::remove_file(&marker).unwrap();
    superuser_sql(&s, "postgres", &["DROP DATABASE evil_proof".into()]).await;

    // Through Tidemark, it fails with one sentence that names the entry, and runs nothing.
    let status = restore_upload(&s, &operator, dump, "evil_copy").await;
    assert_eq!(status["state"], "failed", "{status}");
    let reason = status["reason"].as_str().unwrap();
    assert!(reason.contains("the dump's TABLE DATA t,"), "{reason}");
    assert!(reason.contains("needs a superuser"), "{reason}");
    assert!(reason.contains("pg_execute_server_program"), "{reason}");
    assert!(!marker.exists(), "the program did not run");
    assert_eq!(left_behind(&s, "evil_copy").await, Vec::<String>::new());

    // Other content only a superuser may make: an event trigger, a function in an untrusted
    // language.
    let trigger = hostile_dump(
        &s,
        "evil_trigger",
        &[
            "CREATE FUNCTION g() RETURNS event_trigger LANGUAGE plpgsql AS $g$ BEGIN END $g$"
                .into(),
            "CREATE EVENT TRIGGER watcher ON ddl_command_start EXECUTE FUNCTION g()".into(),
        ],
    )
    .await;
    let status = restore_upload(&s, &operator, trigger, "evil_trigger_copy").await;
    assert_eq!(status["state"], "failed", "{status}");
    let reason = status["reason"].as_str().unwrap();
    assert!(reason.contains("EVENT TRIGGER watcher"), "{reason}");
    assert_eq!(
        left_behind(&s, "evil_trigger_copy").await,
        Vec::<String>::new()
    );

    let untrusted = hostile_dump(
        &s,
        "evil_lang",
        &["CREATE FUNCTION my_abs(integer) RETURNS integer AS 'int4abs' LANGUAGE internal".into()],
    )
    .await;
    let status = restore_upload(&s, &operator, untrusted, "evil_lang_copy").await;
    assert_eq!(status["state"], "failed", "{status}");
    let reason = status["reason"].as_str().unwrap();
    assert!(reason.contains("FUNCTION my_abs(integer)"), "{reason}");
    assert!(reason.contains("language internal"), "{reason}");
    assert_eq!(
        left_behind(&s, "evil_lang_copy").await,
        Vec::<String>::new()
    );
    s.t.stop().await;
}
