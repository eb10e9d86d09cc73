//! Contract cases: event counters.

use super::*;
use crate::store::*;
use orgplane_domain::event::{Counters, QueueChange, SentInSecond, SentRoute};
use orgplane_domain::ip_address::IpAddressId;
use orgplane_domain::server::ServerId;

/// One batch's counters: `sent` messages of `server` in second `second` through one
/// route, and a queue change.
fn batch(
    server: &Server,
    pool: IpPoolId,
    address: IpAddressId,
    second: i64,
    sent: i64,
    queue: QueueChange,
) -> Counters {
    let org = server.organization_id;
    Counters {
        queues: vec![(server.id, org, queue)],
        seconds: vec![SentInSecond {
            server: server.id,
            organization: org,
            second,
            count: sent,
        }],
        routes: vec![(
            SentRoute {
                server: server.id,
                pool,
                address,
                organization: org,
            },
            sent,
        )],
        ..Default::default()
    }
}

struct Setup {
    server: Server,
    other: Server,
    pool: IpPoolId,
    address: IpAddressId,
    second_address: IpAddressId,
}

fn setup<S: Store>(store: &S) -> Setup {
    let org = insert_org(store, "Acme", None);
    let pool = insert_pool(store, "Pool", &org);
    let a = insert_address(store, "192.0.2.1", &org);
    let b = insert_address(store, "192.0.2.2", &org);
    Setup {
        server: insert_server(store, "One", &org, Some(pool.id)),
        other: insert_server(store, "Two", &org, Some(pool.id)),
        pool: pool.id,
        address: a.id,
        second_address: b.id,
    }
}

/// Counters of several batches add up: per second, per route, per server queue.
pub fn counters_add_up_across_batches<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let s = setup(&store);
    let plus = |n| QueueChange::default().then(n);
    must(&store, |r| {
        r.record_counters(&batch(&s.server, s.pool, s.address, 100, 3, plus(10)))
    });
    must(&store, |r| {
        r.record_counters(&batch(&s.server, s.pool, s.address, 100, 4, plus(-2)))
    });
    must(&store, |r| {
        r.record_counters(&batch(&s.server, s.pool, s.second_address, 101, 5, plus(1)))
    });
    must(&store, |r| {
        r.record_counters(&batch(&s.other, s.pool, s.address, 100, 7, plus(0)))
    });
    let mut queues = must(&store, |r| r.queue_sizes(&[s.server.id, s.other.id]));
    queues.sort();
    assert_eq!(queues, vec![(s.server.id, 9), (s.other.id, 0)]);
    let mut sent = must(&store, |r| r.sent_since(&[s.server.id, s.other.id], 100));
    sent.sort();
    assert_eq!(sent, vec![(s.server.id, 12), (s.other.id, 7)]);
    let mut routes: Vec<(ServerId, IpAddressId, u64)> =
        must(&store, |r| r.sent_routes(&[s.server.id], &[], &[]))
            .into_iter()
            .map(|(route, n)| (route.server, route.address, n))
            .collect();
    routes.sort();
    assert_eq!(
        routes,
        vec![
            (s.server.id, s.address, 7),
            (s.server.id, s.second_address, 5)
        ]
    );
    // By address, every server's traffic through it; by pool, all of it.
    let through_address: u64 = must(&store, |r| r.sent_routes(&[], &[], &[s.address]))
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(through_address, 14);
    let through_pool: u64 = must(&store, |r| r.sent_routes(&[], &[s.pool], &[]))
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(through_pool, 19);
}

/// A queue change applies as `max(floor, queued + shift)`: never below zero.
pub fn queues_never_go_below_zero<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let s = setup(&store);
    let change = |c: QueueChange| Counters {
        queues: vec![(s.server.id, s.server.organization_id, c)],
        ..Default::default()
    };
    must(&store, |r| {
        r.record_counters(&change(QueueChange::default().then(5)))
    });
    // Take 8 (the queue empties), then add 2: the floor keeps the 2.
    must(&store, |r| {
        r.record_counters(&change(QueueChange::default().then(-8).then(2)))
    });
    assert_eq!(
        must(&store, |r| r.queue_sizes(&[s.server.id])),
        vec![(s.server.id, 2)]
    );
    must(&store, |r| {
        r.record_counters(&change(QueueChange::default().then(-100)))
    });
    let queued = must(&store, |r| r.queue_sizes(&[s.server.id]));
    assert!(
        queued.is_empty() || queued == vec![(s.server.id, 0)],
        "{queued:?}"
    );
}

/// Two batches upserting the same counters at once: the second waits for the first, and
/// both count (no lost update).
pub fn two_batches_on_the_same_counters_lose_nothing<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let s = setup(&store);
    let first = batch(
        &s.server,
        s.pool,
        s.address,
        100,
        3,
        QueueChange::default().then(4),
    );
    let second = batch(
        &s.server,
        s.pool,
        s.address,
        100,
        5,
        QueueChange::default().then(6),
    );
    race(
        &store,
        |r, hold| {
            r.record_counters(&first)?;
            hold();
            Ok(())
        },
        |r| r.record_counters(&second),
    );
    assert_eq!(
        must(&store, |r| r.queue_sizes(&[s.server.id])),
        vec![(s.server.id, 10)]
    );
    assert_eq!(
        must(&store, |r| r.sent_since(&[s.server.id], 0)),
        vec![(s.server.id, 8)]
    );
    let routes = must(&store, |r| r.sent_routes(&[s.server.id], &[], &[]));
    assert_eq!(routes.iter().map(|(_, n)| n).sum::<u64>(), 8);
}

/// Per-second counts are read from a second on, and pruned before one.
pub fn per_second_counts_are_read_by_window_and_pruned<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let s = setup(&store);
    for (second, n) in [(10, 1), (50, 2), (69, 4), (70, 8)] {
        must(&store, |r| {
            r.record_counters(&batch(
                &s.server,
                s.pool,
                s.address,
                second,
                n,
                QueueChange::default(),
            ))
        });
    }
    assert_eq!(
        must(&store, |r| r.sent_since(&[s.server.id], 50)),
        vec![(s.server.id, 14)]
    );
    assert_eq!(must(&store, |r| r.sent_since(&[s.server.id], 71)), vec![]);
    // The statistics' one read: each server with its queue and its window, by key; a
    // server with no counters shows zeros.
    must(&store, |r| {
        r.record_counters(&batch(
            &s.server,
            s.pool,
            s.address,
            70,
            0,
            QueueChange::default().then(5),
        ))
    });
    let figures = must(&store, |r| r.server_figures(s.server.organization_id, 50));
    let shown: Vec<_> = figures
        .iter()
        .map(|f| (f.server.id, f.queued, f.sent))
        .collect();
    assert_eq!(shown, vec![(s.server.id, 5, 14), (s.other.id, 0, 0)]);
    assert_eq!(must(&store, |r| r.prune_sent_seconds(50)), 1);
    assert_eq!(
        must(&store, |r| r.sent_since(&[s.server.id], 0)),
        vec![(s.server.id, 14)]
    );
    // The all-time totals are not pruned.
    let routes = must(&store, |r| r.sent_routes(&[s.server.id], &[], &[]));
    assert_eq!(routes.iter().map(|(_, n)| n).sum::<u64>(), 15);
}
