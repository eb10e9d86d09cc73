//! Contract cases: the counts and offset pages behind the seed surfaces' lists and
//! overviews.

use super::*;
use crate::store::*;
use orgplane_domain::audit::{AccessAction, AccessStatus};
use orgplane_domain::user::{Email, UserName};

/// Offset pages and counts see the same live organizations as the keyset list,
/// searchable by name, domain and city.
pub fn organizations_are_counted_and_paged_by_offset<S: Store>(make: &dyn Fn() -> S) {
    // Given a tree of four and an organization beside it, one of the tree deleted.
    let store = make();
    let root = insert_org(&store, "Top", None);
    let a = insert_org(&store, "Alpha Mail", Some(&root));
    let mut b = insert_org(&store, "Beta", Some(&root));
    let gone = insert_org(&store, "Alpha Gone", Some(&root));
    let other = insert_org(&store, "Other", None);
    b.apply(OrganizationPatch {
        city: Some(Some(City::parse("Wellington").expect("city"))),
        ..Default::default()
    });
    must(&store, |r| r.update_organization(&b));
    must(&store, |r| r.delete_organization_subtree(gone.id, t(1)));
    let within = |terms: &[&str]| OrganizationFilter {
        within: Some(root.id),
        terms: terms.iter().map(|t| (*t).to_owned()).collect(),
        ..Default::default()
    };
    let page = |f: &OrganizationFilter, offset, limit| -> Vec<OrganizationId> {
        must(&store, |r| r.organizations_at(f, offset, limit))
            .into_iter()
            .map(|o| o.id)
            .collect()
    };

    // Then counts and pages agree, by ascending key, without the deleted one.
    assert_eq!(must(&store, |r| r.count_organizations(&within(&[]))), 3);
    assert_eq!(
        must(&store, |r| r
            .count_organizations(&OrganizationFilter::default())),
        4
    );
    assert_eq!(page(&within(&[]), 0, 10), vec![root.id, a.id, b.id]);
    assert_eq!(page(&within(&[]), 1, 1), vec![a.id]);
    assert!(page(&within(&[]), 3, 10).is_empty());
    assert!(
        !page(&within(&[]), 0, 10).contains(&other.id),
        "another tree never"
    );
    // Search: every term, anywhere in the searchable text, whatever the case written.
    assert_eq!(page(&within(&["alpha"]), 0, 10), vec![a.id]);
    assert_eq!(page(&within(&["ellingto"]), 0, 10), vec![b.id]);
    assert_eq!(page(&within(&["alpha", "mail"]), 0, 10), vec![a.id]);
    assert!(page(&within(&["alpha", "beta"]), 0, 10).is_empty());
    assert_eq!(
        must(&store, |r| r.count_organizations(&within(&["example.com"]))),
        3
    );
}

/// Counts without words follow every change: creates at any depth, a subtree deleted,
/// children of a parent inside or outside a subtree.
pub fn counts_follow_creates_and_deletes_at_every_depth<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let count = |within: Option<&Organization>, parent: Option<&Organization>| {
        must(&store, |r| {
            r.count_organizations(&OrganizationFilter {
                within: within.map(|o| o.id),
                parent: parent.map(|o| o.id),
                ..Default::default()
            })
        })
    };
    // Given two trees: Top > (A > (A1, A2), B), and Other.
    let top = insert_org(&store, "Top", None);
    let a = insert_org(&store, "A", Some(&top));
    let a1 = insert_org(&store, "A1", Some(&a));
    insert_org(&store, "A2", Some(&a));
    let b = insert_org(&store, "B", Some(&top));
    let other = insert_org(&store, "Other", None);
    assert_eq!(count(None, None), 6);
    assert_eq!(count(Some(&top), None), 5);
    assert_eq!(count(Some(&a), None), 3);
    assert_eq!(count(Some(&a1), None), 1);
    assert_eq!(count(None, Some(&top)), 2);
    assert_eq!(count(Some(&top), Some(&a)), 2);
    assert_eq!(count(Some(&b), Some(&a)), 0, "a parent outside the subtree");
    let page = |within: &Organization, parent: &Organization| {
        let filter = OrganizationFilter {
            within: Some(within.id),
            parent: Some(parent.id),
            ..Default::default()
        };
        must(&store, |r| r.organizations_at(&filter, 0, 10)).len()
    };
    assert_eq!(page(&top, &a), 2, "children of a parent inside the subtree");
    assert_eq!(page(&b, &a), 0, "none of a parent outside it");
    assert_eq!(count(Some(&other), None), 1);

    // When A's subtree is deleted, and a child is added to B.
    must(&store, |r| r.delete_organization_subtree(a.id, t(1)));
    insert_org(&store, "B1", Some(&b));

    // Then every count moved by exactly what changed.
    assert_eq!(count(None, None), 4);
    assert_eq!(count(Some(&top), None), 3);
    assert_eq!(count(None, Some(&top)), 1);
    assert_eq!(count(Some(&a), None), 0, "a deleted root counts nothing");
    assert_eq!(count(None, Some(&a)), 0);
    assert_eq!(count(Some(&top), Some(&b)), 1);
    assert_eq!(count(Some(&other), None), 1);
}

