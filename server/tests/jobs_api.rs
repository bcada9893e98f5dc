//! Jobs over real HTTP: start a dump, follow its server-sent events, resume them, download the dump.

use serde_json::Value;

mod common;
use common::{parse_sse, restore_and_follow, serve};

#[tokio::test]
async fn a_dump_followed_live_then_resumed_then_downloaded() {
    let s = serve().await;
    let http = s.http.clone();

    // Unknown database and unknown job: 404s in the one error shape.
    let res = http
        .post(format!("{}/api/v1/databases/nope/dumps", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "database_not_found"
    );
    // A path that tries to climb out is refused before it is routed.
    let res = http
        .get(format!("{}/api/v1/jobs/..%2F..%2Fx/artifact", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "bad_path"
    );
    for path in ["/api/v1/jobs/nope", "/api/v1/jobs/nope/events"] {
        let res = http.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"]["code"],
            "job_not_found",
            "{path}"
        );
    }
    let res = http
        .get(format!("{}/api/v1/jobs?limit=0", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["field"],
        "limit"
    );

    let res = http
        .post(format!("{}/api/v1/databases/demo/dumps", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let job: Value = res.json().await.unwrap();
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/api/v1/jobs/{id}"));
    assert_eq!(job["kind"], "dump");

    // The stream goes from the first event to the job's end, then closes.
    let res = http
        .get(format!("{}/api/v1/jobs/{id}/events", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = parse_sse(&res.text().await.unwrap());
    let ids: Vec<u64> = events.iter().map(|e| e.0).collect();
    assert_eq!(
        ids,
        (1..=ids.len() as u64).collect::<Vec<_>>(),
        "every event once, in order"
    );
    let (_, name, last) = events.last().unwrap();
    assert_eq!(name, "status");
    assert_eq!(last["status"]["state"], "succeeded");
    assert!(
        events
            .iter()
            .any(|(_, n, d)| n == "progress" && d["progress"]["done"] == 3)
    );

    // Reconnecting after event k gives exactly the events after k.
    let k = ids.len() as u64 / 2;
    let res = http
        .get(format!("{}/api/v1/jobs/{id}/events", s.base))
        .header("Last-Event-ID", k.to_string())
        .send()
        .await
        .unwrap();
    let resumed: Vec<u64> = parse_sse(&res.text().await.unwrap())
        .iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(resumed, ((k + 1)..=ids.len() as u64).collect::<Vec<_>>());
    // Asked again after its last event, the ended stream says there is nothing more, so that a
    // browser stops reconnecting.
    let res = http
        .get(format!("{}/api/v1/jobs/{id}/events", s.base))
        .header("Last-Event-ID", ids.len().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    // The job reads as succeeded, with its dump to download.
    let job: Value = http
        .get(format!("{}{location}", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(job["state"], "succeeded");
    let artifact = &job["artifact"];
    let size = artifact["size_bytes"].as_u64().unwrap();
    let url = format!("{}{}", s.base, artifact["download_url"].as_str().unwrap());
    let res = http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.content_length(), Some(size));
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains(artifact["file_name"].as_str().unwrap()),
        "{disposition}"
    );
    let whole = res.bytes().await.unwrap();
    assert_eq!(&whole[..5], b"PGDMP", "a custom-format dump");
    let res = http
        .get(&url)
        .header("Range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap(), whole[100..200]);

    // A finished job cannot be cancelled; the list shows it.
    let res = http
        .post(format!("{}/api/v1/jobs/{id}/cancel", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "job_finished"
    );
    let list: Value = http
        .get(format!("{}/api/v1/jobs?database=demo", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["id"], id.as_str());

    // Restores: bad requests are 4xx naming the field; a good one restores the dump.
    let restores = format!("{}/api/v1/databases/demo/restores", s.base);
    for (body, status, field) in [
        (
            serde_json::json!({"source_job": id, "target": "in_place"}),
            422,
            "confirm",
        ),
        (
            serde_json::json!({"source_job": id, "target": "in_place", "confirm": true, "confirm_name": "nope"}),
            422,
            "confirm_name",
        ),
        (
            serde_json::json!({"source_job": id, "target": "new_database"}),
            422,
            "new_database",
        ),
        (
            serde_json::json!({"source_job": id, "target": "new_database", "new_database": "Bad Name"}),
            422,
            "new_database",
        ),
        (
            serde_json::json!({"source_job": id, "target": "new_database", "new_database": "demo"}),
            409,
            "new_database",
        ),
        (
            serde_json::json!({"source_job": "nope", "target": "new_database", "new_database": "x"}),
            422,
            "source_job",
        ),
    ] {
        let res = http.post(&restores).json(&body).send().await.unwrap();
        assert_eq!(res.status(), status, "{body}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"]["field"],
            field,
            "{body}"
        );
    }
    let res = http
        .post(&restores)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_body"
    );
    let restore_events = restore_and_follow(&http, &s.base, serde_json::json!({"source_job": id, "target": "new_database", "new_database": "demo_copy"})).await;
    assert_eq!(
        restore_events.last().unwrap().2["status"]["state"],
        "succeeded",
        "{restore_events:?}"
    );
    let demo_rows = common::rows(&s.t, "demo").await;
    assert_eq!(demo_rows.len(), 3, "{demo_rows:?}");
    assert_eq!(common::rows(&s.t, "demo_copy").await, demo_rows);

    // Preflight: every check passes for a good request, and nothing starts.
    let jobs_before = s.t.store.jobs(None, 500).await.unwrap().len();
    let res = http
        .post(format!("{restores}/preflight"))
        .json(&serde_json::json!({"source_job": id, "target": "in_place", "confirm": true, "confirm_name": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let pre: Value = res.json().await.unwrap();
    assert_eq!(pre["ready"], true, "{pre}");
    let names: Vec<&str> = pre["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["reachable", "versions", "extensions", "disk_space", "owner"]
    );
    let owner = &pre["checks"][4]["message"];
    assert!(owner.as_str().unwrap().contains("demo_owner"), "{owner}");
    assert_eq!(s.t.store.jobs(None, 500).await.unwrap().len(), jobs_before);

    // Uploads: a dump, or a .tar.gz holding one, is accepted; anything else is a 4xx that keeps nothing.
    let uploads = format!("{}/api/v1/databases/demo/uploads", s.base);
    let archive = {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(whole.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "20261122000000_demo.pgsql", &whole[..])
            .unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
        gz.finish().unwrap()
    };
    let res = http.post(&uploads).body(archive).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let upload: Value = res.json().await.unwrap();
    assert_eq!(upload["received_as"], "tar_gz");
    assert_eq!(upload["size_bytes"].as_u64(), Some(size));
    let mut big = b"PGDMP".to_vec();
    big.resize(3 << 20, 0);
    let res = http.post(&uploads).body(big).send().await.unwrap();
    assert_eq!(
        res.status(),
        201,
        "uploads are not held to a small body limit"
    );
    let uploads_dir = s.t.config.artifacts_dir().join("uploads");
    let files_before = std::fs::read_dir(&uploads_dir).unwrap().count();
    for (body, needle) in [
        (
            b"-- PostgreSQL database dump\nSET statement_timeout = 0;".to_vec(),
            "plain SQL",
        ),
        (b"\x00garbage".to_vec(), "not a PostgreSQL dump"),
    ] {
        let res = http.post(&uploads).body(body).send().await.unwrap();
        assert_eq!(res.status(), 422);
        let e: Value = res.json().await.unwrap();
        assert_eq!(e["error"]["code"], "not_a_dump");
        assert!(
            e["error"]["message"].as_str().unwrap().contains(needle),
            "{e}"
        );
    }
    assert_eq!(
        std::fs::read_dir(&uploads_dir).unwrap().count(),
        files_before
    );
    let res = http
        .post(&restores)
        .json(&serde_json::json!({"source_job": id, "source_upload": upload["upload_id"], "target": "new_database", "new_database": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "one source at a time");
    let upload_events = restore_and_follow(&http, &s.base, serde_json::json!({"source_upload": upload["upload_id"], "target": "new_database", "new_database": "from_upload"})).await;
    assert_eq!(
        upload_events.last().unwrap().2["status"]["state"],
        "succeeded",
        "{upload_events:?}"
    );
    assert_eq!(common::rows(&s.t, "from_upload").await, demo_rows);

    // A directory-format dump, archived, restores too.
    let dump_dir = s.t.dir.path().join("demo.dir");
    let target = s.t.cluster.conn_target();
    let made = std::process::Command::new(s.t.config.pg_bin("pg_dump"))
        .args(["--format=directory", "--no-owner", "--dbname=demo"])
        .arg(format!("--file={}", dump_dir.display()))
        .arg(format!("--host={}", target.host))
        .arg(format!("--port={}", target.port))
        .arg("--username=postgres")
        .env("PGPASSWORD", target.password.as_ref().unwrap().expose())
        .status()
        .unwrap();
    assert!(made.success());
    let archive = {
        let mut tar = tar::Builder::new(Vec::new());
        tar.append_dir_all("demo.dir", &dump_dir).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
        gz.finish().unwrap()
    };
    let upload: Value = http
        .post(&uploads)
        .body(archive)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(upload["received_as"], "directory", "{upload}");
    let dir_events = restore_and_follow(&http, &s.base, serde_json::json!({"source_upload": upload["upload_id"], "target": "new_database", "new_database": "from_directory"})).await;
    assert_eq!(
        dir_events.last().unwrap().2["status"]["state"],
        "succeeded",
        "{dir_events:?}"
    );
    assert_eq!(common::rows(&s.t, "from_directory").await, demo_rows);

    // No secret in what the API says about the job.
    let password = std::fs::read_to_string(s.t.config.secrets_dir().join("main.password")).unwrap();
    let all = format!("{job}{list}{events:?}");
    assert!(
        !all.contains(password.trim()),
        "the cluster password leaked"
    );

    s.state.tm.jobs.shutdown().await;
    s.t.stop().await;
}
