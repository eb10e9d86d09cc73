//! The transactional store and its repositories.
//!
//! Every use case runs its reads and writes inside one [`Store::transaction`], so a
//! multi-step write (an organization and its audit entry, a user and its keys) lands
//! whole or not at all.

use chrono::{DateTime, Utc};
use orgplane_domain::access::Role;
use orgplane_domain::api_key::{ApiKey, ApiKeyMode};
use orgplane_domain::audit::{
    AccessAction, AccessLogEntry, AccessStatus, AuditEntry, NewAuditEntry,
};
use orgplane_domain::organization::PhoneNumber;
use orgplane_domain::organization::{
    Customizations, MonthlyLimit, Organization, OrganizationId, OrganizationName, Permalink,
    Profile,
};
use orgplane_domain::page::Cursor;
use orgplane_domain::user::{Email, EmailPreferences, PasswordHash, User, UserId, UserName};
use uuid::Uuid;

/// What can go wrong in a store, independent of the technology behind it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken.
    #[error("{0:?} already exists")]
    Conflict(Unique),
    /// The store cannot be reached right now (retry later).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupted data.
    #[error("store failure: {0}")]
    Internal(String),
}

/// The uniqueness rules a store enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// Permalinks among live organizations.
    Permalink,
    /// E-mail addresses (case-insensitively) among live users.
    Email,
    /// Hashes of keys and tokens.
    SecretHash,
    /// Any other uniqueness rule.
    Other,
}

/// A SHA-256 digest of a key or token.
pub type SecretHash = [u8; 32];

/// A transactional store.
pub trait Store: Send + Sync + 'static {
    /// Runs `work` in one transaction: committed if it returns `Ok`, rolled back otherwise.
    fn transaction<T, E>(
        &self,
        work: impl FnOnce(&mut dyn Repositories) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>;

    /// Whether the store answers.
    fn ping(&self) -> Result<(), StoreError>;
}

/// Every repository, as seen inside one transaction.
pub trait Repositories:
    OrganizationRepository
    + UserRepository
    + ApiKeyRepository
    + SessionRepository
    + AuditLogRepository
    + AccessLogRepository
{
}

impl<T> Repositories for T where
    T: OrganizationRepository
        + UserRepository
        + ApiKeyRepository
        + SessionRepository
        + AuditLogRepository
        + AccessLogRepository
{
}

/// The result type of every repository method.
pub type StoreResult<T> = Result<T, StoreError>;

/// An organization to insert.
#[derive(Debug, Clone)]
pub struct InsertOrganization {
    /// Public id.
    pub uuid: Uuid,
    /// Name.
    pub name: OrganizationName,
    /// Permalink (unique among live organizations).
    pub permalink: Permalink,
    /// Descriptive fields.
    pub profile: Profile,
    /// The parent, if any.
    pub parent: Option<OrganizationId>,
    /// The parent's path (empty for a top-level organization); the store appends the new id.
    pub parent_path: Vec<OrganizationId>,
    /// Monthly allowance.
    pub limit: Option<MonthlyLimit>,
    /// Client settings.
    pub customizations: Customizations,
    /// Creation time.
    pub now: DateTime<Utc>,
}

/// How a row read for a change is locked until the transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Others may read and share-lock it, not change it (e.g. a parent while a child is
    /// added under it).
    Share,
    /// Nobody else may change or share-lock it (the row itself is being changed). Rows
    /// that merely reference it (foreign keys) may still be written.
    Update,
}

impl InsertOrganization {
    /// The organization this insert makes, once the store has given it `id`.
    pub fn into_organization(self, id: OrganizationId) -> Organization {
        let mut path = self.parent_path;
        path.push(id);
        Organization {
            id,
            uuid: self.uuid,
            name: self.name,
            permalink: self.permalink,
            profile: self.profile,
            parent_id: self.parent,
            path,
            limit: self.limit,
            customizations: self.customizations,
            suspended_at: None,
            created_at: self.now,
            updated_at: self.now,
        }
    }
}

/// Which organizations to list.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    /// Only this organization and its descendants.
    pub within: Option<OrganizationId>,
    /// Only direct children of this organization.
    pub parent: Option<OrganizationId>,
    /// Only names or permalinks containing this text (case-insensitively).
    pub search: Option<String>,
}

