//! # orgplane-app
//!
//! The use cases ([`service`]), configuration ([`config`]), the system adapters
//! ([`system`]) and the wiring that turns them into a running service
//! ([`Application`]). The `orgplane` binary is a thin command line over this crate; the
//! end-to-end tests build the very same [`Application`].

pub mod config;
mod group_commit;
pub mod service;
pub mod system;
pub mod telemetry;

use config::Settings;
use orgplane_domain::usage::OveragePrice;
use orgplane_http_adapter::HttpSettings;
use orgplane_ports::store::StoreError;
use orgplane_ports::system::SystemClock;
use orgplane_postgres_adapter::PgStore;
use service::{AuthPolicy, EventPolicy, Policy, Services};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database refused migrations or could not be reached.
    #[error("database: {0}")]
    Database(#[from] StoreError),
    /// The listen address is unavailable.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The use cases over PostgreSQL, wired as configured.
pub fn services(settings: &Settings) -> Services<PgStore> {
    services_over(PgStore::new(&settings.pool()), settings)
}

/// The use cases over an existing store (one pool per process).
fn services_over(store: PgStore, settings: &Settings) -> Services<PgStore> {
    let (auth, events) = (&settings.auth, &settings.events);
    let policy = Policy {
        auth: AuthPolicy {
            session_ttl: chrono::Duration::minutes(i64::from(auth.session_ttl_minutes)),
            max_failures_per_email: u64::from(auth.login_max_failures_per_email),
            max_failures_per_client: u64::from(auth.login_max_failures_per_client),
            window: chrono::Duration::seconds(i64::from(auth.login_window_secs)),
        },
        events: EventPolicy {
            retention: chrono::Duration::seconds(i64::from(events.retention_secs)),
            future_skew: chrono::Duration::seconds(i64::from(events.future_skew_secs)),
        },
        price: OveragePrice {
            cents_per_thousand: u64::from(settings.billing.overage_cents_per_thousand),
        },
    };
    Services::new(
        store,
        Arc::new(SystemClock),
        Arc::new(system::Argon2Hasher::owasp()),
        Arc::new(system::OsSecrets),
        policy,
    )
}

/// A built, listening, not yet running service.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    services: Arc<Services<PgStore>>,
    prune_interval: Duration,
}

impl Application {
    /// Applies pending migrations, binds the listener and prepares the server.
    pub fn build(settings: &Settings) -> Result<Self, StartError> {
        let store = PgStore::new(&settings.pool());
        let applied = store.migrate()?;
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
        let addr = settings.server.bind_addr();
        let listener =
            TcpListener::bind(addr).map_err(|source| StartError::Listen { addr, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Listen { addr, source })?
            .port();
        let http = HttpSettings {
            workers: settings.server.workers,
            body_limit_bytes: settings.server.body_limit_bytes,
            events_body_limit_bytes: settings.server.events_body_limit_bytes,
            sub_organization_limit: orgplane_domain::organization::MonthlyLimit::new(i64::from(
                settings.billing.sub_organization_limit,
            ))
            .ok(),
            shutdown_timeout: Duration::from_secs(settings.server.shutdown_timeout_secs),
            // One use case per connection of the primary (which every request's
            // credential check reads); the rest queue in order, and give up as a checkout
            // would. Use cases that hash a password queue apart, as many at once as
            // passwords are hashed.
            concurrency: settings.database.pool_max_size as usize,
            hashing_concurrency: system::hashes_at_once(),
            admission_timeout: Duration::from_secs(settings.database.checkout_timeout_secs),
        };
        let services = Arc::new(services_over(store, settings));
        let server = orgplane_http_adapter::serve(listener, services.clone(), http)
            .map_err(|source| StartError::Listen { addr, source })?;
        Ok(Self {
            port,
            server,
            services,
            prune_interval: Duration::from_secs(u64::from(settings.events.prune_interval_secs)),
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGINT/SIGTERM or [`Application::handle`]); both signals
    /// stop gracefully: no new connections, in-flight requests get the configured grace
    /// period. Housekeeping (pruning old counters and idempotency records) runs
    /// alongside, off the request workers.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let signals = actix_web::rt::spawn(async move {
            let signal = shutdown_signal().await;
            tracing::info!(signal, "stopping: finishing requests in flight");
            handle.stop(true).await;
        });
        let services = self.services;
        let every = self.prune_interval;
        let housekeeping = actix_web::rt::spawn(async move {
            // The first round after one interval, not at start.
            let start = actix_web::rt::time::Instant::now() + every;
            let mut tick = actix_web::rt::time::interval_at(start, every);
            loop {
                tick.tick().await;
                let services = services.clone();
                match actix_web::rt::task::spawn_blocking(move || services.prune()).await {
                    Ok(Ok(pruned)) => tracing::debug!(?pruned, "housekeeping"),
                    Ok(Err(error)) => tracing::warn!(%error, "housekeeping failed"),
                    Err(error) => tracing::warn!(%error, "housekeeping task failed"),
                }
            }
        });
        let result = self.server.await;
        housekeeping.abort();
        signals.abort();
        result
    }
}

/// Waits for SIGINT (Ctrl-C) or SIGTERM; names the one that came.
async fn shutdown_signal() -> &'static str {
    use actix_web::rt::signal;
    #[cfg(unix)]
    {
        let mut term = match signal::unix::signal(signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; stopping on SIGINT only");
                let _ = signal::ctrl_c().await;
                return "SIGINT";
            }
        };
        tokio::select! {
            _ = signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = signal::ctrl_c().await;
        "SIGINT"
    }
}
