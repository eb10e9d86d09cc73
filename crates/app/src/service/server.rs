//! Mail server use cases.

use super::{audit, idempotent, organization_to_grow, reachable_organization, Change, Services};
use chrono::{DateTime, Utc};
use orgplane_domain::access::{Actor, Permission};
use orgplane_domain::ip_pool::{nearest_default, IpPool};
use orgplane_domain::organization::{Organization, OrganizationId};
use orgplane_domain::page::Page;
use orgplane_domain::sending::{self, SEND_LIMIT_WINDOW_SECS};
use orgplane_domain::server::{NewServer, PoolChoice, Server, ServerPatch, ServerPermalink};
use orgplane_domain::statistics::window_start;
use orgplane_domain::suspension::{self, Suspension, SuspensionOrigin};
use orgplane_ports::store::{InsertServer, Lock, Repositories, Store};
use orgplane_ports::usecase::*;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// How many permalinks (`marketing`, `marketing-2`, ...) are tried before giving up.
const PERMALINK_CANDIDATES: u32 = 20;

/// A live server whose organization the actor reaches with `permission`, and that
/// organization. Out of reach reads like missing.
pub(super) fn reachable_server(
    r: &mut dyn Repositories,
    actor: &Actor,
    id: Uuid,
    permission: Permission,
) -> ServiceResult<(Server, Organization)> {
    let server = r.server_by_uuid(id)?.ok_or(ServiceError::NotFound)?;
    let org = r
        .organization(server.organization_id)?
        .filter(|o| actor.reaches(o))
        .ok_or(ServiceError::NotFound)?;
    actor.authorize(permission, &org)?;
    Ok((server, org))
}

/// Attaches the public ids of organizations and pools, looking each up once.
pub(super) fn server_views(
    r: &mut dyn Repositories,
    servers: Vec<Server>,
) -> ServiceResult<Vec<ServerView>> {
    let mut org_ids: Vec<OrganizationId> = servers.iter().map(|s| s.organization_id).collect();
    org_ids.extend(servers.iter().filter_map(|s| match s.suspension?.origin {
        SuspensionOrigin::Organization(id) => Some(id),
        SuspensionOrigin::Itself => None,
    }));
    org_ids.sort();
    org_ids.dedup();
    let orgs: HashMap<OrganizationId, Uuid> = r
        .organizations_by_ids(&org_ids)?
        .into_iter()
        .map(|o| (o.id, o.uuid))
        .collect();
    let mut pool_ids: Vec<_> = servers.iter().filter_map(|s| s.ip_pool_id).collect();
    pool_ids.sort();
    pool_ids.dedup();
    let pools: HashMap<_, Uuid> = r
        .ip_pools_by_ids(&pool_ids)?
        .into_iter()
        .map(|p| (p.id, p.uuid))
        .collect();
    servers
        .into_iter()
        .map(|server| {
            let organization_uuid = *orgs.get(&server.organization_id).ok_or_else(|| {
                ServiceError::Internal(format!("server {} has no organization", server.id.0))
            })?;
            let suspended_by_uuid = match server.suspension.map(|s| s.origin) {
                Some(SuspensionOrigin::Organization(id)) => orgs.get(&id).copied(),
                _ => None,
            };
            Ok(ServerView {
                organization_uuid,
                ip_pool_uuid: server.ip_pool_id.and_then(|p| pools.get(&p).copied()),
                suspended_by_uuid,
                server,
            })
        })
        .collect()
}

fn server_view(r: &mut dyn Repositories, server: Server) -> ServiceResult<ServerView> {
    server_views(r, vec![server])?
        .pop()
        .ok_or_else(|| ServiceError::Internal("a view of one is one".into()))
}

