//! Organization management.

use super::{PageRequest, ServiceResult};
use orgplane_domain::access::Actor;
use orgplane_domain::organization::{
    Customizations, NewOrganization, Organization, OrganizationPatch,
};
use orgplane_domain::page::{Page, SearchText};
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

/// Organization management.
pub trait Organizations: Send + Sync {
    /// Creates an organization (a sub-organization if it has a parent).
    fn create_organization(
        &self,
        actor: &Actor,
        new: NewOrganization,
    ) -> ServiceResult<OrganizationView>;
    /// Lists reachable organizations.
    fn list_organizations(
        &self,
        actor: &Actor,
        query: ListOrganizations,
    ) -> ServiceResult<Page<OrganizationView>>;
    /// Reads one organization.
    fn get_organization(&self, actor: &Actor, id: Uuid) -> ServiceResult<OrganizationView>;
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
