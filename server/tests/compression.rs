//! What travels compressed: pages and JSON do, for a browser that accepts gzip; event streams
//! (each event must arrive at once) and archives (already compressed, served by range) do not.

use serde_json::Value;

mod common;

#[tokio::test]
async fn pages_are_compressed_but_event_streams_and_archives_are_not() {
    let s = common::serve().await;
    let get = |path: String| {
        s.http
            .get(format!("{}{path}", s.base))
            .header("accept-encoding", "gzip")
            .send()
    };
    let encoding = |r: &reqwest::Response| {
        r.headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string())
    };

    let page = get("/databases/demo".into()).await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(encoding(&page).as_deref(), Some("gzip"), "the Backups tab");

    let job: Value = s
        .http
        .post(format!("{}/api/v1/databases/demo/dumps", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = job["id"].as_str().unwrap();
    let events = get(format!("/api/v1/jobs/{id}/events")).await.unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    assert_eq!(encoding(&events), None, "events are sent as they happen");
    let text = events.text().await.unwrap();
    assert!(text.contains("succeeded"), "{text}");
    let list = get("/api/v1/jobs".into()).await.unwrap();
    assert_eq!(encoding(&list).as_deref(), Some("gzip"), "JSON");

    let artifact = get(format!("/api/v1/jobs/{id}/artifact")).await.unwrap();
    assert_eq!(artifact.status(), 200);
    assert_eq!(
        encoding(&artifact),
        None,
        "a dump is sent as it is, so Range keeps working"
    );
    let part = s
        .http
        .get(format!("{}/api/v1/jobs/{id}/artifact", s.base))
        .header("accept-encoding", "gzip")
        .header("range", "bytes=0-4")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(&part.bytes().await.unwrap()[..], b"PGDMP");
    s.state.tm.jobs.shutdown().await;
    s.t.stop().await;
}
