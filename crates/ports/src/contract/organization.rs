//! Contract cases: organizations, the hierarchy and its locks.

use super::*;
use crate::store::*;
use orgplane_domain::organization::*;
use orgplane_domain::page::Cursor;

/// An inserted organization reads back equal, by key and by public id.
pub fn organization_round_trips<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    assert_eq!(org.path, vec![org.id]);
    assert_eq!(org.parent_id, None);
    assert_eq!(
        org.profile.country_code.map(|c| c.as_str().to_owned()),
        Some("DE".into())
    );
    assert_eq!(must(&store, |r| r.organization(org.id)), Some(org.clone()));
    assert_eq!(
        must(&store, |r| r.organization_by_uuid(org.uuid)),
        Some(org.clone())
    );
    assert_eq!(
        must(&store, |r| r.organization_by_uuid(Uuid::new_v4())),
        None
    );
}
/// A sub-organization's path is its parent's plus itself.
pub fn sub_organization_path_extends_the_parent_path<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let child = insert_org(&store, "Child", Some(&root));
    let grandchild = insert_org(&store, "Grandchild", Some(&child));
    assert_eq!(grandchild.path, vec![root.id, child.id, grandchild.id]);
    assert_eq!(grandchild.parent_id, Some(child.id));
    assert_eq!(must(&store, |r| r.count_children(root.id)), 1);
}
/// Two live organizations never share a permalink; a deleted one frees its permalink.
pub fn permalinks_are_unique_among_live_organizations<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let first = insert_org(&store, "Acme", None);
    assert!(must(&store, |r| r.permalink_taken(&first.permalink)));
    let again = store.transaction(|r| r.insert_organization(new_org("Acme", None)));
    assert_eq!(again, Err(StoreError::Conflict(Unique::Permalink)));
    must(&store, |r| r.delete_organization_subtree(first.id, t(1)));
    assert!(!must(&store, |r| r.permalink_taken(&first.permalink)));
    insert_org(&store, "Acme", None);
}
/// Filters combine; pages follow the key order without gaps or repeats.
pub fn listing_filters_and_pages_by_key<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let a = insert_org(&store, "Alpha Mail", Some(&root));
    let b = insert_org(&store, "Beta", Some(&root));
    let a1 = insert_org(&store, "Alpha Sub", Some(&a));
    let other = insert_org(&store, "Other", None);

    let ids = |f: OrganizationFilter, after: Option<Cursor>, limit: usize| -> Vec<OrganizationId> {
        must(&store, |r| r.list_organizations(&f, after, limit))
            .into_iter()
            .map(|o| o.id)
            .collect()
    };
    let within = |id| OrganizationFilter {
        within: Some(id),
        ..Default::default()
    };

    assert_eq!(
        ids(within(root.id), None, 10),
        vec![root.id, a.id, b.id, a1.id]
    );
    assert_eq!(ids(within(a.id), None, 10), vec![a.id, a1.id]);
    assert_eq!(ids(OrganizationFilter::default(), None, 10).len(), 5);
    assert_eq!(
        ids(
            OrganizationFilter {
                parent: Some(root.id),
                ..Default::default()
            },
            None,
            10
        ),
        vec![a.id, b.id]
    );
    let search = OrganizationFilter {
        within: Some(root.id),
        terms: vec!["alpha".into()],
        ..Default::default()
    };
    assert_eq!(ids(search, None, 10), vec![a.id, a1.id]);
    let first_page = ids(within(root.id), None, 2);
    assert_eq!(first_page, vec![root.id, a.id]);
    assert_eq!(
        ids(within(root.id), Some(Cursor::after(a.id.0)), 2),
        vec![b.id, a1.id]
    );
    assert!(ids(within(root.id), None, 10)
        .iter()
        .all(|id| *id != other.id));
}
/// Every mutable field survives a save.
pub fn updates_persist<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let mut org = insert_org(&store, "Acme", None);
    org.apply(OrganizationPatch {
        name: Some(OrganizationName::parse("Acme Two").expect("name")),
        city: Some(Some(City::parse("Berlin").expect("city"))),
        country_code: Some(None),
        limit: Some(None),
        customizations: Some(
            Customizations::parse(serde_json::json!({"a": [1, 2]})).expect("json"),
        ),
        ..Default::default()
    });
    org.updated_at = t(5);
    must(&store, |r| r.update_organization(&org));
    assert_eq!(must(&store, |r| r.organization(org.id)), Some(org));
}
/// Deleting an organization deletes its descendants and nothing else.
pub fn deleting_a_subtree_leaves_the_rest<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let a = insert_org(&store, "A", Some(&root));
    let a1 = insert_org(&store, "A1", Some(&a));
    let b = insert_org(&store, "B", Some(&root));
    let user = must(&store, |r| r.insert_user(new_user("a1@example.com", &a1)));

    assert_eq!(
        must(&store, |r| r.delete_organization_subtree(a.id, t(1))),
        2
    );
    assert_eq!(must(&store, |r| r.organization(a.id)), None);
    assert_eq!(must(&store, |r| r.organization(a1.id)), None);
    assert_eq!(
        must(&store, |r| r.user(user.id)),
        None,
        "users of deleted organizations go too"
    );
    assert!(must(&store, |r| r.organization(b.id)).is_some());
    assert_eq!(must(&store, |r| r.count_children(root.id)), 1);
}
/// A user whose current organization is deleted gets its home back as the current one;
/// other users keep theirs.
pub fn deleting_a_current_organization_sends_its_users_home<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let a = insert_org(&store, "A", Some(&root));
    let a1 = insert_org(&store, "A1", Some(&a));
    let b = insert_org(&store, "B", Some(&root));
    let mut moved = must(&store, |r| {
        r.insert_user(new_user("moved@example.com", &root))
    });
    let mut stays = must(&store, |r| {
        r.insert_user(new_user("stays@example.com", &root))
    });
    moved.current_organization_id = a1.id;
    stays.current_organization_id = b.id;
    must(&store, |r| r.update_user(&moved));
    must(&store, |r| r.update_user(&stays));

    must(&store, |r| r.delete_organization_subtree(a.id, t(1)));

    let current = |id| must(&store, |r| r.user(id)).map(|u| u.current_organization_id);
    assert_eq!(current(moved.id), Some(root.id));
    assert_eq!(current(stays.id), Some(b.id));
}
/// Work that fails inside a transaction leaves no trace.
pub fn a_failed_transaction_changes_nothing<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let result: Result<(), StoreError> = store.transaction(|r| {
        r.insert_organization(new_org("Ghost", None))?;
        Err(StoreError::Internal("abort".into()))
    });
    assert!(result.is_err());
    let all = must(&store, |r| {
        r.list_organizations(&OrganizationFilter::default(), None, 10)
    });
    assert!(all.is_empty());
}
/// Locked reads return the live row as last committed, and nothing once it is deleted.
pub fn locked_reads_see_the_live_row<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let user = must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
    for lock in [Lock::Share, Lock::Update] {
        assert_eq!(
            must(&store, |r| r.lock_organization(org.id, lock)),
            Some(org.clone())
        );
    }
    for lock in [Lock::Share, Lock::Update] {
        assert_eq!(
            must(&store, |r| r.lock_user(user.id, lock)),
            Some(user.clone())
        );
    }
    assert!(must(&store, |r| r.lock_path(&org.path)));
    must(&store, |r| r.delete_organization_subtree(org.id, t(1)));
    assert_eq!(
        must(&store, |r| r.lock_organization(org.id, Lock::Update)),
        None
    );
    assert_eq!(must(&store, |r| r.lock_user(user.id, Lock::Update)), None);
    assert!(
        !must(&store, |r| r.lock_path(&org.path)),
        "a deleted organization cannot be locked"
    );
}
/// A locked read in one transaction waits for another transaction holding the lock, and
/// then sees its committed change: concurrent read-modify-writes cannot lose updates.
pub fn a_locked_read_waits_for_the_concurrent_writer<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let ((), seen) = race(
        &store,
        |r, hold| {
            let mut mine = r.lock_organization(org.id, Lock::Update)?.expect("live");
            hold();
            let city = City::parse("Berlin").expect("city");
            mine.apply(OrganizationPatch {
                city: Some(Some(city)),
                ..Default::default()
            });
            r.update_organization(&mine)
        },
        |r| r.lock_organization(org.id, Lock::Update),
    );
    let city = seen
        .expect("live")
        .profile
        .city
        .map(|c| c.as_str().to_owned());
    assert_eq!(city, Some("Berlin".to_owned()));
}
/// A sub-organization being added (its parent share-locked) while the parent's subtree is
/// deleted ends up deleted too: no live organization under a deleted parent.
pub fn a_child_added_while_its_parent_is_deleted_is_deleted_too<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let parent = insert_org(&store, "Parent", None);
    let (child, deleted) = race(
        &store,
        |r, hold| {
            let parent = r.lock_organization(parent.id, Lock::Share)?.expect("live");
            hold();
            r.insert_organization(new_org("Child", Some(&parent)))
        },
        |r| r.delete_organization_subtree(parent.id, t(1)),
    );
    assert_eq!(deleted, 2, "the parent and the child that landed meanwhile");
    assert_eq!(must(&store, |r| r.organization(child.id)), None);
}
/// A sub-organization added deep below an organization while that organization is
/// deleted is deleted too: adding locks the whole path, deleting locks the subtree.
pub fn a_grandchild_added_while_an_ancestor_is_deleted_is_deleted_too<S: Store>(
    make: &dyn Fn() -> S,
) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let child = insert_org(&store, "Child", Some(&root));
    let (grandchild, deleted) = race(
        &store,
        |r, hold| {
            assert!(r.lock_path(&child.path)?);
            hold();
            r.insert_organization(new_org("Grandchild", Some(&child)))
        },
        |r| r.delete_organization_subtree(root.id, t(1)),
    );
    assert_eq!(deleted, 3);
    assert_eq!(must(&store, |r| r.organization(grandchild.id)), None);
}

