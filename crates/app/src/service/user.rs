//! User use cases.

use super::{audit, organization_uuid, reachable_organization, Change, Services};
use orgplane_domain::access::{Actor, Denied, Permission, Role};
use orgplane_domain::page::Page;
use orgplane_domain::user::User;
use orgplane_ports::store::{InsertUser, Repositories, Store};
use orgplane_ports::usecase::*;
use serde_json::json;
use uuid::Uuid;

pub(super) fn user_view(r: &mut dyn Repositories, user: User) -> ServiceResult<UserView> {
    let organization_uuid = organization_uuid(r, user.home_organization_id)?;
    let current_organization_uuid = if user.current_organization_id == user.home_organization_id {
        organization_uuid
    } else {
        organization_uuid_or_home(r, &user, organization_uuid)?
    };
    Ok(UserView {
        user,
        organization_uuid,
        current_organization_uuid,
    })
}

/// The current organization may have been deleted since; then the home counts.
fn organization_uuid_or_home(
    r: &mut dyn Repositories,
    user: &User,
    home: Uuid,
) -> ServiceResult<Uuid> {
    Ok(r.organization(user.current_organization_id)?
        .map_or(home, |o| o.uuid))
}

/// A live user the actor may see: itself, or one whose home it reaches with `permission`.
pub(super) fn reachable_user(
    r: &mut dyn Repositories,
    actor: &Actor,
    id: Uuid,
    permission: Permission,
) -> ServiceResult<User> {
    let user = r.user_by_uuid(id)?.ok_or(ServiceError::NotFound)?;
    let home = r
        .organization(user.home_organization_id)?
        .ok_or(ServiceError::NotFound)?;
    if !actor.reaches(&home) {
        return Err(ServiceError::NotFound);
    }
    actor.authorize(permission, &home)?;
    Ok(user)
}

/// Only platform administrators hand out the platform administrator role.
fn check_roles(actor: &Actor, roles: &[Role]) -> ServiceResult<()> {
    if roles.contains(&Role::PlatformAdmin) && !actor.is_platform_admin() {
        return Err(ServiceError::Forbidden(Denied::Forbidden));
    }
    Ok(())
}

fn roles_json(roles: &[Role]) -> serde_json::Value {
    json!(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>())
}

impl<S: Store> Users for Services<S> {
    fn create_user(
        &self,
        actor: &Actor,
        organization: Uuid,
        new: NewUser,
    ) -> ServiceResult<UserView> {
        let now = self.clock.now();
        let uuid = self.secrets.uuid();
        // Check access before paying for the hash, and hash outside the transaction.
        self.tx(|r| {
            let org = reachable_organization(r, actor, organization)?;
            actor.authorize(Permission::ManageUsers, &org)?;
            Ok(())
        })?;
        check_roles(actor, &new.roles)?;
        let password_hash = self
            .hasher
            .hash(&new.password)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.tx(|r| {
            let org = reachable_organization(r, actor, organization)?;
            actor.authorize(Permission::ManageUsers, &org)?;
            let roles = if new.roles.is_empty() {
                vec![Role::Member]
            } else {
                new.roles.clone()
            };
            let user = r.insert_user(InsertUser {
                uuid,
                email: new.email.clone(),
                name: new.name.clone(),
                phone_number: new.phone_number.clone(),
                password_hash,
                roles,
                email_preferences: new.email_preferences,
                verified_email: false,
                pending_invite: false,
                organization_id: org.id,
                now,
            })?;
            let fields = json!({
                "email": user.email,
                "name": user.name,
                "phone_number": user.phone_number,
                "roles": roles_json(&user.roles),
                "email_preferences": user.email_preferences,
            });
            audit(
                r,
                actor,
                org.id,
                Change {
                    action: "user.create",
                    target_type: "user",
                    target_id: user.uuid,
                    fields,
                },
                now,
            )?;
            user_view(r, user)
        })
    }

