//! # orgplane-postgres-adapter
//!
//! The PostgreSQL [`Store`]: Diesel over an r2d2 pool, with the migrations in
//! `migrations/` embedded. Every [`Store::transaction`] is one database transaction.
//!
//! Rows are parsed back into domain types on the way out; a row that no longer parses is
//! reported as [`StoreError::Internal`], never silently passed on.

mod api_key;
mod event;
mod idempotency;
mod ip_address;
mod ip_allocation;
mod ip_pool;
mod log;
mod organization;
mod overview;
mod pool;
mod prepared;
mod schema;
mod security;
mod server;
mod statistics;
mod sub_organization;
mod usage;
mod user;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::Pool;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::suspension::{Suspension, SuspensionOrigin};
use orgplane_ports::store::{PoolStats, Repositories, Store, StoreError, StoreResult, Unique};
use pool::{Checkouts, Conn, Deadline, PgPool, Pooled, SessionLimits};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// How to reach PostgreSQL.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// libpq connection URL of the primary.
    pub url: String,
    /// Most connections held.
    pub max_size: u32,
    /// Connections kept open while idle.
    pub min_idle: u32,
    /// How long to wait for a new connection (libpq `connect_timeout`).
    pub connect_timeout: Duration,
    /// How long a request waits for a pooled connection before answering "unavailable".
    pub checkout_timeout: Duration,
    /// A statement running longer is cancelled ("unavailable"); zero: no limit.
    pub statement_timeout: Duration,
    /// A statement waiting longer for a lock is cancelled ("unavailable"); zero: no limit.
    pub lock_timeout: Duration,
    /// A streaming replica for reads that may lag ([`Store::read_stale`]), if any.
    pub replica_url: Option<String>,
}

#[cfg(test)]
impl PoolSettings {
    /// A pool of `max_size` connections to a test database, with generous timeouts.
    pub(crate) fn for_tests(url: &str, max_size: u32) -> Self {
        Self {
            url: url.to_owned(),
            max_size,
            min_idle: 0,
            connect_timeout: Duration::from_secs(5),
            checkout_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(30),
            replica_url: None,
        }
    }
}

/// The PostgreSQL store. Clones share the pools.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// One connection of its own for readiness checks, so that a busy pool never reads
    /// as an unreachable database.
    health: PgPool,
    /// The read replica, and until when reads skip it after it failed.
    replica: Option<(PgPool, Deadline)>,
    /// Until when checkouts test their connection first: set when a request found its
    /// connection dead (the database went away), so the others die off unseen.
    suspect: Deadline,
    limits: SessionLimits,
    checkouts: Arc<Checkouts>,
}

/// How long reads go straight to the primary after the replica failed once.
const REPLICA_BACKOFF: Duration = Duration::from_secs(5);
/// How long checkouts test their connection after one was found dead.
const SUSPECT_FOR: Duration = Duration::from_secs(10);

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("state", &self.pool.state())
            .field("replica", &self.replica.as_ref().map(|(r, _)| r.state()))
            .finish()
    }
}

impl PgStore {
    /// Builds the pools. Does not wait for the database: a store made while PostgreSQL is
    /// down answers "unavailable" until it comes back.
    pub fn new(settings: &PoolSettings) -> Self {
        let limits = SessionLimits {
            statement_timeout: settings.statement_timeout,
            lock_timeout: settings.lock_timeout,
        };
        let manager = |url: &str| pool::manager(url, settings.connect_timeout, limits);
        let pool = Pool::builder()
            .max_size(settings.max_size)
            .min_idle(Some(settings.min_idle))
            .connection_timeout(settings.checkout_timeout)
            // No `SELECT 1` before every use: a connection found dead by a failed request
            // is dropped, and for a while every checkout tests its connection.
            .test_on_check_out(false)
            .build_unchecked(manager(&settings.url));
        let health = Pool::builder()
            .max_size(1)
            .min_idle(Some(0))
            .connection_timeout(settings.checkout_timeout)
            .build_unchecked(manager(&settings.url));
        let replica = settings.replica_url.as_deref().map(|url| {
            let pool = Pool::builder()
                .max_size(settings.max_size)
                .min_idle(Some(0))
                // A replica that does not answer at once is skipped, not waited for.
                .connection_timeout(settings.checkout_timeout.min(Duration::from_secs(1)))
                // Tested on every checkout: a dead replica must fail before the work
                // runs, so that the read can go to the primary instead.
                .test_on_check_out(true)
                .build_unchecked(manager(url));
            (pool, Deadline::new())
        });
        Self {
            pool,
            health,
            replica,
            suspect: Deadline::new(),
            limits,
            checkouts: Arc::default(),
        }
    }

