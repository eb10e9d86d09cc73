//! Contract cases: API keys and login sessions.

use super::*;
use crate::store::*;

/// Keys are found by the hash of their value, touched, listed and revoked.
pub fn api_keys_are_found_by_hash_and_revoked<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let user = must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
    let mut input = new_key(&user, 7);
    input.active_until = Some(t(50));
    let key = must(&store, |r| r.insert_api_key(input));
    let second = must(&store, |r| r.insert_api_key(new_key(&user, 8)));
    assert_eq!(key.active_until, Some(t(50)));
    assert_eq!(
        must(&store, |r| r.api_key_by_hash(&[7; 32])),
        Some((key.clone(), Some(user.clone())))
    );
    assert_eq!(must(&store, |r| r.api_key_by_hash(&[9; 32])), None);
    let duplicate = store.transaction(|r| r.insert_api_key(new_key(&user, 7)));
    assert_eq!(
        duplicate.map(|_| ()),
        Err(StoreError::Conflict(Unique::SecretHash))
    );

    must(&store, |r| r.touch_api_key(key.id, t(3)));
    assert_eq!(
        must(&store, |r| r.api_key_by_uuid(key.uuid)).and_then(|k| k.last_used_at),
        Some(t(3))
    );
    assert_eq!(
        must(&store, |r| r.list_api_keys(user.id, None, 10)).len(),
        2
    );

    assert!(must(&store, |r| r.revoke_api_key(key.id, t(4))));
    assert!(
        !must(&store, |r| r.revoke_api_key(key.id, t(5))),
        "only the first revocation counts"
    );
    assert_eq!(
        must(&store, |r| r.api_key_by_hash(&[7; 32])).and_then(|(k, _)| k.revoked_at),
        Some(t(4))
    );
    let listed: Vec<i64> = must(&store, |r| r.list_api_keys(user.id, None, 10))
        .iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(listed, vec![second.id]);
}
/// Sessions are found by token hash and end when revoked.
pub fn sessions_are_found_by_hash_and_revoked<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let user = must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
    let session = must(&store, |r| {
        r.insert_session(user.id, org.id, [3; 32], t(100), t(0))
    });
    assert_eq!(session.expires_at, t(100));
    assert_eq!(
        must(&store, |r| r.session_by_hash(&[3; 32])).map(|(s, u)| (s, u.map(|u| u.id))),
        Some((session.clone(), Some(session.user_id)))
    );
    must(&store, |r| r.revoke_session(session.id, t(5)));
    assert_eq!(
        must(&store, |r| r.session_by_hash(&[3; 32])).and_then(|(s, _)| s.revoked_at),
        Some(t(5))
    );
}
/// Ending a user's sessions spares the one named and other users' sessions.
pub fn all_other_sessions_of_a_user_end_together<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let jane = must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
    let joe = must(&store, |r| r.insert_user(new_user("joe@example.com", &org)));
    let keep = must(&store, |r| {
        r.insert_session(jane.id, org.id, [1; 32], t(100), t(0))
    });
    must(&store, |r| {
        r.insert_session(jane.id, org.id, [2; 32], t(100), t(0))
    });
    must(&store, |r| {
        r.insert_session(jane.id, org.id, [3; 32], t(100), t(0))
    });
    must(&store, |r| {
        r.insert_session(joe.id, org.id, [4; 32], t(100), t(0))
    });
    assert_eq!(
        must(&store, |r| r.revoke_user_sessions(
            jane.id,
            Some(keep.id),
            t(5)
        )),
        2
    );
    let revoked =
        |h: u8| must(&store, |r| r.session_by_hash(&[h; 32])).and_then(|(s, _)| s.revoked_at);
    assert_eq!(
        (revoked(1), revoked(2), revoked(3), revoked(4)),
        (None, Some(t(5)), Some(t(5)), None)
    );
}
