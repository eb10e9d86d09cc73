//! Organization management.

use super::{Idempotency, Outcome};
use super::{PageRequest, ServiceResult};
use orgplane_domain::access::Actor;
use orgplane_domain::organization::{
    Customizations, NewOrganization, Organization, OrganizationPatch,
};
use orgplane_domain::page::{Page, SearchTerms, SearchText};
use uuid::Uuid;

/// An organization with the counts surfaces like to show.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationView {
    /// The organization.
    pub organization: Organization,
    /// Its parent's public id.
    pub parent_uuid: Option<Uuid>,
    /// The public id of the organization whose decision its suspension is (itself or one
    /// above it), when it is suspended.
    pub suspended_by_uuid: Option<Uuid>,
}

/// Which organizations to list.
#[derive(Debug, Clone, Default)]
pub struct ListOrganizations {
    /// Only children of this organization.
    pub parent: Option<Uuid>,
    /// Text search in name and permalink.
    pub search: Option<SearchText>,
    /// Paging.
    pub page: PageRequest,
}

/// Where to look for organizations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OrganizationScope {
    /// Everything within the caller's reach.
    #[default]
    Reach,
    /// The direct sub-organizations of this organization.
    ChildrenOf(Uuid),
}

/// Which organizations to find, for surfaces that page by offset.
#[derive(Debug, Clone, Default)]
pub struct FindOrganizations {
    /// Where to look.
    pub scope: OrganizationScope,
    /// Free-text search.
    pub search: SearchTerms,
    /// How many to skip.
    pub offset: u64,
    /// How many at most (1 to 1,000).
    pub limit: usize,
}

/// A page of organizations, with the count of all that match.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundOrganizations {
    /// The page.
    pub items: Vec<OrganizationView>,
    /// How many match in all.
    pub total: u64,
}

/// Organization management.
pub trait Organizations: Send + Sync {
    /// Creates an organization (a sub-organization if it has a parent).
    fn create_organization(
        &self,
        actor: &Actor,
        new: NewOrganization,
        idempotency: Option<Idempotency<OrganizationView>>,
    ) -> ServiceResult<Outcome<OrganizationView>>;
    /// Lists reachable organizations.
    fn list_organizations(
        &self,
        actor: &Actor,
        query: ListOrganizations,
    ) -> ServiceResult<Page<OrganizationView>>;
    /// Finds reachable organizations, paged by offset, with their total.
    fn find_organizations(
        &self,
        actor: &Actor,
        query: FindOrganizations,
    ) -> ServiceResult<FoundOrganizations>;
    /// Reads one organization.
    fn get_organization(&self, actor: &Actor, id: Uuid) -> ServiceResult<OrganizationView>;
    /// Reads one organization by its integer key (surfaces that show integer ids).
    fn get_organization_by_key(&self, actor: &Actor, id: i64) -> ServiceResult<OrganizationView>;
    /// Changes an organization.
    fn update_organization(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: OrganizationPatch,
    ) -> ServiceResult<OrganizationView>;
    /// Deletes an organization (and, with `cascade`, its descendants).
    fn delete_organization(&self, actor: &Actor, id: Uuid, cascade: bool) -> ServiceResult<()>;
    /// Lists direct sub-organizations.
    fn list_children(
        &self,
        actor: &Actor,
        id: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<OrganizationView>>;
    /// Replaces customizations.
    fn put_customizations(
        &self,
        actor: &Actor,
        id: Uuid,
        customizations: Customizations,
    ) -> ServiceResult<Customizations>;
}
