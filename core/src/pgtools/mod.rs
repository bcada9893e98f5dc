//! PostgreSQL and pgBackRest programs: pure command builders, and one runner that executes them.

pub mod acting;
pub mod command;
pub mod conn;
pub mod pg_amcheck;
pub mod pg_ctl;
pub mod pg_dump;
pub mod pg_restore;
pub mod pgbackrest;
pub mod quote;
pub mod repo_verify;
pub mod runner;
pub mod snapshot;
pub mod streaming;

pub use command::ToolCommand;
pub use runner::{ToolError, ToolOutput, run};
