//! Event counters in PostgreSQL: one multi-row upsert per counter table per batch.
//!
//! The rows of a batch are passed as arrays (`unnest`), so each statement has one fixed
//! text whatever the batch size, and they are upserted in key order (`ORDER BY`), so
//! concurrent batches take their row locks in one order and cannot deadlock.

use crate::schema::{sent_totals, server_queues};
use crate::{store_error, PgRepositories};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt};
use orgplane_domain::event::{Counters, SentRoute};
use orgplane_domain::ip_address::IpAddressId;
use orgplane_domain::ip_pool::IpPoolId;
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::server::ServerId;
use orgplane_ports::store::*;

const UPSERT_QUEUES: &str = "\
    INSERT INTO server_queues (server_id, organization_id, queued, last_floor, last_shift) \
    SELECT s, o, greatest(f, sh), f, sh FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[]) AS t(s, o, f, sh) ORDER BY s \
    ON CONFLICT (server_id) DO UPDATE SET \
        queued = greatest(excluded.last_floor, server_queues.queued + excluded.last_shift), \
        last_floor = excluded.last_floor, last_shift = excluded.last_shift";

const UPSERT_SECONDS: &str = "\
    INSERT INTO sent_seconds (server_id, second, organization_id, sent) \
    SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[]) AS t(s, sec, o, n) ORDER BY s, sec \
    ON CONFLICT (server_id, second) DO UPDATE SET sent = sent_seconds.sent + excluded.sent";

const UPSERT_TOTALS: &str = "\
    INSERT INTO sent_totals (server_id, ip_pool_id, ip_address_id, organization_id, sent) \
    SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[]) AS t(s, p, a, o, n) ORDER BY s, p, a \
    ON CONFLICT (server_id, ip_pool_id, ip_address_id) DO UPDATE SET sent = sent_totals.sent + excluded.sent";

#[derive(QueryableByName)]
struct ServerSum {
    #[diesel(sql_type = BigInt)]
    server_id: i64,
    #[diesel(sql_type = BigInt)]
    sent: i64,
}

fn ids<T>(items: &[T], key: impl Fn(&T) -> i64) -> Vec<i64> {
    items.iter().map(key).collect()
}

impl EventRepository for PgRepositories<'_> {
    fn record_counters(&mut self, counters: &Counters) -> StoreResult<()> {
        if !counters.queues.is_empty() {
            let q = &counters.queues;
            diesel::sql_query(UPSERT_QUEUES)
                .bind::<Array<BigInt>, _>(ids(q, |(s, _, _)| s.0))
                .bind::<Array<BigInt>, _>(ids(q, |(_, o, _)| o.0))
                .bind::<Array<BigInt>, _>(ids(q, |(_, _, c)| c.floor))
                .bind::<Array<BigInt>, _>(ids(q, |(_, _, c)| c.shift))
                .execute(self.conn)
                .map_err(store_error)?;
        }
        if !counters.seconds.is_empty() {
            let s = &counters.seconds;
            diesel::sql_query(UPSERT_SECONDS)
                .bind::<Array<BigInt>, _>(ids(s, |x| x.server.0))
                .bind::<Array<BigInt>, _>(ids(s, |x| x.second))
                .bind::<Array<BigInt>, _>(ids(s, |x| x.organization.0))
                .bind::<Array<BigInt>, _>(ids(s, |x| x.count))
                .execute(self.conn)
                .map_err(store_error)?;
        }
        if !counters.routes.is_empty() {
            let r = &counters.routes;
            diesel::sql_query(UPSERT_TOTALS)
                .bind::<Array<BigInt>, _>(ids(r, |(x, _)| x.server.0))
                .bind::<Array<BigInt>, _>(ids(r, |(x, _)| x.pool.0))
                .bind::<Array<BigInt>, _>(ids(r, |(x, _)| x.address.0))
                .bind::<Array<BigInt>, _>(ids(r, |(x, _)| x.organization.0))
                .bind::<Array<BigInt>, _>(ids(r, |(_, n)| *n))
                .execute(self.conn)
                .map_err(store_error)?;
        }
        Ok(())
    }

    fn queue_sizes(&mut self, servers: &[ServerId]) -> StoreResult<Vec<(ServerId, u64)>> {
        let rows: Vec<(i64, i64)> = server_queues::table
            .filter(server_queues::server_id.eq_any(ids(servers, |s| s.0)))
            .select((server_queues::server_id, server_queues::queued))
            .load(self.conn)
            .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|(s, q)| (ServerId(s), q.max(0) as u64))
            .collect())
    }

    fn sent_since(
        &mut self,
        servers: &[ServerId],
        since: i64,
    ) -> StoreResult<Vec<(ServerId, u64)>> {
        let rows: Vec<ServerSum> = diesel::sql_query(
            "SELECT server_id, sum(sent)::int8 AS sent FROM sent_seconds \
             WHERE server_id = ANY($1) AND second >= $2 GROUP BY server_id",
        )
        .bind::<Array<BigInt>, _>(ids(servers, |s| s.0))
        .bind::<BigInt, _>(since)
        .load(self.conn)
        .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|r| (ServerId(r.server_id), r.sent.max(0) as u64))
            .collect())
    }

    fn sent_routes(
        &mut self,
        servers: &[ServerId],
        pools: &[IpPoolId],
        addresses: &[IpAddressId],
    ) -> StoreResult<Vec<(SentRoute, u64)>> {
        let rows: Vec<(i64, i64, i64, i64, i64)> = sent_totals::table
            .filter(
                sent_totals::server_id
                    .eq_any(ids(servers, |s| s.0))
                    .or(sent_totals::ip_pool_id.eq_any(ids(pools, |p| p.0)))
                    .or(sent_totals::ip_address_id.eq_any(ids(addresses, |a| a.0))),
            )
            .order((
                sent_totals::server_id,
                sent_totals::ip_pool_id,
                sent_totals::ip_address_id,
            ))
            .select((
                sent_totals::server_id,
                sent_totals::ip_pool_id,
                sent_totals::ip_address_id,
                sent_totals::organization_id,
                sent_totals::sent,
            ))
            .load(self.conn)
            .map_err(store_error)?;
        Ok(rows.into_iter().map(route_total).collect())
    }

    fn prune_sent_seconds(&mut self, before: i64) -> StoreResult<u64> {
        diesel::sql_query("DELETE FROM sent_seconds WHERE second < $1")
            .bind::<BigInt, _>(before)
            .execute(self.conn)
            .map(|n| n as u64)
            .map_err(store_error)
    }
}

/// A `sent_totals` row `(server, pool, address, organization, sent)` as a route and its
/// count (also read as JSON by the IP allocation's one statement).
pub(crate) fn route_total(
    (server, pool, address, organization, sent): (i64, i64, i64, i64, i64),
) -> (SentRoute, u64) {
    let route = SentRoute {
        server: ServerId(server),
        pool: IpPoolId(pool),
        address: IpAddressId(address),
        organization: OrganizationId(organization),
    };
    (route, sent.max(0) as u64)
}
