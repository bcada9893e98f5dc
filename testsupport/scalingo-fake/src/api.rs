//! The fake's routes: auth, regional main API and database API, with the control API under /_fake.
#![expect(
    clippy::result_large_err,
    reason = "handlers answer with a Response on both paths; its size does not matter in a test server"
)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::world::{Backup, Db, Operation, Rule, date, new_id};
use crate::{Fault, Inner, Recorded, lock, tokens};

type S = State<Arc<Inner>>;
type Answer = Result<Response, Response>;

const REGIONS: [(&str, &str); 2] = [
    ("osc-fr1", "Paris - Outscale"),
    ("osc-secnum-fr1", "Paris - SecNumCloud - Outscale"),
];

fn json_answer(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

fn ok(v: Value) -> Answer {
    Ok(json_answer(StatusCode::OK, v))
}

fn error(status: u16, v: Value) -> Response {
    json_answer(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        v,
    )
}

fn not_found(resource: &str) -> Response {
    error(404, json!({"resource": resource, "error": "not found"}))
}

fn unprocessable(field: &str, message: &str) -> Response {
    error(422, json!({"errors": {field: [message]}}))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn user(inner: &Inner, headers: &HeaderMap) -> Result<(), Response> {
    let token = bearer(headers).ok_or_else(|| error(401, json!({"error": "no token given"})))?;
    match lock(&inner.bearer_tokens).get(token) {
        Some(exp) if *exp > Utc::now() => Ok(()),
        Some(_) => Err(error(401, json!({"error": "token expired"}))),
        None => Err(error(401, json!({"error": "invalid token"}))),
    }
}

fn addon_user(inner: &Inner, headers: &HeaderMap, addon: &str) -> Result<(), Response> {
    let token = bearer(headers).ok_or_else(|| error(401, json!({"error": "no token given"})))?;
    match lock(&inner.addon_tokens).get(token) {
        Some((_, exp)) if *exp <= Utc::now() => Err(error(401, json!({"error": "token expired"}))),
        Some((a, _)) if a == addon => Ok(()),
        Some(_) => Err(error(
            403,
            json!({"error": "this token is for another database"}),
        )),
        None => Err(error(401, json!({"error": "invalid token"}))),
    }
}

pub fn expire_tokens(inner: &Inner) {
    let past = Utc::now() - chrono::Duration::seconds(1);
    lock(&inner.bearer_tokens)
        .values_mut()
        .for_each(|e| *e = past);
    lock(&inner.addon_tokens)
        .values_mut()
        .for_each(|e| e.1 = past);
}

/// Faults, the rate limit and the request log, for everything but the control API and downloads.
async fn guard(State(inner): S, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let fault = {
        let mut faults = lock(&inner.faults);
        let i = faults.iter().position(|f| {
            path.contains(&f.path_contains)
                && f.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(&method))
        });
        i.map(|i| {
            let f = faults[i].clone();
            faults[i].times -= 1;
            if faults[i].times == 0 {
                faults.remove(i);
            }
            f
        })
    };
    let limited = !path.starts_with("/v1/tokens") && {
        let now = tokio::time::Instant::now();
        let mut sent = lock(&inner.sent);
        while sent
            .front()
            .is_some_and(|t| now - *t >= Duration::from_secs(60))
        {
            sent.pop_front();
        }
        let over = sent.len() >= inner.opts.rate_limit_per_minute as usize;
        if !over {
            sent.push_back(now);
        }
        over
    };
    // Logged on arrival, so that a request whose caller gave up before the answer still shows
    // (with status 0).
    let index = {
        let mut log = lock(&inner.log);
        log.push(Recorded {
            method,
            path,
            query,
            status: 0,
            at: Utc::now(),
        });
        log.len() - 1
    };
    let response = if let Some(f) = fault {
        tokio::time::sleep(f.delay).await;
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match serde_json::from_str::<Value>(&f.body) {
            Ok(v) => json_answer(status, v),
            Err(_) => (status, [(header::CONTENT_TYPE, "text/plain")], f.body).into_response(),
        }
    } else if limited {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CONTENT_TYPE, "text/plain")],
            "Retry later",
        )
            .into_response()
    } else {
        next.run(req).await
    };
    if let Some(r) = lock(&inner.log).get_mut(index) {
        r.status = response.status().as_u16();
    }
    response
}

