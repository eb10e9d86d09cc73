//! Seed 000, the Postal-style organization API, built from its own example: two pools,
//! two addresses (one in both pools), four servers (one without a pool). Every number is
//! derived here from the events this test sends.

use orgplane_e2e::{seconds_ago, Response, TestApp};
use serde_json::{json, Value};
use std::collections::BTreeMap;

struct Acme {
    org: String,
    key: String,
    /// Server name → id.
    servers: BTreeMap<&'static str, String>,
    /// Pool name → id.
    pools: BTreeMap<&'static str, String>,
    /// IPv4 → integer id as Postal shows it.
    address_ids: BTreeMap<&'static str, i64>,
}

fn created(r: Response) -> Value {
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

/// The seed's example organization, as its own admin builds it.
fn build_seed_example(app: &TestApp) -> Acme {
    let t = app.tenant("ACME Inc", None, "admin");
    let mut pools = BTreeMap::new();
    for (name, default) in [("Marketing Pool", false), ("Transactional Pool", true)] {
        let p = created(app.post(
            &format!("/orgs/{}/ip_pools", t.org),
            &t.key,
            json!({"name": name, "default": default}),
        ));
        assert_eq!(p["default"], default);
        pools.insert(name, p["id"].as_str().unwrap().to_owned());
    }
    let a1 = created(app.post(
        &format!("/orgs/{}/ip_addresses", t.org),
        &t.key,
        json!({"ipv4": "192.168.1.10", "ipv6": "2001:db8::1", "hostname": "mail1.example.com"}),
    ));
    assert_eq!(a1["priority"], 100, "priority defaults to 100");
    let a2 = created(app.post(
        &format!("/orgs/{}/ip_addresses", t.org),
        &t.key,
        json!({"ipv4": "192.168.1.11", "hostname": "mail2.example.com", "priority": 90}),
    ));
    assert_eq!(a2["ipv6"], Value::Null);
    let join = |pool: &str, address: &Value| {
        let r = app.call(
            "PUT",
            &format!(
                "/ip_pools/{}/ip_addresses/{}",
                pools[pool],
                address["id"].as_str().unwrap()
            ),
            Some(&t.key),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    };
    join("Marketing Pool", &a1);
    join("Marketing Pool", &a2);
    let both = join("Transactional Pool", &a1);
    assert_eq!(both["ip_address_ids"], json!([a1["id"]]));
    let mut servers = BTreeMap::new();
    for (name, pool) in [
        ("Marketing Server", json!(pools["Marketing Pool"])),
        ("Newsletter Server", json!(pools["Marketing Pool"])),
        ("Transactional Server", Value::Null),
        ("Development Server", Value::Null),
    ] {
        let mut body = json!({"name": name});
        // The transactional server takes the default pool by saying nothing; the
        // development server says `null`: no pool.
        if name != "Transactional Server" {
            body["ip_pool_id"] = pool;
        }
        let s = created(app.post(&format!("/orgs/{}/servers", t.org), &t.key, body));
        servers.insert(name, s["id"].as_str().unwrap().to_owned());
    }
    let transactional = app.get(
        &format!("/servers/{}", servers["Transactional Server"]),
        &t.key,
    );
    assert_eq!(
        transactional.body["ip_pool_id"],
        json!(pools["Transactional Pool"]),
        "a new server gets the default pool"
    );
    let development = app.get(
        &format!("/servers/{}", servers["Development Server"]),
        &t.key,
    );
    assert_eq!(development.body["ip_pool_id"], Value::Null);
    let statistics = app.get(&format!("/orgs/{}/statistics", t.org), &t.key);
    let address_ids = statistics.body["statistics"]["ip_addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let ipv4: &'static str = match a["ipv4"].as_str().unwrap() {
                "192.168.1.10" => "192.168.1.10",
                _ => "192.168.1.11",
            };
            (ipv4, a["id"].as_i64().unwrap())
        })
        .collect();
    Acme {
        org: t.org,
        key: t.key,
        servers,
        pools,
        address_ids,
    }
}

