//! An overview of what a caller reaches: per-organization counts and the security score
//! (seed 002).

use super::{OrganizationView, ServiceResult};
use orgplane_domain::access::Actor;
use orgplane_domain::security::SecurityFacts;
use uuid::Uuid;

/// What an organization holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrganizationCounts {
    /// The organization.
    pub organization: Uuid,
    /// Users whose home it is.
    pub users: u64,
    /// Its mail servers.
    pub servers: u64,
}

/// The security of everything a caller reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecurityOverview {
    /// Login sessions live now.
    pub active_sessions: u64,
    /// Mail servers.
    pub servers: u64,
    /// What the score is computed from.
    pub facts: SecurityFacts,
}

/// The overview.
pub trait Overview: Send + Sync {
    /// Users and servers of each of these organizations, as another use case just read
    /// them for the same caller (in order; those out of reach are left out). They are not
    /// read again.
    fn organization_counts(
        &self,
        actor: &Actor,
        organizations: &[OrganizationView],
    ) -> ServiceResult<Vec<OrganizationCounts>>;
    /// Sessions, servers and security facts over everything the caller reaches.
    fn security_overview(&self, actor: &Actor) -> ServiceResult<SecurityOverview>;
}
