//! Tidemark's one typed configuration, read once at start from environment variables and an
//! optional TOML file: what it holds (`settings`), where it is read from (`sources`), the servers
//! it names (`servers`), which backups it keeps (`retention`), and what a bad setting says
//! (`error`). figment merges the sources (`environment`, the file) into raw text (`raw`).

mod environment;
mod error;
mod raw;
pub mod retention;
mod servers;
mod settings;
mod sources;

pub use error::ConfigError;
pub use servers::{ClusterConfig, ExternalConfig, ScalingoConfig};
pub use settings::Config;
