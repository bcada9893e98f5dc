//! Where the configuration is read from: the optional TOML file named by `TIDEMARK_CONFIG`, then
//! the environment, which wins, merged by figment; then every setting is checked, and an error
//! names the variable or the file's key that was set.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::providers::{Format, Toml};
use figment::{Figment, Profile};

use super::environment::{Environment, SOURCE};
use super::error::{ConfigError, invalid};
use super::raw::{Raw, Text};
use super::retention::{RetentionPolicy, preset};
use super::servers::{ExternalConfig, ScalingoConfig, check_id};
use super::settings::Config;
use crate::secret::Secret;

impl Config {
    /// Reads the process environment, and the TOML file named by `TIDEMARK_CONFIG` if set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = |k: &str| std::env::var(k).ok();
        let file = match env("TIDEMARK_CONFIG") {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                Some((path, text))
            }
            None => None,
        };
        Self::from_sources(file.as_ref().map(|(p, t)| (p.as_str(), t.as_str())), env)
    }

    /// Builds the configuration from a file's text (path, contents) and an environment lookup;
    /// environment variables win over the file.
    pub fn from_sources(
        file: Option<(&str, &str)>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some((_, text)) = file {
            figment = figment.merge(Toml::string(text));
        }
        let figment = figment.merge(Environment::read(&env));
        let raw: Raw = figment
            .extract()
            .map_err(|e| from_figment(e, file.map(|(path, _)| path)))?;
        let name = |key: &str| setting(&figment, key);
        let mut c = Config::default();

        if let Some(v) = raw.listen {
            c.listen = parse_listen(&name("listen"), &v.0)?;
        }
        if let Some(v) = raw.data_dir {
            c.data_dir = non_empty_path(&name("data_dir"), v)?;
        }
        if let Some(v) = raw.pg_bin_dir {
            c.pg_bin_dir = non_empty_path(&name("pg_bin_dir"), v)?;
        }
        if let Some(v) = raw.pgbackrest {
            c.pgbackrest = non_empty_path(&name("pgbackrest"), v)?;
        }
        if let Some(v) = raw.run_as_user {
            if v.0.trim().is_empty() {
                return Err(invalid(
                    &name("run_as_user"),
                    "must name a system user, e.g. postgres",
                ));
            }
            c.run_as_user = v.0;
        }
        if let Some(v) = raw.embedded {
            c.embedded = parse_bool(&name("embedded"), &v.0)?;
        }
        if let Some(v) = raw.embedded_port {
            c.embedded_port = Some(parse_port(&name("embedded_port"), &v.0)?);
        }
        if let Some(v) = raw.site_root {
            c.site_root = non_empty_path(&name("site_root"), v)?;
        }
        if let Some(v) = raw.max_upload_bytes {
            c.max_upload_bytes = match v.0.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(invalid(
                        &name("max_upload_bytes"),
                        &format!("'{}' is not a positive number of bytes", v.0),
                    ));
                }
            };
        }
        if let Some(v) = raw.catch_up_missed_backups {
            c.catch_up_missed_backups = parse_bool(&name("catch_up_missed_backups"), &v.0)?;
        }
        if let Some(v) = raw.full_backup_every_days {
            c.full_backup_every_days = v.0.trim().parse().map_err(|_| {
                invalid(
                    &name("full_backup_every_days"),
                    &format!("'{}' is not a number of days (0 turns it off)", v.0),
                )
            })?;
        }
        if let Some(v) = raw.https {
            c.https = parse_bool(&name("https"), &v.0)?;
        }
        if let Some(v) = raw.proxy_user_header {
            let v = v.0.trim().to_ascii_lowercase();
            let valid = !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !valid {
                return Err(invalid(
                    &name("proxy_user_header"),
                    &format!("'{v}' is not a header name such as X-Forwarded-User"),
                ));
            }
            c.proxy_user_header = Some(v);
        }
        for p in raw.trusted_proxies.unwrap_or_default().0 {
            c.trusted_proxies.push(p.parse().map_err(|_| {
                invalid(
                    &name("trusted_proxies"),
                    &format!("'{p}' is not an IP address"),
                )
            })?);
        }
        if c.proxy_user_header.is_some() && c.trusted_proxies.is_empty() {
            // Named the way the header was given: both in the environment, or both in the file.
            let header = name("proxy_user_header");
            let proxies = if header.starts_with("TIDEMARK_") {
                "TIDEMARK_TRUSTED_PROXIES"
            } else {
                "trusted_proxies"
            };
            return Err(invalid(
                proxies,
                &format!("must list the proxies' addresses when {header} is set"),
            ));
        }
        let retention = raw.retention.unwrap_or_default();
        if let Some(v) = &retention.preset {
            c.retention = parse_preset(&name("retention.preset"), &v.0)?;
        }
        let r = &mut c.retention;
        r.daily_days = retention.daily_days.unwrap_or(r.daily_days);
        r.weekly_weeks = retention.weekly_weeks.unwrap_or(r.weekly_weeks);
        r.monthly_months = retention.monthly_months.unwrap_or(r.monthly_months);
        r.manual_keep = retention.manual_keep.unwrap_or(r.manual_keep);
        let mut seen = Vec::new();
        for cluster in &raw.clusters {
            // The embedded cluster's id and directory.
            if c.embedded && (cluster.id == "demo" || cluster.id == "main") {
                return Err(invalid(
                    "clusters.id",
                    &format!(
                        "'{}' is the embedded cluster's; choose another id",
                        cluster.id
                    ),
                ));
            }
            check_id("clusters.id", &cluster.id, &mut seen)?;
            if cluster.port == Some(0) {
                return Err(invalid("clusters.port", "must be a port from 1 to 65535"));
            }
        }
        c.clusters = raw.clusters;
        for server in raw.external {
            check_id("external.id", &server.id, &mut seen)?;
            let url = match (&server.url, &server.url_env) {
                (Some(url), None) => url.clone(),
                (None, Some(var)) => Secret::new(env(var).ok_or_else(|| {
                    invalid(
                        "external.url_env",
                        &format!(
                            "the environment variable {var} named for '{}' is not set",
                            server.id
                        ),
                    )
                })?),
                _ => {
                    return Err(invalid(
                        "external.url",
                        &format!("give exactly one of url and url_env for '{}'", server.id),
                    ));
                }
            };
            if !(url.expose().starts_with("postgres://")
                || url.expose().starts_with("postgresql://"))
            {
                return Err(invalid(
                    "external.url",
                    &format!(
                        "the URL of '{}' must start with postgres:// or postgresql://",
                        server.id
                    ),
                ));
            }
            c.external.push(ExternalConfig {
                url: Some(url),
                url_env: None,
                ..server
            });
        }

        let sc = raw.scalingo.unwrap_or_default();
        if let Some(token) = env("SCALINGO_API_TOKEN").filter(|t| !t.trim().is_empty()) {
            let auth_url = sc
                .auth_url
                .map_or_else(|| "https://auth.scalingo.com".into(), |v| v.0);
            let setting = name("scalingo.auth_url");
            let parsed = url::Url::parse(&auth_url)
                .map_err(|e| invalid(&setting, &format!("'{auth_url}' is not a URL ({e})")))?;
            let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            if !(parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback)) {
                return Err(invalid(
                    &setting,
                    "must start with https:// (http:// only for a test server on this machine), as the API token travels with it",
                ));
            }
            let root = sc.db_sslrootcert.map(Text::path);
            if let Some(root) = &root
                && !root.is_file()
            {
                return Err(invalid(
                    &name("scalingo.db_sslrootcert"),
                    &format!("{} is not a readable file", root.display()),
                ));
            }
            c.scalingo = Some(ScalingoConfig {
                api_token: Secret::new(token.trim().to_string()),
                auth_url: auth_url.trim_end_matches('/').to_string(),
                regions: sc.regions.map(|l| l.0).unwrap_or_default(),
                apps: sc.apps.map(|l| l.0).unwrap_or_default(),
                db_ssl_root_cert: root,
            });
        }
        Ok(c)
    }
}

