//! Faults from the outside, with figures: PostgreSQL crashing under load, event batches
//! retried through an outage, a statement stuck behind a lock, a busy pool. Each test
//! that stops the database runs on a cluster of its own.

use orgplane_e2e::{Cluster, Response, TestApp};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request of the mixed load, by surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    Canonical,
    Postal,
    Postgrid,
    Overview,
    Msndr,
}

/// Opens a transaction on `conn` that holds organization `uuid`'s row (`FOR UPDATE`)
/// until the connection commits, rolls back or closes.
fn hold_row(conn: &mut diesel::PgConnection, uuid: &str) {
    use diesel::RunQueryDsl;
    diesel::sql_query("BEGIN").execute(conn).unwrap();
    diesel::sql_query(format!(
        "SELECT id FROM organizations WHERE uuid = '{uuid}' FOR UPDATE"
    ))
    .execute(conn)
    .unwrap();
}

/// Whether `r` is a 503 in `surface`'s own error shape.
fn unavailable_in_shape(surface: Surface, r: &Response) -> bool {
    r.status == 503
        && match surface {
            Surface::Canonical => {
                r.content_type == "application/problem+json" && r.body["status"] == 503
            }
            Surface::Postal => {
                r.body["status"] == "error" && r.body["data"]["code"] == "ServiceUnavailable"
            }
            Surface::Postgrid => r.body["error"]["type"] == "service_unavailable_error",
            Surface::Overview => r.body["detail"].is_string(),
            Surface::Msndr => r.body["message"].is_string(),
        }
}

/// One answered request of the load.
struct Sample {
    surface: Surface,
    started: Instant,
    took: Duration,
    response: Response,
}

/// Runs mixed reads and writes over every surface from `threads` threads until `stop`;
/// returns every answer and the ids of the organizations whose create was acknowledged.
fn mixed_load(
    app: &TestApp,
    key: &str,
    parent: &str,
    threads: usize,
    stop: &AtomicBool,
) -> (Vec<Sample>, Vec<String>) {
    let samples = Mutex::new(Vec::new());
    let created = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..threads {
            let (samples, created) = (&samples, &created);
            s.spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let started = Instant::now();
                    let (surface, response) = match (n + t as u64) % 6 {
                        0 | 1 => {
                            let body =
                                json!({"name": format!("Load {t}-{n}"), "parent_id": parent});
                            (Surface::Canonical, app.post("/orgs", key, body))
                        }
                        2 => (
                            Surface::Postal,
                            app.raw(
                                "POST",
                                "/api/v1/organizations/statistics",
                                &[
                                    ("X-Server-API-Key", key),
                                    ("Content-Type", "application/json"),
                                ],
                                json!({"uuid": parent}).to_string().as_bytes(),
                            ),
                        ),
                        3 => (
                            Surface::Postgrid,
                            app.raw(
                                "GET",
                                "/print-mail/v1/sub_organizations",
                                &[("X-API-Key", key)],
                                b"",
                            ),
                        ),
                        4 => (Surface::Overview, app.get("/api/stats", key)),
                        _ => (Surface::Msndr, app.get("/v1/email/organizations", key)),
                    };
                    if surface == Surface::Canonical && response.status == 201 {
                        let id = response.body["id"].as_str().unwrap_or_default().to_owned();
                        created.lock().unwrap().push(id);
                    }
                    samples.lock().unwrap().push(Sample {
                        surface,
                        started,
                        took: started.elapsed(),
                        response,
                    });
                }
            });
        }
    });
    (samples.into_inner().unwrap(), created.into_inner().unwrap())
}

