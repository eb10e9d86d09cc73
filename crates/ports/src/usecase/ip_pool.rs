//! IP pools and their memberships.

use super::{Idempotency, Outcome};
use super::{PageRequest, ServiceResult};
use orgplane_domain::access::Actor;
use orgplane_domain::ip_pool::{IpPool, IpPoolPatch, NewIpPool};
use orgplane_domain::page::Page;
use uuid::Uuid;

/// A pool with the public ids surfaces show.
#[derive(Debug, Clone, PartialEq)]
pub struct IpPoolView {
    /// The pool.
    pub pool: IpPool,
    /// Its organization's public id.
    pub organization_uuid: Uuid,
    /// The public ids of the addresses in it, by ascending key.
    pub ip_address_uuids: Vec<Uuid>,
}

/// IP pool management.
pub trait IpPools: Send + Sync {
    /// Creates a pool in an organization.
    fn create_ip_pool(
        &self,
        actor: &Actor,
        organization: Uuid,
        new: NewIpPool,
        idempotency: Option<Idempotency<IpPoolView>>,
    ) -> ServiceResult<Outcome<IpPoolView>>;
    /// Lists an organization's pools.
    fn list_ip_pools(
        &self,
        actor: &Actor,
        organization: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<IpPoolView>>;
    /// Reads a pool.
    fn get_ip_pool(&self, actor: &Actor, id: Uuid) -> ServiceResult<IpPoolView>;
    /// Changes a pool.
    fn update_ip_pool(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: IpPoolPatch,
    ) -> ServiceResult<IpPoolView>;
    /// Deletes a pool that no server uses.
    fn delete_ip_pool(&self, actor: &Actor, id: Uuid) -> ServiceResult<()>;
    /// Puts an address into a pool (no change if it is in it already).
    fn add_pool_address(
        &self,
        actor: &Actor,
        pool: Uuid,
        address: Uuid,
    ) -> ServiceResult<IpPoolView>;
    /// Takes an address out of a pool.
    fn remove_pool_address(
        &self,
        actor: &Actor,
        pool: Uuid,
        address: Uuid,
    ) -> ServiceResult<IpPoolView>;
}
