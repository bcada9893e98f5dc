//! `GET /metrics` over real HTTP: refused without a token, and, scraped with a viewer's token and
//! read by a Prometheus text-format parser, the same figures the API gives.

use std::collections::HashMap;

use prometheus_parse::{Scrape, Value as Sample};
use serde_json::Value;
use tidemark_core::auth::Role;
use tidemark_server::api::METRIC_NAMES;

mod common;
use common::{finished, get_json, post_json, serve};

/// The samples of a scrape, by name and sorted labels.
fn samples(text: &str) -> HashMap<String, f64> {
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text");
    scrape
        .samples
        .into_iter()
        .map(|s| {
            let mut labels: Vec<String> =
                s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            labels.sort();
            let value = match s.value {
                Sample::Gauge(v) | Sample::Counter(v) | Sample::Untyped(v) => v,
                other => panic!("unexpected sample {other:?}"),
            };
            (format!("{}{{{}}}", s.metric, labels.join(",")), value)
        })
        .collect()
}

fn seconds(v: &Value) -> f64 {
    let t: chrono::DateTime<chrono::Utc> = v.as_str().unwrap().parse().unwrap();
    t.timestamp_millis() as f64 / 1000.0
}

#[tokio::test]
async fn metrics_need_a_token_and_match_the_api() {
    let s = serve().await;
    let db = format!("{}/api/v1/databases/demo", s.base);
    let backup = post_json(&s.http, &format!("{db}/backups")).await;
    let id = backup["id"].as_str().unwrap().to_string();
    assert_eq!(finished(&s, &id).await["state"], "succeeded");
    let verification = post_json(&s.http, &format!("{db}/backups/{id}/verifications")).await;
    let v_id = verification["id"].as_str().unwrap().to_string();
    assert_eq!(finished(&s, &v_id).await["state"], "succeeded");

    let anonymous = reqwest::Client::new()
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let viewer = common::client_with(&common::token_for(&s.t.store, "prom", Role::Viewer).await);
    let res = viewer
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    let m = samples(&text);
    let get = |k: &str| {
        *m.get(k)
            .unwrap_or_else(|| panic!("{k} is scraped:\n{text}"))
    };

    let detail = get_json(&s.http, &format!("{db}/backups/{id}")).await;
    let manual = "database=demo,method=manual";
    assert!(
        (get(&format!(
            "tidemark_backup_last_success_timestamp_seconds{{{manual}}}"
        )) - seconds(&detail["finished_at"]))
        .abs()
            < 0.002
    );
    assert_eq!(
        get(&format!("tidemark_backup_last_size_bytes{{{manual}}}")),
        detail["size_bytes"].as_f64().unwrap()
    );
    let window = get_json(&s.http, &format!("{db}/pitr")).await;
    assert!(
        (get("tidemark_pitr_window_start_timestamp_seconds{database=demo}")
            - seconds(&window["earliest"]))
        .abs()
            < 0.002
    );
    assert!(get("tidemark_wal_archive_age_seconds{database=demo}") >= 0.0);
    let restore = detail["verifications"][0]["evidence"]["restore_seconds"]
        .as_f64()
        .unwrap();
    assert!((get("tidemark_restore_duration_seconds{database=demo}") - restore).abs() < 1e-9);
    let jobs = get_json(
        &s.http,
        &format!("{}/api/v1/jobs?kind=backup&state=succeeded", s.base),
    )
    .await;
    assert_eq!(
        get("tidemark_jobs{kind=backup,state=succeeded}"),
        jobs.as_array().unwrap().len() as f64
    );
    assert!(get("process_resident_memory_bytes{}") > 0.0);
    // No secret in the text.
    assert!(!text.contains("password"), "{text}");

    // Every family the route says it exports is in the scrape, but those with nothing to say
    // here (no backup has failed, Scalingo was not asked).
    let scraped: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let silent = [
        "tidemark_backup_last_failure_timestamp_seconds",
        "tidemark_scalingo_requests_total",
    ];
    for name in METRIC_NAMES {
        assert!(
            scraped.contains(&name) || silent.contains(&name),
            "{name} is exported:\n{text}"
        );
    }
    // The alert rules and the dashboard shipped in deploy/ use only metrics that exist.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let rules: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(root.join("tidemark-rules.yml")).unwrap())
            .expect("the rules file is YAML");
    let mut exprs: Vec<String> = Vec::new();
    for group in rules["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            exprs.push(rule["expr"].as_str().unwrap().to_string());
        }
    }
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tidemark-dashboard.json")).unwrap(),
    )
    .expect("the dashboard is JSON");
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            exprs.push(target["expr"].as_str().unwrap().to_string());
        }
    }
    assert!(exprs.len() >= 15, "{exprs:?}");
    let mut used = 0;
    for expr in &exprs {
        for name in metric_names(expr) {
            assert!(
                METRIC_NAMES.contains(&name.as_str()),
                "{name} (in `{expr}`) is not exported"
            );
            used += 1;
        }
    }
    assert!(used >= exprs.len(), "every expression names a metric");
    s.t.stop().await;
}

/// The names in a PromQL expression that are Tidemark's or the process's metrics.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut word = String::new();
    for c in expr.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            if word.starts_with("tidemark_") || word.starts_with("process_") {
                names.push(std::mem::take(&mut word));
            }
            word.clear();
        }
    }
    names
}
