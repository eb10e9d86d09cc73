//! Tests of batch aggregation.

use super::*;
use crate::ip_address::{Hostname, Priority, SendingIpv4, SendingIpv6};
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 31, 23, 59, 30).unwrap()
}

fn window() -> EventWindow {
    EventWindow {
        now: now(),
        retention: Duration::hours(2),
        future_skew: Duration::minutes(5),
    }
}

fn address(id: i64, v4: &str, v6: Option<&str>) -> IpAddress {
    IpAddress {
        id: IpAddressId(id),
        uuid: Uuid::from_u128(id as u128),
        organization_id: OrganizationId(1),
        ipv4: SendingIpv4::parse(v4).unwrap(),
        ipv6: v6.map(|v| SendingIpv6::parse(v).unwrap()),
        hostname: Hostname::parse("mail.example.com").unwrap(),
        priority: Priority::default(),
        created_at: now(),
        updated_at: now(),
    }
}

/// Server 1 sends through pool 10 (addresses 100 and 101); server 2 has no pool.
fn targets() -> HashMap<Uuid, EventTarget> {
    HashMap::from([
        (
            Uuid::from_u128(1),
            EventTarget {
                server: ServerId(1),
                organization: OrganizationId(7),
                pool: Some((
                    IpPoolId(10),
                    vec![
                        address(100, "192.0.2.1", Some("2001:db8::1")),
                        address(101, "192.0.2.2", None),
                    ],
                )),
            },
        ),
        (
            Uuid::from_u128(2),
            EventTarget {
                server: ServerId(2),
                organization: OrganizationId(7),
                pool: None,
            },
        ),
    ])
}

fn event(server: u128, kind: EventKind, ip: Option<&str>, count: i64) -> NewEvent {
    NewEvent {
        server: Uuid::from_u128(server),
        kind,
        ip_address: ip.map(|i| i.parse().unwrap()),
        count: EventCount::new(count).unwrap(),
        occurred_at: None,
    }
}

fn batch(events: Vec<NewEvent>) -> EventBatch {
    EventBatch::new(events).unwrap()
}

#[test]
fn a_batch_becomes_one_change_per_counter() {
    // Given 10 queued, 3 sent from one address, 2 from the other (one via IPv6), 1 failed
    let b = batch(vec![
        event(1, EventKind::Queued, None, 10),
        event(1, EventKind::Sent, Some("192.0.2.1"), 1),
        event(1, EventKind::Sent, Some("2001:db8::1"), 2),
        event(1, EventKind::Sent, Some("192.0.2.2"), 2),
        event(1, EventKind::Failed, None, 1),
    ]);
    // when aggregated
    let c = aggregate(&b, &targets(), window()).unwrap();
    // then the queue lost what left it, the second holds all five sent, two routes
    // split them, and the month counts them once.
    assert_eq!(c.queues.len(), 1);
    assert_eq!(c.queues[0].2.apply(0), 10 - 5 - 1);
    assert_eq!(c.seconds.len(), 1);
    assert_eq!(c.seconds[0].count, 5);
    assert_eq!(c.seconds[0].second, now().timestamp());
    let per_address: Vec<(i64, i64)> = c.routes.iter().map(|(r, n)| (r.address.0, *n)).collect();
    assert_eq!(per_address, vec![(100, 3), (101, 2)]);
    assert_eq!(c.usage, vec![(OrganizationId(7), Month::of(now()), 5)]);
    assert_eq!(
        c.summary,
        Summary {
            events: 5,
            queued: 10,
            sent: 5,
            failed: 1
        }
    );
}

#[test]
fn the_queue_never_goes_below_zero_in_the_middle_of_a_batch() {
    // Given an empty queue, 3 sent before 2 are queued
    let b = batch(vec![
        event(1, EventKind::Sent, Some("192.0.2.1"), 3),
        event(1, EventKind::Queued, None, 2),
    ]);
    let c = aggregate(&b, &targets(), window()).unwrap();
    // then the queue is 2, not -1.
    assert_eq!(c.queues[0].2.apply(0), 2);
    assert_eq!(c.queues[0].2.apply(5), 4);
}

