//! Message events: batches counted whole or not at all, test-mode keys, usage against the
//! monthly limit, its thresholds, and consumption.

use orgplane_e2e::{seconds_ago, TestApp};
use serde_json::{json, Value};

fn sent(server: &str, ip: &str, count: u64) -> Value {
    json!({"server_id": server, "type": "sent", "ip_address": ip, "count": count})
}

#[test]
fn a_batch_with_one_bad_event_is_refused_whole() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let infra = app.infrastructure(&t.key, &t.org, "192.0.2.1");
    let no_pool = app.post(
        &format!("/orgs/{}/servers", t.org),
        &t.key,
        json!({"name": "Dev", "ip_pool_id": null}),
    );
    let no_pool = no_pool.body["id"].as_str().unwrap().to_owned();
    let other = app.tenant("Globex", None, "admin");
    let theirs = app.infrastructure(&other.key, &other.org, "198.51.100.1");
    let good = sent(&infra.server, "192.0.2.1", 1);
    let before = app.fingerprint_except(&["access_log"]);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown server",
            json!({"server_id": uuid::Uuid::new_v4(), "type": "queued"}),
            "events[1].server_id",
        ),
        (
            "another tenant's server",
            json!({"server_id": theirs.server, "type": "queued"}),
            "events[1].server_id",
        ),
        (
            "server id not a uuid",
            json!({"server_id": "srv-1", "type": "queued"}),
            "events[1].server_id",
        ),
        (
            "unknown type",
            json!({"server_id": infra.server, "type": "bounced"}),
            "events[1].type",
        ),
        (
            "sent without address",
            json!({"server_id": infra.server, "type": "sent"}),
            "events[1].ip_address",
        ),
        (
            "address not in the pool",
            sent(&infra.server, "198.51.100.1", 1),
            "events[1].ip_address",
        ),
        (
            "address malformed",
            sent(&infra.server, "192.0.2.300", 1),
            "events[1].ip_address",
        ),
        (
            "address on a queued event",
            json!({"server_id": infra.server, "type": "queued", "ip_address": "192.0.2.1"}),
            "events[1].ip_address",
        ),
        (
            "sent by a server without a pool",
            sent(&no_pool, "192.0.2.1", 1),
            "events[1].ip_address",
        ),
        (
            "count zero",
            json!({"server_id": infra.server, "type": "queued", "count": 0}),
            "events[1].count",
        ),
        (
            "count too large",
            json!({"server_id": infra.server, "type": "queued", "count": 1_000_001}),
            "events[1].count",
        ),
        (
            "count a string",
            json!({"server_id": infra.server, "type": "queued", "count": "5"}),
            "events[1].count",
        ),
        (
            "in the future",
            json!({"server_id": infra.server, "type": "queued", "occurred_at": "2099-01-01T00:00:00Z"}),
            "events[1].occurred_at",
        ),
        (
            "before the retention",
            json!({"server_id": infra.server, "type": "queued", "occurred_at": "2001-01-01T00:00:00Z"}),
            "events[1].occurred_at",
        ),
        (
            "time malformed",
            json!({"server_id": infra.server, "type": "queued", "occurred_at": "yesterday"}),
            "events[1].occurred_at",
        ),
        (
            "unknown field",
            json!({"server_id": infra.server, "type": "queued", "bounce": true}),
            "events[1].bounce",
        ),
    ];
    for (what, bad, field) in cases {
        let r = app.post("/events", &t.key, json!({"events": [good, bad]}));
        r.assert_problem(400);
        assert_eq!(r.body["errors"][0]["field"], field, "{what}: {}", r.text);
        assert_eq!(
            app.fingerprint_except(&["access_log"]),
            before,
            "{what} counted something"
        );
    }
    for (what, body) in [
        ("no events", json!({"events": []})),
        ("events not a list", json!({"events": {}})),
        ("no body at all", json!({})),
    ] {
        let r = app.post("/events", &t.key, body);
        r.assert_problem(400);
        assert_eq!(app.fingerprint_except(&["access_log"]), before, "{what}");
    }
    let too_many: Vec<Value> = (0..10_001).map(|_| good.clone()).collect();
    app.post("/events", &t.key, json!({"events": too_many}))
        .assert_problem(400);
    // Viewers may not report; the batch is refused before anything is looked at.
    let viewer = app.create_user(&t.key, &t.org, "viewer@acme.example", "viewer");
    let viewer_key = app.create_key(&t.key, &viewer, json!({}));
    app.get("/orgs", &viewer_key);
    let before = app.fingerprint_except(&["access_log"]);
    app.post("/events", &viewer_key, json!({"events": [good]}))
        .assert_problem(403);
    assert_eq!(app.fingerprint_except(&["access_log"]), before);
    // A full batch of 10,000 is fine.
    let full: Vec<Value> = (0..10_000).map(|_| good.clone()).collect();
    let r = app.post("/events", &t.key, json!({"events": full}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["sent"], 10_000);
}

