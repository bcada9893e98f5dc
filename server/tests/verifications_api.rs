//! Verifications over real HTTP: a backup is taken, verified on the scratch instance, and its
//! evidence read back, for the backup and for the database; what cannot be verified says why.

use serde_json::Value;

mod common;
use common::{Served, finished, get_json, post_json, serve};

/// POSTs a job of `kind`, which is accepted and succeeds; returns its id.
async fn job_succeeds(s: &Served, url: &str, kind: &str) -> String {
    let res = s.http.post(url).send().await.unwrap();
    assert_eq!(res.status(), 202, "{url}");
    let job: Value = res.json().await.unwrap();
    assert_eq!(job["kind"], kind);
    let id = job["id"].as_str().unwrap().to_string();
    let ended = finished(s, &id).await;
    assert_eq!(ended["state"], "succeeded", "{ended}");
    id
}

#[tokio::test]
async fn a_backup_is_verified_and_its_evidence_read_through_the_api() {
    let s = serve().await;
    let db = format!("{}/api/v1/databases/demo", s.base);
    let backup = post_json(&s.http, &format!("{db}/backups")).await;
    let backup_id = backup["id"].as_str().unwrap().to_string();
    assert_eq!(finished(&s, &backup_id).await["state"], "succeeded");

    let detail = get_json(&s.http, &format!("{db}/backups/{backup_id}")).await;
    assert_eq!(detail["status"], "done");
    assert_eq!(detail["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(detail["row_counts"]["public.orders"], 2000);
    assert_eq!(detail["verifications"], Value::Array(vec![]));

    let job_id = job_succeeds(
        &s,
        &format!("{db}/backups/{backup_id}/verifications"),
        "verification",
    )
    .await;

    let detail = get_json(&s.http, &format!("{db}/backups/{backup_id}")).await;
    let v = &detail["verifications"][0];
    assert_eq!(v["id"], job_id.as_str());
    assert_eq!(v["outcome"], "passed");
    let e = &v["evidence"];
    assert_eq!(e["checksum_matches"], true);
    assert_eq!(e["sha256"], detail["sha256"]);
    let tables = e["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 3);
    for t in tables {
        assert_eq!(t["expected"], t["found"], "{t}");
    }
    assert!(e["restore_seconds"].as_f64().unwrap() > 0.0);
    assert!(
        e["amcheck"].as_str().unwrap().contains("no corruption"),
        "{e}"
    );

    let all = get_json(&s.http, &format!("{db}/verifications")).await;
    assert_eq!(all[0]["id"], job_id.as_str());
    assert_eq!(all[0]["backup"], backup_id.as_str());

    // What cannot be verified is named.
    let res = s
        .http
        .post(format!("{db}/backups/nope/verifications"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "backup_not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'nope'"),
        "{body}"
    );
    let res = s
        .http
        .get(format!("{db}/backups/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // A share link opens the backup's page, read-only, to anyone who holds it, and nothing else.
    let res = s
        .http
        .post(format!("{db}/backups/{backup_id}/share-links"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let link: Value = res.json().await.unwrap();
    let path = link["path"].as_str().unwrap().to_string();
    let token = path.trim_start_matches("/s/").to_string();
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = anonymous
        .get(format!("{}{path}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(&backup_id), "the backup's page");
    assert!(html.contains(detail["sha256"].as_str().unwrap()));
    assert!(html.contains("shared-note"));
    for absent in [
        "/download",
        "restore_backup=",
        "verify-backup",
        "/databases/demo",
    ] {
        assert!(!html.contains(absent), "a shared page has no {absent}");
    }
    let shared: Value = anonymous
        .post(format!("{}/_fn/shared_backup", s.base))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shared["detail"]["id"], backup_id.as_str());
    assert_eq!(shared["detail"]["verifications"][0]["outcome"], "passed");
    assert_eq!(
        shared["database"]["id"], "",
        "nothing of the database but its name"
    );
    assert_eq!(shared["detail"]["database"], "");
    assert_eq!(
        shared["detail"]["verifications"][0]["id"], "",
        "no job's id"
    );
    assert_eq!(shared["detail"]["verifications"][0]["database"], "");
    assert!(!shared.to_string().contains(&job_id), "{shared}");
    assert_eq!(shared["database"]["name"], "Demo");
    // The link is not a job's: no job page, no event stream, and nothing else it opens.
    let as_job = anonymous
        .post(format!("{}/_fn/shared_job", s.base))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(as_job, "null");
    let events = anonymous
        .get(format!("{}{path}/events", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 404);
    for other in [
        format!("{db}/backups/{backup_id}"),
        format!("{}/databases/demo", s.base),
    ] {
        let res = anonymous.get(&other).send().await.unwrap();
        assert!(
            matches!(res.status().as_u16(), 401 | 303),
            "{other}: {}",
            res.status()
        );
    }
    // Listed with the backup, not with its job; revoked, it opens nothing.
    let listed = get_json(&s.http, &format!("{db}/backups/{backup_id}/share-links")).await;
    assert_eq!(listed[0]["id"], link["id"]);
    assert_eq!(listed[0]["kind"], "backup");
    let of_job = get_json(
        &s.http,
        &format!("{}/api/v1/jobs/{backup_id}/share-links", s.base),
    )
    .await;
    assert_eq!(
        of_job,
        serde_json::json!([]),
        "the backup's job has no link"
    );
    let revoke = format!("{}/api/v1/share-links/{}", s.base, link["id"]);
    assert_eq!(s.http.delete(&revoke).send().await.unwrap().status(), 204);
    let res = anonymous
        .get(format!("{}{path}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // A drill of the window: the repository checked, then a restore beside the cluster that
    // finds the canary row before its target and not the one after.
    let drill_id = job_succeeds(&s, &format!("{db}/pitr-drills"), "pitr_drill").await;
    let drills = get_json(&s.http, &format!("{db}/pitr-drills")).await;
    let d = &drills[0];
    assert_eq!(d["id"], drill_id.as_str());
    assert_eq!(d["outcome"], "passed");
    let e = &d["evidence"];
    assert!(e["target"].as_str().unwrap() > e["canary_before"].as_str().unwrap());
    assert!(e["target"].as_str().unwrap() < e["canary_after"].as_str().unwrap());
    assert!(e["canary"].as_str().unwrap().contains("is there"), "{e}");
    assert!(e["replay_seconds"].as_f64().unwrap() > 0.0);
    let checks = get_json(&s.http, &format!("{db}/repository-checks")).await;
    let checks = checks.as_array().unwrap();
    assert!(!checks.is_empty());
    assert!(checks.iter().all(|c| c["valid"] == true), "{checks:?}");
    // A physical backup's page carries the checks of its files.
    let label = checks[0]["backup"].as_str().unwrap();
    let physical = get_json(&s.http, &format!("{db}/backups/{label}")).await;
    assert_eq!(physical["method"], "physical_full");
    assert_eq!(
        physical["repository_checks"][0]["valid"], true,
        "{physical}"
    );
    assert!(
        physical["repository_checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("files valid")
    );

    // The document describes the new routes.
    let doc = get_json(&s.http, &format!("{}/api/v1/openapi.json", s.base)).await;
    for path in [
        "/api/v1/databases/{db}/backups/{backup}",
        "/api/v1/databases/{db}/backups/{backup}/verifications",
        "/api/v1/databases/{db}/verifications",
        "/api/v1/databases/{db}/pitr-drills",
        "/api/v1/databases/{db}/repository-checks",
        "/api/v1/databases/{db}/backups/{backup}/share-links",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    s.t.stop().await;
}
