//! Where the configuration is read from: the environment, which wins, and the optional TOML file
//! named by `TIDEMARK_CONFIG`; every error names the setting at fault.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use super::error::{ConfigError, invalid};
use super::retention::{RetentionPolicy, preset};
use super::servers::{ClusterConfig, ExternalConfig, ScalingoConfig, ScalingoFile, check_id, list};
use super::settings::Config;
use crate::secret::Secret;

/// The optional TOML file: the same settings, in lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    pg_bin_dir: Option<PathBuf>,
    pgbackrest: Option<PathBuf>,
    run_as_user: Option<String>,
    embedded: Option<bool>,
    embedded_port: Option<u16>,
    site_root: Option<PathBuf>,
    max_upload_bytes: Option<u64>,
    catch_up_missed_backups: Option<bool>,
    full_backup_every_days: Option<u32>,
    https: Option<bool>,
    proxy_user_header: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    retention: Option<RetentionFile>,
    #[serde(default)]
    clusters: Vec<ClusterConfig>,
    #[serde(default)]
    external: Vec<ExternalConfig>,
    scalingo: Option<ScalingoFile>,
}

/// `[retention]`: a preset, then any number overridden.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionFile {
    preset: Option<String>,
    daily_days: Option<u32>,
    weekly_weeks: Option<u32>,
    monthly_months: Option<u32>,
    manual_keep: Option<u32>,
}

fn parse_preset(setting: &str, v: &str) -> Result<RetentionPolicy, ConfigError> {
    preset(v.trim()).ok_or_else(|| {
        invalid(
            setting,
            &format!("'{v}' is not a retention preset; use starter or business"),
        )
    })
}

