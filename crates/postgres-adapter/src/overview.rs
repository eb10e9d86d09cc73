//! The overview's reads (seed 002), in one statement.

use crate::prepared::{Kind, Prepared, Statement, Value};
use crate::{store_error, PgRepositories};
use diesel::sql_types::BigInt;
use diesel::RunQueryDsl;
use orgplane_domain::organization::OrganizationId;
use orgplane_ports::store::*;

/// Each organization's live users and servers, in the order given, zeros included: one
/// round trip instead of two, each count an index-only range of its organization.
pub(crate) struct Members;

impl Statement for Members {
    const PARAMETERS: &'static [(&'static str, Kind)] = &[("orgs", Kind::Ints)];
    const SQL: &'static str = "\
SELECT o.id,
  (SELECT count(*) FROM users u WHERE u.organization_id = o.id AND u.deleted_at IS NULL),
  (SELECT count(*) FROM servers s WHERE s.organization_id = o.id AND s.deleted_at IS NULL)
FROM unnest((SELECT orgs FROM arg)) WITH ORDINALITY AS o(id, n)
ORDER BY o.n";
    type Row = (BigInt, BigInt, BigInt);
}

impl OverviewRepository for PgRepositories<'_> {
    fn member_counts(
        &mut self,
        organizations: &[OrganizationId],
    ) -> StoreResult<Vec<MemberCounts>> {
        let ids = organizations.iter().map(|o| o.0).collect();
        let rows: Vec<(i64, i64, i64)> = Prepared::<Members>::new(vec![Value::Ints(ids)])
            .load(self.conn)
            .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|(organization, users, servers)| MemberCounts {
                organization: OrganizationId(organization),
                users: users.max(0) as u64,
                servers: servers.max(0) as u64,
            })
            .collect())
    }
}