/// The pool a server of `org` is to send through, share-locked so that it cannot be
/// deleted before the server points at it. An explicit pool must be one `org` may use;
/// an unknown one and one out of reach are refused alike.
fn chosen_pool(
    r: &mut dyn Repositories,
    org: &Organization,
    choice: PoolChoice,
) -> ServiceResult<Option<IpPool>> {
    let unusable = || {
        ServiceError::Invalid(vec![FieldError::new(
            "ip_pool_id",
            "no such IP pool among those this organization may use (its own and its ancestors')",
        )])
    };
    let pool = match choice {
        PoolChoice::None => return Ok(None),
        PoolChoice::Default => {
            let defaults = r.default_pools(&org.path)?;
            match nearest_default(org, &defaults) {
                Some(pool) => pool.clone(),
                None => return Ok(None),
            }
        }
        PoolChoice::Pool(uuid) => r
            .ip_pool_by_uuid(uuid)?
            .filter(|p| p.usable_by(org))
            .ok_or_else(unusable)?,
    };
    r.lock_ip_pool(pool.id, Lock::Share)?
        .map(Some)
        .ok_or_else(unusable)
}

fn server_fields(server: &Server, pool_uuid: Option<Uuid>) -> serde_json::Value {
    json!({
        "name": server.name.as_str(),
        "permalink": server.permalink.as_str(),
        "mode": server.mode.as_str(),
        "ip_pool_id": pool_uuid,
        "send_limit": server.send_limit.map(|l| l.get()),
        "suspended": server.suspension.is_some(),
    })
}

