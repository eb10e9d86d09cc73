//! Event counters in memory.

use crate::State;
use orgplane_domain::event::{Counters, SentRoute};
use orgplane_domain::ip_address::IpAddressId;
use orgplane_domain::ip_pool::IpPoolId;
use orgplane_domain::server::ServerId;
use orgplane_ports::store::*;

impl EventRepository for State {
    fn record_counters(&mut self, counters: &Counters) -> StoreResult<()> {
        for (server, _, change) in &counters.queues {
            let queued = self.queues.entry(*server).or_insert(0);
            *queued = change.apply(*queued);
        }
        for s in &counters.seconds {
            self.seconds
                .entry((s.server, s.second))
                .or_insert((s.organization, 0))
                .1 += s.count;
        }
        for (route, n) in &counters.routes {
            self.totals
                .entry((route.server, route.pool, route.address))
                .or_insert((route.organization, 0))
                .1 += n;
        }
        Ok(())
    }

    fn queue_sizes(&mut self, servers: &[ServerId]) -> StoreResult<Vec<(ServerId, u64)>> {
        Ok(servers
            .iter()
            .filter_map(|s| self.queues.get(s).map(|q| (*s, (*q).max(0) as u64)))
            .collect())
    }

    fn sent_since(
        &mut self,
        servers: &[ServerId],
        since: i64,
    ) -> StoreResult<Vec<(ServerId, u64)>> {
        Ok(servers
            .iter()
            .map(|server| {
                let sent: i64 = self
                    .seconds
                    .range((*server, since)..=(*server, i64::MAX))
                    .map(|(_, (_, n))| n)
                    .sum();
                (*server, sent.max(0) as u64)
            })
            .filter(|(_, n)| *n > 0)
            .collect())
    }

    fn sent_routes(
        &mut self,
        servers: &[ServerId],
        pools: &[IpPoolId],
        addresses: &[IpAddressId],
    ) -> StoreResult<Vec<(SentRoute, u64)>> {
        Ok(self
            .totals
            .iter()
            .filter(|((s, p, a), _)| {
                servers.contains(s) || pools.contains(p) || addresses.contains(a)
            })
            .map(|((server, pool, address), (organization, n))| {
                let route = SentRoute {
                    server: *server,
                    pool: *pool,
                    address: *address,
                    organization: *organization,
                };
                (route, (*n).max(0) as u64)
            })
            .collect())
    }

    fn prune_sent_seconds(&mut self, before: i64) -> StoreResult<u64> {
        let old = self.seconds.len();
        self.seconds.retain(|(_, second), _| *second >= before);
        Ok((old - self.seconds.len()) as u64)
    }
}
