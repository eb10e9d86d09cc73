//! The request path, pinned: how many statements an authenticated read costs.

use orgplane_e2e::{Tenant, TestApp};
use serde_json::json;

/// The statements one `call` costs, counted by PostgreSQL itself over `requests` calls,
/// after three calls to warm up (connections opened, each key's first use written down).
fn statements_per_request(app: &TestApp, requests: u64, call: impl Fn()) -> f64 {
    for _ in 0..3 {
        call();
    }
    let mut conn = app.connect();
    let counted = "the test cluster loads pg_stat_statements";
    let before = app.statements_run(&mut conn).expect(counted);
    for _ in 0..requests {
        call();
    }
    let after = app.statements_run(&mut conn).expect(counted);
    // The first reading itself is one of the statements counted.
    (after - before - 1) as f64 / requests as f64
}

/// Three servers of `t`'s organization, each with its own pool and address, that sent 5
/// messages through them and have 2 more queued.
fn three_servers_that_sent(app: &TestApp, t: &Tenant) {
    for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        let infra = app.infrastructure(&t.key, &t.org, ip);
        let events = json!({"events": [
            {"server_id": infra.server, "type": "sent", "ip_address": ip, "count": 5},
            {"server_id": infra.server, "type": "queued", "count": 2},
        ]});
        assert_eq!(app.post("/events", &t.key, events).status, 200);
    }
}

#[test]
fn an_authenticated_read_of_an_organization_costs_two_statements() {
    let app = TestApp::spawn_with(&[("ORGPLANE__EVENTS__PRUNE_INTERVAL_SECS", "100000")]);
    let t = app.tenant("Acme", None, "admin");
    let child = app.create_org(&t.key, json!({"name": "Team"}));
    let path = format!("/orgs/{}", child["id"].as_str().unwrap());
    let session = app.login(&t.email, &t.password);
    for (what, credential) in [("API key", &t.key), ("session", &session)] {
        let per_request = statements_per_request(&app, 20, || {
            assert_eq!(app.get(&path, credential).status, 200)
        });
        // One for the credential and its user, one for the organization with its
        // parent's id: no connection test, no BEGIN/COMMIT.
        assert_eq!(per_request, 2.0, "{what}");
    }
}

