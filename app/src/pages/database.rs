//! A database's Backups tab: point-in-time recovery, backups and their schedule, dumps and
//! restores, firewall rules, TimescaleDB's limits and recent activity, as the database has them.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::not_found::DatabaseNotFound;
use super::overview::StatusPill;
use super::{LoadError, error_text};
use crate::format;
use crate::model::{
    Backup, BackupMethod, BackupStatus, BackupsTab, Firewall, Hosting, PitrWindow, ProviderKind,
    RestoreFrom, SafetyCopy, Schedule, StagedDump,
};
use crate::server_fns::{
    AddFirewallRule, DiscardSafetyCopy, RemoveFirewallRule, SaveSchedule, StartDump, StartPitr,
    StartRestore, TriggerBackup, check_reachability, list_jobs, load_backups_tab,
    restore_preflight, stage_backup,
};

#[component]
pub fn DatabasePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let saved = ServerAction::<SaveSchedule>::new();
    let discarded = ServerAction::<DiscardSafetyCopy>::new();
    let added = ServerAction::<AddFirewallRule>::new();
    let removed = ServerAction::<RemoveFirewallRule>::new();
    let tab = Resource::new(
        move || {
            (
                id(),
                saved.version().get(),
                discarded.version().get(),
                added.version().get() + removed.version().get(),
            )
        },
        |(id, _, _, _)| load_backups_tab(id),
    );
    view! {
        // A transition keeps the tab on screen while it reloads after a change.
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tab.await {
                    Ok(Some(tab)) => view! { <Tab tab saved discarded added removed/> }.into_any(),
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
    A: leptos::server_fn::ServerFn<Output = String, Error = AppError>
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
    A: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
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
    added: ServerAction<AddFirewallRule>,
    removed: ServerAction<RemoveFirewallRule>,
) -> impl IntoView {
    let BackupsTab {
        database,
        window,
        backups,
        schedule,
        safety_copies,
        firewall,
    } = tab;
    let firewall = firewall.map(
        |firewall| view! { <FirewallBlock database=database.id.clone() firewall added removed/> },
    );
    let timescale = database
        .features
        .timescaledb
        .then(|| view! { <TimescaleNotes provider=database.provider/> });
    let dedicated = database.hosting == Hosting::ScalingoDedicated;
    let restorable = backups.clone();
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
        <PitrBlock database=database.id.clone() provider=database.provider window backups=backups.clone() safety_copies discarded/>
        {if dedicated {
            view! { <DedicatedBackupsNote/> }.into_any()
        } else {
            view! { <BackupsBlock database=database.id.clone() backups manual=database.features.manual_backups schedule saved/> }.into_any()
        }}
        {database.features.dumps.then(|| view! { <DumpsBlock database=database.id.clone() name=database.main_database.clone() backups=restorable/> })}
        {firewall}
        {timescale}
        <super::RecentActivity database=database.id.clone()/>
    }
}

/// Where `t` falls between `from` and `to`, in tenths of a percent.
fn position(t: &DateTime<Utc>, from: &DateTime<Utc>, to: &DateTime<Utc>) -> u64 {
    let total = (*to - *from).num_milliseconds();
    if total <= 0 {
        return 1000;
    }
    let at = (*t - *from).num_milliseconds().clamp(0, total);
    u64::try_from((i128::from(at) * 1000 + i128::from(total) / 2) / i128::from(total)).unwrap_or(0)
}

