//! Every job, newest first, filtered by database, state and kind; and the short list of a
//! database's latest jobs that its Backups tab shows.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::common::{LoadError, error_text};
use super::job::state_class;
use crate::format;
use crate::model::{Job, JobKind, JobState};
use crate::server_fns::list_jobs;

const KINDS: [JobKind; 4] = [
    JobKind::Backup,
    JobKind::Dump,
    JobKind::Restore,
    JobKind::PitrRestore,
];

/// A table of jobs; `with_database` adds the column when jobs of several databases are shown.
#[component]
pub fn JobTable(jobs: Vec<Job>, with_database: bool) -> impl IntoView {
    let now = chrono::Utc::now();
    let rows = jobs
        .into_iter()
        .map(|j| {
            let href = format!("/jobs/{}", j.id);
            let db = with_database.then(|| {
                let db_href = format!("/databases/{}", j.database);
                view! { <td data-label="Database"><a href=db_href>{j.database.clone()}</a></td> }
            });
            view! {
                <tr data-testid="job-row" data-job-id=j.id.clone()>
                    <td data-label="Job"><a href=href>{j.kind.label()}</a></td>
                    {db}
                    <td data-label="Queued">
                        <time datetime=format::iso(&j.queued_at) title=format::utc(&j.queued_at)>{format::ago(&j.queued_at, &now)}</time>
                    </td>
                    <td data-label="By">{j.started_by.clone()}</td>
                    <td data-label="State"><span class=state_class(j.state)>{j.state.as_str()}</span></td>
                    <td data-label="Outcome" class="summary">{j.summary.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="backups jobs">
            <caption class="visually-hidden">"Jobs, newest first"</caption>
            <thead>
                <tr>
                    <th scope="col">"Job"</th>
                    {with_database.then(|| view! { <th scope="col">"Database"</th> })}
                    <th scope="col">"Queued"</th>
                    <th scope="col">"By"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Outcome"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// `/jobs`: filters in a plain GET form, so they work before the page is interactive too.
#[component]
pub fn JobsPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let jobs = Resource::new(
        move || (get("database"), get("state"), get("kind")),
        |(database, state, kind)| list_jobs(Some(database), Some(state), Some(kind), Some(200)),
    );
    let option = move |value: &'static str, label: String, key: &'static str| {
        view! { <option value=value selected=move || get(key) == value>{label}</option> }
    };
    view! {
        <Title text="Jobs"/>
        <h1>"Jobs"</h1>
        <form method="get" action="/jobs" class="filters" data-testid="job-filters">
            <label for="f-database">"Database"</label>
            <input id="f-database" name="database" value=move || get("database") placeholder="any"/>
            <label for="f-state">"State"</label>
            <select id="f-state" name="state">
                {option("", "any".into(), "state")}
                {JobState::ALL.map(|s| option(s.as_str(), s.as_str().to_string(), "state")).collect_view()}
            </select>
            <label for="f-kind">"Kind"</label>
            <select id="f-kind" name="kind">
                {option("", "any".into(), "kind")}
                {KINDS.map(|k| option(k.as_str(), k.label().to_string(), "kind")).collect_view()}
            </select>
            <button class="button" type="submit">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading jobs…"</p> }>
            {move || Suspend::new(async move {
                match jobs.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="no-jobs">"No jobs match."</p> }.into_any(),
                    Ok(list) => view! { <JobTable jobs=list with_database=true/> }.into_any(),
                    Err(e) => view! { <LoadError message=error_text(&e)/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A database's latest jobs, for its Backups tab.
#[component]
pub fn RecentActivity(database: String) -> impl IntoView {
    let db = database.clone();
    let jobs = Resource::new(
        || (),
        move |_| list_jobs(Some(db.clone()), None, None, Some(5)),
    );
    let all = format!("/jobs?database={database}");
    view! {
        <section class="block" aria-labelledby="activity-title" data-testid="recent-activity">
            <div class="block-head">
                <h2 id="activity-title">"Recent activity"</h2>
                <a class="link-button" href=all>"All jobs"</a>
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match jobs.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No jobs yet."</p> }.into_any(),
                        Ok(list) => view! { <JobTable jobs=list with_database=false/> }.into_any(),
                        Err(e) => view! { <LoadError message=error_text(&e)/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