#[test]
fn a_database_crash_under_load_answers_503_in_each_shape_and_loses_no_acknowledged_write() {
    // Given a service whose requests wait at most 1 s for a connection, under mixed load.
    let cluster = Cluster::start();
    let app = TestApp::spawn_on(
        &cluster,
        "faults_crash",
        &[
            ("ORGPLANE__DATABASE__CHECKOUT_TIMEOUT_SECS", "1"),
            ("ORGPLANE__DATABASE__CONNECT_TIMEOUT_SECS", "1"),
        ],
    );
    let t = app.tenant("Acme", None, "admin");
    let stop = AtomicBool::new(false);
    let began = Instant::now();
    let (crash_at, back_at) = (Duration::from_secs(1), Duration::from_secs(4));
    let ready_during = Mutex::new(None);

    // When PostgreSQL stops abruptly for three seconds.
    let (samples, created) = std::thread::scope(|s| {
        let load = s.spawn(|| mixed_load(&app, &t.key, &t.org, 4, &stop));
        std::thread::sleep(crash_at);
        cluster.crash();
        std::thread::sleep(Duration::from_millis(1500));
        *ready_during.lock().unwrap() = Some(app.call("GET", "/readyz", None, None));
        std::thread::sleep(back_at - crash_at - Duration::from_millis(1500));
        cluster.resume();
        std::thread::sleep(Duration::from_secs(4));
        stop.store(true, Ordering::Relaxed);
        load.join().unwrap()
    });

    // Then no request waited longer than the checkout timeout + 1 s.
    let slowest = samples.iter().map(|s| s.took).max().unwrap();
    assert!(
        slowest <= Duration::from_secs(2),
        "slowest answer took {slowest:?}"
    );
    // Every answer is a success or a 503 in its surface's own shape.
    let (mut ok, mut unavailable) = (0, 0);
    for sample in &samples {
        if sample.response.status < 300 {
            ok += 1;
        } else {
            assert!(
                unavailable_in_shape(sample.surface, &sample.response),
                "{:?} answered {}: {}",
                sample.surface,
                sample.response.status,
                sample.response.text
            );
            unavailable += 1;
        }
    }
    assert!(unavailable > 0, "the outage was never seen");
    let ready = ready_during.into_inner().unwrap().unwrap();
    ready.assert_problem(503);
    // The first success after PostgreSQL returned came within 5 s, without a restart.
    let back = began + back_at;
    let first = samples
        .iter()
        .filter(|s| s.started >= back && s.response.status < 300)
        .map(|s| s.started + s.took - back)
        .min()
        .expect("a success after the database returned");
    assert!(first <= Duration::from_secs(5), "recovered after {first:?}");
    // And every acknowledged create is there, each with its audit entry.
    for id in &created {
        assert_eq!(
            app.get(&format!("/orgs/{id}"), &t.key).status,
            200,
            "{id} lost"
        );
    }
    let orphans = app.query_count(&format!(
        "SELECT count(*) AS n FROM organizations o WHERE o.parent_id = (SELECT id FROM organizations WHERE uuid = '{}') \
         AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.target_id = o.uuid AND a.action = 'organization.create')",
        t.org
    ));
    assert_eq!(orphans, 0, "an organization without its audit entry");
    println!(
        "faults: {} answers ({ok} ok, {unavailable} 503), slowest {slowest:?}, first success {first:?} after the database returned, {} acknowledged creates, 0 lost",
        samples.len(),
        created.len()
    );
}

#[test]
fn event_batches_retried_through_an_outage_count_exactly_once() {
    // Given a server that sends through one address.
    let cluster = Cluster::start();
    let app = TestApp::spawn_on(
        &cluster,
        "faults_events",
        &[
            ("ORGPLANE__DATABASE__CHECKOUT_TIMEOUT_SECS", "1"),
            ("ORGPLANE__DATABASE__CONNECT_TIMEOUT_SECS", "1"),
        ],
    );
    let t = app.tenant("Acme", None, "admin");
    let infra = app.infrastructure(&t.key, &t.org, "192.0.2.7");
    let batches: u64 = 120;
    let (mut replayed, mut retries, mut sent) = (0u64, 0u64, 0u64);

    // When batches are sent, each retried with its key until acknowledged, while the
    // database goes away (once a sixth of them are acknowledged, so that the outage falls
    // among them however fast they go) and comes back.
    let acknowledged = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            while acknowledged.load(Ordering::SeqCst) < batches / 6 {
                std::thread::sleep(Duration::from_millis(5));
            }
            cluster.crash();
            std::thread::sleep(Duration::from_secs(2));
            cluster.resume();
        });
        for i in 0..batches {
            let count = 1 + (i % 7);
            let body = json!({"events": [{"server_id": infra.server, "type": "sent",
                                          "ip_address": infra.ipv4, "count": count}]})
            .to_string();
            let key = format!("batch-{i}");
            let started = Instant::now();
            loop {
                let r = app.raw(
                    "POST",
                    "/events",
                    &[
                        ("Authorization", &format!("Bearer {}", t.key)),
                        ("Content-Type", "application/json"),
                        ("Idempotency-Key", &key),
                    ],
                    body.as_bytes(),
                );
                if r.status == 200 {
                    replayed += u64::from(r.header("idempotent-replayed") == Some("true"));
                    sent += count;
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                assert!(unavailable_in_shape(Surface::Canonical, &r), "{}", r.text);
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "never acknowledged"
                );
                retries += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    });

    // Then the counters hold exactly the batches acknowledged.
    let c = app.get(&format!("/orgs/{}/consumption?months=1", t.org), &t.key);
    assert_eq!(c.status, 200, "{}", c.text);
    assert_eq!(c.body["months"][0]["usage"], sent, "lost or double-counted");
    let totals = app.query_count(&format!(
        "SELECT coalesce(sum(sent), 0)::int8 AS n FROM sent_totals WHERE server_id = (SELECT id FROM servers WHERE uuid = '{}')",
        infra.server
    ));
    assert!(retries > 0, "the outage was never seen");
    let records = app.query_count("SELECT count(*) AS n FROM idempotency_keys");
    assert_eq!(records, batches as i64, "one record per batch");
    println!("faults: {batches} batches, {sent} events, {retries} retries, {replayed} replayed, usage {sent}, server total {totals}");
}

