//! The dumps and restores block: start a dump, and restore a dump, a backup made ready or a
//! file sent from the browser, after the checks.

use crate::error::AppError;
use leptos::prelude::*;

use crate::format;
use crate::model::{Backup, BackupMethod, BackupStatus, RestoreFrom, StagedDump};
use crate::pages::common::error_text;
use crate::server_fns::{StartDump, StartRestore, list_jobs, restore_preflight, stage_backup};

use super::actions::{action_error, follow_job};

/// Dumps and restores: start a dump, or restore a finished dump, a backup or a file from the
/// user's computer, into a new database or in place, with the checks shown before anything starts.
#[component]
pub(super) fn DumpsBlock(database: String, name: String, backups: Vec<Backup>) -> impl IntoView {
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
    // A backup's page links here with `?restore_backup=<id>`: that backup comes chosen. Read from
    // the address, which the server's render and the browser's agree on.
    let wanted = leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("restore_backup")
        .filter(|id| {
            backups.iter().any(|b| {
                &b.id == id
                    && b.status == BackupStatus::Done
                    && matches!(b.method, BackupMethod::Manual | BackupMethod::Periodic)
            })
        });
    let from = RwSignal::new(if wanted.is_some() { "backup" } else { "dump" });
    // The dump picked in the list; until then, the list's first. That default is set by an
    // effect, after hydration: read during rendering, the resource could make the buttons below
    // differ between the server's page and the browser's first pass, which hydration never mends.
    let dump_choice = RwSignal::new(None::<String>);
    let first_dump = RwSignal::new(None::<String>);
    let own = database.clone();
    Effect::new(move |_| {
        // This database's newest dump, else the newest of another.
        let first = dumps.get().and_then(Result::ok).and_then(|list| {
            let (mine, others) = own_first(list, &own);
            mine.into_iter().chain(others).next().map(|j| j.id)
        });
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
    let (backup_db, file_db, choice_db) = (database.clone(), database.clone(), database);
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
            <ActionForm action=restore attr:class="restore-form" attr:id="restore" attr:data-testid="restore-form">
                <input type="hidden" name="id" value=restore_id/>
                <input type="hidden" name="source" prop:value=move || source().unwrap_or_default()/>
                <fieldset class="choice">
                    <legend>"From"</legend>
                    <label class="check">
                        <input type="radio" name="from" value="dump" checked=from.get_untracked() == "dump" on:change=choose("dump") data-testid="restore-from-dump"/>
                        " a dump"
                    </label>
                    // Always rendered, hidden when another source is chosen: the server then renders
                    // the list's Suspense in one pass with the rest of the tab.
                    <div hidden=move || from.get() != "dump">
                        <DumpChoice database=choice_db.clone() dumps chosen=dump_choice/>
                    </div>
                    {(!logical.is_empty()).then(|| view! {
                        <label class="check">
                            <input type="radio" name="from" value="backup" checked=from.get_untracked() == "backup" on:change=choose("backup") data-testid="restore-from-backup"/>
                            " a backup"
                        </label>
                    })}
                    <Show when=move || from.get() == "backup">
                        <BackupChoice database=backup_db.clone() backups=logical.clone() preselect=wanted.clone() staged/>
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
pub(super) fn DumpChoice(
    database: String,
    dumps: Resource<Result<Vec<crate::model::Job>, AppError>>,
    chosen: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <span class="muted">"Loading dumps…"</span> }>
            {move || {
                let database = database.clone();
                Suspend::new(async move {
                    let list = dumps.await.unwrap_or_default();
                    let (mine, others) = own_first(list, &database);
                    if mine.is_empty() && others.is_empty() {
                        return view! { <p class="muted small" data-testid="no-dumps">"No finished dump yet: start one above, or restore a backup or a file."</p> }.into_any();
                    }
                    let option = |j: crate::model::Job| {
                        let size = j.artifact.as_ref().map(|a| format::size(a.size_bytes)).unwrap_or_default();
                        let label = format!("{} · {} · {}", j.database, format::utc(&j.queued_at), size);
                        view! { <option value=j.id.clone()>{label}</option> }
                    };
                    let mine = (!mine.is_empty()).then(|| {
                        let options = mine.into_iter().map(option).collect_view();
                        view! { <optgroup label="This database" data-testid="own-dumps">{options}</optgroup> }
                    });
                    let others = (!others.is_empty()).then(|| {
                        let options = others.into_iter().map(option).collect_view();
                        view! { <optgroup label="Other databases" data-testid="other-dumps">{options}</optgroup> }
                    });
                    view! {
                        <select id="restore-source" aria-label="Dump to restore" required data-testid="restore-source"
                            on:change=move |ev| chosen.set(Some(event_target_value(&ev)))>
                            {mine}{others}
                        </select>
                    }.into_any()
                })
            }}
        </Suspense>
    }
}

/// Finished dumps with a file, this database's first, then the others', each newest first.
fn own_first(
    list: Vec<crate::model::Job>,
    database: &str,
) -> (Vec<crate::model::Job>, Vec<crate::model::Job>) {
    list.into_iter()
        .filter(|j| j.artifact.is_some())
        .partition(|j| j.database == database)
}

/// A logical backup to restore: made ready on the server (its dump taken out of the archive)
/// before the checks and the restore can use it.
#[component]
pub(super) fn BackupChoice(
    database: String,
    backups: Vec<Backup>,
    /// The backup to show chosen, when a backup's page asked for it.
    preselect: Option<String>,
    staged: RwSignal<Option<Result<StagedDump, String>>>,
) -> impl IntoView {
    let chosen = RwSignal::new(
        preselect
            .or_else(|| backups.first().map(|b| b.id.clone()))
            .unwrap_or_default(),
    );
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
            let selected = b.id == chosen.get_untracked();
            view! { <option value=b.id.clone() selected=selected>{label}</option> }
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
pub(super) fn FileChoice(
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
pub(super) fn StagedStatus(staged: RwSignal<Option<Result<StagedDump, String>>>) -> impl IntoView {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Job, JobArtifact, JobKind, JobState};

    fn dump(id: &str, database: &str, with_file: bool) -> Job {
        Job {
            id: id.into(),
            kind: JobKind::Dump,
            database: database.into(),
            started_by: "admin".into(),
            params: serde_json::json!({}),
            state: JobState::Succeeded,
            queued_at: chrono::Utc::now(),
            started_at: None,
            finished_at: None,
            summary: None,
            artifact: with_file.then(|| JobArtifact {
                file_name: format!("{id}.dump"),
                size_bytes: 1,
                download_url: format!("/api/v1/jobs/{id}/artifact"),
            }),
        }
    }

    #[test]
    fn this_database_s_dumps_come_first_and_dumps_without_a_file_not_at_all() {
        let list = vec![
            dump("j3", "orders", true),
            dump("j2", "demo", true),
            dump("j1", "demo", false),
            dump("j0", "orders", true),
        ];
        let (mine, others) = own_first(list, "demo");
        let ids = |v: &[Job]| v.iter().map(|j| j.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&mine), ["j2"]);
        assert_eq!(ids(&others), ["j3", "j0"]);
    }
}
