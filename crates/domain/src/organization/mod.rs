//! Organizations and sub-organizations.
//!
//! A sub-organization is an organization with a parent. Parents are fixed at creation, so
//! the hierarchy can never form a cycle; its depth is bounded by [`MAX_DEPTH`].

mod country;
mod fields;

pub use crate::slug::PermalinkError;
pub use country::{CountryCode, CountryCodeError};
pub use fields::{
    Customizations, CustomizationsError, DomainName, DomainNameError, MonthlyLimit,
    MonthlyLimitError, OrganizationName, Permalink, PhoneNumber, PhoneNumberError, TimeZone,
    TimeZoneError, CUSTOMIZATIONS_MAX_BYTES, RESERVED_PERMALINKS,
};

use crate::suspension::Suspension;
use crate::text::Text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The deepest an organization may sit: a top-level organization has depth 1, its
/// sub-organizations depth 2, and so on. Deep enough for reseller → customer → team → ...,
/// shallow enough that reach checks and subtree queries stay cheap.
pub const MAX_DEPTH: usize = 8;

/// The integer key of an organization (its database `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrganizationId(pub i64);

/// Free-text address line.
pub type Address = Text<255>;
/// Free-text city name.
pub type City = Text<100>;
/// Free-text postal code.
pub type Zip = Text<20>;
/// Free-text country name (the code lives in [`CountryCode`]).
pub type CountryName = Text<100>;

/// The descriptive fields of an organization, all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Main mail domain, e.g. `acme.com`.
    pub domain: Option<DomainName>,
    /// Street address.
    pub address: Option<Address>,
    /// City.
    pub city: Option<City>,
    /// Postal code.
    pub zip: Option<Zip>,
    /// Country name.
    pub country: Option<CountryName>,
    /// ISO 3166-1 alpha-2 country code.
    pub country_code: Option<CountryCode>,
    /// Phone number.
    pub phone: Option<PhoneNumber>,
    /// IANA time zone name.
    pub time_zone: Option<TimeZone>,
}

/// An organization as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    /// Integer key.
    pub id: OrganizationId,
    /// Public identifier.
    pub uuid: Uuid,
    /// Display name.
    pub name: OrganizationName,
    /// Unique URL-safe handle derived from the name.
    pub permalink: Permalink,
    /// Descriptive fields.
    pub profile: Profile,
    /// The parent organization, if this is a sub-organization.
    pub parent_id: Option<OrganizationId>,
    /// The parent's public id (parents never change, so this never goes stale).
    pub parent_uuid: Option<Uuid>,
    /// Ancestors from the root down to and including this organization.
    pub path: Vec<OrganizationId>,
    /// Monthly mail allowance; `None` means unlimited.
    pub limit: Option<MonthlyLimit>,
    /// Client-defined settings (a JSON object).
    pub customizations: Customizations,
    /// Its effective suspension (its own, or inherited from an organization above).
    pub suspension: Option<Suspension>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Organization {
    /// Depth in the hierarchy (1 for a top-level organization).
    pub fn depth(&self) -> usize {
        self.path.len()
    }

    /// Whether `ancestor` is this organization or one of its ancestors.
    pub fn is_within(&self, ancestor: OrganizationId) -> bool {
        self.path.contains(&ancestor)
    }

    /// Whether this organization may have one more level below it. (The child's path is
    /// this path plus the child's own id, which the store assigns.)
    ///
    /// ```
    /// # use orgplane_domain::organization::*;
    /// let parent = orgplane_domain::organization::fixtures::organization(1, None);
    /// assert_eq!(parent.check_can_have_children(), Ok(()));
    /// ```
    pub fn check_can_have_children(&self) -> Result<(), HierarchyError> {
        if self.depth() >= MAX_DEPTH {
            return Err(HierarchyError::TooDeep { max: MAX_DEPTH });
        }
        Ok(())
    }

    /// Applies a validated change and reports which fields really changed.
    pub fn apply(&mut self, patch: OrganizationPatch) -> Vec<&'static str> {
        let mut changed = Vec::new();
        macro_rules! set {
            ($field:expr, $value:expr, $name:literal) => {
                if let Some(value) = $value {
                    if $field != value {
                        $field = value;
                        changed.push($name);
                    }
                }
            };
        }
        set!(self.name, patch.name, "name");
        set!(self.profile.domain, patch.domain, "domain");
        set!(self.profile.address, patch.address, "address");
        set!(self.profile.city, patch.city, "city");
        set!(self.profile.zip, patch.zip, "zip");
        set!(self.profile.country, patch.country, "country");
        set!(
            self.profile.country_code,
            patch.country_code,
            "country_code"
        );
        set!(self.profile.phone, patch.phone, "phone");
        set!(self.profile.time_zone, patch.time_zone, "time_zone");
        set!(self.limit, patch.limit, "limit");
        set!(self.customizations, patch.customizations, "customizations");
        changed
    }
}

