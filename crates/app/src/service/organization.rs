//! Organization use cases.

use super::bootstrap::PLATFORM_PERMALINK;
use super::{
    audit, grow, idempotent, locked_organization, organization_to_grow, reachable_organization,
    Change, Services,
};
use chrono::{DateTime, Utc};
use orgplane_domain::access::{Actor, Denied, Permission, Role};
use orgplane_domain::organization::{
    Customizations, NewOrganization, Organization, OrganizationId, OrganizationPatch, Permalink,
};
use orgplane_domain::page::{Page, SearchTerms};
use orgplane_domain::server::ServerId;
use orgplane_domain::suspension::{self, resolve_subtree, SubtreeNode, Suspension};
use orgplane_ports::store::{InsertOrganization, Lock, OrganizationFilter, Repositories, Store};
use orgplane_ports::usecase::*;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// How many permalinks (`acme`, `acme-2`, ...) are tried before giving up.
const PERMALINK_CANDIDATES: u32 = 20;

/// The fields of an organization as recorded in the audit log.
fn audit_fields(org: &Organization, only: Option<&[&str]>) -> serde_json::Value {
    let p = &org.profile;
    let all = json!({
        "name": org.name,
        "permalink": org.permalink,
        "domain": p.domain,
        "address": p.address,
        "city": p.city,
        "zip": p.zip,
        "country": p.country,
        "country_code": p.country_code,
        "phone": p.phone,
        "time_zone": p.time_zone,
        "limit": org.limit,
        "customizations": org.customizations,
    });
    match (only, all) {
        (Some(fields), serde_json::Value::Object(map)) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(k, _)| fields.contains(&k.as_str()))
                .collect(),
        ),
        (_, all) => all,
    }
}

/// Attaches the public ids of suspension origins: only suspended organizations cost a
/// look-up, once per origin.
fn views(
    r: &mut dyn Repositories,
    orgs: Page<Organization>,
) -> ServiceResult<Page<OrganizationView>> {
    let mut known: HashMap<i64, Uuid> = orgs.items.iter().map(|o| (o.id.0, o.uuid)).collect();
    let mut uuid_of = |r: &mut dyn Repositories, id: OrganizationId| -> ServiceResult<Uuid> {
        if let Some(uuid) = known.get(&id.0) {
            return Ok(*uuid);
        }
        let uuid = super::organization_uuid(r, id)?;
        known.insert(id.0, uuid);
        Ok(uuid)
    };
    let mut items = Vec::with_capacity(orgs.items.len());
    for organization in orgs.items {
        let parent_uuid = organization.parent_uuid;
        let suspended_by_uuid = organization
            .suspension
            .map(|s| uuid_of(r, s.decided_by(organization.id)))
            .transpose()?;
        items.push(OrganizationView {
            organization,
            parent_uuid,
            suspended_by_uuid,
        });
    }
    Ok(Page {
        items,
        next: orgs.next,
    })
}

pub(super) fn view(
    r: &mut dyn Repositories,
    organization: Organization,
) -> ServiceResult<OrganizationView> {
    let page = views(
        r,
        Page {
            items: vec![organization],
            next: None,
        },
    )?;
    page.items
        .into_iter()
        .next()
        .ok_or_else(|| ServiceError::Internal("a view of one is one".into()))
}

/// What a change of suspension reached.
struct Reached {
    organizations: usize,
    servers: usize,
}

