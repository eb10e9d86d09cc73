//! The sub-organization list's read (PostGrid): a page of an organization's children with
//! this month's usage of each.

use super::{
    OrganizationFilter, OrganizationRepository, StoreResult, UsageRecord, UsageRepository,
};
use orgplane_domain::organization::{Organization, OrganizationId};
use orgplane_domain::usage::Month;

/// A page of an organization's live children, by offset.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildrenPage {
    /// The organization.
    pub parent: Organization,
    /// How many of its live children match in all.
    pub total: u64,
    /// The page, by ascending key.
    pub children: Vec<Organization>,
    /// The page's records of the month, by ascending organization (those that sent
    /// nothing are missing).
    pub usage: Vec<UsageRecord>,
}

/// What the sub-organization list reads.
pub trait SubOrganizationRepository: OrganizationRepository + UsageRepository {
    /// The live children of live `parent` whose searchable text holds every one of
    /// `terms`, skipping `offset`, at most `limit`, with their records of `month`; `None`
    /// if `parent` is not live. By default read piece by piece
    /// ([`children_page_by_parts`]); a store may read it at once, and must then read
    /// exactly the same.
    fn children_page(
        &mut self,
        parent: OrganizationId,
        terms: &[String],
        offset: u64,
        limit: usize,
        month: Month,
    ) -> StoreResult<Option<ChildrenPage>> {
        children_page_by_parts(self, parent, terms, offset, limit, month)
    }
}

/// A page of an organization's children and their usage, read piece by piece: the
/// parent, the count, the page, the month's records.
pub fn children_page_by_parts<R>(
    r: &mut R,
    parent: OrganizationId,
    terms: &[String],
    offset: u64,
    limit: usize,
    month: Month,
) -> StoreResult<Option<ChildrenPage>>
where
    R: OrganizationRepository + UsageRepository + ?Sized,
{
    let Some(parent) = r.organization(parent)? else {
        return Ok(None);
    };
    let filter = OrganizationFilter {
        within: None,
        parent: Some(parent.id),
        terms: terms.to_vec(),
    };
    let total = r.count_organizations(&filter)?;
    let children = r.organizations_at(&filter, offset, limit)?;
    let ids: Vec<OrganizationId> = children.iter().map(|c| c.id).collect();
    let mut usage = r.usage_in_month(&ids, month)?;
    usage.sort_by_key(|u| u.organization);
    Ok(Some(ChildrenPage {
        parent,
        total,
        children,
        usage,
    }))
}
