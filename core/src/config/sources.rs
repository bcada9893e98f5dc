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
mod tests {
    use std::collections::HashMap;

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

    #[test]
    fn file_values_are_checked_like_variables_and_named_by_their_key() {
        let read = |file: &str| Config::from_sources(Some(("t.toml", file)), env_of(&[]));
        let e = read("embedded = \"maybe\"\n").unwrap_err();
        assert_eq!(e.to_string(), "embedded: 'maybe' is not true or false");
        let e = read("[retention]\npreset = \"gold\"\n").unwrap_err();
        assert!(e.to_string().starts_with("retention.preset: 'gold'"), "{e}");
        let e = read("[[clusters]]\nid = \"a\"\nport = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("t.toml"), "{e}");
        assert!(e.to_string().contains("clusters"), "{e}");
        let e = read("listen = [\n").unwrap_err();
        assert!(e.to_string().contains("t.toml"), "{e}");
        let c =
            read("embedded = false\nembedded_port = 5433\ntrusted_proxies = [\"::1\"]\n").unwrap();
        assert!(!c.embedded);
        assert_eq!(c.embedded_port, Some(5433));
        assert_eq!(c.trusted_proxies.len(), 1);
    }

    #[test]
    fn tidemark_s_own_site_root_wins_over_the_build_tool_s() {
        let c = Config::from_sources(
            None,
            env_of(&[
                ("LEPTOS_SITE_ROOT", "/from/leptos"),
                ("TIDEMARK_SITE_ROOT", "/from/tidemark"),
            ]),
        )
        .unwrap();
        assert_eq!(c.site_root, PathBuf::from("/from/tidemark"));
        let c =
            Config::from_sources(None, env_of(&[("LEPTOS_SITE_ROOT", "/from/leptos")])).unwrap();
        assert_eq!(c.site_root, PathBuf::from("/from/leptos"));
    }
}
