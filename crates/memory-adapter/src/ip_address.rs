//! IP addresses in memory.

use crate::{after, State};
use chrono::{DateTime, Utc};
use orgplane_domain::ip_address::{IpAddress, IpAddressId};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_ports::store::*;
use uuid::Uuid;

impl State {
    fn check_address_unique(&self, address: &IpAddress) -> StoreResult<()> {
        let others = || self.live_addresses().filter(|a| a.id != address.id);
        if others().any(|a| a.ipv4 == address.ipv4) {
            return Err(StoreError::Conflict(Unique::Ipv4));
        }
        if address.ipv6.is_some() && others().any(|a| a.ipv6 == address.ipv6) {
            return Err(StoreError::Conflict(Unique::Ipv6));
        }
        Ok(())
    }
}

fn sorted(mut addresses: Vec<IpAddress>) -> Vec<IpAddress> {
    addresses.sort_by_key(|a| a.id);
    addresses
}

impl IpAddressRepository for State {
    fn insert_ip_address(&mut self, new: InsertIpAddress) -> StoreResult<IpAddress> {
        let address = new.into_address(IpAddressId(self.id()));
        self.check_address_unique(&address)?;
        self.addresses.push((address.clone(), None));
        Ok(address)
    }

    fn ip_address_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<IpAddress>> {
        Ok(self.live_addresses().find(|a| a.uuid == uuid).cloned())
    }

    fn lock_ip_address(&mut self, id: IpAddressId, _lock: Lock) -> StoreResult<Option<IpAddress>> {
        // Transactions already run one at a time here.
        Ok(self.live_addresses().find(|a| a.id == id).cloned())
    }

    fn list_ip_addresses(
        &mut self,
        organization: OrganizationId,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<IpAddress>> {
        let mut found = sorted(
            self.live_addresses()
                .filter(|a| a.organization_id == organization && a.id.0 > after(cursor))
                .cloned()
                .collect(),
        );
        found.truncate(limit);
        Ok(found)
    }

    fn ip_addresses_of(&mut self, organization: OrganizationId) -> StoreResult<Vec<IpAddress>> {
        Ok(sorted(
            self.live_addresses()
                .filter(|a| a.organization_id == organization)
                .cloned()
                .collect(),
        ))
    }

    fn update_ip_address(&mut self, address: &IpAddress) -> StoreResult<()> {
        self.check_address_unique(address)?;
        if let Some((stored, _)) = self
            .addresses
            .iter_mut()
            .find(|(a, d)| a.id == address.id && d.is_none())
        {
            let organization = stored.organization_id;
            *stored = address.clone();
            stored.organization_id = organization;
        }
        Ok(())
    }

    fn delete_ip_address(&mut self, id: IpAddressId, now: DateTime<Utc>) -> StoreResult<()> {
        self.memberships.retain(|(_, a, _)| *a != id);
        for (_, deleted) in self
            .addresses
            .iter_mut()
            .filter(|(a, d)| a.id == id && d.is_none())
        {
            *deleted = Some(now);
        }
        Ok(())
    }
}

// The IP allocation is read piece by piece (the port's default).
impl IpAllocationRepository for State {}