#[test]
fn a_statement_stuck_behind_a_lock_gives_up_with_503_after_the_statement_timeout() {
    // Given a service whose statements may run 1 s, and another session holding the row
    // of an organization.
    let app = TestApp::spawn_with(&[("ORGPLANE__DATABASE__STATEMENT_TIMEOUT_MS", "1000")]);
    let t = app.tenant("Acme", None, "admin");
    let child = app.create_org(&t.key, json!({"name": "Held", "parent_id": t.org}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let holder = Arc::new(Mutex::new(app.connect()));
    hold_row(&mut holder.lock().unwrap(), &child);

    // When the organization is changed.
    let started = Instant::now();
    let r = app.patch(
        &format!("/orgs/{child}"),
        &t.key,
        json!({"name": "Changed"}),
    );
    let took = started.elapsed();

    // Then the request gives up after about the timeout, answering 503, and changes
    // nothing; once the lock is gone, the same change goes through.
    r.assert_problem(503);
    assert!(r.header("retry-after").is_some());
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(2500),
        "took {took:?}"
    );
    {
        use diesel::RunQueryDsl;
        let mut conn = holder.lock().unwrap();
        diesel::sql_query("ROLLBACK").execute(&mut *conn).unwrap();
    }
    let again = app.patch(
        &format!("/orgs/{child}"),
        &t.key,
        json!({"name": "Changed"}),
    );
    assert_eq!(again.status, 200, "{}", again.text);
    println!("faults: a statement behind a lock gave up after {took:?}");
}

#[test]
fn a_lock_wait_gives_up_with_503_after_the_lock_timeout() {
    // Given a lock timeout well below the statement timeout, and a row held elsewhere.
    let app = TestApp::spawn_with(&[
        ("ORGPLANE__DATABASE__STATEMENT_TIMEOUT_MS", "5000"),
        ("ORGPLANE__DATABASE__LOCK_TIMEOUT_MS", "500"),
    ]);
    let t = app.tenant("Acme", None, "admin");
    let mut holder = app.connect();
    hold_row(&mut holder, &t.org);

    // When a change waits for that row.
    let started = Instant::now();
    let r = app.patch(
        &format!("/orgs/{}", t.org),
        &app.admin_key,
        json!({"city": "Bonn"}),
    );
    let took = started.elapsed();

    // Then it gives up after the lock timeout, not the statement timeout.
    r.assert_problem(503);
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_millis(2000),
        "took {took:?}"
    );
}

