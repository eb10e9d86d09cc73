//! The counters that message events feed, and the live figures read from them.

use super::StoreResult;
use orgplane_domain::event::{Counters, SentRoute};
use orgplane_domain::ip_address::IpAddressId;
use orgplane_domain::ip_pool::IpPoolId;
use orgplane_domain::server::ServerId;

/// Event counters.
pub trait EventRepository {
    /// Applies a batch's queue changes, per-second sent counts and per-route totals
    /// (usage is [`UsageRepository`](super::UsageRepository)'s). Rows are touched in key
    /// order, so concurrent batches cannot deadlock.
    fn record_counters(&mut self, counters: &Counters) -> StoreResult<()>;
    /// Queue sizes of these servers (servers with an empty queue may be missing).
    fn queue_sizes(&mut self, servers: &[ServerId]) -> StoreResult<Vec<(ServerId, u64)>>;
    /// Messages each of these servers sent from second `since` (Unix time) on (servers
    /// that sent nothing may be missing).
    fn sent_since(&mut self, servers: &[ServerId], since: i64)
        -> StoreResult<Vec<(ServerId, u64)>>;
    /// All-time sent counts of every route through any of these servers, pools or
    /// addresses.
    fn sent_routes(
        &mut self,
        servers: &[ServerId],
        pools: &[IpPoolId],
        addresses: &[IpAddressId],
    ) -> StoreResult<Vec<(SentRoute, u64)>>;
    /// Drops per-second counts of seconds before `before` (Unix time); returns how many.
    fn prune_sent_seconds(&mut self, before: i64) -> StoreResult<u64>;
}
