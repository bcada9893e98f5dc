//! What a user can do: one module per family of actions, each the only door to its actions. A
//! public function takes the caller and a typed request, checks the role once, validates, runs or
//! starts the work, and writes the audit record once, whether it succeeded or was refused. The
//! REST API and the pages' server functions both call these and add nothing but their encoding.

pub mod accounts;
pub mod backups;
pub mod databases;
pub mod drills;
pub mod dumps;
mod error;
pub mod firewall;
pub mod jobs;
pub mod metrics;
pub mod pitr;
pub mod restores;
pub mod safety;
pub mod schedule;
pub mod shares;
pub mod uploads;
pub mod verifications;

pub use error::{ErrorKind, OpsError, job_not_found};

use std::sync::Arc;

use crate::auth::{Action, Principal};
use crate::catalog::Catalog;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::jobs::{EventHub, JobRunner};
use crate::provider::local::scratch::ScratchInstance;
use crate::store::Store;
use crate::sysuser::RunAs;

/// Everything an operation works with: one handle for the server's pages and API alike.
#[derive(Clone)]
pub struct Tidemark {
    pub config: Arc<Config>,
    pub catalog: Catalog,
    pub jobs: Arc<JobRunner>,
    pub clock: Arc<dyn Clock>,
    /// Where backups are test-restored: never a production server.
    pub scratch: Arc<ScratchInstance>,
}

impl std::fmt::Debug for Tidemark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tidemark")
            .field("data_dir", &self.config.data_dir)
            .finish_non_exhaustive()
    }
}

impl Tidemark {
    /// The handle for a configuration, its providers and its state database; `max_jobs` run at
    /// once.
    pub fn new(config: Config, catalog: Catalog, store: Store, max_jobs: usize) -> Self {
        // The scratch instance runs as the managed clusters do; a user that cannot be found
        // stops those first, at start.
        let run_as = RunAs::for_current_process(&config.run_as_user)
            .ok()
            .flatten();
        Self {
            scratch: Arc::new(ScratchInstance::new(&config, run_as)),
            config: Arc::new(config),
            catalog,
            jobs: Arc::new(JobRunner::new(EventHub::new(store), max_jobs)),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same handle with another clock, for tests of time-based rules.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn store(&self) -> &Store {
        self.jobs.store()
    }

    /// The door of what anyone may do to their own account (their password, their tokens): no
    /// role to check, the record all the same.
    fn own_account<'a>(&'a self, who: &'a Caller) -> Door<'a> {
        Door {
            tm: self,
            who,
            action: Action::ManageUsers,
            database: None,
        }
    }

    /// Lets `who` through the door of `action` on `database`, or refuses and records why.
    async fn door<'a>(
        &'a self,
        who: &'a Caller,
        action: Action,
        database: Option<&str>,
    ) -> Result<Door<'a>, OpsError> {
        let door = Door {
            tm: self,
            who,
            action,
            database: database.map(str::to_string),
        };
        if let Err(denied) = who.principal.may(action) {
            door.record(None, &format!("denied: {denied}")).await;
            return Err(denied.into());
        }
        Ok(door)
    }
}

/// Who acts, and from where (their address, for the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    pub source: Option<String>,
}

impl Caller {
    pub fn new(principal: Principal, source: Option<String>) -> Self {
        Self { principal, source }
    }
}

/// An action let through its door, which records how it ended: once.
struct Door<'a> {
    tm: &'a Tidemark,
    who: &'a Caller,
    action: Action,
    database: Option<String>,
}

impl Door<'_> {
    /// Names the database the action concerns, once it is known (after a lookup).
    fn about(&mut self, database: &str) {
        self.database = Some(database.to_string());
    }

    async fn record(&self, target: Option<&str>, outcome: &str) {
        self.tm
            .store()
            .record(
                &self.who.principal.user,
                self.action,
                self.database.as_deref(),
                target,
                outcome,
                self.who.source.as_deref(),
            )
            .await;
    }

    /// Records the result: its target and `ok` on success, the error's sentence otherwise.
    async fn end<T>(
        &self,
        result: Result<T, OpsError>,
        target: impl FnOnce(&T) -> String,
    ) -> Result<T, OpsError> {
        match &result {
            Ok(value) => self.record(Some(&target(value)), "ok").await,
            Err(e) => self.record(None, &e.message).await,
        }
        result
    }

    /// Records a success with its own outcome sentence.
    async fn done(&self, target: &str, outcome: &str) {
        self.record(Some(target), outcome).await;
    }
}
