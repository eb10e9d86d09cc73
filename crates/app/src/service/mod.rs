//! The use cases: the inbound ports of `orgplane-ports`, implemented over its outbound
//! ports. Every change is written in one store transaction, together with its audit entry
//! (access-log records of password checks and refused credentials have their own).

mod api_key;
mod auth;
mod bootstrap;
mod event;
mod ip_address;
mod ip_pool;
mod log;
mod maintenance;
mod onboarding;
mod organization;
mod overview;
mod server;
mod statistics;
mod usage;
mod user;

#[cfg(test)]
mod tests;

pub use auth::AuthPolicy;
pub use bootstrap::{Bootstrap, BootstrapError};
pub use event::EventPolicy;
pub use maintenance::Pruned;

use crate::group_commit::GroupCommit;
use crate::system::IdempotencySeal;
use chrono::{DateTime, Duration, Utc};
use orgplane_domain::access::{Actor, CredentialKind};
use orgplane_domain::audit::NewAuditEntry;
use orgplane_domain::organization::{Organization, OrganizationId};
use orgplane_domain::usage::OveragePrice;
use orgplane_ports::store::{
    Claim, KeyClaim, Lock, RecordedResponse, Repositories, Store, StoreError,
};
use orgplane_ports::system::{Clock, PasswordHasher, SecretGenerator};
use orgplane_ports::usecase::{
    Conflict, EventReport, Health, Idempotency, Outcome, ServiceError, ServiceResult,
};
use std::sync::Arc;
use uuid::Uuid;

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// The tunable rules of the use cases.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    /// Sessions and login throttling.
    pub auth: AuthPolicy,
    /// Which event times are accepted.
    pub events: EventPolicy,
    /// The price of overage.
    pub price: OveragePrice,
}

/// The use cases over a store `S`.
pub struct Services<S: Store> {
    store: S,
    clock: Arc<dyn Clock>,
    hasher: Arc<dyn PasswordHasher>,
    secrets: Arc<dyn SecretGenerator>,
    policy: Policy,
    /// Event batches that arrive together, counted together.
    batches: GroupCommit<event::Submission, ServiceResult<Outcome<EventReport>>>,
}

/// The most event batches counted in one transaction.
const BATCHES_PER_GROUP: usize = 16;

impl<S: Store> Services<S> {
    /// Wires the use cases to their ports.
    pub fn new(
        store: S,
        clock: Arc<dyn Clock>,
        hasher: Arc<dyn PasswordHasher>,
        secrets: Arc<dyn SecretGenerator>,
        policy: Policy,
    ) -> Self {
        Self {
            store,
            clock,
            hasher,
            secrets,
            policy,
            batches: GroupCommit::new(BATCHES_PER_GROUP),
        }
    }

    /// Runs `work`, which only reads, without a transaction (see [`Store::read`]).
    fn read<T>(
        &self,
        work: impl FnOnce(&mut dyn Repositories) -> ServiceResult<T>,
    ) -> ServiceResult<T> {
        self.store.read(work)
    }

    /// Runs `work`, which only reads and may lag behind the latest writes, on the read
    /// replica if there is one (see [`Store::read_stale`]): reports and lists.
    fn read_stale<T>(
        &self,
        work: impl FnMut(&mut dyn Repositories) -> ServiceResult<T>,
    ) -> ServiceResult<T> {
        self.store.read_stale(work)
    }

    /// Runs `work` in one transaction.
    fn tx<T>(
        &self,
        work: impl FnOnce(&mut dyn Repositories) -> ServiceResult<T>,
    ) -> ServiceResult<T> {
        self.store.transaction(work)
    }
}

impl<S: Store> Health for Services<S> {
    fn ready(&self) -> ServiceResult<()> {
        self.store.ping().map_err(|_| ServiceError::Unavailable)
    }

    fn pool_stats(&self) -> Option<orgplane_ports::store::PoolStats> {
        self.store.pool_stats()
    }
}

