//! The Scalingo provider: databases, backups, schedules, PITR and firewall rules through
//! Scalingo's APIs, with the API token kept on the server.

mod cache;
mod client;
mod conversions;
mod counts;
mod discovery;
mod error;
mod http;
mod jwt;
mod model;
mod poll;
mod provider;

pub use client::{AddonRef, ClientSettings, NewRule, ScalingoClient};
pub use counts::request_counts;
pub use error::{FieldError, ScalingoError};
pub use http::Limits;
pub use model::*;
pub use provider::{MAX_FIREWALL_RULES, ScalingoProvider, Selection};
