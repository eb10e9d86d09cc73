//! An organization tree with each organization's live figures: what a dashboard shows
//! at a glance, assembled from the same counters as [`crate::statistics`] and
//! [`crate::usage`], so the figures agree with those reports exactly.

use crate::organization::{Organization, OrganizationId};
use crate::server::{Server, ServerId};
use crate::statistics::message_rate;
use crate::usage::{Month, MonthlyUsage, OveragePrice};
use std::collections::HashMap;
use uuid::Uuid;

/// One organization of the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeNode {
    /// Public id.
    pub uuid: Uuid,
    /// Its parent's public id (`None` for the tree's root, whatever lies above it).
    pub parent_uuid: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Levels below the tree's root (the root is 0).
    pub depth: usize,
    /// Whether it is suspended (by itself or an ancestor).
    pub suspended: bool,
    /// Its own live servers.
    pub servers_count: u64,
    /// Messages queued in its own servers now.
    pub queued_count: u64,
    /// Messages its own servers sent in the live window.
    pub sent_count: u64,
    /// Messages per second over the live window.
    pub message_rate: f64,
    /// This month's usage against its limit, with overage and spend.
    pub usage: MonthlyUsage,
}

/// What a tree is assembled from: one consistent read.
#[derive(Debug, Default)]
pub struct TreeInputs {
    /// The root and organizations below it, in any order. One whose parent is missing
    /// (beyond a truncated read) is left out, with everything below it.
    pub organizations: Vec<Organization>,
    /// Their live servers.
    pub servers: Vec<Server>,
    /// Queue size per server (missing: zero).
    pub queued: HashMap<ServerId, u64>,
    /// Sent in the live window per server (missing: zero).
    pub sent: HashMap<ServerId, u64>,
    /// Sent this month per organization (missing: zero).
    pub sent_this_month: HashMap<OrganizationId, u64>,
}