/// What the events sent so far amount to, kept by the test itself.
#[derive(Default)]
struct Expected {
    queued: BTreeMap<&'static str, i64>,
    live: BTreeMap<&'static str, u64>,
    by_server: BTreeMap<&'static str, u64>,
    by_pool: BTreeMap<&'static str, u64>,
    by_address: BTreeMap<&'static str, u64>,
}

/// (server, type, address, count, seconds ago)
type Event = (&'static str, &'static str, Option<&'static str>, u64, i64);

const POOL_OF: &[(&str, &str)] = &[
    ("Marketing Server", "Marketing Pool"),
    ("Newsletter Server", "Marketing Pool"),
    ("Transactional Server", "Transactional Pool"),
];

fn ipv4_of(address: &str) -> &'static str {
    match address {
        "192.168.1.10" | "2001:db8::1" => "192.168.1.10",
        _ => "192.168.1.11",
    }
}

impl Expected {
    fn apply(&mut self, events: &[Event]) {
        for (server, kind, address, count, ago) in events {
            let queue = self.queued.entry(server).or_insert(0);
            if *kind == "queued" {
                *queue += *count as i64;
                continue;
            }
            *queue = (*queue - *count as i64).max(0);
            if *kind == "sent" {
                let pool = POOL_OF.iter().find(|(s, _)| s == server).unwrap().1;
                if *ago < 60 {
                    *self.live.entry(server).or_insert(0) += count;
                }
                *self.by_server.entry(server).or_insert(0) += count;
                *self.by_pool.entry(pool).or_insert(0) += count;
                *self
                    .by_address
                    .entry(ipv4_of(address.unwrap()))
                    .or_insert(0) += count;
            }
        }
    }
}

fn events_body(acme: &Acme, events: &[Event]) -> Value {
    json!({"events": events.iter().map(|(server, kind, address, count, ago)| {
        let mut e = json!({"server_id": acme.servers[server], "type": kind, "count": count});
        if let Some(a) = address { e["ip_address"] = json!(a); }
        if *ago > 0 { e["occurred_at"] = json!(seconds_ago(*ago)); }
        e
    }).collect::<Vec<_>>()})
}

const EVENTS: &[Event] = &[
    ("Marketing Server", "queued", None, 300, 0),
    ("Newsletter Server", "queued", None, 80, 0),
    ("Transactional Server", "queued", None, 250, 0),
    ("Marketing Server", "sent", Some("192.168.1.10"), 120, 0),
    ("Marketing Server", "sent", Some("192.168.1.11"), 45, 0),
    ("Marketing Server", "sent", Some("192.168.1.10"), 30, 600),
    ("Newsletter Server", "sent", Some("192.168.1.11"), 20, 0),
    ("Newsletter Server", "failed", None, 5, 0),
    ("Transactional Server", "sent", Some("2001:db8::1"), 33, 0),
    (
        "Transactional Server",
        "sent",
        Some("192.168.1.10"),
        7,
        3000,
    ),
    ("Transactional Server", "failed", None, 2, 0),
];

fn post_events(app: &TestApp, acme: &Acme, events: &[Event], key: Option<&str>) -> Response {
    post_events_body(app, acme, &events_body(acme, events).to_string(), key)
}

/// Posts a body made once: a retry must send the very same bytes (times are to the
/// second, and two calls may straddle one).
fn post_events_body(app: &TestApp, acme: &Acme, body: &str, key: Option<&str>) -> Response {
    let auth = format!("Bearer {}", acme.key);
    let mut headers = vec![
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key));
    }
    app.raw("POST", "/events", &headers, body.as_bytes())
}

