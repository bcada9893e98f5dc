//! The seeded world: regions, apps, addons, databases, backups, firewall rules and operations.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub(crate) struct Addon {
    pub id: String,
    pub provider: &'static str,
    pub plan: String,
    pub resource_id: String,
}

#[derive(Debug, Clone)]
pub(crate) struct App {
    pub id: String,
    pub name: String,
    pub region: &'static str,
    pub dedicated: bool,
    pub addons: Vec<Addon>,
}

#[derive(Debug, Clone)]
pub(crate) struct Backup {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub size: Option<u64>,
    pub status: String,
    pub method: &'static str,
    /// The archive's bytes once it is done.
    pub archive: Option<std::sync::Arc<Vec<u8>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub id: String,
    pub kind: &'static str,
    pub cidr: Option<String>,
    pub label: Option<String>,
    pub range_id: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub id: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One PostgreSQL database behind an addon.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    pub addon_id: String,
    pub app: String,
    pub db_id: String,
    pub plan: String,
    pub resource_id: String,
    pub timescaledb: bool,
    pub schedule_enabled: bool,
    pub schedule_hours: Vec<u8>,
    pub first_pitr_backup: DateTime<Utc>,
    pub backups: Vec<Backup>,
    pub rules: Vec<Rule>,
    pub operations: Vec<Operation>,
    pub current_operation: Option<String>,
    pub url: String,
    pub pitr_restores: Vec<DateTime<Utc>>,
}

pub(crate) fn new_id(prefix: &str) -> String {
    let hex: String = (0..24)
        .map(|_| char::from_digit(u32::from(rand::random::<u8>() % 16), 16).unwrap_or('0'))
        .collect();
    format!("{prefix}{hex}")
}

/// A Scalingo date: milliseconds and an offset.
pub fn date(t: DateTime<Utc>) -> Value {
    json!(
        t.with_timezone(&chrono::FixedOffset::east_opt(3600).expect("offset"))
            .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .to_string()
    )
}

pub(crate) struct World {
    pub apps: Vec<App>,
    pub dbs: Vec<Db>,
}

impl Db {
    pub(crate) fn plan_json(&self) -> Value {
        let business = self.plan.contains("business");
        let dr = self.plan.contains("-dr-");
        json!({
            "id": format!("pl-{}", self.plan), "name": self.plan, "backup": true,
            "disk": 10240, "memory": 1024,
            "manual_backups_count": if business { 50 } else { 10 },
            "daily_scheduled_backups": 7,
            "weekly_scheduled_backups": if business { 8 } else { 4 },
            "monthly_scheduled_backups": if business { 12 } else { 0 },
            "pitr_backup_days": if dr && business { 14 } else { 7 },
        })
    }

    pub(crate) fn window(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let days = self.plan_json()["pitr_backup_days"].as_i64().unwrap_or(7);
        (self.first_pitr_backup.max(now - Duration::days(days)), now)
    }

    pub(crate) fn json(&self, now: DateTime<Utc>) -> Value {
        let busy = self.current_operation.is_some();
        json!({
            "id": self.db_id, "resource_id": self.resource_id, "app_name": self.app,
            "created_at": date(now - Duration::days(30)), "encryption_at_rest": true,
            "plan": self.plan, "status": if busy { "updating" } else { "running" },
            "type_id": "5c599fd6", "type_name": "postgresql",
            "version_id": "v15", "next_version_id": null, "readable_version": "15.13.0-1",
            "mongo_repl_set_name": "", "hostname": "127.0.0.1:5432",
            "instances": [{"id": "i-1", "hostname": "127.0.0.1", "port": 5432, "status": "running",
                           "type": "db-node", "features": [], "private_ip": "10.0.0.2"}],
            "features": [{"name": "force-ssl", "status": "ACTIVATED"}],
            "current_operation_id": self.current_operation,
            "cluster": self.plan.contains("business"),
            "periodic_backups_enabled": self.schedule_enabled,
            "periodic_backups_scheduled_at": self.schedule_hours,
            "maintenance_window": {"weekday_utc": 1, "starting_hour_utc": 3, "duration_in_hour": 8},
            "first_pitr_backup": date(self.first_pitr_backup),
            "flags": [],
            "postgresql_config": {"timescaledb_enabled": self.timescaledb},
        })
    }
}

impl Backup {
    pub(crate) fn json(&self, db_id: &str) -> Value {
        json!({
            "id": self.id, "created_at": date(self.created_at),
            "started_at": self.started_at.map(date), "name": self.name,
            "size": self.size, "status": self.status, "database_id": db_id,
            "method": self.method, "type": "postgresql",
        })
    }
}

