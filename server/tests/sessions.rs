//! Sessions and accounts over real HTTP, with a clock the test moves: sessions end after 8 idle
//! hours or 24 in all; a disabled user's session, API token and share links stop at once;
//! session ids are stored hashed; and a password given by someone else must be changed before
//! anything else opens.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tidemark_core::auth::{Role, hash_password};
use tidemark_core::clock::ManualClock;

mod common;
use common::{client_with, login, post_json, serve_custom, session_client};

async fn status(c: &reqwest::Client, url: &str) -> StatusCode {
    c.get(url).send().await.unwrap().status()
}

#[tokio::test]
async fn sessions_expire_by_the_clock_and_disabled_users_are_shut_out() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let s = serve_custom(|_| {}, Some(clock.clone())).await;
    let base = s.base.clone();
    let account = format!("{base}/api/v1/account");
    let hash = hash_password("a long enough password").unwrap();
    for name in ["ann", "ben"] {
        s.t.store
            .create_user(name, Role::Operator, &hash, chrono::Utc::now())
            .await
            .unwrap();
    }

    // Idle: 7 h 59 min between requests keeps a session; 8 h ends it.
    let (_, cookie) = login(&base, "ann", "a long enough password", "/").await;
    let ann = session_client(&base, &cookie.unwrap());
    assert_eq!(status(&ann, &account).await, StatusCode::OK);
    clock.advance(chrono::Duration::minutes(7 * 60 + 59));
    assert_eq!(status(&ann, &account).await, StatusCode::OK);
    clock.advance(chrono::Duration::hours(8));
    assert_eq!(status(&ann, &account).await, StatusCode::UNAUTHORIZED);

    // In all: active every few hours, a session still ends 24 h after its login.
    let (_, cookie) = login(&base, "ann", "a long enough password", "/").await;
    let ann = session_client(&base, &cookie.unwrap());
    for _ in 0..5 {
        clock.advance(chrono::Duration::hours(4));
        assert_eq!(status(&ann, &account).await, StatusCode::OK);
    }
    clock.advance(chrono::Duration::hours(4));
    assert_eq!(status(&ann, &account).await, StatusCode::UNAUTHORIZED);

    // Disabled: Ben's session, his API token and the share link he made stop at once.
    let (_, cookie) = login(&base, "ben", "a long enough password", "/").await;
    let ben = session_client(&base, &cookie.unwrap());
    let ben_token = {
        let res: Value = ben
            .post(format!("{base}/api/v1/tokens"))
            .json(&json!({"label": "script"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        client_with(res["token"].as_str().unwrap())
    };
    let job = post_json(&ben_token, &format!("{base}/api/v1/databases/demo/dumps")).await;
    let link = post_json(
        &ben_token,
        &format!(
            "{base}/api/v1/jobs/{}/share-links",
            job["id"].as_str().unwrap()
        ),
    )
    .await;
    let shared = format!("{base}{}", link["path"].as_str().unwrap());
    let anonymous = reqwest::Client::new();
    assert_eq!(status(&ben, &account).await, StatusCode::OK);
    assert_eq!(status(&ben_token, &account).await, StatusCode::OK);
    assert_eq!(status(&anonymous, &shared).await, StatusCode::OK);
    let res = s
        .http
        .patch(format!("{base}/api/v1/users/ben"))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(status(&ben, &account).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&ben_token, &account).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&anonymous, &shared).await, StatusCode::NOT_FOUND);
    assert_eq!(
        status(&anonymous, &format!("{shared}/events")).await,
        StatusCode::NOT_FOUND
    );
    s.t.stop().await;
}

#[tokio::test]
async fn session_ids_are_stored_hashed_and_a_given_password_must_be_changed_first() {
    let s = serve_custom(|_| {}, None).await;
    let base = s.base.clone();
    // An admin adds Cleo; the password is generated, so Cleo must choose her own.
    let created: Value = s
        .http
        .post(format!("{base}/api/v1/users"))
        .json(&json!({"name": "cleo", "role": "operator"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let given = created["password"].as_str().unwrap().to_string();
    let (res, cookie) = login(&base, "cleo", &given, "/jobs").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/account?first=1&next=/jobs");
    let cookie = cookie.unwrap();
    let cleo = session_client(&base, &cookie);

    // The database keeps a hash of the session's id, never the id itself.
    let id = cookie.split_once('=').unwrap().1;
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        s.t.config.state_db_path().display()
    ))
    .await
    .unwrap();
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|stored| !stored.contains(id)), "{ids:?}");
    assert!(ids.contains(&tidemark_core::auth::hash_token(id)));

    // Until then, nothing but the account page opens.
    let held = cleo
        .get(format!("{base}/api/v1/databases"))
        .send()
        .await
        .unwrap();
    assert_eq!(held.status(), StatusCode::FORBIDDEN);
    let body: Value = held.json().await.unwrap();
    assert_eq!(body["error"]["code"], "password_change_required");
    let page = cleo
        .get(format!("{base}/databases/demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers()["location"],
        "/account?first=1&next=/databases/demo"
    );
    let token = cleo
        .post(format!("{base}/api/v1/tokens"))
        .json(&json!({"label": "sneaky"}))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        status(&cleo, &format!("{base}/account")).await,
        StatusCode::OK
    );
    let changed = cleo
        .post(format!("{base}/api/v1/account/password"))
        .json(&json!({"current": given, "new": "cleo's own password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        status(&cleo, &format!("{base}/api/v1/databases")).await,
        StatusCode::OK
    );
    s.t.stop().await;
}
