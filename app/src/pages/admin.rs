//! The admin page: users (add one with a generated password) and the audit log.

use leptos::prelude::*;
use leptos_meta::Title;

use super::common::{LoadError, error_text};
use crate::format;
use crate::model::AdminView;
use crate::server_fns::{AddUser, load_admin};

#[component]
pub fn AdminPage() -> impl IntoView {
    let added = ServerAction::<AddUser>::new();
    let data = Resource::new(move || added.version().get(), |_| load_admin());
    view! {
        <Title text="Administration"/>
        <h1>"Administration"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <Admin view=v added/> }.into_any(),
                    Err(e) => view! { <LoadError message=error_text(&e)/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Admin(view: AdminView, added: ServerAction<AddUser>) -> impl IntoView {
    let users = view
        .users
        .into_iter()
        .map(|u| {
            view! {
                <tr data-testid="user-row">
                    <td data-label="Name">{u.name}</td>
                    <td data-label="Role">{u.role}</td>
                    <td data-label="Since">{format::utc(&u.created_at)}</td>
                    <td data-label="State">{if u.disabled { "disabled" } else { "active" }}</td>
                </tr>
            }
        })
        .collect_view();
    let audit = view
        .audit
        .into_iter()
        .map(|e| {
            view! {
                <tr data-testid="audit-row">
                    <td data-label="When"><time datetime=format::iso(&e.at)>{format::utc(&e.at)}</time></td>
                    <td data-label="Who">{e.actor}</td>
                    <td data-label="What">{e.action}</td>
                    <td data-label="Database">{e.database.unwrap_or_default()}</td>
                    <td data-label="Target">{e.target.unwrap_or_default()}</td>
                    <td data-label="Outcome">{e.outcome}</td>
                    <td data-label="From">{e.source.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="block" aria-labelledby="users-title">
            <h2 id="users-title">"Users"</h2>
            <ActionForm action=added attr:class="schedule-form">
                <label for="user-name">"Name"</label>
                <input id="user-name" name="name" required maxlength="64"/>
                <label for="user-role">"Role"</label>
                <select id="user-role" name="role">
                    <option value="viewer">"viewer"</option>
                    <option value="operator">"operator"</option>
                    <option value="admin">"admin"</option>
                </select>
                <button class="button" type="submit">"Add user"</button>
            </ActionForm>
            {move || added.value().get().map(|r| match r {
                Ok(password) => view! {
                    <p class="share-link" role="status">
                        <label for="new-password">"Their one-time password (give it to them; it will not be shown again): "</label>
                        <input id="new-password" data-testid="new-password" readonly value=password/>
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="notice notice-error" role="alert">{error_text(&e)}</p> }.into_any(),
            })}
            <table class="backups">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col">"Since"</th><th scope="col">"State"</th></tr></thead>
                <tbody>{users}</tbody>
            </table>
        </section>
        <section class="block" aria-labelledby="audit-title">
            <h2 id="audit-title">"Audit log"</h2>
            <p class="muted small">"Every change and every refusal, newest first (the last 200)."</p>
            <table class="backups audit">
                <thead><tr>
                    <th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"What"</th>
                    <th scope="col">"Database"</th><th scope="col">"Target"</th><th scope="col">"Outcome"</th><th scope="col">"From"</th>
                </tr></thead>
                <tbody>{audit}</tbody>
            </table>
        </section>
    }
}
