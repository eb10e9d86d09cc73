//! `Idempotency-Key` on every create of every surface (Stripe's semantics): the same key
//! and body answer the first response again, status and `Location` included; the same key
//! with another body is 422; keys belong to their user; concurrent duplicates run once.
//! (`POST /events` and PostGrid's create have tests of their own.)

use orgplane_e2e::{Tenant, TestApp};
use serde_json::{json, Value};

/// One create route: its path and two different bodies.
struct Create {
    path: String,
    body: Value,
    other: Value,
}

fn creates(app: &TestApp, t: &Tenant) -> Vec<Create> {
    let org = &t.org;
    let user = app.create_user(&t.key, org, "member@acme.example", "member");
    let msndr = |name: &str| json!({"name": name, "address": "1 Main St", "country": "France", "city": "Paris", "phone": "+33 1 23 45 67 89", "zip": "75001"});
    vec![
        Create {
            path: "/orgs".into(),
            body: json!({"name": "Shop", "parent_id": org}),
            other: json!({"name": "Other shop", "parent_id": org}),
        },
        Create {
            path: format!("/orgs/{org}/users"),
            body: json!({"email": "new@acme.example", "name": "New", "password": "correct horse battery", "roles": ["viewer"]}),
            other: json!({"email": "other@acme.example", "name": "Other", "password": "correct horse battery", "roles": ["viewer"]}),
        },
        Create {
            path: format!("/users/{user}/api_keys"),
            body: json!({"mode": "live"}),
            other: json!({"mode": "test"}),
        },
        Create {
            path: format!("/orgs/{org}/servers"),
            body: json!({"name": "Transactional"}),
            other: json!({"name": "Marketing"}),
        },
        Create {
            path: format!("/orgs/{org}/ip_pools"),
            body: json!({"name": "Shared"}),
            other: json!({"name": "Dedicated"}),
        },
        Create {
            path: format!("/orgs/{org}/ip_addresses"),
            body: json!({"ipv4": "192.0.2.50", "hostname": "mx1.acme.example"}),
            other: json!({"ipv4": "192.0.2.51", "hostname": "mx2.acme.example"}),
        },
        Create {
            path: "/v1/email/organizations".into(),
            body: msndr("Msndr shop"),
            other: msndr("Msndr other"),
        },
    ]
}

fn post(
    app: &TestApp,
    key: &str,
    path: &str,
    idempotency_key: &str,
    body: &Value,
) -> orgplane_e2e::Response {
    let bearer = format!("Bearer {key}");
    app.raw(
        "POST",
        path,
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
            ("Idempotency-Key", idempotency_key),
        ],
        body.to_string().as_bytes(),
    )
}

#[test]
fn a_retried_create_answers_the_first_response_again_and_creates_nothing_more() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    // Keys are the user's, whatever the route: one pair per route.
    for (i, create) in creates(&app, &t).into_iter().enumerate() {
        let (k1, k2) = (format!("retry-{i}-a"), format!("retry-{i}-b"));
        // Given a create that succeeded under a key.
        let first = post(&app, &t.key, &create.path, &k1, &create.body);
        assert_eq!(first.status, 201, "{}: {}", create.path, first.text);
        let before = app.fingerprint_except(&["access_log"]);

        // When it is sent again with the same key and body.
        let again = post(&app, &t.key, &create.path, &k1, &create.body);

        // Then the answer is the first one, byte for byte, and nothing more exists.
        assert_eq!(again.status, 201, "{}", create.path);
        assert_eq!(again.text, first.text, "{}", create.path);
        assert_eq!(
            again.header("location"),
            first.header("location"),
            "{}",
            create.path
        );
        assert_eq!(
            again.header("idempotent-replayed"),
            Some("true"),
            "{}",
            create.path
        );
        assert_eq!(first.header("idempotent-replayed"), None);
        assert_eq!(
            app.fingerprint_except(&["access_log"]),
            before,
            "{}",
            create.path
        );

        // And the same key with another body is refused, changing nothing.
        let misused = post(&app, &t.key, &create.path, &k1, &create.other);
        assert_eq!(misused.status, 422, "{}: {}", create.path, misused.text);
        assert_eq!(
            app.fingerprint_except(&["access_log"]),
            before,
            "{}",
            create.path
        );

        // While a new key makes a new object.
        let fresh = post(&app, &t.key, &create.path, &k2, &create.other);
        assert_eq!(fresh.status, 201, "{}: {}", create.path, fresh.text);
        assert_ne!(fresh.text, first.text);
    }
}

#[test]
fn a_created_objects_location_comes_back_on_a_replay() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let body = json!({"name": "Shop", "parent_id": t.org});
    let first = post(&app, &t.key, "/orgs", "loc", &body);
    let id = first.body["id"].as_str().unwrap();
    assert_eq!(
        first.header("location"),
        Some(format!("/orgs/{id}").as_str())
    );
    let again = post(&app, &t.key, "/orgs", "loc", &body);
    assert_eq!(
        again.header("location"),
        Some(format!("/orgs/{id}").as_str())
    );
}

