//! Monthly usage in memory.

use crate::{State, Usage};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::usage::{Month, Threshold};
use orgplane_ports::store::*;

impl UsageRepository for State {
    fn add_usage(&mut self, increments: &[UsageIncrement]) -> StoreResult<Vec<UsageRecord>> {
        let mut records = Vec::with_capacity(increments.len());
        for i in increments {
            let usage = self
                .usage
                .entry((i.organization, i.month))
                .or_insert(Usage {
                    sent: 0,
                    limit: None,
                    threshold: None,
                });
            usage.sent += i.sent;
            usage.limit = i.limit;
            records.push(UsageRecord {
                organization: i.organization,
                month: i.month,
                sent: usage.sent,
                limit: usage.limit,
                threshold_recorded: usage.threshold,
            });
        }
        Ok(records)
    }

    fn record_threshold(
        &mut self,
        organization: OrganizationId,
        month: Month,
        threshold: Threshold,
    ) -> StoreResult<()> {
        if let Some(usage) = self.usage.get_mut(&(organization, month)) {
            usage.threshold = Some(threshold);
        }
        Ok(())
    }

    fn usage_in_month(
        &mut self,
        organizations: &[OrganizationId],
        month: Month,
    ) -> StoreResult<Vec<UsageRecord>> {
        Ok(organizations
            .iter()
            .filter_map(|org| {
                self.usage.get(&(*org, month)).map(|u| UsageRecord {
                    organization: *org,
                    month,
                    sent: u.sent,
                    limit: u.limit,
                    threshold_recorded: u.threshold,
                })
            })
            .collect())
    }

    fn usage_records(
        &mut self,
        root: OrganizationId,
        descendants: bool,
        since: Month,
    ) -> StoreResult<Vec<UsageRecord>> {
        // Deleted organizations count too: what they sent was sent.
        let in_scope = |org: OrganizationId| {
            if descendants {
                self.organizations
                    .iter()
                    .any(|(o, _)| o.id == org && o.is_within(root))
            } else {
                org == root
            }
        };
        Ok(self
            .usage
            .iter()
            .filter(|((org, month), _)| *month >= since && in_scope(*org))
            .map(|((organization, month), u)| UsageRecord {
                organization: *organization,
                month: *month,
                sent: u.sent,
                limit: u.limit,
                threshold_recorded: u.threshold,
            })
            .collect())
    }
}
