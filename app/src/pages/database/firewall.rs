//! The firewall block of a Dedicated Resources database: its rules, adding and removing one.

use leptos::prelude::*;

use crate::model::Firewall;
use crate::pages::common::error_text;
use crate::server_fns::{AddFirewallRule, RemoveFirewallRule, check_reachability};

use super::actions::action_error;

/// Who may reach a Dedicated Resources database: its rules, with a form to add and a button to
/// remove each, and whether this server gets through now.
#[component]
pub(super) fn FirewallBlock(
    database: String,
    firewall: Firewall,
    added: ServerAction<AddFirewallRule>,
    removed: ServerAction<RemoveFirewallRule>,
) -> impl IntoView {
    let reach_id = database.clone();
    let reach = Resource::new(
        move || added.version().get() + removed.version().get(),
        move |_| check_reachability(reach_id.clone()),
    );
    let full = firewall.rules.len() >= firewall.max_rules;
    let rows = firewall
        .rules
        .iter()
        .map(|r| {
            let (what, label) = if r.kind == crate::model::FirewallRuleKind::Managed {
                (
                    r.range_name.clone().or(r.range_id.clone()).unwrap_or_default(),
                    "Maintained by Scalingo".to_string(),
                )
            } else {
                (r.cidr.clone().unwrap_or_default(), r.label.clone().unwrap_or_default())
            };
            let (db, rule) = (database.clone(), r.id.clone());
            let aria = format!("Remove the rule {what}");
            view! {
                <tr data-testid="firewall-rule" data-rule-id=r.id.clone()>
                    <td data-label="Addresses"><code>{what}</code></td>
                    <td data-label="Label">{label}</td>
                    <td>
                        <ActionForm action=removed attr:class="inline-form">
                            <input type="hidden" name="id" value=db/>
                            <input type="hidden" name="rule" value=rule/>
                            <button class="button button-quiet" type="submit" aria-label=aria>"Remove"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let ranges = firewall
        .managed_ranges
        .iter()
        .map(|m| view! { <option value=m.id.clone()>{m.name.clone()}</option> })
        .collect_view();
    let (db1, db2) = (database.clone(), database.clone());
    view! {
        <section class="block" aria-labelledby="firewall-title" data-testid="firewall">
            <h2 id="firewall-title">"Firewall rules"</h2>
            <p class="muted small">
                "The database refuses every address no rule lets in. A change takes a couple of minutes to apply. At most "
                {firewall.max_rules} " rules."
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Checking whether this server reaches the database…"</p> }>
                {move || Suspend::new(async move {
                    match reach.await {
                        Ok(r) if r.reachable => view! { <p class="ok-text" data-testid="reachability" role="status">{r.message}</p> }.into_any(),
                        Ok(r) => view! { <p class="notice notice-error" data-testid="reachability" role="status">{r.message}</p> }.into_any(),
                        Err(e) => view! { <p class="notice notice-error">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            {if firewall.rules.is_empty() {
                view! { <p class="muted">"No rules: nothing can reach this database."</p> }.into_any()
            } else {
                view! {
                    <table class="backups">
                        <caption class="visually-hidden">"Firewall rules"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Addresses"</th>
                                <th scope="col">"Label"</th>
                                <th scope="col"><span class="visually-hidden">"Remove"</span></th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            }}
            {action_error(removed)}
            <ActionForm action=added attr:class="firewall-form" attr:data-testid="firewall-form">
                <input type="hidden" name="id" value=db1/>
                <label for="fw-cidr">"Address range (CIDR)"</label>
                <input id="fw-cidr" name="cidr" required placeholder="203.0.113.0/24" autocomplete="off"
                    pattern="[0-9a-fA-F:.]+/[0-9]{1,3}" title="An address, a slash and a prefix length, such as 203.0.113.0/24"/>
                <label for="fw-label">"Label"</label>
                <input id="fw-label" name="label" required maxlength="100" placeholder="Office"/>
                <button class="button" type="submit" disabled=move || full || added.pending().get()>"Add rule"</button>
            </ActionForm>
            <ActionForm action=added attr:class="firewall-form">
                <input type="hidden" name="id" value=db2/>
                <label for="fw-range">"Or a range Scalingo maintains"</label>
                <select id="fw-range" name="range_id">{ranges}</select>
                <button class="button button-quiet" type="submit" disabled=move || full || added.pending().get()>"Add range"</button>
            </ActionForm>
            {action_error(added)}
        </section>
    }
}
