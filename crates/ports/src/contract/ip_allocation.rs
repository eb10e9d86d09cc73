//! Contract cases: the IP allocation report's reads.

use super::*;
use crate::store::*;
use orgplane_domain::event::{Counters, SentRoute};

/// `count` messages sent by `server` through `pool` and `address`.
fn sent(server: &Server, pool: &IpPool, address: &IpAddress, count: i64) -> Counters {
    Counters {
        routes: vec![(
            SentRoute {
                server: server.id,
                pool: pool.id,
                address: address.id,
                organization: server.organization_id,
            },
            count,
        )],
        ..Default::default()
    }
}

/// A store that reads the allocation at once reads exactly what the reads piece by piece
/// do: own servers, pools and addresses, the pools they refer to (an ancestor's among
/// them) with their members, other organizations' servers using own pools, and the
/// routes through own servers, pools or addresses, and nothing deleted or unrelated.
pub fn allocation_inputs_are_what_the_parts_read<S: Store>(make: &dyn Fn() -> S) {
    // Given a parent with a pool, a child whose servers, pools and addresses point at
    // its own and its parent's, deleted ones beside them, and a sibling that uses the
    // child's pool.
    let store = make();
    let parent = insert_org(&store, "Parent", None);
    let child = insert_org(&store, "Child", Some(&parent));
    let sibling = insert_org(&store, "Sibling", Some(&parent));
    let parent_pool = insert_pool(&store, "Shared", &parent);
    let parent_address = insert_address(&store, "198.51.100.1", &parent);
    let own_pool = insert_pool(&store, "Own", &child);
    let empty_pool = insert_pool(&store, "Empty", &child);
    let gone_pool = insert_pool(&store, "Gone", &child);
    let a1 = insert_address(&store, "192.0.2.1", &child);
    let a2 = insert_address(&store, "192.0.2.2", &child);
    let in_parent_pool = insert_address(&store, "192.0.2.3", &child);
    let gone_address = insert_address(&store, "192.0.2.4", &child);
    let via_parent = insert_server(&store, "Via parent", &child, Some(parent_pool.id));
    let via_own = insert_server(&store, "Via own", &child, Some(own_pool.id));
    let _no_pool = insert_server(&store, "No pool", &child, None);
    let gone_server = insert_server(&store, "Gone", &child, Some(own_pool.id));
    let sibling_server = insert_server(&store, "Sibling's", &sibling, Some(own_pool.id));
    let sibling_pool = insert_pool(&store, "Sibling's own", &sibling);
    let sibling_address = insert_address(&store, "203.0.113.9", &sibling);
    let unrelated = insert_server(&store, "Unrelated", &sibling, Some(sibling_pool.id));
    must(&store, |r| {
        r.add_pool_address(&parent_pool, parent_address.id, t(0))?;
        r.add_pool_address(&parent_pool, in_parent_pool.id, t(0))?;
        r.add_pool_address(&own_pool, a1.id, t(0))?;
        r.add_pool_address(&own_pool, a2.id, t(0))?;
        r.add_pool_address(&own_pool, gone_address.id, t(0))?;
        r.add_pool_address(&gone_pool, a2.id, t(0))?;
        r.add_pool_address(&sibling_pool, sibling_address.id, t(0))?;
        r.record_counters(&sent(&via_parent, &parent_pool, &parent_address, 5))?;
        r.record_counters(&sent(&via_own, &own_pool, &a1, 7))?;
        r.record_counters(&sent(&sibling_server, &own_pool, &a2, 11))?;
        r.record_counters(&sent(&unrelated, &sibling_pool, &sibling_address, 13))?;
        r.delete_server(gone_server.id, t(1))?;
        r.delete_ip_pool(gone_pool.id, t(1))?;
        r.delete_ip_address(gone_address.id, t(1))
    });

    // When the child's allocation inputs are read at once and piece by piece.
    let at_once = must(&store, |r| r.allocation_inputs(child.id));
    let by_parts = must(&store, |r| allocation_inputs_by_parts(r, child.id));

    // Then they are the same, and what they hold is what the child reaches.
    assert_eq!(at_once, by_parts);
    let names = |servers: &[Server]| -> Vec<String> {
        servers.iter().map(|s| s.name.as_str().to_owned()).collect()
    };
    assert_eq!(
        names(&at_once.servers),
        ["Via parent", "Via own", "No pool"]
    );
    let ids = |pools: &[IpPool]| -> Vec<IpPoolId> { pools.iter().map(|p| p.id).collect() };
    assert_eq!(ids(&at_once.own_pools), [own_pool.id, empty_pool.id]);
    assert_eq!(
        ids(&at_once.pools),
        [parent_pool.id, own_pool.id, empty_pool.id]
    );
    let addresses: Vec<_> = at_once.own_addresses.iter().map(|a| a.id).collect();
    assert_eq!(addresses, [a1.id, a2.id, in_parent_pool.id]);
    let members: Vec<_> = at_once
        .memberships
        .iter()
        .map(|(p, a)| (*p, a.id))
        .collect();
    assert_eq!(
        members,
        [
            (parent_pool.id, parent_address.id),
            (parent_pool.id, in_parent_pool.id),
            (own_pool.id, a1.id),
            (own_pool.id, a2.id),
        ]
    );
    assert_eq!(at_once.memberships[2].1, a1, "members come whole");
    let users: Vec<_> = at_once.pool_users.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(users, ["Via own", "Sibling's"]);
    let volumes: Vec<_> = at_once.routes.iter().map(|(_, n)| *n).collect();
    assert_eq!(
        volumes,
        [5, 7, 11],
        "the sibling's own route is not the child's"
    );
}
