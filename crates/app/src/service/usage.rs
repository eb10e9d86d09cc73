//! Consumption: usage, limit, overage and spend per month.

use super::{in_reach, Services};
use orgplane_domain::access::{Actor, Permission};
use orgplane_domain::organization::Organization;
use orgplane_domain::usage::{Month, MonthlyUsage, OveragePrice, Rollup};
use orgplane_ports::store::{Store, UsageRecord};
use orgplane_ports::usecase::*;
use uuid::Uuid;

/// `org`'s usage in `month` from the month's `records` (none: it sent nothing), against
/// the limit in force now.
fn this_month(
    records: &[UsageRecord],
    org: &Organization,
    month: Month,
    price: OveragePrice,
) -> MonthlyUsage {
    let sent = records
        .iter()
        .find(|u| u.organization == org.id)
        .map_or(0, |u| u.sent);
    MonthlyUsage::compute(month, sent, org.limit, price)
}

/// The most months one consumption report covers.
pub const MAX_MONTHS: usize = 36;

impl<S: Store> Usage for Services<S> {
    fn sub_organizations(
        &self,
        actor: &Actor,
        query: FindSubOrganizations,
    ) -> ServiceResult<SubOrganizationPage> {
        let month = Month::of(self.clock.now());
        let price = self.policy.price;
        // The caller's own organization is always in its reach: the role is the check.
        actor.holds(Permission::ViewOrganization)?;
        self.read_stale(|r| {
            let found = r
                .children_page(
                    actor.home,
                    query.search.terms(),
                    query.offset,
                    query.limit,
                    month,
                )?
                .ok_or(ServiceError::NotFound)?;
            debug_assert!(actor.reaches(&found.parent), "home is within reach");
            let items = found
                .children
                .into_iter()
                .map(|child| {
                    let usage = this_month(&found.usage, &child, month, price);
                    (child, usage)
                })
                .collect();
            Ok(SubOrganizationPage {
                items,
                total: found.total,
            })
        })
    }

    fn current_usage(
        &self,
        actor: &Actor,
        organizations: &[OrganizationView],
    ) -> ServiceResult<Vec<(Uuid, MonthlyUsage)>> {
        let month = Month::of(self.clock.now());
        let price = self.policy.price;
        let orgs = in_reach(actor, organizations);
        self.read_stale(|r| {
            let ids: Vec<_> = orgs.iter().map(|o| o.id).collect();
            let records = r.usage_in_month(&ids, month)?;
            Ok(orgs
                .iter()
                .map(|org| (org.uuid, this_month(&records, org, month, price)))
                .collect())
        })
    }

    fn consumption(
        &self,
        actor: &Actor,
        organization: Uuid,
        months: usize,
    ) -> ServiceResult<Consumption> {
        if !(1..=MAX_MONTHS).contains(&months) {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "months",
                format!("must be a whole number from 1 to {MAX_MONTHS}"),
            )]));
        }
        let now = self.clock.now();
        let price = self.policy.price;
        let org = self.reached(actor, organization, Permission::ViewOrganization)?;
        self.read_stale(|r| {
            let wanted = Month::of(now).last(months);
            let since = *wanted.last().unwrap_or(&Month::of(now));
            let subtree = r.usage_records(org.id, true, since)?;
            let months = wanted
                .into_iter()
                .map(|month| {
                    let in_month = || subtree.iter().filter(move |u| u.month == month);
                    let own_record = in_month().find(|u| u.organization == org.id);
                    // A month without a record sent nothing; its limit is unknown, so the
                    // current one stands in (for this month it is the one that applies).
                    let own = MonthlyUsage::compute(
                        month,
                        own_record.map_or(0, |u| u.sent),
                        own_record.map_or(org.limit, |u| u.limit),
                        price,
                    );
                    let each: Vec<MonthlyUsage> = in_month()
                        .map(|u| MonthlyUsage::compute(month, u.sent, u.limit, price))
                        .collect();
                    ConsumptionMonth {
                        own,
                        with_descendants: Rollup::of(&each),
                    }
                })
                .collect();
            Ok(Consumption {
                organization_uuid: org.uuid,
                price,
                months,
            })
        })
    }
}
