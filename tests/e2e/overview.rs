//! Seed 002, the organization list and stats: every number computed from what the
//! caller reaches, the seed's field names and formats, `{"detail"}` errors.

use orgplane_e2e::{Response, TestApp};
use serde_json::{json, Value};

fn overview(app: &TestApp, path: &str, key: Option<&str>) -> Response {
    app.call("GET", path, key, None)
}

#[track_caller]
fn assert_detail(r: &Response, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.content_type, "application/json");
    let keys: Vec<&String> = r.body.as_object().expect("an object").keys().collect();
    assert_eq!(keys, vec!["detail"], "{}", r.text);
    assert!(r.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a bare array")
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_list_holds_every_reached_organization_with_its_counts() {
    // Given Acme (domain acme.com) with a child, and a sibling tenant out of reach.
    let app = TestApp::spawn();
    let acme = app.create_org(
        &app.admin_key,
        json!({"name": "Acme", "domain": "acme.com"}),
    );
    let acme = acme["id"].as_str().unwrap().to_owned();
    let admin = app.create_user(&app.admin_key, &acme, "admin@acme.example", "admin");
    let key = app.create_key(&app.admin_key, &admin, json!({}));
    app.create_user(&key, &acme, "second@acme.example", "member");
    let child = app.tenant("Acme Labs", Some(&acme), "member");
    app.infrastructure(&key, &acme, "192.0.2.1");
    app.infrastructure(&key, &child.org, "192.0.2.2");
    app.infrastructure(&key, &child.org, "192.0.2.3");
    app.tenant("Elsewhere", None, "admin");

    // When Acme's admin lists organizations.
    let r = overview(&app, "/api/organizations", Some(&key));

    // Then the answer is a bare array of Acme and its child, oldest first, counted.
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        ids(&r.body),
        vec![format!("org-{acme}"), format!("org-{}", child.org)]
    );
    assert_eq!(r.header("x-total-count"), Some("2"));
    let first = &r.body[0];
    let mut keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "created_at",
            "domain",
            "id",
            "name",
            "users_count",
            "workspaces_count"
        ]
    );
    assert_eq!(
        (
            &first["name"],
            &first["domain"],
            &first["users_count"],
            &first["workspaces_count"]
        ),
        (&json!("Acme"), &json!("acme.com"), &json!(2), &json!(1))
    );
    let second = &r.body[1];
    assert_eq!(
        (
            &second["domain"],
            &second["users_count"],
            &second["workspaces_count"]
        ),
        (&Value::Null, &json!(1), &json!(2))
    );
    let created = first["created_at"].as_str().unwrap();
    assert!(
        created.len() == 24 && created.ends_with('Z') && &created[19..20] == ".",
        "{created}"
    );
}

#[test]
fn the_stats_are_the_sums_of_the_list_and_follow_what_happens() {
    // Given a tenant with a child, servers, and one live login session.
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let child = app.tenant("Acme Labs", Some(&t.org), "member");
    app.infrastructure(&t.key, &child.org, "192.0.2.9");
    app.login(&t.email, &t.password);
    app.tenant("Elsewhere", None, "admin");

    // When the stats are read.
    let list = overview(&app, "/api/organizations", Some(&t.key));
    let stats = overview(&app, "/api/stats", Some(&t.key));

    // Then the totals are the list's sums, and only the tenant's session counts.
    assert_eq!(stats.status, 200, "{}", stats.text);
    let sum = |field: &str| -> u64 {
        list.body
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o[field].as_u64().unwrap())
            .sum()
    };
    assert_eq!(stats.body["total_users"].as_u64(), Some(sum("users_count")));
    assert_eq!(
        stats.body["total_workspaces"].as_u64(),
        Some(sum("workspaces_count"))
    );
    assert_eq!(stats.body["active_sessions"], 1);
    let uptime = stats.body["uptime"].as_str().unwrap();
    assert!(
        uptime.ends_with('%') && uptime.trim_end_matches('%').parse::<f64>().is_ok(),
        "{uptime}"
    );
    let score = stats.body["security_score"].as_u64().unwrap();
    assert!(score <= 100);

    // When a password check fails, the score falls; when the session ends, it is gone.
    let failed = app.call(
        "POST",
        "/auth/login",
        None,
        Some(&json!({"email": t.email, "password": "not the password"})),
    );
    assert_eq!(failed.status, 401, "{}", failed.text);
    let after = overview(&app, "/api/stats", Some(&t.key));
    assert!(
        after.body["security_score"].as_u64().unwrap() < score,
        "{} then {}",
        stats.text,
        after.text
    );
    let token = app.login(&child.email, &child.password);
    let more = overview(&app, "/api/stats", Some(&t.key));
    assert_eq!(more.body["active_sessions"], 2, "{}", more.text);
    let out = app.call("POST", "/auth/logout", Some(&token), None);
    assert!(out.status < 300, "{}", out.text);
    let fewer = overview(&app, "/api/stats", Some(&t.key));
    assert_eq!(fewer.body["active_sessions"], 1, "{}", fewer.text);
}

#[test]
fn skip_and_limit_page_through_the_list() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    for name in ["One", "Two", "Three"] {
        app.create_org(&t.key, json!({"name": name, "parent_id": t.org}));
    }
    let all = ids(&overview(&app, "/api/organizations", Some(&t.key)).body);
    assert_eq!(all.len(), 4);
    let page = overview(&app, "/api/organizations?skip=1&limit=2", Some(&t.key));
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(ids(&page.body), all[1..3].to_vec());
    assert_eq!(page.header("x-total-count"), Some("4"));
    let past = overview(&app, "/api/organizations?skip=10", Some(&t.key));
    assert_eq!(past.body, json!([]));
}

#[test]
fn bad_input_answers_detail_and_changes_nothing() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let before = app.fingerprint();
    for query in [
        "skip=-1",
        "skip=x",
        "limit=0",
        "limit=1001",
        "limit=1.5",
        "limit=",
    ] {
        let r = overview(&app, &format!("/api/organizations?{query}"), Some(&t.key));
        assert_detail(&r, 400);
        let field = query.split('=').next().unwrap();
        assert!(
            r.body["detail"].as_str().unwrap().contains(field),
            "{query}: {}",
            r.text
        );
    }
    for path in ["/api/organizations", "/api/stats"] {
        for key in [None, Some("not-a-key"), Some("live_0000000000000000")] {
            let r = overview(&app, path, key);
            assert_detail(&r, 401);
            assert_eq!(r.body["detail"], "Not authenticated");
        }
    }
    // The seed's list is read-only: writing answers 405 with what is allowed.
    let post = app.post("/api/organizations", &t.key, json!({"name": "New"}));
    assert_detail(&post, 405);
    assert_eq!(post.header("allow"), Some("GET"));
    let missing = overview(&app, "/api/nothing-here", Some(&t.key));
    assert_detail(&missing, 404);
    assert_eq!(app.fingerprint(), before);
}
