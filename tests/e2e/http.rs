//! HTTP basics: health, readiness, OpenAPI, docs, errors of the transport itself.

use orgplane_e2e::TestApp;
use serde_json::json;

#[test]
fn healthz_and_readyz_answer_when_the_database_is_up() {
    let app = TestApp::spawn();
    let health = app.call("GET", "/healthz", None, None);
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "ok");
    let ready = app.call("GET", "/readyz", None, None);
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(ready.body["database"], "ok");
}

#[test]
fn readyz_answers_503_quickly_when_the_database_is_gone() {
    let app = TestApp::spawn_with(&[("ORGPLANE__DATABASE__CHECKOUT_TIMEOUT_SECS", "1")]);
    let name = app.database_name().to_owned();
    // Forbid new connections and end the pooled ones: the database is "gone" for the service.
    app.execute_admin_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    app.execute_admin_sql(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"));
    let started = std::time::Instant::now();
    let ready = app.call("GET", "/readyz", None, None);
    ready.assert_problem(503);
    assert!(ready.header("retry-after").is_some());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let orgs = app.get("/orgs", &app.admin_key);
    orgs.assert_problem(503);

    // And it recovers by itself once the database is back.
    app.execute_admin_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let mut recovered = false;
    for _ in 0..20 {
        if app.call("GET", "/readyz", None, None).status == 200 {
            recovered = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert!(recovered, "service did not recover");
    assert_eq!(app.get("/orgs", &app.admin_key).status, 200);
}

#[test]
fn the_openapi_document_lists_every_route_and_docs_render_it() {
    let app = TestApp::spawn();
    let spec = app.call("GET", "/openapi.json", None, None);
    assert_eq!(spec.status, 200);
    let paths = spec.body["paths"].as_object().expect("paths");
    let expected: &[(&str, &[&str])] = &[
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/orgs", &["get", "post"]),
        ("/orgs/{org_id}", &["get", "patch", "delete"]),
        ("/orgs/{org_id}/children", &["get"]),
        ("/orgs/{org_id}/customizations", &["get", "put"]),
        ("/orgs/{org_id}/access_log", &["get"]),
        ("/orgs/{org_id}/audit_log", &["get"]),
        ("/orgs/{org_id}/children_audit", &["get"]),
        ("/orgs/{org_id}/users", &["get", "post"]),
        ("/users/{user_id}", &["get", "patch", "delete"]),
        ("/users/{user_id}/api_keys", &["get", "post"]),
        ("/api_keys/{key_id}", &["delete"]),
        ("/auth/login", &["post"]),
        ("/auth/logout", &["post"]),
        ("/orgs/{org_id}/servers", &["get", "post"]),
        ("/servers/{server_id}", &["get", "patch", "delete"]),
        ("/servers/{server_id}/sending", &["get"]),
        ("/orgs/{org_id}/ip_pools", &["get", "post"]),
        ("/ip_pools/{pool_id}", &["get", "patch", "delete"]),
        (
            "/ip_pools/{pool_id}/ip_addresses/{ip_address_id}",
            &["put", "delete"],
        ),
        ("/orgs/{org_id}/ip_addresses", &["get", "post"]),
        ("/ip_addresses/{ip_address_id}", &["get", "patch", "delete"]),
        ("/orgs/{org_id}/statistics", &["get"]),
        ("/orgs/{org_id}/ip_allocation", &["get"]),
        ("/orgs/{org_id}/consumption", &["get"]),
        ("/events", &["post"]),
        ("/api/v1/organizations/statistics", &["post"]),
        ("/api/v1/organizations/ip_allocation", &["post"]),
    ];
    let mut documented: Vec<String> = paths
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{m} {p}"))
        })
        .collect();
    let mut served: Vec<String> = expected
        .iter()
        .flat_map(|(p, ms)| ms.iter().map(move |m| format!("{m} {p}")))
        .collect();
    documented.sort();
    served.sort();
    assert_eq!(documented, served);
    // And every documented route is really served (anything but 404/405 without a key).
    for route in &served {
        let (method, path) = route.split_once(' ').unwrap();
        let path = path
            .replace("{org_id}", &app.platform_id)
            .replace("{user_id}", &app.admin_user_id)
            .replace("{key_id}", &app.platform_id)
            .replace("{server_id}", &app.platform_id)
            .replace("{pool_id}", &app.platform_id)
            .replace("{ip_address_id}", &app.platform_id);
        let r = app.call(&method.to_uppercase(), &path, None, None);
        assert!(
            ![404, 405].contains(&r.status),
            "{route} is documented but not served ({})",
            r.status
        );
    }
    let docs = app.call("GET", "/docs", None, None);
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("/openapi.json"));
}

#[test]
fn unknown_routes_and_methods_answer_problem_json() {
    let app = TestApp::spawn();
    app.get("/nowhere", &app.admin_key).assert_problem(404);
    app.call("PUT", "/orgs", Some(&app.admin_key), Some(&json!({})))
        .assert_problem(405);
}

#[test]
fn every_response_carries_a_request_id() {
    let app = TestApp::spawn();
    let r = app.get("/orgs", &app.admin_key);
    let id = r.header("x-request-id").expect("x-request-id");
    assert_eq!(uuid::Uuid::parse_str(id).map(|_| ()), Ok(()));
    assert!(app
        .get("/nowhere", &app.admin_key)
        .header("x-request-id")
        .is_some());
}

#[test]
fn all_three_credential_headers_are_accepted() {
    let app = TestApp::spawn();
    for header in ["Authorization", "X-API-Key", "X-Server-API-Key"] {
        let value = if header == "Authorization" {
            format!("Bearer {}", app.admin_key)
        } else {
            app.admin_key.clone()
        };
        let r = app.raw("GET", "/orgs", &[(header, &value)], b"");
        assert_eq!(r.status, 200, "{header}: {}", r.text);
    }
}

#[test]
fn requests_without_a_valid_credential_answer_401() {
    let app = TestApp::spawn();
    let none = app.call("GET", "/orgs", None, None);
    none.assert_problem(401);
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    app.get("/orgs", "live_not-a-key").assert_problem(401);
    app.get("/orgs", &format!("live_{}", "0".repeat(64)))
        .assert_problem(401);
    app.raw("GET", "/orgs", &[("Authorization", "Basic abc")], b"")
        .assert_problem(401);
}

#[test]
fn the_configured_body_limit_holds_on_every_route() {
    let app = TestApp::spawn_with(&[("ORGPLANE__SERVER__BODY_LIMIT_BYTES", "2048")]);
    let user = app.admin_user_id.clone();
    let auth = format!("Bearer {}", app.admin_key);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let body = format!("{{\"name\": \"{}\"}}", "x".repeat(3000));
    for path in ["/orgs".to_owned(), format!("/users/{user}/api_keys")] {
        let r = app.raw("POST", &path, &headers, body.as_bytes());
        r.assert_problem(413);
    }
    assert_eq!(
        app.raw("POST", "/orgs", &headers, br#"{"name": "Small"}"#)
            .status,
        201
    );
}
