//! Security counts in memory.

use crate::State;
use chrono::{DateTime, Utc};
use orgplane_domain::audit::{AccessAction, AccessStatus};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::security::SecurityFacts;
use orgplane_ports::store::*;

impl State {
    fn in_scope(&self, root: Option<OrganizationId>) -> Vec<OrganizationId> {
        self.organizations
            .iter()
            .filter(|(o, d)| d.is_none() && root.is_none_or(|r| o.is_within(r)))
            .map(|(o, _)| o.id)
            .collect()
    }
}

impl SecurityRepository for State {
    fn security_facts(
        &mut self,
        root: Option<OrganizationId>,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<SecurityFacts> {
        let scope = self.in_scope(root);
        let users: Vec<_> = self
            .live_users()
            .filter(|u| scope.contains(&u.home_organization_id))
            .collect();
        let keys: Vec<_> = self
            .api_keys
            .iter()
            .map(|(k, _)| k)
            .filter(|k| scope.contains(&k.organization_id) && k.is_usable_at(now))
            .collect();
        let checks: Vec<_> = self
            .access
            .iter()
            .filter(|e| e.action == AccessAction::Login && e.created_at >= since)
            .filter(|e| e.organization_id.is_some_and(|o| scope.contains(&o)))
            .collect();
        Ok(SecurityFacts {
            users: users.len() as u64,
            verified_users: users.iter().filter(|u| u.verified_email).count() as u64,
            api_keys: keys.len() as u64,
            expiring_api_keys: keys.iter().filter(|k| k.active_until.is_some()).count() as u64,
            password_checks: checks.len() as u64,
            failed_password_checks: checks
                .iter()
                .filter(|e| e.status == AccessStatus::Failure)
                .count() as u64,
        })
    }

    fn live_sessions(
        &mut self,
        root: Option<OrganizationId>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let scope = self.in_scope(root);
        Ok(self
            .sessions
            .iter()
            .map(|(s, _)| s)
            .filter(|s| s.revoked_at.is_none() && s.expires_at > now)
            .filter(|s| {
                self.live_users()
                    .any(|u| u.id == s.user_id && scope.contains(&u.home_organization_id))
            })
            .count() as u64)
    }
}
