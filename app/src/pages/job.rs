//! A job's page, the one people share: progress, phase, ETA, outcome and log, live in the browser.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::common::{LoadError, error_text};
use crate::format;
use crate::model::{JobPage, JobState, LOG_TAIL, LiveEvent, LiveEventBody, Progress};
use crate::server_fns::{CancelJob, ShareJob, load_job_page, load_shared_backup, load_shared_job};

/// A job's page from its resource: live when there is a job, `missing` when there is none.
fn job_or(
    page: Resource<Result<Option<JobPage>, AppError>>,
    missing: impl Fn() -> AnyView + Copy + Send + Sync + 'static,
) -> impl IntoView {
    // The last page that loaded: when a reload at the job's end fails (a phone that lost its
    // connection), the page stays as it was and follows the job again rather than turn into an error.
    // It keeps up with the live stream, so the page drawn from it shows what was last seen and
    // follows on from its last event, not from where the page first started.
    let last_good = StoredValue::new(None::<JobPage>);
    let seen = Callback::new(move |e: LiveEvent| {
        last_good.update_value(|p| {
            if let Some(p) = p {
                p.fold(&e);
            }
        })
    });
    view! {
        // A transition keeps the page on screen while it reloads at the job's end.
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(p)) => {
                        last_good.set_value(Some(p.clone()));
                        view! { <Live page=p seen on_finished=Callback::new(move |()| page.refetch())/> }.into_any()
                    }
                    Err(_) if last_good.with_value(Option::is_some) => {
                        let p = last_good.get_value().expect("checked just above");
                        // The job ended but its outcome could not be loaded: try again shortly.
                        #[cfg(feature = "hydrate")]
                        if p.job.state.is_finished() {
                            set_timeout(move || page.refetch(), std::time::Duration::from_secs(3));
                        }
                        view! { <Live page=p seen on_finished=Callback::new(move |()| page.refetch())/> }.into_any()
                    }
                    Ok(None) => {
                        super::not_found::set_not_found_status();
                        missing()
                    }
                    Err(e) => view! { <LoadError message=error_text(&e)/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn JobPageView() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    job_or(Resource::new(id, load_job_page), move || {
        view! {
            <Title text="Job not found"/>
            <section class="empty-page" data-testid="job-not-found">
                <h1>"Job not found"</h1>
                <p>"There is no job with the id " <code>{id()}</code> "."</p>
                <a class="link-button" href="/jobs">"See all jobs"</a>
            </section>
        }
        .into_any()
    })
}

/// What a share link opens: a backup's page, or a job's live page, read-only.
#[component]
pub fn SharedJobPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let backup = Resource::new(token, load_shared_backup);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match backup.await {
                    Ok(Some(page)) => view! { <super::backup::SharedBackupView page/> }.into_any(),
                    _ => view! { <SharedJob/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A job's page opened through a share link: the same live status, read-only.
#[component]
fn SharedJob() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    job_or(Resource::new(token, load_shared_job), || {
        view! {
            <Title text="Link not valid"/>
            <section class="empty-page" data-testid="share-invalid">
                <h1>"This link is not valid"</h1>
                <p>"It is unknown, has expired, or was revoked. Ask whoever shared it for a new one."</p>
            </section>
        }
        .into_any()
    })
}

pub(crate) fn state_class(state: JobState) -> &'static str {
    match state {
        JobState::Succeeded => "pill pill-ok",
        JobState::Failed | JobState::Cancelled | JobState::Interrupted => "pill pill-bad",
        JobState::Queued | JobState::Running => "pill pill-wait",
    }
}

fn eta_text(p: &Progress) -> String {
    match p.eta_seconds {
        Some(s) if s < 60 => format!("about {s} s left"),
        Some(s) => format!("about {} min left", s.div_ceil(60)),
        None => String::new(),
    }
}

fn counts_text(p: &Progress) -> String {
    let mut parts = Vec::new();
    match p.total {
        Some(t) => parts.push(format!("{} of {t} {}", p.done, p.unit)),
        None if !p.unit.is_empty() => parts.push(format!("{} {}", p.done, p.unit)),
        None => {}
    }
    if p.bytes > 0 {
        parts.push(format::size(p.bytes));
    }
    if let Some(rate) = p.bytes_per_second.filter(|r| *r > 0.0) {
        parts.push(format!("{}/s", format::size(rate as u64)));
    }
    parts.join(" · ")
}

/// Copies this page's address, for teammates who can log in.
#[component]
fn CopyLink() -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let href = window().location().href().unwrap_or_default();
            let _ = window().navigator().clipboard().write_text(&href);
            copied.set(true);
        }
    };
    view! {
        <button class="button button-quiet-ink" type="button" data-testid="copy-link" on:click=copy>
            "Copy link"
        </button>
        <span class="ok-text" role="status" aria-live="polite">{move || copied.get().then_some(" Link copied.")}</span>
    }
}

/// Makes a share link and shows it, ready to copy.
#[component]
fn ShareButton(job: String) -> impl IntoView {
    let action = ServerAction::<ShareJob>::new();
    view! {
        <ActionForm action attr:class="inline-form">
            <input type="hidden" name="id" value=job/>
            <button class="button button-quiet-ink" type="submit" data-testid="share-job">"Create a share link"</button>
        </ActionForm>
        {move || action.value().get().map(super::common::share_link_view)}
    }
}

