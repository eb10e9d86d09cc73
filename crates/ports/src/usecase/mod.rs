//! Inbound ports: what every API surface may ask of the core, one module per concept.
//!
//! The surfaces parse their wire formats into the validated commands here, call a use
//! case with the authenticated [`Actor`](orgplane_domain::access::Actor), and map
//! [`ServiceError`] to their own error shape in one place each.

mod api_key;
mod auth;
mod event;
mod idempotency;
mod ip_address;
mod ip_pool;
mod log;
mod onboarding;
mod organization;
mod overview;
mod server;
mod statistics;
mod usage;
mod user;

pub use api_key::*;
pub use auth::*;
pub use event::*;
pub use idempotency::*;
pub use ip_address::*;
pub use ip_pool::*;
pub use log::*;
pub use onboarding::*;
pub use organization::*;
pub use overview::*;
pub use server::*;
pub use statistics::*;
pub use usage::*;
pub use user::*;

use crate::store::StoreError;
use orgplane_domain::access::Denied;
use orgplane_domain::page::{Cursor, PageLimit};

/// A field that failed validation, by its wire name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field (its name on the wire).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl ToString) -> Self {
        Self {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// Why a request conflicts with the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// The organization has sub-organizations and the request did not ask to cascade.
    #[error(
        "the organization has {0} sub-organization(s); delete them first or pass cascade=true"
    )]
    HasChildren(u64),
    /// Deleting one's own home organization would lock the caller out.
    #[error("you cannot delete your own home organization")]
    OwnHomeOrganization,
    /// The platform organization is never deleted.
    #[error("the platform organization cannot be deleted")]
    PlatformOrganization,
    /// Every derivable permalink is taken.
    #[error("no free permalink could be derived from this name; choose another name")]
    PermalinkTaken,
    /// Another user has this e-mail address.
    #[error("a user with this e-mail address already exists")]
    EmailTaken,
    /// Deleting oneself would lock the caller out.
    #[error("you cannot delete yourself")]
    DeleteSelf,
    /// The object changed while this request was being prepared; retry.
    #[error("the object changed while this request was in flight; retry")]
    ChangedConcurrently,
    /// Another server of the organization has this name.
    #[error("a server with this name already exists in the organization")]
    ServerNameTaken,
    /// Another pool of the organization has this name.
    #[error("an IP pool with this name already exists in the organization")]
    PoolNameTaken,
    /// Another address has this IPv4 address.
    #[error("an IP address with this IPv4 address already exists")]
    Ipv4Taken,
    /// Another address has this IPv6 address.
    #[error("an IP address with this IPv6 address already exists")]
    Ipv6Taken,
    /// Servers still send through the pool.
    #[error("the IP pool is still used by: {}; move them to another pool first", .0.join(", "))]
    PoolInUse(Vec<String>),
    /// The object is suspended by an organization above it, not on its own.
    #[error("it is suspended through an organization above it; lift that suspension instead")]
    SuspendedFromAbove,
    /// The idempotency key was used with a different request.
    #[error("this Idempotency-Key was used with a different request")]
    IdempotencyKeyReused,
}

/// Why a use case failed. Each surface maps this to its error shape in one place.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    /// No credential, or one that does not authenticate.
    #[error("not authenticated")]
    Unauthenticated,
    /// The object does not exist or is out of the caller's reach (indistinguishable).
    #[error("not found")]
    NotFound,
    /// Within reach, but not allowed.
    #[error("{0}")]
    Forbidden(Denied),
    /// Well-formed but invalid input.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The request conflicts with the current state.
    #[error(transparent)]
    Conflict(Conflict),
    /// Too many attempts: retry after this many seconds.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    Throttled {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// A dependency (the database) is down.
    #[error("service unavailable")]
    Unavailable,
    /// A bug.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self::Unavailable,
            StoreError::Conflict(crate::store::Unique::Email) => {
                Self::Conflict(Conflict::EmailTaken)
            }
            StoreError::Conflict(crate::store::Unique::Permalink) => {
                Self::Conflict(Conflict::PermalinkTaken)
            }
            StoreError::Conflict(
                crate::store::Unique::ServerName | crate::store::Unique::ServerPermalink,
            ) => Self::Conflict(Conflict::ServerNameTaken),
            StoreError::Conflict(crate::store::Unique::PoolName) => {
                Self::Conflict(Conflict::PoolNameTaken)
            }
            StoreError::Conflict(crate::store::Unique::Ipv4) => Self::Conflict(Conflict::Ipv4Taken),
            StoreError::Conflict(crate::store::Unique::Ipv6) => Self::Conflict(Conflict::Ipv6Taken),
            // Two requests made a default pool at once: the loser retries.
            StoreError::Conflict(crate::store::Unique::DefaultPool) => {
                Self::Conflict(Conflict::ChangedConcurrently)
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<Denied> for ServiceError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::OutOfReach => Self::NotFound,
            other => Self::Forbidden(other),
        }
    }
}

/// The result of every use case.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// A page request.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest {
    /// Page size.
    pub limit: PageLimit,
    /// Where to continue.
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// How many items to fetch: one more than the page holds, to learn whether a next
    /// page exists (see [`Page::from_overfetch`](orgplane_domain::page::Page::from_overfetch)).
    pub fn fetch(&self) -> usize {
        self.limit.get() as usize + 1
    }
}

/// Readiness and the state of what the service depends on.
pub trait Health: Send + Sync {
    /// Whether the service can do its work (the database answers).
    fn ready(&self) -> ServiceResult<()>;
    /// The database connection pool's state, for monitoring.
    fn pool_stats(&self) -> Option<crate::store::PoolStats>;
}

/// Every use case, as one object the surfaces hold.
pub trait UseCases:
    Authentication
    + Organizations
    + Users
    + ApiKeys
    + Logs
    + Servers
    + IpPools
    + IpAddresses
    + Events
    + Reports
    + Usage
    + Onboarding
    + Overview
    + Health
{
}

impl<T> UseCases for T where
    T: Authentication
        + Organizations
        + Users
        + ApiKeys
        + Logs
        + Servers
        + IpPools
        + IpAddresses
        + Events
        + Reports
        + Usage
        + Onboarding
        + Overview
        + Health
{
}
