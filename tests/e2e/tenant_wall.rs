//! The tenant wall: every route that takes an object id, probed with credentials that
//! must not reach that object. A route added later joins by adding one line to `ROUTES`.

use orgplane_e2e::{Tenant, TestApp};
use serde_json::{json, Value};

/// (method, path template, body, writes?). `{org}`, `{user}` and `{key}` are the victim's
/// organization, user and API key.
const ROUTES: &[(&str, &str, Option<&str>, bool)] = &[
    ("GET", "/orgs/{org}", None, false),
    (
        "PATCH",
        "/orgs/{org}",
        Some(r#"{"name": "Hijacked"}"#),
        true,
    ),
    ("DELETE", "/orgs/{org}", None, true),
    ("GET", "/orgs/{org}/children", None, false),
    ("GET", "/orgs/{org}/customizations", None, false),
    (
        "PUT",
        "/orgs/{org}/customizations",
        Some(r#"{"customizations": {"x": 1}}"#),
        true,
    ),
    ("GET", "/orgs/{org}/access_log", None, false),
    ("GET", "/orgs/{org}/audit_log", None, false),
    ("GET", "/orgs/{org}/children_audit", None, false),
    ("GET", "/orgs/{org}/users", None, false),
    (
        "POST",
        "/orgs/{org}/users",
        Some(
            r#"{"email": "intruder@evil.example", "name": "I", "password": "long enough password"}"#,
        ),
        true,
    ),
    ("GET", "/orgs?parent_id={org}", None, false),
    (
        "POST",
        "/orgs",
        Some(r#"{"name": "Squatter", "parent_id": "{org}"}"#),
        true,
    ),
    ("GET", "/users/{user}", None, false),
    (
        "PATCH",
        "/users/{user}",
        Some(r#"{"name": "Hijacked"}"#),
        true,
    ),
    ("DELETE", "/users/{user}", None, true),
    ("GET", "/users/{user}/api_keys", None, false),
    ("POST", "/users/{user}/api_keys", Some("{}"), true),
    ("DELETE", "/api_keys/{key}", None, true),
];

struct Victim {
    tenant: Tenant,
    key_id: String,
}

fn fill(template: &str, v: &Victim) -> String {
    template
        .replace("{org}", &v.tenant.org)
        .replace("{user}", &v.tenant.user)
        .replace("{key}", &v.key_id)
}

fn probe(
    app: &TestApp,
    credential: &str,
    route: &(&str, &str, Option<&str>, bool),
    victim: &Victim,
) -> u16 {
    let (method, path, body, _) = route;
    let body: Option<Value> =
        body.map(|b| serde_json::from_str(&fill(b, victim)).expect("route body"));
    app.call(method, &fill(path, victim), Some(credential), body.as_ref())
        .status
}

#[test]
fn no_credential_reaches_beside_above_or_after_its_life() {
    let app = TestApp::spawn();
    // victim: Acme; attacker from beside (Globex) and from below (Acme's own sub-organization).
    let acme = app.tenant("Acme", None, "admin");
    let r = app.post(
        &format!("/users/{}/api_keys", acme.user),
        &acme.key,
        json!({}),
    );
    let victim = Victim {
        key_id: r.body["id"].as_str().unwrap().to_owned(),
        tenant: acme.clone(),
    };
    let sibling = app.tenant("Globex", None, "admin");
    let child = app.tenant("Acme Team", Some(&acme.org), "admin");

    // Dead credentials of someone who could otherwise reach everything of Acme.
    let revoked = app.post(
        &format!("/users/{}/api_keys", acme.user),
        &acme.key,
        json!({}),
    );
    app.delete(
        &format!("/api_keys/{}", revoked.body["id"].as_str().unwrap()),
        &acme.key,
    );
    let revoked = revoked.body["value"].as_str().unwrap().to_owned();
    let session = app.call(
        "POST",
        "/auth/login",
        None,
        Some(&json!({"email": acme.email, "password": acme.password})),
    );
    let logged_out = session.body["token"].as_str().unwrap().to_owned();
    app.call("POST", "/auth/logout", Some(&logged_out), None);
    let expired = app.create_key(
        &acme.key,
        &acme.user,
        json!({"active_until": "2100-01-01T00:00:00Z"}),
    );
    app.execute_sql(&format!(
        "UPDATE api_keys SET active_until = now() - interval '1 second' WHERE prefix = '{}'",
        &expired[..12]
    ));
    let test_key = app.create_key(&acme.key, &acme.user, json!({"mode": "test"}));
    let sibling_session = app.login(&sibling.email, &sibling.password);

    // First use of a key stamps `last_used_at`: do it before the fingerprint.
    for key in [&sibling.key, &child.key, &test_key, &sibling_session] {
        assert_eq!(app.get("/orgs", key).status, 200);
    }
    let before = app.fingerprint_except(&["access_log"]);

    let mut probed = 0;
    for route in ROUTES {
        let what = format!("{} {}", route.0, route.1);
        assert_eq!(
            probe(&app, &sibling.key, route, &victim),
            404,
            "sibling reached {what}"
        );
        assert_eq!(
            probe(&app, &sibling_session, route, &victim),
            404,
            "sibling's session reached {what}"
        );
        assert_eq!(
            probe(&app, &child.key, route, &victim),
            404,
            "child reached its parent via {what}"
        );
        assert_eq!(
            probe(&app, &revoked, route, &victim),
            401,
            "revoked key used {what}"
        );
        assert_eq!(
            probe(&app, &expired, route, &victim),
            401,
            "expired key used {what}"
        );
        assert_eq!(
            probe(&app, &logged_out, route, &victim),
            401,
            "ended session used {what}"
        );
        let test_key_status = probe(&app, &test_key, route, &victim);
        if route.3 {
            assert_eq!(test_key_status, 403, "test key changed {what}");
        } else {
            assert_eq!(test_key_status, 200, "test key could not read {what}");
        }
        probed += 1;
        assert_eq!(
            app.fingerprint_except(&["access_log"]),
            before,
            "{what} changed the database"
        );
    }
    println!("tenant wall: probed {probed} (route, method) pairs");

    // Out of reach reads exactly like missing: same status, same body.
    let ghost = Victim {
        tenant: Tenant {
            org: uuid::Uuid::new_v4().to_string(),
            user: uuid::Uuid::new_v4().to_string(),
            ..acme.clone()
        },
        key_id: uuid::Uuid::new_v4().to_string(),
    };
    for route in ROUTES {
        let (method, path, body, _) = route;
        let call = |v: &Victim| {
            let body: Option<Value> =
                body.map(|b| serde_json::from_str(&fill(b, v)).expect("route body"));
            app.call(method, &fill(path, v), Some(&sibling.key), body.as_ref())
                .body
        };
        assert_eq!(
            call(&victim),
            call(&ghost),
            "{method} {path} tells a hidden object from a missing one"
        );
    }

    // The victim itself still reaches everything (the probes were refused, not broken).
    assert_eq!(
        app.get(&format!("/orgs/{}", acme.org), &acme.key).status,
        200
    );
    assert_eq!(
        app.get(&format!("/orgs/{}", child.org), &acme.key).status,
        200,
        "a parent reaches its children"
    );
}

/// Every route of the OpenAPI document that takes an id is in `ROUTES`: a new route cannot
/// skip the tenant wall.
#[test]
fn every_route_with_an_id_is_in_the_matrix() {
    let app = TestApp::spawn();
    let spec = app.call("GET", "/openapi.json", None, None).body;
    let covered: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _, _)| {
            let path = p.split('?').next().unwrap_or(p);
            let path = path
                .replace("{org}", "{org_id}")
                .replace("{user}", "{user_id}")
                .replace("{key}", "{key_id}");
            (m.to_ascii_lowercase(), path)
        })
        .collect();
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        if !path.contains('{') {
            continue;
        }
        for method in item.as_object().expect("methods").keys() {
            if !covered.contains(&(method.clone(), path.clone())) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from the tenant-wall matrix: {missing:?}"
    );
}

#[test]
fn out_of_reach_lists_hide_other_tenants() {
    let app = TestApp::spawn();
    let acme = app.tenant("Acme", None, "admin");
    let globex = app.tenant("Globex", None, "admin");
    let team = app.tenant("Acme Team", Some(&acme.org), "admin");
    let ids = |key: &str| -> Vec<String> {
        app.get("/orgs", key).body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&acme.key), vec![acme.org.clone(), team.org.clone()]);
    assert_eq!(ids(&team.key), vec![team.org.clone()]);
    assert_eq!(ids(&globex.key), vec![globex.org.clone()]);
    assert!(app.get("/orgs?search=acme", &globex.key).body["data"]
        .as_array()
        .unwrap()
        .is_empty());
}