#[component]
fn PitrBlock(
    database: String,
    provider: ProviderKind,
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
                    let left = format!("left: {}%", format::fixed(position(&t, &earliest, &latest), 1, 1));
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
                    {match provider {
                        ProviderKind::Local => "All times are in UTC. New changes join the window as the database archives them, at least once a minute while it is written to.",
                        ProviderKind::Scalingo => "All times are in UTC. Scalingo archives the database's changes continuously and reports this window.",
                    }}
                </p>
                <PitrForm database provider earliest latest/>
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
fn PitrForm(
    database: String,
    provider: ProviderKind,
    earliest: DateTime<Utc>,
    latest: DateTime<Utc>,
) -> impl IntoView {
    let action = ServerAction::<StartPitr>::new();
    follow_job(action);
    let (history, safety) = match provider {
        ProviderKind::Local => (
            "The backup history restarts: a new full backup is taken and the window begins again from it.",
            "The current data is set aside as a safety copy, kept until an admin discards it.",
        ),
        ProviderKind::Scalingo => (
            "The window restarts from the restore: moments before it can no longer be restored.",
            "Scalingo keeps no copy of the current data. If you may need it, take a dump first (or, on Shared Resources, a manual backup).",
        ),
    };
    // Until the page is interactive the browser's own checks guard the form; after, the button
    // waits for a valid moment and the box.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let (valid, checked, local) = (
        RwSignal::new(false),
        RwSignal::new(false),
        RwSignal::new(None::<String>),
    );
    let on_time = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(el) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                valid.set(!el.value().is_empty() && el.check_validity());
                local.set(format::at_offset(&el.value(), browser_offset()));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, valid, local);
    };
    view! {
        <ActionForm action attr:class="pitr-form" attr:data-testid="pitr-form">
            <input type="hidden" name="id" value=database/>
            <label for="restore-time">"Restore to (UTC)"</label>
            <input id="restore-time" type="datetime-local" step="1" name="restore_time" required
                min=format::utc_input(&earliest) max=format::utc_input(&latest)
                on:input=on_time aria-describedby="restore-local"/>
            <span id="restore-local" class="muted small" data-testid="restore-local" aria-live="polite">
                {move || local.get().map(|l| format!("That is {l} in your time zone."))}
            </span>
            <div class="consequences">
                <p><strong>"What a restore does"</strong></p>
                <ul>
                    <li>"The database stops for the length of the restore; connected applications lose their sessions."</li>
                    <li>"Everything written after the chosen moment disappears from the database."</li>
                    <li>{history}</li>
                    <li data-testid="pitr-safety">{safety}</li>
                </ul>
            </div>
            <label class="check">
                <input type="checkbox" name="confirm" required
                    on:change=move |ev| checked.set(event_target_checked(&ev))/>
                " I understand that the data written after this moment will be gone."
            </label>
            <button class="button button-danger" type="submit" data-testid="pitr-confirm"
                disabled=move || action.pending().get() || (hydrated.get() && !(valid.get() && checked.get()))>
                "Restore to this moment"
            </button>
        </ActionForm>
        {action_error(action)}
    }
}

/// The browser's offset from UTC, in seconds (0 on the server).
fn browser_offset() -> i32 {
    #[cfg(feature = "hydrate")]
    {
        use chrono::Offset;
        chrono::Local::now().offset().fix().local_minus_utc()
    }
    #[cfg(not(feature = "hydrate"))]
    0
}

