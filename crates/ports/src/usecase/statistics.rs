//! Live statistics and IP allocation (seed 000's two reports).

use super::ServiceResult;
use orgplane_domain::access::Actor;
use orgplane_domain::ip_allocation::IpAllocation;
use orgplane_domain::statistics::Statistics;
use uuid::Uuid;

/// Reports on an organization's sending.
pub trait Reports: Send + Sync {
    /// Live figures of an organization's own servers and addresses.
    fn statistics(&self, actor: &Actor, organization: Uuid) -> ServiceResult<Statistics>;
    /// The organization's addresses → pools → servers, with all-time volumes.
    fn ip_allocation(&self, actor: &Actor, organization: Uuid) -> ServiceResult<IpAllocation>;
}
