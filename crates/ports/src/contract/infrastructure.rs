//! Contract cases: servers, IP pools, IP addresses and their locks.

use super::*;
use crate::store::*;
use orgplane_domain::ip_address::Priority;
use orgplane_domain::page::Cursor;
use orgplane_domain::server::{ServerMode, ServerName, ServerPermalink};
use orgplane_domain::suspension::Suspension;

/// A server reads back as inserted and saves every mutable field.
pub fn servers_round_trip_and_update<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let pool = insert_pool(&store, "Pool", &org);
    let mut server = insert_server(&store, "Marketing", &org, Some(pool.id));
    assert_eq!(server.permalink.as_str(), "marketing");
    assert_eq!(
        must(&store, |r| r.server_by_uuid(server.uuid)),
        Some(server.clone())
    );
    server.name = ServerName::parse("Marketing EU").expect("name");
    server.mode = ServerMode::Development;
    server.ip_pool_id = None;
    server.send_limit = None;
    server.suspension = Some(Suspension::own(t(3)));
    server.updated_at = t(4);
    must(&store, |r| r.update_server(&server));
    let read = must(&store, |r| r.lock_server(server.id, Lock::Update)).expect("live");
    assert_eq!(read, server);
    assert_eq!(read.permalink.as_str(), "marketing", "the permalink stays");
    must(&store, |r| {
        r.set_server_suspensions(&[(server.id, None)], t(5))
    });
    let read = must(&store, |r| r.server_by_uuid(server.uuid)).expect("live");
    assert_eq!((read.suspension, read.updated_at), (None, t(5)));
    must(&store, |r| r.delete_server(server.id, t(6)));
    assert_eq!(must(&store, |r| r.server_by_uuid(server.uuid)), None);
    assert!(must(&store, |r| r.servers_of(org.id)).is_empty());
}

/// Two live servers of one organization never share a name (whatever its case) or a
/// permalink; other organizations and deleted servers do not count.
pub fn server_names_and_permalinks_are_unique_per_organization<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let other = insert_org(&store, "Other", None);
    let first = insert_server(&store, "Marketing", &org, None);
    let clash = store.transaction(|r| r.insert_server(new_server("MARKETING", &org, None)));
    assert_eq!(
        clash.map(|_| ()),
        Err(StoreError::Conflict(Unique::ServerName))
    );
    let mut same_permalink = new_server("Marketing!", &org, None);
    same_permalink.permalink = ServerPermalink::parse("marketing").expect("permalink");
    let clash = store.transaction(|r| r.insert_server(same_permalink));
    assert_eq!(
        clash.map(|_| ()),
        Err(StoreError::Conflict(Unique::ServerPermalink))
    );
    let name = ServerName::parse("marketing").expect("name");
    assert!(must(&store, |r| r.server_name_taken(org.id, &name, None)));
    assert!(!must(&store, |r| r.server_name_taken(
        org.id,
        &name,
        Some(first.id)
    )));
    assert!(must(&store, |r| r
        .server_permalink_taken(org.id, &first.permalink)));
    insert_server(&store, "Marketing", &other, None);
    must(&store, |r| r.delete_server(first.id, t(1)));
    insert_server(&store, "Marketing", &org, None);
    // Renaming onto a taken name is refused too.
    let mut second = insert_server(&store, "Newsletter", &org, None);
    second.name = ServerName::parse("marketing").expect("name");
    assert_eq!(
        store.transaction(|r| r.update_server(&second)),
        Err(StoreError::Conflict(Unique::ServerName))
    );
}

