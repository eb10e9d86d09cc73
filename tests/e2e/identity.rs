//! Users, roles, API keys, login sessions, access and audit logs.

use orgplane_e2e::TestApp;
use serde_json::{json, Value};

#[test]
fn a_user_is_created_without_ever_showing_its_password() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let r = app.post(
        &format!("/orgs/{}/users", t.org),
        &t.key,
        json!({"email": "Jane@Acme.example", "name": "Jane", "password": "a long enough secret", "phone_number": "+1 555 0100",
               "email_preferences": {"orderPreviewSendPreference": "send_live_and_test"}}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["email"], "Jane@Acme.example");
    assert_eq!(r.body["roles"], json!(["member"]));
    assert_eq!(r.body["organization_id"], json!(t.org));
    assert_eq!(
        r.body["email_preferences"],
        json!({"orderPreviewSendPreference": "send_live_and_test"})
    );
    assert!(
        !r.text.contains("a long enough secret")
            && !r.text.contains("argon2")
            && !r.text.contains("password"),
        "{}",
        r.text
    );

    let listed = app.get(&format!("/orgs/{}/users", t.org), &t.key);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    assert!(!listed.text.contains("argon2"));
    let audit = app.get(
        &format!("/orgs/{}/audit_log?action=user.create", t.org),
        &t.key,
    );
    assert!(
        !audit.text.contains("a long enough secret") && !audit.text.contains("argon2"),
        "{}",
        audit.text
    );
    assert_eq!(audit.body["data"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_user_input_is_refused_and_changes_nothing() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let path = format!("/orgs/{}/users", t.org);
    let ok = json!({"email": "x@acme.example", "name": "X", "password": "long enough password"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    app.get("/orgs", &t.key); // the key's first use stamps it; do that before the fingerprint
    let before = app.fingerprint();
    for (what, body, status, field) in [
        (
            "invalid email",
            with("email", json!("not-an-email")),
            400,
            Some("email"),
        ),
        (
            "short password",
            with("password", json!("short")),
            400,
            Some("password"),
        ),
        (
            "unknown role",
            with("roles", json!(["owner"])),
            400,
            Some("roles[0]"),
        ),
        (
            "bad preference",
            with(
                "email_preferences",
                json!({"orderPreviewSendPreference": "always"}),
            ),
            400,
            Some("email_preferences.orderPreviewSendPreference"),
        ),
        (
            "duplicate email in another case",
            with("email", json!(t.email.to_uppercase())),
            409,
            None,
        ),
        (
            "password of wrong type",
            with("password", json!(123456789012_i64)),
            400,
            Some("password"),
        ),
    ] {
        let r = app.post(&path, &t.key, body);
        r.assert_problem(status);
        if let Some(field) = field {
            assert_eq!(r.body["errors"][0]["field"], field, "{what}: {}", r.text);
        }
        assert_eq!(app.fingerprint(), before, "{what} changed the database");
    }
    // Only platform administrators make platform administrators.
    app.post(&path, &t.key, with("roles", json!(["platform_admin"])))
        .assert_problem(403);
    assert_eq!(app.fingerprint(), before);
}

#[test]
fn changing_an_email_keeps_the_old_one_and_deleting_a_user_kills_its_keys() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let jane = app.create_user(&t.key, &t.org, "jane@acme.example", "member");
    let jane_key = app.create_key(&t.key, &jane, json!({}));
    let r = app.patch(
        &format!("/users/{jane}"),
        &t.key,
        json!({"email": "jane.doe@acme.example", "name": "Jane Doe"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["previous_emails"], json!(["jane@acme.example"]));
    assert_eq!(
        app.get(&format!("/users/{jane}"), &jane_key).status,
        200,
        "a user reads itself"
    );

    assert_eq!(app.delete(&format!("/users/{jane}"), &t.key).status, 204);
    app.get("/orgs", &jane_key).assert_problem(401);
    app.get(&format!("/users/{jane}"), &t.key)
        .assert_problem(404);
    app.delete(&format!("/users/{}", t.user), &t.key)
        .assert_problem(409);
}

#[test]
fn roles_decide_what_a_user_may_change() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let member = app.create_user(&t.key, &t.org, "m@acme.example", "member");
    let member_key = app.create_key(&t.key, &member, json!({}));
    let viewer = app.create_user(&t.key, &t.org, "v@acme.example", "viewer");
    let viewer_key = app.create_key(&t.key, &viewer, json!({}));

    assert_eq!(
        app.get(&format!("/orgs/{}", t.org), &viewer_key).status,
        200
    );
    app.post("/orgs", &member_key, json!({"name": "Sub"}))
        .assert_problem(403);
    app.patch(
        &format!("/orgs/{}", t.org),
        &viewer_key,
        json!({"name": "Mine"}),
    )
    .assert_problem(403);
    app.post(
        &format!("/orgs/{}/users", t.org),
        &member_key,
        json!({"email": "z@acme.example", "name": "Z", "password": "long enough password"}),
    )
    .assert_problem(403);
    app.get(&format!("/orgs/{}/access_log", t.org), &member_key)
        .assert_problem(403);
    app.patch(
        &format!("/users/{member}"),
        &member_key,
        json!({"roles": ["admin"]}),
    )
    .assert_problem(403);
    // Everyone manages its own keys and profile.
    let own = app.post(
        &format!("/users/{member}/api_keys"),
        &member_key,
        json!({"mode": "test"}),
    );
    assert_eq!(own.status, 201, "{}", own.text);
    let renamed = app.patch(
        &format!("/users/{viewer}"),
        &viewer_key,
        json!({"name": "Vera"}),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    // Without a parent, an admin's new organization is a sub-organization of its home.
    let sub = app.create_org(&t.key, json!({"name": "Team"}));
    assert_eq!(sub["parent_id"], json!(t.org));
}

#[test]
fn an_api_key_value_is_shown_once_and_revocation_is_immediate() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let r = app.post(
        &format!("/users/{}/api_keys", t.user),
        &t.key,
        json!({"mode": "live", "active_until": "2100-01-01T00:00:00Z"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let value = r.body["value"].as_str().unwrap().to_owned();
    assert!(
        value.starts_with("live_") && value.len() == 5 + 64,
        "{value}"
    );
    assert_eq!(r.body["mode"], "live");
    assert_eq!(r.body["active_until"], "2100-01-01T00:00:00Z");

    let listed = app.get(&format!("/users/{}/api_keys", t.user), &t.key);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    assert!(!listed.text.contains(&value), "a list never shows a value");
    assert!(listed.body["data"][1]["prefix"]
        .as_str()
        .is_some_and(|p| value.starts_with(p)));

    assert_eq!(app.get("/orgs", &value).status, 200);
    assert_eq!(
        app.delete(
            &format!("/api_keys/{}", r.body["id"].as_str().unwrap()),
            &t.key
        )
        .status,
        204
    );
    app.get("/orgs", &value).assert_problem(401);
}

#[test]
fn api_keys_expire_and_bad_key_input_is_refused() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let short_lived = app.create_key(
        &t.key,
        &t.user,
        json!({"active_until": "2100-01-01T00:00:00Z"}),
    );
    assert_eq!(app.get("/orgs", &short_lived).status, 200);
    // Let the clock pass `active_until` without sleeping in the test.
    app.execute_sql(&format!(
        "UPDATE api_keys SET active_until = now() - interval '1 millisecond' WHERE prefix = '{}'",
        &short_lived[..12]
    ));
    app.get("/orgs", &short_lived).assert_problem(401);

    let path = format!("/users/{}/api_keys", t.user);
    let before = app.fingerprint();
    for (body, field) in [
        (json!({"active_until": "tomorrow"}), "active_until"),
        (
            json!({"active_until": "2001-01-01T00:00:00Z"}),
            "active_until",
        ),
        (json!({"mode": "prod"}), "mode"),
    ] {
        let r = app.post(&path, &t.key, body);
        r.assert_problem(400);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
    }
    app.post(&path, &t.key, json!({"colour": "red"}))
        .assert_problem(400);
    assert_eq!(app.fingerprint(), before);
    // No body at all means a live key without expiry.
    let r = app.raw(
        "POST",
        &path,
        &[("Authorization", &format!("Bearer {}", t.key))],
        b"",
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["mode"], "live");
}

#[test]
fn test_mode_keys_read_but_never_change_configuration() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let test_key = app.create_key(&t.key, &t.user, json!({"mode": "test"}));
    assert!(test_key.starts_with("test_"));
    assert_eq!(app.get(&format!("/orgs/{}", t.org), &test_key).status, 200);
    let before = app.fingerprint_except(&["access_log", "api_keys"]);
    let r = app.patch(
        &format!("/orgs/{}", t.org),
        &test_key,
        json!({"name": "Changed"}),
    );
    r.assert_problem(403);
    assert_eq!(r.body["type"], "urn:orgplane:problem:test-key");
    app.post("/orgs", &test_key, json!({"name": "New"}))
        .assert_problem(403);
    assert_eq!(app.fingerprint_except(&["access_log", "api_keys"]), before);
}

#[test]
fn login_gives_a_session_token_that_logout_ends() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let r = app.call(
        "POST",
        "/auth/login",
        None,
        Some(&json!({"email": t.email.to_uppercase(), "password": t.password})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let token = r.body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ses_"));
    assert!(r.body["expires_at"].is_string());

    let me = app.get(&format!("/users/{}", t.user), &token);
    assert_eq!(me.status, 200, "{}", me.text);
    assert!(me.body["last_login_time"].is_string());
    assert_eq!(
        app.call("POST", "/auth/logout", Some(&token), None).status,
        204
    );
    app.get("/orgs", &token).assert_problem(401);
}

#[test]
fn unknown_email_and_wrong_password_answer_alike_and_are_logged() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let wrong = app.call(
        "POST",
        "/auth/login",
        None,
        Some(&json!({"email": t.email, "password": "not the password"})),
    );
    let unknown = app.call(
        "POST",
        "/auth/login",
        None,
        Some(&json!({"email": "nobody@acme.example", "password": "not the password"})),
    );
    wrong.assert_problem(401);
    unknown.assert_problem(401);
    assert_eq!(wrong.body, unknown.body);
    app.call(
        "POST",
        "/auth/login",
        None,
        Some(&json!({"email": t.email, "password": t.password})),
    );

    let log = app.get(&format!("/orgs/{}/access_log", t.org), &t.key);
    assert_eq!(log.status, 200, "{}", log.text);
    let entries: Vec<(String, String)> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "LOGIN")
        .map(|e| {
            (
                e["user"].as_str().unwrap().to_owned(),
                e["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            (t.email.clone(), "SUCCESS".into()),
            (t.email.clone(), "FAILURE".into())
        ]
    );
    let entry = &log.body["data"][0];
    assert!(entry["timestamp"].is_string());
    let failures = app.get(
        &format!("/orgs/{}/access_log?status=FAILURE&action=LOGIN", t.org),
        &t.key,
    );
    assert_eq!(failures.body["data"].as_array().unwrap().len(), 1);
    app.get(&format!("/orgs/{}/access_log?status=MAYBE", t.org), &t.key)
        .assert_problem(400);
    app.get(
        &format!("/orgs/{}/access_log?from=yesterday", t.org),
        &t.key,
    )
    .assert_problem(400);
}

#[test]
fn repeated_login_failures_are_throttled() {
    let app = TestApp::spawn_with(&[("ORGPLANE__AUTH__LOGIN_MAX_FAILURES_PER_EMAIL", "3")]);
    let t = app.tenant("Acme", None, "admin");
    let attempt = |password: &str| {
        app.call(
            "POST",
            "/auth/login",
            None,
            Some(&json!({"email": t.email, "password": password})),
        )
    };
    for _ in 0..3 {
        attempt("wrong password!").assert_problem(401);
    }
    let throttled = attempt("wrong password!");
    throttled.assert_problem(429);
    assert!(throttled
        .header("retry-after")
        .is_some_and(|v| v.parse::<u64>().is_ok()));
    attempt(&t.password).assert_problem(429);
}

#[test]
fn revoked_and_expired_key_use_is_in_the_access_log() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let r = app.post(&format!("/users/{}/api_keys", t.user), &t.key, json!({}));
    let (value, id) = (
        r.body["value"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    );
    app.delete(&format!("/api_keys/{id}"), &t.key);
    app.get("/orgs", &value).assert_problem(401);
    let log = app.get(
        &format!("/orgs/{}/access_log?action=API_KEY&status=FAILURE", t.org),
        &t.key,
    );
    assert_eq!(
        log.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        log.text
    );
    assert_eq!(log.body["data"][0]["user"], json!(t.email));

    let expired = app.create_key(
        &t.key,
        &t.user,
        json!({"active_until": "2100-01-01T00:00:00Z"}),
    );
    app.execute_sql(&format!(
        "UPDATE api_keys SET active_until = now() - interval '1 millisecond' WHERE prefix = '{}'",
        &expired[..12]
    ));
    app.get("/orgs", &expired).assert_problem(401);
    let log = app.get(
        &format!("/orgs/{}/access_log?action=API_KEY&status=FAILURE", t.org),
        &t.key,
    );
    assert_eq!(
        log.body["data"].as_array().unwrap().len(),
        2,
        "{}",
        log.text
    );
}

#[test]
fn deleting_an_organization_never_deletes_a_platform_admin_behind_their_back() {
    let app = TestApp::spawn();
    let acme = app.tenant("Acme", None, "admin");
    let team = app.create_org(&acme.key, json!({"name": "Team"}));
    let team_id = team["id"].as_str().unwrap();
    app.create_user(&app.admin_key, team_id, "op@acme.example", "platform_admin");
    let before = app.fingerprint_except(&["access_log"]);
    app.delete(&format!("/orgs/{team_id}?cascade=true"), &acme.key)
        .assert_problem(403);
    assert_eq!(app.fingerprint_except(&["access_log"]), before);
    assert_eq!(
        app.delete(&format!("/orgs/{team_id}"), &app.admin_key)
            .status,
        200,
        "a platform admin may"
    );
}

#[test]
fn children_audit_shows_what_happened_below() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let child = app.create_org(&t.key, json!({"name": "Acme Team"}));
    let child_id = child["id"].as_str().unwrap();
    app.patch(
        &format!("/orgs/{child_id}"),
        &t.key,
        json!({"city": "Paris"}),
    );
    let below = app.get(&format!("/orgs/{}/children_audit", t.org), &t.key);
    assert_eq!(below.status, 200, "{}", below.text);
    let actions: Vec<&str> = below.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["organization.update", "organization.create"]);
    assert_eq!(below.body["data"][0]["organization_id"], json!(child_id));
    assert_eq!(below.body["data"][0]["actor"], json!(t.email));
    let own = app.get(&format!("/orgs/{}/audit_log", t.org), &t.key);
    assert!(own.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["organization_id"] == json!(t.org)));
    let paged = app.get(&format!("/orgs/{}/children_audit?limit=1", t.org), &t.key);
    let next = paged.body["next_cursor"].as_str().unwrap();
    let second = app.get(
        &format!("/orgs/{}/children_audit?limit=1&cursor={next}", t.org),
        &t.key,
    );
    assert_eq!(second.body["data"][0]["action"], "organization.create");
}

#[test]
fn a_tenant_admin_cannot_take_over_a_platform_administrator() {
    let app = TestApp::spawn();
    let insider = app.create_user(
        &app.admin_key,
        &app.platform_id,
        "ops-admin@platform.example",
        "admin",
    );
    let insider_key = app.create_key(&app.admin_key, &insider, json!({}));
    let pa = &app.admin_user_id;
    app.get("/orgs", &insider_key);
    let before = app.fingerprint_except(&["access_log"]);
    app.post(&format!("/users/{pa}/api_keys"), &insider_key, json!({}))
        .assert_problem(403);
    app.patch(
        &format!("/users/{pa}"),
        &insider_key,
        json!({"password": "a brand new password"}),
    )
    .assert_problem(403);
    app.patch(
        &format!("/users/{pa}"),
        &insider_key,
        json!({"roles": ["admin"]}),
    )
    .assert_problem(403);
    app.patch(
        &format!("/users/{insider}"),
        &insider_key,
        json!({"roles": ["platform_admin"]}),
    )
    .assert_problem(403);
    app.delete(&format!("/users/{pa}"), &insider_key)
        .assert_problem(403);
    assert_eq!(app.fingerprint_except(&["access_log"]), before);
    // Reading is fine.
    assert_eq!(app.get(&format!("/users/{pa}"), &insider_key).status, 200);
}

#[test]
fn an_admin_sets_the_limits_below_it_but_never_its_own() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let team = app.create_org(&t.key, json!({"name": "Team", "limit": 500}));
    assert_eq!(team["limit"], 500);
    let r = app.patch(
        &format!("/orgs/{}", team["id"].as_str().unwrap()),
        &t.key,
        json!({"limit": 1000}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    app.patch(&format!("/orgs/{}", t.org), &t.key, json!({"limit": null}))
        .assert_problem(403);
    let own = app.patch(
        &format!("/orgs/{}", t.org),
        &app.admin_key,
        json!({"limit": 10}),
    );
    assert_eq!(
        own.body["limit"], 10,
        "a platform administrator sets anyone's limit"
    );
}

#[test]
fn a_new_password_for_oneself_needs_the_current_one() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let path = format!("/users/{}", t.user);
    let before = app.fingerprint_except(&["access_log", "api_keys"]);
    let missing = app.patch(&path, &t.key, json!({"password": "a brand new password"}));
    missing.assert_problem(400);
    assert_eq!(missing.body["errors"][0]["field"], "current_password");
    app.patch(
        &path,
        &t.key,
        json!({"password": "a brand new password", "current_password": "wrong one"}),
    )
    .assert_problem(400);
    assert_eq!(app.fingerprint_except(&["access_log", "api_keys"]), before);
    let elsewhere = app.login(&t.email, &t.password);
    let here = app.login(&t.email, &t.password);
    let ok = app.patch(
        &path,
        &here,
        json!({"password": "a brand new password", "current_password": t.password}),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    app.login(&t.email, "a brand new password");
    app.get("/orgs", &elsewhere).assert_problem(401);
    assert_eq!(
        app.get("/orgs", &here).status,
        200,
        "the session that changed the password stays"
    );
    assert_eq!(app.get("/orgs", &t.key).status, 200, "API keys stay");
}

#[test]
fn changing_the_email_unverifies_it() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let jane = app.create_user(&t.key, &t.org, "jane@acme.example", "member");
    let jane_key = app.create_key(&t.key, &jane, json!({}));
    assert_eq!(
        app.patch(
            &format!("/users/{jane}"),
            &t.key,
            json!({"verified_email": true})
        )
        .body["verified_email"],
        true
    );
    let r = app.patch(
        &format!("/users/{jane}"),
        &jane_key,
        json!({"email": "jane@elsewhere.example"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["verified_email"], false);
}

#[test]
fn bad_user_changes_are_refused_and_change_nothing() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let jane = app.create_user(&t.key, &t.org, "jane@acme.example", "member");
    let path = format!("/users/{jane}");
    let other = app.tenant("Globex", None, "admin");
    app.get("/orgs", &t.key);
    let before = app.fingerprint();
    for (body, status, field) in [
        (json!({"email": "nope"}), 400, Some("email")),
        (json!({"email": t.email.to_uppercase()}), 409, None),
        (json!({"name": ""}), 400, Some("name")),
        (json!({"roles": ["boss"]}), 400, Some("roles[0]")),
        (
            json!({"verified_email": "yes"}),
            400,
            Some("verified_email"),
        ),
        (
            json!({"current_organization_id": other.org}),
            400,
            Some("current_organization_id"),
        ),
        (
            json!({"current_organization_id": uuid::Uuid::new_v4()}),
            400,
            Some("current_organization_id"),
        ),
        (json!({"shoe_size": 44}), 400, None),
    ] {
        let r = app.patch(&path, &t.key, body.clone());
        r.assert_problem(status);
        if let Some(field) = field {
            assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.text);
        }
        assert_eq!(app.fingerprint(), before, "{body} changed the database");
    }
    let auth = format!("Bearer {}", t.key);
    app.raw(
        "PATCH",
        &path,
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        b"{}",
    )
    .assert_problem(415);
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(300_000));
    app.raw(
        "PATCH",
        &path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        big.as_bytes(),
    )
    .assert_problem(413);
    app.raw(
        "POST",
        &format!("/users/{jane}/api_keys"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        big.as_bytes(),
    )
    .assert_problem(413);
    app.raw(
        "POST",
        &format!("/users/{jane}/api_keys"),
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        b"{}",
    )
    .assert_problem(415);
    app.raw(
        "POST",
        "/auth/login",
        &[("Content-Type", "application/json")],
        b"{\"email\":",
    )
    .assert_problem(400);
    assert_eq!(app.fingerprint(), before);
}

#[test]
fn users_of_a_deleted_organization_can_no_longer_authenticate() {
    let app = TestApp::spawn();
    let acme = app.tenant("Acme", None, "admin");
    let team = app.tenant("Acme Team", Some(&acme.org), "admin");
    let token = app.login(&team.email, &team.password);
    assert_eq!(app.get("/orgs", &team.key).status, 200);
    assert_eq!(
        app.delete(&format!("/orgs/{}", team.org), &acme.key).status,
        200
    );
    app.get("/orgs", &team.key).assert_problem(401);
    app.get("/orgs", &token).assert_problem(401);
    app.call(
        "POST",
        "/auth/login",
        None,
        Some(&json!({"email": team.email, "password": team.password})),
    )
    .assert_problem(401);
}

#[test]
fn login_and_logout_are_in_the_audit_log() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let token = app.login(&t.email, &t.password);
    app.call("POST", "/auth/logout", Some(&token), None);
    let log = app.get(&format!("/orgs/{}/audit_log", t.org), &t.key);
    let actions: Vec<&str> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(&actions[..2], &["session.revoke", "session.create"]);
    assert_eq!(log.body["data"][0]["actor"], json!(t.email));
}

#[test]
fn the_access_log_pages_newest_first() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    for _ in 0..3 {
        app.call(
            "POST",
            "/auth/login",
            None,
            Some(&json!({"email": t.email, "password": "wrong password!"})),
        );
    }
    let mut seen = Vec::new();
    let mut path = format!("/orgs/{}/access_log?action=LOGIN&limit=2", t.org);
    loop {
        let page = app.get(&path, &t.key);
        assert_eq!(page.status, 200, "{}", page.text);
        seen.extend(
            page.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["timestamp"].as_str().unwrap().to_owned()),
        );
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/orgs/{}/access_log?action=LOGIN&limit=2&cursor={c}", t.org),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first");
    let future = app.get(
        &format!("/orgs/{}/access_log?from=2100-01-01T00:00:00Z", t.org),
        &t.key,
    );
    assert!(future.body["data"].as_array().unwrap().is_empty());
}