#[test]
fn test_mode_keys_report_events_that_never_count() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let infra = app.infrastructure(&t.key, &t.org, "192.0.2.1");
    let test_key = app.create_key(&t.key, &t.user, json!({"mode": "test"}));
    app.get("/orgs", &test_key);
    let before = app.fingerprint_except(&["access_log"]);
    let r = app.post(
        "/events",
        &test_key,
        json!({"events": [sent(&infra.server, "192.0.2.1", 7), {"server_id": infra.server, "type": "queued"}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"events": 2, "queued": 1, "sent": 7, "failed": 0, "counted": false})
    );
    assert_eq!(
        app.fingerprint_except(&["access_log"]),
        before,
        "nothing counted"
    );
    // It is checked like any other batch.
    let bad = app.post(
        "/events",
        &test_key,
        json!({"events": [sent(&infra.server, "203.0.113.1", 1)]}),
    );
    bad.assert_problem(400);
}

#[test]
fn usage_crosses_each_threshold_once_a_month_and_consumption_rolls_up() {
    let app = TestApp::spawn();
    let reseller = app.tenant("Reseller", None, "admin");
    let customer = app.tenant("Customer", Some(&reseller.org), "admin");
    // The customer's allowance is set from above.
    let r = app.patch(
        &format!("/orgs/{}", customer.org),
        &reseller.key,
        json!({"limit": 100}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let infra = app.infrastructure(&customer.key, &customer.org, "192.0.2.1");
    let parent_infra = app.infrastructure(&reseller.key, &reseller.org, "192.0.2.2");
    let send = |key: &str, server: &str, ip: &str, n: u64| {
        let r = app.post("/events", key, json!({"events": [sent(server, ip, n)]}));
        assert_eq!(r.status, 200, "{}", r.text);
    };
    let thresholds = || -> Vec<u64> {
        let r = app.get(
            &format!("/orgs/{}/audit_log?action=usage.threshold", customer.org),
            &reseller.key,
        );
        let mut found: Vec<u64> = r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["changes"]["threshold_percent"].as_u64().unwrap())
            .collect();
        found.sort();
        found
    };
    send(&customer.key, &infra.server, "192.0.2.1", 79);
    assert_eq!(thresholds(), Vec::<u64>::new());
    send(&customer.key, &infra.server, "192.0.2.1", 1);
    assert_eq!(thresholds(), vec![80]);
    send(&customer.key, &infra.server, "192.0.2.1", 5);
    assert_eq!(thresholds(), vec![80], "recorded once");
    send(&customer.key, &infra.server, "192.0.2.1", 40);
    assert_eq!(thresholds(), vec![80, 100]);
    send(&customer.key, &infra.server, "192.0.2.1", 40);
    assert_eq!(thresholds(), vec![80, 100], "recorded once");
    send(&reseller.key, &parent_infra.server, "192.0.2.2", 9);

    let usage: u64 = 79 + 1 + 5 + 40 + 40;
    let overage = usage - 100;
    let price: u64 = 50; // config/default.toml
    let spend = (overage * price).div_ceil(1000);
    let c = app.get(
        &format!("/orgs/{}/consumption?months=3", customer.org),
        &customer.key,
    );
    assert_eq!(c.status, 200, "{}", c.text);
    assert_eq!(c.body["organization_id"], json!(customer.org));
    assert_eq!(c.body["overage_cents_per_thousand"], price);
    let months = c.body["months"].as_array().unwrap();
    assert_eq!(months.len(), 3);
    let this = &months[0];
    assert_eq!(this["usage"], usage);
    assert_eq!(this["limit"], 100);
    assert_eq!(this["overage"], overage);
    assert_eq!(this["spend"], spend);
    assert_eq!(
        this["with_descendants"],
        json!({"usage": usage, "overage": overage, "spend": spend})
    );
    assert_eq!(months[1]["usage"], 0);
    assert!(months[1]["month"].as_str().unwrap() < this["month"].as_str().unwrap());
    // The parent's own usage is its own; rolled up, the customer's counts too.
    let p = app.get(
        &format!("/orgs/{}/consumption", reseller.org),
        &reseller.key,
    );
    let this = &p.body["months"][0];
    assert_eq!(this["usage"], 9);
    assert_eq!(this["limit"], Value::Null);
    assert_eq!(this["overage"], 0);
    assert_eq!(
        this["with_descendants"],
        json!({"usage": usage + 9, "overage": overage, "spend": spend})
    );
    assert_eq!(
        p.body["months"].as_array().unwrap().len(),
        12,
        "a year by default"
    );
    // PostGrid-style `usage` is the same counter: the customer's usage this month.
    for bad in ["0", "37", "x", "-1"] {
        app.get(
            &format!("/orgs/{}/consumption?months={bad}", customer.org),
            &customer.key,
        )
        .assert_problem(400);
    }
}

#[test]
fn the_live_window_holds_the_last_sixty_seconds_and_the_totals_everything() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let infra = app.infrastructure(&t.key, &t.org, "192.0.2.1");
    let mut earlier = sent(&infra.server, "192.0.2.1", 50);
    earlier["occurred_at"] = json!(seconds_ago(600));
    let r = app.post(
        "/events",
        &t.key,
        json!({"events": [earlier, sent(&infra.server, "192.0.2.1", 12), {"server_id": infra.server, "type": "failed", "count": 3}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let s = app.get(&format!("/orgs/{}/statistics", t.org), &t.key).body;
    assert_eq!(
        s["statistics"]["total_sent"], 12,
        "ten minutes ago is outside the window"
    );
    assert_eq!(
        s["statistics"]["overall_message_rate"].as_f64(),
        Some(12.0 / 60.0)
    );
    assert_eq!(
        s["statistics"]["servers"][0]["queued_count"], 0,
        "never below zero"
    );
    let a = app
        .get(&format!("/orgs/{}/ip_allocation", t.org), &t.key)
        .body;
    assert_eq!(a["servers"][0]["emails_sent"], 62, "all time");
    let view = app
        .get(&format!("/servers/{}/sending", infra.server), &t.key)
        .body;
    assert_eq!(view["sent_last_hour"], 62);
}

#[test]
fn concurrent_batches_each_count_once_and_cross_each_threshold_once() {
    // Given a customer with a monthly limit of 1,000 and one server
    let app = TestApp::spawn();
    let reseller = app.tenant("Reseller", None, "admin");
    let customer = app.tenant("Customer", Some(&reseller.org), "admin");
    let limit = json!({"limit": 1000});
    let r = app.patch(&format!("/orgs/{}", customer.org), &reseller.key, limit);
    assert_eq!(r.status, 200, "{}", r.text);
    let infra = app.infrastructure(&customer.key, &customer.org, "192.0.2.1");
    let (threads, batches) = (8, 6);
    let batch = json!({"events": [
        {"server_id": infra.server, "type": "queued", "count": 30},
        sent(&infra.server, "192.0.2.1", 25),
    ]})
    .to_string();
    let post = |key: &str| {
        let headers = [
            ("Authorization", format!("Bearer {}", customer.key)),
            ("Content-Type", "application/json".to_owned()),
            ("Idempotency-Key", key.to_owned()),
        ];
        let headers: Vec<(&str, &str)> = headers.iter().map(|(h, v)| (*h, v.as_str())).collect();
        app.raw("POST", "/events", &headers, batch.as_bytes())
    };

    // When 8 clients post 6 batches each at once, each under its own key, and each
    // posts its first batch again
    std::thread::scope(|s| {
        for t in 0..threads {
            let post = &post;
            s.spawn(move || {
                let first = post(&format!("client-{t}-batch-0"));
                assert_eq!(first.status, 200, "{}", first.text);
                for b in 1..batches {
                    let r = post(&format!("client-{t}-batch-{b}"));
                    assert_eq!(r.status, 200, "{}", r.text);
                }
                let again = post(&format!("client-{t}-batch-0"));
                assert_eq!((again.status, again.text), (200, first.text), "replayed");
            });
        }
    });

    // Then every batch counted once: 48 × 25 sent, 48 × 5 left queued
    let sent_in_all = threads * batches * 25;
    let s = app.get(&format!("/orgs/{}/statistics", customer.org), &customer.key);
    assert_eq!(
        s.body["statistics"]["total_sent"], sent_in_all,
        "{}",
        s.text
    );
    assert_eq!(
        s.body["statistics"]["servers"][0]["queued_count"],
        threads * batches * 5
    );
    let a = app.get(
        &format!("/orgs/{}/ip_allocation", customer.org),
        &customer.key,
    );
    assert_eq!(a.body["servers"][0]["emails_sent"], sent_in_all);
    let c = app.get(
        &format!("/orgs/{}/consumption?months=1", customer.org),
        &customer.key,
    );
    assert_eq!(c.body["months"][0]["usage"], sent_in_all);
    // and each threshold was recorded once, at the usage that reached it
    let log = app.get(
        &format!("/orgs/{}/audit_log?action=usage.threshold", customer.org),
        &reseller.key,
    );
    let mut reached: Vec<(u64, u64)> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let changes = &e["changes"];
            (
                changes["threshold_percent"].as_u64().unwrap(),
                changes["usage"].as_u64().unwrap(),
            )
        })
        .collect();
    reached.sort();
    assert_eq!(
        reached,
        vec![(80, 800), (100, 1000)],
        "one batch reached each, exactly"
    );
    // and each key's record was written with its batch, once. (Whether batches shared a
    // transaction depends on timing; the group commit's own tests show that they do.)
    let keys = app.query_count("SELECT count(*) AS n FROM idempotency_keys");
    assert_eq!(keys, (threads * batches) as i64);
}