/// Servers are listed per organization by key, found across a subtree, by pool, and
/// counted per organization.
pub fn servers_are_found_by_organization_subtree_and_pool<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let child = insert_org(&store, "Child", Some(&root));
    let other = insert_org(&store, "Other", None);
    let pool = insert_pool(&store, "Pool", &root);
    let s1 = insert_server(&store, "One", &root, Some(pool.id));
    let s2 = insert_server(&store, "Two", &root, None);
    let s3 = insert_server(&store, "Three", &child, Some(pool.id));
    let s4 = insert_server(&store, "Four", &other, None);
    let ids = |v: Vec<Server>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(must(&store, |r| r.list_servers(root.id, None, 1))),
        vec![s1.id]
    );
    assert_eq!(
        ids(must(&store, |r| r.list_servers(
            root.id,
            Some(Cursor::after(s1.id.0)),
            5
        ))),
        vec![s2.id]
    );
    assert_eq!(
        ids(must(&store, |r| r.servers_within(root.id))),
        vec![s1.id, s2.id, s3.id]
    );
    assert_eq!(
        ids(must(&store, |r| r
            .servers_of_organizations(&[child.id, other.id]))),
        vec![s3.id, s4.id]
    );
    assert!(must(&store, |r| r.servers_of_organizations(&[])).is_empty());
    assert_eq!(
        ids(must(&store, |r| r.servers_using_pools(&[pool.id]))),
        vec![s1.id, s3.id]
    );
    assert_eq!(
        ids(must(&store, |r| r.servers_by_uuids(&[
            s4.uuid,
            s1.uuid,
            Uuid::new_v4()
        ]))),
        vec![s1.id, s4.id]
    );
    let mut counts = must(&store, |r| r.count_servers(&[root.id, child.id, other.id]));
    counts.sort();
    assert_eq!(counts, vec![(root.id, 2), (child.id, 1), (other.id, 1)]);
}

/// A pool being deleted (locked for update) while a server is pointed at it (the pool
/// share-locked first): the deletion waits and sees the server.
pub fn a_pool_deleted_while_a_server_is_pointed_at_it_sees_the_server<S: Store>(
    make: &dyn Fn() -> S,
) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let pool = insert_pool(&store, "Pool", &org);
    let mut server = insert_server(&store, "Marketing", &org, None);
    let ((), users) = race(
        &store,
        |r, hold| {
            r.lock_ip_pool(pool.id, Lock::Share)?.expect("live");
            server.ip_pool_id = Some(pool.id);
            r.update_server(&server)?;
            hold();
            Ok(())
        },
        |r| {
            r.lock_ip_pool(pool.id, Lock::Update)?.expect("live");
            r.servers_using_pools(&[pool.id])
        },
    );
    assert_eq!(
        users.len(),
        1,
        "the deletion saw the server pointed at the pool"
    );
}

/// A server pointed at a pool that is being deleted (locked for update) gets no pool:
/// once the deletion commits, the pool is gone for the share lock.
pub fn a_server_cannot_be_pointed_at_a_pool_deleted_meanwhile<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let pool = insert_pool(&store, "Pool", &org);
    let ((), seen) = race(
        &store,
        |r, hold| {
            r.lock_ip_pool(pool.id, Lock::Update)?.expect("live");
            r.delete_ip_pool(pool.id, t(1))?;
            hold();
            Ok(())
        },
        |r| r.lock_ip_pool(pool.id, Lock::Share),
    );
    assert_eq!(seen, None);
}

/// Pools read back; names are unique per organization; at most one is the default, and
/// clearing it leaves none.
pub fn pools_round_trip_with_one_default_per_organization<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let other = insert_org(&store, "Other", None);
    let default = must(&store, |r| r.insert_ip_pool(new_pool("Main", &org, true)));
    assert_eq!(
        must(&store, |r| r.ip_pool_by_uuid(default.uuid)),
        Some(default.clone())
    );
    let second = store.transaction(|r| r.insert_ip_pool(new_pool("Second", &org, true)));
    assert_eq!(
        second.map(|_| ()),
        Err(StoreError::Conflict(Unique::DefaultPool))
    );
    let clash = store.transaction(|r| r.insert_ip_pool(new_pool("MAIN", &org, false)));
    assert_eq!(
        clash.map(|_| ()),
        Err(StoreError::Conflict(Unique::PoolName))
    );
    must(&store, |r| r.insert_ip_pool(new_pool("Main", &other, true)));
    let defaults = must(&store, |r| r.default_pools(&[org.id, other.id]));
    assert_eq!(defaults.len(), 2);
    must(&store, |r| r.clear_default_pool(org.id, t(2)));
    assert_eq!(must(&store, |r| r.default_pools(&[org.id])), vec![]);
    let mut renamed = must(&store, |r| r.ip_pool_by_uuid(default.uuid)).expect("live");
    assert!(!renamed.default);
    renamed.name = PoolName::parse("Renamed").expect("name");
    renamed.default = true;
    must(&store, |r| r.update_ip_pool(&renamed));
    let read = must(&store, |r| r.ip_pools_by_ids(&[default.id]));
    assert_eq!(read, vec![renamed.clone()]);
    assert!(must(&store, |r| r.pool_name_taken(
        org.id,
        &renamed.name,
        None
    )));
    assert!(!must(&store, |r| r.pool_name_taken(
        org.id,
        &renamed.name,
        Some(renamed.id)
    )));
    must(&store, |r| r.delete_ip_pool(default.id, t(3)));
    assert_eq!(must(&store, |r| r.ip_pools_of(org.id)), vec![]);
    must(&store, |r| {
        r.insert_ip_pool(new_pool("Renamed", &org, true))
    });
}