    /// A replica connection, unless there is no replica or it failed moments ago.
    fn replica_checkout(&self) -> Option<Pooled> {
        let (replica, skip) = self.replica.as_ref()?;
        // Start the work of this checkout with a clean record.
        pool::connection_lost();
        let conn = if skip.pending() {
            None
        } else {
            replica
                .get()
                .map_err(|error| {
                    tracing::warn!(%error, "read replica unavailable; reading from the primary");
                    skip.extend(REPLICA_BACKOFF);
                })
                .ok()
        };
        let counter = match conn {
            Some(_) => &self.checkouts.replica_reads,
            None => &self.checkouts.replica_fallbacks,
        };
        Checkouts::add(counter, 1);
        conn
    }

    /// A replica read was cut short by a lost connection: the replica is skipped for a
    /// while, like one that cannot be reached, and the read counts as a fallback.
    fn replica_lost_mid_read(&self) {
        if let Some((_, skip)) = self.replica.as_ref() {
            tracing::warn!("read replica lost during a read; reading from the primary");
            skip.extend(REPLICA_BACKOFF);
            Checkouts::add(&self.checkouts.replica_fallbacks, 1);
        }
    }

    /// A pooled connection; waiting longer than the checkout timeout is "unavailable".
    /// While connections are suspect, each is tested, and dead ones are dropped.
    fn checkout(&self) -> Result<Pooled, StoreError> {
        // Start the work of this checkout with a clean record.
        pool::connection_lost();
        let started = Instant::now();
        let mut tries = self.pool.max_size() + 1;
        let conn = loop {
            let mut conn = self.pool.get();
            tries -= 1;
            if let Ok(c) = &mut conn {
                if tries > 0 && self.suspect.pending() && !c.answers() {
                    // Dropped on return; the pool opens a new one for the next try.
                    continue;
                }
            }
            break conn;
        };
        Checkouts::add(&self.checkouts.count, 1);
        Checkouts::add(
            &self.checkouts.waited_micros,
            started.elapsed().as_micros() as u64,
        );
        conn.map_err(|e| {
            Checkouts::add(&self.checkouts.timeouts, 1);
            StoreError::Unavailable(e.to_string())
        })
    }

    /// After work on `conn`: if a statement failed as a lost connection would, and the
    /// connection is indeed dead, have the pool drop it and test the other connections
    /// as they are checked out for a while (they likely died with it).
    fn after_work(&self, conn: &mut Conn) {
        if pool::connection_lost() && !conn.answers() {
            self.suspect.extend(SUSPECT_FOR);
        }
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.checkout()?;
        // A migration may rightly run longer than any request: no statement limit.
        conn.pg
            .batch_execute("SET statement_timeout = 0; SET lock_timeout = 0")
            .map_err(store_error)?;
        let applied = conn
            .pg
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.into_iter().map(|v| v.to_string()).collect())
            .map_err(|e| StoreError::Internal(format!("migration failed: {e}")));
        // The connection goes back to the pool: give it its limits back, or drop it.
        if self.limits.apply(&mut conn.pg).is_err() {
            conn.answers();
            self.after_work(&mut conn);
        }
        applied
    }
}

/// Applies pending migrations over a single connection (no pool).
pub fn migrate_url(url: &str) -> Result<Vec<String>, StoreError> {
    let mut conn =
        PgConnection::establish(url).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| StoreError::Internal(format!("migration failed: {e}")))?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// The repositories of one open transaction.
