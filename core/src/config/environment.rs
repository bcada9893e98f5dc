//! The environment as a configuration source: the variables Tidemark reads, each with the file's
//! key it sets, so that an error names the variable that was actually set.

use figment::value::{Dict, Map, Value};
use figment::{Metadata, Profile, Provider};

/// What the environment is called in the configuration's sources.
pub(super) const SOURCE: &str = "environment variable";

/// Each variable, and the file's key it sets. A later variable wins over an earlier one for the
/// same key: `TIDEMARK_SITE_ROOT` over `LEPTOS_SITE_ROOT`, which cargo-leptos sets.
const VARIABLES: [(&str, &str); 20] = [
    ("TIDEMARK_LISTEN", "listen"),
    ("TIDEMARK_DATA_DIR", "data_dir"),
    ("TIDEMARK_PG_BIN_DIR", "pg_bin_dir"),
    ("TIDEMARK_PGBACKREST", "pgbackrest"),
    ("TIDEMARK_RUN_AS", "run_as_user"),
    ("TIDEMARK_EMBEDDED", "embedded"),
    ("TIDEMARK_EMBEDDED_PORT", "embedded_port"),
    ("LEPTOS_SITE_ROOT", "site_root"),
    ("TIDEMARK_SITE_ROOT", "site_root"),
    ("TIDEMARK_MAX_UPLOAD_BYTES", "max_upload_bytes"),
    (
        "TIDEMARK_CATCH_UP_MISSED_BACKUPS",
        "catch_up_missed_backups",
    ),
    ("TIDEMARK_FULL_BACKUP_EVERY_DAYS", "full_backup_every_days"),
    ("TIDEMARK_HTTPS", "https"),
    ("TIDEMARK_PROXY_USER_HEADER", "proxy_user_header"),
    ("TIDEMARK_TRUSTED_PROXIES", "trusted_proxies"),
    ("TIDEMARK_RETENTION", "retention.preset"),
    ("SCALINGO_AUTH_URL", "scalingo.auth_url"),
    ("SCALINGO_REGIONS", "scalingo.regions"),
    ("SCALINGO_APPS", "scalingo.apps"),
    ("SCALINGO_DB_SSLROOTCERT", "scalingo.db_sslrootcert"),
];

/// The variables that are set, as text: the checks that follow give each its type.
#[derive(Debug, Clone)]
pub(super) struct Environment {
    /// (variable, key, value), in the order of `VARIABLES`.
    set: Vec<(&'static str, &'static str, String)>,
}

impl Environment {
    /// Reads every variable Tidemark knows through `env`.
    pub(super) fn read(env: impl Fn(&str) -> Option<String>) -> Self {
        let set = VARIABLES
            .iter()
            .filter_map(|&(var, key)| env(var).map(|v| (var, key, v)))
            .collect();
        Self { set }
    }

    /// The variable that set `key`: the last one set, as it won.
    fn variable(&self, key: &str) -> Option<&'static str> {
        self.set
            .iter()
            .rev()
            .find(|(_, k, _)| *k == key)
            .map(|(var, _, _)| *var)
    }
}

impl Provider for Environment {
    fn metadata(&self) -> Metadata {
        let env = self.clone();
        Metadata::named(SOURCE).interpolater(move |_: &Profile, keys: &[&str]| {
            let key = keys.join(".");
            env.variable(&key).map_or(key, str::to_string)
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut top = Dict::new();
        for (_, key, value) in &self.set {
            let value = Value::from(value.clone());
            match key.split_once('.') {
                None => {
                    top.insert((*key).to_string(), value);
                }
                Some((section, field)) => {
                    let entry = top
                        .entry(section.to_string())
                        .or_insert_with(|| Value::from(Dict::new()));
                    if let Value::Dict(_, dict) = entry {
                        dict.insert(field.to_string(), value);
                    }
                }
            }
        }
        Ok(Profile::Default.collect(top))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_is_named_by_the_variable_that_set_it() {
        let env = Environment::read(|k| {
            matches!(
                k,
                "LEPTOS_SITE_ROOT" | "TIDEMARK_SITE_ROOT" | "TIDEMARK_RETENTION"
            )
            .then(|| "x".to_string())
        });
        assert_eq!(env.variable("site_root"), Some("TIDEMARK_SITE_ROOT"));
        let md = env.metadata();
        assert_eq!(
            md.interpolate(&Profile::Default, &["retention", "preset"]),
            "TIDEMARK_RETENTION"
        );
        assert_eq!(md.interpolate(&Profile::Default, &["listen"]), "listen");
        let data = env.data().unwrap();
        let dict = &data[&Profile::Default];
        assert!(matches!(&dict["retention"], Value::Dict(_, d) if d.contains_key("preset")));
    }
}
