//! API key management.

use super::{Idempotency, Outcome};
use super::{PageRequest, ServiceResult};
use chrono::{DateTime, Utc};
use orgplane_domain::access::Actor;
use orgplane_domain::api_key::{ApiKey, ApiKeyMode};
use orgplane_domain::page::Page;
use uuid::Uuid;

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
        idempotency: Option<Idempotency<CreatedApiKey>>,
    ) -> ServiceResult<Outcome<CreatedApiKey>>;
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
