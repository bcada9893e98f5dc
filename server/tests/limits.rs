//! Limits over real HTTP: server functions (the public one included) and JSON routes take small
//! bodies only; one user, and one share link, follow a bounded number of jobs live at once; and
//! event streams leave no channel behind once they end.

use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;
use common::{Served, serve};

#[tokio::test]
async fn small_routes_refuse_large_bodies() {
    let Served { base, http, t, .. } = serve().await;
    let big = "x".repeat(100 * 1024);
    let anonymous = reqwest::Client::new();
    let cases = [
        (
            &http,
            format!("{base}/_fn/backups_tab"),
            format!("id=demo&pad={big}"),
            "application/x-www-form-urlencoded",
        ),
        (
            &anonymous,
            format!("{base}/_fn/shared_job"),
            format!("token=tms_x&pad={big}"),
            "application/x-www-form-urlencoded",
        ),
        (
            &http,
            format!("{base}/api/v1/databases/demo/restores"),
            json!({"target": "new_database", "new_database": big}).to_string(),
            "application/json",
        ),
        (
            &anonymous,
            format!("{base}/login"),
            format!("name=x&password={big}"),
            "application/x-www-form-urlencoded",
        ),
    ];
    for (client, url, body, kind) in cases {
        let res = client
            .post(&url)
            .header("content-type", kind)
            .header("origin", base.as_str())
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{url}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"]["code"], "body_too_large", "{url}");
    }
    // Sent without a length, the body is cut off as it is read.
    let chunks: Vec<Result<String, std::io::Error>> = (0..40)
        .map(|_| Ok(format!("&pad={}", "y".repeat(4096))))
        .collect();
    let res = anonymous
        .post(format!("{base}/_fn/shared_job"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            std::iter::once(Ok("token=tms_x".to_string())).chain(chunks),
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The limit is for small routes: a dump sent for a restore is not held to it.
    let res = http
        .post(format!("{base}/api/v1/databases/demo/uploads"))
        .body(vec![b'x'; 200 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "judged as a file"
    );
    t.stop().await;
}

#[tokio::test]
async fn live_streams_are_bounded_per_user_and_per_link_and_leave_no_channel() {
    let s = serve().await;
    let base = s.base.clone();
    // A dump kept running by a lock, to follow.
    let (id, lock) = common::held_dump(&s).await;
    let events = format!("{base}/api/v1/jobs/{id}/events");

    // One user: 20 at once; the 21st waits for one to close.
    let mut open = Vec::new();
    for _ in 0..20 {
        let res = s.http.get(&events).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        open.push(res);
    }
    let res = s.http.get(&events).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "too_many_streams");
    drop(open.pop());
    let mut reopened = None;
    for _ in 0..50 {
        let res = s.http.get(&events).send().await.unwrap();
        if res.status() == StatusCode::OK {
            reopened = Some(res);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "a closed stream frees its place");

    // One share link: 50 readers at once.
    let link = common::post_json(&s.http, &format!("{base}/api/v1/jobs/{id}/share-links")).await;
    let shared = format!("{base}{}/events", link["path"].as_str().unwrap());
    let anonymous = reqwest::Client::new();
    let mut readers = Vec::new();
    for _ in 0..50 {
        let res = anonymous.get(&shared).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        readers.push(res);
    }
    assert_eq!(
        anonymous.get(&shared).send().await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // The job ends; every stream ends with it, and no channel stays behind.
    lock.rollback().await.unwrap();
    for res in open.into_iter().chain(reopened).chain(readers) {
        let text = res.text().await.unwrap();
        assert!(text.contains("\"state\":\"succeeded\""), "{text}");
    }
    for _ in 0..50 {
        if s.state.tm.jobs.hub().channel_count() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(s.state.tm.jobs.hub().channel_count(), 0);
    assert_eq!(s.state.streams.count("user:admin-test"), 0);
    s.t.stop().await;
}
