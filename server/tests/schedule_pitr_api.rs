//! The schedule and point-in-time recovery over real HTTP: validation names the field, changes
//! persist, and a confirmed restore inside the window runs to the end on its event stream.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

mod common;
use common::{Served, parse_sse, serve};

async fn put_schedule(http: &reqwest::Client, base: &str, body: Value) -> (u16, Value) {
    let res = http
        .put(format!("{base}/api/v1/databases/demo/schedule"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn the_schedule_is_validated_saved_and_shows_its_next_run() {
    let Served { base, t, http, .. } = serve().await;

    let url = format!("{base}/api/v1/databases/demo/schedule");
    let first: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(first["enabled"], true);
    assert_eq!(first["hour"], 0);

    for bad in [json!({"hour": 24}), json!({"hour": -1})] {
        let (status, body) = put_schedule(&http, &base, bad.clone()).await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(body["error"]["field"], "hour");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("0 to 23")
        );
    }
    let (status, body) = put_schedule(&http, &base, json!({"hour": "three"})).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "invalid_body");
    // Nothing changed by the refusals.
    let same: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(same["hour"], 0);

    let (status, body) = put_schedule(&http, &base, json!({"hour": 5})).await;
    assert_eq!(status, 200, "{body}");
    let next: DateTime<Utc> = serde_json::from_value(body["next_run"].clone()).unwrap();
    assert_eq!(next.format("%H:%M:%S").to_string(), "05:00:00");
    let wait = next - Utc::now();
    assert!(wait > chrono::Duration::zero() && wait <= chrono::Duration::days(1));

    // Off keeps the hour, and there is no next run.
    let (_, body) = put_schedule(&http, &base, json!({"enabled": false})).await;
    assert_eq!(body["hour"], 5);
    assert_eq!(body["next_run"], Value::Null);
    let after: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (after["enabled"].clone(), after["hour"].clone()),
        (json!(false), json!(5))
    );

    // When backups are verified: after each one by default; a mode that does not exist is named.
    assert_eq!(after["verification"], "after_each");
    let (status, body) = put_schedule(&http, &base, json!({"verification": "weekly"})).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "verification");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("after_each, daily or off"),
        "{body}"
    );
    let (status, body) = put_schedule(&http, &base, json!({"verification": "daily"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verification"], "daily");
    let read: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["verification"], "daily");
    assert_eq!(read["hour"], 5, "the rest of the schedule is as it was");

    let res = http
        .get(format!("{base}/api/v1/databases/nope/schedule"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    t.stop().await;
}

#[tokio::test]
async fn a_point_in_time_restore_is_checked_then_followed_to_the_end() {
    let Served { base, t, http, .. } = serve().await;
    let pool = t.cluster.pool();
    sqlx::query("CREATE TABLE marks (n int)")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO marks VALUES (1)")
        .execute(pool)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let target = Utc::now();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    sqlx::query("INSERT INTO marks VALUES (2)")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("SELECT pg_switch_wal()")
        .execute(pool)
        .await
        .unwrap();
    let window_url = format!("{base}/api/v1/databases/demo/pitr");
    for _ in 0..300 {
        let w: Value = http
            .get(&window_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let latest: DateTime<Utc> = serde_json::from_value(w["latest"].clone()).unwrap();
        if latest > target {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let url = format!("{base}/api/v1/databases/demo/pitr-restores");
    let when = target.to_rfc3339_opts(SecondsFormat::Micros, true);
    for (body, field) in [
        (json!({"restore_time": when}), "confirm"),
        (
            json!({"restore_time": "2001-01-01T00:00:00Z", "confirm": true}),
            "restore_time",
        ),
        (
            json!({"restore_time": "noon", "confirm": true}),
            "restore_time",
        ),
    ] {
        let res = http.post(&url).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 422, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["field"], field, "{err}");
    }
    let jobs: Vec<Value> = http
        .get(format!("{base}/api/v1/jobs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(jobs.is_empty(), "refused requests start nothing: {jobs:?}");

    let res = http
        .post(&url)
        .json(&json!({"restore_time": when, "confirm": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let job: Value = res.json().await.unwrap();
    assert_eq!(job["kind"], "pitr_restore");
    let id = job["id"].as_str().unwrap().to_string();
    let stream = http
        .get(format!("{base}/api/v1/jobs/{id}/events"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = parse_sse(&stream);
    let last = events.iter().rev().find(|(_, n, _)| n == "status").unwrap();
    assert_eq!(last.2["status"]["state"], "succeeded", "{stream}");
    let rows: Vec<i32> = sqlx::query_scalar("SELECT n FROM marks")
        .fetch_all(t.cluster.pool())
        .await
        .unwrap();
    assert_eq!(rows, [1]);

    let copies: Vec<Value> = http
        .get(format!("{base}/api/v1/databases/demo/safety-copies"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0]["id"], id.as_str());
    let discard = format!("{base}/api/v1/databases/demo/safety-copies/{id}");
    assert_eq!(http.delete(&discard).send().await.unwrap().status(), 204);
    assert_eq!(http.delete(&discard).send().await.unwrap().status(), 404);
    t.stop().await;
}
