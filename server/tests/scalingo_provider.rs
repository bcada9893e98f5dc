//! The real binary pointed at the Scalingo API test server: Shared, Dedicated and TimescaleDB
//! databases listed with their blocks, a manual backup followed to done, the schedule changed, an
//! archive downloaded (whole and by range) and restored into a local database, PITR refused out
//! of the window then run, firewall rules added and removed, and the API token nowhere to be seen.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tidemark_scalingo_fake::{FakeOptions, FakeScalingo};

mod common;
use common::{Running, free_port, parse_sse};

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Polls a job until it ends; returns it.
async fn finished(http: &reqwest::Client, base: &str, id: &str) -> Value {
    for _ in 0..300 {
        let job: Value = http
            .get(format!("{base}/api/v1/jobs/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !matches!(job["state"].as_str(), Some("queued" | "running")) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("job {id} did not finish within a minute");
}

#[tokio::test]
async fn the_backups_tab_runs_on_scalingo_through_the_real_binary() {
    let fake = FakeScalingo::start(FakeOptions {
        backup_start_delay: Duration::from_millis(300),
        backup_run_time: Duration::from_millis(300),
        operation_duration: Duration::from_millis(3000),
        ..FakeOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let store = tidemark_core::store::Store::open(&dir.path().join("data/tidemark.db"))
        .await
        .unwrap();
    let token = common::token_for(&store, "ops", tidemark_core::auth::Role::Admin).await;
    store.close().await;
    let listen = format!("127.0.0.1:{}", free_port());
    let embedded_port = free_port();
    let log_path = dir.path().join("tidemark.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_tidemark"))
        .env("TIDEMARK_DATA_DIR", dir.path().join("data"))
        .env("TIDEMARK_LISTEN", &listen)
        .env("TIDEMARK_EMBEDDED_PORT", embedded_port.to_string())
        .env("SCALINGO_API_TOKEN", fake.api_token())
        .env("SCALINGO_AUTH_URL", fake.auth_url())
        .env(
            "RUST_LOG",
            "debug,sqlx=info,hyper=info,h2=info,reqwest=info,tower_sessions=info",
        )
        .env("NO_COLOR", "1")
        .stdout(Stdio::from(log_file.try_clone().unwrap()))
        .stderr(Stdio::from(log_file))
        .spawn()
        .unwrap();
    let mut running = Running(Some(child));
    let base = format!("http://{listen}");
    let http = common::client_with(&token);
    common::wait_ready(&http, &base, &mut running).await;
    let get = |path: &str| http.get(format!("{base}{path}")).send();

    // Every PostgreSQL database of both regions, each with the blocks its type has.
    let (_, dbs) = json_of(get("/api/v1/databases").await.unwrap()).await;
    let by_id = |id: &str| {
        dbs.as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .cloned()
    };
    for id in [
        "demo",
        "shop-osc-fr1",
        "metrics-osc-fr1",
        "ledger-osc-fr1",
        "vault-osc-secnum-fr1",
    ] {
        assert!(by_id(id).is_some(), "{id} is listed: {dbs}");
    }
    assert!(
        !dbs.to_string().contains("frontend"),
        "an app without PostgreSQL is left out"
    );
    let shop = by_id("shop-osc-fr1").unwrap();
    assert_eq!(shop["provider"], "scalingo");
    assert_eq!(shop["hosting"], "scalingo_shared");
    assert_eq!(shop["plan"], "postgresql-business-1024");
    assert_eq!(shop["features"]["scheduled_backups"], true);
    assert_eq!(shop["features"]["firewall"], false);
    let ledger = by_id("ledger-osc-fr1").unwrap();
    assert_eq!(ledger["hosting"], "scalingo_dedicated");
    assert_eq!(ledger["features"]["firewall"], true);
    assert_eq!(ledger["features"]["manual_backups"], false);
    assert_eq!(ledger["features"]["pitr"], true);
    assert_eq!(
        by_id("metrics-osc-fr1").unwrap()["features"]["timescaledb"],
        true
    );

    // Backups, and a manual one followed to done.
    let (_, backups) = json_of(get("/api/v1/databases/shop-osc-fr1/backups").await.unwrap()).await;
    assert_eq!(backups.as_array().unwrap().len(), 4, "{backups}");
    let (status, job) = json_of(
        http.post(format!("{base}/api/v1/databases/shop-osc-fr1/backups"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 202, "{job}");
    let job = finished(&http, &base, job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert!(
        job["summary"]
            .as_str()
            .unwrap()
            .contains("Scalingo took backup"),
        "{job}"
    );
    assert!(
        fake.backups("shop")
            .iter()
            .any(|(_, s, m)| s == "done" && m == "manual"),
        "{:?}",
        fake.backups("shop")
    );

    // The schedule lives at Scalingo.
    let schedule = format!("{base}/api/v1/databases/shop-osc-fr1/schedule");
    let (_, s) = json_of(http.get(&schedule).send().await.unwrap()).await;
    assert_eq!(
        (
            s["enabled"].clone(),
            s["hour"].clone(),
            s["kept_by_provider"].clone()
        ),
        (json!(true), json!(0), json!(true))
    );
    // Its newest backup is verified once a day unless told otherwise.
    assert_eq!(s["verification"], "daily");
    let (status, s) = json_of(
        http.put(&schedule)
            .json(&json!({"hour": 5}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, s["hour"].clone()), (200, json!(5)));
    assert_eq!(fake.schedule("shop"), Some((true, vec![5])));
    let (status, e) = json_of(
        http.put(&schedule)
            .json(&json!({"hour": 24}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, e["error"]["field"].clone()),
        (422, json!("hour")),
        "{e}"
    );
    assert_eq!(
        fake.schedule("shop"),
        Some((true, vec![5])),
        "nothing changed"
    );
    let (_, s) = json_of(
        http.put(&schedule)
            .json(&json!({"enabled": false}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s["enabled"], false);
    assert_eq!(
        fake.schedule("shop"),
        Some((false, vec![5])),
        "off keeps the hour"
    );
    let (status, _) = json_of(
        get("/api/v1/databases/ledger-osc-fr1/schedule")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        status, 422,
        "Dedicated Resources databases have no schedule"
    );

    // Download through Tidemark, whole and by range, then restore into a local database.
    let res = get("/api/v1/databases/shop-osc-fr1/backups/latest/download")
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.contains("_shop_4553.tar.gz"), "{disposition}");
    let archive = res.bytes().await.unwrap();
    assert_eq!(&archive[..2], &[0x1f, 0x8b]);
    let part = http
        .get(format!(
            "{base}/api/v1/databases/shop-osc-fr1/backups/latest/download"
        ))
        .header("Range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap(), archive.slice(100..200));
    let (status, e) = json_of(
        get("/api/v1/databases/shop-osc-fr1/backups/nope/download")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404, "{e}");
    let (_, upload) = json_of(
        http.post(format!("{base}/api/v1/databases/demo/uploads"))
            .body(archive.to_vec())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(upload["received_as"], "tar_gz", "{upload}");
    let events = common::restore_and_follow(
        &http,
        &base,
        json!({"source_upload": upload["upload_id"], "target": "new_database", "new_database": "shop_copy"}),
    )
    .await;
    let last = &events.last().unwrap().2;
    assert_eq!(last["status"]["state"], "succeeded", "{events:?}");
    let password = std::fs::read_to_string(dir.path().join("data/secrets/main.password")).unwrap();
    let copy = tidemark_core::pgtools::pg_dump::ConnTarget::new(
        "127.0.0.1",
        embedded_port,
        "postgres",
        Some(password.trim().to_string().into()),
        "shop_copy",
    );
    let mut conn = copy.connect().await.unwrap();
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(orders, 500, "the shop's rows are in the local copy");
    drop(conn);

    // A Scalingo backup verified on demand: streamed from Scalingo, restored on the scratch
    // instance, its rows recorded (Scalingo counts none to compare with).
    let (_, backups) = json_of(get("/api/v1/databases/shop-osc-fr1/backups").await.unwrap()).await;
    let logical = backups
        .as_array()
        .unwrap()
        .iter()
        .find(|b| {
            b["status"] == "done" && matches!(b["method"].as_str(), Some("manual" | "periodic"))
        })
        .expect("a finished logical backup")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, job) = json_of(
        http.post(format!(
            "{base}/api/v1/databases/shop-osc-fr1/backups/{logical}/verifications"
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 202, "{job}");
    let job = finished(&http, &base, job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let (_, verifications) = json_of(
        get("/api/v1/databases/shop-osc-fr1/verifications")
            .await
            .unwrap(),
    )
    .await;
    let v = &verifications[0];
    assert_eq!(v["backup"], logical.as_str());
    assert_eq!(v["outcome"], "passed", "{v}");
    assert_eq!(v["evidence"]["checksum_matches"], Value::Null);
    let orders = v["evidence"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "public.orders")
        .expect("the orders table is counted");
    assert_eq!(orders["found"], 500);
    assert_eq!(orders["expected"], Value::Null);
    let (status, detail) = json_of(
        get(&format!("/api/v1/databases/shop-osc-fr1/backups/{logical}"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["sha256"], Value::Null);
    assert_eq!(detail["verifications"][0]["outcome"], "passed");
    // The daily verification began on its own at start, before anyone asked.
    let (_, jobs) = json_of(get("/api/v1/jobs?database=shop-osc-fr1").await.unwrap()).await;
    assert!(
        jobs.as_array()
            .unwrap()
            .iter()
            .any(|j| j["kind"] == "verification" && j["started_by"] == "verifier"),
        "{jobs}"
    );
    // And it can be turned off like any other database's.
    let (status, s) = json_of(
        http.put(&schedule)
            .json(&json!({"verification": "off"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, s["verification"].clone()), (200, json!("off")));

    // PITR: refused outside the window, then run and followed.
    let (_, window) = json_of(get("/api/v1/databases/shop-osc-fr1/pitr").await.unwrap()).await;
    assert_eq!(window["available"], true, "{window}");
    let earliest: chrono::DateTime<chrono::Utc> =
        window["earliest"].as_str().unwrap().parse().unwrap();
    let pitr = format!("{base}/api/v1/databases/shop-osc-fr1/pitr-restores");
    let too_early = (earliest - chrono::Duration::days(1)).to_rfc3339();
    let (status, e) = json_of(
        http.post(&pitr)
            .json(&json!({"restore_time": too_early, "confirm": true}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, e["error"]["field"].clone()),
        (422, json!("restore_time")),
        "{e}"
    );
    assert!(
        fake.pitr_restores("shop").is_empty(),
        "nothing was asked of Scalingo"
    );
    let target = chrono::Utc::now() - chrono::Duration::hours(2);
    let (status, job) = json_of(
        http.post(&pitr)
            .json(&json!({"restore_time": target.to_rfc3339(), "confirm": true}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    let job = finished(&http, &base, &id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let asked = fake.pitr_restores("shop");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].timestamp(), target.timestamp());
    let stream = get(&format!("/api/v1/jobs/{id}/events"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let phases: Vec<String> = parse_sse(&stream)
        .iter()
        .filter_map(|e| e.2["progress"]["phase"].as_str().map(str::to_string))
        .collect();
    assert!(
        phases.iter().any(|p| p.contains("Scalingo is restoring")),
        "{phases:?}"
    );

    // Firewall rules of the Dedicated Resources database.
    let rules_url = format!("{base}/api/v1/databases/ledger-osc-fr1/firewall-rules");
    let (_, fw) = json_of(http.get(&rules_url).send().await.unwrap()).await;
    assert_eq!(fw["rules"].as_array().unwrap().len(), 2, "{fw}");
    assert!(
        fw.to_string().contains("Scalingo osc-fr1 region"),
        "managed ranges are named: {fw}"
    );
    let (status, e) = json_of(
        http.post(&rules_url)
            .json(&json!({"cidr": "10.0.0.0/33", "label": "VPN"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, e["error"]["field"].clone()),
        (422, json!("cidr")),
        "{e}"
    );
    assert_eq!(fake.firewall_rules("ledger").len(), 2, "nothing was added");
    let (status, rule) = json_of(
        http.post(&rules_url)
            .json(&json!({"cidr": "198.51.100.0/24", "label": "VPN"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{rule}");
    assert!(
        fake.firewall_rules("ledger")
            .contains(&("198.51.100.0/24".into(), Some("VPN".into())))
    );
    let res = http
        .delete(format!("{rules_url}/{}", rule["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(fake.firewall_rules("ledger").len(), 2);
    let (status, _) = json_of(
        get("/api/v1/databases/shop-osc-fr1/firewall-rules")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422, "Shared Resources databases have no firewall");
    let (_, reach) = json_of(
        get("/api/v1/databases/ledger-osc-fr1/reachability")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reach["reachable"], true, "{reach}");

    // A dump of the Dedicated database: reached, then dumped with the app's connection URL.
    let (status, job) = json_of(
        http.post(format!("{base}/api/v1/databases/ledger-osc-fr1/dumps"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 202, "{job}");
    let job = finished(&http, &base, job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");

    // The token and the databases' passwords stay on the server.
    let password_of = |app: &str| {
        let url = fake.database_url(app).unwrap();
        url.split(':')
            .nth(2)
            .unwrap()
            .split('@')
            .next()
            .unwrap()
            .to_string()
    };
    let secrets = [fake.api_token(), password_of("shop"), password_of("ledger")];
    let mut seen = String::new();
    for path in [
        "/databases/shop-osc-fr1",
        "/databases/ledger-osc-fr1",
        "/databases/metrics-osc-fr1",
        "/",
        "/jobs",
    ] {
        seen.push_str(&get(path).await.unwrap().text().await.unwrap());
    }
    let (_, jobs) = json_of(get("/api/v1/jobs").await.unwrap()).await;
    seen.push_str(&jobs.to_string());
    for j in jobs.as_array().unwrap() {
        let events = get(&format!(
            "/api/v1/jobs/{}/events",
            j["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
        seen.push_str(&events.text().await.unwrap());
    }
    let log = {
        drop(running.stop());
        std::fs::read_to_string(&log_path).unwrap()
    };
    assert!(log.contains("serving Scalingo's databases"), "{log}");
    for secret in &secrets {
        assert!(
            !seen.contains(secret.as_str()),
            "a page, job or event holds a secret"
        );
        assert!(!log.contains(secret.as_str()), "the log holds a secret");
    }
    assert!(
        !log.contains("token=dl-"),
        "download links (which carry a token) stay out of the log"
    );
    fake.stop().await;
}
