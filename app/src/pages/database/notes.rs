//! What a block cannot do on this kind of database, said plainly: Dedicated Resources' backups,
//! TimescaleDB's limits.

use leptos::prelude::*;

use crate::model::ProviderKind;

/// Dedicated Resources databases have continuous backups only; logical ones are the team's.
#[component]
pub(super) fn DedicatedBackupsNote() -> impl IntoView {
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
pub(super) fn TimescaleNotes(provider: ProviderKind) -> impl IntoView {
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