impl Config {
    /// Reads the process environment, and the TOML file named by `TIDEMARK_CONFIG` if set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        let file = match vars.get("TIDEMARK_CONFIG") {
            Some(path) => Some((
                path.clone(),
                std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    message: e.to_string(),
                })?,
            )),
            None => None,
        };
        Self::from_sources(file.as_ref().map(|(p, t)| (p.as_str(), t.as_str())), |k| {
            vars.get(k).cloned()
        })
    }

    /// Builds the configuration from a file's text (path, contents) and an environment lookup;
    /// environment variables win over the file.
    pub fn from_sources(
        file: Option<(&str, &str)>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file: FileConfig = match file {
            Some((path, text)) => toml::from_str(text).map_err(|e| ConfigError::File {
                path: path.to_string(),
                message: e.message().to_string(),
            })?,
            None => FileConfig::default(),
        };
        let mut c = Config::default();

        if let Some(v) = env("TIDEMARK_LISTEN").or(file.listen) {
            c.listen = parse_listen(&v)?;
        }
        if let Some(v) = env("TIDEMARK_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
        {
            c.data_dir = non_empty_path("TIDEMARK_DATA_DIR", v)?;
        }
        if let Some(v) = env("TIDEMARK_PG_BIN_DIR")
            .map(PathBuf::from)
            .or(file.pg_bin_dir)
        {
            c.pg_bin_dir = non_empty_path("TIDEMARK_PG_BIN_DIR", v)?;
        }
        if let Some(v) = env("TIDEMARK_PGBACKREST")
            .map(PathBuf::from)
            .or(file.pgbackrest)
        {
            c.pgbackrest = non_empty_path("TIDEMARK_PGBACKREST", v)?;
        }
        if let Some(v) = env("TIDEMARK_RUN_AS").or(file.run_as_user) {
            if v.trim().is_empty() {
                return Err(invalid(
                    "TIDEMARK_RUN_AS",
                    "must name a system user, e.g. postgres",
                ));
            }
            c.run_as_user = v;
        }
        if let Some(v) = env("TIDEMARK_EMBEDDED") {
            c.embedded = parse_bool("TIDEMARK_EMBEDDED", &v)?;
        } else if let Some(v) = file.embedded {
            c.embedded = v;
        }
        if let Some(v) = env("TIDEMARK_EMBEDDED_PORT") {
            c.embedded_port = Some(parse_port("TIDEMARK_EMBEDDED_PORT", &v)?);
        } else if let Some(v) = file.embedded_port {
            if v == 0 {
                return Err(invalid("embedded_port", "must be a port from 1 to 65535"));
            }
            c.embedded_port = Some(v);
        }
        if let Some(v) = env("TIDEMARK_SITE_ROOT")
            .or_else(|| env("LEPTOS_SITE_ROOT"))
            .map(PathBuf::from)
            .or(file.site_root)
        {
            c.site_root = non_empty_path("TIDEMARK_SITE_ROOT", v)?;
        }
        if let Some(v) = env("TIDEMARK_MAX_UPLOAD_BYTES") {
            c.max_upload_bytes = match v.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(invalid(
                        "TIDEMARK_MAX_UPLOAD_BYTES",
                        &format!("'{v}' is not a positive number of bytes"),
                    ));
                }
            };
        } else if let Some(v) = file.max_upload_bytes {
            c.max_upload_bytes = v;
        }
        if let Some(v) = env("TIDEMARK_CATCH_UP_MISSED_BACKUPS") {
            c.catch_up_missed_backups = parse_bool("TIDEMARK_CATCH_UP_MISSED_BACKUPS", &v)?;
        } else if let Some(v) = file.catch_up_missed_backups {
            c.catch_up_missed_backups = v;
        }
        if let Some(v) = env("TIDEMARK_FULL_BACKUP_EVERY_DAYS") {
            c.full_backup_every_days = v.trim().parse().map_err(|_| {
                invalid(
                    "TIDEMARK_FULL_BACKUP_EVERY_DAYS",
                    &format!("'{v}' is not a number of days (0 turns it off)"),
                )
            })?;
        } else if let Some(v) = file.full_backup_every_days {
            c.full_backup_every_days = v;
        }
        if let Some(v) = env("TIDEMARK_HTTPS") {
            c.https = parse_bool("TIDEMARK_HTTPS", &v)?;
        } else if let Some(v) = file.https {
            c.https = v;
        }
        if let Some(v) = env("TIDEMARK_PROXY_USER_HEADER").or(file.proxy_user_header) {
            let v = v.trim().to_ascii_lowercase();
            let valid = !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !valid {
                return Err(invalid(
                    "TIDEMARK_PROXY_USER_HEADER",
                    &format!("'{v}' is not a header name such as X-Forwarded-User"),
                ));
            }
            c.proxy_user_header = Some(v);
        }
        let proxies = match env("TIDEMARK_TRUSTED_PROXIES") {
            Some(v) => v
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
            None => file.trusted_proxies.unwrap_or_default(),
        };
        for p in proxies {
            c.trusted_proxies.push(p.parse().map_err(|_| {
                invalid(
                    "TIDEMARK_TRUSTED_PROXIES",
                    &format!("'{p}' is not an IP address"),
                )
            })?);
        }
        if c.proxy_user_header.is_some() && c.trusted_proxies.is_empty() {
            return Err(invalid(
                "TIDEMARK_TRUSTED_PROXIES",
                "must list the proxies' addresses when TIDEMARK_PROXY_USER_HEADER is set",
            ));
        }
        let retention = file.retention.unwrap_or_default();
        if let Some(v) = env("TIDEMARK_RETENTION") {
            c.retention = parse_preset("TIDEMARK_RETENTION", &v)?;
        } else if let Some(v) = &retention.preset {
            c.retention = parse_preset("retention.preset", v)?;
        }
        let r = &mut c.retention;
        r.daily_days = retention.daily_days.unwrap_or(r.daily_days);
        r.weekly_weeks = retention.weekly_weeks.unwrap_or(r.weekly_weeks);
        r.monthly_months = retention.monthly_months.unwrap_or(r.monthly_months);
        r.manual_keep = retention.manual_keep.unwrap_or(r.manual_keep);

        let mut seen = Vec::new();
        for cluster in &file.clusters {
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
        c.clusters = file.clusters;
        for server in file.external {
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

        let sc = file.scalingo.unwrap_or_default();
        if let Some(token) = env("SCALINGO_API_TOKEN").filter(|t| !t.trim().is_empty()) {
            let auth_url = env("SCALINGO_AUTH_URL")
                .or(sc.auth_url)
                .unwrap_or_else(|| "https://auth.scalingo.com".into());
            let parsed = url::Url::parse(&auth_url).map_err(|e| {
                invalid(
                    "SCALINGO_AUTH_URL",
                    &format!("'{auth_url}' is not a URL ({e})"),
                )
            })?;
            let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            if !(parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback)) {
                return Err(invalid(
                    "SCALINGO_AUTH_URL",
                    "must start with https:// (http:// only for a test server on this machine), as the API token travels with it",
                ));
            }
            c.scalingo = Some(ScalingoConfig {
                api_token: Secret::new(token.trim().to_string()),
                auth_url: auth_url.trim_end_matches('/').to_string(),
                regions: env("SCALINGO_REGIONS")
                    .map(|v| list(&v))
                    .or(sc.regions)
                    .unwrap_or_default(),
                apps: env("SCALINGO_APPS")
                    .map(|v| list(&v))
                    .or(sc.apps)
                    .unwrap_or_default(),
                db_ssl_root_cert: env("SCALINGO_DB_SSLROOTCERT")
                    .map(PathBuf::from)
                    .or(sc.db_sslrootcert),
            });
            if let Some(root) = c
                .scalingo
                .as_ref()
                .and_then(|s| s.db_ssl_root_cert.as_ref())
                && !root.is_file()
            {
                return Err(invalid(
                    "SCALINGO_DB_SSLROOTCERT",
                    &format!("{} is not a readable file", root.display()),
                ));
            }
        }
        Ok(c)
    }
}

