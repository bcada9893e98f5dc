//! Server functions behind the pages: each reads the shared state and calls one `core` function.

use leptos::prelude::*;

use crate::model::{BackupsTab, JobPage};

#[cfg(feature = "ssr")]
pub mod ssr {
    //! What the server gives server functions and pages through context.

    use leptos::prelude::*;
    use tidemark_core::Catalog;
    use tidemark_core::provider::ProviderError;

    /// Provided by the server for every page render and server function call.
    #[derive(Clone)]
    pub struct ServerContext {
        pub catalog: Catalog,
        pub jobs: std::sync::Arc<tidemark_core::jobs::JobRunner>,
        pub config: std::sync::Arc<tidemark_core::Config>,
    }

    fn context() -> Result<ServerContext, ServerFnError> {
        use_context::<ServerContext>()
            .ok_or_else(|| ServerFnError::new("the server context is missing"))
    }

    /// Who is calling, as the server's authentication found them, and from where.
    #[derive(Debug, Clone)]
    pub struct Caller {
        pub principal: tidemark_core::auth::Principal,
        pub source: Option<String>,
    }

    /// The sentence an anonymous call gets.
    pub const LOG_IN_FIRST: &str = "Log in first: this needs a signed-in user.";

    /// An error answered with `status`, so a caller tells "log in" (401), "not allowed" (403)
    /// and "no such thing" (404) apart from a failure.
    pub fn with_status(status: http::StatusCode, message: impl Into<String>) -> ServerFnError {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(status);
        }
        ServerFnError::new(message.into())
    }

    /// A refusal for want of a role: 403, with the sentence saying which role was needed.
    pub fn forbidden(denied: &tidemark_core::auth::Denied) -> ServerFnError {
        with_status(
            http::StatusCode::FORBIDDEN,
            format!("{}.", capitalise(&denied.to_string())),
        )
    }

    /// The caller, or a refusal when nobody is signed in. The one place server functions learn
    /// who calls: the request's principal, set by the server's authentication.
    fn caller() -> Result<Caller, ServerFnError> {
        let parts = use_context::<http::request::Parts>()
            .ok_or_else(|| ServerFnError::new("the request is missing"))?;
        let principal = parts
            .extensions
            .get::<tidemark_core::auth::Principal>()
            .cloned()
            .ok_or_else(|| with_status(http::StatusCode::UNAUTHORIZED, LOG_IN_FIRST))?;
        let source = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(Caller { principal, source })
    }

    /// The shared state and the caller: where every server function but the shared page's
    /// starts, reads included, so none serves the anonymous.
    pub fn signed_in() -> Result<(ServerContext, Caller), ServerFnError> {
        let who = caller()?;
        Ok((context()?, who))
    }

    /// The shared state for the public shared page alone, whose link's token is its credential.
    pub fn for_share_link() -> Result<ServerContext, ServerFnError> {
        context()
    }

    /// Checks the role, recording a refusal in the audit log.
    pub async fn allow(
        cx: &ServerContext,
        who: &Caller,
        action: tidemark_core::auth::Action,
        database: &str,
    ) -> Result<(), ServerFnError> {
        if let Err(denied) = who.principal.may(action) {
            cx.jobs
                .store()
                .record(
                    &who.principal.user,
                    action,
                    Some(database),
                    None,
                    &format!("denied: {denied}"),
                    who.source.as_deref(),
                )
                .await;
            return Err(forbidden(&denied));
        }
        Ok(())
    }

    /// A job's page as of its record: the latest progress, the log's tail, and the number of
    /// the last event included, from which the browser follows the stream.
    pub async fn job_page(
        cx: &ServerContext,
        job_id: &tidemark_core::jobs::JobId,
    ) -> Result<Option<crate::model::JobPage>, ServerFnError> {
        use crate::model::{JobPage, LiveEvent, LiveEventBody, Progress};
        let store = cx.jobs.store();
        let internal = |e: tidemark_core::store::StoreError| {
            tracing::error!(error = %e, "cannot read a job");
            ServerFnError::new("Tidemark could not read this job; the server log says why.")
        };
        let Some(job) = store.job(job_id).await.map_err(internal)? else {
            return Ok(None);
        };
        // Read after the job: its end, if it came meanwhile, is left for the page's live stream.
        let events = tidemark_core::jobs::as_of_record(
            store.events_after(job_id, 0).await.map_err(internal)?,
            &job.status,
        );
        let last_event = events.last().map_or(0, |e| e.seq);
        let mut progress: Option<Progress> = None;
        let mut log = Vec::new();
        for e in events {
            // The same JSON the event stream sends, read the way the browser reads it.
            let Ok(live) = serde_json::to_value(&e).and_then(serde_json::from_value::<LiveEvent>)
            else {
                continue;
            };
            match live.body {
                LiveEventBody::Progress { progress: p } => progress = Some(p),
                LiveEventBody::Log { line } => log.push(line),
                LiveEventBody::Status { .. } => {}
            }
        }
        let keep = log.len().saturating_sub(crate::model::LOG_TAIL);
        Ok(Some(JobPage {
            events_url: format!("/api/v1/jobs/{}/events", job.id),
            job: job.into(),
            progress,
            log: log.split_off(keep),
            last_event,
            shared: false,
        }))
    }

    /// Records a change and how it ended.
    pub async fn audit<T: std::fmt::Display, E: std::fmt::Display>(
        cx: &ServerContext,
        who: &Caller,
        action: tidemark_core::auth::Action,
        database: &str,
        result: &Result<T, E>,
    ) {
        let (target, outcome) = match result {
            Ok(t) => (Some(t.to_string()), "ok".to_string()),
            Err(e) => (None, e.to_string()),
        };
        cx.jobs
            .store()
            .record(
                &who.principal.user,
                action,
                Some(database),
                target.as_deref(),
                &outcome,
                who.source.as_deref(),
            )
            .await;
    }

    fn capitalise(s: &str) -> String {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    }

    /// The id of a backup or dump job just started, or why it did not start.
    pub fn started(
        result: Result<tidemark_core::jobs::Job, tidemark_core::jobs::dump::StartDumpError>,
    ) -> Result<String, ServerFnError> {
        use tidemark_core::jobs::dump::StartDumpError;
        match result {
            Ok(job) => Ok(job.id.to_string()),
            Err(StartDumpError::Provider(e)) => Err(user_error(e)),
            Err(e) => Err(ServerFnError::new(e.to_string())),
        }
    }

    /// A schedule that could not be read or changed, in a sentence.
    pub fn schedule_error(
        e: tidemark_core::schedule::service::ScheduleChangeError,
    ) -> ServerFnError {
        use tidemark_core::schedule::service::ScheduleChangeError as E;
        match e {
            E::Provider(p) => user_error(p),
            E::Store(s) => {
                tracing::error!(error = %s, "cannot read or save a schedule");
                ServerFnError::new(
                    "Tidemark could not read or save the schedule; the server log says why.",
                )
            }
            other => ServerFnError::new(other.to_string()),
        }
    }

    /// The sentence a person reads; internal details go to the log, once.
    pub fn user_error(e: ProviderError) -> ServerFnError {
        match e {
            ProviderError::NotFound(_)
            | ProviderError::Unavailable(_)
            | ProviderError::Missing(_)
            | ProviderError::Invalid { .. }
            | ProviderError::Conflict(_)
            | ProviderError::NotSupported(_)
            | ProviderError::Upstream(_) => ServerFnError::new(e.to_string()),
            other => {
                tracing::error!(error = %other, "provider call failed");
                ServerFnError::new(
                    "Tidemark could not read this from the database server; the server log says why.",
                )
            }
        }
    }
}

