//! A database's Backups tab: the recoverable window and the list of backups.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::not_found::DatabaseNotFound;
use super::overview::StatusPill;
use super::{LoadError, error_text};
use crate::format;
use crate::model::{Backup, BackupMethod, BackupStatus, BackupsTab, PitrWindow};
use crate::server_fns::load_backups_tab;

#[component]
pub fn DatabasePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let tab = Resource::new(id, load_backups_tab);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tab.await {
                    Ok(Some(tab)) => view! { <Tab tab/> }.into_any(),
                    Ok(None) => view! { <DatabaseNotFound id=id()/> }.into_any(),
                    Err(e) => view! { <LoadError message=error_text(&e)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Tab(tab: BackupsTab) -> impl IntoView {
    let BackupsTab {
        database,
        window,
        backups,
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
        {database.features.pitr.then(|| view! { <PitrBlock window backups=backups.clone()/> })}
        <BackupsBlock database=database.id.clone() backups/>
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
fn PitrBlock(window: PitrWindow, backups: Vec<Backup>) -> impl IntoView {
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
        </section>
    }
}

#[component]
fn BackupsBlock(database: String, backups: Vec<Backup>) -> impl IntoView {
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
            <h2 id="backups-title">"Backups"</h2>
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
