//! Firewall rules of Dedicated Resources databases (read by anyone, changed by admins), and
//! whether this server reaches a database.

use super::{Caller, OpsError, Tidemark};
use crate::auth::Action;
use crate::provider::{Firewall, FirewallRule, NewFirewallRule};
use crate::work::preflight::{Check, reachability};

/// The rules and the managed ranges a rule can name.
pub async fn list(tm: &Tidemark, who: &Caller, database: &str) -> Result<Firewall, OpsError> {
    tm.door(who, Action::Read, Some(database)).await?;
    Ok(tm.catalog.firewall(database).await?)
}

/// A rule as a request gives it: a CIDR with a label, or a managed range's id (and no label).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleRequest {
    pub cidr: Option<String>,
    pub label: Option<String>,
    pub range_id: Option<String>,
}

fn rule_from(r: RuleRequest) -> Result<NewFirewallRule, OpsError> {
    let given = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    match (given(r.cidr), given(r.range_id)) {
        (Some(cidr), None) => Ok(NewFirewallRule::Custom {
            cidr,
            label: r.label.unwrap_or_default(),
        }),
        (None, Some(range_id)) if given(r.label.clone()).is_none() => {
            Ok(NewFirewallRule::Managed { range_id })
        }
        (None, Some(_)) => Err(OpsError::invalid(
            "label",
            "A managed range takes no label.",
        )),
        _ => Err(OpsError::invalid(
            "cidr",
            "Give either a CIDR range with a label, or a managed range's id.",
        )),
    }
}

/// Adds a rule; it takes a couple of minutes to apply on Scalingo's side.
pub async fn add(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    request: RuleRequest,
) -> Result<FirewallRule, OpsError> {
    let door = tm.door(who, Action::ChangeFirewall, Some(database)).await?;
    let rule = match rule_from(request) {
        Ok(rule) => rule,
        Err(e) => return door.end(Err(e), |_: &FirewallRule| String::new()).await,
    };
    let what = match &rule {
        NewFirewallRule::Custom { cidr, label } => {
            format!("add {} ({})", cidr.trim(), label.trim())
        }
        NewFirewallRule::Managed { range_id } => format!("add {range_id}"),
    };
    let result = tm
        .catalog
        .add_firewall_rule(database, rule)
        .await
        .map_err(OpsError::from);
    door.end(result, |_| what).await
}

/// Removes a rule.
pub async fn remove(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    rule: &str,
) -> Result<(), OpsError> {
    let door = tm.door(who, Action::ChangeFirewall, Some(database)).await?;
    let result = tm
        .catalog
        .remove_firewall_rule(database, rule)
        .await
        .map_err(OpsError::from);
    door.end(result, |()| format!("remove {rule}")).await
}

/// Whether this server can open a connection to the database now, and what to do if not.
pub async fn reachable(tm: &Tidemark, who: &Caller, database: &str) -> Result<Check, OpsError> {
    tm.door(who, Action::Read, Some(database)).await?;
    let db = tm.catalog.database(database).await?;
    let target = tm.catalog.connection(&db.id).await?;
    Ok(reachability(&target, db.features.firewall).await)
}
