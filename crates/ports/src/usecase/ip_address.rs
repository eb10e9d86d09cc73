//! IP addresses.

use super::{Idempotency, Outcome};
use super::{PageRequest, ServiceResult};
use orgplane_domain::access::Actor;
use orgplane_domain::ip_address::{IpAddress, IpAddressPatch, NewIpAddress};
use orgplane_domain::page::Page;
use uuid::Uuid;

/// An address with the public ids surfaces show.
#[derive(Debug, Clone, PartialEq)]
pub struct IpAddressView {
    /// The address.
    pub address: IpAddress,
    /// Its organization's public id.
    pub organization_uuid: Uuid,
}

/// IP address management.
pub trait IpAddresses: Send + Sync {
    /// Creates an address in an organization.
    fn create_ip_address(
        &self,
        actor: &Actor,
        organization: Uuid,
        new: NewIpAddress,
        idempotency: Option<Idempotency<IpAddressView>>,
    ) -> ServiceResult<Outcome<IpAddressView>>;
    /// Lists an organization's addresses.
    fn list_ip_addresses(
        &self,
        actor: &Actor,
        organization: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<IpAddressView>>;
    /// Reads an address.
    fn get_ip_address(&self, actor: &Actor, id: Uuid) -> ServiceResult<IpAddressView>;
    /// Changes an address.
    fn update_ip_address(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: IpAddressPatch,
    ) -> ServiceResult<IpAddressView>;
    /// Deletes an address (it leaves every pool).
    fn delete_ip_address(&self, actor: &Actor, id: Uuid) -> ServiceResult<()>;
}
