//! A database's Backups tab: the recoverable window and the list of backups.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::not_found::DatabaseNotFound;
use super::overview::StatusPill;
use super::{LoadError, error_text};
use crate::format;
use crate::model::{
    Backup, BackupMethod, BackupStatus, BackupsTab, PitrWindow, SafetyCopy, Schedule,
};
use crate::server_fns::{
    DiscardSafetyCopy, SaveSchedule, StartPitr, TriggerBackup, load_backups_tab,
};

#[component]
pub fn DatabasePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let saved = ServerAction::<SaveSchedule>::new();
    let discarded = ServerAction::<DiscardSafetyCopy>::new();
    let tab = Resource::new(
        move || (id(), saved.version().get(), discarded.version().get()),
        |(id, _, _)| load_backups_tab(id),
    );
    view! {
        // A transition keeps the tab on screen while it reloads after a change.
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tab.await {
                    Ok(Some(tab)) => view! { <Tab tab saved discarded/> }.into_any(),
                    Ok(None) => view! { <DatabaseNotFound id=id()/> }.into_any(),
                    Err(e) => view! { <LoadError message=error_text(&e)/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Opens a job's page once the action that started it answers with its id.
fn follow_job<A>(action: ServerAction<A>)
where
    A: leptos::server_fn::ServerFn<Output = String, Error = ServerFnError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(job)) = action.value().get() {
            navigate(&format!("/jobs/{job}"), Default::default());
        }
    });
}

/// What a failed action said, in an alert.
fn action_error<A>(action: ServerAction<A>) -> impl IntoView
where
    A: leptos::server_fn::ServerFn<Error = ServerFnError> + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
{
    move || {
        action.value().get().and_then(|r| r.err()).map(|e| {
            view! { <p class="notice notice-error" role="alert">{error_text(&e)}</p> }
        })
    }
}

#[component]
fn Tab(
    tab: BackupsTab,
    saved: ServerAction<SaveSchedule>,
    discarded: ServerAction<DiscardSafetyCopy>,
) -> impl IntoView {
    let BackupsTab {
        database,
        window,
        backups,
        schedule,
        safety_copies,
    } = tab;
    view! {
        <Title text=format!("{} · Backups", database.name)/>
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Databases"</a>
            <span aria-hidden="true">" / "</span>
            <span>{database.name.clone()}</span>
        </nav>
        <div class="db-head">
            <div>
                <h1>{database.name.clone()}</h1>
                <p class="muted">
                    {database.engine.clone()} " · " {database.hosting.label()} " · main database "
                    <code>{database.main_database.clone()}</code>
                </p>
            </div>
            <StatusPill status=database.status/>
        </div>
        <div class="tabs" role="presentation">
            <span class="tab tab-active" aria-current="page">"Backups"</span>
        </div>
        <PitrBlock database=database.id.clone() window backups=backups.clone() safety_copies discarded/>
        <BackupsBlock database=database.id.clone() backups manual=database.features.manual_backups schedule saved/>
    }
}

/// Where `t` falls between `from` and `to`, in percent.
fn position(t: &DateTime<Utc>, from: &DateTime<Utc>, to: &DateTime<Utc>) -> f64 {
    let total = (*to - *from).num_milliseconds();
    if total <= 0 {
        return 100.0;
    }
    let at = (*t - *from).num_milliseconds().clamp(0, total);
    (at as f64 * 100.0 / total as f64 * 10.0).round() / 10.0
}

