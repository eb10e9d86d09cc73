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
        ("/metrics", &["get"]),
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
        ("/auth/me", &["get"]),
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
        ("/orgs/{org_id}/tree", &["get"]),
        ("/orgs/tree", &["get"]),
        ("/orgs/{org_id}/ip_allocation", &["get"]),
        ("/orgs/{org_id}/consumption", &["get"]),
        ("/events", &["post"]),
        ("/api/v1/organizations/statistics", &["post"]),
        ("/api/v1/organizations/ip_allocation", &["post"]),
        ("/print-mail/v1/sub_organizations", &["get", "post"]),
        ("/print-mail/v1/sub_organizations/{id}", &["get"]),
        ("/print-mail/v1/sub_organizations/{id}/users", &["get"]),
        ("/api/organizations", &["get"]),
        ("/api/stats", &["get"]),
        ("/v1/email/organizations", &["get", "post"]),
        ("/v1/email/organizations/current", &["get"]),
        ("/v1/email/organizations/{id}", &["get", "patch", "delete"]),
        ("/v1/email/organizations/{id}/current", &["patch"]),
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
            .replace("{ip_address_id}", &app.platform_id)
            .replace("{id}", "sub_org_0");
        let r = app.call(&method.to_uppercase(), &path, None, None);
        assert!(
            ![404, 405].contains(&r.status),
            "{route} is documented but not served ({})",
            r.status
        );
    }
    // Swagger UI, bundled: its page, its code and its configuration, pointing at the
    // document above.
    let docs = app.call("GET", "/docs", None, None);
    assert_eq!(docs.status, 200, "/docs leads to the page");
    assert!(docs.text.contains("swagger-ui"), "{}", docs.text);
    let config = app.call("GET", "/docs/swagger-initializer.js", None, None);
    assert_eq!(config.status, 200);
    assert!(config.text.contains("/openapi.json"), "{}", config.text);
    let bundle = app.call("GET", "/docs/swagger-ui-bundle.js", None, None);
    assert_eq!(bundle.status, 200);
    assert!(
        bundle.text.len() > 100_000,
        "the viewer's code is served from the binary"
    );
}

#[test]
fn unknown_routes_and_methods_answer_problem_json() {
    let app = TestApp::spawn();
    app.get("/nowhere", &app.admin_key).assert_problem(404);
    let wrong = app.call("PUT", "/orgs", Some(&app.admin_key), Some(&json!({})));
    wrong.assert_problem(405);
    assert_eq!(wrong.header("allow"), Some("GET, POST"));
    let wrong = app.call(
        "POST",
        &format!("/orgs/{}", app.platform_id),
        Some(&app.admin_key),
        None,
    );
    wrong.assert_problem(405);
    assert_eq!(wrong.header("allow"), Some("DELETE, GET, PATCH"));
}

/// A sample: its name, its labels, its value.
type Sample = (String, Vec<(String, String)>, f64);

/// One sample line of the Prometheus text format: `name{label="value",...} number`.
fn parse_sample(line: &str) -> Option<Sample> {
    let (series, value) = line.rsplit_once(' ')?;
    let value: f64 = value.parse().ok()?;
    let (name, labels) = match series.split_once('{') {
        None => (series.to_owned(), Vec::new()),
        Some((name, rest)) => {
            let rest = rest.strip_suffix('}')?;
            let mut labels = Vec::new();
            for pair in rest.split("\",").filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once("=\"")?;
                labels.push((k.to_owned(), v.trim_end_matches('"').to_owned()));
            }
            (name.to_owned(), labels)
        }
    };
    let name_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    name_ok.then_some((name, labels, value))
}

#[test]
fn metrics_are_prometheus_text_with_route_templates_and_nothing_secret() {
    let app = TestApp::spawn();
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/orgs/{}", app.platform_id), &app.admin_key)
                .status,
            200
        );
    }
    app.get(&format!("/orgs/{}", uuid::Uuid::new_v4()), &app.admin_key);
    app.get("/nowhere", &app.admin_key);
    let r = app.call("GET", "/metrics", None, None);
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let mut samples = Vec::new();
    for line in r.text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix("# ") {
            assert!(
                comment.starts_with("HELP ") || comment.starts_with("TYPE "),
                "{line}"
            );
            continue;
        }
        samples.push(parse_sample(line).unwrap_or_else(|| panic!("not Prometheus text: {line}")));
    }
    let find = |name: &str, labels: &[(&str, &str)]| -> f64 {
        samples
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|(_, _, v)| *v)
            .sum()
    };
    let ok = [
        ("route", "/orgs/{org_id}"),
        ("method", "GET"),
        ("status", "200"),
    ];
    assert_eq!(find("orgplane_http_requests_total", &ok), 3.0);
    let missing = [("route", "/orgs/{org_id}"), ("status", "404")];
    assert_eq!(find("orgplane_http_requests_total", &missing), 1.0);
    assert_eq!(
        find("orgplane_http_requests_total", &[("route", "unmatched")]),
        1.0
    );
    assert!(
        find(
            "orgplane_http_request_duration_seconds_count",
            &[("route", "/orgs/{org_id}")]
        ) >= 4.0
    );
    assert!(find("orgplane_db_pool_checkouts_total", &[]) >= 4.0);
    assert!(find("orgplane_db_pool_max_connections", &[]) >= 1.0);
    assert!(samples
        .iter()
        .any(|(n, _, _)| n == "orgplane_blocking_tasks_queued"));
    assert!(samples
        .iter()
        .any(|(n, _, _)| n == "orgplane_process_resident_memory_bytes"));
    // Labels are bounded: no raw path, no id, no credential anywhere.
    assert!(!r.text.contains(&app.platform_id));
    assert!(!r.text.contains("live_"));
    assert!(!r.text.contains("/nowhere"));
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
