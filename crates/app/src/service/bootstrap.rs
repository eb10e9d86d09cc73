//! `orgplane admin bootstrap`: the platform organization and its first administrator.

use super::{audit, Change, Services};
use crate::system::secret_hash;
use orgplane_domain::access::{Actor, CredentialKind, Role};
use orgplane_domain::api_key::{format_api_key, ApiKey, ApiKeyMode};
use orgplane_domain::organization::{Customizations, OrganizationName, Permalink, Profile};
use orgplane_domain::user::{Email, EmailPreferences, Password, UserName};
use orgplane_ports::store::{InsertApiKey, InsertOrganization, InsertUser, Store};
use orgplane_ports::usecase::ServiceError;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// The permalink of the platform organization.
pub const PLATFORM_PERMALINK: &str = "platform";

/// What the bootstrap made. `api_key` is shown this once.
#[derive(Debug, Clone, Serialize)]
pub struct Bootstrap {
    /// The platform organization's public id.
    pub organization_id: Uuid,
    /// The administrator's public id.
    pub user_id: Uuid,
    /// The administrator's e-mail address.
    pub email: String,
    /// A live API key of the administrator.
    pub api_key: String,
    /// That key's public id.
    pub api_key_id: Uuid,
}

/// Why the bootstrap did not run.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// Bad e-mail address.
    #[error("--email: {0}")]
    Email(#[from] orgplane_domain::user::EmailError),
    /// Password too short or long.
    #[error("--password: {0}")]
    Password(#[from] orgplane_domain::user::PasswordError),
    /// The platform organization exists already.
    #[error("the platform is already bootstrapped (organization `{PLATFORM_PERMALINK}` exists)")]
    AlreadyBootstrapped,
    /// The store failed.
    #[error("{0}")]
    Service(#[from] ServiceError),
}

impl<S: Store> Services<S> {
    /// Creates the platform organization, a platform administrator and a live key, in one
    /// transaction.
    pub fn bootstrap(&self, email: &str, password: &str) -> Result<Bootstrap, BootstrapError> {
        let email = Email::parse(email)?;
        let password = Password::parse(password)?;
        let hash = self
            .hasher
            .hash(&password)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let now = self.clock.now();
        let value = format_api_key(ApiKeyMode::Live, &self.secrets.secret());
        let (org_uuid, user_uuid, key_uuid) = (
            self.secrets.uuid(),
            self.secrets.uuid(),
            self.secrets.uuid(),
        );
        let made = self.store.transaction(|r| {
            let permalink = Permalink::parse(PLATFORM_PERMALINK)
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            if r.permalink_taken(&permalink)? {
                return Ok(None);
            }
            let org = r.insert_organization(InsertOrganization {
                uuid: org_uuid,
                name: OrganizationName::parse("Platform")
                    .map_err(|e| ServiceError::Internal(e.to_string()))?,
                permalink,
                profile: Profile::default(),
                parent: None,
                parent_uuid: None,
                parent_path: Vec::new(),
                limit: None,
                customizations: Customizations::empty(),
                suspension: None,
                now,
            })?;
            let user = r.insert_user(InsertUser {
                uuid: user_uuid,
                email: email.clone(),
                name: UserName::parse("Platform Administrator")
                    .map_err(|e| ServiceError::Internal(e.to_string()))?,
                phone_number: None,
                password_hash: hash,
                roles: vec![Role::PlatformAdmin],
                email_preferences: EmailPreferences::default(),
                verified_email: true,
                pending_invite: false,
                organization_id: org.id,
                now,
            })?;
            let key = r.insert_api_key(InsertApiKey {
                uuid: key_uuid,
                user_id: user.id,
                organization_id: org.id,
                mode: ApiKeyMode::Live,
                prefix: ApiKey::display_prefix(&value),
                hash: secret_hash(&value),
                active_until: None,
                now,
            })?;
            let console = Actor {
                user_id: user.id,
                user_uuid: user.uuid,
                email: user.email.clone(),
                home: org.id,
                current: org.id,
                roles: user.roles.clone(),
                credential: CredentialKind::Console,
                client_ip: None,
            };
            let fields =
                json!({ "organization_id": org.uuid, "user_id": user.uuid, "email": user.email });
            audit(
                r,
                &console,
                org.id,
                Change {
                    action: "platform.bootstrap",
                    target_type: "organization",
                    target_id: org.uuid,
                    fields,
                },
                now,
            )?;
            Ok::<_, ServiceError>(Some(Bootstrap {
                organization_id: org.uuid,
                user_id: user.uuid,
                email: user.email.to_string(),
                api_key: value.clone(),
                api_key_id: key.uuid,
            }))
        })?;
        made.ok_or(BootstrapError::AlreadyBootstrapped)
    }
}
