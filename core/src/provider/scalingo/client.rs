//! The Scalingo client: the API token exchanged for a bearer token, regions, apps and their
//! PostgreSQL addons, Dedicated Resources databases, addon tokens, and the database API.
//! Tokens are cached and renewed before they expire; a 401 renews once, then fails.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use super::cache::ReadCache;
use super::error::ScalingoError;
use super::http::{Credentials, Limits, Request, Transport};
use super::jwt;
use super::model::*;
use crate::secret::Secret;

/// Where the client goes and with what.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The auth API (`SCALINGO_AUTH_URL`, default https://auth.scalingo.com).
    pub auth_url: String,
    pub api_token: Secret<String>,
    pub limits: Limits,
    /// How long a read is reused before it is asked again.
    pub read_ttl: Duration,
}

impl ClientSettings {
    pub fn new(auth_url: impl Into<String>, api_token: Secret<String>) -> Self {
        Self {
            auth_url: auth_url.into(),
            api_token,
            limits: Limits::default(),
            read_ttl: Duration::from_secs(15),
        }
    }
}

/// One PostgreSQL addon, and where its APIs are.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AddonRef {
    pub region: String,
    pub api: String,
    pub database_api: String,
    /// The app's name (for a Dedicated Resources database, the database's name).
    pub app: String,
    pub addon_id: String,
}

impl AddonRef {
    fn db_url(&self, path: &str) -> String {
        format!(
            "{}/api/databases/{}{}",
            self.database_api.trim_end_matches('/'),
            self.addon_id,
            path
        )
    }
}

/// A token and when to stop using it.
struct Token {
    value: Secret<String>,
    renew_at: DateTime<Utc>,
}

impl Token {
    /// Renewed a fifth of its life early, at most five minutes: expiry is read from the JWT, an
    /// hour when it cannot be read.
    fn new(value: String) -> Self {
        let now = Utc::now();
        let expires = jwt::expiry(&value).unwrap_or(now + chrono::Duration::hours(1));
        let margin = ((expires - now) / 5).min(chrono::Duration::minutes(5));
        Self {
            value: Secret::new(value),
            renew_at: expires - margin,
        }
    }

    fn fresh(&self) -> bool {
        Utc::now() < self.renew_at
    }
}

/// A new firewall rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewRule {
    Custom { cidr: String, label: String },
    Managed { range_id: String },
}

const REGIONS_TTL: Duration = Duration::from_secs(600);

pub struct ScalingoClient {
    auth_url: String,
    api_token: Secret<String>,
    read_ttl: Duration,
    transport: Transport,
    cache: ReadCache,
    bearer: Mutex<Option<Token>>,
    addon_tokens: Mutex<HashMap<String, Token>>,
}

/// An id that goes into a URL path: letters, digits, `-` and `_` only, so that no value can
/// point the request at another resource.
fn plain_id<'a>(what: &str, id: &'a str) -> Result<&'a str, ScalingoError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(id)
    } else {
        Err(ScalingoError::NotFound {
            resource: what.to_string(),
        })
    }
}

fn parse<T: DeserializeOwned>(what: &str, v: serde_json::Value) -> Result<T, ScalingoError> {
    serde_json::from_value(v).map_err(|e| ScalingoError::Unexpected(format!("{what}: {e}")))
}

impl ScalingoClient {
    pub fn new(settings: ClientSettings) -> Self {
        Self {
            auth_url: settings.auth_url.trim_end_matches('/').to_string(),
            api_token: settings.api_token,
            read_ttl: settings.read_ttl,
            transport: Transport::new(settings.limits),
            cache: ReadCache::new(),
            bearer: Mutex::new(None),
            addon_tokens: Mutex::new(HashMap::new()),
        }
    }