#[component]
fn PitrBlock(
    database: String,
    window: PitrWindow,
    backups: Vec<Backup>,
    safety_copies: Vec<SafetyCopy>,
    discarded: ServerAction<DiscardSafetyCopy>,
) -> impl IntoView {
    let copies = (!safety_copies.is_empty()).then(
        || view! { <SafetyCopies database=database.clone() copies=safety_copies discarded/> },
    );
    let body = match (window.earliest, window.latest) {
        (Some(earliest), Some(latest)) => {
            let marks = backups
                .iter()
                .filter(|b| b.status == BackupStatus::Done)
                .filter_map(|b| b.finished_at)
                .filter(|t| *t >= earliest && *t <= latest)
                .map(|t| {
                    let left = format!("left: {}%", position(&t, &earliest, &latest));
                    let label = format!("Backup finished {}", format::utc(&t));
                    view! { <span class="timeline-mark" style=left title=label.clone() aria-label=label></span> }
                })
                .collect_view();
            view! {
                <p>
                    "This database can be restored to any moment from "
                    <time data-testid="pitr-earliest" datetime=format::iso(&earliest)>{format::utc(&earliest)}</time>
                    " to "
                    <time data-testid="pitr-latest" datetime=format::iso(&latest)>{format::utc(&latest)}</time>
                    ", a span of " {format::span(&earliest, &latest)} "."
                </p>
                <div class="timeline" role="img" aria-label="Recoverable window, oldest on the left">
                    <div class="timeline-track">{marks}</div>
                    <div class="timeline-ends">
                        <span>{format::utc(&earliest)}</span>
                        <span>{format::utc(&latest)}</span>
                    </div>
                </div>
                <p class="muted small">
                    "All times are in UTC. New changes join the window as the database archives them, at least once a minute while it is written to."
                </p>
                <PitrForm database earliest latest/>
            }
            .into_any()
        }
        _ => view! {
            <p data-testid="pitr-unavailable">
                {window.unavailable_reason.unwrap_or_else(|| "No point in time can be restored yet.".into())}
            </p>
        }
        .into_any(),
    };
    view! {
        <section class="block" aria-labelledby="pitr-title">
            <h2 id="pitr-title">"Point-in-time recovery"</h2>
            {body}
            {copies}
        </section>
    }
}