pub fn router(inner: Arc<Inner>) -> Router {
    let guarded = Router::new()
        .route("/v1/tokens/exchange", post(exchange))
        .route("/v1/regions", get(regions))
        .route("/v1/users/self", get(user_self))
        .route("/{region}/v1/apps", get(apps))
        .route("/{region}/v1/apps/{app}/addons", get(addons))
        .route("/{region}/v1/apps/{app}/addons/{addon}", get(addon))
        .route(
            "/{region}/v1/apps/{app}/addons/{addon}/token",
            post(addon_token),
        )
        .route("/{region}/v1/apps/{app}/variables", get(variables))
        .route("/{region}/v1/databases", get(dr_list))
        .route("/{region}/v1/databases/{id}", get(dr_one))
        .route(
            "/{region}/dbapi/api/databases/{db}",
            get(database).patch(update_database).put(update_database),
        )
        .route("/{region}/dbapi/api/databases/{db}/plan", get(plan))
        .route(
            "/{region}/dbapi/api/databases/{db}/backups",
            get(backups).post(create_backup),
        )
        .route(
            "/{region}/dbapi/api/databases/{db}/backups/{id}",
            get(backup_nested),
        )
        .route("/{region}/dbapi/api/backups/{id}", get(backup_top))
        .route(
            "/{region}/dbapi/api/databases/{db}/backups/{id}/archive",
            get(archive),
        )
        .route(
            "/{region}/dbapi/api/databases/{db}/pitr/recovery_window",
            get(window),
        )
        .route(
            "/{region}/dbapi/api/databases/{db}/pitr/restore",
            post(pitr_restore),
        )
        .route(
            "/{region}/dbapi/api/databases/{db}/operations/{op}",
            get(operation_nested),
        )
        .route("/{region}/dbapi/api/operations/{op}", get(operation_top))
        .route(
            "/{region}/dbapi/api/databases/{db}/firewall_rules",
            get(rules).post(add_rule),
        )
        .route(
            "/{region}/dbapi/api/databases/{db}/firewall_rules/{id}",
            delete(remove_rule),
        )
        .route(
            "/{region}/dbapi/api/firewall/managed_ranges",
            get(managed_ranges),
        )
        .layer(middleware::from_fn_with_state(inner.clone(), guard));
    Router::new()
        .merge(guarded)
        .route(
            "/{region}/dbapi/api/databases/{db}/backups/{id}/download",
            get(download),
        )
        .route("/_fake/faults", post(control_fault))
        .route(
            "/_fake/requests",
            get(control_requests).delete(control_clear),
        )
        .route("/_fake/expire-tokens", post(control_expire))
        .with_state(inner)
}

// --- Auth API ---

async fn exchange(State(inner): S, headers: HeaderMap) -> Answer {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    if given
        .as_deref()
        .and_then(|g| g.split_once(':'))
        .map(|(_, p)| p)
        != Some(inner.opts.api_token.as_str())
    {
        return Err(error(401, json!({"error": "invalid API token"})));
    }
    let exp = Utc::now() + chrono::Duration::from_std(inner.opts.token_ttl).unwrap_or_default();
    let token = tokens::issue("user-1", exp);
    lock(&inner.bearer_tokens).insert(token.clone(), exp);
    ok(json!({ "token": token }))
}

async fn regions(State(inner): S, headers: HeaderMap) -> Answer {
    user(&inner, &headers)?;
    let list: Vec<Value> = REGIONS
        .iter()
        .enumerate()
        .map(|(i, (name, display))| {
            json!({"name": name, "display_name": display,
                   "api": format!("{}/{name}", inner.base),
                   "database_api": format!("{}/{name}/dbapi", inner.base),
                   "dashboard": format!("{}/dashboard", inner.base),
                   "ssh": format!("ssh.{name}.example:22"), "default": i == 0})
        })
        .collect();
    ok(json!({ "regions": list }))
}

async fn user_self(State(inner): S, headers: HeaderMap) -> Answer {
    user(&inner, &headers)?;
    ok(
        json!({"user": {"id": "us-1", "username": "fake", "fullname": "Fake User", "email": "fake@example.com", "flags": {}}}),
    )
}

// --- Main API ---

