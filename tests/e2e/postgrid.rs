//! Seed 001, PostGrid-style sub-organizations: the seed's examples as printed, PostGrid's
//! official Python client unchanged, and every bad input.

use orgplane_e2e::{Response, TestApp};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn postgrid(app: &TestApp, method: &str, path: &str, key: &str, body: Option<Value>) -> Response {
    let text = body.map(|b| b.to_string()).unwrap_or_default();
    app.raw(
        method,
        &format!("/print-mail/v1/sub_organizations{path}"),
        &[("X-API-Key", key), ("Content-Type", "application/json")],
        text.as_bytes(),
    )
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

#[track_caller]
fn assert_postgrid_error(r: &Response, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(keys(&r.body), vec!["error"], "{}", r.text);
    assert_eq!(
        keys(&r.body["error"]),
        vec!["message", "type"],
        "{}",
        r.text
    );
}

fn is_millis_z(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    s.len() == 24 && s.ends_with('Z') && s.as_bytes()[19] == b'.'
}

#[test]
fn the_seed_examples_answer_as_printed() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    // The seed's create, with a credential added.
    let created = postgrid(
        &app,
        "POST",
        "",
        &t.key,
        Some(
            json!({"countryCode": "CA", "email": "suborg@postgrid.com", "name": "Calvin",
                    "organizationName": "PostGrid", "password": "very-strong-password"}),
        ),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(keys(&created.body), vec!["subOrganization", "user"]);
    let user = &created.body["user"];
    assert_eq!(
        keys(user),
        vec![
            "apiKeys",
            "email",
            "emailPreferences",
            "id",
            "name",
            "organization",
            "pendingInvite",
            "roles",
            "verifiedEmail"
        ]
    );
    assert!(user["id"].as_str().unwrap().starts_with("user_"));
    assert_eq!(user["pendingInvite"], false);
    assert_eq!(user["verifiedEmail"], true);
    assert_eq!(user["email"], "suborg@postgrid.com");
    assert_eq!(user["name"], "Calvin");
    assert_eq!(user["roles"], json!(["admin"]));
    let values: Vec<&str> = user["apiKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["value"].as_str().unwrap())
        .collect();
    assert_eq!(values.len(), 2);
    assert!(values[0].starts_with("live_") && values[1].starts_with("test_"));
    let sub = &created.body["subOrganization"];
    assert_eq!(
        keys(sub),
        vec![
            "countryCode",
            "createdAt",
            "id",
            "limit",
            "name",
            "object",
            "spend",
            "updatedAt",
            "usage"
        ]
    );
    assert_eq!(sub["object"], "sub_org");
    assert_eq!(sub["name"], "PostGrid");
    assert_eq!(sub["countryCode"], "CA");
    assert_eq!(
        (
            sub["usage"].clone(),
            sub["limit"].clone(),
            sub["spend"].clone()
        ),
        (json!(0), json!(500), json!(0))
    );
    assert!(
        is_millis_z(&sub["createdAt"]) && is_millis_z(&sub["updatedAt"]),
        "{sub}"
    );
    let id = sub["id"].as_str().unwrap();
    assert_eq!(user["organization"], id.replace("sub_org_", "org_"));
    // It is a sub-organization of the caller's, on the canonical surface too.
    let uuid = uuid::Uuid::parse_str(&id["sub_org_".len()..]).unwrap();
    let canonical = app.get(&format!("/orgs/{uuid}"), &t.key);
    assert_eq!(canonical.body["parent_id"], json!(t.org));
    assert_eq!(canonical.body["limit"], 500);
    // The new key works, the value is nowhere else.
    let live = values[0];
    assert_eq!(app.get(&format!("/orgs/{uuid}"), live).status, 200);
    let listed_keys = app.get(
        &format!(
            "/users/{}/api_keys",
            &user["id"].as_str().unwrap()["user_".len()..]
        ),
        &t.key,
    );
    assert!(!listed_keys.text.contains(live));

    // The seed's list.
    let list = postgrid(&app, "GET", "", &t.key, None);
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(
        keys(&list.body),
        vec!["data", "limit", "object", "skip", "totalCount"]
    );
    assert_eq!(list.body["object"], "list");
    assert_eq!(
        (list.body["limit"].clone(), list.body["skip"].clone()),
        (json!(10), json!(0))
    );
    assert_eq!(list.body["totalCount"], 1);
    assert_eq!(list.body["data"][0], *sub);
    // The seed's get.
    let got = postgrid(&app, "GET", &format!("/{id}"), &t.key, None);
    assert_eq!(got.status, 200);
    assert_eq!(got.body, *sub);
    // The seed's users list: a bare array, without keys.
    let users = postgrid(&app, "GET", &format!("/{id}/users"), &t.key, None);
    assert_eq!(users.status, 200);
    let users = users.body.as_array().expect("a bare array").clone();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["id"], user["id"]);
    assert!(users[0].get("apiKeys").is_none());
}

#[test]
fn usage_and_spend_come_from_the_counters() {
    let app = TestApp::spawn_with(&[("ORGPLANE__BILLING__SUB_ORGANIZATION_LIMIT", "10")]);
    let t = app.tenant("Acme", None, "admin");
    let created = postgrid(
        &app,
        "POST",
        "",
        &t.key,
        Some(
            json!({"countryCode": "DE", "email": "o@sub.example", "name": "O",
                    "organizationName": "Sub", "password": "very-strong-password"}),
        ),
    );
    let sub_id = created.body["subOrganization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uuid = &sub_id["sub_org_".len()..];
    let key = created.body["user"]["apiKeys"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let org = uuid::Uuid::parse_str(uuid).unwrap().to_string();
    let infra = app.infrastructure(&key, &org, "192.0.2.1");
    let r = app.post(
        "/events",
        &key,
        json!({"events": [{"server_id": infra.server, "type": "sent", "ip_address": "192.0.2.1", "count": 2010}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let got = postgrid(&app, "GET", &format!("/{sub_id}"), &t.key, None);
    assert_eq!(got.body["usage"], 2010);
    assert_eq!(got.body["limit"], 10);
    // 2,000 beyond the limit at 50 cents per 1,000 (config/default.toml).
    assert_eq!(got.body["spend"], 100);
}

#[test]
fn bad_input_answers_postgrid_errors_and_changes_nothing() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let other = app.tenant("Globex", None, "admin");
    let theirs = postgrid(
        &app,
        "POST",
        "",
        &other.key,
        Some(
            json!({"countryCode": "FR", "email": "x@globex.example", "name": "X",
                    "organizationName": "Globex Sub", "password": "very-strong-password"}),
        ),
    );
    let theirs = theirs.body["subOrganization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let good = json!({"countryCode": "CA", "email": "a@b.example", "name": "A", "organizationName": "B", "password": "very-strong-password"});
    let with = |field: &str, value: Value| {
        let mut b = good.clone();
        b[field] = value;
        b
    };
    let before = app.fingerprint_except(&["access_log"]);
    let unchanged =
        |what: &str| assert_eq!(app.fingerprint_except(&["access_log"]), before, "{what}");
    for (what, body, field) in [
        (
            "country unknown",
            with("countryCode", json!("XX")),
            "countryCode",
        ),
        ("email malformed", with("email", json!("nope")), "email"),
        (
            "password short",
            with("password", json!("short")),
            "password",
        ),
        (
            "name blank",
            with("organizationName", json!("  ")),
            "organizationName",
        ),
        (
            "phone malformed",
            with("phoneNumber", json!("call me")),
            "phoneNumber",
        ),
        ("wrong type", with("name", json!(42)), "name"),
        ("unknown field", with("plan", json!("gold")), "plan"),
    ] {
        let r = postgrid(&app, "POST", "", &t.key, Some(body));
        assert_postgrid_error(&r, 400);
        assert_eq!(r.body["error"]["type"], "validation_error");
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(field),
            "{what}: {}",
            r.text
        );
        unchanged(what);
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("email");
    let r = postgrid(&app, "POST", "", &t.key, Some(missing));
    assert_postgrid_error(&r, 400);
    assert!(r.text.contains("email"));
    let malformed = app.raw(
        "POST",
        "/print-mail/v1/sub_organizations",
        &[("X-API-Key", &t.key), ("Content-Type", "application/json")],
        b"{\"countryCode\": ",
    );
    assert_postgrid_error(&malformed, 400);
    for query in [
        "?limit=0",
        "?limit=101",
        "?limit=x",
        "?skip=-1",
        "?search=%00",
    ] {
        assert_postgrid_error(&postgrid(&app, "GET", query, &t.key, None), 400);
    }
    // Unknown, malformed and another tenant's ids are all just "not found".
    let unknown = postgrid(
        &app,
        "GET",
        &format!("/sub_org_{}", "0".repeat(32)),
        &t.key,
        None,
    );
    assert_postgrid_error(&unknown, 404);
    for id in ["nope", "sub_org_abc123def456ghi6789", &theirs] {
        let r = postgrid(&app, "GET", &format!("/{id}"), &t.key, None);
        assert_postgrid_error(&r, 404);
        assert_eq!(r.body, unknown.body, "{id} reads like an unknown id");
        let r = postgrid(&app, "GET", &format!("/{id}/users"), &t.key, None);
        assert_postgrid_error(&r, 404);
    }
    // Another tenant's sub-organizations never appear in a list or a search.
    let listed = postgrid(&app, "GET", "?search=Globex", &t.key, None);
    assert_eq!(listed.body["totalCount"], 0);
    assert!(!listed.text.contains(&theirs));
    // No key, a bad key.
    let r = app.raw("GET", "/print-mail/v1/sub_organizations", &[], b"");
    assert_postgrid_error(&r, 401);
    assert_postgrid_error(
        &postgrid(&app, "GET", "", &format!("live_{}", "0".repeat(64)), None),
        401,
    );
    // A viewer may not create; a wrong method or path answers in PostGrid's shape.
    let viewer = app.create_user(&t.key, &t.org, "viewer@acme.example", "viewer");
    let viewer_key = app.create_key(&t.key, &viewer, json!({}));
    app.get("/orgs", &viewer_key);
    let before = app.fingerprint_except(&["access_log"]);
    assert_postgrid_error(
        &postgrid(&app, "POST", "", &viewer_key, Some(good.clone())),
        403,
    );
    assert_postgrid_error(&postgrid(&app, "DELETE", "", &t.key, None), 405);
    assert_postgrid_error(&postgrid(&app, "GET", "/x/y/z", &t.key, None), 404);
    assert_eq!(app.fingerprint_except(&["access_log"]), before);
}

#[test]
fn the_official_python_client_works_unchanged() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let env = Command::new(root.join("scripts/python-env.sh"))
        .output()
        .expect("scripts/python-env.sh runs");
    assert!(
        env.status.success(),
        "the Python environment could not be made: {}",
        String::from_utf8_lossy(&env.stderr)
    );
    let python = String::from_utf8_lossy(&env.stdout).trim().to_owned();
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let run = Command::new(python)
        .arg(root.join("tests/clients/postgrid_client.py"))
        .env("ORGPLANE_URL", &app.base)
        .env("ORGPLANE_KEY", &t.key)
        .output()
        .expect("the client script runs");
    let out = String::from_utf8_lossy(&run.stdout);
    println!("{out}");
    assert!(
        run.status.success(),
        "PostGrid's client failed:\n{out}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.contains("all checks passed"));
}
