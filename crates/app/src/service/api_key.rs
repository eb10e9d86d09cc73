//! API key use cases.

use super::user::{locked_user, reachable_user};
use super::{audit, idempotent, Change, Services};
use crate::system::secret_hash;
use chrono::{DateTime, Utc};
use orgplane_domain::access::{Actor, Permission};
use orgplane_domain::api_key::{format_api_key, ApiKey, ApiKeyMode};
use orgplane_domain::page::Page;
use orgplane_domain::user::User;
use orgplane_ports::store::{InsertApiKey, Lock, Repositories, Store};
use orgplane_ports::usecase::*;
use serde_json::json;
use uuid::Uuid;

/// The user whose keys the actor wants to manage: itself, or one it may manage keys of.
/// Share-locked, so that a concurrent promotion or deletion of the owner is seen.
fn key_owner(r: &mut dyn Repositories, actor: &Actor, user: Uuid) -> ServiceResult<User> {
    if user == actor.user_uuid {
        actor.holds(Permission::ManageOwnApiKeys)?;
        r.lock_user(actor.user_id, Lock::Share)?
            .ok_or(ServiceError::NotFound)
    } else {
        locked_user(r, actor, user, Permission::ManageAnyApiKeys, Lock::Share)
    }
}

/// Inserts a key of `owner` whose value is `value`, with its audit entry, in the caller's
/// transaction. Only the value's hash is stored.
#[allow(clippy::too_many_arguments)]
pub(super) fn mint(
    r: &mut dyn Repositories,
    actor: &Actor,
    owner: &User,
    mode: ApiKeyMode,
    value: &str,
    uuid: Uuid,
    active_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ServiceResult<ApiKey> {
    let key = r.insert_api_key(InsertApiKey {
        uuid,
        user_id: owner.id,
        organization_id: owner.home_organization_id,
        mode,
        prefix: ApiKey::display_prefix(value),
        hash: secret_hash(value),
        active_until,
        now,
    })?;
    let fields = json!({ "user_id": owner.uuid, "mode": mode, "active_until": active_until, "prefix": key.prefix });
    let change = Change {
        action: "api_key.create",
        target_type: "api_key",
        target_id: key.uuid,
        fields,
    };
    audit(r, actor, owner.home_organization_id, change, now)?;
    Ok(key)
}

impl<S: Store> ApiKeys for Services<S> {
    fn create_api_key(
        &self,
        actor: &Actor,
        user: Uuid,
        mode: ApiKeyMode,
        active_until: Option<DateTime<Utc>>,
        idempotency: Option<Idempotency<CreatedApiKey>>,
    ) -> ServiceResult<Outcome<CreatedApiKey>> {
        let now = self.clock.now();
        if active_until.is_some_and(|until| until <= now) {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "active_until",
                "must be in the future",
            )]));
        }
        let value = format_api_key(mode, &self.secrets.secret());
        let uuid = self.secrets.uuid();
        // Someone else's key takes more than one's own.
        let required = if user == actor.user_uuid {
            Permission::ManageOwnApiKeys
        } else {
            Permission::ManageAnyApiKeys
        };
        self.tx(|r| {
            idempotent(r, actor, idempotency.as_ref(), now, required, |r| {
                let owner = key_owner(r, actor, user)?;
                let key = mint(r, actor, &owner, mode, &value, uuid, active_until, now)?;
                Ok(CreatedApiKey {
                    key,
                    value: value.clone(),
                })
            })
        })
    }

    fn list_api_keys(
        &self,
        actor: &Actor,
        user: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<ApiKey>> {
        self.read(|r| {
            let owner = if user == actor.user_uuid {
                r.user(actor.user_id)?.ok_or(ServiceError::NotFound)?
            } else {
                reachable_user(r, actor, user, Permission::ViewAnyApiKeys)?
            };
            let found = r.list_api_keys(owner.id, page.cursor, page.fetch())?;
            Ok(Page::from_overfetch(found, page.limit, |k| k.id))
        })
    }

    fn revoke_api_key(&self, actor: &Actor, key: Uuid) -> ServiceResult<()> {
        let now = self.clock.now();
        self.tx(|r| {
            let found = r.api_key_by_uuid(key)?.ok_or(ServiceError::NotFound)?;
            let owner = r.user(found.user_id)?.ok_or(ServiceError::NotFound)?;
            key_owner(r, actor, owner.uuid)?;
            if !r.revoke_api_key(found.id, now)? {
                // Revoked meanwhile by someone else: from here it no longer exists.
                return Err(ServiceError::NotFound);
            }
            let fields = json!({ "user_id": owner.uuid, "revoked": true });
            audit(
                r,
                actor,
                owner.home_organization_id,
                Change {
                    action: "api_key.revoke",
                    target_type: "api_key",
                    target_id: found.uuid,
                    fields,
                },
                now,
            )?;
            Ok(())
        })
    }
}
