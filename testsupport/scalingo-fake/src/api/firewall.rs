//! The database API's firewall rules, for Dedicated Resources databases, and the managed ranges.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use crate::lock;
use crate::world::{Db, Rule, new_id};

use super::common::{Answer, S, bearer, error, json_answer, not_found, ok, unprocessable};
use super::database::with_db;

pub(super) fn dedicated(d: &Db) -> Result<(), Response> {
    if d.plan.contains("-dr-") {
        Ok(())
    } else {
        Err(not_found("firewall_rules"))
    }
}

pub(super) async fn rules(
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
pub(super) fn valid_cidr(s: &str) -> bool {
    let Some((addr, prefix)) = s.split_once('/') else {
        return false;
    };
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    prefix.parse::<u8>().is_ok_and(|p| p <= max)
}

pub(super) async fn add_rule(
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

pub(super) async fn remove_rule(
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

pub(super) async fn managed_ranges(State(inner): S, headers: HeaderMap) -> Answer {
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