fn parse_listen(v: &str) -> Result<SocketAddr, ConfigError> {
    v.trim().parse().map_err(|_| {
        invalid(
            "TIDEMARK_LISTEN",
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

fn non_empty_path(setting: &str, v: PathBuf) -> Result<PathBuf, ConfigError> {
    if v.as_os_str().is_empty() {
        Err(invalid(setting, "must not be empty"))
    } else {
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn scalingo_is_on_with_a_token_and_never_prints_it() {
        let c = Config::from_sources(
            Some(("t.toml", "[scalingo]\nregions = [\"osc-fr1\"]\n")),
            env_of(&[
                ("SCALINGO_API_TOKEN", "tk-us-secret"),
                ("SCALINGO_APPS", "shop, ledger ,"),
            ]),
        )
        .unwrap();
        let sc = c.scalingo.clone().unwrap();
        assert_eq!(sc.auth_url, "https://auth.scalingo.com");
        assert_eq!(sc.regions, vec!["osc-fr1"]);
        assert_eq!(sc.apps, vec!["shop", "ledger"]);
        assert_eq!(sc.api_token.expose(), "tk-us-secret");
        assert!(!format!("{c:?}").contains("tk-us-secret"));
        assert!(
            Config::from_sources(None, env_of(&[]))
                .unwrap()
                .scalingo
                .is_none()
        );
        let e = Config::from_sources(
            None,
            env_of(&[
                ("SCALINGO_API_TOKEN", "t"),
                ("SCALINGO_AUTH_URL", "ftp://x"),
            ]),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("SCALINGO_AUTH_URL"), "{e}");
        let e = Config::from_sources(
            None,
            env_of(&[
                ("SCALINGO_API_TOKEN", "t"),
                ("SCALINGO_AUTH_URL", "http://auth.example.com"),
            ]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("https://"), "{e}");
        let local = Config::from_sources(
            None,
            env_of(&[
                ("SCALINGO_API_TOKEN", "t"),
                ("SCALINGO_AUTH_URL", "http://127.0.0.1:4600"),
            ]),
        )
        .unwrap();
        assert_eq!(local.scalingo.unwrap().auth_url, "http://127.0.0.1:4600");
    }

    #[test]
    fn defaults_are_local_and_safe() {
        let c = Config::from_sources(None, env_of(&[])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.data_dir, PathBuf::from("data"));
        assert!(c.embedded);
    }

    #[test]
    fn environment_wins_over_file() {
        let file = "listen = \"127.0.0.1:4000\"\ndata_dir = \"/srv/tm\"\nembedded = false\n";
        let c = Config::from_sources(
            Some(("t.toml", file)),
            env_of(&[("TIDEMARK_LISTEN", "0.0.0.0:5000")]),
        )
        .unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:5000");
        assert_eq!(c.data_dir, PathBuf::from("/srv/tm"));
        assert!(!c.embedded);
    }

    #[test]
    fn errors_name_the_setting() {
        let e = Config::from_sources(None, env_of(&[("TIDEMARK_LISTEN", "nope")])).unwrap_err();
        assert!(e.to_string().starts_with("TIDEMARK_LISTEN:"), "{e}");
        let e =
            Config::from_sources(None, env_of(&[("TIDEMARK_EMBEDDED_PORT", "70000")])).unwrap_err();
        assert!(e.to_string().contains("TIDEMARK_EMBEDDED_PORT"), "{e}");
        let e = Config::from_sources(None, env_of(&[("TIDEMARK_MAX_UPLOAD_BYTES", "lots")]))
            .unwrap_err();
        assert!(e.to_string().contains("TIDEMARK_MAX_UPLOAD_BYTES"), "{e}");
        let e = Config::from_sources(None, env_of(&[("TIDEMARK_EMBEDDED", "maybe")])).unwrap_err();
        assert!(e.to_string().contains("TIDEMARK_EMBEDDED"), "{e}");
    }

    #[test]
    fn retention_is_a_preset_with_overrides() {
        let c = Config::from_sources(None, env_of(&[])).unwrap();
        assert_eq!(c.retention, RetentionPolicy::starter());
        let file = "[retention]\npreset = \"business\"\nmanual_keep = 3\n";
        let c = Config::from_sources(Some(("t.toml", file)), env_of(&[])).unwrap();
        assert_eq!(c.retention.manual_keep, 3);
        assert_eq!(
            c.retention.monthly_months,
            RetentionPolicy::business().monthly_months
        );
        let e =
            Config::from_sources(None, env_of(&[("TIDEMARK_RETENTION", "forever")])).unwrap_err();
        assert!(e.to_string().contains("TIDEMARK_RETENTION"), "{e}");
        assert!(e.to_string().contains("starter or business"), "{e}");
    }

    #[test]
    fn clusters_and_external_servers_come_from_the_file() {
        let file = r#"
[[clusters]]
id = "billing"
name = "Billing"
port = 5544

[[external]]
id = "legacy"
url_env = "LEGACY_URL"
"#;
        let c = Config::from_sources(
            Some(("t.toml", file)),
            env_of(&[("LEGACY_URL", "postgres://u:secret@db.internal:5432/crm")]),
        )
        .unwrap();
        assert_eq!(c.clusters[0].id, "billing");
        assert_eq!(c.clusters[0].port, Some(5544));
        assert_eq!(
            c.external[0].url.as_ref().unwrap().expose(),
            "postgres://u:secret@db.internal:5432/crm"
        );
        assert!(
            !format!("{c:?}").contains("secret"),
            "the URL's password stays out of logs"
        );
    }

    #[test]
    fn bad_cluster_and_server_entries_name_the_setting() {
        for (file, setting) in [
            ("[[clusters]]\nid = \"Billing!\"\n", "clusters.id"),
            ("[[clusters]]\nid = \"demo\"\n", "clusters.id"),
            ("[[external]]\nid = \"x\"\n", "external.url"),
            (
                "[[external]]\nid = \"x\"\nurl = \"mysql://h/db\"\n",
                "external.url",
            ),
            (
                "[[external]]\nid = \"x\"\nurl_env = \"NOPE\"\n",
                "external.url_env",
            ),
            (
                "[[clusters]]\nid = \"a\"\n[[external]]\nid = \"a\"\nurl = \"postgres://h/d\"\n",
                "external.id",
            ),
        ] {
            let e = Config::from_sources(Some(("t.toml", file)), env_of(&[])).unwrap_err();
            assert!(e.to_string().starts_with(setting), "{file}: {e}");
        }
    }

    #[test]
    fn the_proxy_header_needs_trusted_addresses() {
        let e = Config::from_sources(
            None,
            env_of(&[("TIDEMARK_PROXY_USER_HEADER", "X-Forwarded-User")]),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("TIDEMARK_TRUSTED_PROXIES"), "{e}");
        let c = Config::from_sources(
            None,
            env_of(&[
                ("TIDEMARK_PROXY_USER_HEADER", "X-Forwarded-User"),
                ("TIDEMARK_TRUSTED_PROXIES", "10.0.0.5, ::1"),
            ]),
        )
        .unwrap();
        assert_eq!(c.proxy_user_header.as_deref(), Some("x-forwarded-user"));
        assert_eq!(c.trusted_proxies.len(), 2);
        let e = Config::from_sources(None, env_of(&[("TIDEMARK_TRUSTED_PROXIES", "proxy.local")]))
            .unwrap_err();
        assert!(e.to_string().contains("not an IP address"), "{e}");
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let e = Config::from_sources(Some(("t.toml", "lisen = \"x\"\n")), env_of(&[])).unwrap_err();
        assert!(e.to_string().contains("t.toml"), "{e}");
        assert!(e.to_string().contains("lisen"), "{e}");
    }
}
