//! One module per page.

mod account;
mod admin;
mod backup;
mod common;
mod database;
pub(crate) mod job;
mod jobs;
mod login;
pub(crate) mod not_found;
mod overview;
mod proof;

pub use account::AccountPage;
pub use admin::AdminPage;
pub use backup::BackupPageView;
pub use database::DatabasePage;
pub use job::{JobPageView, SharedJobPage};
pub use jobs::{JobsPage, RecentActivity};
pub use login::LoginPage;
pub use not_found::NotFound;
pub use overview::Overview;
