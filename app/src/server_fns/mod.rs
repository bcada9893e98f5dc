//! Server functions behind the pages, by area: each takes the caller from one place, calls one
//! `core::ops` function, and turns its error into the page's in one place.

mod accounts;
mod backups;
#[cfg(feature = "ssr")]
pub mod context;
mod databases;
mod jobs;
mod restores;
mod settings;

pub use accounts::*;
pub use backups::*;
pub use databases::*;
pub use jobs::*;
pub use restores::*;
pub use settings::*;
