//! The sub-organization list's read, in one statement.

use crate::organization::OrganizationRow;
use crate::prepared::{Kind, Prepared, Statement, Value};
use crate::usage::UsageRow;
use crate::{corrupt, store_error, PgRepositories};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::RunQueryDsl;
use orgplane_domain::organization::{Organization, OrganizationId};
use orgplane_domain::usage::Month;
use orgplane_ports::store::*;

/// What `children_page_by_parts` reads, at once: the parent as JSON (none if it is not
/// live), its children counted (`organization_counts`), the page as a JSON array (its
/// keys from the `(parent_id, id)` index first, then their rows), and the page's month as
/// a JSON array. One round trip instead of four, prepared once per connection.
pub(crate) struct Children;

impl Statement for Children {
    const PARAMETERS: &'static [(&'static str, Kind)] = &[
        ("parent", Kind::Int),
        ("skip", Kind::Int),
        ("lim", Kind::Int),
        ("month", Kind::Date),
    ];
    const SQL: &'static str = "\
, parent AS (
  SELECT o.* FROM organizations o
  WHERE o.id = (SELECT parent FROM arg) AND o.deleted_at IS NULL),
page AS (
  SELECT c.* FROM organizations c WHERE c.id IN (
    SELECT k.id FROM organizations k
    WHERE k.parent_id = (SELECT id FROM parent) AND k.deleted_at IS NULL
    ORDER BY k.id OFFSET (SELECT skip FROM arg) LIMIT (SELECT lim FROM arg)))
SELECT
  (SELECT row_to_json(p)::text FROM parent p),
  (SELECT n.children FROM organization_counts n
    WHERE n.organization_id = (SELECT id FROM parent)),
  (SELECT coalesce(json_agg(c ORDER BY c.id), '[]')::text FROM page c),
  (SELECT coalesce(json_agg(u ORDER BY u.organization_id), '[]')::text FROM monthly_usage u
    WHERE u.organization_id IN (SELECT id FROM page) AND u.month = (SELECT month FROM arg))";
    type Row = (Nullable<Text>, Nullable<BigInt>, Text, Text);
}

fn decoded<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> StoreResult<T> {
    serde_json::from_str(json).map_err(|e| corrupt(what, e))
}

impl SubOrganizationRepository for PgRepositories<'_> {
    fn children_page(
        &mut self,
        parent: OrganizationId,
        terms: &[String],
        offset: u64,
        limit: usize,
        month: Month,
    ) -> StoreResult<Option<ChildrenPage>> {
        // A search is planned for its terms (see `organization::filtered`), never prepared.
        if !terms.is_empty() {
            return children_page_by_parts(self, parent, terms, offset, limit, month);
        }
        let values = vec![
            Value::Int(parent.0),
            Value::Int(i64::try_from(offset).unwrap_or(i64::MAX)),
            Value::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
            Value::Date(month.first_day()),
        ];
        let (parent, total, children, usage): (Option<String>, Option<i64>, String, String) =
            Prepared::<Children>::new(values)
                .get_result(self.conn)
                .map_err(store_error)?;
        let Some(parent) = parent else {
            return Ok(None);
        };
        let parent: OrganizationRow = decoded("organization", &parent)?;
        let children: Vec<OrganizationRow> = decoded("organizations", &children)?;
        let usage: Vec<UsageRow> = decoded("monthly usage", &usage)?;
        Ok(Some(ChildrenPage {
            parent: Organization::try_from(parent)?,
            total: total.unwrap_or(0).max(0) as u64,
            children: children
                .into_iter()
                .map(Organization::try_from)
                .collect::<StoreResult<_>>()?,
            usage: usage
                .into_iter()
                .map(UsageRecord::try_from)
                .collect::<StoreResult<_>>()?,
        }))
    }
}
