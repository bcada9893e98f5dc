//! The database API's database itself: reading it, changing its schedule, its plan.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};

use crate::world::Db;
use crate::{Inner, lock};

use super::common::{Answer, S, addon_user, error, not_found, ok, unprocessable};

/// Runs `f` on the database behind `addon`, after checking the addon token.
pub(super) fn with_db<T>(
    inner: &Inner,
    headers: &HeaderMap,
    addon: &str,
    f: impl FnOnce(&mut Db) -> Result<T, Response>,
) -> Result<T, Response> {
    addon_user(inner, headers, addon)?;
    let mut world = lock(&inner.world);
    let db = world
        .dbs
        .iter_mut()
        .find(|d| d.addon_id == addon)
        .ok_or_else(|| not_found("database"))?;
    f(db)
}

pub(super) async fn database(
    State(inner): S,
    Path((_r, db)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        ok(json!({ "database": d.json(Utc::now()) }))
    })
}

pub(super) async fn update_database(
    State(inner): S,
    Path((_r, db)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Answer {
    let body: Value =
        serde_json::from_str(&body).map_err(|_| error(400, json!({"error": "invalid JSON"})))?;
    let fields = body.get("database").cloned().unwrap_or_default();
    with_db(&inner, &headers, &db, |d| {
        let hours: Option<Vec<i64>> = match fields.get("periodic_backups_scheduled_at") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(vec![n.as_i64().unwrap_or(-1)]),
            Some(Value::Array(a)) => Some(a.iter().map(|h| h.as_i64().unwrap_or(-1)).collect()),
            Some(_) => {
                return Err(unprocessable(
                    "periodic_backups_scheduled_at",
                    "must be an hour",
                ));
            }
        };
        if let Some(h) = &hours {
            if h.is_empty() || h.iter().any(|h| !(0..=23).contains(h)) {
                return Err(unprocessable(
                    "periodic_backups_scheduled_at",
                    "must be between 0 and 23",
                ));
            }
            d.schedule_hours = h.iter().map(|h| *h as u8).collect();
        }
        if let Some(e) = fields.get("periodic_backups_enabled") {
            d.schedule_enabled = e.as_bool().ok_or_else(|| {
                unprocessable("periodic_backups_enabled", "must be true or false")
            })?;
        }
        ok(json!({ "database": d.json(Utc::now()) }))
    })
}

pub(super) async fn plan(
    State(inner): S,
    Path((_r, db)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        ok(json!({ "plan": d.plan_json() }))
    })
}