#[test]
fn the_platform_organization_is_never_deleted() {
    let app = TestApp::spawn();
    let acme = app.tenant("Acme", None, "admin");
    let op = app.create_user(
        &app.admin_key,
        &acme.org,
        "op@acme.example",
        "platform_admin",
    );
    let op_key = app.create_key(&app.admin_key, &op, json!({}));
    app.delete(&format!("/orgs/{}?cascade=true", app.platform_id), &op_key)
        .assert_problem(409);
}

#[test]
fn parallel_guesses_cannot_outrun_the_throttle() {
    let app = TestApp::spawn_with(&[("ORGPLANE__AUTH__LOGIN_MAX_FAILURES_PER_EMAIL", "3")]);
    let t = app.tenant("Acme", None, "admin");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let guesses: Vec<_> = (0..8)
            .map(|i| {
                let (app, email) = (&app, &t.email);
                s.spawn(move || {
                    let body = json!({"email": email, "password": format!("guess number {i}")});
                    app.call("POST", "/auth/login", None, Some(&body)).status
                })
            })
            .collect();
        guesses
            .into_iter()
            .map(|g| g.join().expect("guess"))
            .collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "{statuses:?}"
    );
}

#[test]
fn every_mutation_route_writes_its_audit_entry() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let started = app
        .get(&format!("/orgs/{}/audit_log?limit=1", t.org), &t.key)
        .body["data"][0]["timestamp"]
        .as_str()
        .unwrap()
        .to_owned();
    let team = app.create_org(&t.key, json!({"name": "Team"}));
    let team_id = team["id"].as_str().unwrap();
    app.patch(&format!("/orgs/{team_id}"), &t.key, json!({"city": "Oslo"}));
    app.put(
        &format!("/orgs/{team_id}/customizations"),
        &t.key,
        json!({"customizations": {"a": 1}}),
    );
    let jane = app.create_user(&t.key, &t.org, "jane@acme.example", "member");
    app.patch(
        &format!("/users/{jane}"),
        &t.key,
        json!({"name": "Jane Doe"}),
    );
    let key = app.post(&format!("/users/{jane}/api_keys"), &t.key, json!({}));
    app.delete(
        &format!("/api_keys/{}", key.body["id"].as_str().unwrap()),
        &t.key,
    );
    app.delete(&format!("/users/{jane}"), &t.key);
    app.delete(&format!("/orgs/{team_id}"), &t.key);

    let actions = |path: String| -> Vec<String> {
        let r = app.get(&path, &t.key);
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    let own = actions(format!(
        "/orgs/{}/audit_log?from={started}&limit=100",
        t.org
    ));
    // The oldest is the tenant's own key, created exactly at `from`: `from` is inclusive.
    assert_eq!(
        own,
        vec![
            "user.delete",
            "api_key.revoke",
            "api_key.create",
            "user.update",
            "user.create",
            "api_key.create"
        ]
    );
    let below = actions(format!("/orgs/{}/children_audit", t.org));
    assert_eq!(
        below,
        vec![
            "organization.delete",
            "organization.customizations.update",
            "organization.update",
            "organization.create"
        ]
    );
    // `to` is exclusive, `from` inclusive.
    assert_eq!(
        actions(format!("/orgs/{}/audit_log?to={started}", t.org)),
        vec!["user.create", "organization.create"]
    );
    app.get(
        &format!(
            "/orgs/{}/audit_log?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
            t.org
        ),
        &t.key,
    )
    .assert_problem(400);
}