/// The server's suspension after a request to suspend it (or lift its own suspension),
/// given its organization's; `None` when nothing changes.
fn resuspend(
    server: &Server,
    org: &Organization,
    suspend: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Option<Option<Suspension>>> {
    match (suspend, server.suspension) {
        (true, Some(s)) if s.is_own() => Ok(None),
        (true, _) => Ok(Some(Some(Suspension::own(now)))),
        (false, None) => Ok(None),
        (false, Some(s)) if !s.is_own() => {
            Err(ServiceError::Conflict(Conflict::SuspendedFromAbove))
        }
        (false, Some(_)) => Ok(Some(suspension::effective(
            None,
            org.suspension.as_ref(),
            org.id,
        ))),
    }
}

impl<S: Store> Servers for Services<S> {
    fn create_server(
        &self,
        actor: &Actor,
        organization: Uuid,
        new: NewServer,
        idempotency: Option<Idempotency<ServerView>>,
    ) -> ServiceResult<Outcome<ServerView>> {
        let now = self.clock.now();
        let uuid = self.secrets.uuid();
        self.tx(|r| {
            idempotent(
                r,
                actor,
                idempotency.as_ref(),
                now,
                Permission::ManageInfrastructure,
                |r| {
                    // Path-locked (root first), then the pool, as every change locks.
                    let org = organization_to_grow(r, actor, organization)?;
                    actor.authorize(Permission::ManageInfrastructure, &org)?;
                    let pool = chosen_pool(r, &org, new.ip_pool)?;
                    if r.server_name_taken(org.id, &new.name, None)? {
                        return Err(ServiceError::Conflict(Conflict::ServerNameTaken));
                    }
                    let candidates = ServerPermalink::candidates(&new.name, PERMALINK_CANDIDATES)
                        .map_err(|e| {
                        ServiceError::Invalid(vec![FieldError::new(
                            "name",
                            format!("no permalink can be made from it: {e}"),
                        )])
                    })?;
                    let mut permalink = None;
                    for candidate in candidates {
                        if !r.server_permalink_taken(org.id, &candidate)? {
                            permalink = Some(candidate);
                            break;
                        }
                    }
                    let permalink =
                        permalink.ok_or(ServiceError::Conflict(Conflict::ServerNameTaken))?;
                    let server = r.insert_server(InsertServer {
                        uuid,
                        organization_id: org.id,
                        name: new.name,
                        permalink,
                        mode: new.mode,
                        ip_pool_id: pool.as_ref().map(|p| p.id),
                        send_limit: new.send_limit,
                        // Born in a suspended organization, it is suspended too.
                        suspension: org.suspension.map(|s| s.inherited_from(org.id)),
                        now,
                    })?;
                    let fields = server_fields(&server, pool.as_ref().map(|p| p.uuid));
                    let change = Change {
                        action: "server.create",
                        target_type: "server",
                        target_id: server.uuid,
                        fields,
                    };
                    audit(r, actor, org.id, change, now)?;
                    server_view(r, server)
                },
            )
        })
    }

    fn list_servers(
        &self,
        actor: &Actor,
        organization: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<ServerView>> {
        self.read(|r| {
            let org = reachable_organization(r, actor, organization)?;
            actor.authorize(Permission::ViewOrganization, &org)?;
            let found = r.list_servers(org.id, page.cursor, page.fetch())?;
            let page = Page::from_overfetch(found, page.limit, |s| s.id.0);
            Ok(Page {
                items: server_views(r, page.items)?,
                next: page.next,
            })
        })
    }

    fn get_server(&self, actor: &Actor, id: Uuid) -> ServiceResult<ServerView> {
        self.read(|r| {
            let (server, _) = reachable_server(r, actor, id, Permission::ViewOrganization)?;
            server_view(r, server)
        })
    }

    fn update_server(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: ServerPatch,
    ) -> ServiceResult<ServerView> {
        let now = self.clock.now();
        self.tx(|r| {
            let (found, org) = reachable_server(r, actor, id, Permission::ManageInfrastructure)?;
            // Organizations (root first), then the pool, then the server.
            if !r.lock_path(&org.path)? {
                return Err(ServiceError::NotFound);
            }
            let org = r.organization(org.id)?.ok_or(ServiceError::NotFound)?;
            let pool = patch
                .ip_pool
                .map(|choice| chosen_pool(r, &org, choice))
                .transpose()?;
            let mut server = r
                .lock_server(found.id, Lock::Update)?
                .ok_or(ServiceError::NotFound)?;
            let mut changed = serde_json::Map::new();
            if let Some(name) = patch.name.filter(|n| *n != server.name) {
                if r.server_name_taken(org.id, &name, Some(server.id))? {
                    return Err(ServiceError::Conflict(Conflict::ServerNameTaken));
                }
                changed.insert("name".into(), json!(name.as_str()));
                server.name = name;
            }
            if let Some(mode) = patch.mode.filter(|m| *m != server.mode) {
                changed.insert("mode".into(), json!(mode.as_str()));
                server.mode = mode;
            }
            if let Some(pool) = pool {
                let id = pool.as_ref().map(|p| p.id);
                if id != server.ip_pool_id {
                    changed.insert("ip_pool_id".into(), json!(pool.map(|p| p.uuid)));
                    server.ip_pool_id = id;
                }
            }
            if let Some(limit) = patch.send_limit.filter(|l| *l != server.send_limit) {
                changed.insert("send_limit".into(), json!(limit.map(|l| l.get())));
                server.send_limit = limit;
            }
            if let Some(suspend) = patch.suspended {
                if let Some(suspension) = resuspend(&server, &org, suspend, now)? {
                    changed.insert("suspended".into(), json!(suspension.is_some()));
                    server.suspension = suspension;
                }
            }
            if !changed.is_empty() {
                server.updated_at = now;
                r.update_server(&server)?;
                let change = Change {
                    action: "server.update",
                    target_type: "server",
                    target_id: server.uuid,
                    fields: changed.into(),
                };
                audit(r, actor, org.id, change, now)?;
            }
            server_view(r, server)
        })
    }

    fn delete_server(&self, actor: &Actor, id: Uuid) -> ServiceResult<()> {
        let now = self.clock.now();
        self.tx(|r| {
            let (found, org) = reachable_server(r, actor, id, Permission::ManageInfrastructure)?;
            let server = r
                .lock_server(found.id, Lock::Update)?
                .ok_or(ServiceError::NotFound)?;
            r.delete_server(server.id, now)?;
            let change = Change {
                action: "server.delete",
                target_type: "server",
                target_id: server.uuid,
                fields: json!({ "name": server.name.as_str() }),
            };
            audit(r, actor, org.id, change, now)?;
            Ok(())
        })
    }

    fn sending(&self, actor: &Actor, id: Uuid) -> ServiceResult<SendingReport> {
        let now = self.clock.now();
        self.read(|r| {
            let (server, _) = reachable_server(r, actor, id, Permission::ViewOrganization)?;
            let addresses: Vec<_> = match server.ip_pool_id {
                Some(pool) => r
                    .pool_members(&[pool])?
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect(),
                None => Vec::new(),
            };
            let since = window_start(now, SEND_LIMIT_WINDOW_SECS);
            let sent = r
                .sent_since(&[server.id], since)?
                .first()
                .map_or(0, |(_, n)| *n);
            let view = sending::decide(&server, &addresses, sent);
            Ok(SendingReport {
                server: server_view(r, server)?,
                view,
            })
        })
    }
}
