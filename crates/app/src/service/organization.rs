//! Organization use cases.

use super::bootstrap::PLATFORM_PERMALINK;
use super::{
    audit, grow, locked_organization, organization_to_grow, reachable_organization, Change,
    Services,
};
use orgplane_domain::access::{Actor, Denied, Permission, Role};
use orgplane_domain::organization::{
    Customizations, NewOrganization, Organization, OrganizationPatch, Permalink,
};
use orgplane_domain::page::Page;
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

/// Attaches parents' public ids, looking each parent up once.
fn views(
    r: &mut dyn Repositories,
    orgs: Page<Organization>,
) -> ServiceResult<Page<OrganizationView>> {
    let mut parents: HashMap<i64, Uuid> = orgs.items.iter().map(|o| (o.id.0, o.uuid)).collect();
    let mut items = Vec::with_capacity(orgs.items.len());
    for organization in orgs.items {
        let parent_uuid = match organization.parent_id {
            None => None,
            Some(pid) => match parents.get(&pid.0) {
                Some(uuid) => Some(*uuid),
                None => {
                    let uuid = super::organization_uuid(r, pid)?;
                    parents.insert(pid.0, uuid);
                    Some(uuid)
                }
            },
        };
        items.push(OrganizationView {
            organization,
            parent_uuid,
        });
    }
    Ok(Page {
        items,
        next: orgs.next,
    })
}

fn view(r: &mut dyn Repositories, organization: Organization) -> ServiceResult<OrganizationView> {
    let parent_uuid = organization
        .parent_id
        .map(|p| super::organization_uuid(r, p))
        .transpose()?;
    Ok(OrganizationView {
        organization,
        parent_uuid,
    })
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

impl<S: Store> Organizations for Services<S> {
    fn create_organization(
        &self,
        actor: &Actor,
        new: NewOrganization,
    ) -> ServiceResult<OrganizationView> {
        let now = self.clock.now();
        let uuid = self.secrets.uuid();
        self.tx(|r| {
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
                    parent.check_can_have_children().map_err(|e| {
                        ServiceError::Invalid(vec![FieldError::new("parent_id", e)])
                    })?;
                }
                None => actor.holds(Permission::CreateTopLevelOrganization)?,
            }
            let candidates =
                Permalink::candidates(&new.name, PERMALINK_CANDIDATES).map_err(|e| {
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
                parent_path: parent.as_ref().map(|p| p.path.clone()).unwrap_or_default(),
                limit: new.limit,
                customizations: new.customizations,
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
            view(r, org)
        })
    }

    fn list_organizations(
        &self,
        actor: &Actor,
        query: ListOrganizations,
    ) -> ServiceResult<Page<OrganizationView>> {
        self.tx(|r| {
            let parent = query
                .parent
                .map(|p| reachable_organization(r, actor, p))
                .transpose()?;
            let filter = OrganizationFilter {
                within: (!actor.is_platform_admin()).then_some(actor.home),
                parent: parent.map(|p| p.id),
                search: query.search.as_ref().map(|s| s.as_str().to_owned()),
            };
            list(r, &filter, query.page)
        })
    }

    fn get_organization(&self, actor: &Actor, id: Uuid) -> ServiceResult<OrganizationView> {
        self.tx(|r| {
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
            let mut org = locked_organization(r, actor, id, Lock::Update)?;
            actor.authorize(Permission::UpdateOrganization, &org)?;
            if patch.limit.is_some() {
                actor.may_set_limit(&org)?;
            }
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
        self.tx(|r| {
            let org = reachable_organization(r, actor, id)?;
            actor.authorize(Permission::ViewOrganization, &org)?;
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
