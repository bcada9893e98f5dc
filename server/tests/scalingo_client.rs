//! The Scalingo client against the Scalingo API test server: every endpoint it uses, the
//! documented conflicts, the error table, token renewal, backing off, single flight, and no
//! retry of calls that change something.

use std::sync::Arc;
use std::time::Duration;

use tidemark_core::provider::scalingo::{
    AddonRef, ClientSettings, FieldError, Limits, NewRule, Region, ScalingoClient, ScalingoError,
};
use tidemark_scalingo_fake::{FakeOptions, FakeScalingo, Fault};

fn fast_limits() -> Limits {
    Limits {
        requests_per_minute: 1000,
        timeout: Duration::from_millis(800),
        attempts: 3,
        backoff: Duration::from_millis(50),
    }
}

fn client_for(fake: &FakeScalingo, token: &str) -> ScalingoClient {
    let mut s = ClientSettings::new(fake.auth_url(), token.to_string().into());
    s.limits = fast_limits();
    ScalingoClient::new(s)
}

async fn fake(opts: FakeOptions) -> FakeScalingo {
    FakeScalingo::start(FakeOptions {
        cluster: false,
        backup_start_delay: Duration::from_millis(100),
        backup_run_time: Duration::from_millis(100),
        operation_duration: Duration::from_millis(600),
        ..opts
    })
    .await
    .unwrap()
}

async fn addon(client: &ScalingoClient, region: &Region, app: &str) -> AddonRef {
    let addons = client.addons(region, app).await.unwrap();
    let pg = addons.iter().find(|a| a.is_postgresql()).unwrap();
    AddonRef {
        region: region.name.clone(),
        api: region.api.clone(),
        database_api: region.database_api.clone(),
        app: app.to_string(),
        addon_id: pg.id.clone(),
    }
}

fn count(fake: &FakeScalingo, method: &str, path_end: &str) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == method && r.path.ends_with(path_end))
        .count()
}

