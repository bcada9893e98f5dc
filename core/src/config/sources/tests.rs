//! Tests of `sources`.

use std::collections::HashMap;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn scalingo_is_on_with_a_token_and_never_prints_it() {
    let c = Config::from_sources(
        Some(("t.toml", "[scalingo]\nregions = [\"osc-fr1\"]\n")),
        env_of(&[
            ("SCALINGO_API_TOKEN", "tk-us-secret"),
            ("SCALINGO_APPS", "shop, ledger ,"),
        ]),
    )
    .unwrap();
    let sc = c.scalingo.clone().unwrap();
    assert_eq!(sc.auth_url, "https://auth.scalingo.com");
    assert_eq!(sc.regions, vec!["osc-fr1"]);
    assert_eq!(sc.apps, vec!["shop", "ledger"]);
    assert_eq!(sc.api_token.expose(), "tk-us-secret");
    assert!(!format!("{c:?}").contains("tk-us-secret"));
    assert!(
        Config::from_sources(None, env_of(&[]))
            .unwrap()
            .scalingo
            .is_none()
    );
    let e = Config::from_sources(
        None,
        env_of(&[
            ("SCALINGO_API_TOKEN", "t"),
            ("SCALINGO_AUTH_URL", "ftp://x"),
        ]),
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("SCALINGO_AUTH_URL"), "{e}");
    let e = Config::from_sources(
        None,
        env_of(&[
            ("SCALINGO_API_TOKEN", "t"),
            ("SCALINGO_AUTH_URL", "http://auth.example.com"),
        ]),
    )
    .unwrap_err();
    assert!(e.to_string().contains("https://"), "{e}");
    let local = Config::from_sources(
        None,
        env_of(&[
            ("SCALINGO_API_TOKEN", "t"),
            ("SCALINGO_AUTH_URL", "http://127.0.0.1:4600"),
        ]),
    )
    .unwrap();
    assert_eq!(local.scalingo.unwrap().auth_url, "http://127.0.0.1:4600");
}

#[test]
fn defaults_are_local_and_safe() {
    let c = Config::from_sources(None, env_of(&[])).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
    assert_eq!(c.data_dir, PathBuf::from("data"));
    assert!(c.embedded);
}

#[test]
fn environment_wins_over_file() {
    let file = "listen = \"127.0.0.1:4000\"\ndata_dir = \"/srv/tm\"\nembedded = false\n";
    let c = Config::from_sources(
        Some(("t.toml", file)),
        env_of(&[("TIDEMARK_LISTEN", "0.0.0.0:5000")]),
    )
    .unwrap();
    assert_eq!(c.listen.to_string(), "0.0.0.0:5000");
    assert_eq!(c.data_dir, PathBuf::from("/srv/tm"));
    assert!(!c.embedded);
}

#[test]
fn errors_name_the_setting() {
    let e = Config::from_sources(None, env_of(&[("TIDEMARK_LISTEN", "nope")])).unwrap_err();
    assert!(e.to_string().starts_with("TIDEMARK_LISTEN:"), "{e}");
    let e = Config::from_sources(None, env_of(&[("TIDEMARK_EMBEDDED_PORT", "70000")])).unwrap_err();
    assert!(e.to_string().contains("TIDEMARK_EMBEDDED_PORT"), "{e}");
    let e =
        Config::from_sources(None, env_of(&[("TIDEMARK_MAX_UPLOAD_BYTES", "lots")])).unwrap_err();
    assert!(e.to_string().contains("TIDEMARK_MAX_UPLOAD_BYTES"), "{e}");
    let e = Config::from_sources(None, env_of(&[("TIDEMARK_EMBEDDED", "maybe")])).unwrap_err();
    assert!(e.to_string().contains("TIDEMARK_EMBEDDED"), "{e}");
}

#[test]
fn retention_is_a_preset_with_overrides() {
    let c = Config::from_sources(None, env_of(&[])).unwrap();
    assert_eq!(c.retention, RetentionPolicy::starter());
    let file = "[retention]\npreset = \"business\"\nmanual_keep = 3\n";
    let c = Config::from_sources(Some(("t.toml", file)), env_of(&[])).unwrap();
    assert_eq!(c.retention.manual_keep, 3);
    assert_eq!(
        c.retention.monthly_months,
        RetentionPolicy::business().monthly_months
    );
    let e = Config::from_sources(None, env_of(&[("TIDEMARK_RETENTION", "forever")])).unwrap_err();
    assert!(e.to_string().contains("TIDEMARK_RETENTION"), "{e}");
    assert!(e.to_string().contains("starter or business"), "{e}");
}

