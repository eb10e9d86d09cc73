//! Users.

use super::{Lock, StoreResult};
use chrono::{DateTime, Utc};
use orgplane_domain::access::Role;
use orgplane_domain::organization::{OrganizationId, PhoneNumber};
use orgplane_domain::page::Cursor;
use orgplane_domain::user::{Email, EmailPreferences, PasswordHash, User, UserId, UserName};
use uuid::Uuid;

/// A user to insert.
#[derive(Debug, Clone)]
pub struct InsertUser {
    /// Public id.
    pub uuid: Uuid,
    /// E-mail address (unique case-insensitively).
    pub email: Email,
    /// Name.
    pub name: UserName,
    /// Phone.
    pub phone_number: Option<PhoneNumber>,
    /// argon2id hash.
    pub password_hash: PasswordHash,
    /// Roles.
    pub roles: Vec<Role>,
    /// Preferences.
    pub email_preferences: EmailPreferences,
    /// Whether the address is confirmed.
    pub verified_email: bool,
    /// Whether the user is only invited.
    pub pending_invite: bool,
    /// Home organization.
    pub organization_id: OrganizationId,
    /// Creation time.
    pub now: DateTime<Utc>,
}

impl InsertUser {
    /// The user this insert makes, once the store has given it `id`.
    pub fn into_user(self, id: UserId) -> User {
        User {
            id,
            uuid: self.uuid,
            email: self.email,
            name: self.name,
            phone_number: self.phone_number,
            password_hash: self.password_hash,
            verified_email: self.verified_email,
            pending_invite: self.pending_invite,
            roles: self.roles,
            email_preferences: self.email_preferences,
            last_login_time: None,
            previous_emails: Vec::new(),
            home_organization_id: self.organization_id,
            current_organization_id: self.organization_id,
            created_at: self.now,
            updated_at: self.now,
        }
    }
}

/// Users.
pub trait UserRepository {
    /// Inserts a user.
    fn insert_user(&mut self, new: InsertUser) -> StoreResult<User>;
    /// A live user by key.
    fn user(&mut self, id: UserId) -> StoreResult<Option<User>>;
    /// A live user, locked until the transaction ends, as last committed. Check what a
    /// change depends on (roles, password) on this row, never on an unlocked read.
    fn lock_user(&mut self, id: UserId, lock: Lock) -> StoreResult<Option<User>>;
    /// Records a successful login, touching nothing else of the user.
    fn record_login(&mut self, id: UserId, now: DateTime<Utc>) -> StoreResult<()>;
    /// A live user by public id.
    fn user_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<User>>;
    /// A live user by e-mail address, case-insensitively.
    fn user_by_email(&mut self, email: &Email) -> StoreResult<Option<User>>;
    /// Live users whose home is `organization`, by ascending key.
    fn list_users(
        &mut self,
        organization: OrganizationId,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<User>>;
    /// How many live users call `organization` home.
    fn count_users(&mut self, organization: OrganizationId) -> StoreResult<u64>;
    /// How many live users each of `organizations` is home to (missing: none).
    fn count_users_by_organization(
        &mut self,
        organizations: &[OrganizationId],
    ) -> StoreResult<Vec<(OrganizationId, u64)>>;
    /// Live users of `organization` whose e-mail address or name holds every one of the
    /// lower-cased `terms`, by ascending key, skipping `offset`, at most `limit`.
    fn find_users(
        &mut self,
        organization: OrganizationId,
        terms: &[String],
        offset: u64,
        limit: usize,
    ) -> StoreResult<Vec<User>>;
    /// How many live users holding `role` live in `root` or below it.
    fn count_users_with_role_within(
        &mut self,
        root: OrganizationId,
        role: Role,
    ) -> StoreResult<u64>;
    /// Saves the mutable fields of a user.
    fn update_user(&mut self, user: &User) -> StoreResult<()>;
    /// Soft-deletes a user, revoking its keys and sessions.
    fn delete_user(&mut self, id: UserId, now: DateTime<Utc>) -> StoreResult<()>;
}