/// Runs `work` (already inside a transaction) under an optional idempotency key: a key
/// seen before with the same request answers its recorded response and does nothing; one
/// seen with another request is refused; a new one is claimed first (so a concurrent
/// duplicate waits for this transaction) and its answer recorded before commit.
///
/// A recorded answer is only given to a caller who may make the request now: `requires`
/// is checked first (a test-mode key, or a user since demoted, never gets back what a
/// live key created), and test-mode keys have keys of their own.
fn idempotent<T>(
    r: &mut dyn Repositories,
    actor: &Actor,
    idempotency: Option<&Idempotency<T>>,
    now: DateTime<Utc>,
    requires: orgplane_domain::access::Permission,
    work: impl FnOnce(&mut dyn Repositories) -> ServiceResult<T>,
) -> ServiceResult<Outcome<T>> {
    let claimed = match claim(r, actor, idempotency, now, requires)? {
        Claimed::Fresh(claimed) => claimed,
        Claimed::Answered(response) => return Ok(Outcome::Replayed(response)),
    };
    let done = work(r)?;
    complete(r, actor, claimed, &done)?;
    Ok(Outcome::Done(done))
}

/// What [`claim`] found under a key.
enum Claimed<'a, T> {
    /// Nothing yet (or no key): the key, if any, is now held by this transaction, to be
    /// answered with [`complete`].
    Fresh(Option<(&'a Idempotency<T>, IdempotencySeal)>),
    /// The same request, answered before: its recorded answer.
    Answered(RecordedResponse),
}

/// The first half of [`idempotent`]: claims the key, or finds its answer.
fn claim<'a, T>(
    r: &mut dyn Repositories,
    actor: &Actor,
    idempotency: Option<&'a Idempotency<T>>,
    now: DateTime<Utc>,
    requires: orgplane_domain::access::Permission,
) -> ServiceResult<Claimed<'a, T>> {
    let Some(idem) = idempotency else {
        return Ok(Claimed::Fresh(None));
    };
    actor.holds(requires)?;
    let seal = IdempotencySeal::new(actor.user_uuid, actor.is_test_mode(), idem.key.as_str());
    let claim = KeyClaim {
        user: actor.user_id,
        organization: actor.home,
        key: &seal.lookup(),
        fingerprint: seal.fingerprint(&idem.fingerprint),
        now,
        expired_before: now - Duration::hours(IDEMPOTENCY_TTL_HOURS),
    };
    if let Claim::Used {
        fingerprint,
        response,
    } = r.claim_idempotency_key(claim)?
    {
        if fingerprint != seal.fingerprint(&idem.fingerprint) {
            return Err(ServiceError::Conflict(Conflict::IdempotencyKeyReused));
        }
        let body = seal.open(&response.body).ok_or_else(|| {
            ServiceError::Internal("an idempotency record does not open with its key".into())
        })?;
        return Ok(Claimed::Answered(RecordedResponse { body, ..response }));
    }
    Ok(Claimed::Fresh(Some((idem, seal))))
}

/// The second half of [`idempotent`]: records the answer under the claimed key.
fn complete<T>(
    r: &mut dyn Repositories,
    actor: &Actor,
    claimed: Option<(&Idempotency<T>, IdempotencySeal)>,
    done: &T,
) -> ServiceResult<()> {
    if let Some((idem, seal)) = claimed {
        let response = (idem.render)(done);
        let stored = RecordedResponse {
            body: seal.seal(&response.body),
            ..response
        };
        r.complete_idempotency_key(actor.user_id, &seal.lookup(), &stored)?;
    }
    Ok(())
}

impl<S: Store> Services<S> {
    /// The organization a read that may lag is about, resolved on the primary: one just
    /// created is never "not found" because a replica lags.
    fn reached(
        &self,
        actor: &Actor,
        id: Uuid,
        permission: orgplane_domain::access::Permission,
    ) -> ServiceResult<Organization> {
        self.read(|r| {
            let org = reachable_organization(r, actor, id)?;
            actor.authorize(permission, &org)?;
            Ok(org)
        })
    }
}