/// Organizations.
pub trait OrganizationRepository {
    /// Inserts an organization.
    fn insert_organization(&mut self, new: InsertOrganization) -> StoreResult<Organization>;
    /// A live organization by integer key.
    fn organization(&mut self, id: OrganizationId) -> StoreResult<Option<Organization>>;
    /// A live organization by public id.
    fn organization_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<Organization>>;
    /// A live organization, locked until the transaction ends, as last committed. Use it
    /// for every read that a change depends on, so concurrent changes cannot be lost.
    fn lock_organization(
        &mut self,
        id: OrganizationId,
        lock: Lock,
    ) -> StoreResult<Option<Organization>>;
    /// Share-locks every organization of `path` (root first); `false` if one is gone. A
    /// change below an organization takes this, so deleting any ancestor waits for it.
    fn lock_path(&mut self, path: &[OrganizationId]) -> StoreResult<bool>;
    /// Whether a live organization has this permalink.
    fn permalink_taken(&mut self, permalink: &Permalink) -> StoreResult<bool>;
    /// Live organizations matching `filter`, by ascending key after `after`, at most `limit`.
    fn list_organizations(
        &mut self,
        filter: &OrganizationFilter,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<Organization>>;
    /// Saves the mutable fields of an organization.
    fn update_organization(&mut self, org: &Organization) -> StoreResult<()>;
    /// How many live direct children an organization has.
    fn count_children(&mut self, id: OrganizationId) -> StoreResult<u64>;
    /// Soft-deletes an organization and all its descendants, with their users, keys and
    /// sessions. Returns how many organizations were deleted. Descendants being added
    /// concurrently (under a [`Lock::Share`] of their parent) are deleted too.
    fn delete_organization_subtree(
        &mut self,
        id: OrganizationId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

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

/// An API key to insert.
#[derive(Debug, Clone)]
pub struct InsertApiKey {
    /// Public id.
    pub uuid: Uuid,
    /// The user the key acts as.
    pub user_id: UserId,
    /// The user's home organization.
    pub organization_id: OrganizationId,
    /// Live or test.
    pub mode: ApiKeyMode,
    /// Display prefix of the value.
    pub prefix: String,
    /// SHA-256 of the value.
    pub hash: SecretHash,
    /// Expiry.
    pub active_until: Option<DateTime<Utc>>,
    /// Creation time.
    pub now: DateTime<Utc>,
}

/// API keys.
pub trait ApiKeyRepository {
    /// Inserts a key.
    fn insert_api_key(&mut self, new: InsertApiKey) -> StoreResult<ApiKey>;
    /// A key by the hash of its value (revoked and expired ones included).
    fn api_key_by_hash(&mut self, hash: &SecretHash) -> StoreResult<Option<ApiKey>>;
    /// A key by public id (revoked ones excluded).
    fn api_key_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<ApiKey>>;
    /// Unrevoked keys of a user, by ascending key.
    fn list_api_keys(
        &mut self,
        user: UserId,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<ApiKey>>;
    /// Records a successful use.
    fn touch_api_key(&mut self, id: i64, now: DateTime<Utc>) -> StoreResult<()>;
    /// Revokes a key.
    /// Revokes a key; `false` if it was revoked already (e.g. by a concurrent request).
    fn revoke_api_key(&mut self, id: i64, now: DateTime<Utc>) -> StoreResult<bool>;
}

/// A login session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Integer key.
    pub id: i64,
    /// The user.
    pub user_id: UserId,
    /// The user's home organization.
    pub organization_id: OrganizationId,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When logged out, if so.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Login sessions.
pub trait SessionRepository {
    /// Starts a session.
    fn insert_session(
        &mut self,
        user: UserId,
        organization: OrganizationId,
        hash: SecretHash,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Session>;
    /// A session by the hash of its token.
    fn session_by_hash(&mut self, hash: &SecretHash) -> StoreResult<Option<Session>>;
    /// Ends a session.
    fn revoke_session(&mut self, id: i64, now: DateTime<Utc>) -> StoreResult<()>;
    /// Ends every session of a user but `except`; returns how many were ended.
    fn revoke_user_sessions(
        &mut self,
        user: UserId,
        except: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

/// Which audit entries to list.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    /// The organization.
    pub organization: OrganizationId,
    /// `false`: the organization's own entries; `true`: those of all its descendants
    /// (the organization itself excluded).
    pub descendants: bool,
    /// Only this action.
    pub action: Option<String>,
    /// Not before.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

/// The audit log.
pub trait AuditLogRepository {
    /// Appends an entry.
    fn append_audit(&mut self, entry: NewAuditEntry, now: DateTime<Utc>) -> StoreResult<()>;
    /// Entries matching `query`, newest first, before cursor `after` (which is then a
    /// key upper bound).
    fn list_audit(
        &mut self,
        query: &AuditQuery,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<AuditEntry>>;
}

/// An authentication attempt to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccessLogEntry {
    /// The organization it can be tied to.
    pub organization_id: Option<OrganizationId>,
    /// The user, if known.
    pub user_id: Option<UserId>,
    /// The address used.
    pub email: Option<String>,
    /// How.
    pub action: AccessAction,
    /// Outcome.
    pub status: AccessStatus,
    /// Client address.
    pub client_ip: Option<String>,
}

/// Which access-log entries to list.
#[derive(Debug, Clone)]
pub struct AccessQuery {
    /// The organization.
    pub organization: OrganizationId,
    /// Only this action.
    pub action: Option<AccessAction>,
    /// Only this status.
    pub status: Option<AccessStatus>,
    /// Not before.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

/// The access log.
pub trait AccessLogRepository {
    /// Appends an entry; returns its key.
    fn append_access(&mut self, entry: NewAccessLogEntry, now: DateTime<Utc>) -> StoreResult<i64>;
    /// Turns a (provisional) failure into a success.
    fn mark_access_success(&mut self, id: i64) -> StoreResult<()>;
    /// Serializes password checks for this address and this client until the transaction
    /// ends (address first, then client), so that parallel attempts cannot all pass the
    /// throttle before any of them is recorded.
    fn lock_login_attempts(&mut self, email: &str, client_ip: Option<&str>) -> StoreResult<()>;
    /// Entries matching `query`, newest first, older than cursor `after`.
    fn list_access(
        &mut self,
        query: &AccessQuery,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<AccessLogEntry>>;
    /// When the most recent failed logins after `since` (exclusive) happened, newest first,
    /// at most `limit`, for this e-mail address (case-insensitively) or this client.
    fn recent_login_failures(
        &mut self,
        email: Option<&str>,
        client_ip: Option<&str>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<DateTime<Utc>>>;
}