fn postal(app: &TestApp, method: &str, key: &str, form: bool, params: Value) -> Response {
    let (content_type, body) = if form {
        let encoded: String = url_encode(&params.to_string());
        (
            "application/x-www-form-urlencoded",
            format!("params={encoded}"),
        )
    } else {
        ("application/json", params.to_string())
    };
    app.raw(
        "POST",
        &format!("/api/v1/organizations/{method}"),
        &[("X-Server-API-Key", key), ("Content-Type", content_type)],
        body.as_bytes(),
    )
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[track_caller]
fn assert_success(r: &Response) -> &Value {
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.body["status"], "success", "{}", r.text);
    assert_eq!(r.body["flags"], json!({}));
    let time = r.body["time"].as_f64().expect("time is a number");
    assert!((0.0..10.0).contains(&time), "time {time}");
    &r.body["data"]
}

fn check_statistics(data: &Value, acme: &Acme, expected: &Expected) {
    let s = &data["statistics"];
    assert_eq!(s["uuid"], json!(acme.org));
    assert_eq!(s["name"], "ACME Inc");
    let total_sent: u64 = expected.live.values().sum();
    let total_queued: i64 = expected.queued.values().sum();
    assert_eq!(s["total_sent"], total_sent);
    assert_eq!(s["total_queued_count"], total_queued);
    assert_eq!(
        s["overall_message_rate"].as_f64(),
        Some(total_sent as f64 / 60.0)
    );
    assert_eq!(s["servers_count"], 4);
    assert_eq!(s["ip_addresses_count"], 2);
    assert_eq!(
        s["ip_addresses"],
        json!([
            {"id": acme.address_ids["192.168.1.10"], "ipv4": "192.168.1.10", "ipv6": "2001:db8::1", "hostname": "mail1.example.com", "priority": 100},
            {"id": acme.address_ids["192.168.1.11"], "ipv4": "192.168.1.11", "ipv6": null, "hostname": "mail2.example.com", "priority": 90}
        ])
    );
    let servers = s["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 4);
    for server in servers {
        let name: &str = server["name"].as_str().unwrap();
        let name = *acme.servers.keys().find(|k| **k == name).unwrap();
        let sent = expected.live.get(name).copied().unwrap_or(0);
        assert_eq!(server["uuid"], json!(acme.servers[name]));
        assert_eq!(
            server["queued_count"],
            expected.queued.get(name).copied().unwrap_or(0),
            "{name}"
        );
        assert_eq!(server["sent_count"], sent, "{name}");
        assert_eq!(
            server["message_rate"].as_f64(),
            Some(sent as f64 / 60.0),
            "{name}"
        );
        let keys: Vec<&String> = server.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 5, "exactly the seed's fields: {keys:?}");
    }
}