/// Of organizations another use case read, those the actor reaches, in order (for the
/// figures of a list, without reading the list again).
fn in_reach<'a>(
    actor: &Actor,
    organizations: &'a [orgplane_ports::usecase::OrganizationView],
) -> Vec<&'a Organization> {
    organizations
        .iter()
        .map(|v| &v.organization)
        .filter(|o| actor.reaches(o))
        .collect()
}

/// A live organization by public id, if the actor reaches it; otherwise "not found".
fn reachable_organization(
    r: &mut dyn Repositories,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<Organization> {
    r.organization_by_uuid(id)?
        .filter(|o| actor.reaches(o))
        .ok_or(ServiceError::NotFound)
}

/// Like [`reachable_organization`], but locked until the transaction ends and read as
/// last committed: for every change that depends on the organization.
fn locked_organization(
    r: &mut dyn Repositories,
    actor: &Actor,
    id: Uuid,
    lock: Lock,
) -> ServiceResult<Organization> {
    let org = reachable_organization(r, actor, id)?;
    r.lock_organization(org.id, lock)?
        .ok_or(ServiceError::NotFound)
}

/// A reachable organization that something is being added below (a sub-organization, a
/// user): its whole path is share-locked, so no ancestor can be deleted meanwhile.
fn organization_to_grow(
    r: &mut dyn Repositories,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<Organization> {
    let org = reachable_organization(r, actor, id)?;
    grow(r, org)
}

/// Share-locks the path of `org` and reads it again as committed.
fn grow(r: &mut dyn Repositories, org: Organization) -> ServiceResult<Organization> {
    if !r.lock_path(&org.path)? {
        return Err(ServiceError::NotFound);
    }
    r.organization(org.id)?.ok_or(ServiceError::NotFound)
}

/// The public id of an organization, for responses. One deleted meanwhile (a read sees
/// each statement's moment) makes what refers to it gone too: "not found".
fn organization_uuid(r: &mut dyn Repositories, id: OrganizationId) -> ServiceResult<Uuid> {
    r.organization(id)?
        .map(|o| o.uuid)
        .ok_or(ServiceError::NotFound)
}

/// What a mutation changed, for the audit log.
struct Change<'a> {
    action: &'a str,
    target_type: &'static str,
    target_id: Uuid,
    fields: serde_json::Value,
}

/// Records a mutation by `actor` in `organization_id`.
fn audit(
    r: &mut dyn Repositories,
    actor: &Actor,
    organization_id: OrganizationId,
    change: Change<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let (key, session) = match actor.credential {
        CredentialKind::ApiKey { id, .. } => (Some(id), None),
        CredentialKind::Session { id } => (None, Some(id)),
        CredentialKind::Console => (None, None),
    };
    r.append_audit(
        NewAuditEntry {
            organization_id,
            actor_user_id: Some(actor.user_id),
            actor_api_key_id: key,
            actor_session_id: session,
            action: change.action.to_owned(),
            target_type: change.target_type,
            target_id: change.target_id,
            changes: change.fields,
        },
        now,
    )
}

#[cfg(test)]
pub(crate) mod testing {
    //! Services over the in-memory store, with a fixed clock.

    use super::*;
    use crate::system::{Argon2Hasher, OsSecrets};
    use chrono::{DateTime, TimeZone, Utc};
    use orgplane_memory_adapter::MemoryStore;
    use std::sync::{Mutex, OnceLock};

    /// A clock that stands still until moved.
    pub struct FixedClock(pub Mutex<DateTime<Utc>>);

    impl Clock for FixedClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    impl FixedClock {
        pub fn advance(&self, by: chrono::Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    fn hasher() -> Arc<Argon2Hasher> {
        static HASHER: OnceLock<Arc<Argon2Hasher>> = OnceLock::new();
        HASHER
            .get_or_init(|| Arc::new(Argon2Hasher::owasp()))
            .clone()
    }

    pub fn services() -> (Services<MemoryStore>, Arc<FixedClock>) {
        let clock = Arc::new(FixedClock(Mutex::new(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        )));
        let services = Services::new(
            MemoryStore::default(),
            clock.clone(),
            hasher(),
            Arc::new(OsSecrets),
            Policy::default(),
        );
        (services, clock)
    }
}
