//! A backup's own page: what it is, its checksum, and every verification with its evidence (each
//! table's rows, pg_amcheck's word, the recovery time), a download and a verification to start.

use chrono::Utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::common::{LoadError, error_text};
use super::not_found::set_not_found_status;
use super::proof::{ProofBadge, RepositoryBadge, restores_in};
use crate::format;
use crate::model::{BackupPage, RepositoryCheck, Verification, VerificationOutcome};
use crate::server_fns::{ShareBackup, VerifyBackup, load_backup_page};

#[component]
pub fn BackupPageView() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let p = params.read();
        (
            p.get("id").unwrap_or_default(),
            p.get("backup").unwrap_or_default(),
        )
    };
    let page = Resource::new(key, |(id, backup)| load_backup_page(id, backup));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(page)) => view! { <Backup page/> }.into_any(),
                    Ok(None) => {
                        set_not_found_status();
                        view! {
                            <Title text="Backup not found"/>
                            <section class="empty-page" data-testid="backup-not-found">
                                <h1>"Backup not found"</h1>
                                <p>"There is no backup " <code>{key().1}</code> " of this database."</p>
                                <a class="link-button" href=format!("/databases/{}", key().0)>"See its backups"</a>
                            </section>
                        }
                        .into_any()
                    }
                    Err(e) => view! { <LoadError message=error_text(&e)/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A backup's page opened through a share link: its evidence, read-only.
#[component]
pub(crate) fn SharedBackupView(page: BackupPage) -> impl IntoView {
    view! { <Backup page/> }
}

#[component]
fn Backup(page: BackupPage) -> impl IntoView {
    let BackupPage {
        database,
        detail,
        shared,
    } = page;
    let b = detail.backup.clone();
    let physical = b.method.is_physical();
    let latest = detail.verifications.first().cloned();
    let badge = if physical {
        let check = detail.repository_checks.first().cloned();
        view! { <RepositoryBadge check/> }.into_any()
    } else {
        view! { <ProofBadge verification=latest/> }.into_any()
    };
    let history = detail
        .verifications
        .iter()
        .cloned()
        .map(|v| view! { <VerificationView v shared/> })
        .collect_view();
    let none = detail
        .verifications
        .is_empty()
        .then(|| view! { <p class="muted" data-testid="no-verifications">"Not verified yet."</p> });
    let crumbs = if shared {
        view! {
            <nav class="crumbs" aria-label="Breadcrumb" data-testid="shared-crumbs">
                <span>{database.name.clone()}</span>
                <span aria-hidden="true">" / "</span>
                <span>"Backup"</span>
            </nav>
        }
        .into_any()
    } else {
        view! {
            <nav class="crumbs" aria-label="Breadcrumb">
                <a href="/">"Databases"</a>
                <span aria-hidden="true">" / "</span>
                <a href=format!("/databases/{}", database.id)>{database.name.clone()}</a>
                <span aria-hidden="true">" / "</span>
                <span>"Backup"</span>
            </nav>
        }
        .into_any()
    };
    let actions = (!shared).then(
        || view! { <BackupActions database=database.id.clone() backup=b.id.clone() physical/> },
    );
    let proof = if physical {
        view! { <RepositoryChecks checks=detail.repository_checks.clone()/> }.into_any()
    } else {
        view! {
            <section class="block" aria-labelledby="verifications-title">
                <h2 id="verifications-title">"Verifications"</h2>
                <p class="muted small">
                    "Each one restores the backup on a scratch server kept for test restores, compares every table's rows with those counted when the backup was made, and checks every table and index with pg_amcheck."
                </p>
                {none}
                {history}
            </section>
        }
        .into_any()
    };
    let shared_note = shared.then(|| {
        view! { <p class="muted small" data-testid="shared-note">"Shared read-only through a link: the backup and what proves it, nothing else."</p> }
    });
    view! {
        <Title text=format!("{} · Backup {}", database.name, b.id)/>
        {crumbs}
        <div class="db-head">
            <div>
                <h1>"Backup " <code class="backup-id">{b.id.clone()}</code></h1>
                <p class="muted">{detail.file_name.clone()}</p>
            </div>
            {badge}
        </div>
        {shared_note}
        <section class="block" aria-labelledby="backup-facts">
            <h2 id="backup-facts">"What it is"</h2>
            <dl class="facts">
                <dt>"Database"</dt><dd>{database.name.clone()}</dd>
                <dt>"Type"</dt><dd>{b.method.label()}</dd>
                <dt>"Status"</dt><dd>{b.status.label()}</dd>
                <dt>"Started (UTC)"</dt><dd><time datetime=format::iso(&b.created_at)>{format::utc(&b.created_at)}</time></dd>
                <dt>"Finished (UTC)"</dt><dd>{b.finished_at.map(|t| format::utc(&t)).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Size"</dt><dd>{b.size_bytes.map(format::size).unwrap_or_else(|| "—".into())}</dd>
                <dt>"SHA-256"</dt><dd><code class="hash" data-testid="backup-sha256">{detail.sha256.clone().unwrap_or_else(|| if physical { "one per file, kept by pgBackRest".into() } else { "not recorded".into() })}</code></dd>
            </dl>
            {actions}
        </section>
        {proof}
    }
}

/// A physical backup's proof: every check of its files in the repository, newest first.
#[component]
fn RepositoryChecks(checks: Vec<RepositoryCheck>) -> impl IntoView {
    let now = Utc::now();
    let rows = checks
        .into_iter()
        .map(|c| {
            let (class, word) = if c.valid {
                ("pill pill-ok", "Valid")
            } else {
                ("pill pill-bad", "Invalid")
            };
            view! {
                <li data-testid="repository-check" data-valid=c.valid.to_string()>
                    <span class=class>{word}</span> " "
                    <time datetime=format::iso(&c.checked_at)>{format::utc(&c.checked_at)}</time>
                    <span class="muted small ago">{format::ago(&c.checked_at, &now)}</span>
                    <p>{c.detail}</p>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="block" aria-labelledby="checks-title">
            <h2 id="checks-title">"Checks of its files"</h2>
            <p class="muted small">
                "pgbackrest verify reads every file of the backup in the repository and checks its size and checksum; it runs every day, and before each drill of the recoverable window."
            </p>
            <ul class="checks">{rows}</ul>
        </section>
    }
}

/// What a signed-in user can do with a backup: download it, restore from it, verify it, share it.
#[component]
fn BackupActions(database: String, backup: String, physical: bool) -> impl IntoView {
    let verify = ServerAction::<VerifyBackup>::new();
    let share = ServerAction::<ShareBackup>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(job)) = verify.value().get() {
            navigate(&format!("/jobs/{job}"), Default::default());
        }
    });
    let download = format!("/api/v1/databases/{database}/backups/{backup}/download");
    let restore = format!("/databases/{database}?restore_backup={backup}#restore");
    let (share_db, share_backup) = (database.clone(), backup.clone());
    view! {
        <div class="block-actions">
            {if physical {
                // A physical backup is restored to a moment of the recoverable window.
                let pitr = format!("/databases/{database}#pitr-title");
                view! { <a class="link-button" href=pitr data-testid="restore-to-a-moment">"Restore to a point in time"</a> }.into_any()
            } else {
                let (db, id) = (database.clone(), backup.clone());
                view! {
                    <a class="link-button" href=download download="">"Download"</a>
                    <a class="link-button" href=restore data-testid="restore-this-backup">"Restore from this backup"</a>
                    <ActionForm action=verify attr:class="inline-form">
                        <input type="hidden" name="id" value=db/>
                        <input type="hidden" name="backup" value=id/>
                        <button class="button" type="submit" data-testid="verify-backup" disabled=move || verify.pending().get()>
                            "Verify now"
                        </button>
                    </ActionForm>
                }
                .into_any()
            }}
            <ActionForm action=share attr:class="inline-form">
                <input type="hidden" name="id" value=share_db/>
                <input type="hidden" name="backup" value=share_backup/>
                <button class="button button-quiet-ink" type="submit" data-testid="share-backup">"Create a share link"</button>
            </ActionForm>
        </div>
        {move || verify.value().get().and_then(|r| r.err()).map(|e| {
            view! { <p class="notice notice-error" role="alert">{error_text(&e)}</p> }
        })}
        {move || share.value().get().map(super::common::share_link_view)}
    }
}

/// One verification and its evidence.
#[component]
fn VerificationView(v: Verification, shared: bool) -> impl IntoView {
    let now = Utc::now();
    let (class, outcome) = match v.outcome {
        VerificationOutcome::Passed => ("pill pill-ok", "Passed"),
        VerificationOutcome::Failed => ("pill pill-bad", "Failed"),
        VerificationOutcome::Running => ("pill pill-wait", "Running"),
        VerificationOutcome::Cancelled => ("pill pill-muted", "Cancelled"),
    };
    let e = v.evidence.clone();
    let checksum = match e.checksum_matches {
        Some(true) => "matches the one recorded at backup time",
        Some(false) => "differs from the one recorded at backup time",
        None => "nothing recorded to compare with",
    };
    let tables = (!e.tables.is_empty()).then(|| {
        let rows = e
            .tables
            .iter()
            .map(|t| {
                let cell = |n: Option<u64>| n.map_or_else(|| "—".to_string(), |n| n.to_string());
                let ok = t.matches() || t.expected.is_none();
                view! {
                    <tr class=if ok { "" } else { "row-bad" }>
                        <td data-label="Table"><code>{t.table.clone()}</code></td>
                        <td data-label="At backup" class="num">{cell(t.expected)}</td>
                        <td data-label="Restored" class="num">{cell(t.found)}</td>
                        <td data-label="">{if ok { "✓" } else { "differs" }}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="counts" data-testid="row-counts">
                <caption class="visually-hidden">"Rows per table, at backup time and after the test restore"</caption>
                <thead><tr>
                    <th scope="col">"Table"</th>
                    <th scope="col" class="num">"Rows at backup"</th>
                    <th scope="col" class="num">"Rows restored"</th>
                    <th scope="col"><span class="visually-hidden">"Equal"</span></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
    });
    let failure = e.failure.clone().map(|f| {
        view! { <p class="notice notice-error" data-testid="verification-failure">{f}</p> }
    });
    let flags = (!e.flags.is_empty()).then(|| {
        let items = e
            .flags
            .iter()
            .map(|f| view! { <li>{f.clone()}</li> })
            .collect_view();
        view! { <ul class="notice notice-warn" data-testid="verification-flags">{items}</ul> }
    });
    view! {
        <article class="verification" data-testid="verification" data-outcome=v.outcome.as_str()>
            <header class="verification-head">
                <span class=class>{outcome}</span>
                <time datetime=format::iso(&v.started_at)>{format::utc(&v.started_at)}</time>
                <span class="muted small">{format::ago(&v.started_at, &now)}</span>
                {(!shared).then(|| view! { <a class="small" href=format!("/jobs/{}", v.id)>"Its job"</a> })}
            </header>
            {failure}
            {flags}
            <dl class="facts">
                <dt>"Checksum"</dt><dd>{checksum}</dd>
                <dt>"Restore"</dt><dd>{e.restore.clone().unwrap_or_else(|| "not reached".into())}</dd>
                <dt>"Recovery time"</dt><dd data-testid="recovery-time">{restores_in(&v).unwrap_or_else(|| "—".into())}</dd>
                <dt>"pg_amcheck"</dt><dd data-testid="amcheck">{e.amcheck.clone().unwrap_or_else(|| "not reached".into())}</dd>
            </dl>
            {tables}
        </article>
    }
}