/// Organizations are read by keys; a subtree is locked and returned root first.
pub fn organizations_are_read_by_keys_and_subtrees_locked_root_first<S: Store>(
    make: &dyn Fn() -> S,
) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let a = insert_org(&store, "A", Some(&root));
    let b = insert_org(&store, "B", Some(&root));
    let a1 = insert_org(&store, "A1", Some(&a));
    let other = insert_org(&store, "Other", None);
    let ids = |orgs: Vec<Organization>| orgs.into_iter().map(|o| o.id).collect::<Vec<_>>();
    let found = must(&store, |r| {
        r.organizations_by_ids(&[a1.id, root.id, OrganizationId(999_999)])
    });
    assert_eq!(ids(found), vec![root.id, a1.id]);
    let subtree = must(&store, |r| r.lock_subtree(root.id));
    assert_eq!(ids(subtree), vec![root.id, a.id, b.id, a1.id]);
    assert!(!ids(must(&store, |r| r.lock_subtree(a.id))).contains(&other.id));
}

/// A suspension reads back with its time and origin.
pub fn suspensions_are_stored_with_their_origin<S: Store>(make: &dyn Fn() -> S) {
    use orgplane_domain::suspension::Suspension;
    let store = make();
    let root = insert_org(&store, "Top", None);
    let child = insert_org(&store, "Child", Some(&root));
    let own = Suspension::own(t(7));
    let inherited = own.inherited_from(root.id);
    must(&store, |r| {
        r.set_organization_suspensions(&[(root.id, Some(own)), (child.id, Some(inherited))], t(8))
    });
    let read = |id| must(&store, |r| r.organization(id)).expect("live");
    assert_eq!(read(root.id).suspension, Some(own));
    assert_eq!(read(child.id).suspension, Some(inherited));
    assert_eq!(read(child.id).updated_at, t(8));
    must(&store, |r| {
        r.set_organization_suspensions(&[(child.id, None)], t(9))
    });
    assert_eq!(read(child.id).suspension, None);
    // A child inserted under a suspended parent keeps what it is born with.
    let mut born = new_org("Born", Some(&read(root.id)));
    born.suspension = Some(own.inherited_from(root.id));
    let born = must(&store, |r| r.insert_organization(born));
    assert_eq!(read(born.id).suspension, Some(inherited));
}