/// One address may sit in several pools; joining twice changes nothing; leaving and
/// deleting drop memberships.
pub fn an_address_sits_in_several_pools<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let marketing = insert_pool(&store, "Marketing", &org);
    let transactional = insert_pool(&store, "Transactional", &org);
    let a1 = insert_address(&store, "192.168.1.10", &org);
    let a2 = insert_address(&store, "192.168.1.11", &org);
    let added = must(&store, |r| {
        Ok(vec![
            r.add_pool_address(&marketing, a1.id, t(0))?,
            r.add_pool_address(&marketing, a2.id, t(0))?,
            r.add_pool_address(&transactional, a1.id, t(0))?,
            r.add_pool_address(&transactional, a1.id, t(0))?,
        ])
    });
    assert_eq!(added, vec![true, true, true, false]);
    let members = must(&store, |r| {
        r.pool_members(&[marketing.id, transactional.id])
    });
    let pairs: Vec<_> = members.iter().map(|(p, a)| (*p, a.id)).collect();
    assert_eq!(
        pairs,
        vec![
            (marketing.id, a1.id),
            (marketing.id, a2.id),
            (transactional.id, a1.id)
        ]
    );
    assert_eq!(members[0].1, a1, "members come whole");
    let holding: Vec<_> = must(&store, |r| r.pools_holding(&[a1.id]))
        .into_iter()
        .map(|(p, _)| p.id)
        .collect();
    assert_eq!(holding, vec![marketing.id, transactional.id]);
    assert!(must(&store, |r| r.remove_pool_address(marketing.id, a1.id)));
    assert!(!must(&store, |r| r.remove_pool_address(marketing.id, a1.id)));
    must(&store, |r| r.delete_ip_address(a2.id, t(1)));
    assert_eq!(must(&store, |r| r.pool_members(&[marketing.id])), vec![]);
}

/// IPv4 and IPv6 addresses are unique among live addresses; a deleted one frees its
/// addresses; every field saves.
pub fn ip_addresses_are_unique_among_live_addresses<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let other = insert_org(&store, "Other", None);
    let mut a = must(&store, |r| {
        r.insert_ip_address(new_address("192.0.2.1", Some("2001:db8::1"), &org))
    });
    assert_eq!(
        must(&store, |r| r.ip_address_by_uuid(a.uuid)),
        Some(a.clone())
    );
    let v4 = store.transaction(|r| r.insert_ip_address(new_address("192.0.2.1", None, &other)));
    assert_eq!(v4.map(|_| ()), Err(StoreError::Conflict(Unique::Ipv4)));
    let v6 = store.transaction(|r| {
        r.insert_ip_address(new_address("192.0.2.2", Some("2001:db8::1"), &other))
    });
    assert_eq!(v6.map(|_| ()), Err(StoreError::Conflict(Unique::Ipv6)));
    // Two addresses without IPv6 do not clash.
    let b = must(&store, |r| {
        r.insert_ip_address(new_address("192.0.2.3", None, &org))
    });
    must(&store, |r| {
        r.insert_ip_address(new_address("192.0.2.4", None, &org))
    });
    a.ipv6 = None;
    a.priority = Priority::new(5).expect("priority");
    a.updated_at = t(2);
    must(&store, |r| r.update_ip_address(&a));
    assert_eq!(
        must(&store, |r| r.lock_ip_address(a.id, Lock::Update)),
        Some(a.clone())
    );
    let page = must(&store, |r| {
        r.list_ip_addresses(org.id, Some(Cursor::after(a.id.0)), 1)
    });
    assert_eq!(page, vec![b.clone()]);
    must(&store, |r| r.delete_ip_address(a.id, t(3)));
    must(&store, |r| {
        r.insert_ip_address(new_address("192.0.2.1", Some("2001:db8::1"), &other))
    });
    assert_eq!(must(&store, |r| r.ip_addresses_of(org.id)).len(), 2);
}