/// The tree under `root` (`None`: the forest of every top-level organization), depth
/// first: every organization right after its parent, siblings by name (then id, for
/// equal names).
pub fn assemble(
    root: Option<OrganizationId>,
    month: Month,
    price: OveragePrice,
    inputs: TreeInputs,
) -> Vec<TreeNode> {
    let mut children: HashMap<Option<OrganizationId>, Vec<&Organization>> = HashMap::new();
    let mut roots = Vec::new();
    for org in &inputs.organizations {
        let is_root = match root {
            Some(root) => org.id == root,
            None => org.parent_id.is_none(),
        };
        if is_root {
            roots.push(org);
        } else {
            children.entry(org.parent_id).or_default().push(org);
        }
    }
    roots.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()).then(a.id.cmp(&b.id)));
    for siblings in children.values_mut() {
        siblings.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()).then(a.id.cmp(&b.id)));
    }
    let mut per_org: HashMap<OrganizationId, (u64, u64, u64)> = HashMap::new();
    for server in &inputs.servers {
        let entry = per_org.entry(server.organization_id).or_default();
        entry.0 += 1;
        entry.1 += inputs.queued.get(&server.id).copied().unwrap_or(0);
        entry.2 += inputs.sent.get(&server.id).copied().unwrap_or(0);
    }
    let node = |org: &Organization, depth: usize| {
        let (servers_count, queued_count, sent_count) =
            per_org.get(&org.id).copied().unwrap_or_default();
        let sent = inputs.sent_this_month.get(&org.id).copied().unwrap_or(0);
        TreeNode {
            uuid: org.uuid,
            parent_uuid: if depth == 0 { None } else { org.parent_uuid },
            name: org.name.as_str().to_owned(),
            depth,
            suspended: org.suspension.is_some(),
            servers_count,
            queued_count,
            sent_count,
            message_rate: message_rate(sent_count),
            usage: MonthlyUsage::compute(month, sent, org.limit, price),
        }
    };
    let mut nodes = Vec::with_capacity(inputs.organizations.len());
    // An explicit stack: depth is bounded, but nothing here should rely on it.
    let mut stack: Vec<_> = roots.into_iter().rev().map(|org| (org, 0)).collect();
    while let Some((org, depth)) = stack.pop() {
        nodes.push(node(org, depth));
        if let Some(kids) = children.get(&Some(org.id)) {
            stack.extend(kids.iter().rev().map(|kid| (*kid, depth + 1)));
        }
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::organization::fixtures::organization;
    use crate::organization::{MonthlyLimit, OrganizationName};
    use crate::server::{ServerMode, ServerName, ServerPermalink};
    use chrono::{DateTime, Utc};

    fn server(id: i64, org: i64) -> Server {
        Server {
            id: ServerId(id),
            uuid: Uuid::from_u128(1000 + id as u128),
            organization_id: OrganizationId(org),
            name: ServerName::parse(&format!("s{id}")).unwrap(),
            permalink: ServerPermalink::parse("s").unwrap(),
            mode: ServerMode::Live,
            ip_pool_id: None,
            send_limit: None,
            suspension: None,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    fn named(mut org: Organization, name: &str) -> Organization {
        org.name = OrganizationName::parse(name).unwrap();
        org
    }

    fn month() -> Month {
        Month::of(DateTime::<Utc>::UNIX_EPOCH)
    }

    const PRICE: OveragePrice = OveragePrice {
        cents_per_thousand: 50,
    };

    #[test]
    fn given_a_nested_tree_when_assembled_then_each_child_follows_its_parent_siblings_by_name() {
        let root = organization(1, None);
        let zulu = named(organization(2, Some(&root)), "Zulu");
        let alpha = named(organization(3, Some(&root)), "Alpha");
        let alpha_kid = organization(4, Some(&alpha));
        let inputs = TreeInputs {
            organizations: vec![zulu, alpha_kid, root, alpha],
            ..TreeInputs::default()
        };
        let nodes = assemble(Some(OrganizationId(1)), month(), PRICE, inputs);
        let order: Vec<_> = nodes.iter().map(|n| (n.uuid.as_u128(), n.depth)).collect();
        assert_eq!(order, [(1, 0), (3, 1), (4, 2), (2, 1)]);
        assert_eq!(nodes[0].parent_uuid, None);
        assert_eq!(nodes[2].parent_uuid, Some(Uuid::from_u128(3)));
    }

    #[test]
    fn given_a_root_with_a_parent_when_assembled_then_the_root_shows_no_parent() {
        let top = organization(1, None);
        let root = organization(2, Some(&top));
        let nodes = assemble(
            Some(OrganizationId(2)),
            month(),
            PRICE,
            TreeInputs {
                organizations: vec![root],
                ..TreeInputs::default()
            },
        );
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].parent_uuid, None, "the caller may not reach above");
    }

    #[test]
    fn given_servers_and_counters_when_assembled_then_each_organization_sums_its_own_servers_only()
    {
        let root = organization(1, None);
        let mut child = organization(2, Some(&root));
        child.limit = Some(MonthlyLimit::new(1_000).unwrap());
        let inputs = TreeInputs {
            organizations: vec![root, child],
            servers: vec![server(10, 1), server(11, 1), server(20, 2)],
            queued: HashMap::from([(ServerId(10), 5), (ServerId(11), 7), (ServerId(20), 1)]),
            sent: HashMap::from([(ServerId(10), 120), (ServerId(20), 30)]),
            sent_this_month: HashMap::from([(OrganizationId(2), 1_500)]),
        };
        let nodes = assemble(Some(OrganizationId(1)), month(), PRICE, inputs);
        assert_eq!(
            (
                nodes[0].servers_count,
                nodes[0].queued_count,
                nodes[0].sent_count
            ),
            (2, 12, 120)
        );
        assert_eq!(nodes[0].message_rate, 2.0);
        assert_eq!(nodes[0].usage.usage, 0);
        assert_eq!(
            (
                nodes[1].servers_count,
                nodes[1].queued_count,
                nodes[1].sent_count
            ),
            (1, 1, 30)
        );
        assert_eq!(nodes[1].usage.usage, 1_500);
        assert_eq!(nodes[1].usage.overage, 500);
        assert_eq!(nodes[1].usage.spend, 25);
    }

    #[test]
    fn given_an_organization_whose_parent_was_not_read_when_assembled_then_it_is_left_out() {
        let root = organization(1, None);
        let missing = organization(2, Some(&root));
        let orphan = organization(3, Some(&missing));
        let nodes = assemble(
            Some(OrganizationId(1)),
            month(),
            PRICE,
            TreeInputs {
                organizations: vec![root, orphan],
                ..TreeInputs::default()
            },
        );
        assert_eq!(nodes.len(), 1);
    }

    #[test]
    fn given_no_root_when_assembled_then_every_top_level_organization_leads_its_own_tree() {
        let platform = named(organization(1, None), "Platform");
        let acme = named(organization(2, None), "Acme");
        let team = organization(3, Some(&acme));
        let inputs = TreeInputs {
            organizations: vec![platform, team, acme],
            ..TreeInputs::default()
        };
        let nodes = assemble(None, month(), PRICE, inputs);
        let order: Vec<_> = nodes.iter().map(|n| (n.uuid.as_u128(), n.depth)).collect();
        assert_eq!(
            order,
            [(2, 0), (3, 1), (1, 0)],
            "roots by name, each with its tree"
        );
    }

    #[test]
    fn given_no_root_when_assembled_then_the_tree_is_empty() {
        let other = organization(5, None);
        let inputs = TreeInputs {
            organizations: vec![other],
            ..TreeInputs::default()
        };
        assert!(assemble(Some(OrganizationId(1)), month(), PRICE, inputs).is_empty());
    }
}
