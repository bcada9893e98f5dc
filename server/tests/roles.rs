//! Every action × every role, through both doors (the REST API and the pages' server functions),
//! over real HTTP against a real cluster. The least role of each action is written out here, not
//! taken from the code under test. A refusal is exactly `403 forbidden`, leaves everything as it
//! was, and is recorded in the audit log; an allowed call is never refused for its role.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tidemark_core::auth::Role;

mod common;
use common::{Served, client_with, serve, token_for};

/// One call through one door.
#[derive(Clone)]
enum Call {
    Rest(reqwest::Method, String, Option<Value>),
    Upload(String, Vec<u8>),
    ServerFn(&'static str, Vec<(&'static str, String)>),
}

/// An action, the least role it needs, and its calls: `refused` is a request that would change
/// something (sent by roles below the least); `allowed` is sent by the others, and may fail
/// for another reason than the role (such as a missing confirmation), so nothing heavy runs.
struct Case {
    action: &'static str,
    least: Role,
    refused: Vec<Call>,
    allowed: Vec<Call>,
}

fn rest(method: reqwest::Method, path: &str, body: Option<Value>) -> Call {
    Call::Rest(method, path.to_string(), body)
}

fn server_fn(name: &'static str, form: &[(&'static str, &str)]) -> Call {
    Call::ServerFn(
        name,
        form.iter().map(|(k, v)| (*k, v.to_string())).collect(),
    )
}

async fn send(base: &str, client: &reqwest::Client, call: &Call) -> (StatusCode, String) {
    let res = match call {
        Call::Rest(method, path, body) => {
            let req = client.request(method.clone(), format!("{base}{path}"));
            match body {
                Some(b) => req.json(b),
                None => req,
            }
            .send()
            .await
        }
        Call::Upload(path, bytes) => {
            client
                .post(format!("{base}{path}"))
                .body(bytes.clone())
                .send()
                .await
        }
        Call::ServerFn(name, form) => {
            client
                .post(format!("{base}/_fn/{name}"))
                .form(form)
                .send()
                .await
        }
    }
    .unwrap();
    (res.status(), res.text().await.unwrap())
}

fn describe(call: &Call) -> String {
    match call {
        Call::Rest(m, p, _) => format!("{m} {p}"),
        Call::Upload(p, _) => format!("POST {p} (file)"),
        Call::ServerFn(n, _) => format!("/_fn/{n}"),
    }
}

