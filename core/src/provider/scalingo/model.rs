//! The Scalingo APIs' shapes, read leniently where official clients disagree (see the reference's
//! conflicts): a schedule hour as a number or a list, PITR answers with an operation or its id, the
//! Dedicated Resources list wrapped or bare.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Region {
    pub name: String,
    #[serde(default)]
    pub display_name: String,
    pub api: String,
    pub database_api: String,
    #[serde(default)]
    pub default: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Regions {
    pub regions: Vec<Region>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct App {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub flags: serde_json::Map<String, serde_json::Value>,
}

impl App {
    /// A Dedicated Resources database is an app flagged so.
    pub fn is_dedicated_database(&self) -> bool {
        self.flags
            .get("dedicated-database")
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Apps {
    pub apps: Vec<App>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct AddonPlan {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub display_name: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct AddonProvider {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Addon {
    pub id: String,
    #[serde(default)]
    pub resource_id: String,
    #[serde(default)]
    pub status: String,
    pub plan: Option<AddonPlan>,
    pub addon_provider: AddonProvider,
}

impl Addon {
    /// PostgreSQL addons, matched as the CLI does: by provider id or name, ignoring case.
    pub fn is_postgresql(&self) -> bool {
        let p = &self.addon_provider;
        ["postgresql", "postgresql-ng"]
            .iter()
            .any(|n| p.id.eq_ignore_ascii_case(n) || p.name.eq_ignore_ascii_case(n))
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Addons {
    pub addons: Vec<Addon>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddonWithToken {
    pub addon: AddonToken,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddonToken {
    pub token: String,
}

/// A Dedicated Resources database as the main API lists it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct DedicatedDatabase {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub technology: String,
    #[serde(default)]
    pub plan: String,
}

/// `{"databases": [...]}` (documented) or a bare list of `{"database": {...}}` (seen in a client).
pub(crate) fn dedicated_databases(v: serde_json::Value) -> Result<Vec<DedicatedDatabase>, String> {
    let items = match v {
        serde_json::Value::Object(mut o) => match o.remove("databases") {
            Some(serde_json::Value::Array(items)) => items,
            _ => return Err("no `databases` list".into()),
        },
        serde_json::Value::Array(items) => items,
        _ => return Err("neither an object nor a list".into()),
    };
    items
        .into_iter()
        .map(|item| {
            let inner = match item {
                serde_json::Value::Object(mut o) if o.contains_key("database") => {
                    o.remove("database").unwrap_or_default()
                }
                other => other,
            };
            serde_json::from_value(inner).map_err(|e| e.to_string())
        })
        .collect()
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct PostgresqlConfig {
    #[serde(default)]
    pub timescaledb_enabled: bool,
}

/// A database on the database API.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ApiDatabase {
    pub id: String,
    #[serde(default)]
    pub resource_id: String,
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub type_name: String,
    #[serde(default)]
    pub readable_version: String,
    pub current_operation_id: Option<String>,
    #[serde(default)]
    pub periodic_backups_enabled: bool,
    #[serde(default, deserialize_with = "hours")]
    pub periodic_backups_scheduled_at: Vec<u8>,
    pub first_pitr_backup: Option<DateTime<Utc>>,
    pub postgresql_config: Option<PostgresqlConfig>,
}

/// The schedule hours, whether sent as one number or a list.
fn hours<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Hours {
        One(u8),
        Many(Vec<u8>),
        None(()),
    }
    Ok(match Hours::deserialize(d)? {
        Hours::One(h) => vec![h],
        Hours::Many(v) => v,
        Hours::None(()) => Vec::new(),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct DatabaseEnvelope {
    pub database: ApiDatabase,
}

/// What the plan allows: retention and the PITR window's length.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ApiPlan {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub backup: bool,
    pub manual_backups_count: Option<u32>,
    pub daily_scheduled_backups: Option<u32>,
    pub weekly_scheduled_backups: Option<u32>,
    pub monthly_scheduled_backups: Option<u32>,
    pub pitr_backup_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlanEnvelope {
    pub plan: ApiPlan,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ApiBackup {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub name: String,
    pub size: Option<u64>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub hidden: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BackupList {
    pub database_backups: Vec<ApiBackup>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BackupEnvelope {
    pub database_backup: ApiBackup,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ArchiveUrl {
    pub download_url: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct RecoveryWindow {
    pub earliest_recoverable_at: Option<DateTime<Utc>>,
    pub latest_recoverable_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RecoveryWindowEnvelope {
    #[serde(default)]
    pub recovery_window: RecoveryWindow,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Operation {
    pub id: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: String,
    pub error: Option<String>,
}

impl Operation {
    /// Whether it will not change any more.
    pub fn is_final(&self) -> bool {
        matches!(
            self.status.as_str(),
            "finished" | "error" | "user-error" | "cancelled"
        )
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct OperationEnvelope {
    pub operation: Operation,
}

/// The id of the operation a PITR restore started: `{"operation": {"id"}}` now, `{"operation_id"}`
/// in the older documentation.
pub(crate) fn operation_id(v: &serde_json::Value) -> Option<String> {
    v.pointer("/operation/id")
        .or_else(|| v.get("operation_id"))
        .and_then(|id| id.as_str())
        .map(str::to_string)
}

/// A firewall rule of a Dedicated Resources database.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct ApiFirewallRule {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub cidr: Option<String>,
    pub label: Option<String>,
    pub range_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RuleList {
    pub rules: Vec<ApiFirewallRule>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RuleEnvelope {
    pub rule: ApiFirewallRule,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ManagedRange {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ManagedRanges {
    pub ranges: Vec<ManagedRange>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Variable {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Variables {
    pub variables: Vec<Variable>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(schedule: &str) -> ApiDatabase {
        let json = format!(
            r#"{{"id":"5c59","plan":"postgresql-business-1024","periodic_backups_enabled":true,
                "periodic_backups_scheduled_at":{schedule},"current_operation_id":null,
                "first_pitr_backup":"2018-09-02T03:00:00.178+02:00"}}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn the_schedule_reads_as_a_number_a_list_or_nothing() {
        assert_eq!(database("3").periodic_backups_scheduled_at, vec![3]);
        assert_eq!(
            database("[0, 12]").periodic_backups_scheduled_at,
            vec![0, 12]
        );
        assert_eq!(
            database("null").periodic_backups_scheduled_at,
            Vec::<u8>::new()
        );
    }

    #[test]
    fn dates_with_offsets_and_milliseconds_become_utc() {
        let d = database("[0]");
        assert_eq!(
            d.first_pitr_backup.unwrap().to_rfc3339(),
            "2018-09-02T01:00:00.178+00:00"
        );
    }

    #[test]
    fn both_pitr_answers_give_the_operation() {
        let now = serde_json::json!({"operation": {"id": "op-1", "status": "pending"}});
        let old = serde_json::json!({"operation_id": "op-2"});
        assert_eq!(operation_id(&now).as_deref(), Some("op-1"));
        assert_eq!(operation_id(&old).as_deref(), Some("op-2"));
        assert_eq!(operation_id(&serde_json::json!({})), None);
    }

    #[test]
    fn both_dedicated_lists_are_read() {
        let documented = serde_json::json!({"databases": [
            {"id": "db-1", "name": "ledger", "technology": "postgresql-ng", "plan": "postgresql-dr-starter-4096"}
        ]});
        let bare = serde_json::json!([{"database":
            {"id": "db-1", "name": "ledger", "technology": "postgresql-ng", "plan": "postgresql-dr-starter-4096"}
        }]);
        let a = dedicated_databases(documented).unwrap();
        assert_eq!(a, dedicated_databases(bare).unwrap());
        assert_eq!(a[0].name, "ledger");
        assert!(dedicated_databases(serde_json::json!("nope")).is_err());
    }

    #[test]
    fn postgresql_addons_are_told_apart() {
        let addon = |id: &str| Addon {
            id: "ad-1".into(),
            resource_id: String::new(),
            status: "running".into(),
            plan: None,
            addon_provider: AddonProvider {
                id: id.into(),
                name: String::new(),
            },
        };
        assert!(addon("postgresql").is_postgresql());
        assert!(addon("PostgreSQL").is_postgresql());
        assert!(!addon("redis").is_postgresql());
    }

    #[test]
    fn operations_end_in_four_statuses() {
        let op = |s: &str| Operation {
            id: "o".into(),
            kind: "pitr_restore".into(),
            status: s.into(),
            error: None,
        };
        for s in ["finished", "error", "user-error", "cancelled"] {
            assert!(op(s).is_final(), "{s}");
        }
        for s in ["pending", "running", "cancelling"] {
            assert!(!op(s).is_final(), "{s}");
        }
    }
}
