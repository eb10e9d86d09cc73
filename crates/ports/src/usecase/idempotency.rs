//! Idempotent requests: the same `Idempotency-Key` and request answer the first response
//! again; the same key with another request is refused.

use crate::store::RecordedResponse;
use orgplane_domain::idempotency::IdempotencyKey;

/// A request's `Idempotency-Key`, what the request asks, and how the surface renders the
/// outcome: the rendering is recorded in the same transaction as the effects, so a retry
/// gets the very same response.
pub struct Idempotency<T> {
    /// The key.
    pub key: IdempotencyKey,
    /// A digest of what the request asks (method, path, body).
    pub fingerprint: [u8; 32],
    /// Renders the outcome as the surface answers it.
    pub render: Box<dyn Fn(&T) -> RecordedResponse + Send>,
}

impl<T> std::fmt::Debug for Idempotency<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The outcome of a use case that may replay.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// Carried out now.
    Done(T),
    /// Carried out before, under the same key: its recorded answer.
    Replayed(RecordedResponse),
}

impl<T> Outcome<T> {
    /// What was carried out now; `None` for a replay.
    pub fn done(self) -> Option<T> {
        match self {
            Self::Done(value) => Some(value),
            Self::Replayed(_) => None,
        }
    }
}
