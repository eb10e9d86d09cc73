//! Idempotency records in memory.

use crate::{Remembered, State};
use chrono::{DateTime, Utc};
use orgplane_domain::user::UserId;
use orgplane_ports::store::*;

impl IdempotencyRepository for State {
    fn claim_idempotency_key(&mut self, claim: KeyClaim<'_>) -> StoreResult<Claim> {
        let slot = (claim.user, *claim.key);
        if let Some(earlier) = self.idempotency.get(&slot) {
            if earlier.created_at >= claim.expired_before {
                let response = earlier.response.clone().ok_or_else(|| {
                    StoreError::Internal("idempotency record without its answer".into())
                })?;
                return Ok(Claim::Used {
                    fingerprint: earlier.fingerprint,
                    response,
                });
            }
        }
        self.idempotency.insert(
            slot,
            Remembered {
                fingerprint: claim.fingerprint,
                response: None,
                created_at: claim.now,
            },
        );
        Ok(Claim::Fresh)
    }

    fn complete_idempotency_key(
        &mut self,
        user: UserId,
        key: &KeyDigest,
        response: &RecordedResponse,
    ) -> StoreResult<()> {
        if let Some(record) = self.idempotency.get_mut(&(user, *key)) {
            record.response = Some(response.clone());
        }
        Ok(())
    }

    fn prune_idempotency_keys(&mut self, before: DateTime<Utc>) -> StoreResult<u64> {
        let old = self.idempotency.len();
        self.idempotency.retain(|_, r| r.created_at >= before);
        Ok((old - self.idempotency.len()) as u64)
    }
}
