//! Seed 000's two reports: live statistics and IP allocation.

use super::Services;
use orgplane_domain::access::{Actor, Permission};
use orgplane_domain::ip_allocation::{self, AllocationInputs, IpAllocation};
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
            let figures = r.server_figures(org.id, since)?;
            let queued: HashMap<_, _> = figures.iter().map(|f| (f.server.id, f.queued)).collect();
            let sent: HashMap<_, _> = figures.iter().map(|f| (f.server.id, f.sent)).collect();
            let servers: Vec<_> = figures.into_iter().map(|f| f.server).collect();
            let addresses = r.ip_addresses_of(org.id)?;
            Ok(statistics::assemble(
                &org, &servers, &queued, &sent, addresses,
            ))
        })
    }

    fn ip_allocation(&self, actor: &Actor, organization: Uuid) -> ServiceResult<IpAllocation> {
        let org = self.reached(actor, organization, Permission::ViewOrganization)?;
        self.read_stale(|r| {
            let servers = r.servers_of(org.id)?;
            let own_pools = r.ip_pools_of(org.id)?;
            let own_addresses = r.ip_addresses_of(org.id)?;
            let address_ids: Vec<_> = own_addresses.iter().map(|a| a.id).collect();
            let holding = r.pools_holding(&address_ids)?;
            // Every pool an own object refers to: own pools, the pools own servers send
            // through (perhaps an ancestor's), the pools own addresses sit in.
            let mut pool_ids: Vec<_> = own_pools.iter().map(|p| p.id).collect();
            pool_ids.extend(servers.iter().filter_map(|s| s.ip_pool_id));
            pool_ids.extend(holding.iter().map(|(p, _)| p.id));
            pool_ids.sort();
            pool_ids.dedup();
            let pools = r.ip_pools_by_ids(&pool_ids)?;
            let memberships = r.pool_members(&pool_ids)?;
            let own_pool_ids: Vec<_> = own_pools.iter().map(|p| p.id).collect();
            let pool_users = r
                .servers_using_pools(&own_pool_ids)?
                .into_iter()
                .filter_map(|s| s.ip_pool_id.map(|p| (p, s.name.as_str().to_owned())))
                .collect();
            let server_ids: Vec<_> = servers.iter().map(|s| s.id).collect();
            let routes = r.sent_routes(&server_ids, &own_pool_ids, &address_ids)?;
            let inputs = AllocationInputs {
                servers,
                own_pools,
                own_addresses,
                pools,
                memberships,
                pool_users,
                routes,
            };
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
