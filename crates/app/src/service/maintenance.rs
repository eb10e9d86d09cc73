//! Housekeeping run in the background by every process: per-second counters past their
//! retention and expired idempotency records are dropped. Idempotent, so any number of
//! replicas may run it at once.

use super::{Services, IDEMPOTENCY_TTL_HOURS};
use chrono::Duration;
use orgplane_ports::store::Store;
use orgplane_ports::usecase::ServiceResult;

/// What one round of housekeeping dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    /// Per-second counters.
    pub sent_seconds: u64,
    /// Idempotency records.
    pub idempotency_keys: u64,
}

impl<S: Store> Services<S> {
    /// Drops per-second counters older than the retention (with a minute to spare, so
    /// that a batch at the edge never races the prune) and idempotency records older
    /// than their lifetime.
    pub fn prune(&self) -> ServiceResult<Pruned> {
        let now = self.clock.now();
        let cutoff = now - self.policy.events.retention - Duration::minutes(1);
        self.tx(|r| {
            Ok(Pruned {
                sent_seconds: r.prune_sent_seconds(cutoff.timestamp())?,
                idempotency_keys: r
                    .prune_idempotency_keys(now - Duration::hours(IDEMPOTENCY_TTL_HOURS))?,
            })
        })
    }
}
