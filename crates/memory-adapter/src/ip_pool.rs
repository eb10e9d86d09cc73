//! IP pools and their memberships in memory.

use crate::{after, State};
use chrono::{DateTime, Utc};
use orgplane_domain::ip_address::{IpAddress, IpAddressId};
use orgplane_domain::ip_pool::{IpPool, IpPoolId, PoolName};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_ports::store::*;
use uuid::Uuid;

impl State {
    fn check_pool_unique(&self, pool: &IpPool) -> StoreResult<()> {
        let others = || {
            self.live_pools()
                .filter(|p| p.id != pool.id && p.organization_id == pool.organization_id)
        };
        let name = pool.name.as_str().to_lowercase();
        if others().any(|p| p.name.as_str().to_lowercase() == name) {
            return Err(StoreError::Conflict(Unique::PoolName));
        }
        if pool.default && others().any(|p| p.default) {
            return Err(StoreError::Conflict(Unique::DefaultPool));
        }
        Ok(())
    }

    fn pool_mut(&mut self, id: IpPoolId) -> Option<&mut IpPool> {
        self.pools
            .iter_mut()
            .find(|(p, d)| p.id == id && d.is_none())
            .map(|(p, _)| p)
    }
}

fn sorted(mut pools: Vec<IpPool>) -> Vec<IpPool> {
    pools.sort_by_key(|p| p.id);
    pools
}

impl IpPoolRepository for State {
    fn insert_ip_pool(&mut self, new: InsertIpPool) -> StoreResult<IpPool> {
        let pool = new.into_pool(IpPoolId(self.id()));
        self.check_pool_unique(&pool)?;
        self.pools.push((pool.clone(), None));
        Ok(pool)
    }

    fn ip_pool_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<IpPool>> {
        Ok(self.live_pools().find(|p| p.uuid == uuid).cloned())
    }

    fn ip_pools_by_ids(&mut self, ids: &[IpPoolId]) -> StoreResult<Vec<IpPool>> {
        Ok(sorted(
            self.live_pools()
                .filter(|p| ids.contains(&p.id))
                .cloned()
                .collect(),
        ))
    }

    fn lock_ip_pool(&mut self, id: IpPoolId, _lock: Lock) -> StoreResult<Option<IpPool>> {
        // Transactions already run one at a time here.
        Ok(self.live_pools().find(|p| p.id == id).cloned())
    }

    fn pool_name_taken(
        &mut self,
        organization: OrganizationId,
        name: &PoolName,
        except: Option<IpPoolId>,
    ) -> StoreResult<bool> {
        let name = name.as_str().to_lowercase();
        Ok(self.live_pools().any(|p| {
            p.organization_id == organization
                && Some(p.id) != except
                && p.name.as_str().to_lowercase() == name
        }))
    }

    fn list_ip_pools(
        &mut self,
        organization: OrganizationId,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<IpPool>> {
        let mut found = sorted(
            self.live_pools()
                .filter(|p| p.organization_id == organization && p.id.0 > after(cursor))
                .cloned()
                .collect(),
        );
        found.truncate(limit);
        Ok(found)
    }

    fn ip_pools_of(&mut self, organization: OrganizationId) -> StoreResult<Vec<IpPool>> {
        Ok(sorted(
            self.live_pools()
                .filter(|p| p.organization_id == organization)
                .cloned()
                .collect(),
        ))
    }

    fn default_pools(&mut self, organizations: &[OrganizationId]) -> StoreResult<Vec<IpPool>> {
        Ok(sorted(
            self.live_pools()
                .filter(|p| p.default && organizations.contains(&p.organization_id))
                .cloned()
                .collect(),
        ))
    }

    fn clear_default_pool(
        &mut self,
        organization: OrganizationId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        for (pool, _) in self
            .pools
            .iter_mut()
            .filter(|(p, d)| d.is_none() && p.organization_id == organization && p.default)
        {
            pool.default = false;
            pool.updated_at = now;
        }
        Ok(())
    }

    fn update_ip_pool(&mut self, pool: &IpPool) -> StoreResult<()> {
        self.check_pool_unique(pool)?;
        if let Some(stored) = self.pool_mut(pool.id) {
            let organization = stored.organization_id;
            *stored = pool.clone();
            stored.organization_id = organization;
        }
        Ok(())
    }

    fn delete_ip_pool(&mut self, id: IpPoolId, now: DateTime<Utc>) -> StoreResult<()> {
        self.memberships.retain(|(p, _, _)| *p != id);
        for (pool, deleted) in self
            .pools
            .iter_mut()
            .filter(|(p, d)| p.id == id && d.is_none())
        {
            pool.default = false;
            *deleted = Some(now);
        }
        Ok(())
    }

    fn add_pool_address(
        &mut self,
        pool: &IpPool,
        address: IpAddressId,
        _now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        if self
            .memberships
            .iter()
            .any(|(p, a, _)| *p == pool.id && *a == address)
        {
            return Ok(false);
        }
        self.memberships
            .push((pool.id, address, pool.organization_id));
        Ok(true)
    }

    fn remove_pool_address(&mut self, pool: IpPoolId, address: IpAddressId) -> StoreResult<bool> {
        let before = self.memberships.len();
        self.memberships
            .retain(|(p, a, _)| !(*p == pool && *a == address));
        Ok(self.memberships.len() < before)
    }

    fn pool_members(&mut self, pools: &[IpPoolId]) -> StoreResult<Vec<(IpPoolId, IpAddress)>> {
        let mut found: Vec<(IpPoolId, IpAddress)> = self
            .memberships
            .iter()
            .filter(|(p, _, _)| pools.contains(p))
            .filter_map(|(p, a, _)| {
                self.live_addresses()
                    .find(|x| x.id == *a)
                    .map(|x| (*p, x.clone()))
            })
            .collect();
        found.sort_by_key(|(p, a)| (*p, a.id));
        Ok(found)
    }

    fn pools_holding(
        &mut self,
        addresses: &[IpAddressId],
    ) -> StoreResult<Vec<(IpPool, IpAddressId)>> {
        let mut found: Vec<(IpPool, IpAddressId)> = self
            .memberships
            .iter()
            .filter(|(_, a, _)| addresses.contains(a))
            .filter_map(|(p, a, _)| {
                self.live_pools()
                    .find(|x| x.id == *p)
                    .map(|x| (x.clone(), *a))
            })
            .collect();
        found.sort_by_key(|(p, a)| (p.id, *a));
        Ok(found)
    }
}
