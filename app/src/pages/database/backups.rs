//! The backups block: the list with sizes, downloads and each backup's proof, a manual backup,
//! the newest verified restore point, and the daily schedule.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::format;
use crate::model::{
    Backup, BackupMethod, BackupStatus, RepositoryCheck, Schedule, Verification, VerificationMode,
    VerificationOutcome,
};
use crate::pages::proof::{
    ProofBadge, RepositoryBadge, latest_by_backup, newest_verified, restores_in,
};
use crate::server_fns::{SaveSchedule, TriggerBackup, VerifyBackup};

use super::actions::{action_error, follow_job};
use super::pitr::browser_offset;

/// The daily schedule: what it is, when it runs next, and a form to change it.
#[component]
pub(super) fn ScheduleForm(
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
    let current = schedule.verification;
    let modes = VerificationMode::ALL
        .into_iter()
        .map(|m| view! { <option value=m.as_str() selected=m == current>{m.label()}</option> })
        .collect_view();
    let verify_select = view! {
        <label>
            "Verify backups "
            <select name="verification" data-testid="schedule-verification">{modes}</select>
        </label>
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
                {verify_select}
                <button class="button" type="submit" disabled=move || saved.pending().get()>"Save schedule"</button>
            </ActionForm>
            {move || matches!(saved.value().get(), Some(Ok(()))).then(|| view! { <p class="ok-text" role="status">"Schedule saved."</p> })}
            {action_error(saved)}
        </div>
    }
}

#[component]
pub(super) fn BackupsBlock(
    database: String,
    backups: Vec<Backup>,
    verifications: Vec<Verification>,
    repository: Vec<RepositoryCheck>,
    manual: bool,
    schedule: Option<Schedule>,
    saved: ServerAction<SaveSchedule>,
) -> impl IntoView {
    let trigger = ServerAction::<TriggerBackup>::new();
    follow_job(trigger);
    let verify = ServerAction::<VerifyBackup>::new();
    follow_job(verify);
    let proven = newest_verified(&backups, &verifications).map(|(b, v)| {
        let restores = restores_in(v).map(|r| format!(" · {r}"));
        view! {
            <p class="proof-line" data-testid="newest-verified">
                "Newest verified restore point: "
                <a href=format!("/databases/{database}/backups/{}", b.id)>
                    <time datetime=format::iso(&b.created_at)>{format::utc(&b.created_at)}</time>
                </a>
                {restores}
            </p>
        }
    });
    let failed = {
        let latest = latest_by_backup(&verifications);
        backups
            .iter()
            .filter(|b| {
                latest
                    .get(b.id.as_str())
                    .is_some_and(|v| v.outcome == VerificationOutcome::Failed)
            })
            .count()
    };
    let failed = (failed > 0).then(|| {
        let words = if failed == 1 {
            "1 backup failed its verification: it may not restore.".to_string()
        } else {
            format!("{failed} backups failed their verification: they may not restore.")
        };
        view! { <p class="notice notice-error" role="alert" data-testid="verification-failed">{words}</p> }
    });
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
    let proofs: std::collections::HashMap<String, Verification> = latest_by_backup(&verifications)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
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
            let proof = (logical && b.status == BackupStatus::Done).then(|| {
                let verification = proofs.get(&b.id).cloned();
                let running = verification.as_ref().is_some_and(|v| v.outcome == VerificationOutcome::Running);
                let (db, backup) = (database.clone(), b.id.clone());
                view! {
                    <ProofBadge verification/>
                    {(!running).then(|| view! {
                        <ActionForm action=verify attr:class="inline-form">
                            <input type="hidden" name="id" value=db/>
                            <input type="hidden" name="backup" value=backup/>
                            <button class="link-button" type="submit" data-testid="verify-backup" disabled=move || verify.pending().get()>
                                "Verify"
                            </button>
                        </ActionForm>
                    })}
                }
            });
            // A physical backup's proof is pgBackRest's check of its files.
            let proof = proof.map(IntoAny::into_any).or_else(|| {
                if !b.method.is_physical() || b.status != BackupStatus::Done {
                    return None;
                }
                let check = repository.iter().find(|c| c.backup == b.id).cloned();
                Some(view! { <RepositoryBadge check/> }.into_any())
            });
            let page = format!("/databases/{database}/backups/{}", b.id);
            let id_cell = if logical || b.method.is_physical() {
                view! { <a href=page><code class="backup-id">{b.id.clone()}</code></a> }.into_any()
            } else {
                view! { <code class="backup-id">{b.id.clone()}</code> }.into_any()
            };
            let duration = b
                .finished_at
                .map(|f| format::span(&b.created_at, &f))
                .unwrap_or_else(|| "—".into());
            view! {
                <tr data-testid="backup-row" data-backup-id=b.id.clone()>
                    <td data-label="Id">{id_cell}</td>
                    <td data-label="Started">
                        <time datetime=format::iso(&b.created_at)>{format::utc(&b.created_at)}</time>
                        <span class="muted small ago">{format::ago(&b.created_at, &now)}</span>
                    </td>
                    <td data-label="Type">{b.method.label()}</td>
                    <td data-label="Size" class="num">{b.size_bytes.map(format::size).unwrap_or_else(|| "—".into())}</td>
                    <td data-label="Duration" class="num">{duration}</td>
                    <td data-label="Status"><span class=status_class>{b.status.label()}</span></td>
                    <td data-label="Proof" class="proof">{proof}</td>
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
            {action_error(verify)}
            {proven}
            {failed}
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
                                <th scope="col">"Proof"</th>
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
pub(super) fn size_chart(backups: &[Backup]) -> Option<impl IntoView + use<>> {
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