/// The name of the setting that gave `key`: the environment variable if one did, else the file's
/// key.
fn setting(figment: &Figment, key: &str) -> String {
    let keys: Vec<&str> = key.split('.').collect();
    match figment.find_metadata(key) {
        Some(m) if m.name == SOURCE => m.interpolate(&Profile::Default, &keys),
        _ => key.to_string(),
    }
}

/// A value figment could not read: a variable's is named by the variable, a file's by the file
/// and its key.
fn from_figment(e: figment::Error, file: Option<&str>) -> ConfigError {
    let message = e.kind.to_string();
    match &e.metadata {
        Some(m) if m.name == SOURCE => invalid(
            &m.interpolate(&e.profile.clone().unwrap_or_default(), &e.path),
            &message,
        ),
        _ => ConfigError::File {
            path: file.unwrap_or("the configuration").to_string(),
            message: if e.path.is_empty() {
                message
            } else {
                format!("{}: {message}", e.path.join("."))
            },
        },
    }
}

fn parse_preset(setting: &str, v: &str) -> Result<RetentionPolicy, ConfigError> {
    preset(v.trim()).ok_or_else(|| {
        invalid(
            setting,
            &format!("'{v}' is not a retention preset; use starter or business"),
        )
    })
}

fn parse_listen(setting: &str, v: &str) -> Result<SocketAddr, ConfigError> {
    v.trim().parse().map_err(|_| {
        invalid(
            setting,
            &format!("'{v}' is not an address and port such as 127.0.0.1:3000"),
        )
    })
}

fn parse_port(setting: &str, v: &str) -> Result<u16, ConfigError> {
    match v.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(invalid(
            setting,
            &format!("'{v}' is not a port from 1 to 65535"),
        )),
    }
}

fn parse_bool(setting: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(invalid(setting, &format!("'{v}' is not true or false"))),
    }
}

fn non_empty_path(setting: &str, v: Text) -> Result<PathBuf, ConfigError> {
    if v.0.is_empty() {
        Err(invalid(setting, "must not be empty"))
    } else {
        Ok(v.path())
    }
}

#[cfg(test)]
mod tests;