/// Users are counted per home organization and found by words of their address or name.
pub fn users_are_counted_per_organization_and_found_by_terms<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let acme = insert_org(&store, "Acme", None);
    let other = insert_org(&store, "Other", None);
    let empty = insert_org(&store, "Empty", None);
    let jane = must(&store, |r| {
        r.insert_user(new_user("jane@acme.example", &acme))
    });
    let mut joe = new_user("joe@acme.example", &acme);
    joe.name = UserName::parse("Joe Bloggs").expect("name");
    let joe = must(&store, |r| r.insert_user(joe));
    let left = must(&store, |r| {
        r.insert_user(new_user("left@acme.example", &acme))
    });
    must(&store, |r| {
        r.insert_user(new_user("ann@other.example", &other))
    });
    must(&store, |r| r.delete_user(left.id, t(1)));

    let mut counts = must(&store, |r| {
        r.count_users_by_organization(&[acme.id, other.id, empty.id])
    });
    counts.sort();
    let counts: Vec<_> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(counts, vec![(acme.id, 2), (other.id, 1)]);

    let find = |terms: &[&str], offset, limit| -> Vec<Email> {
        let terms: Vec<String> = terms.iter().map(|t| (*t).to_owned()).collect();
        must(&store, |r| r.find_users(acme.id, &terms, offset, limit))
            .into_iter()
            .map(|u| u.email)
            .collect()
    };
    assert_eq!(
        find(&[], 0, 10),
        vec![jane.email.clone(), joe.email.clone()]
    );
    assert_eq!(find(&[], 1, 10), vec![joe.email.clone()]);
    assert_eq!(find(&[], 0, 1), vec![jane.email.clone()]);
    assert_eq!(find(&["jane"], 0, 10), vec![jane.email.clone()]);
    assert_eq!(find(&["doe"], 0, 10), vec![jane.email.clone()], "by name");
    assert_eq!(
        find(&["bloggs", "joe@"], 0, 10),
        vec![joe.email.clone()],
        "name and address"
    );
    assert!(
        find(&["ann"], 0, 10).is_empty(),
        "another organization's user"
    );
    assert!(find(&["left"], 0, 10).is_empty(), "a deleted user");
}

