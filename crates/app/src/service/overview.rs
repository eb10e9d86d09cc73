//! The overview of what a caller reaches (seed 002): counts per organization and the
//! security facts.

use super::{in_reach, Services};
use chrono::Duration;
use orgplane_domain::access::{Actor, Permission};
use orgplane_ports::store::Store;
use orgplane_ports::usecase::*;

impl<S: Store> Overview for Services<S> {
    fn organization_counts(
        &self,
        actor: &Actor,
        organizations: &[OrganizationView],
    ) -> ServiceResult<Vec<OrganizationCounts>> {
        let orgs = in_reach(actor, organizations);
        self.read_stale(|r| {
            let ids: Vec<_> = orgs.iter().map(|o| o.id).collect();
            let users = r.count_users_by_organization(&ids)?;
            let servers = r.count_servers(&ids)?;
            let count = |counts: &[(orgplane_domain::organization::OrganizationId, u64)], id| {
                counts.iter().find(|(o, _)| *o == id).map_or(0, |(_, n)| *n)
            };
            Ok(orgs
                .iter()
                .map(|o| OrganizationCounts {
                    organization: o.uuid,
                    users: count(&users, o.id),
                    servers: count(&servers, o.id),
                })
                .collect())
        })
    }

    fn security_overview(&self, actor: &Actor) -> ServiceResult<SecurityOverview> {
        actor.holds(Permission::ViewOrganization)?;
        let now = self.clock.now();
        let root = (!actor.is_platform_admin()).then_some(actor.home);
        self.read_stale(|r| {
            Ok(SecurityOverview {
                active_sessions: r.live_sessions(root, now)?,
                servers: r.count_servers_within(root)?,
                facts: r.security_facts(root, now - Duration::hours(24), now)?,
            })
        })
    }
}
