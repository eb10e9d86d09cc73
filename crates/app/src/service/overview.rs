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
            // One count per organization asked, in their order (the port's promise).
            Ok(orgs
                .iter()
                .zip(r.member_counts(&ids)?)
                .map(|(o, c)| OrganizationCounts {
                    organization: o.uuid,
                    users: c.users,
                    servers: c.servers,
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
