//! Organizations.

use super::{Lock, StoreResult};
use chrono::{DateTime, Utc};
use orgplane_domain::organization::{
    Customizations, MonthlyLimit, Organization, OrganizationId, OrganizationName, Permalink,
    Profile,
};
use orgplane_domain::page::Cursor;
use orgplane_domain::suspension::Suspension;
use uuid::Uuid;

/// An organization to insert.
#[derive(Debug, Clone)]
pub struct InsertOrganization {
    /// Public id.
    pub uuid: Uuid,
    /// Name.
    pub name: OrganizationName,
    /// Permalink (unique among live organizations).
    pub permalink: Permalink,
    /// Descriptive fields.
    pub profile: Profile,
    /// The parent, if any.
    pub parent: Option<OrganizationId>,
    /// The parent's public id.
    pub parent_uuid: Option<Uuid>,
    /// The parent's path (empty for a top-level organization); the store appends the new id.
    pub parent_path: Vec<OrganizationId>,
    /// Monthly allowance.
    pub limit: Option<MonthlyLimit>,
    /// Client settings.
    pub customizations: Customizations,
    /// The suspension it is born with (its parent's, inherited).
    pub suspension: Option<Suspension>,
    /// Creation time.
    pub now: DateTime<Utc>,
}

impl InsertOrganization {
    /// The organization this insert makes, once the store has given it `id`.
    pub fn into_organization(self, id: OrganizationId) -> Organization {
        let mut path = self.parent_path;
        path.push(id);
        Organization {
            id,
            uuid: self.uuid,
            name: self.name,
            permalink: self.permalink,
            profile: self.profile,
            parent_id: self.parent,
            parent_uuid: self.parent_uuid,
            path,
            limit: self.limit,
            customizations: self.customizations,
            suspension: self.suspension,
            created_at: self.now,
            updated_at: self.now,
        }
    }
}

/// Which organizations to list.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    /// Only this organization and its descendants.
    pub within: Option<OrganizationId>,
    /// Only direct children of this organization.
    pub parent: Option<OrganizationId>,
    /// Only organizations whose searchable text (name, permalink, domain, city, country,
    /// country code) holds every one of these lower-cased terms.
    pub terms: Vec<String>,
}

/// Organizations.
pub trait OrganizationRepository {
    /// Inserts an organization.
    fn insert_organization(&mut self, new: InsertOrganization) -> StoreResult<Organization>;
    /// A live organization by integer key.
    fn organization(&mut self, id: OrganizationId) -> StoreResult<Option<Organization>>;
    /// Live organizations by integer key (those that exist), by ascending key.
    fn organizations_by_ids(&mut self, ids: &[OrganizationId]) -> StoreResult<Vec<Organization>>;
    /// A live organization by public id.
    fn organization_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<Organization>>;
    /// A live organization, locked until the transaction ends, as last committed. Use it
    /// for every read that a change depends on, so concurrent changes cannot be lost.
    fn lock_organization(
        &mut self,
        id: OrganizationId,
        lock: Lock,
    ) -> StoreResult<Option<Organization>>;
    /// Share-locks every organization of `path` (root first); `false` if one is gone. A
    /// change below an organization takes this, so deleting any ancestor waits for it.
    fn lock_path(&mut self, path: &[OrganizationId]) -> StoreResult<bool>;
    /// Whether a live organization has this permalink.
    fn permalink_taken(&mut self, permalink: &Permalink) -> StoreResult<bool>;
    /// Live organizations matching `filter`, by ascending key after `after`, at most `limit`.
    fn list_organizations(
        &mut self,
        filter: &OrganizationFilter,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<Organization>>;
    /// How many live organizations match `filter`.
    fn count_organizations(&mut self, filter: &OrganizationFilter) -> StoreResult<u64>;
    /// Live organizations matching `filter`, by ascending key, skipping `offset`, at most
    /// `limit` (for surfaces that page by offset).
    fn organizations_at(
        &mut self,
        filter: &OrganizationFilter,
        offset: u64,
        limit: usize,
    ) -> StoreResult<Vec<Organization>>;
    /// Saves the mutable fields of an organization.
    fn update_organization(&mut self, org: &Organization) -> StoreResult<()>;
    /// How many live direct children an organization has.
    fn count_children(&mut self, id: OrganizationId) -> StoreResult<u64>;
    /// An organization and all its descendants, locked ([`Lock::Update`]) root first, in
    /// root-first order (every parent before its children).
    fn lock_subtree(&mut self, root: OrganizationId) -> StoreResult<Vec<Organization>>;
    /// Sets the effective suspension of several organizations.
    fn set_organization_suspensions(
        &mut self,
        changes: &[(OrganizationId, Option<Suspension>)],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Soft-deletes an organization and all its descendants, with their users, keys,
    /// sessions, servers, IP pools and IP addresses. Returns how many organizations were
    /// deleted. Descendants being added concurrently (under a [`Lock::Share`] of their
    /// parent) are deleted too. Live users whose current organization is deleted get
    /// their home organization back as the current one.
    fn delete_organization_subtree(
        &mut self,
        id: OrganizationId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}
