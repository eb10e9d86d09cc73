//! Suspension of organizations and servers.
//!
//! Suspending an organization suspends everything below it: its sub-organizations at any
//! depth and all their servers. What is stored for each organization and server is its
//! *effective* suspension: since when, and whose decision it is (itself, or the nearest
//! organization above it that was suspended on its own). An object is suspended on its
//! own exactly when its suspension's origin is [`SuspensionOrigin::Itself`]; everything
//! else follows from the hierarchy, and [`resolve_subtree`] recomputes it after a change.

use crate::organization::OrganizationId;
use chrono::{DateTime, Utc};

/// Whose decision a suspension is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuspensionOrigin {
    /// The object was suspended on its own.
    Itself,
    /// Inherited from this organization (suspended on its own), above the object.
    Organization(OrganizationId),
}

/// An effective suspension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Suspension {
    /// Since when.
    pub since: DateTime<Utc>,
    /// Whose decision.
    pub origin: SuspensionOrigin,
}

impl Suspension {
    /// A suspension decided for the object itself.
    pub fn own(since: DateTime<Utc>) -> Self {
        Self {
            since,
            origin: SuspensionOrigin::Itself,
        }
    }

    /// Whether the object was suspended on its own (and not through an organization above).
    pub fn is_own(&self) -> bool {
        self.origin == SuspensionOrigin::Itself
    }

    /// What an object below inherits from an organization `holder` suspended like this:
    /// the same time, and the organization that decided it.
    pub fn inherited_from(&self, holder: OrganizationId) -> Self {
        let origin = match self.origin {
            SuspensionOrigin::Itself => SuspensionOrigin::Organization(holder),
            inherited => inherited,
        };
        Self {
            since: self.since,
            origin,
        }
    }

    /// The organization that decided this suspension, `holder` being the object's own
    /// organization (for a server) or the organization itself.
    pub fn decided_by(&self, holder: OrganizationId) -> OrganizationId {
        match self.origin {
            SuspensionOrigin::Itself => holder,
            SuspensionOrigin::Organization(id) => id,
        }
    }
}

/// The effective suspension of an object, from its own (if any) and what it inherits.
///
/// ```
/// # use orgplane_domain::suspension::*;
/// # use orgplane_domain::organization::OrganizationId;
/// # use chrono::{DateTime, Utc};
/// let t = DateTime::<Utc>::UNIX_EPOCH;
/// let parent = Suspension::own(t);
/// let child = effective(None, Some(&parent), OrganizationId(1));
/// assert_eq!(child.unwrap().origin, SuspensionOrigin::Organization(OrganizationId(1)));
/// ```
pub fn effective(
    own: Option<DateTime<Utc>>,
    holder_suspension: Option<&Suspension>,
    holder: OrganizationId,
) -> Option<Suspension> {
    match own {
        Some(since) => Some(Suspension::own(since)),
        None => holder_suspension.map(|s| s.inherited_from(holder)),
    }
}

/// One organization of a subtree, as [`resolve_subtree`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtreeNode {
    /// The organization.
    pub id: OrganizationId,
    /// Its parent (`None` only for a top-level organization).
    pub parent: Option<OrganizationId>,
    /// Its own suspension time, if it is suspended on its own.
    pub own: Option<DateTime<Utc>>,
}