impl Rule {
    pub(crate) fn json(&self, db_id: &str) -> Value {
        json!({"id": self.id, "type": self.kind, "cidr": self.cidr, "label": self.label,
               "range_id": self.range_id, "database_id": db_id})
    }
}

impl Operation {
    pub(crate) fn json(&self) -> Value {
        json!({"id": self.id, "type": "pitr_restore", "status": self.status,
               "created_at": date(self.created_at), "finished_at": self.finished_at.map(date),
               "error": null})
    }
}

/// The apps of both regions; databases come with their PostgreSQL addons.
pub(crate) fn seed(now: DateTime<Utc>) -> World {
    let pg = |plan: &str, resource: &str| Addon {
        id: format!("ad-{}", uuidish()),
        provider: "postgresql",
        plan: plan.into(),
        resource_id: resource.into(),
    };
    let redis = |resource: &str| Addon {
        id: format!("ad-{}", uuidish()),
        provider: "redis",
        plan: "redis-starter-256".into(),
        resource_id: resource.into(),
    };
    let app = |name: &str, region, dedicated, addons| App {
        id: new_id("app-"),
        name: name.into(),
        region,
        dedicated,
        addons,
    };
    let apps = vec![
        app(
            "shop",
            "osc-fr1",
            false,
            vec![
                pg("postgresql-business-1024", "shop_4553"),
                redis("shop_redis_1"),
            ],
        ),
        app(
            "metrics",
            "osc-fr1",
            false,
            vec![pg("postgresql-starter-512", "metrics_1234")],
        ),
        app(
            "frontend",
            "osc-fr1",
            false,
            vec![redis("frontend_redis_2")],
        ),
        app(
            "ledger",
            "osc-fr1",
            true,
            vec![pg("postgresql-dr-business-4096", "ledger_7788")],
        ),
        app(
            "vault",
            "osc-secnum-fr1",
            false,
            vec![pg("postgresql-starter-1024", "vault_9001")],
        ),
    ];
    let mut dbs = Vec::new();
    for a in &apps {
        for ad in a.addons.iter().filter(|ad| ad.provider == "postgresql") {
            let mut backups = Vec::new();
            if !a.dedicated {
                for (i, (days, method)) in [(0, "periodic"), (1, "periodic"), (2, "manual")]
                    .iter()
                    .enumerate()
                {
                    let at = now - Duration::days(*days) - Duration::hours(3 + i as i64);
                    backups.push(Backup {
                        id: new_id(""),
                        name: format!("{}_{}", at.format("%Y%m%d%H%M%S"), ad.resource_id),
                        created_at: at,
                        started_at: Some(at),
                        size: None,
                        status: "done".into(),
                        method,
                        archive: None,
                    });
                }
                if a.name == "shop" {
                    let at = now - Duration::days(4);
                    backups.push(Backup {
                        id: new_id(""),
                        name: format!("{}_{}", at.format("%Y%m%d%H%M%S"), ad.resource_id),
                        created_at: at,
                        started_at: Some(at),
                        size: Some(0),
                        status: "error".into(),
                        method: "periodic",
                        archive: None,
                    });
                }
            }
            let rules = if a.dedicated {
                vec![
                    Rule {
                        id: new_id("fr-"),
                        kind: "custom_range",
                        cidr: Some("203.0.113.0/24".into()),
                        label: Some("Office".into()),
                        range_id: None,
                    },
                    Rule {
                        id: new_id("fr-"),
                        kind: "managed_range",
                        cidr: None,
                        label: None,
                        range_id: Some("mr-scalingo-osc-fr1".into()),
                    },
                ]
            } else {
                Vec::new()
            };
            dbs.push(Db {
                addon_id: ad.id.clone(),
                app: a.name.clone(),
                db_id: new_id(""),
                plan: ad.plan.clone(),
                resource_id: ad.resource_id.clone(),
                timescaledb: a.name == "metrics",
                schedule_enabled: !a.dedicated,
                schedule_hours: vec![0],
                first_pitr_backup: now - Duration::days(5),
                backups,
                rules,
                operations: Vec::new(),
                current_operation: None,
                url: format!(
                    "postgresql://{0}:closed@127.0.0.1:1/{0}?sslmode=prefer",
                    ad.resource_id
                ),
                pitr_restores: Vec::new(),
            });
        }
    }
    World { apps, dbs }
}

fn uuidish() -> String {
    let h = new_id("");
    format!("{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..24])
}