/// The data directories earlier restores set aside, each with a way to let it go.
#[component]
fn SafetyCopies(
    database: String,
    copies: Vec<SafetyCopy>,
    discarded: ServerAction<DiscardSafetyCopy>,
) -> impl IntoView {
    let items = copies
        .into_iter()
        .map(|c| {
            let job = format!("/jobs/{}", c.id);
            let (db, copy_id, copy_attr) = (database.clone(), c.id.clone(), c.id.clone());
            view! {
                <li data-testid="safety-copy" data-copy-id=copy_attr>
                    <span>
                        "Data as it was before the restore to " {format::utc(&c.restore_time)}
                        " (" {format::size(c.size_bytes)} ", set aside "
                        <time datetime=format::iso(&c.created_at)>{format::utc(&c.created_at)}</time>
                        ", " <a href=job>"restore job"</a> ")"
                    </span>
                    <ActionForm action=discarded attr:class="inline-form">
                        <input type="hidden" name="id" value=db/>
                        <input type="hidden" name="copy" value=copy_id/>
                        <button class="button button-quiet" type="submit">"Discard"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <h3>"Safety copies"</h3>
        <p class="muted small">"Kept on the server until discarded; discarding one frees its disk space for good."</p>
        <ul class="safety-copies">{items}</ul>
        {action_error(discarded)}
    }
}

/// Choose a moment, read what a restore does, confirm, start.
#[component]
fn PitrForm(database: String, earliest: DateTime<Utc>, latest: DateTime<Utc>) -> impl IntoView {
    let action = ServerAction::<StartPitr>::new();
    follow_job(action);
    view! {
        <ActionForm action attr:class="pitr-form" attr:data-testid="pitr-form">
            <input type="hidden" name="id" value=database/>
            <label for="restore-time">"Restore to (UTC)"</label>
            <input id="restore-time" type="datetime-local" step="1" name="restore_time" required
                min=format::utc_input(&earliest) max=format::utc_input(&latest)/>
            <div class="consequences">
                <p><strong>"What a restore does"</strong></p>
                <ul>
                    <li>"The database stops for the length of the restore; connected applications lose their sessions."</li>
                    <li>"Everything written after the chosen moment disappears from the database."</li>
                    <li>"The backup history restarts: a new full backup is taken and the window begins again from it."</li>
                    <li>"The current data is set aside as a safety copy, kept until an admin discards it."</li>
                </ul>
            </div>
            <label class="check">
                <input type="checkbox" name="confirm" required/>
                " I understand that the data written after this moment will be gone."
            </label>
            <button class="button button-danger" type="submit" disabled=move || action.pending().get()>
                "Restore to this moment"
            </button>
        </ActionForm>
        {action_error(action)}
    }
}

/// The daily schedule: what it is, when it runs next, and a form to change it.
#[component]
fn ScheduleForm(
    database: String,
    schedule: Schedule,
    saved: ServerAction<SaveSchedule>,
) -> impl IntoView {
    let summary = if schedule.enabled {
        format!(
            "A logical backup is taken every day at {:02}:00 UTC.",
            schedule.hour
        )
    } else {
        "Daily backups are off.".to_string()
    };
    let next = schedule.next_run.map(|t| {
        view! { " Next: " <time data-testid="schedule-next" datetime=format::iso(&t)>{format::utc(&t)}</time> "." }
    });
    let hours = (0..24u8)
        .map(|h| view! { <option value=h.to_string() selected=h == schedule.hour>{format!("{h:02}:00")}</option> })
        .collect_view();
    view! {
        <div class="schedule" data-testid="schedule">
            <p data-testid="schedule-summary">{summary}{next}</p>
            <ActionForm action=saved attr:class="schedule-form">
                <input type="hidden" name="id" value=database/>
                <label class="check">
                    <input type="checkbox" name="enabled" checked=schedule.enabled/>
                    " Daily backup"
                </label>
                <label>
                    "at "
                    <select name="hour" data-testid="schedule-hour">{hours}</select>
                    " UTC"
                </label>
                <button class="button" type="submit" disabled=move || saved.pending().get()>"Save schedule"</button>
            </ActionForm>
            {move || matches!(saved.value().get(), Some(Ok(()))).then(|| view! { <p class="ok-text" role="status">"Schedule saved."</p> })}
            {action_error(saved)}
        </div>
    }
}

#[component]
fn BackupsBlock(
    database: String,
    backups: Vec<Backup>,
    manual: bool,
    schedule: Option<Schedule>,
    saved: ServerAction<SaveSchedule>,
) -> impl IntoView {
    let trigger = ServerAction::<TriggerBackup>::new();
    follow_job(trigger);
    let schedule =
        schedule.map(|schedule| view! { <ScheduleForm database=database.clone() schedule saved/> });
    let manual_id = database.clone();
    let manual = manual.then(move || {
        view! {
            <ActionForm action=trigger attr:class="inline-form">
                <input type="hidden" name="id" value=manual_id/>
                <button class="button" type="submit" data-testid="trigger-backup" disabled=move || trigger.pending().get()>
                    "Trigger manual backup"
                </button>
            </ActionForm>
        }
    });
    let count = backups.len();
    let rows = backups
        .into_iter()
        .map(|b| {
            let status_class = match b.status {
                BackupStatus::Done => "pill pill-ok",
                BackupStatus::Error => "pill pill-bad",
                BackupStatus::Running | BackupStatus::Scheduled => "pill pill-wait",
            };
            let logical = matches!(b.method, BackupMethod::Manual | BackupMethod::Periodic);
            let download = (logical && b.status == BackupStatus::Done).then(|| {
                let href = format!("/api/v1/databases/{database}/backups/{}/download", b.id);
                view! { <a class="link-button" href=href download="">"Download"</a> }
            });
            let duration = b
                .finished_at
                .map(|f| format::span(&b.created_at, &f))
                .unwrap_or_else(|| "—".into());
            view! {
                <tr data-testid="backup-row" data-backup-id=b.id.clone()>
                    <td data-label="Started">
                        <time datetime=format::iso(&b.created_at)>{format::utc(&b.created_at)}</time>
                    </td>
                    <td data-label="Type">{b.method.label()}</td>
                    <td data-label="Size" class="num">{b.size_bytes.map(format::size).unwrap_or_else(|| "—".into())}</td>
                    <td data-label="Duration" class="num">{duration}</td>
                    <td data-label="Status"><span class=status_class>{b.status.label()}</span></td>
                    <td data-label="Archive">{download}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="block" aria-labelledby="backups-title">
            <div class="block-head">
                <h2 id="backups-title">"Backups"</h2>
                {manual}
            </div>
            {action_error(trigger)}
            {schedule}
            {if count == 0 {
                view! { <p class="muted" data-testid="no-backups">"No backups yet."</p> }.into_any()
            } else {
                view! {
                    <table class="backups">
                        <caption class="visually-hidden">"Backups, newest first"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Started (UTC)"</th>
                                <th scope="col">"Type"</th>
                                <th scope="col" class="num">"Size"</th>
                                <th scope="col" class="num">"Duration"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col"><span class="visually-hidden">"Archive"</span></th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn marks_sit_in_proportion_on_the_timeline() {
        let a = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let b = a + chrono::Duration::hours(10);
        assert_eq!(position(&a, &a, &b), 0.0);
        assert_eq!(position(&(a + chrono::Duration::hours(1)), &a, &b), 10.0);
        assert_eq!(position(&b, &a, &b), 100.0);
        assert_eq!(position(&(b + chrono::Duration::hours(1)), &a, &b), 100.0);
        assert_eq!(position(&a, &a, &a), 100.0);
    }
}