#[tokio::test]
async fn every_endpoint_answers_in_its_documented_shape() {
    let fake = fake(FakeOptions::default()).await;
    let client = client_for(&fake, &fake.api_token());

    let regions = client.regions().await.unwrap();
    assert_eq!(
        regions.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["osc-fr1", "osc-secnum-fr1"]
    );
    let fr1 = &regions[0];
    assert!(fr1.default);
    let apps = client.apps(fr1).await.unwrap();
    let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    assert!(
        names.contains(&"shop") && names.contains(&"ledger"),
        "{names:?}"
    );
    assert!(
        apps.iter()
            .find(|a| a.name == "ledger")
            .unwrap()
            .is_dedicated_database()
    );
    assert!(
        !apps
            .iter()
            .find(|a| a.name == "shop")
            .unwrap()
            .is_dedicated_database()
    );
    let addons = client.addons(fr1, "shop").await.unwrap();
    assert_eq!(addons.iter().filter(|a| a.is_postgresql()).count(), 1);
    assert_eq!(addons.len(), 2, "shop also has a Redis addon");
    let dr = client.dedicated_databases(fr1).await.unwrap();
    assert_eq!(dr.len(), 1);
    assert_eq!(dr[0].name, "ledger");
    assert_eq!(dr[0].technology, "postgresql-ng");

    let shop = addon(&client, fr1, "shop").await;
    let db = client.database(&shop).await.unwrap();
    assert_eq!(db.plan, "postgresql-business-1024");
    assert!(db.periodic_backups_enabled);
    assert_eq!(db.periodic_backups_scheduled_at, vec![0]);
    assert!(db.first_pitr_backup.is_some());
    let plan = client.plan(&shop).await.unwrap();
    assert_eq!(plan.manual_backups_count, Some(50));
    assert_eq!(plan.pitr_backup_days, Some(7));
    let url = client
        .variable(&shop, "SCALINGO_POSTGRESQL_URL")
        .await
        .unwrap()
        .unwrap();
    assert!(url.expose().starts_with("postgresql://shop_4553:"));
    assert!(client.variable(&shop, "NOPE").await.unwrap().is_none());

    // Backups, newest first, then a new one followed to done.
    let backups = client.backups(&shop).await.unwrap();
    assert_eq!(backups.len(), 4);
    assert!(
        backups
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at)
    );
    let created = client.create_backup(&shop).await.unwrap();
    assert_eq!(created.status, "scheduled");
    assert_eq!(created.method, "manual");
    let mut done = None;
    for _ in 0..50 {
        let b = client.backup(&shop, &created.id).await.unwrap();
        if b.status == "done" {
            done = Some(b);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let done = done.expect("the backup finishes");
    assert!(done.size.unwrap() > 0);
    // The list is asked again after the change rather than served from the cache.
    assert_eq!(client.backups(&shop).await.unwrap().len(), 5);

    // The nested path answers 404: the top-level one is used.
    fake.inject(Fault {
        method: Some("GET".into()),
        path_contains: format!("/databases/{}/backups/{}", shop.addon_id, done.id),
        status: 404,
        body: r#"{"resource":"backup","error":"not found"}"#.into(),
        times: 1,
        delay: Duration::ZERO,
    });
    assert_eq!(client.backup(&shop, &done.id).await.unwrap().id, done.id);
    assert_eq!(count(&fake, "GET", &format!("/api/backups/{}", done.id)), 1);

    // Ids from callers never steer a request elsewhere: they are refused before any is sent.
    let before = fake.requests().len();
    for id in ["../../x", "a/b", "", "x?y=1"] {
        assert!(
            matches!(
                client.backup(&shop, id).await,
                Err(ScalingoError::NotFound { .. })
            ),
            "{id}"
        );
    }
    assert_eq!(fake.requests().len(), before);

    // Download: a plain GET of the signed URL, Range passed on.
    let link = client.archive_url(&shop, &done.id).await.unwrap();
    assert!(link.expose().contains("token="));
    let whole = client
        .open_archive(&link, None)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&whole[..2], &[0x1f, 0x8b], "a gzip archive");
    let part = client
        .open_archive(&link, Some("bytes=10-19"))
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap(), whole.slice(10..20));

    // Schedule: on at 3, then off keeping the hour.
    let d = client.update_schedule(&shop, true, Some(3)).await.unwrap();
    assert_eq!(d.periodic_backups_scheduled_at, vec![3]);
    assert_eq!(fake.schedule("shop"), Some((true, vec![3])));
    let d = client.update_schedule(&shop, false, None).await.unwrap();
    assert!(!d.periodic_backups_enabled);
    assert_eq!(fake.schedule("shop"), Some((false, vec![3])));

    // PITR: the window, a restore, its operation.
    let w = client.recovery_window(&shop).await.unwrap();
    let (earliest, latest) = (
        w.earliest_recoverable_at.unwrap(),
        w.latest_recoverable_at.unwrap(),
    );
    assert!(earliest < latest);
    let at = latest - chrono::Duration::hours(1);
    let op = client.pitr_restore(&shop, at).await.unwrap();
    assert_eq!(fake.pitr_restores("shop").len(), 1);
    let first = client.operation(&shop, &op).await.unwrap();
    assert_eq!(first.kind, "pitr_restore");
    assert!(!first.is_final());
    let again = client.pitr_restore(&shop, at).await.unwrap_err();
    assert!(
        matches!(again, ScalingoError::Rejected { status: 409, .. }),
        "{again:?}"
    );
    let outside = client
        .pitr_restore(&shop, earliest - chrono::Duration::days(3))
        .await
        .unwrap_err();
    assert!(
        matches!(&outside, ScalingoError::Invalid(f) if f[0].field == "restore_time"),
        "{outside:?}"
    );

    // Firewall rules of the Dedicated Resources database.
    let ledger = addon(&client, fr1, "ledger").await;
    let rules = client.firewall_rules(&ledger).await.unwrap();
    assert_eq!(rules.len(), 2);
    let ranges = client.managed_ranges(&ledger).await.unwrap();
    assert!(ranges.iter().any(|r| r.id == "mr-scalingo-osc-fr1"));
    let added = client
        .add_firewall_rule(
            &ledger,
            &NewRule::Custom {
                cidr: "198.51.100.7/32".into(),
                label: "CI runner".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(added.kind, "custom_range");
    assert_eq!(client.firewall_rules(&ledger).await.unwrap().len(), 3);
    let bad = client
        .add_firewall_rule(
            &ledger,
            &NewRule::Custom {
                cidr: "198.51.100.7/40".into(),
                label: "x".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        bad,
        ScalingoError::Invalid(vec![FieldError {
            field: "cidr".into(),
            messages: vec!["is not a valid CIDR".into()]
        }])
    );
    client
        .remove_firewall_rule(&ledger, &added.id)
        .await
        .unwrap();
    assert_eq!(fake.firewall_rules("ledger").len(), 2);
    let gone = client
        .remove_firewall_rule(&ledger, &added.id)
        .await
        .unwrap_err();
    assert_eq!(gone.to_string(), "Scalingo has no such firewall rule.");
    fake.stop().await;
}

#[tokio::test]
async fn the_older_answer_shapes_are_read_too() {
    let fake = fake(FakeOptions {
        pitr_response_operation_id: true,
        dr_list_bare_array: true,
        ..FakeOptions::default()
    })
    .await;
    let client = client_for(&fake, &fake.api_token());
    let fr1 = client.regions().await.unwrap().remove(0);
    let dr = client.dedicated_databases(&fr1).await.unwrap();
    assert_eq!(dr[0].name, "ledger");
    let shop = addon(&client, &fr1, "shop").await;
    let latest = client
        .recovery_window(&shop)
        .await
        .unwrap()
        .latest_recoverable_at
        .unwrap();
    let op = client
        .pitr_restore(&shop, latest - chrono::Duration::minutes(5))
        .await
        .unwrap();
    assert!(op.starts_with("op-"), "{op}");
    fake.stop().await;
}

#[tokio::test]
async fn statuses_become_errors_a_person_can_act_on() {
    let fake = fake(FakeOptions::default()).await;
    let client = client_for(&fake, &fake.api_token());
    let fr1 = client.regions().await.unwrap().remove(0);
    let shop = addon(&client, &fr1, "shop").await;
    let cases: [(u16, &str, ScalingoError); 5] = [
        (
            403,
            r#"{"error":"you are not a collaborator"}"#,
            ScalingoError::Forbidden("you are not a collaborator".into()),
        ),
        (
            404,
            r#"{"resource":"app","error":"not found"}"#,
            ScalingoError::NotFound {
                resource: "app".into(),
            },
        ),
        (
            409,
            r#"{"error":"a backup is already running"}"#,
            ScalingoError::Rejected {
                status: 409,
                message: "a backup is already running".into(),
            },
        ),
        (
            402,
            r#"{"name":"x","error":"payment required","url":"https://example.com"}"#,
            ScalingoError::Rejected {
                status: 402,
                message: "payment required".into(),
            },
        ),
        (
            400,
            "not even JSON",
            ScalingoError::Rejected {
                status: 400,
                message: "not even JSON".into(),
            },
        ),
    ];
    for (status, body, expected) in cases {
        fake.inject(Fault {
            method: Some("POST".into()),
            path_contains: "/backups".into(),
            status,
            body: body.into(),
            times: 1,
            delay: Duration::ZERO,
        });
        assert_eq!(
            client.create_backup(&shop).await.unwrap_err(),
            expected,
            "status {status}"
        );
    }
    // A wrong API token: one exchange, refused, and a sentence naming the setting.
    let wrong = client_for(&fake, "tk-us-wrong");
    let e = wrong.regions().await.unwrap_err();
    assert_eq!(e, ScalingoError::Unauthorized);
    assert!(e.to_string().contains("SCALINGO_API_TOKEN"), "{e}");
    fake.stop().await;
}

#[tokio::test]
async fn tokens_are_renewed_before_expiry_and_once_after_a_401() {
    let fake = fake(FakeOptions {
        token_ttl: Duration::from_secs(3),
        addon_token_ttl: Duration::from_secs(3),
        ..FakeOptions::default()
    })
    .await;
    let client = client_for(&fake, &fake.api_token());
    let fr1 = client.regions().await.unwrap().remove(0);
    let shop = addon(&client, &fr1, "shop").await;
    client.database(&shop).await.unwrap();
    assert_eq!(count(&fake, "POST", "/tokens/exchange"), 1);
    assert_eq!(count(&fake, "POST", "/token"), 1);
    // Past four fifths of their life, both are renewed before use: no request is refused.
    tokio::time::sleep(Duration::from_millis(2700)).await;
    client.backups(&shop).await.unwrap();
    assert_eq!(count(&fake, "POST", "/tokens/exchange"), 2);
    assert_eq!(count(&fake, "POST", "/token"), 2);
    assert!(
        fake.requests().iter().all(|r| r.status != 401),
        "{:?}",
        fake.requests()
    );

    // Tokens revoked on the server side: one 401, a new exchange, and the call succeeds.
    let long = fake_with_long_tokens().await;
    let client = client_for(&long, &long.api_token());
    let fr1 = client.regions().await.unwrap().remove(0);
    let shop = addon(&client, &fr1, "shop").await;
    client.database(&shop).await.unwrap();
    long.expire_tokens();
    client
        .firewall_rules(&addon(&client, &fr1, "ledger").await)
        .await
        .unwrap();
    assert_eq!(count(&long, "POST", "/tokens/exchange"), 2);
    let refused = long.requests().iter().filter(|r| r.status == 401).count();
    assert_eq!(refused, 1, "{:?}", long.requests());
    fake.stop().await;
    long.stop().await;
}

async fn fake_with_long_tokens() -> FakeScalingo {
    fake(FakeOptions::default()).await
}

#[tokio::test]
async fn reads_back_off_and_retry_but_changes_are_sent_once() {
    let fake = fake(FakeOptions::default()).await;
    let client = client_for(&fake, &fake.api_token());
    let fr1 = client.regions().await.unwrap().remove(0);
    let shop = addon(&client, &fr1, "shop").await;
    let fault = |method: &str, path: &str, status: u16, times: u32, delay_ms: u64| Fault {
        method: Some(method.into()),
        path_contains: path.into(),
        status,
        body: if status == 429 {
            "Retry later".into()
        } else {
            r#"{"error":"upstream"}"#.into()
        },
        times,
        delay: Duration::from_millis(delay_ms),
    };

    // 429 twice, then served.
    fake.clear_requests();
    fake.inject(fault("GET", "/pitr/recovery_window", 429, 2, 0));
    client.recovery_window(&shop).await.unwrap();
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/recovery_window"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
    // Still limited after every attempt: the caller is told.
    fake.inject(fault("GET", "/plan", 429, 5, 0));
    assert_eq!(
        client.plan(&shop).await.unwrap_err(),
        ScalingoError::RateLimited
    );

    // A read that fails on the way (5xx, or no answer in time) is tried again...
    fake.clear_requests();
    fake.inject(fault("GET", "/firewall/managed_ranges", 503, 1, 0));
    fake.inject(fault("GET", "/firewall/managed_ranges", 200, 1, 1500));
    client.managed_ranges(&shop).await.unwrap();
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/managed_ranges"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [503, 0, 200], "0: given up waiting for an answer");

    // ...a change is not: one POST, whatever happened to it.
    fake.clear_requests();
    fake.inject(fault("POST", "/backups", 503, 1, 0));
    assert!(matches!(
        client.create_backup(&shop).await.unwrap_err(),
        ScalingoError::Unavailable(_)
    ));
    assert_eq!(count(&fake, "POST", "/backups"), 1);
    fake.inject(fault("POST", "/pitr/restore", 201, 1, 1500));
    let latest = client
        .recovery_window(&shop)
        .await
        .unwrap()
        .latest_recoverable_at
        .unwrap();
    let e = client.pitr_restore(&shop, latest).await.unwrap_err();
    assert!(matches!(e, ScalingoError::Unavailable(_)), "{e:?}");
    assert_eq!(count(&fake, "POST", "/pitr/restore"), 1);
    fake.stop().await;
}

#[tokio::test]
async fn identical_reads_in_flight_share_one_request() {
    let fake = fake(FakeOptions::default()).await;
    let client = Arc::new(client_for(&fake, &fake.api_token()));
    let fr1 = client.regions().await.unwrap().remove(0);
    let shop = addon(&client, &fr1, "shop").await;
    client.database(&shop).await.unwrap();
    fake.clear_requests();
    fake.inject(Fault {
        method: Some("GET".into()),
        path_contains: "/backups".into(),
        status: 200,
        body: r#"{"database_backups":[]}"#.into(),
        times: 1,
        delay: Duration::from_millis(300),
    });
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (client, shop) = (client.clone(), shop.clone());
        tasks.push(tokio::spawn(async move { client.backups(&shop).await }));
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap().is_empty());
    }
    assert_eq!(count(&fake, "GET", "/backups"), 1, "{:?}", fake.requests());
    // Within the cache's life the answer is reused; a change invalidates it.
    client.backups(&shop).await.unwrap();
    assert_eq!(count(&fake, "GET", "/backups"), 1);
    client.update_schedule(&shop, true, Some(4)).await.unwrap();
    assert_eq!(client.backups(&shop).await.unwrap().len(), 4);
    assert_eq!(count(&fake, "GET", "/backups"), 2);
    fake.stop().await;
}