/// Every database Tidemark serves.
#[server(prefix = "/_fn", endpoint = "databases")]
pub async fn list_databases() -> Result<crate::model::DatabaseList, ServerFnError> {
    let (cx, _) = ssr::signed_in()?;
    let (dbs, problems) = cx.catalog.listing().await;
    Ok(crate::model::DatabaseList {
        databases: dbs,
        problems,
    })
}

/// The Backups tab of one database; `None` when there is no such database.
#[server(prefix = "/_fn", endpoint = "backups_tab")]
pub async fn load_backups_tab(id: String) -> Result<Option<BackupsTab>, ServerFnError> {
    use tidemark_core::provider::ProviderError;
    let (cx, _) = ssr::signed_in()?;
    match cx.catalog.overview(&id).await {
        Ok(o) => {
            let schedule = if o.database.features.scheduled_backups {
                let state = tidemark_core::schedule::service::read(
                    &cx.catalog,
                    cx.jobs.store(),
                    &o.database.id,
                    chrono::Utc::now(),
                )
                .await
                .map_err(ssr::schedule_error)?;
                Some(state)
            } else {
                None
            };
            let safety_copies = cx
                .catalog
                .safety_copies(&o.database.id)
                .await
                .map_err(ssr::user_error)?;
            let firewall = if o.database.features.firewall {
                Some(
                    cx.catalog
                        .firewall(&o.database.id)
                        .await
                        .map_err(ssr::user_error)?,
                )
            } else {
                None
            };
            Ok(Some(BackupsTab {
                firewall,
                safety_copies,
                database: o.database,
                window: o.window,
                backups: o.backups,
                schedule,
            }))
        }
        Err(ProviderError::NotFound(_)) => Ok(None),
        Err(e) => Err(ssr::user_error(e)),
    }
}