pub(crate) struct PgRepositories<'c> {
    pub(crate) conn: &'c mut PgConnection,
}

impl Store for PgStore {
    fn transaction<T, E>(
        &self,
        work: impl FnOnce(&mut dyn Repositories) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.checkout().map_err(E::from)?;
        let mut failure: Option<E> = None;
        let outcome = conn.pg.transaction::<T, DieselError, _>(|conn| {
            let mut repos = PgRepositories { conn };
            work(&mut repos).map_err(|e| {
                failure = Some(e);
                DieselError::RollbackTransaction
            })
        });
        // Mapped first: `store_error` notes a lost connection (BEGIN or COMMIT failing).
        let result = match (outcome, failure) {
            (Ok(value), _) => Ok(value),
            (Err(_), Some(e)) => Err(e),
            (Err(e), None) => Err(E::from(store_error(e))),
        };
        self.after_work(&mut conn);
        result
    }

    fn read<T, E>(&self, work: impl FnOnce(&mut dyn Repositories) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.checkout().map_err(E::from)?;
        let result = work(&mut PgRepositories { conn: &mut conn.pg });
        self.after_work(&mut conn);
        result
    }

    fn read_stale<T, E>(
        &self,
        mut work: impl FnMut(&mut dyn Repositories) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        match self.replica_checkout() {
            Some(mut conn) => {
                let result = work(&mut PgRepositories { conn: &mut conn.pg });
                if pool::connection_lost() {
                    // The replica went away under the read: the connection is dropped
                    // (its pool tests every checkout, so no sweep is needed there), and
                    // the read, which changed nothing, runs again on the primary.
                    conn.discard();
                    drop(conn);
                    self.replica_lost_mid_read();
                    return self.read(work);
                }
                result
            }
            None => self.read(work),
        }
    }

    fn ping(&self) -> Result<(), StoreError> {
        use diesel::RunQueryDsl;
        let mut conn = self
            .health
            .get()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let result = diesel::sql_query("SELECT 1")
            .execute(&mut conn.pg)
            .map(|_| ())
            .map_err(store_error);
        if pool::connection_lost() {
            conn.answers();
        }
        result
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        let state = self.pool.state();
        Some(PoolStats {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: self.pool.max_size(),
            checkouts: Checkouts::get(&self.checkouts.count),
            timeouts: Checkouts::get(&self.checkouts.timeouts),
            wait_seconds: Checkouts::get(&self.checkouts.waited_micros) as f64 / 1e6,
            replica_reads: Checkouts::get(&self.checkouts.replica_reads),
            replica_fallbacks: Checkouts::get(&self.checkouts.replica_fallbacks),
        })
    }
}

/// Maps a Diesel error to the store's vocabulary.
pub(crate) fn store_error(e: DieselError) -> StoreError {
    match &e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            let unique = match info.constraint_name() {
                Some("organizations_permalink_live") => Unique::Permalink,
                Some("users_email_live") => Unique::Email,
                Some("api_keys_key_hash_key" | "sessions_token_hash_key") => Unique::SecretHash,
                Some("servers_name_live") => Unique::ServerName,
                Some("servers_permalink_live") => Unique::ServerPermalink,
                Some("ip_pools_name_live") => Unique::PoolName,
                Some("ip_pools_default_live") => Unique::DefaultPool,
                Some("ip_addresses_ipv4_live") => Unique::Ipv4,
                Some("ip_addresses_ipv6_live") => Unique::Ipv6,
                _ => Unique::Other,
            };
            StoreError::Conflict(unique)
        }
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => {
            pool::note_connection_lost();
            StoreError::Unavailable(e.to_string())
        }
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
            StoreError::Unavailable(e.to_string())
        }
        // libpq reports a server that went away mid-query as an unclassified error.
        DieselError::DatabaseError(_, info) if lost_connection(info.message()) => {
            pool::note_connection_lost();
            StoreError::Unavailable(e.to_string())
        }
        // PostgreSQL reports a deadlock and a cancelled statement (statement_timeout,
        // lock_timeout) as unclassified errors; all are worth a retry.
        DieselError::DatabaseError(_, info) if worth_retrying(info.message()) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Internal(e.to_string()),
    }
}

