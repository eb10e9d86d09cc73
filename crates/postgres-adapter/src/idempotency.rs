//! Idempotency records in PostgreSQL.

use crate::schema::idempotency_keys;
use crate::{corrupt, store_error, PgRepositories};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use orgplane_domain::user::UserId;
use orgplane_ports::store::*;

type StoredRow = (
    Vec<u8>,
    Option<i16>,
    Option<String>,
    Option<Vec<u8>>,
    DateTime<Utc>,
    Option<String>,
);

impl IdempotencyRepository for PgRepositories<'_> {
    fn claim_idempotency_key(&mut self, claim: KeyClaim<'_>) -> StoreResult<Claim> {
        // A concurrent request with the same key waits here until the first one ends.
        let inserted = diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::user_id.eq(claim.user.0),
                idempotency_keys::key_hash.eq(claim.key.as_slice()),
                idempotency_keys::organization_id.eq(claim.organization.0),
                idempotency_keys::fingerprint.eq(claim.fingerprint.as_slice()),
                idempotency_keys::created_at.eq(claim.now),
            ))
            .on_conflict_do_nothing()
            .execute(self.conn)
            .map_err(store_error)?;
        if inserted == 1 {
            return Ok(Claim::Fresh);
        }
        let mine = idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(claim.user.0))
            .filter(idempotency_keys::key_hash.eq(claim.key.as_slice()));
        let (fingerprint, status, content_type, body, created_at, location): StoredRow = mine
            .select((
                idempotency_keys::fingerprint,
                idempotency_keys::status,
                idempotency_keys::content_type,
                idempotency_keys::body,
                idempotency_keys::created_at,
                idempotency_keys::location,
            ))
            .for_update()
            .first(self.conn)
            .map_err(store_error)?;
        if created_at < claim.expired_before {
            diesel::update(mine)
                .set((
                    idempotency_keys::fingerprint.eq(claim.fingerprint.as_slice()),
                    idempotency_keys::created_at.eq(claim.now),
                    idempotency_keys::status.eq(None::<i16>),
                    idempotency_keys::content_type.eq(None::<String>),
                    idempotency_keys::body.eq(None::<Vec<u8>>),
                    idempotency_keys::location.eq(None::<String>),
                ))
                .execute(self.conn)
                .map_err(store_error)?;
            return Ok(Claim::Fresh);
        }
        let fingerprint: [u8; 32] = fingerprint
            .try_into()
            .map_err(|_| corrupt("idempotency fingerprint", "not 32 bytes"))?;
        match (status, content_type, body) {
            (Some(status), Some(content_type), Some(body)) => Ok(Claim::Used {
                fingerprint,
                response: RecordedResponse {
                    status: u16::try_from(status).map_err(|e| corrupt("idempotency status", e))?,
                    content_type,
                    body,
                    location,
                },
            }),
            _ => Err(corrupt(
                "idempotency record",
                "committed without its answer",
            )),
        }
    }

    fn complete_idempotency_key(
        &mut self,
        user: UserId,
        key: &KeyDigest,
        response: &RecordedResponse,
    ) -> StoreResult<()> {
        diesel::update(
            idempotency_keys::table
                .filter(idempotency_keys::user_id.eq(user.0))
                .filter(idempotency_keys::key_hash.eq(key.as_slice())),
        )
        .set((
            idempotency_keys::status.eq(i16::try_from(response.status).unwrap_or(i16::MAX)),
            idempotency_keys::content_type.eq(&response.content_type),
            idempotency_keys::body.eq(&response.body),
            idempotency_keys::location.eq(&response.location),
        ))
        .execute(self.conn)
        .map(|_| ())
        .map_err(store_error)
    }

    fn prune_idempotency_keys(&mut self, before: DateTime<Utc>) -> StoreResult<u64> {
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
            .execute(self.conn)
            .map(|n| n as u64)
            .map_err(store_error)
    }
}
