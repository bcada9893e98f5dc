//! Restore jobs against a real cluster: a round trip keeps every kind of object, an in-place
//! restore keeps a safety copy of what it replaced, and bad requests change nothing.

use tidemark_core::jobs::{Job, JobId};
use tidemark_core::testing::TestJobs;
use tidemark_core::work::dump::start_dump;
use tidemark_core::work::restore::{
    RestoreRequest, RestoreSource, RestoreTarget, StartRestoreError, start_restore,
};

async fn fixture() -> TestJobs {
    TestJobs::start().await
}

async fn finished(f: &TestJobs, id: &JobId) -> Job {
    f.finished(id).await
}

async fn dump(f: &TestJobs) -> Job {
    let job = start_dump(
        &f.runner,
        &f.catalog,
        &f.t.config,
        "demo",
        &tidemark_core::testing::admin(),
    )
    .await
    .unwrap();
    let job = finished(f, &job.id).await;
    assert_eq!(job.status.name(), "succeeded", "{:?}", job.summary);
    job
}

async fn restore(f: &TestJobs, request: RestoreRequest) -> Result<Job, StartRestoreError> {
    start_restore(
        &f.runner,
        &f.catalog,
        &f.t.config,
        "demo",
        &tidemark_core::testing::admin(),
        request,
    )
    .await
}

fn new_db(source: &Job, name: &str) -> RestoreRequest {
    RestoreRequest {
        source: RestoreSource::DumpJob(source.id.to_string()),
        target: RestoreTarget::NewDatabase(name.into()),
        confirm: false,
        confirm_name: None,
    }
}

