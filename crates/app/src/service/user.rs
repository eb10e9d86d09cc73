//! User use cases.

use super::{
    audit, idempotent, organization_to_grow, organization_uuid, reachable_organization, Change,
    Services,
};
use chrono::{DateTime, Utc};
use orgplane_domain::access::{Actor, CredentialKind, Permission, Role};
use orgplane_domain::organization::Organization;
use orgplane_domain::page::{Page, SearchTerms};
use orgplane_domain::user::{PasswordHash, User};
use orgplane_ports::store::{InsertUser, Lock, Repositories, Store};
use orgplane_ports::usecase::*;

use super::auth::PasswordCheck;
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

/// A live user whose home the actor reaches with `permission` (a read: no lock).
pub(super) fn reachable_user(
    r: &mut dyn Repositories,
    actor: &Actor,
    id: Uuid,
    permission: Permission,
) -> ServiceResult<User> {
    let user = r.user_by_uuid(id)?.ok_or(ServiceError::NotFound)?;
    check_user(r, actor, user, permission)
}

/// Like [`reachable_user`], for a change: the user is locked first and every check runs on
/// the locked row, so a concurrent promotion cannot slip between check and change.
pub(super) fn locked_user(
    r: &mut dyn Repositories,
    actor: &Actor,
    id: Uuid,
    permission: Permission,
    lock: Lock,
) -> ServiceResult<User> {
    let found = r.user_by_uuid(id)?.ok_or(ServiceError::NotFound)?;
    let user = r.lock_user(found.id, lock)?.ok_or(ServiceError::NotFound)?;
    check_user(r, actor, user, permission)
}

fn check_user(
    r: &mut dyn Repositories,
    actor: &Actor,
    user: User,
    permission: Permission,
) -> ServiceResult<User> {
    let home = r
        .organization(user.home_organization_id)?
        .ok_or(ServiceError::NotFound)?;
    if !actor.reaches(&home) {
        return Err(ServiceError::NotFound);
    }
    actor.authorize(permission, &home)?;
    if matches!(
        permission,
        Permission::ManageUsers | Permission::ManageAnyApiKeys
    ) {
        actor.may_manage_user(&user.roles)?;
    }
    Ok(user)
}

/// Inserts a user into `org` (already path-locked) with its audit entry, in the caller's
/// transaction; `verified_email` for users whose address an admin vouches for.
#[allow(clippy::too_many_arguments)]
pub(super) fn enroll(
    r: &mut dyn Repositories,
    actor: &Actor,
    org: &Organization,
    new: NewUser,
    password_hash: PasswordHash,
    uuid: Uuid,
    verified_email: bool,
    now: DateTime<Utc>,
) -> ServiceResult<User> {
    let roles = normalized(&new.roles);
    let user = r.insert_user(InsertUser {
        uuid,
        email: new.email,
        name: new.name,
        phone_number: new.phone_number,
        password_hash,
        roles,
        email_preferences: new.email_preferences,
        verified_email,
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
        "verified_email": user.verified_email,
    });
    let change = Change {
        action: "user.create",
        target_type: "user",
        target_id: user.uuid,
        fields,
    };
    audit(r, actor, org.id, change, now)?;
    Ok(user)
}