/// A job with its latest progress and log tail; `None` when there is no such job.
#[server(prefix = "/_fn", endpoint = "job_page")]
pub async fn load_job_page(id: String) -> Result<Option<JobPage>, ServerFnError> {
    let (cx, _) = ssr::signed_in()?;
    let Some(job_id) = tidemark_core::jobs::JobId::parse(&id) else {
        return Ok(None);
    };
    ssr::job_page(&cx, &job_id).await
}

/// The job a share link opens, read-only; `None` when the link is unknown, expired or revoked,
/// or its creator has been disabled. Public: the link's token is the credential. The page holds
/// only what a link may show: the kind, the database's name, the state, the phase and progress,
/// the times and the outcome.
#[server(prefix = "/_fn", endpoint = "shared_job")]
pub async fn load_shared_job(token: String) -> Result<Option<JobPage>, ServerFnError> {
    let cx = ssr::for_share_link()?;
    let hash = tidemark_core::auth::hash_token(&token);
    let link = cx
        .jobs
        .store()
        .live_share_link(&hash, chrono::Utc::now())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read a share link");
            ServerFnError::new("Tidemark could not read this link; the server log says why.")
        })?;
    let Some(link) = link else { return Ok(None) };
    let Some(job_id) = tidemark_core::jobs::JobId::parse(&link.target) else {
        return Ok(None);
    };
    let Some(page) = ssr::job_page(&cx, &job_id).await? else {
        return Ok(None);
    };
    let name = cx
        .catalog
        .database(&page.job.database)
        .await
        .map(|d| d.name)
        .unwrap_or_else(|_| page.job.database.clone());
    Ok(Some(page.for_share_link(&token, name)))
}

/// Creates a read-only link to a job's page, valid for 7 days; returns its path.
#[server(prefix = "/_fn", endpoint = "share_job")]
pub async fn share_job(id: String) -> Result<String, ServerFnError> {
    use tidemark_core::auth::{Action, hash_token, new_token};
    let (cx, who) = ssr::signed_in()?;
    let store = cx.jobs.store();
    let internal = |e: tidemark_core::store::StoreError| {
        tracing::error!(error = %e, "cannot create a share link");
        ServerFnError::new("Tidemark could not create the link; the server log says why.")
    };
    let job_id = tidemark_core::jobs::JobId::parse(&id)
        .ok_or_else(|| ServerFnError::new(format!("There is no job with the id '{id}'.")))?;
    let job = store
        .job(&job_id)
        .await
        .map_err(internal)?
        .ok_or_else(|| ServerFnError::new(format!("There is no job with the id '{id}'.")))?;
    ssr::allow(&cx, &who, Action::CreateShareLink, &job.database).await?;
    let token = new_token("tms_");
    let now = chrono::Utc::now();
    let link = store
        .create_share_link(
            &hash_token(token.expose()),
            job.id.as_str(),
            &job.database,
            &who.principal.user,
            now,
            now + chrono::Duration::days(7),
        )
        .await
        .map_err(internal)?;
    ssr::audit(
        &cx,
        &who,
        Action::CreateShareLink,
        &job.database,
        &Ok::<_, String>(format!("{} (link {link})", job.id)),
    )
    .await;
    Ok(format!("/s/{}", token.expose()))
}

