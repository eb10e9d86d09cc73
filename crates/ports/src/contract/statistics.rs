//! Contract cases: the live statistics' reads.

use super::*;
use crate::store::*;
use orgplane_domain::event::{Counters, QueueChange, SentInSecond};

/// `count` messages sent by `server` in `second`, and `queued` more queued.
fn sent(server: &Server, second: i64, count: i64, queued: i64) -> Counters {
    Counters {
        queues: vec![(
            server.id,
            server.organization_id,
            QueueChange::default().then(queued),
        )],
        seconds: vec![SentInSecond {
            server: server.id,
            organization: server.organization_id,
            second,
            count,
        }],
        ..Default::default()
    }
}

/// A store that reads the statistics' inputs at once reads exactly what the reads piece
/// by piece do: the live servers by key with their queues and windows, and the live
/// addresses, of this organization only.
pub fn statistics_inputs_are_what_the_parts_read<S: Store>(make: &dyn Fn() -> S) {
    // Given an organization with two servers that sent in and before the window, one
    // deleted server, two addresses (one deleted), and another organization that sent.
    // One server is suspended by its organization, one address has IPv6 and the lowest
    // priority, and their times have microseconds: what a row sent as JSON must keep.
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let other_org = insert_org(&store, "Other", None);
    let micros = t(0) + chrono::Duration::microseconds(123_456);
    let busy = insert_server(&store, "Busy", &org, None);
    let mut suspended = new_server("Idle", &org, None);
    suspended.now = micros;
    suspended.suspension = Some(orgplane_domain::suspension::Suspension {
        since: micros,
        origin: orgplane_domain::suspension::SuspensionOrigin::Organization(org.id),
    });
    let idle = must(&store, |r| r.insert_server(suspended.clone()));
    let gone = insert_server(&store, "Gone", &org, None);
    let other = insert_server(&store, "Other's", &other_org, None);
    let mut with_ipv6 = new_address("192.0.2.1", Some("2001:db8::1"), &org);
    with_ipv6.priority = orgplane_domain::ip_address::Priority::new(0).expect("priority");
    with_ipv6.now = micros;
    let address = must(&store, |r| r.insert_ip_address(with_ipv6.clone()));
    let gone_address = insert_address(&store, "192.0.2.2", &org);
    let _other_address = insert_address(&store, "192.0.2.3", &other_org);
    must(&store, |r| {
        r.record_counters(&sent(&busy, 100, 3, 4))?;
        r.record_counters(&sent(&busy, 40, 50, 0))?;
        r.record_counters(&sent(&idle, 10, 6, 1))?;
        r.record_counters(&sent(&gone, 100, 8, 0))?;
        r.record_counters(&sent(&other, 100, 9, 2))?;
        r.delete_server(gone.id, t(1))?;
        r.delete_ip_address(gone_address.id, t(1))
    });

    // When its inputs from second 50 on are read at once and piece by piece.
    let at_once = must(&store, |r| r.statistics_inputs(org.id, 50));
    let by_parts = must(&store, |r| statistics_inputs_by_parts(r, org.id, 50));

    // Then they are the same, and hold this organization's live servers and addresses.
    assert_eq!(at_once, by_parts);
    let shown: Vec<_> = at_once
        .servers
        .iter()
        .map(|f| (f.server.id, f.queued, f.sent))
        .collect();
    assert_eq!(shown, vec![(busy.id, 4, 3), (idle.id, 1, 0)]);
    assert_eq!(at_once.servers[0].server, busy, "servers come whole");
    assert_eq!(
        at_once.servers[1].server, idle,
        "with their suspension and times"
    );
    assert_eq!(at_once.addresses, vec![address]);
}
