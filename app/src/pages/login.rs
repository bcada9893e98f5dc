//! The login page: a plain form posted to the server, so it works before any script loads.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The sentence for an `error` query value.
fn error_message(code: &str) -> Option<String> {
    Some(match code {
        "" => return None,
        "wrong" => "That name and password do not match an account.".to_string(),
        "unavailable" => {
            "Logging in is not possible right now; the server log says why.".to_string()
        }
        c => match c.strip_prefix("throttled-") {
            Some(secs) => format!("Too many failed attempts. Wait {secs} s before trying again."),
            None => "Logging in failed.".to_string(),
        },
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    let error = move || error_message(&query.read().get("error").unwrap_or_default());
    view! {
        <Title text="Log in"/>
        <section class="login block">
            <h1>"Log in"</h1>
            {move || error().map(|e| view! { <p class="notice notice-error" role="alert" data-testid="login-error">{e}</p> })}
            <form method="post" action="/login" class="login-form">
                <input type="hidden" name="next" value=next/>
                <label for="login-name">"Name"</label>
                <input id="login-name" name="name" autocomplete="username" required autofocus/>
                <label for="login-password">"Password"</label>
                <input id="login-password" name="password" type="password" autocomplete="current-password" required/>
                <button class="button" type="submit">"Log in"</button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(error_message(""), None);
        assert!(error_message("wrong").unwrap().contains("do not match"));
        assert!(error_message("throttled-42").unwrap().contains("42 s"));
    }
}
