//! Monthly usage in PostgreSQL.

use crate::schema::{monthly_usage, organizations};
use crate::{corrupt, store_error, PgRepositories};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Nullable, SmallInt};
use orgplane_domain::organization::{MonthlyLimit, OrganizationId};
use orgplane_domain::usage::{Month, Threshold};
use orgplane_ports::store::*;

const ADD_USAGE: &str = "\
    INSERT INTO monthly_usage (organization_id, month, sent, monthly_limit) \
    SELECT * FROM unnest($1::int8[], $2::date[], $3::int8[], $4::int8[]) AS t(o, m, n, l) ORDER BY o, m \
    ON CONFLICT (organization_id, month) DO UPDATE SET \
        sent = monthly_usage.sent + excluded.sent, monthly_limit = excluded.monthly_limit \
    RETURNING organization_id, month, sent, monthly_limit, threshold_recorded";

/// The columns of a [`UsageRow`] in its fields' order, prefixed with the alias `$t`: for
/// statements that send rows as JSON arrays (a test checks the order against
/// `Selectable`).
#[rustfmt::skip] // a column list reads best as a list
macro_rules! usage_columns {
    ($t:literal) => {
        concat!(
            $t, ".organization_id, ", $t, ".month, ", $t, ".sent, ", $t, ".monthly_limit, ",
            $t, ".threshold_recorded"
        )
    };
}
pub(crate) use usage_columns;

// Deserialize: the sub-organization list reads rows as JSON (sub_organization.rs).
#[derive(QueryableByName, Queryable, Selectable, serde::Deserialize)]
#[diesel(table_name = monthly_usage)]
pub(crate) struct UsageRow {
    #[diesel(sql_type = BigInt)]
    organization_id: i64,
    #[diesel(sql_type = Date)]
    month: NaiveDate,
    #[diesel(sql_type = BigInt)]
    sent: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    monthly_limit: Option<i64>,
    #[diesel(sql_type = Nullable<SmallInt>)]
    threshold_recorded: Option<i16>,
}

fn threshold_column(t: Threshold) -> i16 {
    i16::from(t.percent())
}

impl TryFrom<UsageRow> for UsageRecord {
    type Error = StoreError;

    fn try_from(row: UsageRow) -> StoreResult<Self> {
        let threshold_recorded = match row.threshold_recorded {
            None => None,
            Some(p) => Some(
                Threshold::ALL
                    .into_iter()
                    .find(|t| threshold_column(*t) == p)
                    .ok_or_else(|| corrupt("usage threshold", p))?,
            ),
        };
        Ok(UsageRecord {
            organization: OrganizationId(row.organization_id),
            month: Month::starting(row.month).ok_or_else(|| corrupt("usage month", row.month))?,
            sent: row.sent.max(0) as u64,
            limit: row
                .monthly_limit
                .map(MonthlyLimit::new)
                .transpose()
                .map_err(|e| corrupt("usage limit", e))?,
            threshold_recorded,
        })
    }
}

impl UsageRepository for PgRepositories<'_> {
    fn add_usage(&mut self, increments: &[UsageIncrement]) -> StoreResult<Vec<UsageRecord>> {
        if increments.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<UsageRow> = diesel::sql_query(ADD_USAGE)
            .bind::<Array<BigInt>, _>(
                increments
                    .iter()
                    .map(|i| i.organization.0)
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Date>, _>(
                increments
                    .iter()
                    .map(|i| i.month.first_day())
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<BigInt>, _>(
                increments
                    .iter()
                    .map(|i| i64::try_from(i.sent).unwrap_or(i64::MAX))
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Nullable<BigInt>>, _>(
                increments
                    .iter()
                    .map(|i| i.limit.map(MonthlyLimit::get))
                    .collect::<Vec<_>>(),
            )
            .load(self.conn)
            .map_err(store_error)?;
        rows.into_iter().map(UsageRecord::try_from).collect()
    }

    fn record_threshold(
        &mut self,
        organization: OrganizationId,
        month: Month,
        threshold: Threshold,
    ) -> StoreResult<()> {
        diesel::update(
            monthly_usage::table
                .filter(monthly_usage::organization_id.eq(organization.0))
                .filter(monthly_usage::month.eq(month.first_day())),
        )
        .set(monthly_usage::threshold_recorded.eq(threshold_column(threshold)))
        .execute(self.conn)
        .map(|_| ())
        .map_err(store_error)
    }

    fn usage_in_month(
        &mut self,
        organizations: &[OrganizationId],
        month: Month,
    ) -> StoreResult<Vec<UsageRecord>> {
        let ids: Vec<i64> = organizations.iter().map(|o| o.0).collect();
        let rows: Vec<UsageRow> = monthly_usage::table
            .filter(monthly_usage::organization_id.eq_any(ids))
            .filter(monthly_usage::month.eq(month.first_day()))
            .select((
                monthly_usage::organization_id,
                monthly_usage::month,
                monthly_usage::sent,
                monthly_usage::monthly_limit,
                monthly_usage::threshold_recorded,
            ))
            .load(self.conn)
            .map_err(store_error)?;
        rows.into_iter().map(UsageRecord::try_from).collect()
    }

    fn usage_records(
        &mut self,
        root: OrganizationId,
        descendants: bool,
        since: Month,
    ) -> StoreResult<Vec<UsageRecord>> {
        let columns = (
            monthly_usage::organization_id,
            monthly_usage::month,
            monthly_usage::sent,
            monthly_usage::monthly_limit,
            monthly_usage::threshold_recorded,
        );
        let rows: Vec<UsageRow> = if descendants {
            monthly_usage::table
                .inner_join(
                    organizations::table.on(organizations::id.eq(monthly_usage::organization_id)),
                )
                .filter(organizations::path.contains(vec![root.0]))
                .filter(monthly_usage::month.ge(since.first_day()))
                .select(columns)
                .load(self.conn)
        } else {
            monthly_usage::table
                .filter(monthly_usage::organization_id.eq(root.0))
                .filter(monthly_usage::month.ge(since.first_day()))
                .select(columns)
                .load(self.conn)
        }
        .map_err(store_error)?;
        rows.into_iter().map(UsageRecord::try_from).collect()
    }
}
