//! The regional main API: apps, their addons and addon tokens, variables, and Dedicated Resources
//! databases.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};

use crate::world::date;
use crate::{Inner, lock, tokens};

use super::common::{Answer, S, error, not_found, ok, user};

pub(super) fn app_json(a: &crate::world::App) -> Value {
    let flags = if a.dedicated {
        json!({"dedicated-database": true})
    } else {
        json!({})
    };
    json!({"id": a.id, "name": a.name, "region": a.region, "flags": flags, "status": "running"})
}

pub(super) fn addon_json(a: &crate::world::Addon, app_id: &str) -> Value {
    json!({"id": a.id, "app_id": app_id, "resource_id": a.resource_id, "status": "running",
           "plan": {"id": format!("pl-{}", a.plan), "name": a.plan, "display_name": a.plan},
           "addon_provider": {"id": a.provider, "name": if a.provider == "postgresql" { "PostgreSQL" } else { "Redis" }},
           "provisioned_at": date(Utc::now() - chrono::Duration::days(30)), "deprovisioned_at": null})
}

pub(super) fn find_app(
    inner: &Inner,
    region: &str,
    app: &str,
) -> Result<crate::world::App, Response> {
    lock(&inner.world)
        .apps
        .iter()
        .find(|a| a.region == region && (a.name == app || a.id == app))
        .cloned()
        .ok_or_else(|| not_found("app"))
}

/// An app's addon, for a caller with a valid bearer token.
pub(super) fn find_addon(
    inner: &Inner,
    headers: &HeaderMap,
    region: &str,
    app: &str,
    addon: &str,
) -> Result<(crate::world::App, crate::world::Addon), Response> {
    user(inner, headers)?;
    let a = find_app(inner, region, app)?;
    let ad = a
        .addons
        .iter()
        .find(|ad| ad.id == addon)
        .cloned()
        .ok_or_else(|| not_found("addon"))?;
    Ok((a, ad))
}

pub(super) async fn apps(
    State(inner): S,
    Path(region): Path<String>,
    headers: HeaderMap,
) -> Answer {
    user(&inner, &headers)?;
    let world = lock(&inner.world);
    let list: Vec<Value> = world
        .apps
        .iter()
        .filter(|a| a.region == region)
        .map(app_json)
        .collect();
    ok(json!({ "apps": list }))
}

pub(super) async fn addons(
    State(inner): S,
    Path((region, app)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    user(&inner, &headers)?;
    let a = find_app(&inner, &region, &app)?;
    let list: Vec<Value> = a.addons.iter().map(|ad| addon_json(ad, &a.id)).collect();
    ok(json!({ "addons": list }))
}

pub(super) async fn addon(
    State(inner): S,
    Path((region, app, addon)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    let (a, ad) = find_addon(&inner, &headers, &region, &app, &addon)?;
    ok(json!({ "addon": addon_json(&ad, &a.id) }))
}

pub(super) async fn addon_token(
    State(inner): S,
    Path((region, app, addon)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    let (a, ad) = find_addon(&inner, &headers, &region, &app, &addon)?;
    let exp =
        Utc::now() + chrono::Duration::from_std(inner.opts.addon_token_ttl).unwrap_or_default();
    let token = tokens::issue(&ad.id, exp);
    lock(&inner.addon_tokens).insert(token.clone(), (ad.id.clone(), exp));
    let mut body = addon_json(&ad, &a.id);
    body["token"] = json!(token);
    ok(json!({ "addon": body }))
}

pub(super) async fn variables(
    State(inner): S,
    Path((region, app)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    user(&inner, &headers)?;
    let a = find_app(&inner, &region, &app)?;
    let world = lock(&inner.world);
    let vars: Vec<Value> = world
        .dbs
        .iter()
        .filter(|d| d.app == a.name)
        .take(1)
        .map(|d| json!({"id": "var-1", "name": "SCALINGO_POSTGRESQL_URL", "value": d.url}))
        .chain(std::iter::once(
            json!({"id": "var-2", "name": "NODE_ENV", "value": "production"}),
        ))
        .collect();
    ok(json!({ "variables": vars }))
}

pub(super) fn dr_json(a: &crate::world::App, plan: &str) -> Value {
    json!({"id": a.id, "name": a.name, "project_id": "pr-1", "technology": "postgresql-ng", "plan": plan})
}

pub(super) async fn dr_list(
    State(inner): S,
    Path(region): Path<String>,
    headers: HeaderMap,
) -> Answer {
    user(&inner, &headers)?;
    let world = lock(&inner.world);
    let list: Vec<Value> = world
        .apps
        .iter()
        .filter(|a| a.region == region && a.dedicated)
        .map(|a| dr_json(a, &a.addons[0].plan))
        .collect();
    if inner.opts.dr_list_bare_array {
        return ok(Value::Array(
            list.into_iter().map(|d| json!({ "database": d })).collect(),
        ));
    }
    ok(json!({ "databases": list }))
}

pub(super) async fn dr_one(
    State(inner): S,
    Path((region, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    user(&inner, &headers)?;
    let a = find_app(&inner, &region, &id).ok().filter(|a| a.dedicated);
    let a = a.ok_or_else(|| error(404, json!({"error": "Database not found"})))?;
    ok(json!({ "database": dr_json(&a, &a.addons[0].plan) }))
}
