//! Structured logs with `tracing`. Every line logged while serving a request carries its
//! `request_id` (from the request span of `tracing-actix-web`).
//!
//! Lines are written by a background thread: a request never waits for the terminal or
//! a full pipe (under load, a synchronous write per request is what makes the tail).

use crate::config::{LogFormat, LogSettings};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Keeps the log writer alive; dropping it flushes what is still queued.
#[must_use = "logs written after the guard is dropped are lost"]
pub struct LogGuard {
    _writer: WorkerGuard,
}

/// Installs the global subscriber (once; later calls are ignored).
pub fn init(settings: &LogSettings) -> LogGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    // Lossy when the queue is full (like any log shipper under pressure), never blocking.
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = match settings.format() {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    LogGuard { _writer: guard }
}
