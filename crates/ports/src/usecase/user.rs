//! User management.

use super::{Idempotency, Outcome};
use super::{PageRequest, ServiceResult};
use orgplane_domain::access::{Actor, Role};
use orgplane_domain::organization::PhoneNumber;
use orgplane_domain::page::{Page, SearchTerms};
use orgplane_domain::user::{Email, EmailPreferences, Password, PasswordAttempt, User, UserName};
use uuid::Uuid;

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
        idempotency: Option<Idempotency<UserView>>,
    ) -> ServiceResult<Outcome<UserView>>;
    /// Lists the users of an organization.
    fn list_users(
        &self,
        actor: &Actor,
        organization: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<UserView>>;
    /// Finds an organization's users by e-mail address or name, paged by offset.
    fn find_users(
        &self,
        actor: &Actor,
        organization: Uuid,
        search: SearchTerms,
        offset: u64,
        limit: usize,
    ) -> ServiceResult<Vec<UserView>>;
    /// Reads a user.
    fn get_user(&self, actor: &Actor, id: Uuid) -> ServiceResult<UserView>;
    /// Changes a user.
    fn update_user(&self, actor: &Actor, id: Uuid, patch: UserPatch) -> ServiceResult<UserView>;
    /// Deletes a user.
    fn delete_user(&self, actor: &Actor, id: Uuid) -> ServiceResult<()>;
}
