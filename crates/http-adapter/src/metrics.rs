//! `/metrics`: Prometheus text exposition (the `prometheus` crate) of requests by route
//! template, method and status, their latency, the database pool, the blocking pool and
//! events ingested. Labels are bounded: route templates (`/orgs/{org_id}`), never raw
//! paths, and nothing from a credential.

use crate::State;
use actix_web::{get, web, HttpResponse};
use orgplane_ports::store::PoolStats;
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The metrics of one process.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    events: IntCounterVec,
    blocking_queued: IntGauge,
    blocking_running: IntGauge,
    admission_timeouts: IntCounter,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    pool_checkouts: IntCounter,
    pool_timeouts: IntCounter,
    pool_wait: Gauge,
    replica_reads: IntCounter,
    replica_fallbacks: IntCounter,
    /// The pool counters as last exposed (counters only ever grow by the difference).
    seen: Mutex<PoolStats>,
    /// Requests answered since start, and of those with a 5xx (seed 002's uptime).
    answered: AtomicU64,
    failed: AtomicU64,
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

fn must<T>(metric: Result<T, prometheus::Error>) -> T {
    // Only fails for a malformed name or a duplicate registration: a bug caught by the
    // first test that builds the app.
    metric.expect("metric definitions are valid")
}

impl Metrics {
    /// Defines every metric.
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("orgplane".into()), None).unwrap_or_default();
        let requests = must(IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &["route", "method", "status"],
        ));
        let latency = must(HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from request to response",
            )
            .buckets(vec![
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route", "method"],
        ));
        let events = must(IntCounterVec::new(
            Opts::new(
                "events_ingested_total",
                "Message events accepted (counted: false for test-mode keys)",
            ),
            &["counted"],
        ));
        let gauge = |name: &str, help: &str| must(IntGauge::new(name, help));
        let counter = |name: &str, help: &str| must(IntCounter::new(name, help));
        let metrics = Self {
            requests,
            latency,
            events,
            blocking_queued: gauge(
                "blocking_tasks_queued",
                "Use cases waiting for their turn (one per database connection) or a thread of the blocking pool",
            ),
            blocking_running: gauge(
                "blocking_tasks_running",
                "Use cases running on the blocking pool",
            ),
            admission_timeouts: counter(
                "blocking_admission_timeouts_total",
                "Use cases that gave up waiting for their turn (answered 503)",
            ),
            pool_connections: gauge("db_pool_connections", "Database connections open"),
            pool_idle: gauge("db_pool_idle_connections", "Database connections idle"),
            pool_max: gauge(
                "db_pool_max_connections",
                "Most database connections opened",
            ),
            pool_checkouts: counter("db_pool_checkouts_total", "Connections checked out"),
            pool_timeouts: counter(
                "db_pool_checkout_timeouts_total",
                "Checkouts that gave up waiting (answered 503)",
            ),
            replica_reads: counter(
                "db_replica_reads_total",
                "Reads sent to the read replica (one it loses mid-way runs again on the primary, and counts as a fallback too)",
            ),
            replica_fallbacks: counter(
                "db_replica_fallbacks_total",
                "Replica reads that went to the primary (replica not answering)",
            ),
            pool_wait: must(Gauge::new(
                "db_pool_checkout_wait_seconds_total",
                "Seconds spent waiting for a connection, all checkouts together",
            )),
            seen: Mutex::new(PoolStats::default()),
            answered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            registry,
        };
        let collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(metrics.requests.clone()),
            Box::new(metrics.latency.clone()),
            Box::new(metrics.events.clone()),
            Box::new(metrics.blocking_queued.clone()),
            Box::new(metrics.blocking_running.clone()),
            Box::new(metrics.admission_timeouts.clone()),
            Box::new(metrics.pool_connections.clone()),
            Box::new(metrics.pool_idle.clone()),
            Box::new(metrics.pool_max.clone()),
            Box::new(metrics.pool_checkouts.clone()),
            Box::new(metrics.pool_timeouts.clone()),
            Box::new(metrics.pool_wait.clone()),
            Box::new(metrics.replica_reads.clone()),
            Box::new(metrics.replica_fallbacks.clone()),
        ];
        for c in collectors {
            must(metrics.registry.register(c));
        }
        #[cfg(target_os = "linux")]
        {
            // Resident memory, CPU, open files of this process.
            let process = prometheus::process_collector::ProcessCollector::for_self();
            let _ = metrics.registry.register(Box::new(process));
        }
        metrics
    }

    /// Records one answered request. `route` is the template that matched, if any.
    pub fn observe(&self, route: Option<&str>, method: &str, status: u16, seconds: f64) {
        let route = route.unwrap_or("unmatched");
        let method = METHODS
            .iter()
            .find(|m| **m == method)
            .copied()
            .unwrap_or("OTHER");
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(seconds);
        self.answered.fetch_add(1, Ordering::Relaxed);
        if status >= 500 {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Requests answered since this process started, and how many of them were server
    /// errors.
    pub fn answers(&self) -> (u64, u64) {
        // Failed first: a concurrent answer can only make `answered` larger, never
        // leave `failed` above it.
        let failed = self.failed.load(Ordering::Relaxed);
        (self.answered.load(Ordering::Relaxed).max(failed), failed)
    }

    /// Records an accepted batch of `events`.
    pub fn events_ingested(&self, events: u64, counted: bool) {
        self.events
            .with_label_values(&[if counted { "true" } else { "false" }])
            .inc_by(events);
    }

    /// A use case waits for its turn and then a thread of the blocking pool; it counts as
    /// waiting until it starts or gives up (the guard drops, however the wait ends).
    pub fn blocking_queued(self: &Arc<Self>) -> Waiting {
        self.blocking_queued.inc();
        Waiting(Some(self.clone()))
    }

    /// The exposition, with the pool's state as of now.
    pub fn render(&self, pool: Option<PoolStats>) -> String {
        if let Some(pool) = pool {
            self.pool_connections.set(i64::from(pool.connections));
            self.pool_idle.set(i64::from(pool.idle));
            self.pool_max.set(i64::from(pool.max_size));
            self.pool_wait.set(pool.wait_seconds);
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            self.pool_checkouts
                .inc_by(pool.checkouts.saturating_sub(seen.checkouts));
            self.pool_timeouts
                .inc_by(pool.timeouts.saturating_sub(seen.timeouts));
            self.replica_reads
                .inc_by(pool.replica_reads.saturating_sub(seen.replica_reads));
            self.replica_fallbacks.inc_by(
                pool.replica_fallbacks
                    .saturating_sub(seen.replica_fallbacks),
            );
            *seen = pool;
        }
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// A use case running on the blocking pool (see [`Waiting::running`]).
pub struct Running(Arc<Metrics>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.blocking_running.dec();
    }
}

/// A use case waiting to run (see [`Metrics::blocking_queued`]).
pub struct Waiting(Option<Arc<Metrics>>);

impl Waiting {
    /// The use case gave up waiting for its turn.
    pub fn gave_up(self) {
        if let Some(metrics) = &self.0 {
            metrics.admission_timeouts.inc();
        }
    }

    /// The use case starts on the blocking pool; it counts as running until the guard
    /// drops (however it ends).
    pub fn running(mut self) -> Running {
        let metrics = self.0.take().expect("a waiting use case starts once");
        metrics.blocking_queued.dec();
        metrics.blocking_running.inc();
        Running(metrics)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(metrics) = self.0.take() {
            metrics.blocking_queued.dec();
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Prometheus metrics of this process (text exposition format).
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn scrape(state: web::Data<State>) -> HttpResponse {
    let pool = state.usecases.pool_stats();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(pool))
}
