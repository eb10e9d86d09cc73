//! Live statistics and IP allocation (seed 000's two reports).

use super::ServiceResult;
use orgplane_domain::access::Actor;
use orgplane_domain::ip_allocation::IpAllocation;
use orgplane_domain::statistics::Statistics;
use orgplane_domain::tree::TreeNode;
use uuid::Uuid;

/// The most organizations one tree read returns.
pub const MAX_TREE_ORGANIZATIONS: usize = 5_000;

/// An organization and what lies below it, with live figures.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationTree {
    /// Depth first, the root first.
    pub organizations: Vec<TreeNode>,
    /// Whether organizations were left out to stay within the limit (the newest ones:
    /// an organization is never shown without its parent).
    pub truncated: bool,
}

/// Reports on an organization's sending.
pub trait Reports: Send + Sync {
    /// Live figures of an organization's own servers and addresses.
    fn statistics(&self, actor: &Actor, organization: Uuid) -> ServiceResult<Statistics>;
    /// The organization's addresses → pools → servers, with all-time volumes.
    fn ip_allocation(&self, actor: &Actor, organization: Uuid) -> ServiceResult<IpAllocation>;
    /// The organization (`None`: everything the caller reaches, which for a platform
    /// administrator is every top-level organization's tree), its descendants (at most
    /// `limit` in all, 1 to [`MAX_TREE_ORGANIZATIONS`]) and each one's live figures and
    /// this month's usage.
    fn tree(
        &self,
        actor: &Actor,
        organization: Option<Uuid>,
        limit: usize,
    ) -> ServiceResult<OrganizationTree>;
}
