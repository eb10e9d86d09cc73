//! Seed 000's two reports: live statistics and IP allocation.

use super::Services;
use orgplane_domain::access::{Actor, Permission};
use orgplane_domain::ip_allocation::{self, IpAllocation};
use orgplane_domain::statistics::{self, window_start, Statistics, LIVE_WINDOW_SECS};
use orgplane_domain::tree::{self, TreeInputs};
use orgplane_domain::usage::Month;
use orgplane_ports::store::{OrganizationFilter, Store};
use orgplane_ports::usecase::*;
use std::collections::HashMap;
use uuid::Uuid;

impl<S: Store> Reports for Services<S> {
    fn statistics(&self, actor: &Actor, organization: Uuid) -> ServiceResult<Statistics> {
        let now = self.clock.now();
        let org = self.reached(actor, organization, Permission::ViewOrganization)?;
        self.read_stale(|r| {
            let since = window_start(now, LIVE_WINDOW_SECS);
            let inputs = r.statistics_inputs(org.id, since)?;
            let figures = inputs.servers;
            let queued: HashMap<_, _> = figures.iter().map(|f| (f.server.id, f.queued)).collect();
            let sent: HashMap<_, _> = figures.iter().map(|f| (f.server.id, f.sent)).collect();
            let servers: Vec<_> = figures.into_iter().map(|f| f.server).collect();
            Ok(statistics::assemble(
                &org,
                &servers,
                &queued,
                &sent,
                inputs.addresses,
            ))
        })
    }

    fn ip_allocation(&self, actor: &Actor, organization: Uuid) -> ServiceResult<IpAllocation> {
        let org = self.reached(actor, organization, Permission::ViewOrganization)?;
        self.read_stale(|r| {
            let inputs = r.allocation_inputs(org.id)?;
            Ok(ip_allocation::assemble(&org, inputs))
        })
    }

    fn tree(
        &self,
        actor: &Actor,
        organization: Option<Uuid>,
        limit: usize,
    ) -> ServiceResult<OrganizationTree> {
        if !(1..=MAX_TREE_ORGANIZATIONS).contains(&limit) {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "limit",
                format!("must be a whole number from 1 to {MAX_TREE_ORGANIZATIONS}"),
            )]));
        }
        let now = self.clock.now();
        let (month, price) = (Month::of(now), self.policy.price);
        let named = organization
            .map(|id| self.reached(actor, id, Permission::ViewOrganization))
            .transpose()?;
        actor.holds(Permission::ViewOrganization)?;
        let root = match &named {
            Some(org) => Some(org.id),
            None if actor.is_platform_admin() => None,
            None => Some(actor.home),
        };
        self.read_stale(|r| {
            // One more than asked tells whether there are more.
            let within = OrganizationFilter {
                within: root,
                ..OrganizationFilter::default()
            };
            // By key: every parent before its children, so a cut leaves no orphan.
            let mut organizations = r.list_organizations(&within, None, limit + 1)?;
            // A replica that lags may not have the named root yet: the primary's copy.
            if let Some(org) = named
                .as_ref()
                .filter(|o| !organizations.iter().any(|x| x.id == o.id))
            {
                organizations.insert(0, org.clone());
            }
            let truncated = organizations.len() > limit;
            organizations.truncate(limit);
            let ids: Vec<_> = organizations.iter().map(|o| o.id).collect();
            let servers = r.servers_of_organizations(&ids)?;
            let server_ids: Vec<_> = servers.iter().map(|s| s.id).collect();
            let queued = r.queue_sizes(&server_ids)?.into_iter().collect();
            let since = window_start(now, LIVE_WINDOW_SECS);
            let sent = r.sent_since(&server_ids, since)?.into_iter().collect();
            let sent_this_month = r
                .usage_in_month(&ids, month)?
                .into_iter()
                .map(|u| (u.organization, u.sent))
                .collect();
            let inputs = TreeInputs {
                organizations,
                servers,
                queued,
                sent,
                sent_this_month,
            };
            Ok(OrganizationTree {
                organizations: tree::assemble(root, month, price, inputs),
                truncated,
            })
        })
    }
}
