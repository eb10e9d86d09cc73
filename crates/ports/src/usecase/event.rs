//! Message events.

use super::{Idempotency, Outcome, ServiceResult};
use orgplane_domain::access::Actor;
use orgplane_domain::event::{EventBatch, Summary};

/// What an accepted batch amounted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventReport {
    /// Events and messages per kind.
    pub summary: Summary,
    /// Whether the counters moved: `false` for a test-mode key, whose batches are checked
    /// like any other but never count.
    pub counted: bool,
}

/// Event ingestion.
pub trait Events: Send + Sync {
    /// Checks and counts a batch, whole or not at all.
    fn ingest_events(
        &self,
        actor: &Actor,
        batch: EventBatch,
        idempotency: Option<Idempotency<EventReport>>,
    ) -> ServiceResult<Outcome<EventReport>>;
}