/// Takes a manual logical backup; returns the job's id.
#[server(prefix = "/_fn", endpoint = "trigger_backup")]
pub async fn trigger_backup(id: String) -> Result<String, ServerFnError> {
    use tidemark_core::auth::Action;
    use tidemark_core::jobs::backup::start_backup;
    use tidemark_core::provider::BackupMethod;
    let (cx, who) = ssr::signed_in()?;
    ssr::allow(&cx, &who, Action::ManualBackup, &id).await?;
    let result = start_backup(
        &cx.jobs,
        &cx.catalog,
        &cx.config,
        &id,
        BackupMethod::Manual,
        &who.principal,
    )
    .await;
    ssr::audit(
        &cx,
        &who,
        Action::ManualBackup,
        &id,
        &result.as_ref().map(|j| &j.id),
    )
    .await;
    ssr::started(result)
}

/// Turns the daily backup on or off and sets its hour (UTC). An unchecked box sends nothing.
#[server(prefix = "/_fn", endpoint = "save_schedule")]
pub async fn save_schedule(
    id: String,
    enabled: Option<String>,
    hour: String,
) -> Result<(), ServerFnError> {
    use tidemark_core::auth::Action;
    let (cx, who) = ssr::signed_in()?;
    ssr::allow(&cx, &who, Action::ChangeSchedule, &id).await?;
    let hour = hour.trim().parse::<i64>().map_err(|_| {
        ServerFnError::new(format!(
            "The hour must be a whole number from 0 to 23; got '{hour}'."
        ))
    })?;
    let state = tidemark_core::schedule::service::change(
        &cx.catalog,
        cx.jobs.store(),
        &id,
        Some(enabled.is_some()),
        Some(hour),
        &who.principal,
        chrono::Utc::now(),
    )
    .await
    .map_err(ssr::schedule_error)?;
    let what = format!(
        "{} at {:02}:00 UTC",
        if state.enabled { "on" } else { "off" },
        state.hour
    );
    ssr::audit(
        &cx,
        &who,
        Action::ChangeSchedule,
        &id,
        &Ok::<_, String>(what),
    )
    .await;
    Ok(())
}

/// Starts a point-in-time restore to `restore_time` (a UTC date and time); returns the job's id.
#[server(prefix = "/_fn", endpoint = "start_pitr")]
pub async fn start_pitr(
    id: String,
    restore_time: String,
    confirm: Option<String>,
) -> Result<String, ServerFnError> {
    use tidemark_core::auth::Action;
    use tidemark_core::jobs::pitr::{PitrRequest, start_pitr_restore};
    let (cx, who) = ssr::signed_in()?;
    ssr::allow(&cx, &who, Action::PitrRestore, &id).await?;
    let request = PitrRequest {
        restore_time: crate::format::utc_input_to_rfc3339(&restore_time),
        confirm: confirm.is_some(),
    };
    let result = start_pitr_restore(&cx.jobs, &cx.catalog, &id, request, &who.principal).await;
    ssr::audit(
        &cx,
        &who,
        Action::PitrRestore,
        &id,
        &result.as_ref().map(|j| &j.id),
    )
    .await;
    result
        .map(|job| job.id.to_string())
        .map_err(|e| ServerFnError::new(e.to_string()))
}

