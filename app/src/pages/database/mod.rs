//! A database's Backups tab: point-in-time recovery, backups and their schedule, dumps and
//! restores, firewall rules, TimescaleDB's limits and recent activity, as the database has them.
//! One file per block.

mod actions;
mod backups;
mod drill;
mod firewall;
mod notes;
mod pitr;
mod restore;

use backups::BackupsBlock;
use firewall::FirewallBlock;
use notes::{DedicatedBackupsNote, TimescaleNotes};
use pitr::PitrBlock;
use restore::DumpsBlock;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::common::{LoadError, StatusPill, error_text};
use super::not_found::DatabaseNotFound;
use crate::model::{BackupsTab, Hosting};
use crate::server_fns::{
    AddFirewallRule, DiscardSafetyCopy, RemoveFirewallRule, SaveSchedule, load_backups_tab,
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
        verifications,
        drill,
        repository,
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
        <PitrBlock database=database.id.clone() provider=database.provider window backups=backups.clone() safety_copies discarded drill/>
        {if dedicated {
            view! { <DedicatedBackupsNote/> }.into_any()
        } else {
            view! { <BackupsBlock database=database.id.clone() backups verifications repository manual=database.features.manual_backups schedule saved/> }.into_any()
        }}
        {database.features.dumps.then(|| view! { <DumpsBlock database=database.id.clone() name=database.main_database.clone() backups=restorable/> })}
        {firewall}
        {timescale}
        <super::RecentActivity database=database.id.clone()/>
    }
}
