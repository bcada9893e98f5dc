//! Tidemark's server: the router (pages, REST API), start-up, named tasks and graceful shutdown.

pub mod api;
pub mod auth;
pub mod body_limit;
pub mod error;
pub mod routes;
pub mod startup;
pub mod state;
pub mod tasks;
pub mod telemetry;

pub use routes::router;
pub use state::AppState;