fn lost_connection(message: &str) -> bool {
    [
        "server closed the connection",
        "terminating connection",
        "connection to server",
        "no connection to the server",
    ]
    .iter()
    .any(|m| message.contains(m))
}

fn worth_retrying(message: &str) -> bool {
    ["deadlock detected", "canceling statement due to"]
        .iter()
        .any(|m| message.contains(m))
}

/// A suspension from its two columns: since when, and whose (`NULL`: the row's own).
pub(crate) fn suspension_from(
    at: Option<chrono::DateTime<chrono::Utc>>,
    by: Option<i64>,
) -> Option<Suspension> {
    at.map(|since| Suspension {
        since,
        origin: by.map_or(SuspensionOrigin::Itself, |id| {
            SuspensionOrigin::Organization(OrganizationId(id))
        }),
    })
}

/// The `suspended_by` column of a suspension.
pub(crate) fn suspended_by(suspension: Option<Suspension>) -> Option<i64> {
    match suspension?.origin {
        SuspensionOrigin::Itself => None,
        SuspensionOrigin::Organization(id) => Some(id.0),
    }
}

/// Escapes `%`, `_` and `\\` so user text matches literally inside a LIKE pattern, and
/// makes it match anywhere.
pub(crate) fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A stored value that no longer parses as its domain type.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored {what} is invalid: {detail}"))
}

/// One JSON set of a one-statement read (`prepared.rs`), decoded.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> StoreResult<T> {
    serde_json::from_str(json).map_err(|e| corrupt(what, e))
}

/// One JSON array of rows of a one-statement read, each row parsed as the typed queries
/// parse it.
pub(crate) fn json_rows<R, T>(what: &str, json: &str) -> StoreResult<Vec<T>>
where
    R: serde::de::DeserializeOwned,
    T: TryFrom<R, Error = StoreError>,
{
    from_json::<Vec<R>>(what, json)?
        .into_iter()
        .map(T::try_from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn a_lost_server_and_a_busy_one_are_recognised_by_their_messages() {
        assert!(lost_connection(
            "terminating connection due to administrator command"
        ));
        assert!(lost_connection("server closed the connection unexpectedly"));
        assert!(worth_retrying("deadlock detected"));
        assert!(worth_retrying(
            "canceling statement due to statement timeout"
        ));
        assert!(worth_retrying("canceling statement due to lock timeout"));
        let other = "duplicate key value violates unique constraint";
        assert!(!lost_connection(other) && !worth_retrying(other));
    }
}

#[cfg(test)]
mod contract {
    use super::{PgStore, PoolSettings};
    use orgplane_ports::store::{Repositories, Store, StoreError};
    use orgplane_test_postgres::TestDatabase;

    /// A store over its own database, which is dropped with it (the pool closes first:
    /// fields drop in order).
    struct TestStore {
        store: PgStore,
        _db: TestDatabase,
    }

    impl Store for TestStore {
        fn transaction<T, E>(
            &self,
            work: impl FnOnce(&mut dyn Repositories) -> Result<T, E>,
        ) -> Result<T, E>
        where
            E: From<StoreError>,
        {
            self.store.transaction(work)
        }

        fn read<T, E>(
            &self,
            work: impl FnOnce(&mut dyn Repositories) -> Result<T, E>,
        ) -> Result<T, E>
        where
            E: From<StoreError>,
        {
            self.store.read(work)
        }

        fn ping(&self) -> Result<(), StoreError> {
            self.store.ping()
        }
    }

    fn fresh_store() -> TestStore {
        let db = TestDatabase::new();
        let store = PgStore::new(&PoolSettings::for_tests(&db.url, 2));
        TestStore { store, _db: db }
    }

    orgplane_ports::store_contract_tests!(fresh_store);
}
