//! The servers the configuration names: Scalingo's API, clusters to manage, servers reached by URL.

use std::path::PathBuf;

use serde::Deserialize;

use super::error::{ConfigError, invalid};
use crate::secret::Secret;

/// Scalingo: the API token, where to ask, and which databases to show.
#[derive(Clone, PartialEq)]
pub struct ScalingoConfig {
    /// `SCALINGO_API_TOKEN`: kept on the server, exchanged for short-lived tokens.
    pub api_token: Secret<String>,
    /// `SCALINGO_AUTH_URL` (or `[scalingo] auth_url`), default https://auth.scalingo.com.
    pub auth_url: String,
    /// `SCALINGO_REGIONS` (comma-separated, or `[scalingo] regions`): all regions when empty.
    pub regions: Vec<String>,
    /// `SCALINGO_APPS` (comma-separated app or database names, or `[scalingo] apps`): all when empty.
    pub apps: Vec<String>,
    /// `SCALINGO_DB_SSLROOTCERT` (or `[scalingo] db_sslrootcert`): the certificate authorities that
    /// Scalingo databases' certificates are checked against (`verify-full`); the system's when unset.
    pub db_ssl_root_cert: Option<PathBuf>,
}

impl std::fmt::Debug for ScalingoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScalingoConfig")
            .field("auth_url", &self.auth_url)
            .field("regions", &self.regions)
            .field("apps", &self.apps)
            .field("db_ssl_root_cert", &self.db_ssl_root_cert)
            .finish_non_exhaustive()
    }
}

/// `[[clusters]]`: a managed cluster.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Id in URLs and the API; also the cluster's directory and pgBackRest stanza.
    pub id: String,
    /// Shown on the pages; the id when left out.
    pub name: Option<String>,
    /// The database inside the cluster that is backed up; the id when left out.
    pub main_database: Option<String>,
    /// Fixed port on 127.0.0.1; a free one is picked the first time when left out.
    pub port: Option<u16>,
}

/// `[[external]]`: a server given by a connection URL. Logical backups, dumps and restores only.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalConfig {
    pub id: String,
    pub name: Option<String>,
    /// `postgres://user:password@host:port/database`; or give `url_env`.
    pub url: Option<Secret<String>>,
    /// The name of an environment variable that holds the URL, to keep it out of the file.
    pub url_env: Option<String>,
}

impl std::fmt::Debug for ExternalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalConfig")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("url_env", &self.url_env)
            .finish_non_exhaustive()
    }
}

/// Ids appear in URLs and directory names: lower-case letters, digits and dashes.
pub(super) fn check_id(setting: &str, id: &str, seen: &mut Vec<String>) -> Result<(), ConfigError> {
    let ok = !id.is_empty()
        && id.len() <= 40
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(invalid(
            setting,
            &format!(
                "'{id}' is not a valid id; use lower-case letters, digits and dashes, starting with a letter"
            ),
        ));
    }
    if seen.iter().any(|s| s == id) {
        return Err(invalid(setting, &format!("the id '{id}' is used twice")));
    }
    seen.push(id.to_string());
    Ok(())
}
