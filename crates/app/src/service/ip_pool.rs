//! IP pool use cases.

use super::{audit, idempotent, organization_to_grow, reachable_organization, Change, Services};
use orgplane_domain::access::{Actor, Permission};
use orgplane_domain::ip_address::IpAddress;
use orgplane_domain::ip_pool::{IpPool, IpPoolPatch, NewIpPool};
use orgplane_domain::organization::Organization;
use orgplane_domain::page::Page;
use orgplane_ports::store::{InsertIpPool, Lock, Repositories, Store};
use orgplane_ports::usecase::*;
use serde_json::json;
use uuid::Uuid;

/// A live pool whose organization the actor reaches with `permission`, and that
/// organization. Out of reach reads like missing.
fn reachable_pool(
    r: &mut dyn Repositories,
    actor: &Actor,
    id: Uuid,
    permission: Permission,
) -> ServiceResult<(IpPool, Organization)> {
    let pool = r.ip_pool_by_uuid(id)?.ok_or(ServiceError::NotFound)?;
    let org = r
        .organization(pool.organization_id)?
        .filter(|o| actor.reaches(o))
        .ok_or(ServiceError::NotFound)?;
    actor.authorize(permission, &org)?;
    Ok((pool, org))
}

/// A reachable pool about to change, locked, with its organization.
fn locked_pool(
    r: &mut dyn Repositories,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<(IpPool, Organization)> {
    let (found, org) = reachable_pool(r, actor, id, Permission::ManageInfrastructure)?;
    let pool = r
        .lock_ip_pool(found.id, Lock::Update)?
        .ok_or(ServiceError::NotFound)?;
    Ok((pool, org))
}

fn pool_views(r: &mut dyn Repositories, pools: Vec<IpPool>) -> ServiceResult<Vec<IpPoolView>> {
    let ids: Vec<_> = pools.iter().map(|p| p.id).collect();
    let members = r.pool_members(&ids)?;
    let mut org_ids: Vec<_> = pools.iter().map(|p| p.organization_id).collect();
    org_ids.sort();
    org_ids.dedup();
    let orgs = r.organizations_by_ids(&org_ids)?;
    pools
        .into_iter()
        .map(|pool| {
            let organization_uuid = orgs
                .iter()
                .find(|o| o.id == pool.organization_id)
                .map(|o| o.uuid)
                .ok_or_else(|| ServiceError::Internal("pool without organization".into()))?;
            let ip_address_uuids = members
                .iter()
                .filter(|(p, _)| *p == pool.id)
                .map(|(_, a)| a.uuid)
                .collect();
            Ok(IpPoolView {
                pool,
                organization_uuid,
                ip_address_uuids,
            })
        })
        .collect()
}

fn pool_view(r: &mut dyn Repositories, pool: IpPool) -> ServiceResult<IpPoolView> {
    pool_views(r, vec![pool])?
        .pop()
        .ok_or_else(|| ServiceError::Internal("a view of one is one".into()))
}

/// The organization a pool is being made in, its path share-locked (root first) so that
/// nothing above can be deleted meanwhile; with `exclusive` the organization itself is
/// locked for update instead, so that two requests making a default pool take turns.
fn organization_for_pool(
    r: &mut dyn Repositories,
    actor: &Actor,
    id: Uuid,
    exclusive: bool,
) -> ServiceResult<Organization> {
    if !exclusive {
        return organization_to_grow(r, actor, id);
    }
    let found = reachable_organization(r, actor, id)?;
    if !r.lock_path(&found.path[..found.path.len() - 1])? {
        return Err(ServiceError::NotFound);
    }
    r.lock_organization(found.id, Lock::Update)?
        .ok_or(ServiceError::NotFound)
}

/// The address to join to or take out of `pool`: one the actor manages, and one that
/// pool may hold (its organization's, or an ancestor's). Unknown and out of reach alike.
fn member_candidate(
    r: &mut dyn Repositories,
    actor: &Actor,
    pool_org: &Organization,
    address: Uuid,
) -> ServiceResult<IpAddress> {
    let found = r
        .ip_address_by_uuid(address)?
        .ok_or(ServiceError::NotFound)?;
    let owner = r
        .organization(found.organization_id)?
        .filter(|o| actor.reaches(o))
        .ok_or(ServiceError::NotFound)?;
    actor.authorize(Permission::ManageInfrastructure, &owner)?;
    if !found.may_join_pool_of(pool_org) {
        return Err(ServiceError::Invalid(vec![FieldError::new(
            "ip_address_id",
            "a pool holds only addresses of its own organization or of one above it",
        )]));
    }
    Ok(found)
}

impl<S: Store> IpPools for Services<S> {
    fn create_ip_pool(
        &self,
        actor: &Actor,
        organization: Uuid,
        new: NewIpPool,
        idempotency: Option<Idempotency<IpPoolView>>,
    ) -> ServiceResult<Outcome<IpPoolView>> {
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
                    let org = organization_for_pool(r, actor, organization, new.default)?;
                    actor.authorize(Permission::ManageInfrastructure, &org)?;
                    if new.default {
                        r.clear_default_pool(org.id, now)?;
                    }
                    if r.pool_name_taken(org.id, &new.name, None)? {
                        return Err(ServiceError::Conflict(Conflict::PoolNameTaken));
                    }
                    let pool = r.insert_ip_pool(InsertIpPool {
                        uuid,
                        organization_id: org.id,
                        name: new.name,
                        default: new.default,
                        now,
                    })?;
                    let fields = json!({ "name": pool.name.as_str(), "default": pool.default });
                    let change = Change {
                        action: "ip_pool.create",
                        target_type: "ip_pool",
                        target_id: pool.uuid,
                        fields,
                    };
                    audit(r, actor, org.id, change, now)?;
                    pool_view(r, pool)
                },
            )
        })
    }

    fn list_ip_pools(
        &self,
        actor: &Actor,
        organization: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<IpPoolView>> {
        self.read(|r| {
            let org = reachable_organization(r, actor, organization)?;
            actor.authorize(Permission::ViewOrganization, &org)?;
            let found = r.list_ip_pools(org.id, page.cursor, page.fetch())?;
            let page = Page::from_overfetch(found, page.limit, |p| p.id.0);
            Ok(Page {
                items: pool_views(r, page.items)?,
                next: page.next,
            })
        })
    }

    fn get_ip_pool(&self, actor: &Actor, id: Uuid) -> ServiceResult<IpPoolView> {
        self.read(|r| {
            let (pool, _) = reachable_pool(r, actor, id, Permission::ViewOrganization)?;
            pool_view(r, pool)
        })
    }

    fn update_ip_pool(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: IpPoolPatch,
    ) -> ServiceResult<IpPoolView> {
        let now = self.clock.now();
        self.tx(|r| {
            let (found, org) = reachable_pool(r, actor, id, Permission::ManageInfrastructure)?;
            if patch.default == Some(true) && !found.default {
                // The organization first (two new defaults take turns), then the pool.
                r.lock_organization(org.id, Lock::Update)?
                    .ok_or(ServiceError::NotFound)?;
                r.clear_default_pool(org.id, now)?;
            }
            let mut pool = r
                .lock_ip_pool(found.id, Lock::Update)?
                .ok_or(ServiceError::NotFound)?;
            let mut changed = serde_json::Map::new();
            if let Some(name) = patch.name.filter(|n| *n != pool.name) {
                if r.pool_name_taken(org.id, &name, Some(pool.id))? {
                    return Err(ServiceError::Conflict(Conflict::PoolNameTaken));
                }
                changed.insert("name".into(), json!(name.as_str()));
                pool.name = name;
            }
            if let Some(default) = patch.default {
                // `make_default` cleared the flag in the store; this row was read after.
                if default != found.default {
                    changed.insert("default".into(), json!(default));
                }
                pool.default = default;
            }
            if !changed.is_empty() {
                pool.updated_at = now;
                r.update_ip_pool(&pool)?;
                let change = Change {
                    action: "ip_pool.update",
                    target_type: "ip_pool",
                    target_id: pool.uuid,
                    fields: changed.into(),
                };
                audit(r, actor, org.id, change, now)?;
            }
            pool_view(r, pool)
        })
    }

    fn delete_ip_pool(&self, actor: &Actor, id: Uuid) -> ServiceResult<()> {
        let now = self.clock.now();
        self.tx(|r| {
            // Locked first: a server being pointed at the pool right now share-locks it,
            // so it is either seen below or refused the pool once this commits.
            let (pool, org) = locked_pool(r, actor, id)?;
            let users = r.servers_using_pools(&[pool.id])?;
            if !users.is_empty() {
                let names = users.iter().map(|s| s.name.as_str().to_owned()).collect();
                return Err(ServiceError::Conflict(Conflict::PoolInUse(names)));
            }
            r.delete_ip_pool(pool.id, now)?;
            let change = Change {
                action: "ip_pool.delete",
                target_type: "ip_pool",
                target_id: pool.uuid,
                fields: json!({ "name": pool.name.as_str() }),
            };
            audit(r, actor, org.id, change, now)?;
            Ok(())
        })
    }

    fn add_pool_address(
        &self,
        actor: &Actor,
        pool: Uuid,
        address: Uuid,
    ) -> ServiceResult<IpPoolView> {
        let now = self.clock.now();
        self.tx(|r| {
            let (pool, org) = locked_pool(r, actor, pool)?;
            let address = member_candidate(r, actor, &org, address)?;
            r.lock_ip_address(address.id, Lock::Share)?
                .ok_or(ServiceError::NotFound)?;
            if r.add_pool_address(&pool, address.id, now)? {
                let fields =
                    json!({ "ip_address_id": address.uuid, "ipv4": address.ipv4.to_string() });
                let change = Change {
                    action: "ip_pool.address_add",
                    target_type: "ip_pool",
                    target_id: pool.uuid,
                    fields,
                };
                audit(r, actor, org.id, change, now)?;
            }
            pool_view(r, pool)
        })
    }

    fn remove_pool_address(
        &self,
        actor: &Actor,
        pool: Uuid,
        address: Uuid,
    ) -> ServiceResult<IpPoolView> {
        let now = self.clock.now();
        self.tx(|r| {
            let (pool, org) = locked_pool(r, actor, pool)?;
            let address = member_candidate(r, actor, &org, address)?;
            if !r.remove_pool_address(pool.id, address.id)? {
                return Err(ServiceError::NotFound);
            }
            let fields = json!({ "ip_address_id": address.uuid, "ipv4": address.ipv4.to_string() });
            let change = Change {
                action: "ip_pool.address_remove",
                target_type: "ip_pool",
                target_id: pool.uuid,
                fields,
            };
            audit(r, actor, org.id, change, now)?;
            pool_view(r, pool)
        })
    }
}
