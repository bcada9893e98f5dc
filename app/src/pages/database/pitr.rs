//! The point-in-time recovery block: the window on a timeline, the restore form, and the safety
//! copies restores leave.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::format;
use crate::model::{Backup, BackupStatus, PitrDrill, PitrWindow, ProviderKind, SafetyCopy};
use crate::server_fns::{DiscardSafetyCopy, StartPitr};

use super::actions::{action_error, follow_job};
use super::drill::DrillBlock;

/// Where `t` falls between `from` and `to`, in tenths of a percent.
pub(super) fn position(t: &DateTime<Utc>, from: &DateTime<Utc>, to: &DateTime<Utc>) -> u64 {
    let total = (*to - *from).num_milliseconds();
    if total <= 0 {
        return 1000;
    }
    let at = (*t - *from).num_milliseconds().clamp(0, total);
    u64::try_from((i128::from(at) * 1000 + i128::from(total) / 2) / i128::from(total)).unwrap_or(0)
}

#[component]
pub(super) fn PitrBlock(
    database: String,
    provider: ProviderKind,
    window: PitrWindow,
    backups: Vec<Backup>,
    safety_copies: Vec<SafetyCopy>,
    discarded: ServerAction<DiscardSafetyCopy>,
    drill: Option<PitrDrill>,
) -> impl IntoView {
    // Drills prove the window of the clusters Tidemark manages.
    let drills = (provider == ProviderKind::Local && window.latest.is_some())
        .then(|| view! { <DrillBlock database=database.clone() drill/> });
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
            {drills}
            {copies}
        </section>
    }
}

/// The data directories earlier restores set aside, each with a way to let it go.
#[component]
pub(super) fn SafetyCopies(
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
pub(super) fn PitrForm(
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
pub(super) fn browser_offset() -> i32 {
    #[cfg(feature = "hydrate")]
    {
        use chrono::Offset;
        chrono::Local::now().offset().fix().local_minus_utc()
    }
    #[cfg(not(feature = "hydrate"))]
    0
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