    /// The bearer token, exchanged for the API token when there is none or it is about to expire.
    async fn bearer(&self, renew: bool) -> Result<Secret<String>, ScalingoError> {
        let mut held = self.bearer.lock().await;
        if !renew && let Some(t) = held.as_ref().filter(|t| t.fresh()) {
            return Ok(t.value.clone());
        }
        let answer = self
            .transport
            .send(&Request {
                method: Method::POST,
                url: format!("{}/v1/tokens/exchange", self.auth_url),
                credentials: Credentials::ApiToken(&self.api_token),
                body: None,
            })
            .await?;
        let token = answer
            .get("token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| ScalingoError::Unexpected("the token exchange gave no token".into()))?;
        let token = Token::new(token.to_string());
        let value = token.value.clone();
        *held = Some(token);
        Ok(value)
    }

    /// Sends a request with the token `token(renew)` gives; a 401 asks for a new token and sends
    /// once more. A request refused with 401 did not run, so sending it again is safe.
    async fn with_renewal<F, Fut>(
        &self,
        method: Method,
        url: String,
        body: Option<serde_json::Value>,
        token: F,
    ) -> Result<serde_json::Value, ScalingoError>
    where
        F: Fn(bool) -> Fut,
        Fut: std::future::Future<Output = Result<Secret<String>, ScalingoError>>,
    {
        let mut renew = false;
        loop {
            let token = token(renew).await?;
            let result = self
                .transport
                .send(&Request {
                    method: method.clone(),
                    url: url.clone(),
                    credentials: Credentials::Bearer(token.expose()),
                    body: body.clone(),
                })
                .await;
            match result {
                Err(ScalingoError::Unauthorized) if !renew => renew = true,
                other => return other,
            }
        }
    }

    /// A call with the bearer token.
    async fn user_call(
        &self,
        method: Method,
        url: String,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, ScalingoError> {
        self.with_renewal(method, url, body, |renew| self.bearer(renew))
            .await
    }

    /// The addon's token for the database API, asked for when there is none or it is about to expire.
    async fn addon_token(
        &self,
        addon: &AddonRef,
        renew: bool,
    ) -> Result<Secret<String>, ScalingoError> {
        let mut held = self.addon_tokens.lock().await;
        if !renew && let Some(t) = held.get(&addon.addon_id).filter(|t| t.fresh()) {
            return Ok(t.value.clone());
        }
        let url = format!(
            "{}/v1/apps/{}/addons/{}/token",
            addon.api.trim_end_matches('/'),
            addon.app,
            addon.addon_id
        );
        let answer: AddonWithToken = parse(
            "addon token",
            self.user_call(Method::POST, url, None).await?,
        )?;
        let token = Token::new(answer.addon.token);
        let value = token.value.clone();
        held.insert(addon.addon_id.clone(), token);
        Ok(value)
    }

    /// A call to the database API with the addon's token.
    async fn db_call(
        &self,
        addon: &AddonRef,
        method: Method,
        url: String,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, ScalingoError> {
        self.with_renewal(method, url, body, |renew| self.addon_token(addon, renew))
            .await
    }

    async fn user_read(
        &self,
        url: String,
        ttl: Duration,
    ) -> Result<serde_json::Value, ScalingoError> {
        self.cache
            .get(&url, ttl, || self.user_call(Method::GET, url.clone(), None))
            .await
    }

    async fn db_read(
        &self,
        addon: &AddonRef,
        path: &str,
        ttl: Duration,
    ) -> Result<serde_json::Value, ScalingoError> {
        let url = addon.db_url(path);
        self.cache
            .get(&url, ttl, || {
                self.db_call(addon, Method::GET, url.clone(), None)
            })
            .await
    }

    /// After a change, reads of the addon are asked again.
    fn changed(&self, addon: &AddonRef) {
        self.cache.invalidate(&addon.db_url(""));
    }

    // --- Auth and regional APIs ---

    pub async fn regions(&self) -> Result<Vec<Region>, ScalingoError> {
        let v = self
            .user_read(format!("{}/v1/regions", self.auth_url), REGIONS_TTL)
            .await?;
        Ok(parse::<Regions>("regions", v)?.regions)
    }

    pub async fn apps(&self, region: &Region) -> Result<Vec<App>, ScalingoError> {
        let url = format!("{}/v1/apps", region.api.trim_end_matches('/'));
        Ok(parse::<Apps>("apps", self.user_read(url, self.read_ttl * 4).await?)?.apps)
    }

    pub async fn addons(&self, region: &Region, app: &str) -> Result<Vec<Addon>, ScalingoError> {
        let url = format!("{}/v1/apps/{app}/addons", region.api.trim_end_matches('/'));
        Ok(parse::<Addons>("addons", self.user_read(url, self.read_ttl * 4).await?)?.addons)
    }

    pub async fn dedicated_databases(
        &self,
        region: &Region,
    ) -> Result<Vec<DedicatedDatabase>, ScalingoError> {
        let url = format!("{}/v1/databases", region.api.trim_end_matches('/'));
        dedicated_databases(self.user_read(url, self.read_ttl * 4).await?)
            .map_err(|e| ScalingoError::Unexpected(format!("databases: {e}")))
    }

    /// An app's environment variable; `None` when it has none of that name.
    pub async fn variable(
        &self,
        addon: &AddonRef,
        name: &str,
    ) -> Result<Option<Secret<String>>, ScalingoError> {
        let url = format!(
            "{}/v1/apps/{}/variables?aliases=false",
            addon.api.trim_end_matches('/'),
            addon.app
        );
        // Only the one variable is kept (in memory, never logged), not the app's other secrets.
        let key = format!("{url}#{name}");
        let value = self
            .cache
            .get(&key, self.read_ttl, || async {
                let vars: Variables = parse(
                    "variables",
                    self.user_call(Method::GET, url.clone(), None).await?,
                )?;
                Ok::<_, ScalingoError>(
                    vars.variables
                        .into_iter()
                        .find(|v| v.name == name)
                        .map_or(serde_json::Value::Null, |v| {
                            serde_json::Value::String(v.value)
                        }),
                )
            })
            .await?;
        Ok(value.as_str().map(|v| Secret::new(v.to_string())))
    }

    // --- Database API ---

    pub async fn database(&self, addon: &AddonRef) -> Result<ApiDatabase, ScalingoError> {
        let v = self.db_read(addon, "", self.read_ttl).await?;
        Ok(parse::<DatabaseEnvelope>("database", v)?.database)
    }

    pub async fn plan(&self, addon: &AddonRef) -> Result<ApiPlan, ScalingoError> {
        let v = self.db_read(addon, "/plan", REGIONS_TTL).await?;
        Ok(parse::<PlanEnvelope>("plan", v)?.plan)
    }

    /// Backups, newest first, hidden ones left out.
    pub async fn backups(&self, addon: &AddonRef) -> Result<Vec<ApiBackup>, ScalingoError> {
        let v = self.db_read(addon, "/backups", self.read_ttl).await?;
        let mut list: Vec<ApiBackup> = parse::<BackupList>("backups", v)?
            .database_backups
            .into_iter()
            .filter(|b| !b.hidden)
            .collect();
        list.sort_by_key(|b| std::cmp::Reverse(b.created_at));
        Ok(list)
    }

    /// Asks for a manual backup; never sent twice on its own.
    pub async fn create_backup(&self, addon: &AddonRef) -> Result<ApiBackup, ScalingoError> {
        let v = self
            .db_call(addon, Method::POST, addon.db_url("/backups"), None)
            .await;
        self.changed(addon);
        Ok(parse::<BackupEnvelope>("backup", v?)?.database_backup)
    }

    /// One backup, fresh: the nested path, else the top-level one.
    pub async fn backup(&self, addon: &AddonRef, id: &str) -> Result<ApiBackup, ScalingoError> {
        let id = plain_id("backup", id)?;
        let nested = self
            .db_call(
                addon,
                Method::GET,
                addon.db_url(&format!("/backups/{id}")),
                None,
            )
            .await;
        let v = match nested {
            Err(ScalingoError::NotFound { .. }) => {
                let url = format!(
                    "{}/api/backups/{id}",
                    addon.database_api.trim_end_matches('/')
                );
                self.db_call(addon, Method::GET, url, None).await?
            }
            other => other?,
        };
        Ok(parse::<BackupEnvelope>("backup", v)?.database_backup)
    }

    /// The temporary URL of a backup's archive. It holds a token: it is a secret.
    pub async fn archive_url(
        &self,
        addon: &AddonRef,
        id: &str,
    ) -> Result<Secret<String>, ScalingoError> {
        let id = plain_id("backup", id)?;
        let v = self
            .db_call(
                addon,
                Method::GET,
                addon.db_url(&format!("/backups/{id}/archive")),
                None,
            )
            .await?;
        Ok(Secret::new(parse::<ArchiveUrl>("archive", v)?.download_url))
    }

    /// Starts fetching an archive (no credentials: the URL carries them), passing `range` on.
    pub async fn open_archive(
        &self,
        url: &Secret<String>,
        range: Option<&str>,
    ) -> Result<reqwest::Response, ScalingoError> {
        self.transport.download(url, range).await
    }

    /// Turns periodic backups on at `hour` (UTC), or off (keeping the hour), as the CLI does.
    pub async fn update_schedule(
        &self,
        addon: &AddonRef,
        enabled: bool,
        hour: Option<u8>,
    ) -> Result<ApiDatabase, ScalingoError> {
        let mut database = serde_json::json!({ "periodic_backups_enabled": enabled });
        if enabled && let Some(h) = hour {
            database["periodic_backups_scheduled_at"] = h.into();
        }
        let v = self
            .db_call(
                addon,
                Method::PATCH,
                addon.db_url(""),
                Some(serde_json::json!({ "database": database })),
            )
            .await;
        self.changed(addon);
        Ok(parse::<DatabaseEnvelope>("database", v?)?.database)
    }

    pub async fn recovery_window(&self, addon: &AddonRef) -> Result<RecoveryWindow, ScalingoError> {
        let v = self
            .db_read(addon, "/pitr/recovery_window", self.read_ttl)
            .await?;
        Ok(parse::<RecoveryWindowEnvelope>("recovery window", v)?.recovery_window)
    }

    /// Starts a point-in-time restore; returns the operation's id. Never sent twice on its own.
    pub async fn pitr_restore(
        &self,
        addon: &AddonRef,
        at: DateTime<Utc>,
    ) -> Result<String, ScalingoError> {
        let body = serde_json::json!({ "restore_time": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) });
        let v = self
            .db_call(
                addon,
                Method::POST,
                addon.db_url("/pitr/restore"),
                Some(body),
            )
            .await;
        self.changed(addon);
        operation_id(&v?)
            .ok_or_else(|| ScalingoError::Unexpected("the restore gave no operation id".into()))
    }

    pub async fn operation(&self, addon: &AddonRef, id: &str) -> Result<Operation, ScalingoError> {
        let id = plain_id("operation", id)?;
        let v = self
            .db_call(
                addon,
                Method::GET,
                addon.db_url(&format!("/operations/{id}")),
                None,
            )
            .await?;
        Ok(parse::<OperationEnvelope>("operation", v)?.operation)
    }

    pub async fn firewall_rules(
        &self,
        addon: &AddonRef,
    ) -> Result<Vec<ApiFirewallRule>, ScalingoError> {
        let v = self
            .db_read(addon, "/firewall_rules", self.read_ttl)
            .await?;
        Ok(parse::<RuleList>("firewall rules", v)?.rules)
    }

    /// Adds a rule, sent flat as the reference recommends.
    pub async fn add_firewall_rule(
        &self,
        addon: &AddonRef,
        rule: &NewRule,
    ) -> Result<ApiFirewallRule, ScalingoError> {
        let body = match rule {
            NewRule::Custom { cidr, label } => {
                serde_json::json!({"type": "custom_range", "cidr": cidr, "label": label})
            }
            NewRule::Managed { range_id } => {
                serde_json::json!({"type": "managed_range", "range_id": range_id})
            }
        };
        let v = self
            .db_call(
                addon,
                Method::POST,
                addon.db_url("/firewall_rules"),
                Some(body),
            )
            .await;
        self.changed(addon);
        Ok(parse::<RuleEnvelope>("firewall rule", v?)?.rule)
    }

    pub async fn remove_firewall_rule(
        &self,
        addon: &AddonRef,
        id: &str,
    ) -> Result<(), ScalingoError> {
        let id = plain_id("firewall rule", id)?;
        let v = self
            .db_call(
                addon,
                Method::DELETE,
                addon.db_url(&format!("/firewall_rules/{id}")),
                None,
            )
            .await;
        self.changed(addon);
        v.map(|_| ())
    }

    /// The IP ranges Scalingo manages, which a rule can name.
    pub async fn managed_ranges(
        &self,
        addon: &AddonRef,
    ) -> Result<Vec<ManagedRange>, ScalingoError> {
        let url = format!(
            "{}/api/firewall/managed_ranges",
            addon.database_api.trim_end_matches('/')
        );
        let v = self
            .cache
            .get(&url, REGIONS_TTL, || {
                self.db_call(addon, Method::GET, url.clone(), None)
            })
            .await?;
        Ok(parse::<ManagedRanges>("managed ranges", v)?.ranges)
    }
}