/// `seen` gets every live event; `on_finished` runs when the live stream reports the job's end,
/// to load its outcome.
#[component]
fn Live(page: JobPage, seen: Callback<LiveEvent>, on_finished: Callback<()>) -> impl IntoView {
    let JobPage {
        job,
        progress,
        log,
        last_event,
        events_url,
        shared,
    } = page;
    let state = RwSignal::new(job.state);
    let reason = RwSignal::new(job.summary.clone());
    let progress = RwSignal::new(progress);
    let log = RwSignal::new(log);
    // The number of the last event the page has, from the server's render or the stream: the
    // point it resumes from after a dropped connection.
    let last_seen = RwSignal::new(last_event);
    let finished = move || state.get().is_finished();

    #[cfg(feature = "hydrate")]
    {
        let url = events_url.clone();
        if !job.state.is_finished() {
            Effect::new(move |_| {
                crate::live::follow(&url, last_event, move |e: LiveEvent| {
                    last_seen.set(e.seq);
                    seen.run(e.clone());
                    if apply(e, state, reason, progress, log) {
                        on_finished.run(());
                    }
                });
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (last_event, on_finished, events_url, seen);

    let title = format!("{} of {}", job.kind.label(), job.database);
    let artifact = job.artifact.clone();
    let per_mille = move || progress.get().and_then(|p| p.per_mille());
    view! {
        <Title text=title.clone()/>
        {(!shared).then(|| view! {
            <nav class="crumbs" aria-label="Breadcrumb">
                <a href=format!("/databases/{}", job.database)>{job.database.clone()}</a>
                <span aria-hidden="true">" / "</span>
                <span>"Job " {job.id.clone()}</span>
            </nav>
        })}
        <div class="db-head" data-last-event=move || last_seen.get()>
            <div>
                <h1>{title}</h1>
                <p class="muted">
                    "Queued " <time datetime=format::iso(&job.queued_at)>{format::utc(&job.queued_at)}</time>
                    {(!job.started_by.is_empty()).then(|| format!(" by {}", job.started_by))}
                </p>
            </div>
            <span class=move || state_class(state.get()) data-testid="job-state">{move || state.get().as_str()}</span>
        </div>
        <section class="block" aria-labelledby="progress-title">
            <h2 id="progress-title">"Progress"</h2>
            <div
                class="progress"
                role="progressbar"
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=move || per_mille().map(|p| format::fixed(p, 1, 0))
                aria-label="Job progress"
            >
                <div class="progress-fill" style=move || format!("width: {}%", format::fixed(per_mille().unwrap_or(if finished() { 1000 } else { 0 }), 1, 1))></div>
            </div>
            <p aria-live="polite" data-testid="job-progress">
                <strong>{move || per_mille().map(|p| format!("{}% · ", format::fixed(p, 1, 0))).unwrap_or_default()}</strong>
                {move || progress.get().map(|p| p.phase).unwrap_or_else(|| "waiting to start".into())}
                {move || progress.get().map(|p| {
                    let counts = counts_text(&p);
                    if counts.is_empty() { String::new() } else { format!(" · {counts}") }
                })}
                {move || progress.get().and_then(|p| p.current).map(|c| format!(" · {c}"))}
            </p>
            <p class="muted" data-testid="job-eta">{move || if finished() { String::new() } else { progress.get().map(|p| eta_text(&p)).unwrap_or_default() }}</p>
            <p data-testid="job-summary">{move || reason.get()}</p>
            {artifact.map(|a| view! {
                <p>
                    <a class="button" href=a.download_url.clone() download=a.file_name.clone() data-testid="job-artifact">
                        "Download " {a.file_name.clone()} " (" {format::size(a.size_bytes)} ")"
                    </a>
                </p>
            })}
        </section>
        {(!shared).then(|| {
            let cancel = ServerAction::<CancelJob>::new();
            let id = StoredValue::new(job.id.clone());
            view! {
                <Show when=move || !finished()>
                    <ActionForm action=cancel attr:class="inline-form">
                        <input type="hidden" name="id" value=id.get_value()/>
                        <button class="button button-quiet" type="submit" data-testid="cancel-job"
                            disabled=move || cancel.pending().get()>"Cancel this job"</button>
                    </ActionForm>
                </Show>
                {move || cancel.value().get().and_then(|r| r.err()).map(|e| view! { <p class="notice notice-error" role="alert">{error_text(&e)}</p> })}
            }
        })}
        {(!shared).then(|| view! { <section class="block share"><CopyLink/><ShareButton job=job.id.clone()/></section> })}
        // A share link shows the status only: the log names hosts and roles.
        {(!shared).then(|| view! {
            <section class="block" aria-labelledby="log-title">
                <h2 id="log-title">"Log"</h2>
                <pre class="log" data-testid="job-log">{move || {
                    let lines = log.get();
                    if lines.is_empty() { "No warnings or errors.".to_string() } else { lines.join("\n") }
                }}</pre>
            </section>
        })}
    }
}

/// Folds one live event into the page's signals; true when it ends the job.
#[cfg_attr(
    not(feature = "hydrate"),
    expect(dead_code, reason = "only the browser applies live events")
)]
fn apply(
    e: LiveEvent,
    state: RwSignal<JobState>,
    reason: RwSignal<Option<String>>,
    progress: RwSignal<Option<Progress>>,
    log: RwSignal<Vec<String>>,
) -> bool {
    match e.body {
        LiveEventBody::Status { status } => {
            let finished = status.state.is_finished();
            state.set(status.state);
            if status.reason.is_some() {
                reason.set(status.reason);
            }
            finished
        }
        LiveEventBody::Progress { progress: p } => {
            progress.set(Some(p));
            false
        }
        LiveEventBody::Log { line } => {
            log.update(|l| {
                l.push(line);
                let extra = l.len().saturating_sub(LOG_TAIL);
                l.drain(..extra);
            });
            false
        }
    }
}
