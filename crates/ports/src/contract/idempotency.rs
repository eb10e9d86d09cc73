//! Contract cases: idempotency records.

use super::*;
use crate::store::*;
use orgplane_domain::user::User;

fn response(body: &str) -> RecordedResponse {
    RecordedResponse {
        status: 201,
        content_type: "application/json".into(),
        body: body.as_bytes().to_vec(),
        location: Some(format!("/things/{body}")),
    }
}

fn claim<'a>(user: &User, key: &'a KeyDigest, fingerprint: u8, now: i64) -> KeyClaim<'a> {
    KeyClaim {
        user: user.id,
        organization: user.home_organization_id,
        key,
        fingerprint: [fingerprint; 32],
        now: t(now),
        expired_before: t(now - 100),
    }
}

/// A key is fresh once; afterwards it answers what it recorded, per user; an expired
/// one is fresh again; pruning drops old ones.
pub fn idempotency_keys_are_claimed_once_and_expire<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let jane = must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
    let joe = must(&store, |r| r.insert_user(new_user("joe@example.com", &org)));
    let key: KeyDigest = [11; 32];
    let fresh = must(&store, |r| {
        let c = r.claim_idempotency_key(claim(&jane, &key, 1, 0))?;
        r.complete_idempotency_key(jane.id, &key, &response("first"))?;
        Ok(c)
    });
    assert_eq!(fresh, Claim::Fresh);
    let used = must(&store, |r| {
        r.claim_idempotency_key(claim(&jane, &key, 2, 50))
    });
    assert_eq!(
        used,
        Claim::Used {
            fingerprint: [1; 32],
            response: response("first")
        }
    );
    assert_eq!(
        must(&store, |r| r
            .claim_idempotency_key(claim(&joe, &key, 2, 50))),
        Claim::Fresh,
        "keys are per user"
    );
    // A transaction that claims and fails leaves nothing behind.
    let other: KeyDigest = [12; 32];
    let failed: StoreResult<()> = store.transaction(|r| {
        r.claim_idempotency_key(claim(&jane, &other, 1, 60))?;
        Err(StoreError::Internal("abort".into()))
    });
    assert!(failed.is_err());
    let again = must(&store, |r| {
        let c = r.claim_idempotency_key(claim(&jane, &other, 1, 60))?;
        r.complete_idempotency_key(jane.id, &other, &response("second"))?;
        Ok(c)
    });
    assert_eq!(again, Claim::Fresh);
    // Past its lifetime, a key is new again.
    let expired = must(&store, |r| {
        let c = r.claim_idempotency_key(claim(&jane, &key, 3, 500))?;
        r.complete_idempotency_key(jane.id, &key, &response("renewed"))?;
        Ok(c)
    });
    assert_eq!(expired, Claim::Fresh);
    assert_eq!(
        must(&store, |r| r.prune_idempotency_keys(t(100))),
        2,
        "joe's and batch-2 are old"
    );
    assert_eq!(
        must(&store, |r| r
            .claim_idempotency_key(claim(&jane, &key, 3, 501))),
        Claim::Used {
            fingerprint: [3; 32],
            response: response("renewed")
        }
    );
}

/// A request claiming a key that a concurrent transaction holds waits for it and then
/// sees its answer: the two never both run.
pub fn a_duplicate_request_waits_for_the_first<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let jane = must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
    let key: KeyDigest = [11; 32];
    let (first, second) = race(
        &store,
        |r, hold| {
            let c = r.claim_idempotency_key(claim(&jane, &key, 1, 0))?;
            hold();
            r.complete_idempotency_key(jane.id, &key, &response("first"))?;
            Ok(c)
        },
        |r| r.claim_idempotency_key(claim(&jane, &key, 1, 0)),
    );
    assert_eq!(first, Claim::Fresh);
    assert_eq!(
        second,
        Claim::Used {
            fingerprint: [1; 32],
            response: response("first")
        }
    );
}