#[test]
fn reads_meant_for_a_replica_that_does_not_answer_go_to_the_primary() {
    // Given a replica URL where nothing listens.
    let app = TestApp::spawn_with(&[(
        "ORGPLANE__DATABASE__REPLICA_URL",
        "postgres://postgres@127.0.0.1:9/none?connect_timeout=1",
    )]);
    let t = app.tenant("Acme", None, "admin");
    app.infrastructure(&t.key, &t.org, "192.0.2.30");

    // When the reports and lists that read from the replica are asked, twice.
    for _ in 0..2 {
        for path in [
            format!("/orgs/{}/statistics", t.org),
            format!("/orgs/{}/ip_allocation", t.org),
            format!("/orgs/{}/consumption", t.org),
            "/orgs".to_owned(),
            "/api/stats".to_owned(),
        ] {
            // Then they answer from the primary.
            let r = app.get(&path, &t.key);
            assert_eq!(r.status, 200, "{path}: {}", r.text);
        }
    }
    // And the fallbacks are counted; no read reached the replica.
    let metrics = app.call("GET", "/metrics", None, None).text;
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1.0)
    };
    assert!(
        value("orgplane_db_replica_fallbacks_total") >= 10.0,
        "{metrics}"
    );
    assert_eq!(value("orgplane_db_replica_reads_total"), 0.0);
}

#[test]
fn a_streaming_replica_serves_the_reports_and_when_it_dies_the_primary_does() {
    // Given a primary with a streaming replica, and a service reading reports from it.
    let primary = Cluster::start();
    let app_db = "faults_replica";
    // The database exists before the replica is taken, so the replica has it.
    let url = primary.migrated_database(app_db);
    let replica = primary.replica();
    let app = TestApp::spawn_over_url(
        &url,
        app_db,
        &primary.url("postgres"),
        &[("ORGPLANE__DATABASE__REPLICA_URL", &replica.url(app_db))],
    );
    let t = app.tenant("Acme", None, "admin");
    app.infrastructure(&t.key, &t.org, "192.0.2.40");

    // When reports are read, then the replica dies, then they are read again.
    let read_all = || {
        for path in [
            format!("/orgs/{}/statistics", t.org),
            format!("/orgs/{}/ip_allocation", t.org),
            "/api/stats".to_owned(),
        ] {
            let r = app.get(&path, &t.key);
            assert_eq!(r.status, 200, "{path}: {}", r.text);
        }
    };
    let metric = |name: &str| -> f64 {
        app.call("GET", "/metrics", None, None)
            .text
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1.0)
    };
    read_all();
    let served = metric("orgplane_db_replica_reads_total");
    replica.crash();
    read_all();

    // Then the replica served them while it lived, and the primary after.
    assert!(served >= 3.0, "replica reads: {served}");
    assert!(metric("orgplane_db_replica_fallbacks_total") >= 1.0);
    println!("faults: replica served {served} reads, then the primary took over");
}

#[test]
fn readiness_does_not_fail_while_the_pool_is_merely_busy() {
    // Given a pool of one connection, held by a request waiting on a lock.
    let app = TestApp::spawn_with(&[
        ("ORGPLANE__DATABASE__POOL_MAX_SIZE", "1"),
        ("ORGPLANE__DATABASE__CHECKOUT_TIMEOUT_SECS", "1"),
        ("ORGPLANE__DATABASE__STATEMENT_TIMEOUT_MS", "4000"),
    ]);
    let t = app.tenant("Acme", None, "admin");
    let mut holder = app.connect();
    hold_row(&mut holder, &t.org);
    std::thread::scope(|s| {
        let busy = s.spawn(|| {
            app.patch(
                &format!("/orgs/{}", t.org),
                &app.admin_key,
                json!({"city": "Bonn"}),
            )
        });
        std::thread::sleep(Duration::from_millis(500));

        // When readiness is asked, and a request needs the pool.
        let started = Instant::now();
        let ready = app.call("GET", "/readyz", None, None);
        let ready_took = started.elapsed();
        let read = app.get(&format!("/orgs/{}", t.org), &t.key);

        // Then the database reads as reachable at once, while the request waits for its
        // turn behind the busy one and gives up after the checkout timeout (503).
        assert_eq!(ready.status, 200, "{}", ready.text);
        assert!(
            ready_took < Duration::from_millis(500),
            "took {ready_took:?}"
        );
        read.assert_problem(503);
        let metrics = app.call("GET", "/metrics", None, None).text;
        assert!(
            metrics
                .lines()
                .any(|l| l == "orgplane_blocking_admission_timeouts_total 1"),
            "{metrics}"
        );
        {
            use diesel::RunQueryDsl;
            diesel::sql_query("ROLLBACK").execute(&mut holder).unwrap();
        }
        assert_eq!(busy.join().unwrap().status, 200);
    });
}
