//! The IP allocation report's reads.

use super::StoreResult;
use super::{EventRepository, IpAddressRepository, IpPoolRepository, ServerRepository};
use orgplane_domain::ip_allocation::AllocationInputs;
use orgplane_domain::organization::OrganizationId;

/// What an organization's IP allocation is assembled from.
pub trait IpAllocationRepository:
    ServerRepository + IpPoolRepository + IpAddressRepository + EventRepository
{
    /// Everything [`orgplane_domain::ip_allocation::assemble`] needs of `organization`.
    /// By default read piece by piece ([`allocation_inputs_by_parts`]); a store may read
    /// it at once, and must then read exactly the same.
    fn allocation_inputs(&mut self, organization: OrganizationId) -> StoreResult<AllocationInputs> {
        allocation_inputs_by_parts(self, organization)
    }
}

/// The inputs of an organization's IP allocation, read piece by piece: its servers, pools
/// and addresses; every pool one of those refers to (own pools, the pools its servers
/// send through, perhaps an ancestor's, and the pools its addresses sit in) with their
/// members; the servers of anyone using its pools; and the all-time volume of every route
/// through its servers, pools or addresses.
pub fn allocation_inputs_by_parts<R>(
    r: &mut R,
    organization: OrganizationId,
) -> StoreResult<AllocationInputs>
where
    R: ServerRepository + IpPoolRepository + IpAddressRepository + EventRepository + ?Sized,
{
    let servers = r.servers_of(organization)?;
    let own_pools = r.ip_pools_of(organization)?;
    let own_addresses = r.ip_addresses_of(organization)?;
    let address_ids: Vec<_> = own_addresses.iter().map(|a| a.id).collect();
    let holding = r.pools_holding(&address_ids)?;
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
    Ok(AllocationInputs {
        servers,
        own_pools,
        own_addresses,
        pools,
        memberships,
        pool_users,
        routes,
    })
}
