//! The proof of the recoverable window: the newest drill's evidence, and a way to run one now.

use chrono::Utc;
use leptos::prelude::*;

use crate::format;
use crate::model::{PitrDrill, VerificationOutcome};
use crate::server_fns::RunDrill;

use super::actions::{action_error, follow_job};

/// What the newest drill proved, in a sentence.
pub(super) fn drill_sentence(d: &PitrDrill, now: &chrono::DateTime<Utc>) -> String {
    let when = format::ago(&d.finished_at.unwrap_or(d.started_at), now);
    let e = &d.evidence;
    match d.outcome {
        VerificationOutcome::Passed => format!(
            "Drill passed {when}: the newest backup restored beside the database to {} and replayed in {:.1} s; {}.",
            e.target.map(|t| format::utc(&t)).unwrap_or_default(),
            e.replay_seconds.unwrap_or_default(),
            e.canary.as_deref().unwrap_or("canary checked")
        ),
        VerificationOutcome::Failed => format!(
            "The last drill failed {when}: {}",
            e.failure.as_deref().unwrap_or("no reason was recorded")
        ),
        VerificationOutcome::Running => "A drill is running.".to_string(),
        VerificationOutcome::Cancelled => format!("The last drill was cancelled {when}."),
    }
}

#[component]
pub(super) fn DrillBlock(database: String, drill: Option<PitrDrill>) -> impl IntoView {
    let run = ServerAction::<RunDrill>::new();
    follow_job(run);
    let now = Utc::now();
    let said = match &drill {
        None => view! {
            <p class="muted" data-testid="drill">
                "No drill yet. A drill restores the newest backup beside the database, to a moment between two rows of its canary table, and checks that the row before is there and the row after is not. One runs every week."
            </p>
        }
        .into_any(),
        Some(d) => {
            let class = match d.outcome {
                VerificationOutcome::Passed => "proof-line",
                VerificationOutcome::Failed => "notice notice-error",
                _ => "muted",
            };
            let role = (d.outcome == VerificationOutcome::Failed).then_some("alert");
            let job = format!("/jobs/{}", d.id);
            view! {
                <p class=class role=role data-testid="drill" data-outcome=d.outcome.as_str()>
                    {drill_sentence(d, &now)} " " <a href=job>"Drill job"</a>
                </p>
            }
            .into_any()
        }
    };
    let running = drill
        .as_ref()
        .is_some_and(|d| d.outcome == VerificationOutcome::Running);
    view! {
        <div class="drill" data-testid="drill-block">
            <h3>"Drills"</h3>
            {said}
            {(!running).then(|| view! {
                <ActionForm action=run attr:class="inline-form">
                    <input type="hidden" name="id" value=database/>
                    <button class="button button-quiet-ink" type="submit" data-testid="run-drill" disabled=move || run.pending().get()>
                        "Run a drill now"
                    </button>
                </ActionForm>
            })}
            {action_error(run)}
        </div>
    }
}
