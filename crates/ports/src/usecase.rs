//! Inbound ports: what every API surface may ask of the core.
//!
//! The surfaces parse their wire formats into the validated commands here, call a use
//! case with the authenticated [`Actor`], and map [`ServiceError`] to their own error
//! shape in one place each.

use chrono::{DateTime, Utc};
use orgplane_domain::access::{Actor, Denied, Role};
use orgplane_domain::api_key::{ApiKey, ApiKeyMode};
use orgplane_domain::audit::{AccessLogEntry, AccessStatus, AuditEntry};
use orgplane_domain::organization::PhoneNumber;
use orgplane_domain::organization::{
    Customizations, NewOrganization, Organization, OrganizationPatch,
};
use orgplane_domain::page::{Cursor, Page, PageLimit, SearchText};
use orgplane_domain::user::{Email, EmailPreferences, Password, PasswordAttempt, User, UserName};
use uuid::Uuid;

use crate::store::StoreError;

/// A field that failed validation, by its wire name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field (its name on the wire).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl ToString) -> Self {
        Self {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// Why a request conflicts with the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// The organization has sub-organizations and the request did not ask to cascade.
    #[error(
        "the organization has {0} sub-organization(s); delete them first or pass cascade=true"
    )]
    HasChildren(u64),
    /// Deleting one's own home organization would lock the caller out.
    #[error("you cannot delete your own home organization")]
    OwnHomeOrganization,
    /// The platform organization is never deleted.
    #[error("the platform organization cannot be deleted")]
    PlatformOrganization,
    /// Every derivable permalink is taken.
    #[error("no free permalink could be derived from this name; choose another name")]
    PermalinkTaken,
    /// Another user has this e-mail address.
    #[error("a user with this e-mail address already exists")]
    EmailTaken,
    /// Deleting oneself would lock the caller out.
    #[error("you cannot delete yourself")]
    DeleteSelf,
    /// The object changed while this request was being prepared; retry.
    #[error("the object changed while this request was in flight; retry")]
    ChangedConcurrently,
}

/// Why a use case failed. Each surface maps this to its error shape in one place.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    /// No credential, or one that does not authenticate.
    #[error("not authenticated")]
    Unauthenticated,
    /// The object does not exist or is out of the caller's reach (indistinguishable).
    #[error("not found")]
    NotFound,
    /// Within reach, but not allowed.
    #[error("{0}")]
    Forbidden(Denied),
    /// Well-formed but invalid input.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The request conflicts with the current state.
    #[error(transparent)]
    Conflict(Conflict),
    /// Too many attempts: retry after this many seconds.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    Throttled {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// A dependency (the database) is down.
    #[error("service unavailable")]
    Unavailable,
    /// A bug.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self::Unavailable,
            StoreError::Conflict(crate::store::Unique::Email) => {
                Self::Conflict(Conflict::EmailTaken)
            }
            StoreError::Conflict(crate::store::Unique::Permalink) => {
                Self::Conflict(Conflict::PermalinkTaken)
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<Denied> for ServiceError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::OutOfReach => Self::NotFound,
            other => Self::Forbidden(other),
        }
    }
}

/// The result of every use case.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// A page request.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest {
    /// Page size.
    pub limit: PageLimit,
    /// Where to continue.
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// How many items to fetch: one more than the page holds, to learn whether a next
    /// page exists (see [`Page::from_overfetch`]).
    pub fn fetch(&self) -> usize {
        self.limit.get() as usize + 1
    }
}

/// A credential as presented on a request. Its `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedCredential {
    /// The bearer secret (API key or session token).
    pub secret: String,
    /// The client's address, for the access log and throttling.
    pub client_ip: Option<String>,
}

impl std::fmt::Debug for PresentedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedCredential")
            .field("secret", &"<redacted>")
            .field("client_ip", &self.client_ip)
            .finish()
    }
}

/// Authentication.
pub trait Authentication: Send + Sync {
    /// Resolves a credential to an actor (or `Unauthenticated`), recording failures.
    fn authenticate(&self, credential: &PresentedCredential) -> ServiceResult<Actor>;
    /// Exchanges e-mail and password for a session token.
    fn login(
        &self,
        email: &str,
        password: &str,
        client_ip: Option<String>,
    ) -> ServiceResult<LoginGrant>;
    /// Ends the session the actor used (no-op for API keys).
    fn logout(&self, actor: &Actor) -> ServiceResult<()>;
}

/// A fresh session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginGrant {
    /// The token, shown once.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// An organization with the counts surfaces like to show.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationView {
    /// The organization.
    pub organization: Organization,
    /// Its parent's public id.
    pub parent_uuid: Option<Uuid>,
}

/// Which organizations to list.
#[derive(Debug, Clone, Default)]
pub struct ListOrganizations {
    /// Only children of this organization.
    pub parent: Option<Uuid>,
    /// Text search in name and permalink.
    pub search: Option<SearchText>,
    /// Paging.
    pub page: PageRequest,
}

