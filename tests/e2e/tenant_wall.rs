//! The tenant wall: every route that names an object (in its path or its body), probed
//! with credentials that must not reach that object. A route added later joins by adding
//! one line to `ROUTES`; a documented route that takes an id and is missing fails
//! `every_route_with_an_id_is_in_the_matrix`.

use orgplane_e2e::{Infrastructure, Response, Tenant, TestApp};
use serde_json::{json, Value};

/// How a route answers, by the surface it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// Problem details; out of reach is 404.
    Canonical,
    /// `POST /events`: a server out of reach is refused like an unknown one, as an
    /// invalid event (400).
    Events,
    /// Postal's envelope (HTTP 200); out of reach is `InvalidOrganization`.
    Postal,
    /// PostGrid's errors; out of reach is 404.
    Postgrid,
    /// msndr's errors; out of reach is 404.
    Msndr,
}

/// What a route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Reads: a test-mode key may.
    Reads,
    /// Changes configuration: a test-mode key may not (403).
    Writes,
    /// Reports events: a test-mode key may, and nothing counts.
    Reports,
}

/// `{org}`, `{user}`, `{key}`, `{server}`, `{pool}`, `{address}` are the victim's, and so
/// are `{sub_org}` (its PostGrid id) and `{org_key}` (its integer id).
struct Route {
    method: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    effect: Effect,
    surface: Surface,
}

const fn route(
    method: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    effect: Effect,
) -> Route {
    Route {
        method,
        path,
        body,
        effect,
        surface: Surface::Canonical,
    }
}

use Effect::{Reads, Reports, Writes};