/// Deletes a safety copy for good.
#[server(prefix = "/_fn", endpoint = "discard_safety_copy")]
pub async fn discard_safety_copy(id: String, copy: String) -> Result<(), ServerFnError> {
    use tidemark_core::auth::Action;
    let (cx, who) = ssr::signed_in()?;
    ssr::allow(&cx, &who, Action::DiscardSafetyCopy, &id).await?;
    let found = cx
        .catalog
        .discard_safety_copy(&id, &copy)
        .await
        .map_err(ssr::user_error)?;
    ssr::audit(
        &cx,
        &who,
        Action::DiscardSafetyCopy,
        &id,
        &if found {
            Ok(copy.clone())
        } else {
            Err("no such copy")
        },
    )
    .await;
    if found {
        Ok(())
    } else {
        Err(ServerFnError::new(format!(
            "There is no safety copy '{copy}' for this database."
        )))
    }
}

/// Adds a firewall rule: a CIDR range with its label, or a managed range.
#[server(prefix = "/_fn", endpoint = "add_firewall_rule")]
pub async fn add_firewall_rule(
    id: String,
    cidr: Option<String>,
    label: Option<String>,
    range_id: Option<String>,
) -> Result<(), ServerFnError> {
    use tidemark_core::auth::Action;
    use tidemark_core::provider::NewFirewallRule;
    let (cx, who) = ssr::signed_in()?;
    ssr::allow(&cx, &who, Action::ChangeFirewall, &id).await?;
    let rule = match (
        cidr.filter(|c| !c.trim().is_empty()),
        range_id.filter(|r| !r.is_empty()),
    ) {
        (Some(cidr), None) => NewFirewallRule::Custom {
            cidr,
            label: label.unwrap_or_default(),
        },
        (None, Some(range_id)) => NewFirewallRule::Managed { range_id },
        _ => {
            return Err(ServerFnError::new(
                "Give either an address range (CIDR) with a label, or a managed range.",
            ));
        }
    };
    let what = match &rule {
        NewFirewallRule::Custom { cidr, .. } => format!("add {}", cidr.trim()),
        NewFirewallRule::Managed { range_id } => format!("add {range_id}"),
    };
    let result = cx.catalog.add_firewall_rule(&id, rule).await;
    ssr::audit(
        &cx,
        &who,
        Action::ChangeFirewall,
        &id,
        &result.as_ref().map(|_| what).map_err(|e| e.to_string()),
    )
    .await;
    result.map(|_| ()).map_err(ssr::user_error)
}

/// Removes a firewall rule.
#[server(prefix = "/_fn", endpoint = "remove_firewall_rule")]
pub async fn remove_firewall_rule(id: String, rule: String) -> Result<(), ServerFnError> {
    use tidemark_core::auth::Action;
    let (cx, who) = ssr::signed_in()?;
    ssr::allow(&cx, &who, Action::ChangeFirewall, &id).await?;
    let result = cx.catalog.remove_firewall_rule(&id, &rule).await;
    ssr::audit(
        &cx,
        &who,
        Action::ChangeFirewall,
        &id,
        &result
            .as_ref()
            .map(|_| format!("remove {rule}"))
            .map_err(|e| e.to_string()),
    )
    .await;
    result.map_err(ssr::user_error)
}

/// Whether this server reaches the database now, and what to do when it does not.
#[server(prefix = "/_fn", endpoint = "check_reachability")]
pub async fn check_reachability(id: String) -> Result<crate::model::Reachability, ServerFnError> {
    let (cx, _) = ssr::signed_in()?;
    let db = cx.catalog.database(&id).await.map_err(ssr::user_error)?;
    let target = cx
        .catalog
        .connection(&db.id)
        .await
        .map_err(ssr::user_error)?;
    let check = tidemark_core::jobs::preflight::reachability(&target, db.features.firewall).await;
    Ok(crate::model::Reachability {
        reachable: check.ok,
        message: check.message,
    })
}

