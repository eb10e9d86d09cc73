//! Mail servers in memory.

use crate::{after, State};
use chrono::{DateTime, Utc};
use orgplane_domain::ip_pool::IpPoolId;
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_domain::server::{Server, ServerId, ServerName, ServerPermalink};
use orgplane_domain::suspension::Suspension;
use orgplane_ports::store::*;
use uuid::Uuid;

impl State {
    fn check_server_unique(&self, server: &Server) -> StoreResult<()> {
        let clash = |s: &&Server| s.id != server.id && s.organization_id == server.organization_id;
        if self
            .live_servers()
            .filter(clash)
            .any(|s| s.name.normalized() == server.name.normalized())
        {
            return Err(StoreError::Conflict(Unique::ServerName));
        }
        if self
            .live_servers()
            .filter(clash)
            .any(|s| s.permalink == server.permalink)
        {
            return Err(StoreError::Conflict(Unique::ServerPermalink));
        }
        Ok(())
    }

    fn server_mut(&mut self, id: ServerId) -> Option<&mut Server> {
        self.servers
            .iter_mut()
            .find(|(s, d)| s.id == id && d.is_none())
            .map(|(s, _)| s)
    }
}

fn sorted(mut servers: Vec<Server>) -> Vec<Server> {
    servers.sort_by_key(|s| s.id);
    servers
}

impl ServerRepository for State {
    fn insert_server(&mut self, new: InsertServer) -> StoreResult<Server> {
        let server = new.into_server(ServerId(self.id()));
        self.check_server_unique(&server)?;
        self.servers.push((server.clone(), None));
        Ok(server)
    }

    fn server_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<Server>> {
        Ok(self.live_servers().find(|s| s.uuid == uuid).cloned())
    }

    fn servers_by_uuids(&mut self, uuids: &[Uuid]) -> StoreResult<Vec<Server>> {
        Ok(sorted(
            self.live_servers()
                .filter(|s| uuids.contains(&s.uuid))
                .cloned()
                .collect(),
        ))
    }

    fn lock_server(&mut self, id: ServerId, _lock: Lock) -> StoreResult<Option<Server>> {
        // Transactions already run one at a time here.
        Ok(self.live_servers().find(|s| s.id == id).cloned())
    }

    fn server_name_taken(
        &mut self,
        organization: OrganizationId,
        name: &ServerName,
        except: Option<ServerId>,
    ) -> StoreResult<bool> {
        Ok(self.live_servers().any(|s| {
            s.organization_id == organization
                && Some(s.id) != except
                && s.name.normalized() == name.normalized()
        }))
    }

    fn server_permalink_taken(
        &mut self,
        organization: OrganizationId,
        permalink: &ServerPermalink,
    ) -> StoreResult<bool> {
        Ok(self
            .live_servers()
            .any(|s| s.organization_id == organization && &s.permalink == permalink))
    }

    fn list_servers(
        &mut self,
        organization: OrganizationId,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<Server>> {
        let mut found = sorted(
            self.live_servers()
                .filter(|s| s.organization_id == organization && s.id.0 > after(cursor))
                .cloned()
                .collect(),
        );
        found.truncate(limit);
        Ok(found)
    }

    fn servers_of(&mut self, organization: OrganizationId) -> StoreResult<Vec<Server>> {
        Ok(sorted(
            self.live_servers()
                .filter(|s| s.organization_id == organization)
                .cloned()
                .collect(),
        ))
    }

    fn servers_of_organizations(
        &mut self,
        organizations: &[OrganizationId],
    ) -> StoreResult<Vec<Server>> {
        Ok(sorted(
            self.live_servers()
                .filter(|s| organizations.contains(&s.organization_id))
                .cloned()
                .collect(),
        ))
    }

    fn server_figures(
        &mut self,
        organization: OrganizationId,
        since: i64,
    ) -> StoreResult<Vec<ServerFigures>> {
        let servers = self.servers_of(organization)?;
        let ids: Vec<_> = servers.iter().map(|s| s.id).collect();
        let queued = self.queue_sizes(&ids)?;
        let sent = self.sent_since(&ids, since)?;
        let of = |counts: &[(ServerId, u64)], id| {
            counts.iter().find(|(s, _)| *s == id).map_or(0, |(_, n)| *n)
        };
        Ok(servers
            .into_iter()
            .map(|server| ServerFigures {
                queued: of(&queued, server.id),
                sent: of(&sent, server.id),
                server,
            })
            .collect())
    }

    fn servers_within(&mut self, root: OrganizationId) -> StoreResult<Vec<Server>> {
        let within: Vec<OrganizationId> = self
            .organizations
            .iter()
            .filter(|(o, d)| d.is_none() && o.is_within(root))
            .map(|(o, _)| o.id)
            .collect();
        Ok(sorted(
            self.live_servers()
                .filter(|s| within.contains(&s.organization_id))
                .cloned()
                .collect(),
        ))
    }

    fn count_servers_within(&mut self, root: Option<OrganizationId>) -> StoreResult<u64> {
        let within: Vec<OrganizationId> = self
            .organizations
            .iter()
            .filter(|(o, d)| d.is_none() && root.is_none_or(|r| o.is_within(r)))
            .map(|(o, _)| o.id)
            .collect();
        Ok(self
            .live_servers()
            .filter(|s| within.contains(&s.organization_id))
            .count() as u64)
    }

    fn servers_using_pools(&mut self, pools: &[IpPoolId]) -> StoreResult<Vec<Server>> {
        Ok(sorted(
            self.live_servers()
                .filter(|s| s.ip_pool_id.is_some_and(|p| pools.contains(&p)))
                .cloned()
                .collect(),
        ))
    }

    fn count_servers(
        &mut self,
        organizations: &[OrganizationId],
    ) -> StoreResult<Vec<(OrganizationId, u64)>> {
        Ok(organizations
            .iter()
            .map(|org| {
                let n = self
                    .live_servers()
                    .filter(|s| s.organization_id == *org)
                    .count();
                (*org, n as u64)
            })
            .filter(|(_, n)| *n > 0)
            .collect())
    }

    fn update_server(&mut self, server: &Server) -> StoreResult<()> {
        self.check_server_unique(server)?;
        if let Some(stored) = self.server_mut(server.id) {
            // The permalink and the organization never change.
            let (permalink, organization) = (stored.permalink.clone(), stored.organization_id);
            *stored = server.clone();
            stored.permalink = permalink;
            stored.organization_id = organization;
        }
        Ok(())
    }

    fn set_server_suspensions(
        &mut self,
        changes: &[(ServerId, Option<Suspension>)],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        for (id, suspension) in changes {
            if let Some(stored) = self.server_mut(*id) {
                stored.suspension = *suspension;
                stored.updated_at = now;
            }
        }
        Ok(())
    }

    fn delete_server(&mut self, id: ServerId, now: DateTime<Utc>) -> StoreResult<()> {
        for (_, deleted) in self
            .servers
            .iter_mut()
            .filter(|(s, d)| s.id == id && d.is_none())
        {
            *deleted = Some(now);
        }
        Ok(())
    }
}

// The live statistics are read piece by piece (the port's default).
impl StatisticsRepository for State {}