#[test]
fn clusters_and_external_servers_come_from_the_file() {
    let file = r#"
[[clusters]]
id = "billing"
name = "Billing"
port = 5544

[[external]]
id = "legacy"
url_env = "LEGACY_URL"
"#;
    let c = Config::from_sources(
        Some(("t.toml", file)),
        env_of(&[("LEGACY_URL", "postgres://u:secret@db.internal:5432/crm")]),
    )
    .unwrap();
    assert_eq!(c.clusters[0].id, "billing");
    assert_eq!(c.clusters[0].port, Some(5544));
    assert_eq!(
        c.external[0].url.as_ref().unwrap().expose(),
        "postgres://u:secret@db.internal:5432/crm"
    );
    assert!(
        !format!("{c:?}").contains("secret"),
        "the URL's password stays out of logs"
    );
}

#[test]
fn bad_cluster_and_server_entries_name_the_setting() {
    for (file, setting) in [
        ("[[clusters]]\nid = \"Billing!\"\n", "clusters.id"),
        ("[[clusters]]\nid = \"demo\"\n", "clusters.id"),
        ("[[external]]\nid = \"x\"\n", "external.url"),
        (
            "[[external]]\nid = \"x\"\nurl = \"mysql://h/db\"\n",
            "external.url",
        ),
        (
            "[[external]]\nid = \"x\"\nurl_env = \"NOPE\"\n",
            "external.url_env",
        ),
        (
            "[[clusters]]\nid = \"a\"\n[[external]]\nid = \"a\"\nurl = \"postgres://h/d\"\n",
            "external.id",
        ),
    ] {
        let e = Config::from_sources(Some(("t.toml", file)), env_of(&[])).unwrap_err();
        assert!(e.to_string().starts_with(setting), "{file}: {e}");
    }
}

#[test]
fn the_proxy_header_needs_trusted_addresses() {
    let e = Config::from_sources(
        None,
        env_of(&[("TIDEMARK_PROXY_USER_HEADER", "X-Forwarded-User")]),
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("TIDEMARK_TRUSTED_PROXIES"), "{e}");
    let c = Config::from_sources(
        None,
        env_of(&[
            ("TIDEMARK_PROXY_USER_HEADER", "X-Forwarded-User"),
            ("TIDEMARK_TRUSTED_PROXIES", "10.0.0.5, ::1"),
        ]),
    )
    .unwrap();
    assert_eq!(c.proxy_user_header.as_deref(), Some("x-forwarded-user"));
    assert_eq!(c.trusted_proxies.len(), 2);
    let e = Config::from_sources(None, env_of(&[("TIDEMARK_TRUSTED_PROXIES", "proxy.local")]))
        .unwrap_err();
    assert!(e.to_string().contains("not an IP address"), "{e}");
}

#[test]
fn unknown_file_keys_are_refused() {
    let e = Config::from_sources(Some(("t.toml", "lisen = \"x\"\n")), env_of(&[])).unwrap_err();
    assert!(e.to_string().contains("t.toml"), "{e}");
    assert!(e.to_string().contains("lisen"), "{e}");
}

#[test]
fn file_values_are_checked_like_variables_and_named_by_their_key() {
    let read = |file: &str| Config::from_sources(Some(("t.toml", file)), env_of(&[]));
    let e = read("embedded = \"maybe\"\n").unwrap_err();
    assert_eq!(e.to_string(), "embedded: 'maybe' is not true or false");
    let e = read("[retention]\npreset = \"gold\"\n").unwrap_err();
    assert!(e.to_string().starts_with("retention.preset: 'gold'"), "{e}");
    let e = read("[[clusters]]\nid = \"a\"\nport = \"x\"\n").unwrap_err();
    assert!(e.to_string().contains("t.toml"), "{e}");
    assert!(e.to_string().contains("clusters"), "{e}");
    let e = read("listen = [\n").unwrap_err();
    assert!(e.to_string().contains("t.toml"), "{e}");
    let c = read("embedded = false\nembedded_port = 5433\ntrusted_proxies = [\"::1\"]\n").unwrap();
    assert!(!c.embedded);
    assert_eq!(c.embedded_port, Some(5433));
    assert_eq!(c.trusted_proxies.len(), 1);
}

#[test]
fn tidemark_s_own_site_root_wins_over_the_build_tool_s() {
    let c = Config::from_sources(
        None,
        env_of(&[
            ("LEPTOS_SITE_ROOT", "/from/leptos"),
            ("TIDEMARK_SITE_ROOT", "/from/tidemark"),
        ]),
    )
    .unwrap();
    assert_eq!(c.site_root, PathBuf::from("/from/tidemark"));
    let c = Config::from_sources(None, env_of(&[("LEPTOS_SITE_ROOT", "/from/leptos")])).unwrap();
    assert_eq!(c.site_root, PathBuf::from("/from/leptos"));
}
