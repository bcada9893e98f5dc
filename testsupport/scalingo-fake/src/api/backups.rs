//! The database API's backups: listing, creating (as a real pg_dump of the fake's cluster),
//! statuses, and archives to download.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use crate::world::{Backup, Db, new_id};
use crate::{Inner, lock};

use super::common::{Answer, S, error, json_answer, not_found, ok};
use super::database::with_db;

pub(super) async fn backups(
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

pub(super) async fn create_backup(
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

pub(super) fn set_backup(inner: &Inner, addon: &str, id: &str, f: impl FnOnce(&mut Backup)) {
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

/// A database's backup by id, or Scalingo's 404.
fn backup_of<'a>(d: &'a Db, id: &str) -> Result<&'a Backup, Response> {
    d.backups
        .iter()
        .find(|b| b.id == id)
        .ok_or_else(|| not_found("backup"))
}

pub(super) async fn backup_nested(
    State(inner): S,
    Path((_r, db, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        let b = backup_of(d, &id)?;
        ok(json!({ "database_backup": b.json(&d.db_id) }))
    })
}

pub(super) async fn backup_top(
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

pub(super) async fn archive(
    State(inner): S,
    Path((region, db, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    with_db(&inner, &headers, &db, |d| {
        let b = backup_of(d, &id)?;
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
pub(super) struct DownloadQuery {
    token: Option<String>,
}

pub(super) async fn download(
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
