//! IP pools and their memberships.

use super::{Lock, StoreResult};
use chrono::{DateTime, Utc};
use orgplane_domain::ip_address::{IpAddress, IpAddressId};
use orgplane_domain::ip_pool::{IpPool, IpPoolId, PoolName};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use uuid::Uuid;

/// A pool to insert.
#[derive(Debug, Clone)]
pub struct InsertIpPool {
    /// Public id.
    pub uuid: Uuid,
    /// Its organization.
    pub organization_id: OrganizationId,
    /// Name (unique within the organization, case-insensitively).
    pub name: PoolName,
    /// Whether it is the organization's default (at most one is).
    pub default: bool,
    /// Creation time.
    pub now: DateTime<Utc>,
}

impl InsertIpPool {
    /// The pool this insert makes, once the store has given it `id`.
    pub fn into_pool(self, id: IpPoolId) -> IpPool {
        IpPool {
            id,
            uuid: self.uuid,
            organization_id: self.organization_id,
            name: self.name,
            default: self.default,
            created_at: self.now,
            updated_at: self.now,
        }
    }
}

/// IP pools. Only live pools (and live addresses in them) are ever returned.
pub trait IpPoolRepository {
    /// Inserts a pool.
    fn insert_ip_pool(&mut self, new: InsertIpPool) -> StoreResult<IpPool>;
    /// A pool by public id.
    fn ip_pool_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<IpPool>>;
    /// Pools by key (those that exist).
    fn ip_pools_by_ids(&mut self, ids: &[IpPoolId]) -> StoreResult<Vec<IpPool>>;
    /// A pool, locked until the transaction ends, as last committed.
    fn lock_ip_pool(&mut self, id: IpPoolId, lock: Lock) -> StoreResult<Option<IpPool>>;
    /// Whether another pool of `organization` has this name (case-insensitively).
    fn pool_name_taken(
        &mut self,
        organization: OrganizationId,
        name: &PoolName,
        except: Option<IpPoolId>,
    ) -> StoreResult<bool>;
    /// Pools of `organization` by ascending key after `after`, at most `limit`.
    fn list_ip_pools(
        &mut self,
        organization: OrganizationId,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<IpPool>>;
    /// All pools of `organization`, by ascending key.
    fn ip_pools_of(&mut self, organization: OrganizationId) -> StoreResult<Vec<IpPool>>;
    /// The default pools of these organizations (at most one each).
    fn default_pools(&mut self, organizations: &[OrganizationId]) -> StoreResult<Vec<IpPool>>;
    /// Makes no pool of `organization` its default.
    fn clear_default_pool(
        &mut self,
        organization: OrganizationId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Saves the mutable fields of a pool.
    fn update_ip_pool(&mut self, pool: &IpPool) -> StoreResult<()>;
    /// Soft-deletes a pool and drops its memberships.
    fn delete_ip_pool(&mut self, id: IpPoolId, now: DateTime<Utc>) -> StoreResult<()>;
    /// Puts an address into a pool; `false` if it was in it already.
    fn add_pool_address(
        &mut self,
        pool: &IpPool,
        address: IpAddressId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Takes an address out of a pool; `false` if it was not in it.
    fn remove_pool_address(&mut self, pool: IpPoolId, address: IpAddressId) -> StoreResult<bool>;
    /// The live addresses of these pools, as `(pool, address)`, by pool then address key.
    fn pool_members(&mut self, pools: &[IpPoolId]) -> StoreResult<Vec<(IpPoolId, IpAddress)>>;
    /// The live pools holding these addresses, as `(pool, address)`.
    fn pools_holding(
        &mut self,
        addresses: &[IpAddressId],
    ) -> StoreResult<Vec<(IpPool, IpAddressId)>>;
}