/// Everything an action could change, as text to compare before and after a refusal. Jobs are
/// listed without their states (those started by allowed calls move on by themselves), except
/// the held one, whose state a refused cancel must leave alone.
async fn state_of(s: &Served, held: &str) -> String {
    let store = &s.t.store;
    let jobs: Vec<String> = store
        .jobs(None, 500)
        .await
        .unwrap()
        .into_iter()
        .map(|j| {
            let state = if j.id.as_str() == held {
                j.status.name()
            } else {
                ""
            };
            format!("{} {} {state}", j.id, j.kind.as_str())
        })
        .collect();
    let users: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| format!("{} {} {}", u.name, u.role, u.disabled))
        .collect();
    let tokens = store.tokens(None).await.unwrap().len();
    let schedule: Value = s
        .http
        .get(format!("{}/api/v1/databases/demo/schedule", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uploads = std::fs::read_dir(s.t.config.artifacts_dir().join("uploads"))
        .map(|d| d.count())
        .unwrap_or(0);
    let mut links = 0;
    for job in store.jobs(None, 500).await.unwrap() {
        links += store
            .share_links("job", job.id.as_str())
            .await
            .unwrap()
            .len();
    }
    let databases: Vec<String> = {
        let pool = sqlx::PgPool::connect_with(s.t.cluster.connect_options("postgres"))
            .await
            .unwrap();
        let names = sqlx::query_scalar("SELECT datname::text FROM pg_database ORDER BY 1")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        names
    };
    format!(
        "jobs {jobs:?}\nusers {users:?}\ntokens {tokens}\nschedule {} {}\nuploads {uploads}\nlinks {links}\ndatabases {databases:?}",
        schedule["enabled"], schedule["hour"]
    )
}

/// What an audit entry says: action, outcome, database, target.
type Record = (String, String, Option<String>, String);

/// An audit entry without its time and address, and with numbers (job ids, link ids) blurred:
/// what two doors must record alike.
fn record_of(e: &tidemark_core::store::AuditEntry) -> Record {
    let blur = |t: &str| {
        t.chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect::<String>()
    };
    (
        e.action.clone(),
        blur(&e.outcome),
        e.database.clone(),
        blur(&e.target.clone().unwrap_or_default())
            .split('-')
            .next()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Waits until the job's state is `state`.
async fn wait_for(s: &Served, id: &str, state: &str) {
    for _ in 0..600 {
        let job =
            s.t.store
                .job(&tidemark_core::jobs::JobId(id.into()))
                .await
                .unwrap()
                .unwrap();
        if job.status.name() == state {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("job {id} did not reach {state}");
}

#[tokio::test]
async fn every_action_is_refused_below_its_role_through_both_doors() {
    let s = serve().await;
    let base = s.base.clone();
    let users = [
        (Role::Viewer, "vera"),
        (Role::Operator, "otto"),
        (Role::Admin, "ada"),
    ];
    let mut clients = Vec::new();
    for (role, name) in users {
        clients.push((
            role,
            name,
            client_with(&token_for(&s.t.store, name, role).await),
        ));
    }

    // A finished dump (to download, share and restore from) and its file, for uploads.
    let done = common::post_json(&s.http, &format!("{base}/api/v1/databases/demo/dumps")).await;
    let done = done["id"].as_str().unwrap().to_string();
    wait_for(&s, &done, "succeeded").await;
    let dump_bytes =
        std::fs::read(s.t.config.artifacts_dir().join(format!("{done}.dump"))).unwrap();

    // A dump kept running by a lock on a table, to cancel.
    let (held, lock) = common::held_dump(&s).await;
    wait_for(&s, &held, "running").await;

    let now = chrono::Utc::now().to_rfc3339();
    let db = "/api/v1/databases/demo";
    let dump_source = format!("dump:{done}");
    use reqwest::Method as M;
    let cases = vec![
        Case {
            action: "read",
            least: Role::Viewer,
            refused: vec![],
            allowed: vec![
                rest(M::GET, db, None),
                rest(M::GET, &format!("{db}/backups"), None),
                rest(M::GET, &format!("{db}/verifications"), None),
                rest(M::GET, &format!("{db}/pitr-drills"), None),
                rest(M::GET, &format!("{db}/repository-checks"), None),
                rest(M::GET, &format!("/api/v1/jobs/{done}"), None),
                server_fn("backups_tab", &[("id", "demo")]),
                server_fn("databases", &[]),
                server_fn("job_page", &[("id", &done)]),
                server_fn("list_jobs", &[]),
            ],
        },
        Case {
            action: "download",
            least: Role::Viewer,
            refused: vec![],
            allowed: vec![rest(M::GET, &format!("/api/v1/jobs/{done}/artifact"), None)],
        },
        Case {
            action: "manual_backup",
            least: Role::Operator,
            refused: vec![
                rest(M::POST, &format!("{db}/backups"), None),
                server_fn("trigger_backup", &[("id", "demo")]),
            ],
            allowed: vec![
                rest(M::POST, &format!("{db}/backups"), None),
                server_fn("trigger_backup", &[("id", "demo")]),
            ],
        },
        Case {
            action: "verify_backup",
            least: Role::Operator,
            refused: vec![
                rest(M::POST, &format!("{db}/backups/nope/verifications"), None),
                server_fn("verify_backup", &[("id", "demo"), ("backup", "nope")]),
                rest(M::POST, &format!("{db}/pitr-drills"), None),
                server_fn("run_drill", &[("id", "demo")]),
            ],
            allowed: vec![
                rest(M::POST, &format!("{db}/backups/nope/verifications"), None),
                server_fn("verify_backup", &[("id", "demo"), ("backup", "nope")]),
            ],
        },
        Case {
            action: "dump",
            least: Role::Operator,
            refused: vec![
                rest(M::POST, &format!("{db}/dumps"), None),
                server_fn("start_dump", &[("id", "demo")]),
            ],
            allowed: vec![server_fn("start_dump", &[("id", "demo")])],
        },
        Case {
            action: "upload",
            least: Role::Operator,
            refused: vec![
                Call::Upload(format!("{db}/uploads"), dump_bytes.clone()),
                rest(M::POST, &format!("{db}/backups/latest/uploads"), None),
                server_fn("stage_backup", &[("id", "demo"), ("backup", "latest")]),
            ],
            allowed: vec![
                Call::Upload(format!("{db}/uploads"), dump_bytes.clone()),
                server_fn("stage_backup", &[("id", "demo"), ("backup", "latest")]),
            ],
        },
        Case {
            action: "restore_into_new_database",
            least: Role::Operator,
            refused: vec![
                rest(
                    M::POST,
                    &format!("{db}/restores"),
                    Some(
                        json!({"source_job": done, "target": "new_database", "new_database": "matrix_copy"}),
                    ),
                ),
                rest(
                    M::POST,
                    &format!("{db}/restores/preflight"),
                    Some(
                        json!({"source_job": done, "target": "new_database", "new_database": "matrix_copy"}),
                    ),
                ),
                server_fn(
                    "start_restore",
                    &[
                        ("id", "demo"),
                        ("source", &dump_source),
                        ("target", "new_database"),
                        ("new_database", "matrix_copy"),
                    ],
                ),
                server_fn(
                    "restore_preflight",
                    &[
                        ("id", "demo"),
                        ("source", &dump_source),
                        ("target", "new_database"),
                        ("new_database", "matrix_copy"),
                    ],
                ),
            ],
            // A name no database may have: refused for that, after the role passed.
            allowed: vec![
                rest(
                    M::POST,
                    &format!("{db}/restores"),
                    Some(
                        json!({"source_job": done, "target": "new_database", "new_database": "Not Valid"}),
                    ),
                ),
                server_fn(
                    "start_restore",
                    &[
                        ("id", "demo"),
                        ("source", &dump_source),
                        ("target", "new_database"),
                        ("new_database", "Not Valid"),
                    ],
                ),
            ],
        },
        Case {
            action: "cancel_job",
            least: Role::Operator,
            refused: vec![
                rest(M::POST, &format!("/api/v1/jobs/{held}/cancel"), None),
                server_fn("cancel_job", &[("id", &held)]),
            ],
            allowed: vec![
                rest(M::POST, &format!("/api/v1/jobs/{held}/cancel"), None),
                server_fn("cancel_job", &[("id", &held)]),
            ],
        },
        Case {
            action: "create_share_link",
            least: Role::Operator,
            refused: vec![
                rest(M::POST, &format!("/api/v1/jobs/{done}/share-links"), None),
                server_fn("share_job", &[("id", &done)]),
                rest(M::POST, &format!("{db}/backups/nope/share-links"), None),
                server_fn("share_backup", &[("id", "demo"), ("backup", "nope")]),
            ],
            allowed: vec![
                rest(M::POST, &format!("/api/v1/jobs/{done}/share-links"), None),
                server_fn("share_job", &[("id", &done)]),
            ],
        },
        Case {
            action: "restore_in_place",
            least: Role::Admin,
            refused: vec![
                rest(
                    M::POST,
                    &format!("{db}/restores"),
                    Some(
                        json!({"source_job": done, "target": "in_place", "confirm": true, "confirm_name": "demo"}),
                    ),
                ),
                rest(
                    M::POST,
                    &format!("{db}/restores/preflight"),
                    Some(
                        json!({"source_job": done, "target": "in_place", "confirm": true, "confirm_name": "demo"}),
                    ),
                ),
                server_fn(
                    "start_restore",
                    &[
                        ("id", "demo"),
                        ("source", &dump_source),
                        ("target", "in_place"),
                        ("confirm_name", "demo"),
                    ],
                ),
            ],
            // Without the confirmation: refused for that.
            allowed: vec![
                rest(
                    M::POST,
                    &format!("{db}/restores"),
                    Some(json!({"source_job": done, "target": "in_place", "confirm": false})),
                ),
                server_fn(
                    "start_restore",
                    &[
                        ("id", "demo"),
                        ("source", &dump_source),
                        ("target", "in_place"),
                    ],
                ),
            ],
        },
        Case {
            action: "pitr_restore",
            least: Role::Admin,
            refused: vec![
                rest(
                    M::POST,
                    &format!("{db}/pitr-restores"),
                    Some(json!({"restore_time": now, "confirm": true})),
                ),
                server_fn(
                    "start_pitr",
                    &[("id", "demo"), ("restore_time", &now), ("confirm", "on")],
                ),
            ],
            allowed: vec![
                rest(
                    M::POST,
                    &format!("{db}/pitr-restores"),
                    Some(json!({"restore_time": now, "confirm": false})),
                ),
                server_fn("start_pitr", &[("id", "demo"), ("restore_time", &now)]),
            ],
        },
        Case {
            action: "change_schedule",
            least: Role::Admin,
            refused: vec![
                rest(
                    M::PUT,
                    &format!("{db}/schedule"),
                    Some(json!({"enabled": true, "hour": 7})),
                ),
                server_fn(
                    "save_schedule",
                    &[("id", "demo"), ("hour", "7"), ("enabled", "on")],
                ),
            ],
            allowed: vec![
                rest(
                    M::PUT,
                    &format!("{db}/schedule"),
                    Some(json!({"enabled": true, "hour": 7})),
                ),
                server_fn(
                    "save_schedule",
                    &[("id", "demo"), ("hour", "8"), ("enabled", "on")],
                ),
            ],
        },
        Case {
            action: "change_firewall",
            least: Role::Admin,
            refused: vec![
                rest(
                    M::POST,
                    &format!("{db}/firewall-rules"),
                    Some(json!({"cidr": "203.0.113.0/24", "label": "Office"})),
                ),
                rest(M::DELETE, &format!("{db}/firewall-rules/r1"), None),
                server_fn(
                    "add_firewall_rule",
                    &[
                        ("id", "demo"),
                        ("cidr", "203.0.113.0/24"),
                        ("label", "Office"),
                    ],
                ),
                server_fn("remove_firewall_rule", &[("id", "demo"), ("rule", "r1")]),
            ],
            // The demo database has no firewall: refused for that.
            allowed: vec![
                rest(
                    M::POST,
                    &format!("{db}/firewall-rules"),
                    Some(json!({"cidr": "203.0.113.0/24", "label": "Office"})),
                ),
                server_fn("remove_firewall_rule", &[("id", "demo"), ("rule", "r1")]),
            ],
        },
        Case {
            action: "discard_safety_copy",
            least: Role::Admin,
            refused: vec![
                rest(M::DELETE, &format!("{db}/safety-copies/x"), None),
                server_fn("discard_safety_copy", &[("id", "demo"), ("copy", "x")]),
            ],
            allowed: vec![
                rest(M::DELETE, &format!("{db}/safety-copies/x"), None),
                server_fn("discard_safety_copy", &[("id", "demo"), ("copy", "x")]),
            ],
        },
        Case {
            action: "manage_users",
            least: Role::Admin,
            refused: vec![
                rest(M::GET, "/api/v1/users", None),
                rest(
                    M::POST,
                    "/api/v1/users",
                    Some(json!({"name": "mallory", "role": "admin"})),
                ),
                rest(
                    M::PATCH,
                    "/api/v1/users/vera",
                    Some(json!({"role": "admin"})),
                ),
                server_fn("add_user", &[("name", "mallory"), ("role", "admin")]),
            ],
            allowed: vec![
                rest(M::GET, "/api/v1/users", None),
                server_fn("add_user", &[("name", "new-viewer"), ("role", "viewer")]),
            ],
        },
        Case {
            action: "read_audit",
            least: Role::Admin,
            refused: vec![rest(M::GET, "/api/v1/audit", None), server_fn("admin", &[])],
            allowed: vec![rest(M::GET, "/api/v1/audit", None), server_fn("admin", &[])],
        },
    ];
    assert_eq!(cases.len(), 16, "one case per action");

    let mut checked = 0;
    let mut compared = 0;
    for case in &cases {
        for (role, name, client) in &clients {
            // What each door left in the audit log, to compare the two doors' records.
            let mut records: Vec<(bool, Record)> = Vec::new();
            if *role < case.least {
                for call in &case.refused {
                    let before = state_of(&s, &held).await;
                    let (status, body) = send(&base, client, call).await;
                    let what = format!("{name} ({role}) {} for {}", describe(call), case.action);
                    assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
                    let v: Value = serde_json::from_str(&body).unwrap();
                    if matches!(call, Call::ServerFn(..)) {
                        assert_eq!(v["kind"], "denied", "{what}: {body}");
                        assert!(v["message"].as_str().unwrap().contains("role"), "{what}");
                    } else {
                        assert_eq!(v["error"]["code"], "forbidden", "{what}: {body}");
                    }
                    assert_eq!(
                        state_of(&s, &held).await,
                        before,
                        "{what} changed something"
                    );
                    let newest = &s.t.store.audit_log(1).await.unwrap()[0];
                    assert_eq!(
                        (newest.actor.as_str(), newest.action.as_str()),
                        (*name, case.action),
                        "{what}: the refusal is audited"
                    );
                    assert!(newest.outcome.starts_with("denied"), "{what}: {newest:?}");
                    records.push((matches!(call, Call::ServerFn(..)), record_of(newest)));
                    checked += 1;
                }
            } else {
                for call in &case.allowed {
                    let before = s.t.store.audit_log(1).await.unwrap();
                    let (status, body) = send(&base, client, call).await;
                    let what = format!("{name} ({role}) {} for {}", describe(call), case.action);
                    assert!(
                        status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                        "{what} was refused: {status} {body}"
                    );
                    let newest = s.t.store.audit_log(1).await.unwrap();
                    if newest != before
                        && let Some(entry) = newest.first()
                    {
                        assert_eq!(entry.actor, *name, "{what}");
                        records.push((matches!(call, Call::ServerFn(..)), record_of(entry)));
                    }
                    checked += 1;
                }
                if case.action == "cancel_job" {
                    // Stopping takes a moment; later refusals compare against the settled state.
                    wait_for(&s, &held, "cancelled").await;
                }
            }
            // Through either door, the same action leaves the same record.
            let rest = records.iter().find(|(via_fn, _)| !via_fn);
            let via_fn = records.iter().find(|(via_fn, _)| *via_fn);
            // (Not for cancelling, where the first door's success leaves nothing for the second
            // to stop, nor for an upload, where the REST call sends a file and the page makes a
            // backup ready: two different requests.)
            let paired = *role < case.least || !matches!(case.action, "cancel_job" | "upload");
            if let (Some((_, a)), Some((_, b))) = (rest, via_fn)
                && paired
            {
                assert_eq!(
                    a, b,
                    "{name} {}: the two doors record differently",
                    case.action
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 16, "only {compared} pairs of records compared");
    assert!(checked >= 80, "only {checked} calls checked");
    lock.rollback().await.unwrap();
    s.t.stop().await;
}