const ROUTES: &[Route] = &[
    route("GET", "/orgs/{org}", None, Reads),
    route(
        "PATCH",
        "/orgs/{org}",
        Some(r#"{"name": "Hijacked"}"#),
        Writes,
    ),
    route(
        "PATCH",
        "/orgs/{org}",
        Some(r#"{"suspended": true}"#),
        Writes,
    ),
    route("DELETE", "/orgs/{org}", None, Writes),
    route("GET", "/orgs/{org}/children", None, Reads),
    route("GET", "/orgs/{org}/customizations", None, Reads),
    route(
        "PUT",
        "/orgs/{org}/customizations",
        Some(r#"{"customizations": {"x": 1}}"#),
        Writes,
    ),
    route("GET", "/orgs/{org}/access_log", None, Reads),
    route("GET", "/orgs/{org}/audit_log", None, Reads),
    route("GET", "/orgs/{org}/children_audit", None, Reads),
    route("GET", "/orgs/{org}/consumption", None, Reads),
    route("GET", "/orgs/{org}/statistics", None, Reads),
    route("GET", "/orgs/{org}/ip_allocation", None, Reads),
    route("GET", "/orgs/{org}/tree", None, Reads),
    route("GET", "/orgs/{org}/users", None, Reads),
    route(
        "POST",
        "/orgs/{org}/users",
        Some(
            r#"{"email": "intruder@evil.example", "name": "I", "password": "long enough password"}"#,
        ),
        Writes,
    ),
    route("GET", "/orgs?parent_id={org}", None, Reads),
    route(
        "POST",
        "/orgs",
        Some(r#"{"name": "Squatter", "parent_id": "{org}"}"#),
        Writes,
    ),
    route("GET", "/users/{user}", None, Reads),
    route(
        "PATCH",
        "/users/{user}",
        Some(r#"{"name": "Hijacked"}"#),
        Writes,
    ),
    route("DELETE", "/users/{user}", None, Writes),
    route("GET", "/users/{user}/api_keys", None, Reads),
    route("POST", "/users/{user}/api_keys", Some("{}"), Writes),
    route("DELETE", "/api_keys/{key}", None, Writes),
    route("GET", "/orgs/{org}/servers", None, Reads),
    route(
        "POST",
        "/orgs/{org}/servers",
        Some(r#"{"name": "Intruder"}"#),
        Writes,
    ),
    route("GET", "/servers/{server}", None, Reads),
    route(
        "PATCH",
        "/servers/{server}",
        Some(r#"{"send_limit": 1}"#),
        Writes,
    ),
    route("DELETE", "/servers/{server}", None, Writes),
    route("GET", "/servers/{server}/sending", None, Reads),
    route("GET", "/orgs/{org}/ip_pools", None, Reads),
    route(
        "POST",
        "/orgs/{org}/ip_pools",
        Some(r#"{"name": "Intruder"}"#),
        Writes,
    ),
    route("GET", "/ip_pools/{pool}", None, Reads),
    route(
        "PATCH",
        "/ip_pools/{pool}",
        Some(r#"{"default": true}"#),
        Writes,
    ),
    route("DELETE", "/ip_pools/{pool}", None, Writes),
    route(
        "PUT",
        "/ip_pools/{pool}/ip_addresses/{address}",
        None,
        Writes,
    ),
    route(
        "DELETE",
        "/ip_pools/{pool}/ip_addresses/{address}",
        None,
        Writes,
    ),
    route("GET", "/orgs/{org}/ip_addresses", None, Reads),
    route(
        "POST",
        "/orgs/{org}/ip_addresses",
        Some(r#"{"ipv4": "203.0.113.66", "hostname": "evil.example.com"}"#),
        Writes,
    ),
    route("GET", "/ip_addresses/{address}", None, Reads),
    route(
        "PATCH",
        "/ip_addresses/{address}",
        Some(r#"{"priority": 1}"#),
        Writes,
    ),
    route("DELETE", "/ip_addresses/{address}", None, Writes),
    Route {
        method: "POST",
        path: "/events",
        body: Some(r#"{"events": [{"server_id": "{server}", "type": "queued", "count": 5}]}"#),
        effect: Reports,
        surface: Surface::Events,
    },
    Route {
        method: "GET",
        path: "/print-mail/v1/sub_organizations/{sub_org}",
        body: None,
        effect: Reads,
        surface: Surface::Postgrid,
    },
    Route {
        method: "GET",
        path: "/print-mail/v1/sub_organizations/{sub_org}/users",
        body: None,
        effect: Reads,
        surface: Surface::Postgrid,
    },
    Route {
        method: "GET",
        path: "/v1/email/organizations/{org_key}",
        body: None,
        effect: Reads,
        surface: Surface::Msndr,
    },
    Route {
        method: "PATCH",
        path: "/v1/email/organizations/{org_key}",
        body: Some(r#"{"city": "Elsewhere"}"#),
        effect: Writes,
        surface: Surface::Msndr,
    },
    Route {
        method: "DELETE",
        path: "/v1/email/organizations/{org_key}",
        body: None,
        effect: Writes,
        surface: Surface::Msndr,
    },
    Route {
        method: "PATCH",
        path: "/v1/email/organizations/{org_key}/current",
        body: None,
        effect: Writes,
        surface: Surface::Msndr,
    },
    Route {
        method: "POST",
        path: "/api/v1/organizations/statistics",
        body: Some(r#"{"uuid": "{org}"}"#),
        effect: Reads,
        surface: Surface::Postal,
    },
    Route {
        method: "POST",
        path: "/api/v1/organizations/ip_allocation",
        body: Some(r#"{"uuid": "{org}"}"#),
        effect: Reads,
        surface: Surface::Postal,
    },
];

struct Victim {
    tenant: Tenant,
    key_id: String,
    org_key: i64,
    infra: Infrastructure,
}

fn fill(template: &str, v: &Victim) -> String {
    template
        .replace("{org}", &v.tenant.org)
        .replace("{user}", &v.tenant.user)
        .replace("{key}", &v.key_id)
        .replace("{server}", &v.infra.server)
        .replace("{pool}", &v.infra.pool)
        .replace("{address}", &v.infra.address)
        .replace(
            "{sub_org}",
            &format!("sub_org_{}", v.tenant.org.replace('-', "")),
        )
        .replace("{org_key}", &v.org_key.to_string())
}

fn probe(app: &TestApp, credential: &str, route: &Route, victim: &Victim) -> Response {
    let body: Option<Value> = route
        .body
        .map(|b| serde_json::from_str(&fill(b, victim)).expect("route body"));
    app.call(
        route.method,
        &fill(route.path, victim),
        Some(credential),
        body.as_ref(),
    )
}

/// The answer of a route to something it cannot reach: exactly what a missing object
/// gets.
fn refused_as_missing(route: &Route, r: &Response) -> bool {
    match route.surface {
        Surface::Canonical => r.status == 404,
        Surface::Postgrid => r.status == 404 && r.body["error"]["type"] == "not_found_error",
        Surface::Msndr => r.status == 404 && r.body["message"] == "Organization not found",
        Surface::Events => r.status == 400 && r.body["errors"][0]["field"] == "events[0].server_id",
        Surface::Postal => {
            r.status == 200
                && r.body["status"] == "error"
                && r.body["data"]["code"] == "InvalidOrganization"
        }
    }
}

fn unauthenticated(route: &Route, r: &Response) -> bool {
    match route.surface {
        Surface::Canonical | Surface::Events | Surface::Postgrid | Surface::Msndr => {
            r.status == 401
        }
        Surface::Postal => r.status == 200 && r.body["data"]["code"] == "AccessDenied",
    }
}

fn succeeded(route: &Route, r: &Response) -> bool {
    match route.surface {
        Surface::Canonical | Surface::Events | Surface::Postgrid | Surface::Msndr => {
            r.status == 200
        }
        Surface::Postal => r.status == 200 && r.body["status"] == "success",
    }
}

/// A body with its timing masked (Postal's `time` differs from call to call).
fn masked(mut body: Value) -> Value {
    if let Some(time) = body.get_mut("time") {
        *time = json!(0);
    }
    body
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
        org_key: app.get("/v1/email/organizations/current", &acme.key).body["id"]
            .as_i64()
            .expect("integer id"),
        infra: app.infrastructure(&acme.key, &acme.org, "192.0.2.10"),
        tenant: acme.clone(),
    };
    let sibling = app.tenant("Globex", None, "admin");
    app.infrastructure(&sibling.key, &sibling.org, "192.0.2.20");
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
        let what = format!("{} {} {:?}", route.method, route.path, route.body);
        for (who, credential) in [
            ("sibling", &sibling.key),
            ("sibling's session", &sibling_session),
            ("child", &child.key),
        ] {
            let r = probe(&app, credential, route, &victim);
            assert!(
                refused_as_missing(route, &r),
                "{who} reached {what}: {}",
                r.text
            );
        }
        for (who, credential) in [
            ("revoked key", &revoked),
            ("expired key", &expired),
            ("ended session", &logged_out),
        ] {
            let r = probe(&app, credential, route, &victim);
            assert!(unauthenticated(route, &r), "{who} used {what}: {}", r.text);
        }
        let r = probe(&app, &test_key, route, &victim);
        match route.effect {
            Writes => assert_eq!(r.status, 403, "test key changed {what}: {}", r.text),
            Reads | Reports => assert!(succeeded(route, &r), "test key: {what}: {}", r.text),
        }
        if route.effect == Reports {
            assert_eq!(r.body["counted"], false, "a test key's events never count");
        }
        probed += 1;
        assert_eq!(
            app.fingerprint_except(&["access_log"]),
            before,
            "{what} changed the database"
        );
    }
    println!("tenant wall: probed {probed} routes, 7 credentials each");

    // Out of reach reads exactly like missing: same status, same body.
    let ghost = Victim {
        tenant: Tenant {
            org: uuid::Uuid::new_v4().to_string(),
            user: uuid::Uuid::new_v4().to_string(),
            ..acme.clone()
        },
        key_id: uuid::Uuid::new_v4().to_string(),
        org_key: i64::from(i32::MAX),
        infra: Infrastructure {
            server: uuid::Uuid::new_v4().to_string(),
            pool: uuid::Uuid::new_v4().to_string(),
            address: uuid::Uuid::new_v4().to_string(),
            ipv4: String::new(),
        },
    };
    for route in ROUTES {
        let hidden = probe(&app, &sibling.key, route, &victim);
        let missing = probe(&app, &sibling.key, route, &ghost);
        assert_eq!(
            (hidden.status, masked(hidden.body)),
            (missing.status, masked(missing.body)),
            "{} {} tells a hidden object from a missing one",
            route.method,
            route.path
        );
    }

    // The victim itself still reaches everything (the probes were refused, not broken).
    assert_eq!(
        app.get(&format!("/orgs/{}", acme.org), &acme.key).status,
        200
    );
    assert_eq!(
        app.get(&format!("/servers/{}", victim.infra.server), &acme.key)
            .status,
        200
    );
    assert_eq!(
        app.get(&format!("/orgs/{}", child.org), &acme.key).status,
        200,
        "a parent reaches its children"
    );
}

/// Every route of the OpenAPI document that takes an id (in its path, or, for the
/// Postal methods, in its body) is in `ROUTES`: a new route cannot skip the tenant wall.
#[test]
fn every_route_with_an_id_is_in_the_matrix() {
    let app = TestApp::spawn();
    let spec = app.call("GET", "/openapi.json", None, None).body;
    let covered: Vec<(String, String)> = ROUTES
        .iter()
        .map(|r| {
            let path = r.path.split('?').next().unwrap_or(r.path);
            let path = path
                .replace("{org}", "{org_id}")
                .replace("{user}", "{user_id}")
                .replace("{key}", "{key_id}")
                .replace("{server}", "{server_id}")
                .replace("{pool}", "{pool_id}")
                .replace("{address}", "{ip_address_id}")
                .replace("{sub_org}", "{id}")
                .replace("{org_key}", "{id}");
            (r.method.to_ascii_lowercase(), path)
        })
        .collect();
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        let names_an_object =
            path.contains('{') || path.starts_with("/api/v1/") || path == "/events";
        if !names_an_object {
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
    // Seed 002's list and totals see the same organizations.
    let overview = |key: &str| -> Vec<String> {
        app.get("/api/organizations", key)
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                o["id"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("org-")
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(
        overview(&acme.key),
        vec![acme.org.clone(), team.org.clone()]
    );
    assert_eq!(overview(&globex.key), vec![globex.org.clone()]);
    assert_eq!(app.get("/api/stats", &team.key).body["total_users"], 1);
    // So does seed 004's.
    let msndr = |key: &str| -> Vec<String> {
        app.get("/v1/email/organizations", key).body["collection"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(msndr(&acme.key), vec!["Acme", "Acme Team"]);
    assert_eq!(msndr(&globex.key), vec!["Globex"]);
    assert_eq!(app.get("/api/stats", &acme.key).body["total_users"], 2);
}
