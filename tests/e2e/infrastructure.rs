//! Mail servers, IP pools and IP addresses on the canonical surface: what they hold, how
//! they nest, how suspension reaches down, and every bad input.

use orgplane_e2e::{Response, TestApp};
use serde_json::{json, Value};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

#[track_caller]
fn created(r: Response) -> Value {
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

#[test]
fn every_field_is_echoed_and_reads_back() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let pool = created(app.post(
        &format!("/orgs/{}/ip_pools", t.org),
        &t.key,
        json!({"name": "Main", "default": true}),
    ));
    assert_eq!(pool["name"], "Main");
    assert_eq!(pool["default"], true);
    assert_eq!(pool["organization_id"], json!(t.org));
    assert_eq!(pool["ip_address_ids"], json!([]));
    let address = created(app.post(
        &format!("/orgs/{}/ip_addresses", t.org),
        &t.key,
        json!({"ipv4": "203.0.113.7", "ipv6": "2001:DB8:0::7", "hostname": "Mail7.Example.com", "priority": 42}),
    ));
    assert_eq!(address["ipv4"], "203.0.113.7");
    assert_eq!(address["ipv6"], "2001:db8::7", "kept canonical");
    assert_eq!(address["hostname"], "mail7.example.com");
    assert_eq!(address["priority"], 42);
    let server = created(app.post(
        &format!("/orgs/{}/servers", t.org),
        &t.key,
        json!({"name": "Marketing Server", "mode": "Development", "send_limit": 500}),
    ));
    assert_eq!(server["permalink"], "marketing-server");
    assert_eq!(server["mode"], "Development");
    assert_eq!(server["send_limit"], 500);
    assert_eq!(server["ip_pool_id"], pool["id"], "the default pool");
    assert_eq!(server["suspended"], false);
    for (path, body) in [
        (format!("/ip_pools/{}", id(&pool)), &pool),
        (format!("/ip_addresses/{}", id(&address)), &address),
        (format!("/servers/{}", id(&server)), &server),
    ] {
        let read = app.get(&path, &t.key);
        assert_eq!(read.status, 200, "{}", read.text);
        assert_eq!(&read.body, body, "{path}");
    }
    // Lists hold them, paged.
    let listed = app.get(&format!("/orgs/{}/servers?limit=1", t.org), &t.key);
    assert_eq!(listed.body["data"][0]["id"], server["id"]);
    assert_eq!(listed.body["next_cursor"], Value::Null);
    // Changes come back whole.
    let changed = app.patch(
        &format!("/servers/{}", id(&server)),
        &t.key,
        json!({"name": "Marketing EU", "mode": "Live", "send_limit": null, "ip_pool_id": null}),
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["name"], "Marketing EU");
    assert_eq!(
        changed.body["permalink"], "marketing-server",
        "the permalink stays"
    );
    assert_eq!(changed.body["send_limit"], Value::Null);
    assert_eq!(changed.body["ip_pool_id"], Value::Null);
    let changed = app.patch(
        &format!("/ip_addresses/{}", id(&address)),
        &t.key,
        json!({"ipv6": null, "priority": 0}),
    );
    assert_eq!(changed.body["ipv6"], Value::Null);
    assert_eq!(changed.body["priority"], 0);
    // Every change is in the audit log.
    let actions: Vec<String> = app.get(&format!("/orgs/{}/audit_log", t.org), &t.key).body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for action in [
        "ip_pool.create",
        "ip_address.create",
        "server.create",
        "server.update",
        "ip_address.update",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

#[test]
fn one_default_pool_per_organization_and_new_servers_take_the_nearest() {
    let app = TestApp::spawn();
    let reseller = app.tenant("Reseller", None, "admin");
    let customer = app.tenant("Customer", Some(&reseller.org), "admin");
    let pools =
        |key: &str, org: &str| app.get(&format!("/orgs/{org}/ip_pools"), key).body["data"].clone();
    let first = created(app.post(
        &format!("/orgs/{}/ip_pools", reseller.org),
        &reseller.key,
        json!({"name": "Shared", "default": true}),
    ));
    // A customer without a pool of its own gets its parent's default.
    let borrowed = created(app.post(
        &format!("/orgs/{}/servers", customer.org),
        &customer.key,
        json!({"name": "Shop"}),
    ));
    assert_eq!(borrowed["ip_pool_id"], first["id"]);
    // A second default replaces the first, in the same transaction.
    let second = created(app.post(
        &format!("/orgs/{}/ip_pools", reseller.org),
        &reseller.key,
        json!({"name": "Premium", "default": true}),
    ));
    let listed = pools(&reseller.key, &reseller.org);
    assert_eq!(listed[0]["default"], false);
    assert_eq!(listed[1]["default"], true);
    // Its own default wins over its ancestors'.
    let own = created(app.post(
        &format!("/orgs/{}/ip_pools", customer.org),
        &customer.key,
        json!({"name": "Own", "default": true}),
    ));
    let next = created(app.post(
        &format!("/orgs/{}/servers", customer.org),
        &customer.key,
        json!({"name": "Blog"}),
    ));
    assert_eq!(next["ip_pool_id"], own["id"]);
    // A PATCH to `default: true` moves the flag.
    let moved = app.patch(
        &format!("/ip_pools/{}", id(&first)),
        &reseller.key,
        json!({"default": true}),
    );
    assert_eq!(moved.body["default"], true);
    assert_eq!(pools(&reseller.key, &reseller.org)[1]["id"], second["id"]);
    assert_eq!(pools(&reseller.key, &reseller.org)[1]["default"], false);
    // The customer may send through its parent's pools explicitly, never a sibling's.
    let sibling = app.tenant("Other Customer", Some(&reseller.org), "admin");
    let theirs = created(app.post(
        &format!("/orgs/{}/ip_pools", sibling.org),
        &sibling.key,
        json!({"name": "Theirs"}),
    ));
    let ok = app.patch(
        &format!("/servers/{}", id(&next)),
        &customer.key,
        json!({"ip_pool_id": second["id"]}),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    let before = app.fingerprint();
    let refused = app.patch(
        &format!("/servers/{}", id(&next)),
        &customer.key,
        json!({"ip_pool_id": theirs["id"]}),
    );
    refused.assert_problem(400);
    assert_eq!(refused.body["errors"][0]["field"], "ip_pool_id");
    let unknown = app.patch(
        &format!("/servers/{}", id(&next)),
        &customer.key,
        json!({"ip_pool_id": uuid::Uuid::new_v4()}),
    );
    assert_eq!(
        unknown.body, refused.body,
        "another tenant's pool reads like an unknown one"
    );
    assert_eq!(app.fingerprint(), before);
}

#[test]
fn a_pool_in_use_is_not_deleted_and_the_answer_names_its_servers() {
    let app = TestApp::spawn();
    let reseller = app.tenant("Reseller", None, "admin");
    let customer = app.tenant("Customer", Some(&reseller.org), "admin");
    let pool = created(app.post(
        &format!("/orgs/{}/ip_pools", reseller.org),
        &reseller.key,
        json!({"name": "Shared"}),
    ));
    let server = created(app.post(
        &format!("/orgs/{}/servers", customer.org),
        &customer.key,
        json!({"name": "Shop Mailer", "ip_pool_id": pool["id"]}),
    ));
    let before = app.fingerprint();
    let refused = app.delete(&format!("/ip_pools/{}", id(&pool)), &reseller.key);
    refused.assert_problem(409);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("Shop Mailer"),
        "{}",
        refused.text
    );
    assert_eq!(app.fingerprint(), before);
    app.patch(
        &format!("/servers/{}", id(&server)),
        &customer.key,
        json!({"ip_pool_id": null}),
    );
    assert_eq!(
        app.delete(&format!("/ip_pools/{}", id(&pool)), &reseller.key)
            .status,
        204
    );
    app.get(&format!("/ip_pools/{}", id(&pool)), &reseller.key)
        .assert_problem(404);
}

#[test]
fn pools_hold_addresses_of_their_organization_or_above_only() {
    let app = TestApp::spawn();
    let reseller = app.tenant("Reseller", None, "admin");
    let customer = app.tenant("Customer", Some(&reseller.org), "admin");
    let address = |key: &str, org: &str, ip: &str| {
        created(app.post(
            &format!("/orgs/{org}/ip_addresses"),
            key,
            json!({"ipv4": ip, "hostname": "mail.example.com"}),
        ))
    };
    let parent_ip = address(&reseller.key, &reseller.org, "198.51.100.1");
    let child_ip = address(&customer.key, &customer.org, "198.51.100.2");
    let child_pool = created(app.post(
        &format!("/orgs/{}/ip_pools", customer.org),
        &customer.key,
        json!({"name": "Child Pool"}),
    ));
    let parent_pool = created(app.post(
        &format!("/orgs/{}/ip_pools", reseller.org),
        &reseller.key,
        json!({"name": "Parent Pool"}),
    ));
    let member = |key: &str, pool: &Value, addr: &Value| {
        app.call(
            "PUT",
            &format!("/ip_pools/{}/ip_addresses/{}", id(pool), id(addr)),
            Some(key),
            None,
        )
    };
    // The parent's admin puts its address into the child's pool: allowed.
    let joined = member(&reseller.key, &child_pool, &parent_ip);
    assert_eq!(joined.status, 200, "{}", joined.text);
    assert_eq!(joined.body["ip_address_ids"], json!([parent_ip["id"]]));
    assert_eq!(
        member(&reseller.key, &child_pool, &parent_ip).status,
        200,
        "idempotent"
    );
    let before = app.fingerprint();
    // The child's admin cannot reach the parent's address at all.
    member(&customer.key, &child_pool, &parent_ip).assert_problem(404);
    // A child's address in the parent's pool would serve the parent's other children.
    let refused = member(&reseller.key, &parent_pool, &child_ip);
    refused.assert_problem(400);
    assert_eq!(refused.body["errors"][0]["field"], "ip_address_id");
    assert_eq!(app.fingerprint(), before);
    // Leaving: 200 once, then 404 (it is not in the pool any more).
    let out = format!(
        "/ip_pools/{}/ip_addresses/{}",
        id(&child_pool),
        id(&parent_ip)
    );
    assert_eq!(app.delete(&out, &reseller.key).status, 200);
    app.delete(&out, &reseller.key).assert_problem(404);
}

#[test]
fn suspending_an_organization_suspends_everything_below_it() {
    let app = TestApp::spawn();
    let reseller = app.tenant("Reseller", None, "admin");
    let customer = app.tenant("Customer", Some(&reseller.org), "admin");
    let team = app.create_org(&customer.key, json!({"name": "Team"}));
    let server = |key: &str, org: &str, name: &str| {
        created(app.post(&format!("/orgs/{org}/servers"), key, json!({"name": name})))
    };
    let shop = server(&customer.key, &customer.org, "Shop");
    let team_server = server(&customer.key, &id(&team), "Team Mailer");
    let suspended = |path: String, key: &str| app.get(&path, key).body.clone();

    // The customer's own admins cannot suspend (or lift) their own organization.
    app.patch(
        &format!("/orgs/{}", customer.org),
        &customer.key,
        json!({"suspended": true}),
    )
    .assert_problem(403);
    let r = app.patch(
        &format!("/orgs/{}", customer.org),
        &reseller.key,
        json!({"suspended": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["suspended"], true);
    assert_eq!(r.body["suspended_by"], json!(customer.org));
    let at = r.body["suspended_at"].clone();
    for (path, key) in [
        (format!("/orgs/{}", id(&team)), &customer.key),
        (format!("/servers/{}", id(&shop)), &customer.key),
        (format!("/servers/{}", id(&team_server)), &customer.key),
    ] {
        let body = suspended(path.clone(), key);
        assert_eq!(body["suspended"], true, "{path}");
        assert_eq!(body["suspended_at"], at, "{path}");
        assert_eq!(body["suspended_by"], json!(customer.org), "{path}");
    }
    // A server born in a suspended organization is suspended too.
    let late = server(&customer.key, &id(&team), "Late");
    assert_eq!(late["suspended"], true);
    let view = app.get(&format!("/servers/{}/sending", id(&late)), &customer.key);
    assert_eq!(view.body["may_send"], false);
    assert!(view.body["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "organization_suspended"));
    // What is suspended from above cannot be lifted below.
    app.patch(
        &format!("/orgs/{}", id(&team)),
        &customer.key,
        json!({"suspended": false}),
    )
    .assert_problem(409);
    app.patch(
        &format!("/servers/{}", id(&shop)),
        &customer.key,
        json!({"suspended": false}),
    )
    .assert_problem(409);
    // A server suspended on its own stays suspended when the organization is lifted.
    app.patch(
        &format!("/orgs/{}", customer.org),
        &reseller.key,
        json!({"suspended": false}),
    );
    app.patch(
        &format!("/servers/{}", id(&shop)),
        &customer.key,
        json!({"suspended": true}),
    );
    app.patch(
        &format!("/orgs/{}", customer.org),
        &reseller.key,
        json!({"suspended": true}),
    );
    app.patch(
        &format!("/orgs/{}", customer.org),
        &reseller.key,
        json!({"suspended": false}),
    );
    let shop_now = suspended(format!("/servers/{}", id(&shop)), &customer.key);
    assert_eq!(shop_now["suspended"], true);
    assert_eq!(shop_now["suspended_by"], Value::Null, "on its own");
    let team_now = suspended(format!("/servers/{}", id(&team_server)), &customer.key);
    assert_eq!(team_now["suspended"], false);
    let actions: Vec<String> = app
        .get(&format!("/orgs/{}/audit_log", customer.org), &reseller.key)
        .body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert!(actions.contains(&"organization.suspend".to_owned()));
    assert!(actions.contains(&"organization.unsuspend".to_owned()));
}

/// (what, method, path, body, status, field named)
type Case<'a> = (&'a str, &'a str, String, Value, u16, Option<&'a str>);

#[test]
fn bad_infrastructure_input_is_refused_and_changes_nothing() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let existing = app.infrastructure(&t.key, &t.org, "192.0.2.1");
    let v6 = created(app.post(
        &format!("/orgs/{}/ip_addresses", t.org),
        &t.key,
        json!({"ipv4": "192.0.2.2", "ipv6": "2001:db8::2", "hostname": "b.example.com"}),
    ));
    let other = app.tenant("Globex", None, "admin");
    let other_pool = app
        .infrastructure(&other.key, &other.org, "198.51.100.9")
        .pool;
    let org = t.org.clone();
    let addresses = format!("/orgs/{org}/ip_addresses");
    let servers = format!("/orgs/{org}/servers");
    let pools = format!("/orgs/{org}/ip_pools");
    let server = format!("/servers/{}", existing.server);
    let address = format!("/ip_addresses/{}", existing.address);
    let before = app.fingerprint();
    let cases: Vec<Case> = vec![
        (
            "ipv4 malformed",
            "POST",
            addresses.clone(),
            json!({"ipv4": "300.1.1.1", "hostname": "a.example.com"}),
            400,
            Some("ipv4"),
        ),
        (
            "ipv4 with leading zero",
            "POST",
            addresses.clone(),
            json!({"ipv4": "192.0.2.01", "hostname": "a.example.com"}),
            400,
            Some("ipv4"),
        ),
        (
            "ipv4 loopback",
            "POST",
            addresses.clone(),
            json!({"ipv4": "127.0.0.1", "hostname": "a.example.com"}),
            400,
            Some("ipv4"),
        ),
        (
            "ipv4 is v6",
            "POST",
            addresses.clone(),
            json!({"ipv4": "2001:db8::9", "hostname": "a.example.com"}),
            400,
            Some("ipv4"),
        ),
        (
            "ipv4 missing",
            "POST",
            addresses.clone(),
            json!({"hostname": "a.example.com"}),
            400,
            Some("ipv4"),
        ),
        (
            "ipv4 wrong type",
            "POST",
            addresses.clone(),
            json!({"ipv4": 3232235777_u64, "hostname": "a.example.com"}),
            400,
            Some("ipv4"),
        ),
        (
            "ipv6 malformed",
            "POST",
            addresses.clone(),
            json!({"ipv4": "192.0.2.50", "ipv6": "2001:db8::zz", "hostname": "a.example.com"}),
            400,
            Some("ipv6"),
        ),
        (
            "ipv6 multicast",
            "POST",
            addresses.clone(),
            json!({"ipv4": "192.0.2.50", "ipv6": "ff02::1", "hostname": "a.example.com"}),
            400,
            Some("ipv6"),
        ),
        (
            "hostname bad",
            "POST",
            addresses.clone(),
            json!({"ipv4": "192.0.2.50", "hostname": "not a host"}),
            400,
            Some("hostname"),
        ),
        (
            "priority above 100",
            "POST",
            addresses.clone(),
            json!({"ipv4": "192.0.2.50", "hostname": "a.example.com", "priority": 101}),
            400,
            Some("priority"),
        ),
        (
            "priority negative",
            "POST",
            addresses.clone(),
            json!({"ipv4": "192.0.2.50", "hostname": "a.example.com", "priority": -1}),
            400,
            Some("priority"),
        ),
        (
            "priority a string",
            "POST",
            addresses.clone(),
            json!({"ipv4": "192.0.2.50", "hostname": "a.example.com", "priority": "high"}),
            400,
            Some("priority"),
        ),
        (
            "unknown field",
            "POST",
            addresses.clone(),
            json!({"ipv4": "192.0.2.50", "hostname": "a.example.com", "weight": 3}),
            400,
            None,
        ),
        (
            "ipv4 taken",
            "POST",
            addresses.clone(),
            json!({"ipv4": "192.0.2.1", "hostname": "a.example.com"}),
            409,
            None,
        ),
        (
            "ipv6 taken",
            "POST",
            addresses.clone(),
            json!({"ipv4": "192.0.2.51", "ipv6": "2001:DB8::2", "hostname": "a.example.com"}),
            409,
            None,
        ),
        (
            "patch ipv4 taken",
            "PATCH",
            address.clone(),
            json!({"ipv4": v6["ipv4"]}),
            409,
            None,
        ),
        (
            "patch priority",
            "PATCH",
            address.clone(),
            json!({"priority": 1000}),
            400,
            Some("priority"),
        ),
        (
            "server name missing",
            "POST",
            servers.clone(),
            json!({"mode": "Live"}),
            400,
            Some("name"),
        ),
        (
            "server name blank",
            "POST",
            servers.clone(),
            json!({"name": "  "}),
            400,
            Some("name"),
        ),
        (
            "server name taken",
            "POST",
            servers.clone(),
            json!({"name": "SERVER 192.0.2.1"}),
            409,
            None,
        ),
        (
            "server mode",
            "POST",
            servers.clone(),
            json!({"name": "X", "mode": "live"}),
            400,
            Some("mode"),
        ),
        (
            "send limit negative",
            "POST",
            servers.clone(),
            json!({"name": "X", "send_limit": -5}),
            400,
            Some("send_limit"),
        ),
        (
            "pool id not a uuid",
            "POST",
            servers.clone(),
            json!({"name": "X", "ip_pool_id": "pool-1"}),
            400,
            Some("ip_pool_id"),
        ),
        (
            "unknown pool",
            "POST",
            servers.clone(),
            json!({"name": "X", "ip_pool_id": uuid::Uuid::new_v4()}),
            400,
            Some("ip_pool_id"),
        ),
        (
            "another tenant's pool",
            "POST",
            servers.clone(),
            json!({"name": "X", "ip_pool_id": other_pool}),
            400,
            Some("ip_pool_id"),
        ),
        (
            "patch suspended not bool",
            "PATCH",
            server.clone(),
            json!({"suspended": "yes"}),
            400,
            Some("suspended"),
        ),
        (
            "pool name missing",
            "POST",
            pools.clone(),
            json!({"default": true}),
            400,
            Some("name"),
        ),
        (
            "pool name taken",
            "POST",
            pools.clone(),
            json!({"name": "pool 192.0.2.1"}),
            409,
            None,
        ),
        (
            "pool default not bool",
            "POST",
            pools.clone(),
            json!({"name": "P", "default": 1}),
            400,
            Some("default"),
        ),
        (
            "membership of a missing address",
            "PUT",
            format!(
                "/ip_pools/{}/ip_addresses/{}",
                existing.pool,
                uuid::Uuid::new_v4()
            ),
            Value::Null,
            404,
            None,
        ),
        (
            "membership id not a uuid",
            "PUT",
            format!("/ip_pools/{}/ip_addresses/nope", existing.pool),
            Value::Null,
            404,
            None,
        ),
        (
            "server id not a uuid",
            "GET",
            "/servers/123".to_owned(),
            Value::Null,
            404,
            None,
        ),
    ];
    for (what, method, path, body, status, field) in cases {
        let body = (!body.is_null()).then_some(body);
        let r = app.call(method, &path, Some(&t.key), body.as_ref());
        r.assert_problem(status);
        if let Some(field) = field {
            assert_eq!(r.body["errors"][0]["field"], field, "{what}: {}", r.text);
        }
        assert_eq!(app.fingerprint(), before, "{what} changed something");
    }
}

#[test]
fn the_sending_view_shares_traffic_by_priority_and_holds_the_send_limit() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let infra = app.infrastructure(&t.key, &t.org, "192.0.2.1");
    let second = created(app.post(
        &format!("/orgs/{}/ip_addresses", t.org),
        &t.key,
        json!({"ipv4": "192.0.2.2", "hostname": "b.example.com", "priority": 50}),
    ));
    app.call(
        "PUT",
        &format!("/ip_pools/{}/ip_addresses/{}", infra.pool, id(&second)),
        Some(&t.key),
        None,
    );
    app.patch(
        &format!("/servers/{}", infra.server),
        &t.key,
        json!({"send_limit": 10}),
    );
    let view = app.get(&format!("/servers/{}/sending", infra.server), &t.key);
    assert_eq!(view.status, 200, "{}", view.text);
    assert_eq!(view.body["may_send"], true);
    assert_eq!(view.body["reasons"], json!([]));
    let shares: Vec<(String, f64)> = view.body["ip_addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["ipv4"].as_str().unwrap().to_owned(),
                a["share"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shares,
        vec![
            ("192.0.2.1".to_owned(), 100.0 / 150.0),
            ("192.0.2.2".to_owned(), 50.0 / 150.0)
        ]
    );
    let sent = app.post(
        "/events",
        &t.key,
        json!({"events": [{"server_id": infra.server, "type": "sent", "ip_address": "192.0.2.2", "count": 10}]}),
    );
    assert_eq!(sent.status, 200, "{}", sent.text);
    let view = app.get(&format!("/servers/{}/sending", infra.server), &t.key);
    assert_eq!(view.body["may_send"], false);
    assert_eq!(view.body["sent_last_hour"], 10);
    assert_eq!(view.body["reasons"][0]["code"], "send_limit_reached");
}

#[test]
fn a_parent_sees_its_own_infrastructure_and_borrowed_pools_count_where_they_live() {
    let app = TestApp::spawn();
    let reseller = app.tenant("Reseller", None, "admin");
    let customer = app.tenant("Customer", Some(&reseller.org), "admin");
    let shared = app.infrastructure(&reseller.key, &reseller.org, "192.0.2.1");
    let borrower = created(app.post(
        &format!("/orgs/{}/servers", customer.org),
        &customer.key,
        json!({"name": "Shop", "ip_pool_id": shared.pool}),
    ));
    let sent = app.post(
        "/events",
        &customer.key,
        json!({"events": [
            {"server_id": id(&borrower), "type": "sent", "ip_address": "192.0.2.1", "count": 4},
        ]}),
    );
    assert_eq!(sent.status, 200, "{}", sent.text);
    let sent = app.post(
        "/events",
        &reseller.key,
        json!({"events": [{"server_id": shared.server, "type": "sent", "ip_address": "192.0.2.1", "count": 6}]}),
    );
    assert_eq!(sent.status, 200, "{}", sent.text);
    // The parent lists its own server only; its pool and address count every message
    // through them; its pool names every server that uses it.
    let parent = app
        .get(
            &format!("/orgs/{}/ip_allocation", reseller.org),
            &reseller.key,
        )
        .body;
    assert_eq!(parent["servers"].as_array().unwrap().len(), 1);
    assert_eq!(parent["servers"][0]["emails_sent"], 6);
    assert_eq!(parent["ip_pools"][0]["emails_sent"], 10);
    assert_eq!(
        parent["ip_pools"][0]["servers"],
        json!(["Server 192.0.2.1", "Shop"])
    );
    assert_eq!(parent["ip_addresses"][0]["emails_sent"], 10);
    let stats = app
        .get(&format!("/orgs/{}/statistics", reseller.org), &reseller.key)
        .body;
    assert_eq!(stats["statistics"]["servers_count"], 1);
    assert_eq!(stats["statistics"]["total_sent"], 6);
    // The child lists its server, which shows the borrowed pool and its address.
    let child = app
        .get(
            &format!("/orgs/{}/ip_allocation", customer.org),
            &customer.key,
        )
        .body;
    assert_eq!(child["ip_pools"], json!([]));
    assert_eq!(child["ip_addresses"], json!([]));
    assert_eq!(child["servers"][0]["ip_pool"], "Pool 192.0.2.1");
    assert_eq!(child["servers"][0]["ip_addresses"], json!(["192.0.2.1"]));
    assert_eq!(child["servers"][0]["emails_sent"], 4);
    // Over the whole tree, the three sums agree.
    let servers = 6 + 4;
    assert_eq!(parent["ip_pools"][0]["emails_sent"], servers);
}
