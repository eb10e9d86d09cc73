//! Idempotency records: the first answer to a request with an `Idempotency-Key`.

use super::StoreResult;
use chrono::{DateTime, Utc};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::user::UserId;

/// A digest of an idempotency key, which is what the store keeps of it.
pub type KeyDigest = [u8; 32];

/// A response as it went out, kept so that a retry gets it again.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// `Location`, for a create whose object has a URL of its own.
    pub location: Option<String>,
}

impl std::fmt::Debug for RecordedResponse {
    // Bodies may hold one-time secrets (a new key's value): never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its earlier use expired): it is now held by this transaction,
    /// and a concurrent request with the same key waits until it ends.
    Fresh,
    /// The key was used before: what that request asked and was answered.
    Used {
        /// The fingerprint of the earlier request.
        fingerprint: [u8; 32],
        /// Its answer.
        response: RecordedResponse,
    },
}

/// Who holds a key and what they ask.
#[derive(Debug, Clone, Copy)]
pub struct KeyClaim<'a> {
    /// The caller (keys are scoped to the user).
    pub user: UserId,
    /// The user's home organization.
    pub organization: OrganizationId,
    /// A digest of the key (the key itself is never stored).
    pub key: &'a KeyDigest,
    /// What the request asks (method, path, body).
    pub fingerprint: [u8; 32],
    /// Now.
    pub now: DateTime<Utc>,
    /// Uses of the key before this are expired and count as new.
    pub expired_before: DateTime<Utc>,
}

/// Idempotency records.
pub trait IdempotencyRepository {
    /// Claims a key for this transaction, or returns its earlier use.
    fn claim_idempotency_key(&mut self, claim: KeyClaim<'_>) -> StoreResult<Claim>;
    /// Records the answer to a claimed key (in the same transaction).
    fn complete_idempotency_key(
        &mut self,
        user: UserId,
        key: &KeyDigest,
        response: &RecordedResponse,
    ) -> StoreResult<()>;
    /// Drops records created before `before`; returns how many.
    fn prune_idempotency_keys(&mut self, before: DateTime<Utc>) -> StoreResult<u64>;
}
