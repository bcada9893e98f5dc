//! A Scalingo API test server: the auth API, two regions' main APIs and database APIs on one
//! port, with the documented shapes, status codes, error bodies, expiring tokens, a rate limit
//! and injectable faults. Backup archives hold real dumps of a real cluster.

mod api;
mod data;
mod tokens;
mod world;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

pub use world::date;

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// 0 picks a free port.
    pub port: u16,
    pub api_token: String,
    pub token_ttl: Duration,
    pub addon_token_ttl: Duration,
    /// Requests allowed over any 60 s on the main and database APIs.
    pub rate_limit_per_minute: u32,
    /// Back the databases with a real cluster (real dumps); without it archives hold a stub.
    pub cluster: bool,
    pub backup_start_delay: Duration,
    pub backup_run_time: Duration,
    /// How long a PITR restore operation takes from pending to finished.
    pub operation_duration: Duration,
    /// Answer a PITR restore with the 2019 shape `{"operation_id": …}`.
    pub pitr_response_operation_id: bool,
    /// Answer `GET /v1/databases` with a bare list of `{"database": …}`.
    pub dr_list_bare_array: bool,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            port: 0,
            api_token: "tk-us-fake-0123456789".into(),
            token_ttl: Duration::from_secs(3600),
            addon_token_ttl: Duration::from_secs(3600),
            rate_limit_per_minute: 60,
            cluster: true,
            backup_start_delay: Duration::from_secs(1),
            backup_run_time: Duration::from_secs(1),
            operation_duration: Duration::from_secs(3),
            pitr_response_operation_id: false,
            dr_list_bare_array: false,
        }
    }
}

/// A canned answer for the next matching requests.
#[derive(Debug, Clone, Deserialize)]
pub struct Fault {
    pub method: Option<String>,
    pub path_contains: String,
    pub status: u16,
    #[serde(default)]
    pub body: String,
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default, rename = "delay_ms", with = "millis")]
    pub delay: Duration,
}

fn one() -> u32 {
    1
}

mod millis {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// One request the fake received; status 0 while (or when never) answered.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    pub at: DateTime<Utc>,
}

/// A download link's grant: addon, backup and expiry.
pub(crate) type Grant = (String, String, DateTime<Utc>);

pub(crate) struct Inner {
    pub opts: FakeOptions,
    pub base: String,
    pub world: Mutex<world::World>,
    pub bearer_tokens: Mutex<HashMap<String, DateTime<Utc>>>,
    /// Addon token → (addon id, expiry).
    pub addon_tokens: Mutex<HashMap<String, (String, DateTime<Utc>)>>,
    /// Download token → (addon id, backup id, expiry).
    pub downloads: Mutex<HashMap<String, Grant>>,
    pub faults: Mutex<Vec<Fault>>,
    pub log: Mutex<Vec<Recorded>>,
    pub sent: Mutex<VecDeque<tokio::time::Instant>>,
    pub data: Option<data::Data>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct FakeScalingo {
    inner: Arc<Inner>,
    stop: CancellationToken,
    server: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for FakeScalingo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeScalingo")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl FakeScalingo {
    pub async fn start(opts: FakeOptions) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port)).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let now = Utc::now();
        let mut world = world::seed(now);
        let data = if opts.cluster {
            let data = data::Data::start().await?;
            for db in &mut world.dbs {
                db.url = data.create_database(&db.resource_id).await?;
                let url = db.url.clone();
                for b in db.backups.iter_mut().filter(|b| b.status == "done") {
                    let archive = data.archive(&url, &b.name).await?;
                    b.size = Some(archive.len() as u64);
                    b.archive = Some(Arc::new(archive));
                }
            }
            Some(data)
        } else {
            for db in &mut world.dbs {
                for b in db.backups.iter_mut().filter(|b| b.status == "done") {
                    let archive =
                        data::pack(b"PGDMP stand-in: started without a cluster", &b.name)?;
                    b.size = Some(archive.len() as u64);
                    b.archive = Some(Arc::new(archive));
                }
            }
            None
        };
        let inner = Arc::new(Inner {
            opts,
            base: base.clone(),
            world: Mutex::new(world),
            bearer_tokens: Mutex::default(),
            addon_tokens: Mutex::default(),
            downloads: Mutex::default(),
            faults: Mutex::default(),
            log: Mutex::default(),
            sent: Mutex::default(),
            data,
        });
        let stop = CancellationToken::new();
        let app = api::router(inner.clone());
        let token = stop.clone();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move { token.cancelled().await })
                .await;
        });
        tracing::info!(%base, "Scalingo API test server listening");
        Ok(Self {
            inner,
            stop,
            server,
        })
    }

    pub fn base_url(&self) -> String {
        self.inner.base.clone()
    }

    /// Where `SCALINGO_AUTH_URL` points.
    pub fn auth_url(&self) -> String {
        self.inner.base.clone()
    }

    pub fn api_token(&self) -> String {
        self.inner.opts.api_token.clone()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.inner.log).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.inner.log).clear();
    }

    pub fn inject(&self, fault: Fault) {
        lock(&self.inner.faults).push(fault);
    }

    /// Every token issued so far stops working.
    pub fn expire_tokens(&self) {
        api::expire_tokens(&self.inner);
    }

    /// The firewall rules of a database (app name), as (cidr or range id, label).
    pub fn firewall_rules(&self, app: &str) -> Vec<(String, Option<String>)> {
        let world = lock(&self.inner.world);
        world
            .dbs
            .iter()
            .find(|d| d.app == app)
            .map(|d| {
                d.rules
                    .iter()
                    .map(|r| {
                        (
                            r.cidr.clone().or(r.range_id.clone()).unwrap_or_default(),
                            r.label.clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The schedule of a database (app name): on or off, and its hours.
    pub fn schedule(&self, app: &str) -> Option<(bool, Vec<u8>)> {
        let world = lock(&self.inner.world);
        world
            .dbs
            .iter()
            .find(|d| d.app == app)
            .map(|d| (d.schedule_enabled, d.schedule_hours.clone()))
    }

    /// Sets a database's schedule (app name), as Scalingo's support can: several hours a day.
    pub fn set_schedule(&self, app: &str, enabled: bool, hours: &[u8]) {
        let mut world = lock(&self.inner.world);
        if let Some(d) = world.dbs.iter_mut().find(|d| d.app == app) {
            d.schedule_enabled = enabled;
            d.schedule_hours = hours.to_vec();
        }
    }

    /// The restore times asked for a database (app name).
    pub fn pitr_restores(&self, app: &str) -> Vec<DateTime<Utc>> {
        let world = lock(&self.inner.world);
        world
            .dbs
            .iter()
            .find(|d| d.app == app)
            .map(|d| d.pitr_restores.clone())
            .unwrap_or_default()
    }

    /// The backups of a database (app name): (id, status, method).
    pub fn backups(&self, app: &str) -> Vec<(String, String, String)> {
        let world = lock(&self.inner.world);
        world
            .dbs
            .iter()
            .find(|d| d.app == app)
            .map(|d| {
                d.backups
                    .iter()
                    .map(|b| (b.id.clone(), b.status.clone(), b.method.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The connection URL of a database (app name).
    pub fn database_url(&self, app: &str) -> Option<String> {
        let world = lock(&self.inner.world);
        world
            .dbs
            .iter()
            .find(|d| d.app == app)
            .map(|d| d.url.clone())
    }

    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.server.await;
        if let Ok(inner) = Arc::try_unwrap(self.inner)
            && let Some(data) = inner.data
        {
            data.stop().await;
        }
    }
}