    fn list_users(
        &self,
        actor: &Actor,
        organization: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<UserView>> {
        self.tx(|r| {
            let org = reachable_organization(r, actor, organization)?;
            actor.authorize(Permission::ViewUsers, &org)?;
            let found = r.list_users(org.id, page.cursor, page.limit.get() as usize + 1)?;
            let users = Page::from_overfetch(found, page.limit, |u| u.id.0);
            let mut items = Vec::with_capacity(users.items.len());
            for user in users.items {
                items.push(user_view(r, user)?);
            }
            Ok(Page {
                items,
                next: users.next,
            })
        })
    }

    fn get_user(&self, actor: &Actor, id: Uuid) -> ServiceResult<UserView> {
        self.tx(|r| {
            let user = if id == actor.user_uuid {
                r.user(actor.user_id)?.ok_or(ServiceError::NotFound)?
            } else {
                reachable_user(r, actor, id, Permission::ViewUsers)?
            };
            user_view(r, user)
        })
    }

    fn update_user(&self, actor: &Actor, id: Uuid, patch: UserPatch) -> ServiceResult<UserView> {
        let now = self.clock.now();
        let is_self = id == actor.user_uuid;
        // Users may change their own profile; roles and account state need ManageUsers.
        let needs_manage = !is_self
            || patch.roles.is_some()
            || patch.verified_email.is_some()
            || patch.pending_invite.is_some();
        if let Some(roles) = &patch.roles {
            check_roles(actor, roles)?;
        }
        self.tx(|r| {
            let target = if needs_manage {
                reachable_user(r, actor, id, Permission::ManageUsers)?
            } else {
                let user = reachable_user(r, actor, id, Permission::ViewUsers)?;
                actor.holds(Permission::ManageOwnApiKeys)?; // any role, but never a test key
                user
            };
            Ok(target.id)
        })?;
        let password_hash = patch
            .password
            .as_ref()
            .map(|p| self.hasher.hash(p))
            .transpose()
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.tx(|r| {
            let mut user = r.user_by_uuid(id)?.ok_or(ServiceError::NotFound)?;
            let mut changed = serde_json::Map::new();
            if let Some(email) = patch.email.clone() {
                if user.change_email(email) {
                    changed.insert("email".into(), json!(user.email));
                }
            }
            if let Some(name) = patch.name.clone().filter(|n| *n != user.name) {
                changed.insert("name".into(), json!(name));
                user.name = name;
            }
            if let Some(hash) = password_hash {
                user.password_hash = hash;
                changed.insert("password".into(), json!("(changed)"));
            }
            if let Some(phone) = patch
                .phone_number
                .clone()
                .filter(|p| *p != user.phone_number)
            {
                changed.insert("phone_number".into(), json!(phone));
                user.phone_number = phone;
            }
            if let Some(roles) = patch.roles.clone().filter(|r| *r != user.roles) {
                changed.insert("roles".into(), roles_json(&roles));
                user.roles = if roles.is_empty() {
                    vec![Role::Member]
                } else {
                    roles
                };
            }
            if let Some(p) = patch
                .email_preferences
                .filter(|p| *p != user.email_preferences)
            {
                changed.insert("email_preferences".into(), json!(p));
                user.email_preferences = p;
            }
            if let Some(v) = patch.verified_email.filter(|v| *v != user.verified_email) {
                changed.insert("verified_email".into(), json!(v));
                user.verified_email = v;
            }
            if let Some(v) = patch.pending_invite.filter(|v| *v != user.pending_invite) {
                changed.insert("pending_invite".into(), json!(v));
                user.pending_invite = v;
            }
            if let Some(current) = patch.current_organization {
                let org = r
                    .organization_by_uuid(current)?
                    .filter(|o| o.is_within(user.home_organization_id) && actor.reaches(o))
                    .ok_or_else(|| {
                        ServiceError::Invalid(vec![FieldError::new(
                            "current_organization_id",
                            "must be the user's organization or one of its sub-organizations",
                        )])
                    })?;
                if org.id != user.current_organization_id {
                    changed.insert("current_organization_id".into(), json!(org.uuid));
                    user.current_organization_id = org.id;
                }
            }
            if !changed.is_empty() {
                user.updated_at = now;
                r.update_user(&user)?;
                let change = Change {
                    action: "user.update",
                    target_type: "user",
                    target_id: user.uuid,
                    fields: changed.into(),
                };
                audit(r, actor, user.home_organization_id, change, now)?;
            }
            user_view(r, user)
        })
    }

    fn delete_user(&self, actor: &Actor, id: Uuid) -> ServiceResult<()> {
        let now = self.clock.now();
        self.tx(|r| {
            let user = reachable_user(r, actor, id, Permission::ManageUsers)?;
            if user.id == actor.user_id {
                return Err(ServiceError::Conflict(Conflict::DeleteSelf));
            }
            r.delete_user(user.id, now)?;
            let change = Change {
                action: "user.delete",
                target_type: "user",
                target_id: user.uuid,
                fields: json!({"email": user.email}),
            };
            audit(r, actor, user.home_organization_id, change, now)?;
            Ok(())
        })
    }
}