/// Organization management.
pub trait Organizations: Send + Sync {
    /// Creates an organization (a sub-organization if it has a parent).
    fn create_organization(
        &self,
        actor: &Actor,
        new: NewOrganization,
    ) -> ServiceResult<OrganizationView>;
    /// Lists reachable organizations.
    fn list_organizations(
        &self,
        actor: &Actor,
        query: ListOrganizations,
    ) -> ServiceResult<Page<OrganizationView>>;
    /// Reads one organization.
    fn get_organization(&self, actor: &Actor, id: Uuid) -> ServiceResult<OrganizationView>;
    /// Changes an organization.
    fn update_organization(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: OrganizationPatch,
    ) -> ServiceResult<OrganizationView>;
    /// Deletes an organization (and, with `cascade`, its descendants).
    fn delete_organization(&self, actor: &Actor, id: Uuid, cascade: bool) -> ServiceResult<()>;
    /// Lists direct sub-organizations.
    fn list_children(
        &self,
        actor: &Actor,
        id: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<OrganizationView>>;
    /// Replaces customizations.
    fn put_customizations(
        &self,
        actor: &Actor,
        id: Uuid,
        customizations: Customizations,
    ) -> ServiceResult<Customizations>;
}

/// A validated request to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Address.
    pub email: Email,
    /// Name.
    pub name: UserName,
    /// Password (hashed by the use case).
    pub password: Password,
    /// Phone.
    pub phone_number: Option<PhoneNumber>,
    /// Roles (default: member).
    pub roles: Vec<Role>,
    /// Preferences.
    pub email_preferences: EmailPreferences,
}

/// A validated change to a user.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// New address (the old one joins `previous_emails`).
    pub email: Option<Email>,
    /// New name.
    pub name: Option<UserName>,
    /// New password.
    pub password: Option<Password>,
    /// The current password: required to set a new one for oneself.
    pub current_password: Option<PasswordAttempt>,
    /// New phone.
    pub phone_number: Option<Option<PhoneNumber>>,
    /// New roles.
    pub roles: Option<Vec<Role>>,
    /// New preferences.
    pub email_preferences: Option<EmailPreferences>,
    /// Confirmed address.
    pub verified_email: Option<bool>,
    /// Invitation state.
    pub pending_invite: Option<bool>,
    /// Current organization (must be within reach of the user).
    pub current_organization: Option<Uuid>,
}

/// A user with the public ids of its organizations.
#[derive(Debug, Clone, PartialEq)]
pub struct UserView {
    /// The user.
    pub user: User,
    /// Home organization's public id.
    pub organization_uuid: Uuid,
    /// Current organization's public id.
    pub current_organization_uuid: Uuid,
}

/// User management.
pub trait Users: Send + Sync {
    /// Creates a user in an organization.
    fn create_user(
        &self,
        actor: &Actor,
        organization: Uuid,
        new: NewUser,
    ) -> ServiceResult<UserView>;
    /// Lists the users of an organization.
    fn list_users(
        &self,
        actor: &Actor,
        organization: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<UserView>>;
    /// Reads a user.
    fn get_user(&self, actor: &Actor, id: Uuid) -> ServiceResult<UserView>;
    /// Changes a user.
    fn update_user(&self, actor: &Actor, id: Uuid, patch: UserPatch) -> ServiceResult<UserView>;
    /// Deletes a user.
    fn delete_user(&self, actor: &Actor, id: Uuid) -> ServiceResult<()>;
}

/// A new API key and its value, which is never shown again.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedApiKey {
    /// The key.
    pub key: ApiKey,
    /// The value.
    pub value: String,
}

/// API key management.
pub trait ApiKeys: Send + Sync {
    /// Creates a key for a user.
    fn create_api_key(
        &self,
        actor: &Actor,
        user: Uuid,
        mode: ApiKeyMode,
        active_until: Option<DateTime<Utc>>,
    ) -> ServiceResult<CreatedApiKey>;
    /// Lists a user's keys (never their values).
    fn list_api_keys(
        &self,
        actor: &Actor,
        user: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<ApiKey>>;
    /// Revokes a key.
    fn revoke_api_key(&self, actor: &Actor, key: Uuid) -> ServiceResult<()>;
}

/// Filters for the logs.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Only this action (audit: e.g. `organization.update`; access: `LOGIN`, ...).
    pub action: Option<String>,
    /// Only this status (access log).
    pub status: Option<AccessStatus>,
    /// Not before.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    /// Paging.
    pub page: PageRequest,
}

/// An access-log entry as shown (with the user's address resolved).
pub type AccessLogView = AccessLogEntry;

/// Reading the logs.
pub trait Logs: Send + Sync {
    /// An organization's access log.
    fn access_log(
        &self,
        actor: &Actor,
        organization: Uuid,
        filter: LogFilter,
    ) -> ServiceResult<Page<AccessLogView>>;
    /// An organization's own audit log.
    fn audit_log(
        &self,
        actor: &Actor,
        organization: Uuid,
        filter: LogFilter,
    ) -> ServiceResult<Page<AuditEntry>>;
    /// The audit log of all of an organization's descendants.
    fn children_audit(
        &self,
        actor: &Actor,
        organization: Uuid,
        filter: LogFilter,
    ) -> ServiceResult<Page<AuditEntry>>;
}

/// Readiness.
pub trait Health: Send + Sync {
    /// Whether the service can do its work (the database answers).
    fn ready(&self) -> ServiceResult<()>;
}

/// Every use case, as one object the surfaces hold.
pub trait UseCases: Authentication + Organizations + Users + ApiKeys + Logs + Health {}

impl<T: Authentication + Organizations + Users + ApiKeys + Logs + Health> UseCases for T {}
