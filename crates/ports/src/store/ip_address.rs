//! IP addresses.

use super::{Lock, StoreResult};
use chrono::{DateTime, Utc};
use orgplane_domain::ip_address::{
    Hostname, IpAddress, IpAddressId, Priority, SendingIpv4, SendingIpv6,
};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use uuid::Uuid;

/// An address to insert.
#[derive(Debug, Clone)]
pub struct InsertIpAddress {
    /// Public id.
    pub uuid: Uuid,
    /// Its organization.
    pub organization_id: OrganizationId,
    /// IPv4 (unique among live addresses).
    pub ipv4: SendingIpv4,
    /// IPv6 (unique among live addresses).
    pub ipv6: Option<SendingIpv6>,
    /// DNS name.
    pub hostname: Hostname,
    /// Priority.
    pub priority: Priority,
    /// Creation time.
    pub now: DateTime<Utc>,
}

impl InsertIpAddress {
    /// The address this insert makes, once the store has given it `id`.
    pub fn into_address(self, id: IpAddressId) -> IpAddress {
        IpAddress {
            id,
            uuid: self.uuid,
            organization_id: self.organization_id,
            ipv4: self.ipv4,
            ipv6: self.ipv6,
            hostname: self.hostname,
            priority: self.priority,
            created_at: self.now,
            updated_at: self.now,
        }
    }
}

/// IP addresses. Only live addresses are ever returned.
pub trait IpAddressRepository {
    /// Inserts an address.
    fn insert_ip_address(&mut self, new: InsertIpAddress) -> StoreResult<IpAddress>;
    /// An address by public id.
    fn ip_address_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<IpAddress>>;
    /// An address, locked until the transaction ends, as last committed.
    fn lock_ip_address(&mut self, id: IpAddressId, lock: Lock) -> StoreResult<Option<IpAddress>>;
    /// Addresses of `organization` by ascending key after `after`, at most `limit`.
    fn list_ip_addresses(
        &mut self,
        organization: OrganizationId,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<IpAddress>>;
    /// All addresses of `organization`, by ascending key.
    fn ip_addresses_of(&mut self, organization: OrganizationId) -> StoreResult<Vec<IpAddress>>;
    /// Saves the mutable fields of an address.
    fn update_ip_address(&mut self, address: &IpAddress) -> StoreResult<()>;
    /// Soft-deletes an address and takes it out of every pool.
    fn delete_ip_address(&mut self, id: IpAddressId, now: DateTime<Utc>) -> StoreResult<()>;
}
