//! The transactional store and its repositories, one module per concept.
//!
//! Every use case runs its reads and writes inside one [`Store::transaction`], so a
//! multi-step write (an organization and its audit entry, a user and its keys) lands
//! whole or not at all.

mod api_key;
mod event;
mod idempotency;
mod ip_address;
mod ip_allocation;
mod ip_pool;
mod log;
mod organization;
mod overview;
mod security;
mod server;
mod session;
mod statistics;
mod sub_organization;
mod usage;
mod user;

pub use api_key::*;
pub use event::*;
pub use idempotency::*;
pub use ip_address::*;
pub use ip_allocation::*;
pub use ip_pool::*;
pub use log::*;
pub use organization::*;
pub use overview::*;
pub use security::*;
pub use server::*;
pub use session::*;
pub use statistics::*;
pub use sub_organization::*;
pub use usage::*;
pub use user::*;

/// What can go wrong in a store, independent of the technology behind it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken.
    #[error("{0:?} already exists")]
    Conflict(Unique),
    /// The store cannot be reached right now (retry later).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupted data.
    #[error("store failure: {0}")]
    Internal(String),
}

/// The uniqueness rules a store enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// Permalinks among live organizations.
    Permalink,
    /// E-mail addresses (case-insensitively) among live users.
    Email,
    /// Hashes of keys and tokens.
    SecretHash,
    /// Server names within an organization (case-insensitively).
    ServerName,
    /// Server permalinks within an organization.
    ServerPermalink,
    /// Pool names within an organization (case-insensitively).
    PoolName,
    /// One default pool per organization.
    DefaultPool,
    /// IPv4 addresses among live addresses.
    Ipv4,
    /// IPv6 addresses among live addresses.
    Ipv6,
    /// Any other uniqueness rule.
    Other,
}

/// A SHA-256 digest of a key or token.
pub type SecretHash = [u8; 32];

/// A transactional store.
pub trait Store: Send + Sync + 'static {
    /// Runs `work` in one transaction: committed if it returns `Ok`, rolled back otherwise.
    fn transaction<T, E>(
        &self,
        work: impl FnOnce(&mut dyn Repositories) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>;

    /// Runs `work`, which only reads, without a transaction: every statement sees what is
    /// committed when it runs (no `BEGIN`/`COMMIT` round trips). For reads of one
    /// statement, or of several whose results stay meaningful if a change commits
    /// between them (a vanished object then reads as missing).
    fn read<T, E>(&self, work: impl FnOnce(&mut dyn Repositories) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>;

    /// Like [`Store::read`], for reads that may lag behind the latest writes by the
    /// replication delay (reports, lists): served by a read replica when there is one and
    /// it answers, else exactly like `read`. `work` may run twice: a read cut short by
    /// the replica's loss runs again on the primary.
    fn read_stale<T, E>(
        &self,
        work: impl FnMut(&mut dyn Repositories) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.read(work)
    }

    /// Whether the store answers.
    fn ping(&self) -> Result<(), StoreError>;

    /// How its connection pool is doing, if it has one.
    fn pool_stats(&self) -> Option<PoolStats> {
        None
    }
}

/// The state of a store's connection pool, for monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PoolStats {
    /// Connections open.
    pub connections: u32,
    /// Of those, idle.
    pub idle: u32,
    /// Most connections it opens.
    pub max_size: u32,
    /// Checkouts so far.
    pub checkouts: u64,
    /// Checkouts that gave up waiting (each became a 503).
    pub timeouts: u64,
    /// Seconds spent waiting for a connection, all checkouts together.
    pub wait_seconds: f64,
    /// Reads served by the read replica.
    pub replica_reads: u64,
    /// Reads that would have gone to the replica but went to the primary (no answer).
    pub replica_fallbacks: u64,
}

/// Every repository, as seen inside one transaction.
pub trait Repositories:
    OrganizationRepository
    + UserRepository
    + ApiKeyRepository
    + SessionRepository
    + AuditLogRepository
    + AccessLogRepository
    + ServerRepository
    + IpPoolRepository
    + IpAddressRepository
    + IpAllocationRepository
    + StatisticsRepository
    + OverviewRepository
    + SubOrganizationRepository
    + EventRepository
    + UsageRepository
    + IdempotencyRepository
    + SecurityRepository
{
}

impl<T> Repositories for T where
    T: OrganizationRepository
        + UserRepository
        + ApiKeyRepository
        + SessionRepository
        + AuditLogRepository
        + AccessLogRepository
        + ServerRepository
        + IpPoolRepository
        + IpAddressRepository
        + IpAllocationRepository
        + StatisticsRepository
        + OverviewRepository
        + SubOrganizationRepository
        + EventRepository
        + UsageRepository
        + IdempotencyRepository
        + SecurityRepository
{
}

/// The result type of every repository method.
pub type StoreResult<T> = Result<T, StoreError>;

/// How a row read for a change is locked until the transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Others may read and share-lock it, not change it (e.g. a parent while a child is
    /// added under it).
    Share,
    /// Nobody else may change or share-lock it (the row itself is being changed). Rows
    /// that merely reference it (foreign keys) may still be written.
    Update,
}
