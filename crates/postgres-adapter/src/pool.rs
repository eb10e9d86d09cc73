//! Connection pools: the primary's (with its dead-connection sweep), the readiness
//! check's, and the read replica's (skipped for a while once it failed).

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool, R2D2Connection};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Limits set on every new connection (once, not per checkout: no round trip on the
/// request path). Session settings need PgBouncer's session pooling mode.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionLimits {
    pub(crate) statement_timeout: Duration,
    pub(crate) lock_timeout: Duration,
}

impl SessionLimits {
    /// Applies the limits to a connection.
    pub(crate) fn apply(&self, conn: &mut PgConnection) -> diesel::QueryResult<()> {
        conn.batch_execute(&format!(
            "SET statement_timeout = {}; SET lock_timeout = {}",
            self.statement_timeout.as_millis(),
            self.lock_timeout.as_millis()
        ))
    }
}

/// A pooled connection and whether it is known to be dead.
pub(crate) struct Conn {
    pub(crate) pg: PgConnection,
    /// Set when a failed request found the connection dead: the pool drops it on return.
    broken: bool,
}

impl Conn {
    /// Whether the connection still answers (one round trip; never on the happy path).
    pub(crate) fn answers(&mut self) -> bool {
        let alive = self.pg.ping().is_ok();
        self.broken |= !alive;
        alive
    }

    /// Drops the connection when it goes back, without asking it: it is known lost (a
    /// ping could wait for the TCP timeout under a partition).
    pub(crate) fn discard(&mut self) {
        self.broken = true;
    }
}

/// Opens connections with their limits and tells the pool which ones are dead. Diesel's
/// own manager only knows a broken transaction, not a connection whose server went away
/// outside one, which would then fail every request it served.
pub(crate) struct Manager {
    inner: ConnectionManager<PgConnection>,
    limits: SessionLimits,
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        let mut pg = self.inner.connect()?;
        self.limits
            .apply(&mut pg)
            .map_err(diesel::r2d2::Error::QueryError)?;
        Ok(Conn { pg, broken: false })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        self.inner.is_valid(&mut conn.pg)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.broken || self.inner.has_broken(&mut conn.pg)
    }
}

pub(crate) type PgPool = Pool<Manager>;
pub(crate) type Pooled = diesel::r2d2::PooledConnection<Manager>;

/// The manager of connections to `url` (with libpq's `connect_timeout` added if it has
/// none).
pub(crate) fn manager(url: &str, connect_timeout: Duration, limits: SessionLimits) -> Manager {
    Manager {
        inner: ConnectionManager::new(with_connect_timeout(url, connect_timeout)),
        limits,
    }
}

/// Adds to a URL the libpq settings it does not set itself: `connect_timeout`, so a dead
/// server fails fast, and TCP keepalives with `tcp_user_timeout`, so a server that
/// vanished without closing its connections (a host gone, a cable cut) is noticed within
/// seconds, not the kernel's minutes. Over a Unix socket libpq ignores the TCP ones.
fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    let mut url = url.to_owned();
    let settings = [
        ("connect_timeout", timeout.as_secs().max(1).to_string()),
        ("keepalives_idle", "5".to_owned()),
        ("keepalives_interval", "2".to_owned()),
        ("keepalives_count", "2".to_owned()),
        ("tcp_user_timeout", "10000".to_owned()),
    ];
    for (name, value) in settings {
        if !url.contains(&format!("{name}=")) {
            let separator = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{separator}{name}={value}");
        }
    }
    url
}

thread_local! {
    /// Whether a statement on this thread failed as a lost connection does, since the
    /// last [`connection_lost`]. The work of a checkout runs on the checking-out thread,
    /// so this tells the pool, without a round trip, when to test the connection.
    static LOST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Records that a statement failed as a lost connection does.
pub(crate) fn note_connection_lost() {
    LOST.with(|lost| lost.set(true));
}

/// Whether a statement failed as a lost connection does since the last call.
pub(crate) fn connection_lost() -> bool {
    LOST.with(|lost| lost.replace(false))
}

/// A deadline kept as milliseconds since a start instant, shared between threads.
#[derive(Clone)]
pub(crate) struct Deadline {
    until: Arc<AtomicU64>,
    epoch: Instant,
}

impl Deadline {
    pub(crate) fn new() -> Self {
        Self {
            until: Arc::default(),
            epoch: Instant::now(),
        }
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Moves the deadline `by` from now.
    pub(crate) fn extend(&self, by: Duration) {
        self.until
            .store(self.now() + by.as_millis() as u64, Ordering::Relaxed);
    }

    /// Whether the deadline lies ahead.
    pub(crate) fn pending(&self) -> bool {
        self.now() < self.until.load(Ordering::Relaxed)
    }
}

/// Counts of the pools' checkouts, for monitoring.
#[derive(Debug, Default)]
pub(crate) struct Checkouts {
    pub(crate) count: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) waited_micros: AtomicU64,
    pub(crate) replica_reads: AtomicU64,
    pub(crate) replica_fallbacks: AtomicU64,
}

impl Checkouts {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_added_unless_the_url_sets_them() {
        let t = Duration::from_secs(3);
        let tail =
            "keepalives_idle=5&keepalives_interval=2&keepalives_count=2&tcp_user_timeout=10000";
        assert_eq!(
            with_connect_timeout("postgres://h/db", t),
            format!("postgres://h/db?connect_timeout=3&{tail}")
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?sslmode=disable", t),
            format!("postgres://h/db?sslmode=disable&connect_timeout=3&{tail}")
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?connect_timeout=9&tcp_user_timeout=1", t),
            "postgres://h/db?connect_timeout=9&tcp_user_timeout=1&keepalives_idle=5&keepalives_interval=2&keepalives_count=2"
        );
    }

    #[test]
    fn a_deadline_is_pending_until_it_passes() {
        let d = Deadline::new();
        assert!(!d.pending());
        d.extend(Duration::from_secs(60));
        assert!(d.pending());
        d.extend(Duration::ZERO);
        assert!(!d.pending());
    }
}
