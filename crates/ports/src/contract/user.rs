//! Contract cases: users.

use super::*;
use crate::store::*;
use orgplane_domain::organization::*;
use orgplane_domain::page::Cursor;

/// Two users never share an address, whatever its case.
pub fn user_emails_are_unique_case_insensitively<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    must(&store, |r| {
        r.insert_user(new_user("Jane@Example.com", &org))
    });
    let again = store.transaction(|r| r.insert_user(new_user("jane@example.COM", &org)));
    assert_eq!(again.map(|_| ()), Err(StoreError::Conflict(Unique::Email)));
    let found = must(&store, |r| {
        r.user_by_email(&Email::parse("JANE@example.com").expect("email"))
    });
    assert_eq!(
        found.map(|u| u.email.as_str().to_owned()),
        Some("Jane@Example.com".into())
    );
}
/// Users read back as written; updates persist; lists page by key.
pub fn users_round_trip_and_update<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let other = insert_org(&store, "Other", None);
    let mut jane = must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
    let joe = must(&store, |r| r.insert_user(new_user("joe@example.com", &org)));
    must(&store, |r| r.insert_user(new_user("x@example.com", &other)));
    assert_eq!(jane.home_organization_id, org.id);
    assert_eq!(jane.current_organization_id, org.id);
    assert_eq!(
        must(&store, |r| r.user_by_uuid(jane.uuid)),
        Some(jane.clone())
    );

    jane.change_email(Email::parse("jane.doe@example.com").expect("email"));
    jane.roles = vec![Role::Viewer];
    jane.last_login_time = Some(t(9));
    jane.updated_at = t(9);
    must(&store, |r| r.update_user(&jane));
    assert_eq!(must(&store, |r| r.user(jane.id)), Some(jane.clone()));
    assert_eq!(jane.previous_emails.len(), 1);

    let page = must(&store, |r| r.list_users(org.id, None, 1));
    assert_eq!(page.iter().map(|u| u.id).collect::<Vec<_>>(), vec![jane.id]);
    let next = must(&store, |r| {
        r.list_users(org.id, Some(Cursor::after(jane.id.0)), 5)
    });
    assert_eq!(next.iter().map(|u| u.id).collect::<Vec<_>>(), vec![joe.id]);
    assert_eq!(must(&store, |r| r.count_users(org.id)), 2);
}
/// A deleted user is gone, and so are its keys and sessions.
pub fn deleting_a_user_revokes_its_credentials<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let user = must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
    let key = must(&store, |r| r.insert_api_key(new_key(&user, 1)));
    must(&store, |r| {
        r.insert_session(user.id, org.id, [2; 32], t(100), t(0))
    });
    must(&store, |r| r.delete_user(user.id, t(1)));
    assert_eq!(must(&store, |r| r.user(user.id)), None);
    assert!(must(&store, |r| r.api_key_by_hash(&[1; 32]))
        .is_some_and(|(k, owner)| k.revoked_at.is_some() && owner.is_none()));
    assert_eq!(must(&store, |r| r.api_key_by_uuid(key.uuid)), None);
    assert!(must(&store, |r| r.session_by_hash(&[2; 32]))
        .is_some_and(|(s, owner)| s.revoked_at.is_some() && owner.is_none()));
    // The address is free again.
    must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
}
/// A login stamps `last_login_time` and leaves every other field alone.
pub fn recording_a_login_touches_nothing_else<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let user = must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
    must(&store, |r| r.record_login(user.id, t(7)));
    let after = must(&store, |r| r.user(user.id)).expect("user");
    assert_eq!(
        after,
        orgplane_domain::user::User {
            last_login_time: Some(t(7)),
            ..user
        }
    );
}
/// Like organizations, a user read under lock waits for the transaction changing it.
pub fn a_locked_user_read_waits_for_the_concurrent_writer<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let user = must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
    let ((), seen) = race(
        &store,
        |r, hold| {
            let mut mine = r.lock_user(user.id, Lock::Update)?.expect("live");
            hold();
            mine.roles = vec![Role::PlatformAdmin];
            r.update_user(&mine)
        },
        |r| r.lock_user(user.id, Lock::Share),
    );
    assert_eq!(
        seen.expect("live").roles,
        vec![Role::PlatformAdmin],
        "the share lock saw the committed promotion"
    );
}
/// Users holding a role are counted in an organization and everything below it, and
/// nowhere else.
pub fn users_holding_a_role_are_counted_across_the_subtree<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let child = insert_org(&store, "Child", Some(&root));
    let other = insert_org(&store, "Other", None);
    let mut op = new_user("op@example.com", &child);
    op.roles = vec![Role::Admin, Role::PlatformAdmin];
    must(&store, |r| r.insert_user(op));
    must(&store, |r| {
        r.insert_user(new_user("admin@example.com", &root))
    });
    let count =
        |org: &Organization, role| must(&store, |r| r.count_users_with_role_within(org.id, role));
    assert_eq!(count(&root, Role::PlatformAdmin), 1);
    assert_eq!(count(&child, Role::PlatformAdmin), 1);
    assert_eq!(count(&root, Role::Admin), 2);
    assert_eq!(count(&other, Role::PlatformAdmin), 0);
    assert_eq!(count(&root, Role::Viewer), 0);
}