/// Deleting an organization deletes the servers, pools and addresses of its subtree, and
/// the memberships of their addresses, and nothing else.
pub fn deleting_an_organization_takes_its_infrastructure<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let doomed = insert_org(&store, "Doomed", Some(&root));
    let below = insert_org(&store, "Below", Some(&doomed));
    let root_pool = insert_pool(&store, "Root Pool", &root);
    let root_address = insert_address(&store, "192.0.2.1", &root);
    let doomed_address = insert_address(&store, "192.0.2.2", &doomed);
    let below_pool = insert_pool(&store, "Below Pool", &below);
    must(&store, |r| {
        r.add_pool_address(&root_pool, doomed_address.id, t(0))?;
        r.add_pool_address(&root_pool, root_address.id, t(0))?;
        r.add_pool_address(&below_pool, root_address.id, t(0))
    });
    let doomed_server = insert_server(&store, "Doomed Server", &below, Some(root_pool.id));
    let root_server = insert_server(&store, "Root Server", &root, Some(root_pool.id));
    must(&store, |r| r.delete_organization_subtree(doomed.id, t(1)));
    assert_eq!(must(&store, |r| r.server_by_uuid(doomed_server.uuid)), None);
    assert!(must(&store, |r| r.server_by_uuid(root_server.uuid)).is_some());
    assert_eq!(must(&store, |r| r.ip_pool_by_uuid(below_pool.uuid)), None);
    assert_eq!(
        must(&store, |r| r.ip_address_by_uuid(doomed_address.uuid)),
        None
    );
    let members: Vec<_> = must(&store, |r| r.pool_members(&[root_pool.id]))
        .into_iter()
        .map(|(_, a)| a.id)
        .collect();
    assert_eq!(
        members,
        vec![root_address.id],
        "the doomed address left the root pool"
    );
    let holding = must(&store, |r| r.pools_holding(&[root_address.id]));
    assert_eq!(
        holding.len(),
        1,
        "the doomed pool no longer holds the root address"
    );
}