/// A plain, comparable dump of one database of the test cluster.
fn plain_dump(f: &TestJobs, dbname: &str) -> String {
    let target = f.t.cluster.conn_target();
    let out = std::process::Command::new(f.t.config.pg_bin("pg_dump"))
        .args(["--no-owner", "--no-privileges", "--no-comments", "--blobs"])
        .arg(format!("--host={}", target.host))
        .arg(format!("--port={}", target.port))
        .arg("--username=postgres")
        .arg(format!("--dbname={dbname}"))
        .env("PGPASSWORD", target.password.unwrap().expose())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        // Comments name the source; \restrict lines carry a random key per dump.
        .filter(|l| {
            !l.starts_with("--") && !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn count(f: &TestJobs, dbname: &str, table: &str) -> i64 {
    let pool = sqlx::PgPool::connect_with(f.t.cluster.connect_options(dbname))
        .await
        .unwrap();
    let n = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

const MANY_KINDS: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS hstore",
    "CREATE EXTENSION IF NOT EXISTS pgcrypto",
    "CREATE EXTENSION IF NOT EXISTS citext",
    "CREATE TABLE accounts (login citext PRIMARY KEY, secret bytea)",
    "INSERT INTO accounts VALUES ('Alice', digest('a', 'sha256')), ('BOB', digest('b', 'sha256'))",
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0)",
    "CREATE SEQUENCE ticket_seq START 100",
    "CREATE TABLE \"Mixed Case\" (id positive_int PRIMARY KEY, feeling mood, attrs hstore, ticket bigint DEFAULT nextval('ticket_seq'))",
    "CREATE TABLE \"données_été\" (\"clé\" text PRIMARY KEY, \"valeur ✓\" text)",
    "CREATE TABLE measurements (at date NOT NULL, value numeric) PARTITION BY RANGE (at)",
    "CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
    "CREATE TABLE audit (at timestamptz DEFAULT now(), what text)",
    "CREATE FUNCTION log_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit (what) VALUES (TG_OP); RETURN NEW; END $$",
    "CREATE TRIGGER mixed_audit AFTER INSERT ON \"Mixed Case\" FOR EACH ROW EXECUTE FUNCTION log_change()",
    "CREATE VIEW happy AS SELECT id FROM \"Mixed Case\" WHERE feeling = 'happy'",
    "CREATE INDEX donnees_trgm ON \"données_été\" USING gin (\"valeur ✓\" gin_trgm_ops)",
    "INSERT INTO \"Mixed Case\" (id, feeling, attrs) SELECT g, (ARRAY['sad','ok','happy']::mood[])[1 + g % 3], hstore('k', g::text) FROM generate_series(1, 50) g",
    "INSERT INTO \"données_été\" VALUES ('naïve', 'café ☕'), ('日本', '東京')",
    "INSERT INTO measurements SELECT date '2026-01-01' + g, g * 1.5 FROM generate_series(0, 99) g",
    "SELECT lo_from_bytea(0, 'a large object'::bytea)",
];

#[tokio::test]
async fn a_round_trip_into_a_new_database_keeps_every_kind_of_object() {
    let f = fixture().await;
    for stmt in MANY_KINDS {
        sqlx::query(stmt)
            .execute(f.t.cluster.pool())
            .await
            .unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    let source = dump(&f).await;
    let job = restore(&f, new_db(&source, "demo_copy")).await.unwrap();
    assert_eq!(job.params["target"], "new_database");
    let job = finished(&f, &job.id).await;
    assert_eq!(job.status.name(), "succeeded", "{:?}", job.summary);
    assert!(job.summary.as_deref().unwrap().contains("demo_copy"));
    assert_eq!(plain_dump(&f, "demo"), plain_dump(&f, "demo_copy"));

    // Restored as the new database's own owner, a role without superuser rights, through a
    // role made for the job that is gone afterwards.
    let admin = sqlx::PgPool::connect_with(f.t.cluster.connect_options("demo_copy"))
        .await
        .unwrap();
    let owners: Vec<(String, bool)> = sqlx::query_as(
        "SELECT DISTINCT r.rolname::text, r.rolsuper FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.oid = c.relowner
         WHERE n.nspname = 'public'
         UNION SELECT r.rolname::text, r.rolsuper FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
         WHERE d.datname = 'demo_copy'
         UNION SELECT r.rolname::text, r.rolsuper FROM pg_largeobject_metadata m
         JOIN pg_roles r ON r.oid = m.lomowner",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    assert_eq!(owners, [("demo_copy_owner".to_string(), false)]);
    let job_roles: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'tidemark_job_%'")
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(job_roles, 0);
    admin.close().await;

    // Progress counted the archive's entries, ending exactly at their number.
    let events = f.t.store.events_after(&job.id, 0).await.unwrap();
    let last = events
        .iter()
        .rev()
        .find_map(|e| match &e.body {
            tidemark_core::jobs::EventBody::Progress { progress }
                if progress.phase == "restoring" =>
            {
                Some(progress.clone())
            }
            _ => None,
        })
        .unwrap();
    assert!(last.total.unwrap() > 20, "{last:?}");
    assert_eq!(Some(last.done), last.total);

    // The same name again is refused, and nothing is started.
    let before = f.t.store.jobs(None, 100).await.unwrap().len();
    let err = restore(&f, new_db(&source, "demo_copy")).await.unwrap_err();
    assert!(matches!(err, StartRestoreError::Conflict(_)), "{err}");
    assert_eq!(f.t.store.jobs(None, 100).await.unwrap().len(), before);
}

#[tokio::test]
async fn an_in_place_restore_keeps_a_safety_copy_that_restores_to_the_old_data() {
    let f = fixture().await;
    let source = dump(&f).await;
    sqlx::query("INSERT INTO customers (name, email) SELECT 'Late ' || g, 'late' || g || '@example.com' FROM generate_series(1, 7) g")
        .execute(f.t.cluster.pool())
        .await
        .unwrap();
    assert_eq!(count(&f, "demo", "customers").await, 207);

    // Refused without the confirmation, or with the wrong name; nothing changes.
    let mut request = RestoreRequest {
        source: RestoreSource::DumpJob(source.id.to_string()),
        target: RestoreTarget::InPlace,
        confirm: false,
        confirm_name: Some("demo".into()),
    };
    let err = restore(&f, request.clone()).await.unwrap_err();
    assert!(
        matches!(
            err,
            StartRestoreError::Invalid {
                field: "confirm",
                ..
            }
        ),
        "{err}"
    );
    request.confirm = true;
    request.confirm_name = Some("dmeo".into());
    let err = restore(&f, request.clone()).await.unwrap_err();
    assert!(
        matches!(
            err,
            StartRestoreError::Invalid {
                field: "confirm_name",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(count(&f, "demo", "customers").await, 207);

    request.confirm_name = Some("demo".into());
    f.t.cluster.pool().close().await;
    let job = restore(&f, request).await.unwrap();
    let job = finished(&f, &job.id).await;
    assert_eq!(job.status.name(), "succeeded", "{:?}", job.summary);
    assert_eq!(
        count(&f, "demo", "customers").await,
        200,
        "the dump's data is back"
    );
    let summary = job.summary.clone().unwrap();
    let safety = job.artifact.clone().unwrap();
    assert!(safety.file_name.contains("before_restore"));
    assert!(summary.contains(&safety.file_name), "{summary}");

    // The safety copy is a dump like any other: restoring it brings back the replaced data.
    let back = restore(&f, new_db(&job, "demo_before")).await;
    // A restore job's artifact is its safety copy; restores take dumps only.
    assert!(matches!(
        back,
        Err(StartRestoreError::Invalid {
            field: "source_job",
            ..
        })
    ));
    let copy = tidemark_core::work::dump::artifact_path(&f.t.config.artifacts_dir(), &job.id);
    let admin = sqlx::PgPool::connect_with(f.t.cluster.connect_options("postgres"))
        .await
        .unwrap();
    sqlx::query("CREATE DATABASE safety_check")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let target = f.t.cluster.conn_target();
    let status = std::process::Command::new(f.t.config.pg_bin("pg_restore"))
        .args(["--no-owner", "--dbname=safety_check"])
        .arg(format!("--host={}", target.host))
        .arg(format!("--port={}", target.port))
        .arg("--username=postgres")
        .env("PGPASSWORD", target.password.unwrap().expose())
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(count(&f, "safety_check", "customers").await, 207);
}

#[tokio::test]
async fn bad_requests_name_their_field_and_start_nothing() {
    let f = fixture().await;
    let source = dump(&f).await;
    let cases = [
        (new_db(&source, "Bad-Name"), "new_database"),
        (new_db(&source, "1st"), "new_database"),
        (
            RestoreRequest {
                source: RestoreSource::DumpJob("../../etc/passwd".into()),
                ..new_db(&source, "fine")
            },
            "source_job",
        ),
        (
            RestoreRequest {
                source: RestoreSource::DumpJob("20260101000000-nosuchjob".into()),
                ..new_db(&source, "fine")
            },
            "source_job",
        ),
    ];
    let before = f.t.store.jobs(None, 100).await.unwrap().len();
    for (request, field) in cases {
        match restore(&f, request).await {
            Err(StartRestoreError::Invalid {
                field: got,
                message,
            }) => {
                assert_eq!(got, field, "{message}");
                assert!(!message.is_empty());
            }
            other => panic!("expected a refusal naming {field}, got {other:?}"),
        }
    }
    assert_eq!(f.t.store.jobs(None, 100).await.unwrap().len(), before);
}

#[tokio::test]
async fn a_restore_into_an_unreachable_server_is_refused_before_it_starts() {
    let f = fixture().await;
    let source = dump(&f).await;
    f.t.cluster.stop().await.unwrap();
    let before = f.t.store.jobs(None, 100).await.unwrap().len();
    let err = restore(
        &f,
        RestoreRequest {
            source: RestoreSource::DumpJob(source.id.to_string()),
            target: RestoreTarget::InPlace,
            confirm: true,
            confirm_name: Some("demo".into()),
        },
    )
    .await
    .unwrap_err();
    let StartRestoreError::Preflight(checks) = &err else {
        panic!("expected a preflight refusal, got {err:?}");
    };
    let reachable = checks.iter().find(|c| c.name == "reachable").unwrap();
    assert!(!reachable.ok);
    assert!(
        reachable.message.contains("firewall"),
        "{}",
        reachable.message
    );
    assert!(err.to_string().contains("cannot reach"), "{err}");
    assert_eq!(f.t.store.jobs(None, 100).await.unwrap().len(), before);
}

/// TimescaleDB is not packaged for this machine, so the target gets SQL functions with the names of
/// its restore procedure that write each call to the server log: the wrapper only talks to those.
/// They go into template1, so that a database created for a restore has them.
async fn fake_timescale_in_template(f: &TestJobs, extra: &[&str]) {
    let pool = sqlx::PgPool::connect_with(f.t.cluster.connect_options("template1"))
        .await
        .unwrap();
    for name in ["pre", "post"] {
        sqlx::query(&format!(
            "CREATE FUNCTION timescaledb_{name}_restore() RETURNS boolean LANGUAGE plpgsql AS $$
             BEGIN RAISE LOG 'fake-timescaledb: {name}_restore in %', current_database(); RETURN true; END $$"
        ))
        .execute(&pool)
        .await
        .unwrap();
    }
    for stmt in extra {
        sqlx::query(stmt).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

/// The fake procedure's calls for one database, in order, from the server log.
fn timescale_calls(f: &TestJobs, db: &str) -> Vec<String> {
    let log = std::fs::read_to_string(&f.t.cluster.paths.log_file).unwrap();
    log.lines()
        .filter_map(|l| {
            l.split_once("fake-timescaledb: ")
                .map(|(_, rest)| rest.to_string())
        })
        .filter(|rest| rest.ends_with(&format!(" in {db}")))
        .collect()
}

async fn log_lines(f: &TestJobs, job: &Job) -> Vec<String> {
    f.t.store
        .events_after(&job.id, 0)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.body {
            tidemark_core::jobs::EventBody::Log { line } => Some(line),
            _ => None,
        })
        .collect()
}

/// Connections pg_restore opened to `db`, from the server's log (with log_connections on): one
/// per process it ran.
fn pg_restore_connections(f: &TestJobs, db: &str) -> usize {
    let log = std::fs::read_to_string(&f.t.cluster.paths.log_file).unwrap();
    log.lines()
        .filter(|l| {
            l.contains("connection authorized:")
                && l.contains(&format!("database={db} "))
                && l.contains("application_name=tidemark-pg_restore")
        })
        .count()
}

async fn log_connections(f: &TestJobs) {
    for stmt in [
        "ALTER SYSTEM SET log_connections = on",
        "SELECT pg_reload_conf()",
    ] {
        sqlx::query(stmt).execute(f.t.cluster.pool()).await.unwrap();
    }
}

#[tokio::test]
async fn a_timescaledb_target_is_restored_between_pre_and_post_with_one_process() {
    let f = fixture().await;
    let source = dump(&f).await;
    log_connections(&f).await;
    // Without TimescaleDB, pg_restore runs its parallel processes, each with its connection.
    let parallel = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let job = restore(&f, new_db(&source, "plain_copy")).await.unwrap();
    assert_eq!(finished(&f, &job.id).await.status.name(), "succeeded");
    if parallel > 1 {
        // The leader's connections, and one per worker.
        let n = pg_restore_connections(&f, "plain_copy");
        assert!(n > parallel, "{n} connections for {parallel} processes");
    }

    fake_timescale_in_template(&f, &[]).await;
    let job = restore(&f, new_db(&source, "ts_ok")).await.unwrap();
    let job = finished(&f, &job.id).await;
    assert_eq!(job.status.name(), "succeeded", "{:?}", job.summary);
    assert_eq!(
        timescale_calls(&f, "ts_ok"),
        ["pre_restore in ts_ok", "post_restore in ts_ok"]
    );
    // With it, pg_restore ran as one process: one connection.
    assert_eq!(pg_restore_connections(&f, "ts_ok"), 1);
    let log = log_lines(&f, &job).await.join("\n");
    assert!(log.contains("restoring with one process"), "{log}");
    assert_eq!(count(&f, "ts_ok", "customers").await, 200);
}

#[tokio::test]
async fn post_restore_runs_even_when_the_restore_fails() {
    let f = fixture().await;
    let source = dump(&f).await;
    // A view on a table the dump replaces makes pg_restore's clean-up fail.
    fake_timescale_in_template(
        &f,
        &[
            "CREATE TABLE customers (id int)",
            "CREATE VIEW customers_view AS SELECT * FROM customers",
        ],
    )
    .await;
    let job = restore(&f, new_db(&source, "ts_fail")).await.unwrap();
    let job = finished(&f, &job.id).await;
    assert_eq!(job.status.name(), "failed");
    assert!(
        job.summary
            .as_deref()
            .unwrap()
            .contains("pg_restore failed"),
        "{:?}",
        job.summary
    );
    assert_eq!(
        timescale_calls(&f, "ts_fail"),
        ["pre_restore in ts_fail", "post_restore in ts_fail"]
    );
    // The half-filled new database was removed.
    let admin = sqlx::PgPool::connect_with(f.t.cluster.connect_options("postgres"))
        .await
        .unwrap();
    let left: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'ts_fail')")
            .fetch_one(&admin)
            .await
            .unwrap();
    assert!(!left);
}