/// The daily schedule: what it is, when it runs next, and a form to change it.
#[component]
fn ScheduleForm(
    database: String,
    schedule: Schedule,
    saved: ServerAction<SaveSchedule>,
) -> impl IntoView {
    let who = if schedule.kept_by_provider {
        "Scalingo takes"
    } else {
        "Tidemark takes"
    };
    let summary = if !schedule.enabled {
        "Daily backups are off.".to_string()
    } else if schedule.hours.len() > 1 {
        format!(
            "{who} a logical backup every day at {} UTC. Only Scalingo's support can change a schedule of several backups a day.",
            schedule
                .hours
                .iter()
                .map(|h| format!("{h:02}:00"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        format!(
            "{who} a logical backup every day at {:02}:00 UTC.",
            schedule.hour
        )
    };
    let next = schedule.next_run.map(|t| {
        view! { " Next: " <time data-testid="schedule-next" datetime=format::iso(&t)>{format::utc(&t)}</time> "." }
    });
    let hours = (0..24u8)
        .map(|h| view! { <option value=h.to_string() selected=h == schedule.hour>{format!("{h:02}:00")}</option> })
        .collect_view();
    let chosen = RwSignal::new(schedule.hour);
    let offset = RwSignal::new(None::<i32>);
    Effect::new(move |_| offset.set(Some(browser_offset())));
    let echo = move || {
        offset.get().filter(|o| *o != 0).map(|o| {
            format!(
                "{} in your time zone",
                format::hour_at_offset(chosen.get(), o)
            )
        })
    };
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
                    <select name="hour" data-testid="schedule-hour"
                        on:change=move |ev| {
                            if let Ok(h) = event_target_value(&ev).parse() {
                                chosen.set(h);
                            }
                        }>{hours}</select>
                    " UTC"
                </label>
                <span class="muted small" data-testid="schedule-local" aria-live="polite">{echo}</span>
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
    let now = chrono::Utc::now();
    let latest = backups
        .iter()
        .any(|b| b.status == BackupStatus::Done && matches!(b.method, BackupMethod::Manual | BackupMethod::Periodic))
        .then(|| {
            let href = format!("/api/v1/databases/{database}/backups/latest/download");
            view! { <a class="link-button" href=href download="" data-testid="download-latest">"Download the latest"</a> }
        });
    let chart = size_chart(&backups);
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
                    <td data-label="Id"><code class="backup-id">{b.id.clone()}</code></td>
                    <td data-label="Started">
                        <time datetime=format::iso(&b.created_at)>{format::utc(&b.created_at)}</time>
                        <span class="muted small ago">{format::ago(&b.created_at, &now)}</span>
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
                <div class="block-actions">{latest}{manual}</div>
            </div>
            {action_error(trigger)}
            {schedule}
            {chart}
            {if count == 0 {
                view! { <p class="muted" data-testid="no-backups">"No backups yet."</p> }.into_any()
            } else {
                view! {
                    <table class="backups">
                        <caption class="visually-hidden">"Backups, newest first"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Id"</th>
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

/// Bars of the finished backups' sizes, oldest on the left; none under two backups.
fn size_chart(backups: &[Backup]) -> Option<impl IntoView + use<>> {
    let mut done: Vec<(DateTime<Utc>, u64)> = backups
        .iter()
        .filter(|b| b.status == BackupStatus::Done)
        .filter(|b| matches!(b.method, BackupMethod::Manual | BackupMethod::Periodic))
        .filter_map(|b| b.size_bytes.map(|s| (b.created_at, s)))
        .collect();
    if done.len() < 2 {
        return None;
    }
    done.sort_by_key(|(t, _)| *t);
    let done: Vec<_> = done.into_iter().rev().take(30).rev().collect();
    let max = done.iter().map(|(_, s)| *s).max().unwrap_or(1).max(1);
    // In hundredths of the chart's 100 x 40 box.
    let n = done.len() as u64;
    let width = 10_000 / n;
    let bars = done
        .iter()
        .enumerate()
        .map(|(i, (t, size))| {
            let h = (u128::from(*size) * 3600 / u128::from(max)).max(100) as u64;
            let title = format!("{}: {}", format::utc(t), format::size(*size));
            view! {
                <rect x=format::fixed(i as u64 * width + width * 15 / 100, 2, 2) y=format::fixed(4000 - h, 2, 2)
                    width=format::fixed(width * 70 / 100, 2, 2) height=format::fixed(h, 2, 2)>
                    <title>{title}</title>
                </rect>
            }
        })
        .collect_view();
    let (first, last) = (done[0], done[done.len() - 1]);
    let label = format!(
        "Sizes of the last {} logical backups, from {} on {} to {} on {}; the largest is {}.",
        done.len(),
        format::size(first.1),
        format::utc(&first.0),
        format::size(last.1),
        format::utc(&last.0),
        format::size(max)
    );
    Some(view! {
        <figure class="size-chart" data-testid="size-chart">
            <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label=label.clone()>{bars}</svg>
            <figcaption class="muted small">{label}</figcaption>
        </figure>
    })
}

/// Dumps and restores: start a dump, or restore a finished dump, a backup or a file from the
/// user's computer, into a new database or in place, with the checks shown before anything starts.
#[component]
fn DumpsBlock(database: String, name: String, backups: Vec<Backup>) -> impl IntoView {
    let dump = ServerAction::<StartDump>::new();
    follow_job(dump);
    let restore = ServerAction::<StartRestore>::new();
    follow_job(restore);
    let dumps = Resource::new(
        || (),
        move |_| {
            list_jobs(
                None,
                Some("succeeded".into()),
                Some("dump".into()),
                Some(20),
            )
        },
    );
    // Where the restore reads from: a dump job, or a dump kept on the server (a backup made
    // ready, or an uploaded file).
    let from = RwSignal::new("dump");
    // The dump picked in the list; until then, the list's first. That default is set by an
    // effect, after hydration: read during rendering, the resource could make the buttons below
    // differ between the server's page and the browser's first pass, which hydration never mends.
    let dump_choice = RwSignal::new(None::<String>);
    let first_dump = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let first = dumps
            .get()
            .and_then(Result::ok)
            .and_then(|list| list.into_iter().find(|j| j.artifact.is_some()))
            .map(|j| j.id);
        first_dump.set(first);
    });
    let staged = RwSignal::new(None::<Result<StagedDump, String>>);
    let source = move || match from.get() {
        "dump" => dump_choice
            .get()
            .or_else(|| first_dump.get())
            .map(|d| RestoreFrom::Dump(d).value()),
        _ => staged
            .get()
            .and_then(Result::ok)
            .map(|s| RestoreFrom::Upload(s.upload_id).value()),
    };
    let choose = move |kind: &'static str| {
        move |_| {
            from.set(kind);
            staged.set(None);
        }
    };
    let (target, new_db, typed) = (
        RwSignal::new("new_database".to_string()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let check_db = database.clone();
    let check = Action::new(move |_: &()| {
        let (id, s, t, n, c) = (
            check_db.clone(),
            untrack(source).unwrap_or_default(),
            target.get_untracked(),
            new_db.get_untracked(),
            typed.get_untracked(),
        );
        async move { restore_preflight(id, s, t, Some(n), Some(c)).await }
    });
    let in_place = move || target.get() == "in_place";
    let (dump_id, restore_id) = (database.clone(), database.clone());
    let (backup_db, file_db) = (database.clone(), database);
    let typed_ok = {
        let name = name.clone();
        move || !in_place() || typed.get() == name
    };
    let logical: Vec<Backup> = backups
        .into_iter()
        .filter(|b| b.status == BackupStatus::Done)
        .filter(|b| matches!(b.method, BackupMethod::Manual | BackupMethod::Periodic))
        .collect();
    view! {
        <section class="block" aria-labelledby="dumps-title" data-testid="dumps">
            <div class="block-head">
                <h2 id="dumps-title">"Dumps and restores"</h2>
                <ActionForm action=dump attr:class="inline-form">
                    <input type="hidden" name="id" value=dump_id/>
                    <button class="button" type="submit" data-testid="start-dump" disabled=move || dump.pending().get()>"Start a dump"</button>
                </ActionForm>
            </div>
            {action_error(dump)}
            <p class="muted small">
                "A dump is a pg_dump of " <code>{name.clone()}</code> " in custom format, kept on this server and downloadable from its job's page."
            </p>
            <h3>"Restore"</h3>
            <ActionForm action=restore attr:class="restore-form" attr:data-testid="restore-form">
                <input type="hidden" name="id" value=restore_id/>
                <input type="hidden" name="source" prop:value=move || source().unwrap_or_default()/>
                <fieldset class="choice">
                    <legend>"From"</legend>
                    <label class="check">
                        <input type="radio" name="from" value="dump" checked on:change=choose("dump") data-testid="restore-from-dump"/>
                        " a dump"
                    </label>
                    // Always rendered, hidden when another source is chosen: the server then renders
                    // the list's Suspense in one pass with the rest of the tab.
                    <div hidden=move || from.get() != "dump">
                        <DumpChoice dumps chosen=dump_choice/>
                    </div>
                    {(!logical.is_empty()).then(|| view! {
                        <label class="check">
                            <input type="radio" name="from" value="backup" on:change=choose("backup") data-testid="restore-from-backup"/>
                            " a backup"
                        </label>
                    })}
                    <Show when=move || from.get() == "backup">
                        <BackupChoice database=backup_db.clone() backups=logical.clone() staged/>
                    </Show>
                    <label class="check">
                        <input type="radio" name="from" value="file" on:change=choose("file") data-testid="restore-from-file"/>
                        " a file from your computer"
                    </label>
                    <Show when=move || from.get() == "file">
                        <FileChoice database=file_db.clone() staged/>
                    </Show>
                    <StagedStatus staged/>
                </fieldset>
                <fieldset class="choice">
                    <legend>"Into"</legend>
                    <label class="check">
                        <input type="radio" name="target" value="new_database" checked
                            on:change=move |_| target.set("new_database".into())/>
                        " a new database named "
                    </label>
                    <input name="new_database" aria-label="New database name" placeholder="restored_copy"
                        pattern="[a-z_][a-z0-9_]{0,62}" data-testid="restore-new-name"
                        on:input=move |ev| new_db.set(event_target_value(&ev))/>
                    <label class="check">
                        <input type="radio" name="target" value="in_place" data-testid="restore-in-place"
                            on:change=move |_| target.set("in_place".into())/>
                        " this database, replacing its data (a safety copy is dumped first)"
                    </label>
                    <Show when=in_place>
                        <label for="restore-confirm-name">"Type " <code>{name.clone()}</code> " to confirm"</label>
                        <input id="restore-confirm-name" name="confirm_name" autocomplete="off" data-testid="restore-confirm-name"
                            on:input=move |ev| typed.set(event_target_value(&ev))/>
                    </Show>
                </fieldset>
                <div class="form-actions">
                    <button class="button button-quiet-ink" type="button" data-testid="restore-check"
                        disabled=move || source().is_none()
                        on:click=move |_| { check.dispatch(()); }>"Check first"</button>
                    <button class="button button-danger" type="submit" data-testid="restore-start"
                        disabled=move || restore.pending().get() || source().is_none() || !typed_ok()>"Restore"</button>
                </div>
            </ActionForm>
            {move || check.value().get().map(|r| match r {
                Ok(checks) => {
                    let items = checks.into_iter().map(|c| view! {
                        <li class=if c.ok { "check-ok" } else { "check-bad" } data-testid="preflight-check">
                            <strong>{if c.ok { "OK: " } else { "Problem: " }}</strong>{c.message}
                        </li>
                    }).collect_view();
                    view! { <ul class="preflight" aria-live="polite">{items}</ul> }.into_any()
                }
                Err(e) => view! { <p class="notice notice-error" role="alert">{error_text(&e)}</p> }.into_any(),
            })}
            {action_error(restore)}
        </section>
    }
}

/// The finished dumps to restore from, the first one selected.
#[component]
fn DumpChoice(
    dumps: Resource<Result<Vec<crate::model::Job>, AppError>>,
    chosen: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <span class="muted">"Loading dumps…"</span> }>
            {move || Suspend::new(async move {
                let list = dumps.await.unwrap_or_default();
                let list: Vec<_> = list.into_iter().filter(|j| j.artifact.is_some()).collect();
                if list.is_empty() {
                    return view! { <p class="muted small" data-testid="no-dumps">"No finished dump yet: start one above, or restore a backup or a file."</p> }.into_any();
                }
                let options = list
                    .into_iter()
                    .map(|j| {
                        let size = j.artifact.as_ref().map(|a| format::size(a.size_bytes)).unwrap_or_default();
                        let label = format!("{} · {} · {}", j.database, format::utc(&j.queued_at), size);
                        view! { <option value=j.id.clone()>{label}</option> }
                    })
                    .collect_view();
                view! {
                    <select id="restore-source" aria-label="Dump to restore" required data-testid="restore-source"
                        on:change=move |ev| chosen.set(Some(event_target_value(&ev)))>
                        {options}
                    </select>
                }.into_any()
            })}
        </Suspense>
    }
}

/// A logical backup to restore: made ready on the server (its dump taken out of the archive)
/// before the checks and the restore can use it.
#[component]
fn BackupChoice(
    database: String,
    backups: Vec<Backup>,
    staged: RwSignal<Option<Result<StagedDump, String>>>,
) -> impl IntoView {
    let chosen = RwSignal::new(backups.first().map(|b| b.id.clone()).unwrap_or_default());
    let prepare = Action::new(move |backup: &String| {
        let (id, backup) = (database.clone(), backup.clone());
        async move { stage_backup(id, backup).await }
    });
    Effect::new(move |_| {
        if let Some(r) = prepare.value().get() {
            staged.set(Some(r.map_err(|e| error_text(&e))));
        }
    });
    let options = backups
        .into_iter()
        .map(|b| {
            let size = b.size_bytes.map(format::size).unwrap_or_default();
            let label = format!("{} · {} · {}", b.id, format::utc(&b.created_at), size);
            view! { <option value=b.id.clone()>{label}</option> }
        })
        .collect_view();
    view! {
        <div class="source-pick">
            <select aria-label="Backup to restore" data-testid="restore-backup"
                on:change=move |ev| { chosen.set(event_target_value(&ev)); staged.set(None); }>
                {options}
            </select>
            <button class="button button-quiet-ink" type="button" data-testid="restore-backup-ready"
                disabled=move || prepare.pending().get()
                on:click=move |_| { prepare.dispatch(chosen.get_untracked()); }>
                {move || if prepare.pending().get() { "Making it ready…" } else { "Use this backup" }}
            </button>
        </div>
    }
}

/// A dump file from the user's computer, sent to the server as soon as it is chosen.
#[component]
fn FileChoice(
    database: String,
    staged: RwSignal<Option<Result<StagedDump, String>>>,
) -> impl IntoView {
    // The file being sent: its name, the bytes sent so far, and its size.
    let sending = RwSignal::new(None::<(String, u64, u64)>);
    let on_pick = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input: web_sys::HtmlInputElement = event_target(&ev);
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let total = file.size() as u64;
            sending.set(Some((file.name(), 0, total)));
            staged.set(None);
            let id = database.clone();
            leptos::task::spawn_local(async move {
                let on_progress = move |sent: u64| {
                    sending.update(|s| {
                        if let Some(s) = s {
                            s.1 = sent.min(s.2);
                        }
                    });
                };
                let result = crate::upload::send(&id, file.unchecked_into(), on_progress).await;
                sending.set(None);
                staged.set(Some(result));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, &database, staged);
    };
    let per_mille = move || {
        sending
            .get()
            .map(|(_, sent, total)| sent.saturating_mul(1000).checked_div(total).unwrap_or(1000))
    };
    view! {
        <div class="source-pick">
            <input type="file" aria-label="Dump file to restore" data-testid="restore-file"
                accept=".dump,.pgdump,.backup,.tar.gz,.tgz,application/gzip,application/octet-stream"
                on:change=on_pick/>
        </div>
        <div hidden=move || sending.with(Option::is_none) data-testid="upload-progress">
            <div class="progress" role="progressbar" aria-label="Upload progress"
                aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=move || per_mille().map(|p| (p / 10).to_string())>
                <div class="progress-fill" style=move || format!("width: {}%", format::fixed(per_mille().unwrap_or(0), 1, 1))></div>
            </div>
            <p class="muted small" role="status" aria-live="polite">{move || sending.get().map(|(name, sent, total)| {
                if sent < total {
                    format!("Sending {name}: {}% ({} of {})…", per_mille().unwrap_or(0) / 10, format::size(sent), format::size(total))
                } else {
                    format!("{name} is sent; the server is checking it…")
                }
            })}</p>
        </div>
        <p class="muted small">"pg_dump's custom format, or a .tar.gz archive holding one, such as a downloaded backup."</p>
    }
}

/// What a backup made ready or an uploaded file turned out to be, or why it was refused.
#[component]
fn StagedStatus(staged: RwSignal<Option<Result<StagedDump, String>>>) -> impl IntoView {
    move || {
        staged.get().map(|r| match r {
            Ok(s) => {
                let how = match s.received_as.as_str() {
                    "tar_gz" => "taken out of its archive",
                    "directory" => "a directory-format dump taken out of its archive",
                    _ => "pg_dump's custom format",
                };
                view! {
                    <p class="ok-text" role="status" data-testid="restore-staged">
                        "Ready to restore: " {format::size(s.size_bytes)} ", " {how} ". "
                        <span class="muted">"Kept on the server until "
                            <time datetime=format::iso(&s.kept_until)>{format::utc(&s.kept_until)}</time> "."
                        </span>
                    </p>
                }
                .into_any()
            }
            Err(message) => view! { <p class="notice notice-error" role="alert" data-testid="restore-staged-error">{message}</p> }.into_any(),
        })
    }
}

/// Dedicated Resources databases have continuous backups only; logical ones are the team's.
#[component]
fn DedicatedBackupsNote() -> impl IntoView {
    view! {
        <section class="block" aria-labelledby="backups-title">
            <h2 id="backups-title">"Backups"</h2>
            <p data-testid="dedicated-backups">
                "Scalingo backs this Dedicated Resources database up continuously, which is what point-in-time recovery restores from. "
                "It takes no logical backups of it: dumps and restores are yours to run, and Tidemark runs them from this server, "
                "which needs a firewall rule to reach the database."
            </p>
        </section>
    }
}

/// What TimescaleDB changes about backups and restores.
#[component]
fn TimescaleNotes(provider: ProviderKind) -> impl IntoView {
    let platform = (provider == ProviderKind::Scalingo).then(|| {
        view! {
            <li>"A dump of this database cannot be restored into a Scalingo database by you: Scalingo's support does it. Point-in-time recovery and Scalingo's own backups are not affected."</li>
        }
    });
    view! {
        <section class="block" aria-labelledby="timescale-title" data-testid="timescale-notes">
            <h2 id="timescale-title">"TimescaleDB"</h2>
            <p>"This database uses the TimescaleDB extension, which sets some limits:"</p>
            <ul>
                {platform}
                <li>"A dump covers the whole database: one hypertable cannot be backed up or restored on its own."</li>
                <li>"A dump restores only where the same TimescaleDB version is installed; Tidemark checks the versions before a restore starts."</li>
                <li>"Restores run TimescaleDB's pre- and post-restore steps, so its background jobs are paused while data is written."</li>
            </ul>
        </section>
    }
}

/// Who may reach a Dedicated Resources database: its rules, with a form to add and a button to
/// remove each, and whether this server gets through now.
#[component]
fn FirewallBlock(
    database: String,
    firewall: Firewall,
    added: ServerAction<AddFirewallRule>,
    removed: ServerAction<RemoveFirewallRule>,
) -> impl IntoView {
    let reach_id = database.clone();
    let reach = Resource::new(
        move || added.version().get() + removed.version().get(),
        move |_| check_reachability(reach_id.clone()),
    );
    let full = firewall.rules.len() >= firewall.max_rules;
    let rows = firewall
        .rules
        .iter()
        .map(|r| {
            let (what, label) = if r.kind == crate::model::FirewallRuleKind::Managed {
                (
                    r.range_name.clone().or(r.range_id.clone()).unwrap_or_default(),
                    "Maintained by Scalingo".to_string(),
                )
            } else {
                (r.cidr.clone().unwrap_or_default(), r.label.clone().unwrap_or_default())
            };
            let (db, rule) = (database.clone(), r.id.clone());
            let aria = format!("Remove the rule {what}");
            view! {
                <tr data-testid="firewall-rule" data-rule-id=r.id.clone()>
                    <td data-label="Addresses"><code>{what}</code></td>
                    <td data-label="Label">{label}</td>
                    <td>
                        <ActionForm action=removed attr:class="inline-form">
                            <input type="hidden" name="id" value=db/>
                            <input type="hidden" name="rule" value=rule/>
                            <button class="button button-quiet" type="submit" aria-label=aria>"Remove"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let ranges = firewall
        .managed_ranges
        .iter()
        .map(|m| view! { <option value=m.id.clone()>{m.name.clone()}</option> })
        .collect_view();
    let (db1, db2) = (database.clone(), database.clone());
    view! {
        <section class="block" aria-labelledby="firewall-title" data-testid="firewall">
            <h2 id="firewall-title">"Firewall rules"</h2>
            <p class="muted small">
                "The database refuses every address no rule lets in. A change takes a couple of minutes to apply. At most "
                {firewall.max_rules} " rules."
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Checking whether this server reaches the database…"</p> }>
                {move || Suspend::new(async move {
                    match reach.await {
                        Ok(r) if r.reachable => view! { <p class="ok-text" data-testid="reachability" role="status">{r.message}</p> }.into_any(),
                        Ok(r) => view! { <p class="notice notice-error" data-testid="reachability" role="status">{r.message}</p> }.into_any(),
                        Err(e) => view! { <p class="notice notice-error">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            {if firewall.rules.is_empty() {
                view! { <p class="muted">"No rules: nothing can reach this database."</p> }.into_any()
            } else {
                view! {
                    <table class="backups">
                        <caption class="visually-hidden">"Firewall rules"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Addresses"</th>
                                <th scope="col">"Label"</th>
                                <th scope="col"><span class="visually-hidden">"Remove"</span></th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            }}
            {action_error(removed)}
            <ActionForm action=added attr:class="firewall-form" attr:data-testid="firewall-form">
                <input type="hidden" name="id" value=db1/>
                <label for="fw-cidr">"Address range (CIDR)"</label>
                <input id="fw-cidr" name="cidr" required placeholder="203.0.113.0/24" autocomplete="off"
                    pattern="[0-9a-fA-F:.]+/[0-9]{1,3}" title="An address, a slash and a prefix length, such as 203.0.113.0/24"/>
                <label for="fw-label">"Label"</label>
                <input id="fw-label" name="label" required maxlength="100" placeholder="Office"/>
                <button class="button" type="submit" disabled=move || full || added.pending().get()>"Add rule"</button>
            </ActionForm>
            <ActionForm action=added attr:class="firewall-form">
                <input type="hidden" name="id" value=db2/>
                <label for="fw-range">"Or a range Scalingo maintains"</label>
                <select id="fw-range" name="range_id">{ranges}</select>
                <button class="button button-quiet" type="submit" disabled=move || full || added.pending().get()>"Add range"</button>
            </ActionForm>
            {action_error(added)}
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
        assert_eq!(position(&a, &a, &b), 0);
        assert_eq!(position(&(a + chrono::Duration::hours(1)), &a, &b), 100);
        assert_eq!(position(&(a + chrono::Duration::seconds(1)), &a, &b), 0);
        assert_eq!(position(&(a + chrono::Duration::seconds(20)), &a, &b), 1);
        assert_eq!(position(&b, &a, &b), 1000);
        assert_eq!(position(&(b + chrono::Duration::hours(1)), &a, &b), 1000);
        assert_eq!(position(&a, &a, &a), 1000);
    }
}
