//! The database API's point-in-time recovery: the window, a restore, and its operation.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::world::{Operation, date, new_id};
use crate::{Inner, lock};

use super::common::{Answer, S, error, json_answer, not_found, ok, unprocessable};
use super::database::with_db;

pub(super) async fn window(
    State(inner): S,
    Path((_r, db)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        let (e, l) = d.window(Utc::now());
        ok(
            json!({ "recovery_window": { "earliest_recoverable_at": date(e), "latest_recoverable_at": date(l) } }),
        )
    })
}

pub(super) async fn pitr_restore(
    State(inner): S,
    Path((_r, db)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Answer {
    let body: Value =
        serde_json::from_str(&body).map_err(|_| error(400, json!({"error": "invalid JSON"})))?;
    let at = body
        .get("restore_time")
        .and_then(|t| t.as_str())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| unprocessable("restore_time", "must be an RFC 3339 date and time"))?;
    let op = with_db(&inner, &headers, &db, |d| {
        let (e, l) = d.window(Utc::now());
        if at < e || at > l + chrono::Duration::seconds(5) {
            return Err(unprocessable(
                "restore_time",
                "must be within the recovery window",
            ));
        }
        if d.current_operation.is_some() {
            return Err(error(409, json!({"error": "another operation is running"})));
        }
        let op = Operation {
            id: new_id("op-"),
            status: "pending".into(),
            created_at: Utc::now(),
            finished_at: None,
        };
        d.current_operation = Some(op.id.clone());
        d.operations.push(op.clone());
        d.pitr_restores.push(at);
        Ok(op)
    })?;
    let (inner2, addon, id) = (inner.clone(), db.clone(), op.id.clone());
    tokio::spawn(async move {
        let step = inner2.opts.operation_duration / 3;
        tokio::time::sleep(step).await;
        set_operation(&inner2, &addon, &id, "running");
        tokio::time::sleep(step * 2).await;
        set_operation(&inner2, &addon, &id, "finished");
    });
    let answer = if inner.opts.pitr_response_operation_id {
        json!({ "operation_id": op.id })
    } else {
        json!({ "operation": op.json() })
    };
    Ok(json_answer(StatusCode::CREATED, answer))
}

pub(super) fn set_operation(inner: &Inner, addon: &str, id: &str, status: &str) {
    let mut world = lock(&inner.world);
    if let Some(d) = world.dbs.iter_mut().find(|d| d.addon_id == addon) {
        if let Some(op) = d.operations.iter_mut().find(|o| o.id == id) {
            op.status = status.into();
            if status == "finished" {
                op.finished_at = Some(Utc::now());
            }
        }
        if status == "finished" {
            d.current_operation = None;
            d.first_pitr_backup = Utc::now();
        }
    }
}

pub(super) async fn operation_nested(
    State(inner): S,
    Path((_r, db, op)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        let o = d
            .operations
            .iter()
            .find(|o| o.id == op)
            .ok_or_else(|| not_found("operation"))?;
        ok(json!({ "operation": o.json() }))
    })
}

pub(super) async fn operation_top(
    State(inner): S,
    Path((_r, op)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    let addon = lock(&inner.world)
        .dbs
        .iter()
        .find(|d| d.operations.iter().any(|o| o.id == op))
        .map(|d| d.addon_id.clone())
        .ok_or_else(|| not_found("operation"))?;
    operation_nested(State(inner), Path((String::new(), addon, op)), headers).await
}
