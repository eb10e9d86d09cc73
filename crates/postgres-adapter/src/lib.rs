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
mod ip_pool;
mod log;
mod organization;
mod schema;
mod security;
mod server;
mod usage;
mod user;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::suspension::{Suspension, SuspensionOrigin};
use orgplane_ports::store::{PoolStats, Repositories, Store, StoreError, Unique};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// How to reach PostgreSQL.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// libpq connection URL.
    pub url: String,
    /// Most connections held.
    pub max_size: u32,
    /// Connections kept open while idle.
    pub min_idle: u32,
    /// How long to wait for a new connection (libpq `connect_timeout`).
    pub connect_timeout: Duration,
    /// How long a request waits for a pooled connection before answering "unavailable".
    pub checkout_timeout: Duration,
}

/// The PostgreSQL store. Clones share the pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<ConnectionManager<PgConnection>>,
    checkouts: Arc<Checkouts>,
}

/// Counts of the pool's checkouts, for monitoring.
#[derive(Debug, Default)]
struct Checkouts {
    count: AtomicU64,
    timeouts: AtomicU64,
    waited_micros: AtomicU64,
}

type PooledConnection = diesel::r2d2::PooledConnection<ConnectionManager<PgConnection>>;

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("state", &self.pool.state())
            .finish()
    }
}

/// Adds libpq's `connect_timeout` to a URL that has none, so a dead server fails fast.
fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}connect_timeout={}",
        timeout.as_secs().max(1)
    )
}

impl PgStore {
    /// Builds the pool. Does not wait for the database: a store made while PostgreSQL is
    /// down answers "unavailable" until it comes back.
    pub fn new(settings: &PoolSettings) -> Self {
        let manager = ConnectionManager::new(with_connect_timeout(
            &settings.url,
            settings.connect_timeout,
        ));
        let pool = Pool::builder()
            .max_size(settings.max_size)
            .min_idle(Some(settings.min_idle))
            .connection_timeout(settings.checkout_timeout)
            // No `SELECT 1` before every use: a connection that broke fails its statement
            // (503), is seen broken on return and replaced.
            .test_on_check_out(false)
            .build_unchecked(manager);
        Self {
            pool,
            checkouts: Arc::default(),
        }
    }

    /// A pooled connection; waiting longer than the checkout timeout is "unavailable".
    fn checkout(&self) -> Result<PooledConnection, StoreError> {
        let started = Instant::now();
        let conn = self.pool.get();
        let waited = started.elapsed().as_micros() as u64;
        self.checkouts.count.fetch_add(1, Ordering::Relaxed);
        self.checkouts
            .waited_micros
            .fetch_add(waited, Ordering::Relaxed);
        conn.map_err(|e| {
            self.checkouts.timeouts.fetch_add(1, Ordering::Relaxed);
            StoreError::Unavailable(e.to_string())
        })
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.checkout()?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| StoreError::Internal(format!("migration failed: {e}")))?;
        Ok(applied.into_iter().map(|v| v.to_string()).collect())
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
        let outcome = conn.transaction::<T, DieselError, _>(|conn| {
            let mut repos = PgRepositories { conn };
            work(&mut repos).map_err(|e| {
                failure = Some(e);
                DieselError::RollbackTransaction
            })
        });
        match (outcome, failure) {
            (Ok(value), _) => Ok(value),
            (Err(_), Some(e)) => Err(e),
            (Err(e), None) => Err(E::from(store_error(e))),
        }
    }

    fn read<T, E>(&self, work: impl FnOnce(&mut dyn Repositories) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.checkout().map_err(E::from)?;
        work(&mut PgRepositories { conn: &mut conn })
    }

    fn ping(&self) -> Result<(), StoreError> {
        use diesel::RunQueryDsl;
        let mut conn = self.checkout()?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .map(|_| ())
            .map_err(store_error)
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        let state = self.pool.state();
        Some(PoolStats {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: self.pool.max_size(),
            checkouts: self.checkouts.count.load(Ordering::Relaxed),
            timeouts: self.checkouts.timeouts.load(Ordering::Relaxed),
            wait_seconds: self.checkouts.waited_micros.load(Ordering::Relaxed) as f64 / 1e6,
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
            DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::UnableToSendCommand
            | DatabaseErrorKind::SerializationFailure,
            _,
        ) => StoreError::Unavailable(e.to_string()),
        // libpq reports a server that went away mid-query, and PostgreSQL a deadlock, as
        // unclassified errors; both are worth a retry.
        DieselError::DatabaseError(_, info) if worth_retrying(info.message()) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Internal(e.to_string()),
    }
}

fn worth_retrying(message: &str) -> bool {
    [
        "deadlock detected",
        "server closed the connection",
        "terminating connection",
        "connection to server",
        "no connection to the server",
    ]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn a_lost_server_is_recognised_by_its_message() {
        assert!(worth_retrying(
            "terminating connection due to administrator command"
        ));
        assert!(worth_retrying("server closed the connection unexpectedly"));
        assert!(!worth_retrying(
            "duplicate key value violates unique constraint"
        ));
    }

    #[test]
    fn connect_timeout_is_added_once() {
        let t = Duration::from_secs(3);
        assert_eq!(
            with_connect_timeout("postgres://h/db", t),
            "postgres://h/db?connect_timeout=3"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?sslmode=disable", t),
            "postgres://h/db?sslmode=disable&connect_timeout=3"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?connect_timeout=9", t),
            "postgres://h/db?connect_timeout=9"
        );
    }
}

#[cfg(test)]
mod contract {
    use super::{PgStore, PoolSettings};
    use orgplane_ports::store::{Repositories, Store, StoreError};
    use orgplane_test_postgres::TestDatabase;
    use std::time::Duration;

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
        let store = PgStore::new(&PoolSettings {
            url: db.url.clone(),
            max_size: 2,
            min_idle: 0,
            connect_timeout: Duration::from_secs(5),
            checkout_timeout: Duration::from_secs(10),
        });
        TestStore { store, _db: db }
    }

    orgplane_ports::store_contract_tests!(fresh_store);
}