fn app_json(a: &crate::world::App) -> Value {
    let flags = if a.dedicated {
        json!({"dedicated-database": true})
    } else {
        json!({})
    };
    json!({"id": a.id, "name": a.name, "region": a.region, "flags": flags, "status": "running"})
}

fn addon_json(a: &crate::world::Addon, app_id: &str) -> Value {
    json!({"id": a.id, "app_id": app_id, "resource_id": a.resource_id, "status": "running",
           "plan": {"id": format!("pl-{}", a.plan), "name": a.plan, "display_name": a.plan},
           "addon_provider": {"id": a.provider, "name": if a.provider == "postgresql" { "PostgreSQL" } else { "Redis" }},
           "provisioned_at": date(Utc::now() - chrono::Duration::days(30)), "deprovisioned_at": null})
}

fn find_app(inner: &Inner, region: &str, app: &str) -> Result<crate::world::App, Response> {
    lock(&inner.world)
        .apps
        .iter()
        .find(|a| a.region == region && (a.name == app || a.id == app))
        .cloned()
        .ok_or_else(|| not_found("app"))
}

/// An app's addon, for a caller with a valid bearer token.
fn find_addon(
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

async fn apps(State(inner): S, Path(region): Path<String>, headers: HeaderMap) -> Answer {
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

async fn addons(
    State(inner): S,
    Path((region, app)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    user(&inner, &headers)?;
    let a = find_app(&inner, &region, &app)?;
    let list: Vec<Value> = a.addons.iter().map(|ad| addon_json(ad, &a.id)).collect();
    ok(json!({ "addons": list }))
}

async fn addon(
    State(inner): S,
    Path((region, app, addon)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    let (a, ad) = find_addon(&inner, &headers, &region, &app, &addon)?;
    ok(json!({ "addon": addon_json(&ad, &a.id) }))
}

async fn addon_token(
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

async fn variables(
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

fn dr_json(a: &crate::world::App, plan: &str) -> Value {
    json!({"id": a.id, "name": a.name, "project_id": "pr-1", "technology": "postgresql-ng", "plan": plan})
}

async fn dr_list(State(inner): S, Path(region): Path<String>, headers: HeaderMap) -> Answer {
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

async fn dr_one(
    State(inner): S,
    Path((region, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    user(&inner, &headers)?;
    let a = find_app(&inner, &region, &id).ok().filter(|a| a.dedicated);
    let a = a.ok_or_else(|| error(404, json!({"error": "Database not found"})))?;
    ok(json!({ "database": dr_json(&a, &a.addons[0].plan) }))
}

// --- Database API ---

/// Runs `f` on the database behind `addon`, after checking the addon token.
fn with_db<T>(
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

async fn database(
    State(inner): S,
    Path((_r, db)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        ok(json!({ "database": d.json(Utc::now()) }))
    })
}

async fn update_database(
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

async fn plan(
    State(inner): S,
    Path((_r, db)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        ok(json!({ "plan": d.plan_json() }))
    })
}

async fn backups(
    State(inner): S,
    Path((_r, db)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        let mut list = d.backups.clone();
        list.sort_by_key(|b| std::cmp::Reverse(b.created_at));
        let list: Vec<Value> = list.iter().map(|b| b.json(&d.db_id)).collect();
        ok(json!({ "database_backups": list }))
    })
}

async fn create_backup(
    State(inner): S,
    Path((_r, db)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    let now = Utc::now();
    let (backup, url) = with_db(&inner, &headers, &db, |d| {
        if d.plan.contains("-dr-") {
            return Err(error(
                400,
                json!({"error": "Dedicated Resources databases have no logical backups managed by Scalingo"}),
            ));
        }
        let b = Backup {
            id: new_id(""),
            name: format!("{}_{}", now.format("%Y%m%d%H%M%S"), d.resource_id),
            created_at: now,
            started_at: None,
            size: None,
            status: "scheduled".into(),
            method: "manual",
            archive: None,
        };
        d.backups.push(b.clone());
        Ok((b, d.url.clone()))
    })?;
    let body = backup.json("");
    let (inner2, addon, id, name) = (
        inner.clone(),
        db.clone(),
        backup.id.clone(),
        backup.name.clone(),
    );
    tokio::spawn(async move {
        tokio::time::sleep(inner2.opts.backup_start_delay).await;
        set_backup(&inner2, &addon, &id, |b| {
            b.status = "running".into();
            b.started_at = Some(Utc::now());
        });
        tokio::time::sleep(inner2.opts.backup_run_time).await;
        let archive = match &inner2.data {
            Some(data) => data.archive(&url, &name).await,
            None => crate::data::pack(b"PGDMP stand-in: started without a cluster", &name),
        };
        set_backup(&inner2, &addon, &id, |b| match archive {
            Ok(a) => {
                b.size = Some(a.len() as u64);
                b.archive = Some(Arc::new(a));
                b.status = "done".into();
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "the fake's backup failed");
                b.status = "error".into();
            }
        });
    });
    Ok(json_answer(
        StatusCode::CREATED,
        json!({ "database_backup": body }),
    ))
}

fn set_backup(inner: &Inner, addon: &str, id: &str, f: impl FnOnce(&mut Backup)) {
    let mut world = lock(&inner.world);
    if let Some(b) = world
        .dbs
        .iter_mut()
        .find(|d| d.addon_id == addon)
        .and_then(|d| d.backups.iter_mut().find(|b| b.id == id))
    {
        f(b);
    }
}

async fn backup_nested(
    State(inner): S,
    Path((_r, db, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        let b = d
            .backups
            .iter()
            .find(|b| b.id == id)
            .ok_or_else(|| not_found("backup"))?;
        ok(json!({ "database_backup": b.json(&d.db_id) }))
    })
}

async fn backup_top(
    State(inner): S,
    Path((_r, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    let addon = lock(&inner.world)
        .dbs
        .iter()
        .find(|d| d.backups.iter().any(|b| b.id == id))
        .map(|d| d.addon_id.clone())
        .ok_or_else(|| not_found("backup"))?;
    backup_nested(State(inner), Path((String::new(), addon, id)), headers).await
}

async fn archive(
    State(inner): S,
    Path((region, db, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        let b = d
            .backups
            .iter()
            .find(|b| b.id == id)
            .ok_or_else(|| not_found("backup"))?;
        if b.archive.is_none() {
            return Err(error(400, json!({"error": "this backup has no archive"})));
        }
        Ok(())
    })?;
    let token = new_id("dl-");
    let exp = Utc::now() + chrono::Duration::minutes(10);
    lock(&inner.downloads).insert(token.clone(), (db.clone(), id.clone(), exp));
    ok(
        json!({ "download_url": format!("{}/{region}/dbapi/api/databases/{db}/backups/{id}/download?token={token}", inner.base) }),
    )
}

#[derive(serde::Deserialize)]
struct DownloadQuery {
    token: Option<String>,
}

async fn download(
    State(inner): S,
    Path((_r, db, id)): Path<(String, String, String)>,
    Query(q): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Response {
    let allowed = q
        .token
        .as_ref()
        .and_then(|t| lock(&inner.downloads).get(t).cloned());
    match allowed {
        Some((a, b, exp)) if a == db && b == id && exp > Utc::now() => {}
        _ => {
            return error(
                403,
                json!({"error": "this download link is invalid or has expired"}),
            );
        }
    }
    let bytes = {
        let world = lock(&inner.world);
        world
            .dbs
            .iter()
            .find(|d| d.addon_id == db)
            .and_then(|d| d.backups.iter().find(|b| b.id == id))
            .and_then(|b| b.archive.clone())
    };
    let Some(bytes) = bytes else {
        return not_found("backup");
    };
    let len = bytes.len() as u64;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .map(|(a, b)| (a.parse::<u64>().ok(), b.parse::<u64>().ok()));
    let (start, end, status) = match range {
        Some((Some(a), b)) => (
            a,
            b.unwrap_or(len.saturating_sub(1))
                .min(len.saturating_sub(1)),
            StatusCode::PARTIAL_CONTENT,
        ),
        Some((None, Some(n))) => (
            len.saturating_sub(n),
            len.saturating_sub(1),
            StatusCode::PARTIAL_CONTENT,
        ),
        _ => (0, len.saturating_sub(1), StatusCode::OK),
    };
    if start >= len || start > end {
        return (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{len}"))],
        )
            .into_response();
    }
    let part = bytes[start as usize..=end as usize].to_vec();
    let mut res = Response::new(Body::from(part));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        "application/gzip".parse().expect("mime"),
    );
    h.insert(header::ACCEPT_RANGES, "bytes".parse().expect("value"));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = format!("bytes {start}-{end}/{len}").parse()
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    res
}

async fn window(
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

async fn pitr_restore(
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

fn set_operation(inner: &Inner, addon: &str, id: &str, status: &str) {
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

async fn operation_nested(
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

async fn operation_top(
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

fn dedicated(d: &Db) -> Result<(), Response> {
    if d.plan.contains("-dr-") {
        Ok(())
    } else {
        Err(not_found("firewall_rules"))
    }
}

async fn rules(
    State(inner): S,
    Path((_r, db)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        dedicated(d)?;
        let list: Vec<Value> = d.rules.iter().map(|r| r.json(&d.db_id)).collect();
        ok(json!({ "rules": list }))
    })
}

/// A CIDR as the API checks it: an address and a prefix within its family's length.
fn valid_cidr(s: &str) -> bool {
    let Some((addr, prefix)) = s.split_once('/') else {
        return false;
    };
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    prefix.parse::<u8>().is_ok_and(|p| p <= max)
}

async fn add_rule(
    State(inner): S,
    Path((_r, db)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Answer {
    let body: Value =
        serde_json::from_str(&body).map_err(|_| error(400, json!({"error": "invalid JSON"})))?;
    // Flat (as the Go client sends) or wrapped in `firewall_rule` (as the JS client sends).
    let f = body.get("firewall_rule").cloned().unwrap_or(body);
    let text = |k: &str| f.get(k).and_then(|v| v.as_str()).map(str::to_string);
    with_db(&inner, &headers, &db, |d| {
        dedicated(d)?;
        let (cidr, range_id, label) = (text("cidr"), text("range_id"), text("label"));
        let kind = match (&cidr, &range_id) {
            (Some(c), None) => {
                if !valid_cidr(c) {
                    return Err(unprocessable("cidr", "is not a valid CIDR"));
                }
                "custom_range"
            }
            (None, Some(r)) => {
                if label.is_some() {
                    return Err(unprocessable("label", "must be empty for a managed range"));
                }
                if !["mr-scalingo-osc-fr1", "mr-scalingo-osc-secnum-fr1"].contains(&r.as_str()) {
                    return Err(unprocessable("range_id", "is not a managed range"));
                }
                "managed_range"
            }
            _ => {
                return Err(unprocessable(
                    "cidr",
                    "give exactly one of cidr and range_id",
                ));
            }
        };
        if d.rules.len() >= 30 {
            return Err(unprocessable(
                "base",
                "a database can have at most 30 rules",
            ));
        }
        let rule = Rule {
            id: new_id("fr-"),
            kind,
            cidr,
            label,
            range_id,
        };
        d.rules.push(rule.clone());
        Ok(json_answer(
            StatusCode::CREATED,
            json!({ "rule": rule.json(&d.db_id) }),
        ))
    })
}

async fn remove_rule(
    State(inner): S,
    Path((_r, db, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        dedicated(d)?;
        let before = d.rules.len();
        d.rules.retain(|r| r.id != id);
        if d.rules.len() == before {
            return Err(not_found("firewall_rule"));
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn managed_ranges(State(inner): S, headers: HeaderMap) -> Answer {
    let token = bearer(&headers).ok_or_else(|| error(401, json!({"error": "no token given"})))?;
    match lock(&inner.addon_tokens).get(token) {
        Some((_, exp)) if *exp > Utc::now() => {}
        _ => return Err(error(401, json!({"error": "invalid token"}))),
    }
    ok(json!({"ranges": [
        {"id": "mr-scalingo-osc-fr1", "name": "Scalingo osc-fr1 region"},
        {"id": "mr-scalingo-osc-secnum-fr1", "name": "Scalingo osc-secnum-fr1 region"}
    ]}))
}

// --- Control API ---

async fn control_fault(State(inner): S, axum::Json(f): axum::Json<Fault>) -> StatusCode {
    lock(&inner.faults).push(f);
    StatusCode::NO_CONTENT
}

async fn control_requests(State(inner): S) -> axum::Json<Vec<Recorded>> {
    axum::Json(lock(&inner.log).clone())
}

async fn control_clear(State(inner): S) -> StatusCode {
    lock(&inner.log).clear();
    StatusCode::NO_CONTENT
}

async fn control_expire(State(inner): S) -> StatusCode {
    expire_tokens(&inner);
    StatusCode::NO_CONTENT
}
