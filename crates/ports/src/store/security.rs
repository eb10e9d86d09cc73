//! Counts over what a caller reaches, for the security overview.

use super::StoreResult;
use chrono::{DateTime, Utc};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::security::SecurityFacts;

/// Security counts.
pub trait SecurityRepository {
    /// The facts of the security score over `root` and its descendants (`None`: every
    /// organization), counting password checks from `since` and keys live at `now`.
    fn security_facts(
        &mut self,
        root: Option<OrganizationId>,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<SecurityFacts>;
    /// Login sessions live at `now` of users of `root` and its descendants (`None`:
    /// everywhere).
    fn live_sessions(
        &mut self,
        root: Option<OrganizationId>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}
