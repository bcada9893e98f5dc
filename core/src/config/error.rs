//! What a setting that cannot be read says: the setting, and what it expects.

/// A setting that could not be read; the message names the setting and what it expects.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{setting}: {message}")]
    Invalid { setting: String, message: String },
    #[error("the configuration file {path} cannot be read: {message}")]
    File { path: String, message: String },
}

pub(super) fn invalid(setting: &str, message: &str) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.to_string(),
        message: message.to_string(),
    }
}