fn check_allocation(data: &Value, acme: &Acme, expected: &Expected) {
    assert_eq!(
        data["organization"],
        json!({"uuid": acme.org, "name": "ACME Inc"})
    );
    let sent = |m: &BTreeMap<&'static str, u64>, k: &str| m.get(k).copied().unwrap_or(0);
    assert_eq!(
        data["ip_addresses"],
        json!([
            {"ipv4": "192.168.1.10", "ipv6": "2001:db8::1", "hostname": "mail1.example.com", "priority": 100,
             "ip_pools": ["Marketing Pool", "Transactional Pool"], "emails_sent": sent(&expected.by_address, "192.168.1.10")},
            {"ipv4": "192.168.1.11", "ipv6": null, "hostname": "mail2.example.com", "priority": 90,
             "ip_pools": ["Marketing Pool"], "emails_sent": sent(&expected.by_address, "192.168.1.11")}
        ])
    );
    assert_eq!(
        data["ip_pools"],
        json!([
            {"name": "Marketing Pool", "uuid": acme.pools["Marketing Pool"], "default": false,
             "servers": ["Marketing Server", "Newsletter Server"], "emails_sent": sent(&expected.by_pool, "Marketing Pool")},
            {"name": "Transactional Pool", "uuid": acme.pools["Transactional Pool"], "default": true,
             "servers": ["Transactional Server"], "emails_sent": sent(&expected.by_pool, "Transactional Pool")}
        ])
    );
    let server = |name: &str, pool: Value, addresses: Value| {
        json!({"name": name, "uuid": acme.servers[name], "ip_pool": pool, "ip_addresses": addresses,
               "emails_sent": sent(&expected.by_server, name)})
    };
    assert_eq!(
        data["servers"],
        json!([
            server(
                "Marketing Server",
                json!("Marketing Pool"),
                json!(["192.168.1.10", "192.168.1.11"])
            ),
            server(
                "Newsletter Server",
                json!("Marketing Pool"),
                json!(["192.168.1.10", "192.168.1.11"])
            ),
            server(
                "Transactional Server",
                json!("Transactional Pool"),
                json!(["192.168.1.10"])
            ),
            server("Development Server", Value::Null, json!([])),
        ])
    );
    // Every message counted once along its route: the three sums agree.
    let total = |key: &str| -> u64 {
        data[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["emails_sent"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(total("ip_addresses"), total("ip_pools"));
    assert_eq!(total("ip_pools"), total("servers"));
    assert!(total("servers") > 0);
}

#[test]
fn the_seed_example_answers_both_methods_in_both_content_types() {
    let app = TestApp::spawn();
    let acme = build_seed_example(&app);
    let mut expected = Expected::default();
    let r = post_events(&app, &acme, EVENTS, None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["events"], EVENTS.len());
    assert_eq!(r.body["counted"], true);
    assert_eq!(r.body["sent"], 120 + 45 + 30 + 20 + 33 + 7);
    expected.apply(EVENTS);

    for form in [false, true] {
        let stats = postal(
            &app,
            "statistics",
            &acme.key,
            form,
            json!({"uuid": acme.org}),
        );
        check_statistics(assert_success(&stats), &acme, &expected);
        let allocation = postal(
            &app,
            "ip_allocation",
            &acme.key,
            form,
            json!({"uuid": acme.org}),
        );
        check_allocation(assert_success(&allocation), &acme, &expected);
    }
    // The canonical surface answers the same `data` objects, bare.
    let canonical = app.get(&format!("/orgs/{}/statistics", acme.org), &acme.key);
    check_statistics(&canonical.body, &acme, &expected);
    let canonical = app.get(&format!("/orgs/{}/ip_allocation", acme.org), &acme.key);
    check_allocation(&canonical.body, &acme, &expected);
}

#[test]
fn the_seed_error_cases_answer_its_envelopes() {
    let app = TestApp::spawn();
    let acme = build_seed_example(&app);
    let sibling = app.tenant("Globex", None, "admin");
    for method in ["statistics", "ip_allocation"] {
        for form in [false, true] {
            let missing = postal(&app, method, &acme.key, form, json!({}));
            assert_eq!(missing.status, 200, "Postal answers its errors with 200");
            assert_eq!(missing.body["status"], "parameter-error");
            assert_eq!(
                missing.body["data"],
                json!({"message": "organization_uuid is required"})
            );
            assert!(missing.body["time"].is_number());
            assert_eq!(missing.body["flags"], json!({}));

            let unknown = postal(
                &app,
                method,
                &acme.key,
                form,
                json!({"uuid": "org-uuid-123"}),
            );
            assert_eq!(unknown.status, 200);
            assert_eq!(unknown.body["status"], "error");
            assert_eq!(
                unknown.body["data"],
                json!({"code": "InvalidOrganization", "message": "The organization could not be found with the provided UUID"})
            );
            // Out of reach answers byte for byte like unknown, once `time` is masked.
            let hidden = postal(&app, method, &sibling.key, form, json!({"uuid": acme.org}));
            let random = postal(
                &app,
                method,
                &sibling.key,
                form,
                json!({"uuid": uuid::Uuid::new_v4()}),
            );
            let mask = |r: &Response| {
                let time = r.body["time"].to_string();
                r.text
                    .replacen(&format!("\"time\":{time}"), "\"time\":0", 1)
            };
            assert_eq!(hidden.status, random.status);
            assert_eq!(mask(&hidden), mask(&random));
            assert!(mask(&hidden).contains("InvalidOrganization"));
        }
    }
    // The seed's parameter, by its other name, works too.
    let by_other_name = postal(
        &app,
        "statistics",
        &acme.key,
        false,
        json!({"organization_uuid": acme.org}),
    );
    assert_success(&by_other_name);
}

#[test]
fn bad_postal_input_answers_parameter_errors_and_changes_nothing() {
    let app = TestApp::spawn();
    let acme = build_seed_example(&app);
    let before = app.fingerprint_except(&["access_log"]);
    let call = |content_type: &str, body: &str| {
        app.raw(
            "POST",
            "/api/v1/organizations/statistics",
            &[
                ("X-Server-API-Key", &acme.key),
                ("Content-Type", content_type),
            ],
            body.as_bytes(),
        )
    };
    for (what, content_type, body, status) in [
        (
            "malformed JSON",
            "application/json",
            "{\"uuid\": ",
            "parameter-error",
        ),
        (
            "not an object",
            "application/json",
            "[1, 2]",
            "parameter-error",
        ),
        (
            "uuid not a string",
            "application/json",
            "{\"uuid\": 42}",
            "parameter-error",
        ),
        (
            "params not JSON",
            "application/x-www-form-urlencoded",
            "params=%7Bnope",
            "parameter-error",
        ),
        (
            "no params field",
            "application/x-www-form-urlencoded",
            "uuid=x",
            "parameter-error",
        ),
        ("no body", "application/json", "", "parameter-error"),
        (
            "NUL in uuid",
            "application/json",
            "{\"uuid\": \"a\\u0000b\"}",
            "error",
        ),
    ] {
        let r = call(content_type, body);
        assert_eq!(r.status, 200, "{what}: {}", r.text);
        assert_eq!(r.body["status"], status, "{what}: {}", r.text);
        assert!(r.body["data"]["message"].is_string(), "{what}");
    }
    let no_key = app.raw(
        "POST",
        "/api/v1/organizations/statistics",
        &[("Content-Type", "application/json")],
        format!("{{\"uuid\": \"{}\"}}", acme.org).as_bytes(),
    );
    assert_eq!(no_key.status, 200);
    assert_eq!(no_key.body["status"], "error");
    assert_eq!(no_key.body["data"]["code"], "AccessDenied");
    let wrong_method = app.get("/api/v1/organizations/statistics", &acme.key);
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.body["status"], "error");
    assert_eq!(app.fingerprint_except(&["access_log"]), before);
}

#[test]
fn a_retried_batch_counts_once_and_a_reused_key_is_refused() {
    let app = TestApp::spawn();
    let acme = build_seed_example(&app);
    let mut expected = Expected::default();
    let body = events_body(&acme, EVENTS).to_string();
    let first = post_events_body(&app, &acme, &body, Some("batch-0001"));
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    expected.apply(EVENTS);
    let before = app.fingerprint_except(&["access_log"]);
    // The same batch again (a client retrying after a lost answer): the first answer.
    let retry = post_events_body(&app, &acme, &body, Some("batch-0001"));
    assert_eq!(retry.status, 200);
    assert_eq!(retry.text, first.text);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        app.fingerprint_except(&["access_log"]),
        before,
        "counted once"
    );
    let stats = postal(
        &app,
        "ip_allocation",
        &acme.key,
        false,
        json!({"uuid": acme.org}),
    );
    check_allocation(assert_success(&stats), &acme, &expected);
    // The same key with another batch: refused, nothing counted.
    let other = post_events(&app, &acme, &EVENTS[..2], Some("batch-0001"));
    other.assert_problem(422);
    assert_eq!(app.fingerprint_except(&["access_log"]), before);
    // A malformed key is refused before anything happens.
    let bad = post_events(&app, &acme, EVENTS, Some("has space"));
    bad.assert_problem(400);
    assert_eq!(bad.body["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(app.fingerprint_except(&["access_log"]), before);
}