/// Asks a queued or running job to stop.
#[server(prefix = "/_fn", endpoint = "cancel_job")]
pub async fn cancel_job(id: String) -> Result<(), ServerFnError> {
    use tidemark_core::auth::Action;
    use tidemark_core::jobs::JobId;
    let (cx, who) = ssr::signed_in()?;
    let job_id =
        JobId::parse(&id).ok_or_else(|| ServerFnError::new(format!("'{id}' is not a job id.")))?;
    let job = cx
        .jobs
        .store()
        .job(&job_id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read a job");
            ServerFnError::new("Tidemark could not read this job; the server log says why.")
        })?
        .ok_or_else(|| ServerFnError::new(format!("There is no job with the id '{id}'.")))?;
    ssr::allow(&cx, &who, Action::CancelJob, &job.database).await?;
    let result = cx.jobs.cancel(&job_id).await;
    ssr::audit(
        &cx,
        &who,
        Action::CancelJob,
        &job.database,
        &result
            .as_ref()
            .map(|j| j.id.to_string())
            .map_err(|e| e.to_string()),
    )
    .await;
    result
        .map(|_| ())
        .map_err(|e| ServerFnError::new(e.to_string()))
}

/// Jobs, newest first: of one database, in one state, of one kind, each when given.
#[server(prefix = "/_fn", endpoint = "list_jobs")]
pub async fn list_jobs(
    database: Option<String>,
    state: Option<String>,
    kind: Option<String>,
    limit: Option<u32>,
) -> Result<Vec<crate::model::Job>, ServerFnError> {
    let (cx, _) = ssr::signed_in()?;
    let given = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    let (database, state, kind) = (given(&database), given(&state), given(&kind));
    let state = match state {
        Some(s) => Some(
            crate::model::JobState::parse(&s)
                .ok_or_else(|| ServerFnError::new(format!("'{s}' is not a job's state.")))?,
        ),
        None => None,
    };
    let kind = match kind {
        Some(k) => Some(
            crate::model::JobKind::parse(&k)
                .ok_or_else(|| ServerFnError::new(format!("'{k}' is not a kind of job.")))?,
        ),
        None => None,
    };
    let jobs = cx
        .jobs
        .store()
        .jobs(database.as_deref(), 500)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot list jobs");
            ServerFnError::new("Tidemark could not list the jobs; the server log says why.")
        })?;
    Ok(jobs
        .into_iter()
        .map(crate::model::Job::from)
        .filter(|j| state.is_none_or(|s| j.state == s))
        .filter(|j| kind.is_none_or(|k| j.kind == k))
        .take(limit.unwrap_or(100).min(500) as usize)
        .collect())
}

/// Starts a dump of the database's main database; returns the job's id.
#[server(prefix = "/_fn", endpoint = "start_dump")]
pub async fn start_dump(id: String) -> Result<String, ServerFnError> {
    use tidemark_core::auth::Action;
    use tidemark_core::jobs::dump::start_dump;
    let (cx, who) = ssr::signed_in()?;
    ssr::allow(&cx, &who, Action::Dump, &id).await?;
    let result = start_dump(&cx.jobs, &cx.catalog, &cx.config, &id, &who.principal).await;
    ssr::audit(
        &cx,
        &who,
        Action::Dump,
        &id,
        &result.as_ref().map(|j| &j.id),
    )
    .await;
    ssr::started(result)
}

#[cfg(feature = "ssr")]
fn restore_request(
    source: String,
    target: String,
    new_database: Option<String>,
    confirm_name: Option<String>,
) -> Result<tidemark_core::jobs::restore::RestoreRequest, ServerFnError> {
    use tidemark_core::jobs::restore::{RestoreRequest, RestoreSource, RestoreTarget};
    let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let source = match crate::model::RestoreFrom::parse(&source) {
        Some(crate::model::RestoreFrom::Dump(job)) => RestoreSource::DumpJob(job),
        Some(crate::model::RestoreFrom::Upload(upload)) => RestoreSource::Upload(upload),
        None => {
            return Err(ServerFnError::new(
                "Choose what to restore: a dump, a backup made ready, or an uploaded file.",
            ));
        }
    };
    let confirm_name = given(confirm_name);
    let target = match target.as_str() {
        "in_place" => RestoreTarget::InPlace,
        "new_database" => RestoreTarget::NewDatabase(
            given(new_database).ok_or_else(|| ServerFnError::new("Name the new database."))?,
        ),
        other => {
            return Err(ServerFnError::new(format!(
                "'{other}' is not a restore target: choose a new database or this database."
            )));
        }
    };
    Ok(RestoreRequest {
        source,
        confirm: target == RestoreTarget::InPlace && confirm_name.is_some(),
        target,
        confirm_name,
    })
}

