//! Secrets stay on the server: through a run of the real binary (log in, dump, back up, restore,
//! share), no page, log line, job parameter or event holds a database password, an API token or
//! a session id.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tidemark_core::auth::Role;

mod common;
use common::{Running, client_with, free_port, token_for};

#[tokio::test]
async fn no_page_log_line_job_parameter_or_event_holds_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let store = tidemark_core::store::Store::open(&data.join("tidemark.db"))
        .await
        .unwrap();
    let token = token_for(&store, "ops", Role::Admin).await;
    store.close().await;

    let listen = format!("127.0.0.1:{}", free_port());
    // Debug logging is plentiful: it goes to a file, so a full pipe cannot stall the server.
    let log_path = dir.path().join("tidemark.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_tidemark"))
        .env("TIDEMARK_DATA_DIR", &data)
        .env("TIDEMARK_LISTEN", &listen)
        .env("RUST_LOG", "debug,sqlx=debug,tower_http=debug")
        .env("NO_COLOR", "1")
        .stdout(Stdio::from(log_file.try_clone().unwrap()))
        .stderr(Stdio::from(log_file))
        .spawn()
        .unwrap();
    let running = Running(Some(child));
    let base = format!("http://{listen}");
    let http = client_with(&token);
    for _ in 0..900 {
        if let Ok(r) = http.get(format!("{base}/api/v1/health")).send().await
            && r.status() == 200
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut seen = String::new();

    // A session, as a person logs in.
    let hash = tidemark_core::auth::hash_password("a long enough password").unwrap();
    let store = tidemark_core::store::Store::open(&data.join("tidemark.db"))
        .await
        .unwrap();
    store
        .create_user("ann", Role::Admin, &hash, chrono::Utc::now())
        .await
        .unwrap();
    store.close().await;
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = anonymous
        .post(format!("{base}/login"))
        .header("origin", base.as_str())
        .form(&[
            ("name", "ann"),
            ("password", "a long enough password"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let session_id = cookie.split_once('=').unwrap().1.to_string();
    for path in ["/", "/databases/demo"] {
        let page = anonymous
            .get(format!("{base}{path}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        seen.push_str(&page.text().await.unwrap());
    }

    // Jobs of every kind that touch the database's login.
    let post = |path: String, body: Value| {
        let http = http.clone();
        async move {
            http.post(path)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let dump = post(format!("{base}/api/v1/databases/demo/dumps"), json!({})).await;
    let backup = post(format!("{base}/api/v1/databases/demo/backups"), json!({})).await;
    let mut ids = vec![
        dump["id"].as_str().unwrap().to_string(),
        backup["id"].as_str().unwrap().to_string(),
    ];
    for id in ids.clone() {
        let events = http
            .get(format!("{base}/api/v1/jobs/{id}/events"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        seen.push_str(&events);
    }
    let restore = post(
        format!("{base}/api/v1/databases/demo/restores"),
        json!({"source_job": ids[0], "target": "new_database", "new_database": "copy_of_demo"}),
    )
    .await;
    ids.push(restore["id"].as_str().unwrap().to_string());
    let link = post(
        format!("{base}/api/v1/jobs/{}/share-links", ids[0]),
        json!({}),
    )
    .await;
    let shared = anonymous
        .get(format!("{base}{}", link["path"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    seen.push_str(&shared.text().await.unwrap());
    for id in &ids {
        seen.push_str(
            &http
                .get(format!("{base}/api/v1/jobs/{id}/events"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        seen.push_str(
            &http
                .get(format!("{base}/api/v1/jobs/{id}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        let page = anonymous
            .get(format!("{base}/jobs/{id}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        seen.push_str(&page.text().await.unwrap());
    }
    let restored: Value = http
        .get(format!("{base}/api/v1/jobs/{}", ids[2]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(restored["state"], "succeeded", "{restored}");

    running.stop();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("stopping the cluster"), "a clean stop:\n{log}");
    let password = std::fs::read_to_string(data.join("secrets/main.password")).unwrap();
    let password = password.trim();
    assert!(password.len() >= 20);
    for (what, secret) in [
        ("the cluster's password", password),
        ("the API token", token.as_str()),
        ("the session id", session_id.as_str()),
    ] {
        assert!(!log.contains(secret), "{what} is in the log");
        assert!(
            !seen.contains(secret),
            "{what} reached a page, a job or an event"
        );
    }
}
