//! Onboarding: a sub-organization of the caller's organization, its first user (an
//! admin whose address the caller vouches for) and that user's live and test keys, in
//! one transaction.

use super::api_key::mint;
use super::organization::{found, view};
use super::user::{enroll, user_view};
use super::{idempotent, Services};
use orgplane_domain::access::{Actor, Permission, Role};
use orgplane_domain::api_key::{format_api_key, ApiKeyMode};
use orgplane_domain::organization::{Customizations, NewOrganization, Profile};
use orgplane_domain::usage::{Month, MonthlyUsage};
use orgplane_domain::user::EmailPreferences;
use orgplane_ports::store::Store;
use orgplane_ports::usecase::*;

impl<S: Store> Onboarding for Services<S> {
    fn onboard(
        &self,
        actor: &Actor,
        new: NewSubOrganization,
        idempotency: Option<Idempotency<Onboarded>>,
    ) -> ServiceResult<Outcome<Onboarded>> {
        let now = self.clock.now();
        // Refused requests never pay for the hash: check first, hash outside the
        // transaction, check again inside it (with the path locked).
        let home = self.read(|r| {
            let home = r.organization(actor.home)?.ok_or(ServiceError::NotFound)?;
            actor.authorize(Permission::CreateSubOrganization, &home)?;
            actor.authorize(Permission::ManageUsers, &home)?;
            Ok(home)
        })?;
        let password_hash = self
            .hasher
            .hash(&new.password)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let (org_uuid, user_uuid) = (self.secrets.uuid(), self.secrets.uuid());
        let keys: Vec<(ApiKeyMode, String, uuid::Uuid)> = [ApiKeyMode::Live, ApiKeyMode::Test]
            .into_iter()
            .map(|mode| {
                (
                    mode,
                    format_api_key(mode, &self.secrets.secret()),
                    self.secrets.uuid(),
                )
            })
            .collect();
        self.tx(|r| {
            idempotent(
                r,
                actor,
                idempotency.as_ref(),
                now,
                Permission::CreateSubOrganization,
                |r| {
                    let organization = NewOrganization {
                        name: new.organization_name.clone(),
                        parent: Some(home.uuid),
                        profile: Profile {
                            country_code: Some(new.country_code),
                            ..Profile::default()
                        },
                        limit: new.limit,
                        customizations: Customizations::empty(),
                    };
                    let org = found(r, actor, organization, org_uuid, now)?;
                    let owner = NewUser {
                        email: new.email.clone(),
                        name: new.name.clone(),
                        password: new.password.clone(),
                        phone_number: new.phone_number.clone(),
                        roles: vec![Role::Admin],
                        email_preferences: EmailPreferences::default(),
                    };
                    let user = enroll(
                        r,
                        actor,
                        &org,
                        owner,
                        password_hash.clone(),
                        user_uuid,
                        true,
                        now,
                    )?;
                    let mut api_keys = Vec::with_capacity(keys.len());
                    for (mode, value, uuid) in &keys {
                        let key = mint(r, actor, &user, *mode, value, *uuid, None, now)?;
                        api_keys.push(CreatedApiKey {
                            key,
                            value: value.clone(),
                        });
                    }
                    // Nothing was sent by an organization made this instant.
                    let usage =
                        MonthlyUsage::compute(Month::of(now), 0, org.limit, self.policy.price);
                    Ok(Onboarded {
                        usage,
                        organization: view(r, org)?,
                        user: user_view(r, user)?,
                        api_keys,
                    })
                },
            )
        })
    }
}
