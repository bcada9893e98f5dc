//! Tidemark's domain: configuration, providers of databases and backups, PostgreSQL tools, and state.

pub mod auth;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod jobs;
pub mod ops;
pub mod periodic;
pub mod pgtools;
pub mod process;
pub mod provider;
pub mod records;
pub mod schedule;
pub mod secret;
pub mod store;
pub mod sysuser;
#[cfg(feature = "testing")]
pub mod testing;
pub mod work;

pub use catalog::Catalog;
pub use config::Config;
pub use secret::Secret;
