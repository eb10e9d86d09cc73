//! The IP allocation report's reads, in one statement.

use crate::event::route_total;
use crate::ip_address::AddressRow;
use crate::ip_pool::PoolRow;
use crate::prepared::{Kind, Prepared, Statement, Value};
use crate::server::ServerRow;
use crate::{corrupt, from_json, json_rows, store_error, PgRepositories};
use diesel::sql_types::Text;
use diesel::RunQueryDsl;
use orgplane_domain::ip_address::IpAddress;
use orgplane_domain::ip_allocation::AllocationInputs;
use orgplane_domain::ip_pool::IpPoolId;
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::server::ServerName;
use orgplane_ports::store::*;
use serde::Deserialize;

/// Every set [`allocation_inputs_by_parts`] reads, in the same order, each as a JSON
/// array: one round trip instead of eight. Each read joins from the few keys before it
/// (its organization's rows, then `pool_ids`), so the planner drives index look-ups from
/// them: written as `IN (subquery)`, it hashed the keys and scanned `ip_pools` and
/// `ip_pool_addresses` whole (2,150 statements a second at the bench's 2,000 pools; 7,500
/// as joins). The routes take the sets as arrays (`= ANY`), so that each of
/// `sent_totals`' three keys is an index scan under the `OR`.
pub(crate) struct Allocation;

impl Statement for Allocation {
    const PARAMETERS: &'static [(&'static str, Kind)] = &[("org", Kind::Int)];
    const SQL: &'static str = "\
, srv AS (SELECT * FROM servers
    WHERE organization_id = (SELECT org FROM arg) AND deleted_at IS NULL)
, own_pools AS (SELECT * FROM ip_pools
    WHERE organization_id = (SELECT org FROM arg) AND deleted_at IS NULL)
, own_addresses AS (SELECT * FROM ip_addresses
    WHERE organization_id = (SELECT org FROM arg) AND deleted_at IS NULL)
, pool_ids AS (
    SELECT id FROM own_pools
    UNION SELECT ip_pool_id FROM srv WHERE ip_pool_id IS NOT NULL
    UNION SELECT m.ip_pool_id FROM own_addresses a
      JOIN ip_pool_addresses m ON m.ip_address_id = a.id
      JOIN ip_pools p ON p.id = m.ip_pool_id AND p.deleted_at IS NULL)
SELECT
  (SELECT coalesce(json_agg(s ORDER BY s.id), '[]') FROM srv s)::text,
  (SELECT coalesce(json_agg(p ORDER BY p.id), '[]') FROM own_pools p)::text,
  (SELECT coalesce(json_agg(a ORDER BY a.id), '[]') FROM own_addresses a)::text,
  (SELECT coalesce(json_agg(p ORDER BY p.id), '[]') FROM pool_ids i
    JOIN ip_pools p ON p.id = i.id WHERE p.deleted_at IS NULL)::text,
  (SELECT coalesce(json_agg(json_build_array(m.ip_pool_id, a) ORDER BY m.ip_pool_id, a.id), '[]')
    FROM pool_ids i JOIN ip_pool_addresses m ON m.ip_pool_id = i.id
      JOIN ip_addresses a ON a.id = m.ip_address_id
    WHERE a.deleted_at IS NULL)::text,
  (SELECT coalesce(json_agg(json_build_array(s.ip_pool_id, s.name) ORDER BY s.id), '[]')
    FROM own_pools p JOIN servers s ON s.ip_pool_id = p.id
    WHERE s.deleted_at IS NULL)::text,
  (SELECT coalesce(json_agg(json_build_array(t.server_id, t.ip_pool_id, t.ip_address_id,
      t.organization_id, t.sent) ORDER BY t.server_id, t.ip_pool_id, t.ip_address_id), '[]')
    FROM sent_totals t
    WHERE t.server_id = ANY ((SELECT array_agg(id) FROM srv)::int8[])
       OR t.ip_pool_id = ANY ((SELECT array_agg(id) FROM own_pools)::int8[])
       OR t.ip_address_id = ANY ((SELECT array_agg(id) FROM own_addresses)::int8[]))::text";
    type Row = (Text, Text, Text, Text, Text, Text, Text);
}

#[derive(Deserialize)]
struct Member(i64, AddressRow);

#[derive(Deserialize)]
struct PoolUser(i64, String);

impl IpAllocationRepository for PgRepositories<'_> {
    fn allocation_inputs(&mut self, organization: OrganizationId) -> StoreResult<AllocationInputs> {
        type Sets = (String, String, String, String, String, String, String);
        let (servers_json, own_pools, own_addresses, all_pools, members, users, routes): Sets =
            Prepared::<Allocation>::new(vec![Value::Int(organization.0)])
                .get_result(self.conn)
                .map_err(store_error)?;
        Ok(AllocationInputs {
            servers: json_rows::<ServerRow, _>("servers", &servers_json)?,
            own_pools: json_rows::<PoolRow, _>("pools", &own_pools)?,
            own_addresses: json_rows::<AddressRow, _>("addresses", &own_addresses)?,
            pools: json_rows::<PoolRow, _>("pools", &all_pools)?,
            memberships: from_json::<Vec<Member>>("pool members", &members)?
                .into_iter()
                .map(|Member(pool, row)| Ok((IpPoolId(pool), IpAddress::try_from(row)?)))
                .collect::<StoreResult<_>>()?,
            pool_users: from_json::<Vec<PoolUser>>("pool users", &users)?
                .into_iter()
                .map(|PoolUser(pool, name)| {
                    // Parsed as the row struct would be: a name that no longer parses is
                    // corrupt data, never passed on.
                    let name = ServerName::parse(&name).map_err(|e| corrupt("server name", e))?;
                    Ok((IpPoolId(pool), name.as_str().to_owned()))
                })
                .collect::<StoreResult<_>>()?,
            routes: from_json::<Vec<(i64, i64, i64, i64, i64)>>("routes", &routes)?
                .into_iter()
                .map(route_total)
                .collect(),
        })
    }
}