#[test]
fn every_bad_event_is_named_and_nothing_counts() {
    let mut old = event(1, EventKind::Queued, None, 1);
    old.occurred_at = Some(now() - Duration::hours(3));
    let mut future = event(1, EventKind::Queued, None, 1);
    future.occurred_at = Some(now() + Duration::hours(1));
    let b = batch(vec![
        event(1, EventKind::Queued, None, 1),
        event(9, EventKind::Queued, None, 1),
        event(1, EventKind::Sent, None, 1),
        event(1, EventKind::Failed, Some("192.0.2.1"), 1),
        event(2, EventKind::Sent, Some("192.0.2.1"), 1),
        event(1, EventKind::Sent, Some("198.51.100.1"), 1),
        event(1, EventKind::Sent, Some("2001:db8::2"), 1),
        old,
        future,
    ]);
    let errors = aggregate(&b, &targets(), window()).unwrap_err();
    let expected = vec![
        (1, EventError::UnknownServer),
        (2, EventError::AddressRequired),
        (3, EventError::AddressNotExpected),
        (4, EventError::NoPool),
        (5, EventError::NotInPool),
        (6, EventError::NotInPool),
        (7, EventError::TooOld { hours: 2 }),
        (8, EventError::InTheFuture),
    ];
    assert_eq!(errors, expected);
    assert_eq!(errors[0].1.field(), "server_id");
    assert_eq!(errors[6].1.field(), "occurred_at");
}

#[test]
fn sent_messages_count_in_the_month_they_were_sent() {
    // Given one message at the end of March and one at the start of April
    let mut march = event(1, EventKind::Sent, Some("192.0.2.1"), 1);
    march.occurred_at = Some(now());
    let mut april = event(1, EventKind::Sent, Some("192.0.2.1"), 4);
    april.occurred_at = Some(now() + Duration::seconds(40));
    let c = aggregate(&batch(vec![april, march]), &targets(), window()).unwrap();
    let months: Vec<(String, i64)> = c
        .usage
        .iter()
        .map(|(_, m, n)| (m.to_string(), *n))
        .collect();
    assert_eq!(
        months,
        vec![("2026-03".to_owned(), 1), ("2026-04".to_owned(), 4)]
    );
    assert_eq!(c.seconds.len(), 2, "two different seconds");
}

#[test]
fn batches_and_counts_have_bounds() {
    assert_eq!(EventBatch::new(vec![]), Err(BatchError::Empty));
    let many = vec![event(1, EventKind::Queued, None, 1); MAX_BATCH + 1];
    assert_eq!(EventBatch::new(many), Err(BatchError::TooLarge));
    assert!(EventCount::new(0).is_err());
    assert!(EventCount::new(i64::from(EventCount::MAX) + 1).is_err());
    assert_eq!(EventKind::parse("sent"), Ok(EventKind::Sent));
    assert!(EventKind::parse("bounced").is_err());
}

#[test]
fn queue_changes_compose_like_the_events_they_stand_for() {
    // Applying events one by one and applying their composition agree.
    let deltas = [4, -9, 3, -1, 7, -7, -2, 5];
    for start in [0, 1, 5, 100] {
        let mut one_by_one = start;
        let mut composed = QueueChange::default();
        for d in deltas {
            one_by_one = (one_by_one + d).max(0);
            composed = composed.then(d);
        }
        assert_eq!(composed.apply(start), one_by_one, "from {start}");
    }
}

#[test]
fn batches_combined_count_what_their_events_count_as_one_batch() {
    // Given two batches over both servers, the second draining server 1's queue below
    // zero midway, one event an hour earlier (another second)
    let mut earlier = event(1, EventKind::Sent, Some("192.0.2.2"), 4);
    earlier.occurred_at = Some(now() - Duration::hours(1));
    let first = vec![
        event(1, EventKind::Queued, None, 5),
        event(1, EventKind::Sent, Some("192.0.2.1"), 2),
        event(2, EventKind::Queued, None, 3),
        earlier,
    ];
    let second = vec![
        event(1, EventKind::Sent, Some("192.0.2.1"), 9),
        event(2, EventKind::Failed, None, 1),
        event(1, EventKind::Sent, Some("2001:db8::1"), 3),
        event(1, EventKind::Queued, None, 1),
    ];
    let one = aggregate(&batch(first.clone()), &targets(), window()).unwrap();
    let two = aggregate(&batch(second.clone()), &targets(), window()).unwrap();
    // when their counters are combined
    let combined = Counters::combined([&one, &two]);
    // then they are exactly the counters of all their events read as one batch, in order
    let whole = aggregate(&batch([first, second].concat()), &targets(), window()).unwrap();
    assert_eq!(combined, whole);
    // (server 1's queue: 5, 3, 0 as it never goes below zero, then 0, 0 and 1)
    assert_eq!(combined.queues[0].2.apply(0), 1);
    assert_eq!(combined.summary.events, 8);
}

#[test]
fn queue_changes_compose_in_order_whatever_the_queue_held() {
    let changes = [
        QueueChange::default().then(3).then(-7),
        QueueChange::default().then(-2).then(5),
        QueueChange::default().then(4),
    ];
    for a in changes {
        for b in changes {
            for queued in [0, 1, 4, 10] {
                assert_eq!(a.followed_by(b).apply(queued), b.apply(a.apply(queued)));
            }
        }
    }
}
