//! API keys.

use super::{SecretHash, StoreResult};
use chrono::{DateTime, Utc};
use orgplane_domain::api_key::{ApiKey, ApiKeyMode};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_domain::user::{User, UserId};
use uuid::Uuid;

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
    /// A key by the hash of its value (revoked and expired ones included), with the live
    /// user it acts as (`None` if that user is deleted): one look-up per request.
    fn api_key_by_hash(&mut self, hash: &SecretHash)
        -> StoreResult<Option<(ApiKey, Option<User>)>>;
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