/// The security facts, live sessions and server count of a subtree count only what is
/// live in that subtree; `None` counts everywhere.
pub fn security_facts_count_only_the_live_subtree<S: Store>(make: &dyn Fn() -> S) {
    // Given a root with a child, and an organization beside them.
    let store = make();
    let root = insert_org(&store, "Top", None);
    let child = insert_org(&store, "Child", Some(&root));
    let other = insert_org(&store, "Other", None);
    let mut verified = new_user("v@top.example", &root);
    verified.verified_email = true;
    let verified = must(&store, |r| r.insert_user(verified));
    let plain = must(&store, |r| {
        r.insert_user(new_user("p@child.example", &child))
    });
    let outside = must(&store, |r| {
        r.insert_user(new_user("o@other.example", &other))
    });
    // Keys: one expiring, one not, one expired, one revoked, one outside.
    let mut expiring = new_key(&verified, 1);
    expiring.active_until = Some(t(1000));
    must(&store, |r| r.insert_api_key(expiring));
    must(&store, |r| r.insert_api_key(new_key(&plain, 2)));
    let mut expired = new_key(&plain, 3);
    expired.active_until = Some(t(50));
    must(&store, |r| r.insert_api_key(expired));
    let revoked = must(&store, |r| r.insert_api_key(new_key(&plain, 4)));
    must(&store, |r| r.revoke_api_key(revoked.id, t(10)));
    must(&store, |r| r.insert_api_key(new_key(&outside, 5)));
    // Password checks: two in scope since t(100) (one failed), one before, one outside.
    let check = |org: &Organization, status, at| {
        must(&store, |r| {
            r.append_access(
                NewAccessLogEntry {
                    organization_id: Some(org.id),
                    user_id: None,
                    email: Some("v@top.example".into()),
                    action: AccessAction::Login,
                    status,
                    client_ip: None,
                },
                at,
            )
        })
    };
    check(&root, AccessStatus::Success, t(150));
    check(&child, AccessStatus::Failure, t(160));
    check(&root, AccessStatus::Failure, t(90));
    check(&other, AccessStatus::Failure, t(150));
    // Sessions: two live in scope, one expired, one revoked, one outside.
    for (user, hash, expires) in [
        (&verified, 11, t(1000)),
        (&plain, 12, t(1000)),
        (&plain, 13, t(150)),
        (&outside, 15, t(1000)),
    ] {
        must(&store, |r| {
            r.insert_session(
                user.id,
                user.home_organization_id,
                [hash; 32],
                expires,
                t(0),
            )
        });
    }
    let ended = must(&store, |r| {
        r.insert_session(plain.id, child.id, [14; 32], t(1000), t(0))
    });
    must(&store, |r| r.revoke_session(ended.id, t(10)));
    insert_server(&store, "One", &root, None);
    insert_server(&store, "Two", &child, None);
    insert_server(&store, "Three", &other, None);

    // When the root's facts are read at t(200), counting checks since t(100).
    let facts = must(&store, |r| r.security_facts(Some(root.id), t(100), t(200)));

    // Then only the subtree's live things count.
    assert_eq!(
        facts,
        orgplane_domain::security::SecurityFacts {
            users: 2,
            verified_users: 1,
            api_keys: 2,
            expiring_api_keys: 1,
            password_checks: 2,
            failed_password_checks: 1,
        }
    );
    assert_eq!(must(&store, |r| r.live_sessions(Some(root.id), t(200))), 2);
    assert_eq!(must(&store, |r| r.live_sessions(Some(child.id), t(200))), 1);
    assert_eq!(must(&store, |r| r.live_sessions(None, t(200))), 3);
    assert_eq!(must(&store, |r| r.count_servers_within(Some(root.id))), 2);
    assert_eq!(must(&store, |r| r.count_servers_within(Some(child.id))), 1);
    assert_eq!(must(&store, |r| r.count_servers_within(None)), 3);
    let everywhere = must(&store, |r| r.security_facts(None, t(100), t(200)));
    assert_eq!((everywhere.users, everywhere.api_keys), (3, 3));

    // And a deleted user's sessions and a deleted subtree's servers stop counting.
    must(&store, |r| r.delete_user(plain.id, t(300)));
    assert_eq!(must(&store, |r| r.live_sessions(Some(root.id), t(300))), 1);
    must(&store, |r| r.delete_organization_subtree(child.id, t(300)));
    assert_eq!(must(&store, |r| r.count_servers_within(Some(root.id))), 1);
}

/// A store that counts members at once counts what the reads piece by piece do: live
/// users and servers of each organization asked, in the order asked, zeros included.
pub fn member_counts_are_what_the_parts_count<S: Store>(make: &dyn Fn() -> S) {
    // Given two organizations with users and servers (some deleted), and an empty one.
    let store = make();
    let acme = insert_org(&store, "Acme", None);
    let other = insert_org(&store, "Other", None);
    let empty = insert_org(&store, "Empty", None);
    must(&store, |r| {
        r.insert_user(new_user("jane@acme.example", &acme))?;
        r.insert_user(new_user("ann@other.example", &other))?;
        let left = r.insert_user(new_user("left@acme.example", &acme))?;
        r.delete_user(left.id, t(1))
    });
    insert_server(&store, "One", &acme, None);
    let gone = insert_server(&store, "Gone", &acme, None);
    insert_server(&store, "Two", &other, None);
    insert_server(&store, "Three", &other, None);
    must(&store, |r| r.delete_server(gone.id, t(1)));

    // When they are counted, in an order that is not their keys'.
    let asked = [other.id, empty.id, acme.id];
    let at_once = must(&store, |r| r.member_counts(&asked));
    let by_parts = must(&store, |r| member_counts_by_parts(r, &asked));

    // Then both give the same, in the order asked.
    assert_eq!(at_once, by_parts);
    let shown: Vec<_> = at_once
        .iter()
        .map(|c| (c.organization, c.users, c.servers))
        .collect();
    assert_eq!(
        shown,
        vec![(other.id, 1, 2), (empty.id, 0, 0), (acme.id, 1, 1)]
    );
}
