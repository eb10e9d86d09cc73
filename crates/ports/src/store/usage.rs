//! Monthly usage per organization.

use super::StoreResult;
use orgplane_domain::organization::{MonthlyLimit, OrganizationId};
use orgplane_domain::usage::{Month, Threshold};

/// Sent messages to add to one organization's month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageIncrement {
    /// The organization.
    pub organization: OrganizationId,
    /// The month.
    pub month: Month,
    /// Messages to add.
    pub sent: u64,
    /// The organization's limit now (recorded with the month).
    pub limit: Option<MonthlyLimit>,
}

/// One organization's month as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageRecord {
    /// The organization.
    pub organization: OrganizationId,
    /// The month.
    pub month: Month,
    /// Messages sent.
    pub sent: u64,
    /// The limit as of the last message counted.
    pub limit: Option<MonthlyLimit>,
    /// The highest threshold already recorded in the audit log this month.
    pub threshold_recorded: Option<Threshold>,
}

/// Monthly usage.
pub trait UsageRepository {
    /// Adds to each organization's month (in key order) and returns the months as they
    /// are now.
    fn add_usage(&mut self, increments: &[UsageIncrement]) -> StoreResult<Vec<UsageRecord>>;
    /// Records that `threshold` was reached by `organization` in `month`.
    fn record_threshold(
        &mut self,
        organization: OrganizationId,
        month: Month,
        threshold: Threshold,
    ) -> StoreResult<()>;
    /// The records of these organizations in `month` (those that sent nothing are missing).
    fn usage_in_month(
        &mut self,
        organizations: &[OrganizationId],
        month: Month,
    ) -> StoreResult<Vec<UsageRecord>>;
    /// The months from `since` on of `root` (and, with `descendants`, of every
    /// organization below it, deleted ones included: what they sent was sent).
    fn usage_records(
        &mut self,
        root: OrganizationId,
        descendants: bool,
        since: Month,
    ) -> StoreResult<Vec<UsageRecord>>;
}
