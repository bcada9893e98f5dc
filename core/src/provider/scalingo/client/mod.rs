//! The Scalingo client: the API token exchanged for a bearer token, regions, apps and their
//! PostgreSQL addons, Dedicated Resources databases, addon tokens, and the database API.
//! Tokens are cached and renewed before they expire; a 401 renews once, then fails.

mod endpoints;

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
#[derive(Debug)]
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

#[derive(Debug)]
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
}
