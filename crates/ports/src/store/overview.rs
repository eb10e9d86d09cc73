//! The overview's reads (seed 002): what each organization of a page holds.

use super::{ServerRepository, StoreResult, UserRepository};
use orgplane_domain::organization::OrganizationId;

/// How many live users and servers one organization has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberCounts {
    /// The organization.
    pub organization: OrganizationId,
    /// Live users whose home it is.
    pub users: u64,
    /// Its live servers.
    pub servers: u64,
}

/// What the overview reads.
pub trait OverviewRepository: UserRepository + ServerRepository {
    /// The counts of each of `organizations`, in their order, zeros included. By default
    /// read piece by piece ([`member_counts_by_parts`]); a store may read them at once,
    /// and must then read exactly the same.
    fn member_counts(
        &mut self,
        organizations: &[OrganizationId],
    ) -> StoreResult<Vec<MemberCounts>> {
        member_counts_by_parts(self, organizations)
    }
}

/// The counts of each of `organizations`, read piece by piece: users, then servers.
pub fn member_counts_by_parts<R>(
    r: &mut R,
    organizations: &[OrganizationId],
) -> StoreResult<Vec<MemberCounts>>
where
    R: UserRepository + ServerRepository + ?Sized,
{
    let users = r.count_users_by_organization(organizations)?;
    let servers = r.count_servers(organizations)?;
    let of = |counts: &[(OrganizationId, u64)], id| {
        counts.iter().find(|(o, _)| *o == id).map_or(0, |(_, n)| *n)
    };
    Ok(organizations
        .iter()
        .map(|&organization| MemberCounts {
            organization,
            users: of(&users, organization),
            servers: of(&servers, organization),
        })
        .collect())
}