/// Why an organization cannot be placed where it was asked to go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HierarchyError {
    /// The new organization would sit deeper than [`MAX_DEPTH`].
    #[error("organizations may be nested at most {max} levels deep")]
    TooDeep {
        /// The limit.
        max: usize,
    },
}

/// A validated request to create an organization.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrganization {
    /// Display name.
    pub name: OrganizationName,
    /// Parent, by public id.
    pub parent: Option<Uuid>,
    /// Descriptive fields.
    pub profile: Profile,
    /// Monthly allowance.
    pub limit: Option<MonthlyLimit>,
    /// Client settings.
    pub customizations: Customizations,
}

/// A validated change to an organization. `None` leaves a field alone; `Some(None)`
/// clears a nullable field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrganizationPatch {
    /// New name.
    pub name: Option<OrganizationName>,
    /// New domain.
    pub domain: Option<Option<DomainName>>,
    /// New address.
    pub address: Option<Option<Address>>,
    /// New city.
    pub city: Option<Option<City>>,
    /// New postal code.
    pub zip: Option<Option<Zip>>,
    /// New country name.
    pub country: Option<Option<CountryName>>,
    /// New country code.
    pub country_code: Option<Option<CountryCode>>,
    /// New phone.
    pub phone: Option<Option<PhoneNumber>>,
    /// New time zone.
    pub time_zone: Option<Option<TimeZone>>,
    /// New monthly allowance.
    pub limit: Option<Option<MonthlyLimit>>,
    /// New customizations (replaces the whole object).
    pub customizations: Option<Customizations>,
    /// Suspend (`true`) or lift the organization's own suspension (`false`). Not applied
    /// by [`Organization::apply`]: it reaches the whole subtree, see
    /// [`crate::suspension`].
    pub suspended: Option<bool>,
}

/// Test and doctest helpers: ready-made organizations.
#[doc(hidden)]
pub mod fixtures {
    use super::*;

    /// An organization with the given id under the given parent.
    pub fn organization(id: i64, parent: Option<&Organization>) -> Organization {
        let mut path = parent.map(|p| p.path.clone()).unwrap_or_default();
        path.push(OrganizationId(id));
        let name = OrganizationName::parse(&format!("Org {id}")).expect("valid name");
        Organization {
            id: OrganizationId(id),
            uuid: Uuid::from_u128(id as u128),
            permalink: Permalink::derive_from(&name).expect("valid permalink"),
            name,
            profile: Profile::default(),
            parent_id: parent.map(|p| p.id),
            parent_uuid: parent.map(|p| p.uuid),
            path,
            limit: None,
            customizations: Customizations::empty(),
            suspension: None,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::organization;
    use super::*;

    #[test]
    fn a_child_is_within_its_ancestors_but_not_its_siblings() {
        let root = organization(1, None);
        let child = organization(2, Some(&root));
        let sibling = organization(3, Some(&root));
        let grandchild = organization(4, Some(&child));

        assert!(grandchild.is_within(root.id));
        assert!(grandchild.is_within(child.id));
        assert!(!grandchild.is_within(sibling.id));
        assert!(!root.is_within(child.id));
    }

    #[test]
    fn nesting_stops_at_the_depth_limit() {
        let mut org = organization(1, None);
        for id in 2..=MAX_DEPTH as i64 {
            org = organization(id, Some(&org));
        }
        assert_eq!(org.depth(), MAX_DEPTH);
        assert_eq!(
            org.check_can_have_children(),
            Err(HierarchyError::TooDeep { max: MAX_DEPTH })
        );
    }

    #[test]
    fn applying_a_patch_reports_only_real_changes() {
        let mut org = organization(1, None);
        let patch = OrganizationPatch {
            name: Some(org.name.clone()),
            city: Some(Some(City::parse("Berlin").unwrap())),
            ..Default::default()
        };
        assert_eq!(org.apply(patch), vec!["city"]);
        assert_eq!(org.profile.city.as_ref().unwrap().as_str(), "Berlin");
    }
}
