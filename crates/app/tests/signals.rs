//! Stopping the `orgplane` process with SIGTERM or SIGINT (Ctrl-C) under load: requests
//! in flight are answered, new connections are refused, the process exits 0 within the
//! shutdown timeout, and no acknowledged write is lost.

mod support;

use diesel::{Connection, PgConnection, RunQueryDsl};
use orgplane_test_postgres::TestDatabase;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::{agent, bootstrap, free_port, orgplane, serve, SHUTDOWN_TIMEOUT_SECS};

/// What became of one request.
enum Outcome {
    /// Answered with this status (and, for a create, the new id).
    Answered(u16, Option<String>),
    /// Could not connect: the listener was closed.
    Refused,
    /// Anything else: a connection cut mid-request, a broken answer.
    Broken(String),
}

fn outcome(result: Result<ureq::Response, ureq::Error>) -> Outcome {
    match result {
        Ok(r) => {
            let status = r.status();
            let body: serde_json::Value = r.into_json().unwrap_or_default();
            Outcome::Answered(status, body["id"].as_str().map(str::to_owned))
        }
        Err(ureq::Error::Status(status, _)) => Outcome::Answered(status, None),
        Err(ureq::Error::Transport(t)) if is_refused(&t) => Outcome::Refused,
        Err(ureq::Error::Transport(t)) => Outcome::Broken(t.to_string()),
    }
}

/// A connection that could not be made (as opposed to one cut while in use).
fn is_refused(t: &ureq::Transport) -> bool {
    matches!(t.kind(), ureq::ErrorKind::ConnectionFailed)
        || t.to_string().contains("Connection refused")
}

fn stops_gracefully_on(signal: &str) {
    // Given a serving process, a request held in flight by a lock, and creates under way.
    let db = TestDatabase::new();
    let (key, _) = bootstrap(&db.url);
    let port = free_port();
    let mut child = serve(orgplane(&db.url), port);
    let base = format!("http://127.0.0.1:{port}");
    let create = |name: &str, parent: Option<&str>| -> String {
        let r = agent()
            .post(&format!("{base}/orgs"))
            .set("Authorization", &format!("Bearer {key}"))
            .send_json(serde_json::json!({"name": name, "parent_id": parent}))
            .expect("create");
        r.into_json::<serde_json::Value>().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (held_org, load_org) = (create("Held", None), create("Load", None));
    let mut holder = PgConnection::establish(&db.url).expect("connect");
    diesel::sql_query("BEGIN").execute(&mut holder).unwrap();
    diesel::sql_query(format!(
        "SELECT id FROM organizations WHERE uuid = '{held_org}' FOR UPDATE"
    ))
    .execute(&mut holder)
    .unwrap();
    let stop = AtomicBool::new(false);
    let samples: Mutex<Vec<(Instant, String, Outcome)>> = Mutex::new(Vec::new());
    let signalled = Mutex::new(None::<Instant>);

    std::thread::scope(|s| {
        let held = s.spawn(|| {
            outcome(
                agent()
                    .patch(&format!("{base}/orgs/{held_org}"))
                    .set("Authorization", &format!("Bearer {key}"))
                    .send_json(serde_json::json!({"city": "Bonn"})),
            )
        });
        for t in 0..4 {
            let (base, key, stop, samples, parent) = (&base, &key, &stop, &samples, &load_org);
            s.spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let started = Instant::now();
                    let name = format!("Load {t}-{n}");
                    let result = agent()
                        .post(&format!("{base}/orgs"))
                        .set("Authorization", &format!("Bearer {key}"))
                        .send_json(serde_json::json!({"name": name, "parent_id": parent}));
                    let refused =
                        matches!(&result, Err(ureq::Error::Transport(t)) if is_refused(t));
                    samples
                        .lock()
                        .unwrap()
                        .push((started, name, outcome(result)));
                    if refused {
                        break;
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(700));

        // When the signal comes.
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        *signalled.lock().unwrap() = Some(Instant::now());
        std::thread::sleep(Duration::from_millis(500));

        // Then, while the held request drains, new connections are refused.
        assert!(
            child.try_wait().unwrap().is_none(),
            "exited with a request in flight"
        );
        let late = outcome(agent().get(&format!("{base}/healthz")).call());
        assert!(
            matches!(late, Outcome::Refused),
            "a new connection was accepted"
        );
        diesel::sql_query("ROLLBACK").execute(&mut holder).unwrap();
        match held.join().unwrap() {
            Outcome::Answered(200, _) => {}
            Outcome::Answered(status, _) => panic!("the request in flight answered {status}"),
            Outcome::Refused => panic!("the request in flight was refused"),
            Outcome::Broken(e) => panic!("the request in flight was cut: {e}"),
        }
        stop.store(true, Ordering::Relaxed);
    });

    // And the process exits 0 within the shutdown timeout.
    let signalled = signalled.into_inner().unwrap().unwrap();
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(SHUTDOWN_TIMEOUT_SECS + 2),
            "still running after the shutdown timeout"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let exited_after = signalled.elapsed();
    assert!(exit.success(), "exited with {exit}");

    // No request was cut, but for a connection opened at the very moment of the signal,
    // which may be closed before its request was read: then nothing of it was carried
    // out (checked below). Every acknowledged create is there.
    let samples = samples.into_inner().unwrap();
    let margin = Duration::from_millis(50);
    let mut acknowledged = Vec::new();
    let (mut refused, mut unread) = (0, Vec::new());
    for (started, name, outcome) in &samples {
        match outcome {
            Outcome::Answered(201, Some(id)) => acknowledged.push(id.clone()),
            Outcome::Answered(status, _) => panic!("a create answered {status}"),
            Outcome::Refused => {
                assert!(*started + margin >= signalled, "refused before the signal");
                refused += 1;
            }
            Outcome::Broken(e) => {
                let at = started.checked_duration_since(signalled).map_or_else(
                    || format!("{:?} before", signalled - *started),
                    |d| format!("{d:?} after"),
                );
                let at_the_signal =
                    *started + margin >= signalled && *started <= signalled + margin;
                assert!(
                    at_the_signal,
                    "a request started {at} the signal was cut: {e}"
                );
                unread.push(name.clone());
            }
        }
    }
    let mut conn = PgConnection::establish(&db.url).expect("connect");
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let ids = acknowledged
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    let found: Vec<Count> = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM organizations WHERE uuid IN ({ids}) AND deleted_at IS NULL"
    ))
    .load(&mut conn)
    .expect("count");
    assert_eq!(
        found[0].n as usize,
        acknowledged.len(),
        "acknowledged creates lost"
    );
    for name in &unread {
        let done: Vec<Count> = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM organizations WHERE name = '{name}'"
        ))
        .load(&mut conn)
        .expect("count");
        assert_eq!(done[0].n, 0, "{name} was carried out but never answered");
    }
    println!(
        "signals: {signal}: exited 0 after {exited_after:?}; {} creates acknowledged, 0 lost, \
         {refused} refused after the signal, {} closed unread at the signal (none carried out)",
        acknowledged.len(),
        unread.len()
    );
}

#[test]
fn sigterm_finishes_requests_in_flight_and_exits_0() {
    stops_gracefully_on("TERM");
}

#[test]
fn sigint_finishes_requests_in_flight_and_exits_0() {
    stops_gracefully_on("INT");
}