#[test]
fn keys_belong_to_their_user() {
    // Given two users of one organization using the same key for the same request.
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let other = app.create_user(&t.key, &t.org, "second@acme.example", "admin");
    let other_key = app.create_key(&t.key, &other, json!({}));
    let body = json!({"name": "Transactional"});
    let path = format!("/orgs/{}/servers", t.org);
    let mine = post(&app, &t.key, &path, "shared-key", &body);
    assert_eq!(mine.status, 201);
    // Then the second is not answered the first's response: its create runs (and meets
    // the first's server by name).
    let theirs = post(&app, &other_key, &path, "shared-key", &body);
    assert_eq!(theirs.status, 409, "{}", theirs.text);
    assert_eq!(theirs.header("idempotent-replayed"), None);
}

#[test]
fn concurrent_duplicates_run_once() {
    // Given eight identical creates with one key, sent at once.
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let body = json!({"name": "Shop", "parent_id": t.org});
    let answers: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| post(&app, &t.key, "/orgs", "burst", &body)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Then every one gets the same 201, and one organization exists.
    for a in &answers {
        assert_eq!(a.status, 201, "{}", a.text);
        assert_eq!(a.text, answers[0].text);
    }
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.header("idempotent-replayed").is_none())
            .count(),
        1,
        "exactly one carried out"
    );
    let shops = app.get(&format!("/orgs?parent_id={}", t.org), &t.key);
    assert_eq!(
        shops.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        shops.text
    );
}

#[test]
fn a_malformed_key_is_refused_in_each_surfaces_shape_and_changes_nothing() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    app.get("/auth/me", &t.key);
    let before = app.fingerprint_except(&["access_log"]);
    let long = "k".repeat(300);
    let canonical = post(&app, &t.key, "/orgs", &long, &json!({"name": "Shop"}));
    canonical.assert_problem(400);
    assert_eq!(canonical.body["errors"][0]["field"], "Idempotency-Key");
    let msndr = post(
        &app,
        &t.key,
        "/v1/email/organizations",
        &long,
        &json!({"name": "Shop", "address": "1 Main St", "country": "France", "city": "Paris", "phone": "+33 1", "zip": "75001"}),
    );
    assert_eq!(msndr.status, 400, "{}", msndr.text);
    assert!(
        msndr.body["errors"]["Idempotency-Key"].is_array(),
        "{}",
        msndr.text
    );
    assert_eq!(app.fingerprint_except(&["access_log"]), before);
}

#[test]
fn a_replay_goes_only_to_a_caller_who_may_make_the_request_now() {
    // Given a live key that created an API key (its value is in the recorded answer).
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let test_key = app.create_key(&t.key, &t.user, json!({"mode": "test"}));
    let path = format!("/users/{}/api_keys", t.user);
    let body = json!({"mode": "live"});
    let first = post(&app, &t.key, &path, "mint-1", &body);
    assert_eq!(first.status, 201, "{}", first.text);
    let before = app.fingerprint_except(&["access_log", "api_keys"]);

    // When the same user's test-mode key sends the same request with the same key.
    let replay = post(&app, &test_key, &path, "mint-1", &body);

    // Then it is refused as any test key's change is, and learns nothing.
    replay.assert_problem(403);
    assert!(!replay.text.contains(first.body["value"].as_str().unwrap()));
    assert_eq!(app.fingerprint_except(&["access_log", "api_keys"]), before);

    // And a member (no right to create users) replaying an admin's user create is refused
    // too, even with a key of its own that it never used.
    let member = app.create_user(&t.key, &t.org, "member@acme.example", "member");
    let member_key = app.create_key(&t.key, &member, json!({}));
    let users = format!("/orgs/{}/users", t.org);
    let user = json!({"email": "x@acme.example", "name": "X", "password": "correct horse battery", "roles": ["viewer"]});
    post(&app, &member_key, &users, "mint-2", &user).assert_problem(403);
}

#[test]
fn one_key_on_two_routes_is_refused() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let first = post(
        &app,
        &t.key,
        &format!("/orgs/{}/servers", t.org),
        "k",
        &json!({"name": "S"}),
    );
    assert_eq!(first.status, 201, "{}", first.text);
    let other = post(
        &app,
        &t.key,
        &format!("/orgs/{}/ip_pools", t.org),
        "k",
        &json!({"name": "S"}),
    );
    assert_eq!(other.status, 422, "{}", other.text);
}

#[test]
fn the_document_declares_the_key_on_every_create() {
    let app = TestApp::spawn();
    let doc = app.call("GET", "/openapi.json", None, None).body;
    for (path, method) in [
        ("/orgs", "post"),
        ("/orgs/{org_id}/users", "post"),
        ("/users/{user_id}/api_keys", "post"),
        ("/orgs/{org_id}/servers", "post"),
        ("/orgs/{org_id}/ip_pools", "post"),
        ("/orgs/{org_id}/ip_addresses", "post"),
        ("/v1/email/organizations", "post"),
        ("/events", "post"),
        ("/print-mail/v1/sub_organizations", "post"),
    ] {
        let operation = &doc["paths"][path][method];
        let key = operation["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "Idempotency-Key"))
            .unwrap_or_else(|| panic!("{method} {path} declares no Idempotency-Key"));
        assert_eq!(key["in"], "header", "{path}");
        assert!(
            key["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{path}"
        );
        assert!(
            operation["responses"]["422"].is_object(),
            "{method} {path} has no 422"
        );
    }
}
