//! # orgplane-memory-adapter
//!
//! An in-memory [`Store`]: the reference implementation of the repository contract and
//! the fast backend for use-case tests. A transaction works on a copy of the state and
//! swaps it in on success, so a failed transaction leaves nothing behind.

mod api_key;
mod event;
mod idempotency;
mod ip_address;
mod ip_pool;
mod log;
mod organization;
mod security;
mod server;
mod usage;
mod user;

use chrono::{DateTime, Utc};
use orgplane_domain::api_key::ApiKey;
use orgplane_domain::audit::{AccessLogEntry, NewAuditEntry};
use orgplane_domain::ip_address::{IpAddress, IpAddressId};
use orgplane_domain::ip_pool::{IpPool, IpPoolId};
use orgplane_domain::organization::{MonthlyLimit, Organization, OrganizationId};
use orgplane_domain::page::Cursor;
use orgplane_domain::server::{Server, ServerId};
use orgplane_domain::usage::{Month, Threshold};
use orgplane_domain::user::{User, UserId};
use orgplane_ports::store::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// An in-memory store. Clones share the same data.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    pub(crate) next_id: i64,
    pub(crate) organizations: Vec<(Organization, Option<DateTime<Utc>>)>,
    pub(crate) users: Vec<(User, Option<DateTime<Utc>>)>,
    pub(crate) api_keys: Vec<(ApiKey, SecretHash)>,
    pub(crate) sessions: Vec<(Session, SecretHash)>,
    pub(crate) audit: Vec<(NewAuditEntry, i64, DateTime<Utc>)>,
    pub(crate) access: Vec<AccessLogEntry>,
    pub(crate) servers: Vec<(Server, Option<DateTime<Utc>>)>,
    pub(crate) pools: Vec<(IpPool, Option<DateTime<Utc>>)>,
    pub(crate) addresses: Vec<(IpAddress, Option<DateTime<Utc>>)>,
    /// `(pool, address, the pool's organization)`.
    pub(crate) memberships: Vec<(IpPoolId, IpAddressId, OrganizationId)>,
    pub(crate) queues: BTreeMap<ServerId, i64>,
    pub(crate) seconds: BTreeMap<(ServerId, i64), (OrganizationId, i64)>,
    pub(crate) totals: BTreeMap<(ServerId, IpPoolId, IpAddressId), (OrganizationId, i64)>,
    pub(crate) usage: BTreeMap<(OrganizationId, Month), Usage>,
    pub(crate) idempotency: BTreeMap<(UserId, KeyDigest), Remembered>,
}

/// One organization's month.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Usage {
    pub(crate) sent: u64,
    pub(crate) limit: Option<MonthlyLimit>,
    pub(crate) threshold: Option<Threshold>,
}

/// One idempotency record.
#[derive(Debug, Clone)]
pub(crate) struct Remembered {
    pub(crate) fingerprint: [u8; 32],
    pub(crate) response: Option<RecordedResponse>,
    pub(crate) created_at: DateTime<Utc>,
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic inside a transaction never swaps its copy in, so the data is intact.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store for MemoryStore {
    fn transaction<T, E>(
        &self,
        work: impl FnOnce(&mut dyn Repositories) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut guard = self.lock();
        let mut copy = guard.clone();
        let result = work(&mut copy)?;
        *guard = copy;
        Ok(result)
    }

    fn read<T, E>(&self, work: impl FnOnce(&mut dyn Repositories) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        // Reads change nothing; a copy keeps it so should one try.
        let mut copy = self.lock().clone();
        work(&mut copy)
    }

    fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl State {
    pub(crate) fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn live_org(&self, id: OrganizationId) -> Option<&Organization> {
        self.organizations
            .iter()
            .find(|(o, d)| o.id == id && d.is_none())
            .map(|(o, _)| o)
    }

    pub(crate) fn live_servers(&self) -> impl Iterator<Item = &Server> {
        self.servers
            .iter()
            .filter(|(_, d)| d.is_none())
            .map(|(s, _)| s)
    }

    pub(crate) fn live_pools(&self) -> impl Iterator<Item = &IpPool> {
        self.pools
            .iter()
            .filter(|(_, d)| d.is_none())
            .map(|(p, _)| p)
    }

    pub(crate) fn live_addresses(&self) -> impl Iterator<Item = &IpAddress> {
        self.addresses
            .iter()
            .filter(|(_, d)| d.is_none())
            .map(|(a, _)| a)
    }

    pub(crate) fn live_users(&self) -> impl Iterator<Item = &User> {
        self.users
            .iter()
            .filter(|(_, d)| d.is_none())
            .map(|(u, _)| u)
    }
}

pub(crate) fn after(cursor: Option<Cursor>) -> i64 {
    cursor.map_or(i64::MIN, |c| c.after)
}

pub(crate) fn before(cursor: Option<Cursor>) -> i64 {
    cursor.map_or(i64::MAX, |c| c.after)
}

#[cfg(test)]
mod contract {
    use super::MemoryStore;
    orgplane_ports::store_contract_tests!(MemoryStore::default);
}
