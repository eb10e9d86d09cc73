//! The live statistics' reads, in one statement.

use crate::ip_address::AddressRow;
use crate::prepared::{Kind, Prepared, Statement, Value};
use crate::server::{server_figures, ServerRow};
use crate::{from_json, json_rows, store_error, PgRepositories};
use diesel::sql_types::Text;
use diesel::RunQueryDsl;
use orgplane_domain::organization::OrganizationId;
use orgplane_ports::store::*;

/// What `server_figures` and `ip_addresses_of` read, as two JSON arrays: each server
/// with its queue and the sum of its seconds in the window (its primary key's range), and
/// the addresses. One round trip instead of two, prepared once per connection. (Rows go
/// out whole, `json_agg(s)`, and come back through the typed queries' row structs: their
/// fields are the table's columns by name, which `Selectable` checks at compile time.)
pub(crate) struct Inputs;

impl Statement for Inputs {
    const PARAMETERS: &'static [(&'static str, Kind)] = &[("org", Kind::Int), ("since", Kind::Int)];
    const SQL: &'static str = "\
SELECT
  (SELECT coalesce(json_agg(json_build_array(s, q.queued,
      coalesce((SELECT sum(ss.sent) FROM sent_seconds ss
        WHERE ss.server_id = s.id AND ss.second >= (SELECT since FROM arg)), 0))
    ORDER BY s.id), '[]')
    FROM servers s LEFT JOIN server_queues q ON q.server_id = s.id
    WHERE s.organization_id = (SELECT org FROM arg) AND s.deleted_at IS NULL)::text,
  (SELECT coalesce(json_agg(a ORDER BY a.id), '[]') FROM ip_addresses a
    WHERE a.organization_id = (SELECT org FROM arg) AND a.deleted_at IS NULL)::text";
    type Row = (Text, Text);
}

impl StatisticsRepository for PgRepositories<'_> {
    fn statistics_inputs(
        &mut self,
        organization: OrganizationId,
        since: i64,
    ) -> StoreResult<StatisticsInputs> {
        let (servers, addresses): (String, String) =
            Prepared::<Inputs>::new(vec![Value::Int(organization.0), Value::Int(since)])
                .get_result(self.conn)
                .map_err(store_error)?;
        let servers: Vec<(ServerRow, Option<i64>, i64)> = from_json("server figures", &servers)?;
        Ok(StatisticsInputs {
            servers: servers
                .into_iter()
                .map(server_figures)
                .collect::<StoreResult<_>>()?,
            addresses: json_rows::<AddressRow, _>("addresses", &addresses)?,
        })
    }
}
