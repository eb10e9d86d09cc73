//! Usage, limit, overage and spend over months.

use super::{OrganizationView, ServiceResult};
use orgplane_domain::access::Actor;
use orgplane_domain::organization::Organization;
use orgplane_domain::page::SearchTerms;
use orgplane_domain::usage::{MonthlyUsage, OveragePrice, Rollup};
use uuid::Uuid;

/// One month of an organization's consumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumptionMonth {
    /// The organization's own usage, limit, overage and spend.
    pub own: MonthlyUsage,
    /// Summed over the organization and all its descendants.
    pub with_descendants: Rollup,
}

/// An organization's consumption, this month first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumption {
    /// The organization's public id.
    pub organization_uuid: Uuid,
    /// The price overage is billed at.
    pub price: OveragePrice,
    /// This month and the months before it, newest first.
    pub months: Vec<ConsumptionMonth>,
}

/// Which of the caller's sub-organizations to list.
#[derive(Debug, Clone, Default)]
pub struct FindSubOrganizations {
    /// Free-text search.
    pub search: SearchTerms,
    /// How many to skip.
    pub offset: u64,
    /// How many at most (each surface bounds it: PostGrid's 1 to 100).
    pub limit: usize,
}

/// A page of sub-organizations, each with this month's usage, and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct SubOrganizationPage {
    /// The page, by ascending key.
    pub items: Vec<(Organization, MonthlyUsage)>,
    /// How many match in all.
    pub total: u64,
}

/// Consumption.
pub trait Usage: Send + Sync {
    /// The direct sub-organizations of the caller's home organization, oldest first,
    /// each with this month's usage.
    fn sub_organizations(
        &self,
        actor: &Actor,
        query: FindSubOrganizations,
    ) -> ServiceResult<SubOrganizationPage>;
    /// This month's usage of each of these organizations, as another use case just read
    /// them for the same caller (in order; those out of reach are left out). They are not
    /// read again.
    fn current_usage(
        &self,
        actor: &Actor,
        organizations: &[OrganizationView],
    ) -> ServiceResult<Vec<(Uuid, MonthlyUsage)>>;
    /// This month and the `months - 1` before it.
    fn consumption(
        &self,
        actor: &Actor,
        organization: Uuid,
        months: usize,
    ) -> ServiceResult<Consumption>;
}