/// A role list as stored: never empty (no roles means `member`).
fn normalized(roles: &[Role]) -> Vec<Role> {
    if roles.is_empty() {
        vec![Role::Member]
    } else {
        roles.to_vec()
    }
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
        idempotency: Option<Idempotency<UserView>>,
    ) -> ServiceResult<Outcome<UserView>> {
        let now = self.clock.now();
        let uuid = self.secrets.uuid();
        // Check access before paying for the hash, and hash outside the transaction.
        self.read(|r| {
            let org = reachable_organization(r, actor, organization)?;
            actor.authorize(Permission::ManageUsers, &org)?;
            Ok(())
        })?;
        actor.may_grant(&new.roles)?;
        let password_hash = self
            .hasher
            .hash(&new.password)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.tx(|r| {
            idempotent(
                r,
                actor,
                idempotency.as_ref(),
                now,
                Permission::ManageUsers,
                |r| {
                    // Path-locked, so that the organization cannot be deleted under the new user.
                    let org = organization_to_grow(r, actor, organization)?;
                    actor.authorize(Permission::ManageUsers, &org)?;
                    let user = enroll(r, actor, &org, new, password_hash, uuid, false, now)?;
                    user_view(r, user)
                },
            )
        })
    }

    fn list_users(
        &self,
        actor: &Actor,
        organization: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<UserView>> {
        self.read(|r| {
            let org = reachable_organization(r, actor, organization)?;
            actor.authorize(Permission::ViewUsers, &org)?;
            let found = r.list_users(org.id, page.cursor, page.fetch())?;
            let users = Page::from_overfetch(found, page.limit, |u| u.id.0);
            let mut items = Vec::with_capacity(users.items.len());
            for user in users.items {
                // The home is known: only a different current organization costs a look-up.
                let current_organization_uuid = if user.current_organization_id == org.id {
                    org.uuid
                } else {
                    organization_uuid_or_home(r, &user, org.uuid)?
                };
                items.push(UserView {
                    user,
                    organization_uuid: org.uuid,
                    current_organization_uuid,
                });
            }
            Ok(Page {
                items,
                next: users.next,
            })
        })
    }

    fn find_users(
        &self,
        actor: &Actor,
        organization: Uuid,
        search: SearchTerms,
        offset: u64,
        limit: usize,
    ) -> ServiceResult<Vec<UserView>> {
        self.read(|r| {
            let org = reachable_organization(r, actor, organization)?;
            actor.authorize(Permission::ViewUsers, &org)?;
            r.find_users(org.id, search.terms(), offset, limit)?
                .into_iter()
                .map(|user| user_view(r, user))
                .collect()
        })
    }

    fn get_user(&self, actor: &Actor, id: Uuid) -> ServiceResult<UserView> {
        self.read(|r| {
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
        let permission = if needs_manage {
            Permission::ManageUsers
        } else {
            Permission::ViewUsers
        };
        // Changing oneself is a write all the same: never with a test key.
        actor.holds(Permission::ManageOwnApiKeys)?;
        // An early check, so that refused requests never pay for hashing...
        let target = self.read(|r| reachable_user(r, actor, id, permission))?;
        if let Some(roles) = &patch.roles {
            actor.may_grant(roles)?;
        }
        // A new password for oneself needs the current one (a stolen session must not be
        // enough to lock the owner out).
        // The check is a login attempt in all but name: throttled and in the access log.
        if is_self && patch.password.is_some() {
            let current = patch.current_password.as_ref().map_or("", |p| p.expose());
            match self.check_password(target.email.as_str(), current, &actor.client_ip)? {
                PasswordCheck::Verified { attempt, .. } => {
                    self.tx(|r| Ok(r.mark_access_success(attempt)?))?
                }
                PasswordCheck::Wrong => {
                    return Err(ServiceError::Invalid(vec![FieldError::new(
                        "current_password",
                        "must be your current password",
                    )]))
                }
            }
        }
        let password_hash = patch
            .password
            .as_ref()
            .map(|p| self.hasher.hash(p))
            .transpose()
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.tx(|r| {
            // ...and the real one, on the locked row.
            let mut user = locked_user(r, actor, id, permission, Lock::Update)?;
            if user.password_hash != target.password_hash && password_hash.is_some() {
                // The password changed while we were hashing: do not overwrite blindly.
                return Err(ServiceError::Conflict(Conflict::ChangedConcurrently));
            }
            let mut changed = serde_json::Map::new();
            if let Some(email) = patch.email.clone() {
                if user.change_email(email) {
                    changed.insert("email".into(), json!(user.email));
                    if user.verified_email && patch.verified_email.is_none() {
                        user.verified_email = false;
                        changed.insert("verified_email".into(), json!(false));
                    }
                }
            }
            if let Some(name) = patch.name.clone().filter(|n| *n != user.name) {
                changed.insert("name".into(), json!(name));
                user.name = name;
            }
            if let Some(hash) = password_hash {
                user.password_hash = hash;
                changed.insert("password".into(), json!("(changed)"));
                // A new password logs out every other session (API keys stay: they are
                // managed on their own).
                let current = match actor.credential {
                    CredentialKind::Session { id } if actor.user_id == user.id => Some(id),
                    _ => None,
                };
                let ended = r.revoke_user_sessions(user.id, current, now)?;
                changed.insert("sessions_ended".into(), json!(ended));
            }
            if let Some(phone) = patch
                .phone_number
                .clone()
                .filter(|p| *p != user.phone_number)
            {
                changed.insert("phone_number".into(), json!(phone));
                user.phone_number = phone;
            }
            if let Some(roles) = patch
                .roles
                .as_deref()
                .map(normalized)
                .filter(|r| *r != user.roles)
            {
                changed.insert("roles".into(), roles_json(&roles));
                user.roles = roles;
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
                    // The user must reach it (a platform administrator reaches every
                    // organization), and so must the actor.
                    .filter(|o| {
                        (o.is_within(user.home_organization_id)
                            || user.roles.contains(&Role::PlatformAdmin))
                            && actor.reaches(o)
                    })
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
            let user = locked_user(r, actor, id, Permission::ManageUsers, Lock::Update)?;
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
