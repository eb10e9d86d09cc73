//! Contract cases: monthly usage.

use super::*;
use crate::store::*;
use chrono::NaiveDate;
use orgplane_domain::usage::{Month, Threshold};

fn month(m: u32) -> Month {
    Month::starting(NaiveDate::from_ymd_opt(2026, m, 1).expect("date")).expect("first day")
}

/// Usage adds up per organization and month, keeps the latest limit and the recorded
/// threshold, and is read for one organization or its whole subtree (deleted ones too).
pub fn usage_accumulates_per_organization_and_month<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let child = insert_org(&store, "Child", Some(&root));
    let other = insert_org(&store, "Other", None);
    let limit = |n| MonthlyLimit::new(n).ok();
    let inc = |org: &Organization, m: u32, sent: u64, l: Option<MonthlyLimit>| UsageIncrement {
        organization: org.id,
        month: month(m),
        sent,
        limit: l,
    };
    let first = must(&store, |r| {
        r.add_usage(&[inc(&root, 3, 10, limit(100)), inc(&child, 3, 5, None)])
    });
    assert_eq!(
        first.iter().map(|u| u.sent).collect::<Vec<_>>(),
        vec![10, 5]
    );
    let again = must(&store, |r| r.add_usage(&[inc(&root, 3, 85, limit(90))]));
    assert_eq!(again[0].sent, 95);
    assert_eq!(again[0].limit, limit(90), "the latest limit is kept");
    assert_eq!(again[0].threshold_recorded, None);
    must(&store, |r| {
        r.record_threshold(root.id, month(3), Threshold::Reached)
    });
    must(&store, |r| {
        r.add_usage(&[inc(&root, 4, 1, limit(90)), inc(&other, 3, 7, None)])
    });
    let mut in_march = must(&store, |r| {
        r.usage_in_month(&[root.id, child.id, other.id], month(3))
    });
    in_march.sort_by_key(|u| u.organization);
    assert_eq!(
        in_march
            .iter()
            .map(|u| (u.organization, u.sent))
            .collect::<Vec<_>>(),
        vec![(root.id, 95), (child.id, 5), (other.id, 7)]
    );
    assert!(
        must(&store, |r| r.usage_in_month(&[child.id], month(4))).is_empty(),
        "a month without messages has no record"
    );
    let own = must(&store, |r| r.usage_records(root.id, false, month(3)));
    let mut own: Vec<_> = own
        .iter()
        .map(|u| (u.month, u.sent, u.threshold_recorded))
        .collect();
    own.sort();
    assert_eq!(
        own,
        vec![
            (month(3), 95, Some(Threshold::Reached)),
            (month(4), 1, None)
        ]
    );
    must(&store, |r| r.delete_organization_subtree(child.id, t(1)));
    let mut subtree: Vec<_> = must(&store, |r| r.usage_records(root.id, true, month(3)))
        .into_iter()
        .map(|u| (u.organization, u.month, u.sent))
        .collect();
    subtree.sort();
    assert_eq!(
        subtree,
        vec![
            (root.id, month(3), 95),
            (root.id, month(4), 1),
            (child.id, month(3), 5)
        ],
        "a deleted descendant's usage still counts; other trees never"
    );
    assert_eq!(
        must(&store, |r| r.usage_records(root.id, false, month(4))).len(),
        1
    );
}