#[test]
fn wrong_current_passwords_count_against_the_client_too() {
    let app = TestApp::spawn_with(&[("ORGPLANE__AUTH__LOGIN_MAX_FAILURES_PER_CLIENT", "2")]);
    let t = app.tenant("Acme", None, "admin");
    let other = app.tenant("Globex", None, "admin");
    for _ in 0..2 {
        let body = json!({"password": "a brand new password", "current_password": "a wrong guess"});
        app.patch(&format!("/users/{}", t.user), &t.key, body)
            .assert_problem(400);
    }
    // Same client (127.0.0.1), another address: the client has used up its failures.
    let r = app.call(
        "POST",
        "/auth/login",
        None,
        Some(&json!({"email": other.email, "password": other.password})),
    );
    r.assert_problem(429);
    let log = app.get(
        &format!("/orgs/{}/access_log?status=FAILURE", t.org),
        &t.key,
    );
    assert!(
        log.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["client_ip"] == "127.0.0.1"),
        "{}",
        log.text
    );
}

#[test]
fn bad_log_queries_and_login_bodies_are_refused() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    app.get("/orgs", &t.key);
    let before = app.fingerprint();
    for (path, field) in [
        (
            format!("/orgs/{}/access_log?action=TELEPORT", t.org),
            Some("action"),
        ),
        (
            format!("/orgs/{}/audit_log?from=yesterday", t.org),
            Some("from"),
        ),
        (
            format!("/orgs/{}/children_audit?to=soon", t.org),
            Some("to"),
        ),
        (
            format!("/orgs/{}/audit_log?limit=1000", t.org),
            Some("limit"),
        ),
        (
            format!("/orgs/{}/access_log?cursor=nope", t.org),
            Some("cursor"),
        ),
        (format!("/users/{}/api_keys?limit=0", t.user), Some("limit")),
        (format!("/orgs/{}/users?cursor=nope", t.org), Some("cursor")),
    ] {
        let r = app.get(&path, &t.key);
        r.assert_problem(400);
        assert_eq!(
            r.body["errors"][0]["field"],
            json!(field),
            "{path}: {}",
            r.text
        );
    }
    for (body, field) in [
        (json!({"email": t.email}), None),
        (
            json!({"email": t.email, "password": "x", "remember": true}),
            None,
        ),
        (json!({"email": 42, "password": "x"}), Some("email")),
        (
            json!({"email": format!("{}@acme.example", "a".repeat(300)), "password": "x"}),
            Some("email"),
        ),
    ] {
        let r = app.call("POST", "/auth/login", None, Some(&body));
        r.assert_problem(400);
        if let Some(field) = field {
            assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
        }
    }
    assert_eq!(
        app.fingerprint(),
        before,
        "bad queries and bodies change nothing, not even the access log"
    );
}