#[test]
fn a_list_costs_the_same_whatever_parents_its_items_have() {
    let app = TestApp::spawn_with(&[("ORGPLANE__EVENTS__PRUNE_INTERVAL_SECS", "100000")]);
    let t = app.tenant("Acme", None, "admin");
    let mut parent = t.org.clone();
    for i in 0..5 {
        parent = app.create_org(
            &t.key,
            json!({"name": format!("Level {i}"), "parent_id": parent}),
        )["id"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    let per_request = statements_per_request(&app, 10, || {
        assert_eq!(app.get("/orgs?limit=50", &t.key).status, 200)
    });
    assert_eq!(per_request, 2.0, "no look-up per parent");
}

#[test]
fn live_statistics_cost_three_statements_whatever_the_servers() {
    // Given an organization with three servers that sent and queued.
    let app = TestApp::spawn_with(&[("ORGPLANE__EVENTS__PRUNE_INTERVAL_SECS", "100000")]);
    let t = app.tenant("Acme", None, "admin");
    three_servers_that_sent(&app, &t);
    let path = format!("/orgs/{}/statistics", t.org);
    let per_request = statements_per_request(&app, 20, || {
        let r = app.get(&path, &t.key);
        assert_eq!(r.body["statistics"]["total_sent"], 15, "{}", r.text);
        assert_eq!(r.body["statistics"]["total_queued_count"], 6);
    });
    // The credential, the organization, then its servers with their queues and windows
    // and its addresses in one statement.
    assert_eq!(per_request, 3.0);
}

#[test]
fn the_ip_allocation_costs_three_statements_whatever_the_pools_and_addresses() {
    // Given an organization with three servers, each with its own pool and address, that
    // sent through them.
    let app = TestApp::spawn_with(&[("ORGPLANE__EVENTS__PRUNE_INTERVAL_SECS", "100000")]);
    let t = app.tenant("Acme", None, "admin");
    three_servers_that_sent(&app, &t);
    let path = format!("/orgs/{}/ip_allocation", t.org);
    let per_request = statements_per_request(&app, 20, || {
        let r = app.get(&path, &t.key);
        assert_eq!(
            r.body["ip_pools"].as_array().unwrap().len(),
            3,
            "{}",
            r.text
        );
        assert_eq!(r.body["ip_addresses"][2]["emails_sent"], 5);
    });
    // The credential, the organization, then its servers, pools, addresses, members,
    // pool users and routes in one statement.
    assert_eq!(per_request, 3.0);
}

#[test]
fn the_seed_002_list_costs_four_statements_whatever_its_page_holds() {
    // Given organizations with users and servers of their own.
    let app = TestApp::spawn_with(&[("ORGPLANE__EVENTS__PRUNE_INTERVAL_SECS", "100000")]);
    let t = app.tenant("Acme", None, "admin");
    for ip in ["192.0.2.1", "192.0.2.2"] {
        app.infrastructure(&t.key, &t.org, ip);
    }
    for i in 0..4 {
        app.create_org(
            &t.key,
            json!({"name": format!("Team {i}"), "parent_id": t.org}),
        );
    }
    let path = "/api/organizations?limit=25";
    let per_request = statements_per_request(&app, 20, || {
        let r = app.get(path, &t.key);
        assert_eq!(r.body.as_array().unwrap().len(), 5, "{}", r.text);
        assert_eq!(r.body[0]["workspaces_count"], 2);
        assert_eq!(r.body[0]["users_count"], 1);
    });
    // The credential, the page, the total, then every listed organization's users and
    // servers in one statement.
    assert_eq!(per_request, 4.0);
}

#[test]
fn the_postgrid_list_costs_two_statements_whatever_its_page_holds() {
    // Given a customer of a reseller with four sub-organizations, two of which sent this
    // month; then the reseller suspends the customer, so that the four inherit a
    // suspension decided above the page.
    let app = TestApp::spawn_with(&[("ORGPLANE__EVENTS__PRUNE_INTERVAL_SECS", "100000")]);
    let reseller = app.tenant("Reseller", None, "admin");
    let t = app.tenant("Acme", Some(&reseller.org), "admin");
    for i in 0..4 {
        let child = app.create_org(
            &t.key,
            json!({"name": format!("Team {i}"), "parent_id": t.org}),
        );
        if i % 2 == 0 {
            let child = child["id"].as_str().unwrap().to_owned();
            let ip = format!("192.0.2.{}", i + 1);
            let infra = app.infrastructure(&t.key, &child, &ip);
            let sent = json!({"events": [
                {"server_id": infra.server, "type": "sent", "ip_address": ip, "count": 3 + i},
            ]});
            assert_eq!(app.post("/events", &t.key, sent).status, 200);
        }
    }
    let suspended = app.patch(
        &format!("/orgs/{}", t.org),
        &reseller.key,
        json!({"suspended": true}),
    );
    assert_eq!(suspended.status, 200, "{}", suspended.text);

    // When the customer lists its sub-organizations.
    let per_request = statements_per_request(&app, 20, || {
        let r = app.raw(
            "GET",
            "/print-mail/v1/sub_organizations?limit=10",
            &[("X-API-Key", &t.key)],
            b"",
        );
        assert_eq!(r.body["totalCount"], 4, "{}", r.text);
        let usage: Vec<_> = r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["usage"].as_u64().unwrap())
            .collect();
        assert_eq!(usage, vec![3, 0, 5, 0]);
    });

    // Then it costs the credential, then the caller's organization, the count, the page
    // and its usage in one statement: no look-up of who suspended them.
    assert_eq!(per_request, 2.0);
}
