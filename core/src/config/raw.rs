//! The settings as the file and the environment give them, merged but not yet checked. Single
//! values are text, as the environment has no types; lists are a TOML array or comma-separated.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use super::servers::{ClusterConfig, ExternalConfig};

/// Every setting, by its key in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    pub(super) listen: Option<Text>,
    pub(super) data_dir: Option<Text>,
    pub(super) pg_bin_dir: Option<Text>,
    pub(super) pgbackrest: Option<Text>,
    pub(super) run_as_user: Option<Text>,
    pub(super) embedded: Option<Text>,
    pub(super) embedded_port: Option<Text>,
    pub(super) site_root: Option<Text>,
    pub(super) max_upload_bytes: Option<Text>,
    pub(super) catch_up_missed_backups: Option<Text>,
    pub(super) full_backup_every_days: Option<Text>,
    pub(super) https: Option<Text>,
    pub(super) proxy_user_header: Option<Text>,
    pub(super) trusted_proxies: Option<List>,
    pub(super) retention: Option<RawRetention>,
    #[serde(default)]
    pub(super) clusters: Vec<ClusterConfig>,
    #[serde(default)]
    pub(super) external: Vec<ExternalConfig>,
    pub(super) scalingo: Option<RawScalingo>,
}

/// `[retention]`: a preset, then any number overridden.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetention {
    pub(super) preset: Option<Text>,
    pub(super) daily_days: Option<u32>,
    pub(super) weekly_weeks: Option<u32>,
    pub(super) monthly_months: Option<u32>,
    pub(super) manual_keep: Option<u32>,
}

/// `[scalingo]`; the API token itself only comes from the environment.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScalingo {
    pub(super) auth_url: Option<Text>,
    pub(super) regions: Option<List>,
    pub(super) apps: Option<List>,
    pub(super) db_sslrootcert: Option<Text>,
}

/// One value as text, whether the file gave a string, a number or a boolean.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Text(pub(super) String);

impl Text {
    pub(super) fn path(self) -> PathBuf {
        PathBuf::from(self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Scalar;
        impl Visitor<'_> for Scalar {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, a number or true or false")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(Scalar)
    }
}

/// A list: a TOML array, or text with commas between the items.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct List(pub(super) Vec<String>);

/// The items of comma-separated text, trimmed, without empty ones.
pub(super) fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Items;
        impl<'de> Visitor<'de> for Items {
            type Value = List;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list, or items separated by commas")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<List, E> {
                Ok(List(split_list(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List, A::Error> {
                let mut items = Vec::new();
                while let Some(Text(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(List(items))
            }
        }
        d.deserialize_any(Items)
    }
}