/// Recomputes the effective suspension of every organization of a subtree after the root
/// changed. `nodes` are in root-first order (every parent before its children; the
/// root first) and `above` is the effective suspension of the root's parent.
///
/// ```
/// # use orgplane_domain::suspension::*;
/// # use orgplane_domain::organization::OrganizationId;
/// # use chrono::{DateTime, Utc};
/// let t = DateTime::<Utc>::UNIX_EPOCH;
/// let nodes = [
///     SubtreeNode { id: OrganizationId(1), parent: None, own: Some(t) },
///     SubtreeNode { id: OrganizationId(2), parent: Some(OrganizationId(1)), own: None },
/// ];
/// let resolved = resolve_subtree(&nodes, None);
/// assert_eq!(resolved[1].1.unwrap().origin, SuspensionOrigin::Organization(OrganizationId(1)));
/// ```
pub fn resolve_subtree(
    nodes: &[SubtreeNode],
    above: Option<&Suspension>,
) -> Vec<(OrganizationId, Option<Suspension>)> {
    let mut resolved: Vec<(OrganizationId, Option<Suspension>)> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let inherited = if i == 0 {
            // The root inherits from above; its parent is outside the subtree.
            above.copied().zip(node.parent)
        } else {
            node.parent.and_then(|p| {
                resolved
                    .iter()
                    .find(|(id, _)| *id == p)
                    .and_then(|(_, s)| s.map(|s| (s, p)))
            })
        };
        let effective = match (node.own, inherited) {
            (Some(since), _) => Some(Suspension::own(since)),
            (None, Some((parent, parent_id))) => Some(parent.inherited_from(parent_id)),
            (None, None) => None,
        };
        resolved.push((node.id, effective));
    }
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(s)
    }

    fn node(id: i64, parent: Option<i64>, own: Option<i64>) -> SubtreeNode {
        SubtreeNode {
            id: OrganizationId(id),
            parent: parent.map(OrganizationId),
            own: own.map(t),
        }
    }

    #[test]
    fn suspending_an_organization_suspends_everything_below_it_in_its_name() {
        // Given 1 → 2 → 3 and 1 → 4, when 1 is suspended on its own
        let nodes = [
            node(1, None, Some(10)),
            node(2, Some(1), None),
            node(3, Some(2), None),
            node(4, Some(1), None),
        ];
        // then all of them are suspended since the same moment, by 1.
        let resolved = resolve_subtree(&nodes, None);
        assert_eq!(resolved[0].1, Some(Suspension::own(t(10))));
        for (_, s) in &resolved[1..] {
            let s = s.expect("suspended");
            assert_eq!(s.since, t(10));
            assert_eq!(s.origin, SuspensionOrigin::Organization(OrganizationId(1)));
        }
    }

    #[test]
    fn an_own_suspension_below_outlives_the_lifting_of_the_one_above() {
        // Given 2 suspended on its own under 1, when 1's suspension is lifted
        let nodes = [
            node(1, None, None),
            node(2, Some(1), Some(5)),
            node(3, Some(2), None),
        ];
        let resolved = resolve_subtree(&nodes, None);
        // then 1 is free, 2 keeps its own suspension and 3 keeps 2's.
        assert_eq!(resolved[0].1, None);
        assert_eq!(resolved[1].1, Some(Suspension::own(t(5))));
        assert_eq!(
            resolved[2].1.map(|s| s.origin),
            Some(SuspensionOrigin::Organization(OrganizationId(2)))
        );
    }

    #[test]
    fn a_subtree_root_inherits_from_above() {
        // Given 7 (outside the subtree) suspended on its own, parent of the root 8
        let above = Suspension::own(t(3));
        let nodes = [node(8, Some(7), None), node(9, Some(8), None)];
        let resolved = resolve_subtree(&nodes, Some(&above));
        // then the root and its child are suspended by 7.
        for (_, s) in resolved {
            assert_eq!(
                s.map(|s| s.origin),
                Some(SuspensionOrigin::Organization(OrganizationId(7)))
            );
        }
    }

    #[test]
    fn an_inherited_suspension_keeps_its_origin_further_down() {
        let at_2 = Suspension::own(t(1)).inherited_from(OrganizationId(1));
        assert_eq!(
            at_2.inherited_from(OrganizationId(2)).origin,
            SuspensionOrigin::Organization(OrganizationId(1))
        );
        assert_eq!(at_2.decided_by(OrganizationId(2)), OrganizationId(1));
        assert_eq!(
            Suspension::own(t(1)).decided_by(OrganizationId(2)),
            OrganizationId(2)
        );
    }

    #[test]
    fn an_object_of_its_own_is_suspended_by_itself_whatever_is_above() {
        let above = Suspension::own(t(1));
        let s = effective(Some(t(2)), Some(&above), OrganizationId(1)).unwrap();
        assert!(s.is_own());
        assert_eq!(s.since, t(2));
        assert_eq!(effective(None, None, OrganizationId(1)), None);
    }
}
