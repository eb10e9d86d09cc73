//! Scale-out on PostgreSQL, on loopback (`make cluster` runs this alone, loudly): two
//! `orgplane serve` processes over one primary behind PgBouncer in session mode, and a
//! streaming replica serving the read-heavy routes. Traffic runs through both processes;
//! mid-run one process is killed (SIGKILL) and the replica crashed. Every create is
//! acknowledged exactly once (retried on the other process with its `Idempotency-Key`),
//! every acknowledged create is in the database once, and reads carry on from the primary.

mod support;

use diesel::{Connection, PgConnection, RunQueryDsl};
use orgplane_test_postgres::{Bouncer, Cluster};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::{agent, bootstrap, free_port, orgplane, serve};

/// How each logical create ended.
#[derive(Debug, Default)]
struct Tally {
    /// Organization ids acknowledged, one per logical create.
    acknowledged: Vec<String>,
    /// Creates that needed another attempt (on the other process) to be acknowledged.
    retried: u64,
    /// Of those, the ones answered from the first attempt's record (`Idempotent-Replayed`).
    replayed: u64,
    /// Creates never acknowledged.
    gave_up: u64,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn metric(base: &str, name: &str) -> f64 {
    let text = agent()
        .get(&format!("{base}/metrics"))
        .call()
        .map(|r| r.into_string().unwrap_or_default())
        .unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn two_processes_behind_pgbouncer_lose_nothing_when_one_dies_with_the_replica() {
    // Given a primary, its streaming replica, PgBouncer in session mode, and two
    // processes sending writes through PgBouncer and reports to the replica.
    let primary = Cluster::start();
    let primary_url = primary.migrated_database("orgplane");
    let replica = primary.replica();
    let bouncer = Bouncer::start(&primary, "orgplane", 40);
    let pooled = bouncer.url("orgplane");
    let (key, platform) = bootstrap(&pooled);
    let process = |port| {
        let mut command = orgplane(&pooled);
        command
            .env("ORGPLANE__DATABASE__REPLICA_URL", replica.url("orgplane"))
            .env("ORGPLANE__DATABASE__POOL_MAX_SIZE", "8");
        serve(command, port)
    };
    let (port_a, port_b) = (free_port(), free_port());
    let mut a = process(port_a);
    let mut b = process(port_b);
    let bases = [
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    ];

    // When four clients create organizations and read reports through both processes...
    let stop = AtomicBool::new(false);
    let tally = Mutex::new(Tally::default());
    let (reads, read_retries, read_failures) =
        (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    // Reads that process B itself failed to answer (A's are refused once it is dead).
    let b_read_errors = AtomicU64::new(0);
    let reports_before_crash = Mutex::new(0.0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for client in 0..4 {
            let (stop, tally, bases, key, platform) = (&stop, &tally, &bases, &key, &platform);
            let (reads, read_retries, read_failures) = (&reads, &read_retries, &read_failures);
            let b_read_errors = &b_read_errors;
            s.spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let idempotency_key = format!("load-{client}-{i}");
                    let body = json!({"name": format!("load {client}-{i}")});
                    let first = (client + i) % 2;
                    // A create is retried, alternating processes, until it is answered.
                    let mut acknowledged = None;
                    for attempt in 0..40 {
                        let base = &bases[(first + attempt) % 2];
                        let answer = agent()
                            .post(&format!("{base}/orgs"))
                            .set("Authorization", &format!("Bearer {key}"))
                            .set("Idempotency-Key", &idempotency_key)
                            .send_json(body.clone());
                        if let Ok(r) = answer {
                            let replayed = r.header("Idempotent-Replayed").is_some();
                            let created: serde_json::Value = r.into_json().unwrap_or_default();
                            if let Some(id) = created["id"].as_str() {
                                acknowledged = Some((id.to_owned(), attempt, replayed));
                                break;
                            }
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    {
                        let mut t = tally.lock().unwrap();
                        match acknowledged {
                            Some((id, attempt, replayed)) => {
                                t.acknowledged.push(id);
                                t.retried += u64::from(attempt > 0);
                                t.replayed += u64::from(replayed);
                            }
                            None => t.gave_up += 1,
                        }
                    }
                    // A report and a list, from the replica while it lives; a read is
                    // retried on the other process if its answer is lost.
                    for path in [
                        format!("/orgs/{platform}/statistics"),
                        "/orgs?limit=20".to_owned(),
                    ] {
                        reads.fetch_add(1, Ordering::Relaxed);
                        let ok = (0..40).any(|attempt| {
                            if attempt > 0 {
                                read_retries.fetch_add(1, Ordering::Relaxed);
                                std::thread::sleep(Duration::from_millis(100));
                            }
                            let target = (first + attempt) % 2;
                            let ok = agent()
                                .get(&format!("{}{path}", bases[target]))
                                .set("Authorization", &format!("Bearer {key}"))
                                .call()
                                .is_ok_and(|r| r.status() == 200);
                            if !ok && target == 1 {
                                b_read_errors.fetch_add(1, Ordering::Relaxed);
                            }
                            ok
                        });
                        if !ok {
                            read_failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    i += 1;
                }
            });
        }
        // ... and, two seconds in, process A is killed and the replica crashes.
        std::thread::sleep(Duration::from_secs(2));
        *reports_before_crash.lock().unwrap() =
            metric(&bases[1], "orgplane_db_replica_reads_total");
        a.kill().expect("killing process A");
        replica.crash();
        let killed = started.elapsed();
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::Relaxed);
        println!("cluster: process A and the replica stopped at {killed:.1?}");
    });
    let _ = a.wait();

    // Then every create was acknowledged once, and each is in the database once.
    let tally = tally.into_inner().unwrap();
    let mut ids = tally.acknowledged.clone();
    ids.sort();
    ids.dedup();
    let mut conn = PgConnection::establish(&primary_url).expect("primary");
    let stored = diesel::sql_query(
        "SELECT count(*) AS n FROM organizations WHERE name LIKE 'load %' AND deleted_at IS NULL",
    )
    .get_result::<Count>(&mut conn)
    .expect("count")
    .n;
    let fallbacks = metric(&bases[1], "orgplane_db_replica_fallbacks_total");
    println!(
        "cluster: {} creates acknowledged ({} retried on the other process, {} of them \
         answered from the first attempt's record), {} given up; {stored} in the database; \
         {} reads ({} retries, {} failed; {} not answered by process B); process B: {} \
         replica reads before the crash, {fallbacks} fallbacks to the primary after",
        tally.acknowledged.len(),
        tally.retried,
        tally.replayed,
        tally.gave_up,
        reads.load(Ordering::Relaxed),
        read_retries.load(Ordering::Relaxed),
        read_failures.load(Ordering::Relaxed),
        b_read_errors.load(Ordering::Relaxed),
        reports_before_crash.lock().unwrap(),
    );
    assert_eq!(tally.gave_up, 0, "every create was acknowledged in the end");
    assert_eq!(
        ids.len(),
        tally.acknowledged.len(),
        "no create acknowledged twice as two"
    );
    assert_eq!(
        stored as usize,
        ids.len(),
        "every acknowledged create is stored, once"
    );
    assert!(tally.acknowledged.len() > 20, "the load ran: {tally:?}");
    assert!(
        tally.retried > 0,
        "creates meant for the dead process went to the other"
    );
    assert_eq!(
        read_failures.load(Ordering::Relaxed),
        0,
        "every read was answered"
    );
    assert_eq!(
        b_read_errors.load(Ordering::Relaxed),
        0,
        "the surviving process answered every read, the replica's loss included"
    );
    // And the replica served reports before the crash; the primary after it.
    assert!(
        *reports_before_crash.lock().unwrap() > 0.0,
        "the replica served reads"
    );
    assert!(fallbacks > 0.0, "reads fell back to the primary");
    // And process B still serves.
    let alive = agent()
        .get(&format!("{}/orgs/{platform}/statistics", bases[1]))
        .set("Authorization", &format!("Bearer {key}"))
        .call()
        .map(|r| r.status());
    assert_eq!(alive.ok(), Some(200));
    let _ = b.kill();
    let _ = b.wait();
    drop(bouncer);
}
