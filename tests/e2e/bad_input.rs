//! Bad input on every route of every surface, taken from `/openapi.json` (so a new route
//! is in the table by being served): malformed JSON, invalid UTF-8, NUL bytes, an
//! oversized body, and ids that name nothing in each surface's id form. Each answer is a
//! 4xx in the surface's own error shape (Postal's: its envelope), and nothing changes.

use orgplane_e2e::{Response, TestApp};

/// The surface a path belongs to.
fn surface(path: &str) -> &'static str {
    if path.starts_with("/api/v1/") {
        "postal"
    } else if path.starts_with("/print-mail/") {
        "postgrid"
    } else if path.starts_with("/v1/email/") {
        "msndr"
    } else if path.starts_with("/api/") {
        "overview"
    } else {
        "canonical"
    }
}

/// Whether `r` is an error in `surface`'s own shape.
fn refused_in_shape(surface: &str, r: &Response) -> bool {
    match surface {
        // Postal answers parameter errors with HTTP 200 and its envelope.
        "postal" => {
            r.status == 200
                && ["error", "parameter-error"].contains(&r.body["status"].as_str().unwrap_or(""))
                && r.body["data"]["message"].is_string()
        }
        "postgrid" => (400..500).contains(&r.status) && r.body["error"]["type"].is_string(),
        "msndr" => (400..500).contains(&r.status) && r.body["message"].is_string(),
        "overview" => (400..500).contains(&r.status) && r.body["detail"].is_string(),
        _ => (400..500).contains(&r.status) && r.content_type == "application/problem+json",
    }
}

#[test]
fn bad_input_on_every_route_is_refused_in_its_surface_shape_and_changes_nothing() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let infra = app.infrastructure(&t.key, &t.org, "192.0.2.60");
    let key_id = app.post(
        &format!("/users/{}/api_keys", t.user),
        &t.key,
        serde_json::json!({}),
    );
    let key_id = key_id.body["id"].as_str().unwrap().to_owned();
    let org_key = app.get("/v1/email/organizations/current", &t.key).body["id"]
        .as_i64()
        .unwrap();
    let spec = app.call("GET", "/openapi.json", None, None).body;
    let limit = app.settings.server.events_body_limit_bytes;
    // Every key's first use is recorded once a minute: use it before the fingerprint.
    assert_eq!(app.get("/orgs", &t.key).status, 200);
    let before = app.fingerprint();

    let fill = |path: &str| -> String {
        path.replace("{org_id}", &t.org)
            .replace("{user_id}", &t.user)
            .replace("{key_id}", &key_id)
            .replace("{server_id}", &infra.server)
            .replace("{pool_id}", &infra.pool)
            .replace("{ip_address_id}", &infra.address)
            .replace(
                "{id}",
                &if path.starts_with("/print-mail/") {
                    format!("sub_org_{}", t.org.replace('-', ""))
                } else {
                    org_key.to_string()
                },
            )
    };
    let send = |method: &str, path: &str, content_type: &str, body: &[u8]| -> Response {
        app.raw(
            method,
            path,
            &[
                ("Authorization", &format!("Bearer {}", t.key)),
                ("Content-Type", content_type),
            ],
            body,
        )
    };
    let mut cases = 0;
    let mut failures = Vec::new();
    for (template, item) in spec["paths"].as_object().expect("paths") {
        if ["/healthz", "/readyz", "/metrics", "/openapi.json"].contains(&template.as_str()) {
            continue;
        }
        let shape = surface(template);
        for (method, operation) in item.as_object().expect("methods") {
            let method = method.to_ascii_uppercase();
            let mut check = |what: &str, r: Response| {
                cases += 1;
                if !refused_in_shape(shape, &r) {
                    failures.push(format!(
                        "{method} {template} {what}: {} {}",
                        r.status, r.text
                    ));
                }
            };
            let path = fill(template);
            if operation.get("requestBody").is_some() {
                let json = "application/json";
                check("malformed JSON", send(&method, &path, json, b"{\"name\": "));
                check(
                    "invalid UTF-8",
                    send(&method, &path, json, b"{\"name\": \"\xff\xfe\"}"),
                );
                check(
                    "NUL in a string",
                    send(
                        &method,
                        &path,
                        json,
                        b"{\"name\": \"a\\u0000b\", \"uuid\": \"\\u0000\"}",
                    ),
                );
                check("not an object", send(&method, &path, json, b"[1, 2]"));
                let oversized = format!("{{\"name\": \"{}\"}}", "x".repeat(limit + 1));
                check(
                    "oversized body",
                    send(&method, &path, json, oversized.as_bytes()),
                );
            }
            // Ids of every surface's form that name nothing, or are not ids at all.
            if template.contains('{') {
                for bad in ["not-an-id", "%00", "%FF", "0", "sub_org_zz", "-1"] {
                    let mut path = template.clone();
                    for param in [
                        "{org_id}",
                        "{user_id}",
                        "{key_id}",
                        "{server_id}",
                        "{pool_id}",
                        "{ip_address_id}",
                        "{id}",
                    ] {
                        path = path.replace(param, bad);
                    }
                    let body: &[u8] = if operation.get("requestBody").is_some() {
                        b"{}"
                    } else {
                        b""
                    };
                    check(
                        &format!("id {bad}"),
                        send(&method, &path, "application/json", body),
                    );
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases not refused in shape:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(app.fingerprint(), before, "bad input changed the database");
    println!("bad input: {cases} cases over every route, all refused in their surface's shape, nothing changed");
}
