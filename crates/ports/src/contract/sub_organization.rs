//! Contract cases: the sub-organization list's page of children with their usage.

use super::*;
use crate::store::*;
use chrono::{Datelike, Duration};
use orgplane_domain::suspension::Suspension;
use orgplane_domain::usage::Month;

/// A page of children read at once is the page read piece by piece: the parent, the
/// count, the children by key (deleted ones, grandchildren and other trees never) and
/// their records of the month asked (other months never).
pub fn a_children_page_is_what_the_parts_read<S: Store>(make: &dyn Fn() -> S) {
    // Given a parent with four children, one deleted, one suspended by the parent at a
    // time with microseconds, one without a limit; a grandchild; and another tree.
    let store = make();
    let parent = insert_org(&store, "Parent", None);
    let first = insert_org(&store, "First", Some(&parent));
    let second = insert_org(&store, "Second", Some(&parent));
    let gone = insert_org(&store, "Gone", Some(&parent));
    let mut unlimited = insert_org(&store, "Unlimited", Some(&parent));
    let grandchild = insert_org(&store, "Grandchild", Some(&first));
    let other = insert_org(&store, "Other", None);
    insert_org(&store, "Other Child", Some(&other));
    unlimited.limit = None;
    let since = t(7) + Duration::microseconds(123_456);
    must(&store, |r| {
        r.update_organization(&unlimited)?;
        r.set_organization_suspensions(
            &[(
                second.id,
                Some(Suspension::own(since).inherited_from(parent.id)),
            )],
            since,
        )?;
        r.delete_organization_subtree(gone.id, t(8)).map(|_| ())
    });
    // This month: the first, the unlimited one, the deleted one and the grandchild sent;
    // the second sent only last month.
    let month = Month::of(t(0));
    let last = Month::starting(
        month
            .first_day()
            .pred_opt()
            .expect("a day before")
            .with_day(1)
            .expect("day 1"),
    )
    .expect("a first day");
    let sent = |org: &Organization, month, sent| UsageIncrement {
        organization: org.id,
        month,
        sent,
        limit: org.limit,
    };
    must(&store, |r| {
        r.add_usage(&[
            sent(&first, month, 40),
            sent(&second, last, 7),
            sent(&gone, month, 3),
            sent(&unlimited, month, 1_200),
            sent(&grandchild, month, 9),
        ])
    });

    // When pages are read at once and piece by piece.
    let at_once = |offset, limit, terms: &[&str], of: &Organization| {
        let terms: Vec<String> = terms.iter().map(|t| (*t).to_owned()).collect();
        must(&store, |r| {
            r.children_page(of.id, &terms, offset, limit, month)
        })
    };
    let by_parts = |offset, limit, terms: &[&str], of: &Organization| {
        let terms: Vec<String> = terms.iter().map(|t| (*t).to_owned()).collect();
        must(&store, |r| {
            children_page_by_parts(r, of.id, &terms, offset, limit, month)
        })
    };

    // Then they agree on every page.
    for (offset, limit) in [(0, 10), (1, 1), (2, 5), (3, 10)] {
        assert_eq!(
            at_once(offset, limit, &[], &parent),
            by_parts(offset, limit, &[], &parent),
            "offset {offset}, limit {limit}"
        );
    }
    // And a search finds the one child whose text holds the word, with its month.
    let searched = at_once(0, 10, &["unlim"], &parent).expect("a live parent");
    assert_eq!(
        searched,
        by_parts(0, 10, &["unlim"], &parent).expect("a parent")
    );
    assert_eq!(searched.total, 1);
    assert_eq!(
        searched.children.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![unlimited.id]
    );
    assert_eq!(searched.usage.len(), 1);
    assert_eq!(searched.usage[0].sent, 1_200);
    // And the first page is the three live children, with the month's records of two.
    let page = at_once(0, 10, &[], &parent).expect("a live parent");
    assert_eq!(page.parent.id, parent.id);
    assert_eq!(page.total, 3);
    let ids: Vec<_> = page.children.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![first.id, second.id, unlimited.id]);
    assert_eq!(page.children[1].suspension.map(|s| s.since), Some(since));
    assert_eq!(page.children[2].limit, None);
    let usage: Vec<_> = page
        .usage
        .iter()
        .map(|u| (u.organization, u.month, u.sent))
        .collect();
    assert_eq!(
        usage,
        vec![(first.id, month, 40), (unlimited.id, month, 1_200)]
    );
    // A page past the end is empty but counted; a deleted parent reads as none.
    let past = at_once(3, 10, &[], &parent).expect("a live parent");
    assert_eq!(
        (past.total, past.children.len(), past.usage.len()),
        (3, 0, 0)
    );
    assert_eq!(at_once(0, 10, &[], &gone), None);
    assert_eq!(by_parts(0, 10, &[], &gone), None);
}
