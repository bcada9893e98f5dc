//! The account page: who you are, your password, and your API tokens.

use leptos::prelude::*;
use leptos_meta::Title;

use super::common::{LoadError, error_text};
use crate::format;
use crate::model::AccountInfo;
use crate::server_fns::{ChangePassword, CreateToken, RevokeToken, load_account};

#[component]
pub fn AccountPage() -> impl IntoView {
    let created = ServerAction::<CreateToken>::new();
    let revoked = ServerAction::<RevokeToken>::new();
    let account = Resource::new(
        move || (created.version().get(), revoked.version().get()),
        |_| load_account(),
    );
    view! {
        <Title text="Account"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(a) => view! { <Account account=a created revoked/> }.into_any(),
                    Err(e) => view! { <LoadError message=error_text(&e)/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Account(
    account: AccountInfo,
    created: ServerAction<CreateToken>,
    revoked: ServerAction<RevokeToken>,
) -> impl IntoView {
    let password = ServerAction::<ChangePassword>::new();
    let roles: Vec<&'static str> = ["viewer", "operator", "admin"]
        .into_iter()
        .take_while({
            let mine = account.role.clone();
            let mut done = false;
            move |r| {
                let keep = !done;
                done = done || *r == mine;
                keep
            }
        })
        .collect();
    let rows = account
        .tokens
        .into_iter()
        .map(|t| {
            let id = t.id.to_string();
            view! {
                <tr data-testid="token-row">
                    <td data-label="Label">{t.label}</td>
                    <td data-label="Role">{t.role}</td>
                    <td data-label="Created">{format::utc(&t.created_at)}</td>
                    <td data-label="Last used">{t.last_used_at.map(|u| format::utc(&u)).unwrap_or_else(|| "never".into())}</td>
                    <td data-label="State">
                        {if t.revoked {
                            view! { <span class="pill pill-bad">"Revoked"</span> }.into_any()
                        } else {
                            view! {
                                <ActionForm action=revoked attr:class="inline-form">
                                    <input type="hidden" name="id" value=id/>
                                    <button class="button button-quiet" type="submit">"Revoke"</button>
                                </ActionForm>
                            }.into_any()
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let options = roles
        .iter()
        .map(|r| view! { <option value=*r selected=*r == account.role.as_str()>{*r}</option> })
        .collect_view();
    let first = account.must_change_password;
    let query = leptos_router::hooks::use_query_map();
    // Where the user was going before the password came first: a path on this site only.
    let next = move || {
        query
            .read()
            .get("next")
            .filter(|n| {
                n.starts_with('/')
                    && !n.starts_with("//")
                    && !n
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
            })
            .unwrap_or_else(|| "/".into())
    };
    view! {
        <h1>"Your account"</h1>
        <p data-testid="account-who">"Logged in as " <strong>{account.name.clone()}</strong> ", " {account.role.clone()} "."</p>
        {first.then(|| view! {
            <p class="notice" role="alert" data-testid="password-first">
                "Choose your own password to go on: the one you logged in with was given to you, and Tidemark opens nothing else until it is changed."
            </p>
        })}
        <section class="block" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <ActionForm action=password attr:class="stack-form">
                <label for="pw-current">"Current password"</label>
                <input id="pw-current" name="current" type="password" autocomplete="current-password" required/>
                <label for="pw-new">"New password (12 characters or more)"</label>
                <input id="pw-new" name="new" type="password" autocomplete="new-password" minlength="12" required/>
                <label for="pw-again">"New password again"</label>
                <input id="pw-again" name="again" type="password" autocomplete="new-password" minlength="12" required/>
                <button class="button" type="submit">"Change password"</button>
            </ActionForm>
            {move || password.value().get().map(|r| match r {
                Ok(()) if first => view! {
                    <p class="ok-text" role="status">"Password changed. " <a href=next() data-testid="password-continue">"Go on"</a></p>
                }.into_any(),
                Ok(()) => view! { <p class="ok-text" role="status">"Password changed."</p> }.into_any(),
                Err(e) => view! { <p class="notice notice-error" role="alert">{error_text(&e)}</p> }.into_any(),
            })}
        </section>
        <section class="block" aria-labelledby="tokens-title" hidden=first>
            <h2 id="tokens-title">"API tokens"</h2>
            <p class="muted small">"For scripts: send one as " <code>"Authorization: Bearer <token>"</code> ". A token never has more rights than you."</p>
            <ActionForm action=created attr:class="schedule-form">
                <label for="token-label">"Label"</label>
                <input id="token-label" name="label" required maxlength="100" placeholder="nightly export"/>
                <label for="token-role">"Role"</label>
                <select id="token-role" name="role">{options}</select>
                <button class="button" type="submit">"Create token"</button>
            </ActionForm>
            {move || created.value().get().map(|r| match r {
                Ok(secret) => view! {
                    <p class="share-link" role="status">
                        <label for="new-token">"Copy it now; it will not be shown again: "</label>
                        <input id="new-token" data-testid="new-token" readonly value=secret/>
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="notice notice-error" role="alert">{error_text(&e)}</p> }.into_any(),
            })}
            <table class="backups">
                <thead><tr>
                    <th scope="col">"Label"</th><th scope="col">"Role"</th><th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th><th scope="col">"State"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