/// Makes a backup ready to restore: its dump is taken out of its archive and kept as an upload.
#[server(prefix = "/_fn", endpoint = "stage_backup")]
pub async fn stage_backup(
    id: String,
    backup: String,
) -> Result<crate::model::StagedDump, ServerFnError> {
    use tidemark_core::auth::Action;
    use tidemark_core::jobs::staging::{StageError, stage_backup};
    let (cx, who) = ssr::signed_in()?;
    ssr::allow(&cx, &who, Action::Upload, &id).await?;
    let result = stage_backup(
        &cx.catalog,
        cx.jobs.store(),
        &cx.config,
        &id,
        &who.principal,
        &backup,
    )
    .await;
    match result {
        Ok(up) => Ok(crate::model::StagedDump::from_upload(&up)),
        Err(StageError::Upload(e)) if !e.is_client_error() => {
            tracing::error!(error = %e, database = %id, "cannot make a backup ready to restore");
            Err(ServerFnError::new(
                "The backup could not be made ready; the server log says why.",
            ))
        }
        Err(e) => Err(ServerFnError::new(e.to_string())),
    }
}

/// The checks a restore would make, without starting it.
#[server(prefix = "/_fn", endpoint = "restore_preflight")]
pub async fn restore_preflight(
    id: String,
    source: String,
    target: String,
    new_database: Option<String>,
    confirm_name: Option<String>,
) -> Result<Vec<crate::model::PreflightCheck>, ServerFnError> {
    use tidemark_core::auth::Action;
    use tidemark_core::jobs::restore::preflight_restore;
    let (cx, who) = ssr::signed_in()?;
    let request = restore_request(source, target, new_database, confirm_name)?;
    let action = match request.target {
        tidemark_core::jobs::restore::RestoreTarget::InPlace => Action::RestoreInPlace,
        _ => Action::RestoreIntoNewDatabase,
    };
    ssr::allow(&cx, &who, action, &id).await?;
    let checks = preflight_restore(
        &cx.jobs,
        &cx.catalog,
        &cx.config,
        &id,
        &who.principal,
        request,
    )
    .await
    .map_err(|e| ServerFnError::new(e.to_string()))?;
    Ok(checks
        .into_iter()
        .map(|c| crate::model::PreflightCheck {
            name: c.name.to_string(),
            ok: c.ok,
            message: c.message,
        })
        .collect())
}

/// Starts a restore of a dump, into a new database or in place; returns the job's id.
#[server(prefix = "/_fn", endpoint = "start_restore")]
pub async fn start_restore(
    id: String,
    source: String,
    target: String,
    new_database: Option<String>,
    confirm_name: Option<String>,
) -> Result<String, ServerFnError> {
    use tidemark_core::auth::Action;
    use tidemark_core::jobs::restore::{RestoreTarget, start_restore};
    let (cx, who) = ssr::signed_in()?;
    let request = restore_request(source, target, new_database, confirm_name)?;
    let action = match request.target {
        RestoreTarget::InPlace => Action::RestoreInPlace,
        RestoreTarget::NewDatabase(_) => Action::RestoreIntoNewDatabase,
    };
    ssr::allow(&cx, &who, action, &id).await?;
    let result = start_restore(
        &cx.jobs,
        &cx.catalog,
        &cx.config,
        &id,
        &who.principal,
        request,
    )
    .await;
    ssr::audit(
        &cx,
        &who,
        action,
        &id,
        &result.as_ref().map(|j| &j.id).map_err(|e| e.to_string()),
    )
    .await;
    result
        .map(|j| j.id.to_string())
        .map_err(|e| ServerFnError::new(e.to_string()))
}