/// Suspends `org` (locked, with its ancestors share-locked) or lifts its own suspension,
/// and recomputes the effective suspension of its whole subtree and all its servers.
fn set_suspended(
    r: &mut dyn Repositories,
    org: &Organization,
    suspend: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Option<Reached>> {
    match org.suspension {
        Some(s) if s.is_own() && suspend => return Ok(None),
        None if !suspend => return Ok(None),
        Some(s) if !s.is_own() && !suspend => {
            return Err(ServiceError::Conflict(Conflict::SuspendedFromAbove))
        }
        _ => {}
    }
    let above = match org.parent_id {
        Some(parent) => r.organization(parent)?.and_then(|p| p.suspension),
        None => None,
    };
    let subtree = r.lock_subtree(org.id)?;
    let nodes: Vec<SubtreeNode> = subtree
        .iter()
        .map(|o| SubtreeNode {
            id: o.id,
            parent: o.parent_id,
            own: if o.id == org.id {
                suspend.then_some(now)
            } else {
                o.suspension.filter(|s| s.is_own()).map(|s| s.since)
            },
        })
        .collect();
    let resolved = resolve_subtree(&nodes, above.as_ref());
    let changed: Vec<(OrganizationId, Option<Suspension>)> = resolved
        .iter()
        .filter(|(id, s)| subtree.iter().any(|o| o.id == *id && o.suspension != *s))
        .copied()
        .collect();
    r.set_organization_suspensions(&changed, now)?;
    let effective: HashMap<OrganizationId, Option<Suspension>> = resolved.into_iter().collect();
    let servers: Vec<(ServerId, Option<Suspension>)> = r
        .servers_within(org.id)?
        .into_iter()
        .filter_map(|s| {
            let own = s.suspension.filter(|x| x.is_own()).map(|x| x.since);
            let holder = effective.get(&s.organization_id).copied().flatten();
            let new = suspension::effective(own, holder.as_ref(), s.organization_id);
            (new != s.suspension).then_some((s.id, new))
        })
        .collect();
    r.set_server_suspensions(&servers, now)?;
    Ok(Some(Reached {
        organizations: changed.len(),
        servers: servers.len(),
    }))
}

fn list(
    r: &mut dyn Repositories,
    filter: &OrganizationFilter,
    page: PageRequest,
) -> ServiceResult<Page<OrganizationView>> {
    let found = r.list_organizations(filter, page.cursor, page.fetch())?;
    let page = Page::from_overfetch(found, page.limit, |o| o.id.0);
    views(r, page)
}

/// Creates an organization in the caller's transaction: under `new.parent` (share-locking
/// its path so that nothing above can be deleted meanwhile), else top-level for a platform
/// administrator, else under the caller's home; with its audit entry.
pub(super) fn found(
    r: &mut dyn Repositories,
    actor: &Actor,
    new: NewOrganization,
    uuid: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Organization> {
    // Share-locked, so that the parent cannot be deleted before the child lands.
    let parent = match new.parent {
        Some(parent) => Some(organization_to_grow(r, actor, parent)?),
        // Without a parent, a platform administrator founds a top-level
        // organization; anyone else founds a sub-organization of its home.
        None if actor.is_platform_admin() => None,
        None => {
            let home = r.organization(actor.home)?.ok_or(ServiceError::NotFound)?;
            Some(grow(r, home)?)
        }
    };
    match &parent {
        Some(parent) => {
            actor.authorize(Permission::CreateSubOrganization, parent)?;
            parent
                .check_can_have_children()
                .map_err(|e| ServiceError::Invalid(vec![FieldError::new("parent_id", e)]))?;
        }
        None => actor.holds(Permission::CreateTopLevelOrganization)?,
    }
    let candidates = Permalink::candidates(&new.name, PERMALINK_CANDIDATES).map_err(|e| {
        ServiceError::Invalid(vec![FieldError::new(
            "name",
            format!("no permalink can be made from it: {e}"),
        )])
    })?;
    let mut permalink = None;
    for candidate in candidates {
        if !r.permalink_taken(&candidate)? {
            permalink = Some(candidate);
            break;
        }
    }
    let permalink = permalink.ok_or(ServiceError::Conflict(Conflict::PermalinkTaken))?;
    let org = r.insert_organization(InsertOrganization {
        uuid,
        name: new.name,
        permalink,
        profile: new.profile,
        parent: parent.as_ref().map(|p| p.id),
        parent_uuid: parent.as_ref().map(|p| p.uuid),
        parent_path: parent.as_ref().map(|p| p.path.clone()).unwrap_or_default(),
        limit: new.limit,
        customizations: new.customizations,
        // Born under a suspended organization, it is suspended too.
        suspension: parent
            .as_ref()
            .and_then(|p| p.suspension.map(|s| s.inherited_from(p.id))),
        now,
    })?;
    let mut fields = audit_fields(&org, None);
    fields["parent_id"] = json!(new.parent);
    let change = Change {
        action: "organization.create",
        target_type: "organization",
        target_id: org.uuid,
        fields,
    };
    audit(r, actor, org.id, change, now)?;
    Ok(org)
}

impl<S: Store> Organizations for Services<S> {
    fn create_organization(
        &self,
        actor: &Actor,
        new: NewOrganization,
        idempotency: Option<Idempotency<OrganizationView>>,
    ) -> ServiceResult<Outcome<OrganizationView>> {
        let now = self.clock.now();
        let uuid = self.secrets.uuid();
        self.tx(|r| {
            idempotent(
                r,
                actor,
                idempotency.as_ref(),
                now,
                Permission::CreateSubOrganization,
                |r| {
                    let org = found(r, actor, new, uuid, now)?;
                    view(r, org)
                },
            )
        })
    }

    fn list_organizations(
        &self,
        actor: &Actor,
        query: ListOrganizations,
    ) -> ServiceResult<Page<OrganizationView>> {
        let parent = query
            .parent
            .map(|p| self.reached(actor, p, Permission::ViewOrganization))
            .transpose()?;
        self.read_stale(|r| {
            let filter = OrganizationFilter {
                within: (!actor.is_platform_admin()).then_some(actor.home),
                parent: parent.as_ref().map(|p| p.id),
                terms: query
                    .search
                    .as_ref()
                    .map(|s| SearchTerms::phrase(s).terms().to_vec())
                    .unwrap_or_default(),
            };
            list(r, &filter, query.page)
        })
    }

    fn find_organizations(
        &self,
        actor: &Actor,
        query: FindOrganizations,
    ) -> ServiceResult<FoundOrganizations> {
        // A named parent is resolved on the primary (see `reached`).
        let named = match query.scope {
            OrganizationScope::ChildrenOf(id) => {
                Some(self.reached(actor, id, Permission::ViewOrganization)?)
            }
            _ => None,
        };
        self.read_stale(|r| {
            let parent = named.clone();
            match &parent {
                Some(parent) => actor.authorize(Permission::ViewOrganization, parent)?,
                None => actor.holds(Permission::ViewOrganization)?,
            }
            let filter = OrganizationFilter {
                within: (!actor.is_platform_admin()).then_some(actor.home),
                parent: parent.map(|p| p.id),
                terms: query.search.terms().to_vec(),
            };
            let total = r.count_organizations(&filter)?;
            let found = r.organizations_at(&filter, query.offset, query.limit)?;
            let page = views(
                r,
                Page {
                    items: found,
                    next: None,
                },
            )?;
            Ok(FoundOrganizations {
                items: page.items,
                total,
            })
        })
    }

    fn get_organization_by_key(&self, actor: &Actor, id: i64) -> ServiceResult<OrganizationView> {
        self.read(|r| {
            let org = r
                .organization(OrganizationId(id))?
                .filter(|o| actor.reaches(o))
                .ok_or(ServiceError::NotFound)?;
            actor.authorize(Permission::ViewOrganization, &org)?;
            view(r, org)
        })
    }

    fn get_organization(&self, actor: &Actor, id: Uuid) -> ServiceResult<OrganizationView> {
        self.read(|r| {
            let org = reachable_organization(r, actor, id)?;
            actor.authorize(Permission::ViewOrganization, &org)?;
            view(r, org)
        })
    }

    fn update_organization(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: OrganizationPatch,
    ) -> ServiceResult<OrganizationView> {
        let now = self.clock.now();
        self.tx(|r| {
            let found = reachable_organization(r, actor, id)?;
            if patch.suspended.is_some() {
                // A suspension depends on the ones above: hold them still (root first,
                // before the organization itself, as every lock is taken).
                let ancestors = &found.path[..found.path.len() - 1];
                if !r.lock_path(ancestors)? {
                    return Err(ServiceError::NotFound);
                }
            }
            let mut org = r
                .lock_organization(found.id, Lock::Update)?
                .ok_or(ServiceError::NotFound)?;
            actor.authorize(Permission::UpdateOrganization, &org)?;
            if patch.limit.is_some() || patch.suspended.is_some() {
                actor.may_govern(&org)?;
            }
            let suspended = patch.suspended;
            let changed = org.apply(patch);
            if !changed.is_empty() {
                org.updated_at = now;
                r.update_organization(&org)?;
                let fields = audit_fields(&org, Some(&changed));
                let change = Change {
                    action: "organization.update",
                    target_type: "organization",
                    target_id: org.uuid,
                    fields,
                };
                audit(r, actor, org.id, change, now)?;
            }
            if let Some(suspend) = suspended {
                if let Some(reached) = set_suspended(r, &org, suspend, now)? {
                    let action = if suspend {
                        "organization.suspend"
                    } else {
                        "organization.unsuspend"
                    };
                    let fields = json!({
                        "suspended": suspend,
                        "organizations_affected": reached.organizations,
                        "servers_affected": reached.servers,
                    });
                    let change = Change {
                        action,
                        target_type: "organization",
                        target_id: org.uuid,
                        fields,
                    };
                    audit(r, actor, org.id, change, now)?;
                }
                org = r.organization(org.id)?.ok_or(ServiceError::NotFound)?;
            }
            view(r, org)
        })
    }

    fn delete_organization(&self, actor: &Actor, id: Uuid, cascade: bool) -> ServiceResult<()> {
        let now = self.clock.now();
        self.tx(|r| {
            let org = locked_organization(r, actor, id, Lock::Update)?;
            actor.authorize(Permission::DeleteOrganization, &org)?;
            if org.id == actor.home {
                return Err(ServiceError::Conflict(Conflict::OwnHomeOrganization));
            }
            if org.permalink.as_str() == PLATFORM_PERMALINK && org.parent_id.is_none() {
                return Err(ServiceError::Conflict(Conflict::PlatformOrganization));
            }
            // Deleting an organization deletes its users: the platform-admin rule holds.
            if !actor.is_platform_admin()
                && r.count_users_with_role_within(org.id, Role::PlatformAdmin)? > 0
            {
                return Err(ServiceError::Forbidden(Denied::Forbidden));
            }
            let children = r.count_children(org.id)?;
            if children > 0 && !cascade {
                return Err(ServiceError::Conflict(Conflict::HasChildren(children)));
            }
            let deleted = r.delete_organization_subtree(org.id, now)?;
            let fields = json!({ "cascade": cascade, "organizations_deleted": deleted });
            let change = Change {
                action: "organization.delete",
                target_type: "organization",
                target_id: org.uuid,
                fields,
            };
            audit(r, actor, org.id, change, now)?;
            Ok(())
        })
    }

    fn list_children(
        &self,
        actor: &Actor,
        id: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<OrganizationView>> {
        let org = self.reached(actor, id, Permission::ViewOrganization)?;
        self.read_stale(|r| {
            list(
                r,
                &OrganizationFilter {
                    parent: Some(org.id),
                    ..Default::default()
                },
                page,
            )
        })
    }

    fn put_customizations(
        &self,
        actor: &Actor,
        id: Uuid,
        customizations: Customizations,
    ) -> ServiceResult<Customizations> {
        let now = self.clock.now();
        self.tx(|r| {
            let mut org = locked_organization(r, actor, id, Lock::Update)?;
            actor.authorize(Permission::UpdateOrganization, &org)?;
            let changed = org.apply(OrganizationPatch {
                customizations: Some(customizations),
                ..Default::default()
            });
            if !changed.is_empty() {
                org.updated_at = now;
                r.update_organization(&org)?;
                let fields = audit_fields(&org, Some(&changed));
                let change = Change {
                    action: "organization.customizations.update",
                    target_type: "organization",
                    target_id: org.uuid,
                    fields,
                };
                audit(r, actor, org.id, change, now)?;
            }
            Ok(org.customizations)
        })
    }
}
