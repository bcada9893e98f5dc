//! The databases overview: every database, its engine, hosting and status.

use leptos::prelude::*;
use leptos_meta::Title;

use super::common::{LoadError, StatusPill, error_text};
use crate::model::Database;
use crate::server_fns::list_databases;

#[component]
pub fn Overview() -> impl IntoView {
    let databases = Resource::new(|| (), |_| list_databases());
    view! {
        <Title text="Databases"/>
        <h1>"Databases"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading databases…"</p> }>
            {move || Suspend::new(async move {
                match databases.await {
                    Ok(list) => {
                        let problems = list
                            .problems
                            .into_iter()
                            .map(|p| view! { <p class="notice notice-error" role="alert" data-testid="provider-problem">{p}</p> })
                            .collect_view();
                        let body = if list.databases.is_empty() {
                            view! { <p class="muted">"No databases are configured."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="db-list" data-testid="database-list">
                                    {list.databases.into_iter().map(|db| view! { <DatabaseCard db/> }).collect_view()}
                                </ul>
                            }.into_any()
                        };
                        view! { {problems} {body} }.into_any()
                    }
                    Err(e) => view! { <LoadError message=error_text(&e)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DatabaseCard(db: Database) -> impl IntoView {
    let href = format!("/databases/{}", db.id);
    view! {
        <li class="db-card">
            <a href=href class="db-card-link">
                <span class="db-card-name">{db.name.clone()}</span>
                <span class="db-card-meta">{db.engine.clone()} " · " {db.hosting.label()}</span>
            </a>
            <StatusPill status=db.status/>
        </li>
    }
}
