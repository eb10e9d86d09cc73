//! The live statistics' reads, in one statement.

use crate::ip_address::AddressRow;
use crate::prepared::{Prepared, Statement, Value};
use crate::server::{figures, figures_sql};
use crate::{corrupt, store_error, PgRepositories};
use diesel::sql_types::Text;
use diesel::RunQueryDsl;
use orgplane_domain::ip_address::IpAddress;
use orgplane_domain::organization::OrganizationId;
use orgplane_ports::store::*;

/// The servers' figures (`figures_sql`, as `server_figures` reads them) and the addresses
/// of an organization: one round trip instead of two.
struct Inputs;

impl Statement for Inputs {
    const PARAMETERS: &'static [&'static str] = &["org", "since"];
    const SQL: &'static str = concat!(
        "SELECT (",
        figures_sql!(),
        "), (SELECT coalesce(json_agg(a ORDER BY a.id), '[]') FROM ip_addresses a \
         WHERE a.organization_id = (SELECT org FROM arg) AND a.deleted_at IS NULL)::text"
    );
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
        let addresses: Vec<AddressRow> =
            serde_json::from_str(&addresses).map_err(|e| corrupt("addresses", e))?;
        Ok(StatisticsInputs {
            servers: figures(&servers)?,
            addresses: addresses
                .into_iter()
                .map(IpAddress::try_from)
                .collect::<StoreResult<_>>()?,
        })
    }
}
