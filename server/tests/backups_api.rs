//! Manual logical backups over real HTTP: taken as a job, listed, downloaded whole or by range,
//! unpacked, and restored through the same path as a downloaded Scalingo archive.

use std::io::Read;

use serde_json::Value;

mod common;
use common::{Served, parse_sse, restore_and_follow, serve};

/// The state in a finished stream's last status event.
fn parse_final_state(stream: &str) -> Option<String> {
    parse_sse(stream)
        .into_iter()
        .rev()
        .find(|(_, name, _)| name == "status")
        .and_then(|(_, _, v)| v["status"]["state"].as_str().map(str::to_string))
}

#[tokio::test]
async fn a_manual_backup_is_listed_downloaded_and_restores() {
    let Served {
        base,
        state,
        t,
        http,
    } = serve().await;

    // Nothing to download before the first logical backup.
    let res = http
        .get(format!(
            "{base}/api/v1/databases/demo/backups/latest/download"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "backup_not_found"
    );

    let res = http
        .post(format!("{base}/api/v1/databases/demo/backups"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let job: Value = res.json().await.unwrap();
    assert_eq!(job["kind"], "backup");
    let id = job["id"].as_str().unwrap().to_string();
    let stream = http
        .get(format!("{base}/api/v1/jobs/{id}/events"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        parse_final_state(&stream).as_deref(),
        Some("succeeded"),
        "{stream}"
    );

    // Listed first, with the physical backups, as a manual backup with its size.
    let list: Value = http
        .get(format!("{base}/api/v1/databases/demo/backups"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["method"], "manual");
    assert_eq!(list[0]["status"], "done");
    let size = list[0]["size_bytes"].as_u64().unwrap();
    assert!(list.iter().any(|b| b["method"] == "physical_full"));

    // Downloaded whole (latest, and by id), and by range.
    let res = http
        .get(format!(
            "{base}/api/v1/databases/demo/backups/latest/download"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.content_length(), Some(size));
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    let name = disposition.split('"').nth(1).unwrap().to_string();
    assert!(
        name.len() == "20261122070000_demo.tar.gz".len() && name.ends_with("_demo.tar.gz"),
        "{name}"
    );
    let archive = res.bytes().await.unwrap();
    let by_id = http
        .get(format!(
            "{base}/api/v1/databases/demo/backups/{id}/download"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(by_id.bytes().await.unwrap(), archive);
    let part = http
        .get(format!(
            "{base}/api/v1/databases/demo/backups/{id}/download"
        ))
        .header("Range", "bytes=10-29")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap(), archive[10..30]);

    // The archive holds one custom-format dump named like the archive; pg_restore reads it.
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&archive[..]));
    let mut members = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().display().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        members.push((path, content));
    }
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].0, name.replace(".tar.gz", ".pgsql"));
    assert_eq!(&members[0].1[..5], b"PGDMP");
    let dump_file = t.dir.path().join("unpacked.pgsql");
    std::fs::write(&dump_file, &members[0].1).unwrap();
    let list = std::process::Command::new(t.config.pg_bin("pg_restore"))
        .arg("--list")
        .arg(&dump_file)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("TABLE DATA public customers"));

    // Physical and unknown backups are not downloads.
    let physical = list_physical_id(&http, &base).await;
    let res = http
        .get(format!(
            "{base}/api/v1/databases/demo/backups/{physical}/download"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("point-in-time recovery"));
    let res = http
        .get(format!(
            "{base}/api/v1/databases/nope/backups/latest/download"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // The archive restores through the upload path, as a downloaded Scalingo backup would.
    let upload: Value = http
        .post(format!("{base}/api/v1/databases/demo/uploads"))
        .body(archive.to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(upload["received_as"], "tar_gz");
    let kept_until = chrono::DateTime::parse_from_rfc3339(upload["kept_until"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let left = kept_until - chrono::Utc::now();
    assert!(
        left > chrono::Duration::hours(23) && left <= chrono::Duration::hours(24),
        "an upload is kept for a day: {left}"
    );
    restore_upload_into(&http, &base, &upload["upload_id"], "from_backup").await;
    let demo_rows = common::rows(&t, "demo").await;
    assert_eq!(demo_rows.len(), 3, "{demo_rows:?}");
    assert_eq!(common::rows(&t, "from_backup").await, demo_rows);

    // The same backup made ready on the server, without a round trip through the caller.
    let res = http
        .post(format!(
            "{base}/api/v1/databases/demo/backups/latest/uploads"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let staged: Value = res.json().await.unwrap();
    assert_eq!(staged["received_as"], "tar_gz");
    assert_eq!(staged["size_bytes"], upload["size_bytes"], "the same dump");
    restore_upload_into(&http, &base, &staged["upload_id"], "from_staged").await;
    assert_eq!(common::rows(&t, "from_staged").await, demo_rows);
    // A physical backup, or one that does not exist, is not made ready.
    for missing in [physical.as_str(), "20990101000000-nothing"] {
        let res = http
            .post(format!(
                "{base}/api/v1/databases/demo/backups/{missing}/uploads"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{missing}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "backup_not_found");
    }

    state.tm.jobs.shutdown().await;
    t.stop().await;
}

/// Restores an upload into a new database and checks that the job succeeded.
async fn restore_upload_into(http: &reqwest::Client, base: &str, upload_id: &Value, name: &str) {
    let events = restore_and_follow(
        http,
        base,
        serde_json::json!({"source_upload": upload_id, "target": "new_database", "new_database": name}),
    )
    .await;
    assert_eq!(
        events.last().unwrap().2["status"]["state"],
        "succeeded",
        "{events:?}"
    );
}

async fn list_physical_id(http: &reqwest::Client, base: &str) -> String {
    let list: Value = http
        .get(format!("{base}/api/v1/databases/demo/backups"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|b| b["method"] == "physical_full")
        .and_then(|b| b["id"].as_str())
        .unwrap()
        .to_string()
}
