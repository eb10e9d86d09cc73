//! IP pools: named groups of IP addresses that servers send through.
//!
//! A pool belongs to one organization; that organization's servers and those of its
//! descendants may use it. At most one pool per organization is its `default`. One IP
//! address may sit in several pools; a pool may hold the addresses of its own
//! organization or of an ancestor (what a pool holds is visible to everyone who may use
//! the pool, so an address never reaches beyond its owner's subtree).

use crate::organization::{Organization, OrganizationId};
use crate::text::{Text, TextError};
use chrono::{DateTime, Utc};
use std::fmt;
use uuid::Uuid;

/// The integer key of an IP pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpPoolId(pub i64);

/// A pool's display name: 1 to 255 characters, single line; unique within its
/// organization, case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolName(Text<255>);

impl PoolName {
    /// Parses a name, trimming surrounding whitespace.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        Text::parse(raw).map(Self)
    }

    /// The name itself.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for PoolName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IP pool as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPool {
    /// Integer key.
    pub id: IpPoolId,
    /// Public identifier.
    pub uuid: Uuid,
    /// The organization that owns it.
    pub organization_id: OrganizationId,
    /// Display name.
    pub name: PoolName,
    /// Whether it is its organization's default pool.
    pub default: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl IpPool {
    /// Whether servers of `org` may send through this pool: it belongs to `org` or to one
    /// of its ancestors.
    ///
    /// ```
    /// # use orgplane_domain::organization::fixtures::organization;
    /// # use orgplane_domain::ip_pool::fixtures::pool;
    /// let parent = organization(1, None);
    /// let child = organization(2, Some(&parent));
    /// assert!(pool(10, &parent).usable_by(&child));
    /// assert!(!pool(11, &child).usable_by(&parent));
    /// ```
    pub fn usable_by(&self, org: &Organization) -> bool {
        org.is_within(self.organization_id)
    }
}

/// A validated request to create a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIpPool {
    /// Display name.
    pub name: PoolName,
    /// Make it the organization's default (the previous default stops being one).
    pub default: bool,
}

/// A validated change to a pool. `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpPoolPatch {
    /// New name.
    pub name: Option<PoolName>,
    /// `true` makes it the default (clearing the previous one); `false` leaves the
    /// organization without a default.
    pub default: Option<bool>,
}

/// The default pool a new server of `org` gets: `org`'s own default, else the nearest
/// ancestor's. `defaults` are the default pools of the organizations on `org`'s path.
///
/// ```
/// # use orgplane_domain::organization::fixtures::organization;
/// # use orgplane_domain::ip_pool::{fixtures::pool, nearest_default};
/// let root = organization(1, None);
/// let mid = organization(2, Some(&root));
/// let leaf = organization(3, Some(&mid));
/// let defaults = [pool(10, &root), pool(20, &mid)];
/// assert_eq!(nearest_default(&leaf, &defaults).map(|p| p.id.0), Some(20));
/// assert_eq!(nearest_default(&root, &defaults).map(|p| p.id.0), Some(10));
/// ```
pub fn nearest_default<'a>(org: &Organization, defaults: &'a [IpPool]) -> Option<&'a IpPool> {
    org.path.iter().rev().find_map(|holder| {
        defaults
            .iter()
            .find(|p| p.default && p.organization_id == *holder)
    })
}

/// Test and doctest helpers.
#[doc(hidden)]
pub mod fixtures {
    use super::*;

    /// A default pool with the given id owned by `org`.
    pub fn pool(id: i64, org: &Organization) -> IpPool {
        IpPool {
            id: IpPoolId(id),
            uuid: Uuid::from_u128(id as u128),
            organization_id: org.id,
            name: PoolName::parse(&format!("Pool {id}")).expect("valid name"),
            default: true,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::pool;
    use super::*;
    use crate::organization::fixtures::organization;

    #[test]
    fn a_pool_serves_its_owner_and_everything_below_never_beside() {
        let root = organization(1, None);
        let a = organization(2, Some(&root));
        let b = organization(3, Some(&root));
        let a_pool = pool(10, &a);
        assert!(a_pool.usable_by(&a));
        assert!(!a_pool.usable_by(&b), "a sibling's pool is out of reach");
        assert!(
            !a_pool.usable_by(&root),
            "a child's pool is not the parent's"
        );
        assert!(pool(11, &root).usable_by(&b));
    }

    #[test]
    fn without_a_default_anywhere_on_the_path_there_is_none() {
        let root = organization(1, None);
        let leaf = organization(2, Some(&root));
        let mut not_default = pool(10, &root);
        not_default.default = false;
        assert_eq!(nearest_default(&leaf, &[not_default]), None);
        let sibling = organization(3, Some(&root));
        assert_eq!(nearest_default(&leaf, &[pool(11, &sibling)]), None);
    }
}
