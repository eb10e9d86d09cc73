//! The repository contract: one suite that every [`Store`] implementation must pass.
//!
//! An adapter runs it with [`store_contract_tests!`](crate::store_contract_tests), giving an
//! expression that makes a fresh, empty store:
//!
//! ```ignore
//! orgplane_ports::store_contract_tests!(MemoryStore::default);
//! ```

use crate::store::*;
use chrono::{DateTime, TimeZone, Utc};
use orgplane_domain::access::Role;
use orgplane_domain::api_key::ApiKeyMode;
use orgplane_domain::audit::{AccessAction, AccessStatus, NewAuditEntry};
use orgplane_domain::organization::*;
use orgplane_domain::page::Cursor;
use orgplane_domain::user::{Email, EmailPreferences, PasswordHash, UserName};
use uuid::Uuid;

/// Generates one `#[test]` per contract case for the store made by `$make`.
#[macro_export]
macro_rules! store_contract_tests {
    ($make:expr) => {
        $crate::store_contract_tests!(@cases $make;
            organization_round_trips,
            sub_organization_path_extends_the_parent_path,
            permalinks_are_unique_among_live_organizations,
            listing_filters_and_pages_by_key,
            updates_persist,
            deleting_a_subtree_leaves_the_rest,
            a_failed_transaction_changes_nothing,
            user_emails_are_unique_case_insensitively,
            users_round_trip_and_update,
            deleting_a_user_revokes_its_credentials,
            api_keys_are_found_by_hash_and_revoked,
            sessions_are_found_by_hash_and_revoked,
            all_other_sessions_of_a_user_end_together,
            audit_entries_are_listed_per_scope_newest_first,
            access_log_counts_recent_login_failures,
            locked_reads_see_the_live_row,
            a_locked_read_waits_for_the_concurrent_writer,
            a_child_added_while_its_parent_is_deleted_is_deleted_too,
            a_grandchild_added_while_an_ancestor_is_deleted_is_deleted_too,
            a_locked_user_read_waits_for_the_concurrent_writer,
            login_attempts_for_one_address_run_one_at_a_time,
            login_attempts_from_one_client_run_one_at_a_time,
            users_holding_a_role_are_counted_across_the_subtree,
            recording_a_login_touches_nothing_else
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::contract::$case(&$make);
            }
        )*
    };
}

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0)
        .single()
        .expect("valid time")
}

fn must<T, S: Store>(store: &S, f: impl FnOnce(&mut dyn Repositories) -> StoreResult<T>) -> T {
    store.transaction(f).expect("store operation")
}

fn new_org(name: &str, parent: Option<&Organization>) -> InsertOrganization {
    let name = OrganizationName::parse(name).expect("name");
    InsertOrganization {
        uuid: Uuid::new_v4(),
        permalink: Permalink::derive_from(&name).expect("permalink"),
        name,
        profile: Profile {
            country_code: Some(CountryCode::parse("DE").expect("code")),
            domain: Some(DomainName::parse("example.com").expect("domain")),
            ..Profile::default()
        },
        parent: parent.map(|p| p.id),
        parent_path: parent.map(|p| p.path.clone()).unwrap_or_default(),
        limit: Some(MonthlyLimit::new(1000).expect("limit")),
        customizations: Customizations::parse(serde_json::json!({"theme": "dark"})).expect("json"),
        now: t(0),
    }
}

fn insert_org<S: Store>(store: &S, name: &str, parent: Option<&Organization>) -> Organization {
    must(store, |r| r.insert_organization(new_org(name, parent)))
}

fn new_user(email: &str, org: &Organization) -> InsertUser {
    InsertUser {
        uuid: Uuid::new_v4(),
        email: Email::parse(email).expect("email"),
        name: UserName::parse("Jane Doe").expect("name"),
        phone_number: None,
        password_hash: PasswordHash("$argon2id$v=19$fake".into()),
        roles: vec![Role::Admin],
        email_preferences: EmailPreferences::default(),
        verified_email: false,
        pending_invite: false,
        organization_id: org.id,
        now: t(0),
    }
}

fn new_key(user: &orgplane_domain::user::User, hash: u8) -> InsertApiKey {
    InsertApiKey {
        uuid: Uuid::new_v4(),
        user_id: user.id,
        organization_id: user.home_organization_id,
        mode: ApiKeyMode::Live,
        prefix: "live_abcdef0".into(),
        hash: [hash; 32],
        active_until: None,
        now: t(0),
    }
}

/// An inserted organization reads back equal, by key and by public id.
pub fn organization_round_trips<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    assert_eq!(org.path, vec![org.id]);
    assert_eq!(org.parent_id, None);
    assert_eq!(
        org.profile.country_code.map(|c| c.as_str().to_owned()),
        Some("DE".into())
    );
    assert_eq!(must(&store, |r| r.organization(org.id)), Some(org.clone()));
    assert_eq!(
        must(&store, |r| r.organization_by_uuid(org.uuid)),
        Some(org.clone())
    );
    assert_eq!(
        must(&store, |r| r.organization_by_uuid(Uuid::new_v4())),
        None
    );
}

/// A sub-organization's path is its parent's plus itself.
pub fn sub_organization_path_extends_the_parent_path<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let child = insert_org(&store, "Child", Some(&root));
    let grandchild = insert_org(&store, "Grandchild", Some(&child));
    assert_eq!(grandchild.path, vec![root.id, child.id, grandchild.id]);
    assert_eq!(grandchild.parent_id, Some(child.id));
    assert_eq!(must(&store, |r| r.count_children(root.id)), 1);
}

/// Two live organizations never share a permalink; a deleted one frees its permalink.
pub fn permalinks_are_unique_among_live_organizations<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let first = insert_org(&store, "Acme", None);
    assert!(must(&store, |r| r.permalink_taken(&first.permalink)));
    let again = store.transaction(|r| r.insert_organization(new_org("Acme", None)));
    assert_eq!(again, Err(StoreError::Conflict(Unique::Permalink)));
    must(&store, |r| r.delete_organization_subtree(first.id, t(1)));
    assert!(!must(&store, |r| r.permalink_taken(&first.permalink)));
    insert_org(&store, "Acme", None);
}

/// Filters combine; pages follow the key order without gaps or repeats.
pub fn listing_filters_and_pages_by_key<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let a = insert_org(&store, "Alpha Mail", Some(&root));
    let b = insert_org(&store, "Beta", Some(&root));
    let a1 = insert_org(&store, "Alpha Sub", Some(&a));
    let other = insert_org(&store, "Other", None);

    let ids = |f: OrganizationFilter, after: Option<Cursor>, limit: usize| -> Vec<OrganizationId> {
        must(&store, |r| r.list_organizations(&f, after, limit))
            .into_iter()
            .map(|o| o.id)
            .collect()
    };
    let within = |id| OrganizationFilter {
        within: Some(id),
        ..Default::default()
    };

    assert_eq!(
        ids(within(root.id), None, 10),
        vec![root.id, a.id, b.id, a1.id]
    );
    assert_eq!(ids(within(a.id), None, 10), vec![a.id, a1.id]);
    assert_eq!(ids(OrganizationFilter::default(), None, 10).len(), 5);
    assert_eq!(
        ids(
            OrganizationFilter {
                parent: Some(root.id),
                ..Default::default()
            },
            None,
            10
        ),
        vec![a.id, b.id]
    );
    let search = OrganizationFilter {
        within: Some(root.id),
        search: Some("ALPHA".into()),
        ..Default::default()
    };
    assert_eq!(ids(search, None, 10), vec![a.id, a1.id]);
    let first_page = ids(within(root.id), None, 2);
    assert_eq!(first_page, vec![root.id, a.id]);
    assert_eq!(
        ids(within(root.id), Some(Cursor::after(a.id.0)), 2),
        vec![b.id, a1.id]
    );
    assert!(ids(within(root.id), None, 10)
        .iter()
        .all(|id| *id != other.id));
}

/// Every mutable field survives a save.
pub fn updates_persist<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let mut org = insert_org(&store, "Acme", None);
    org.apply(OrganizationPatch {
        name: Some(OrganizationName::parse("Acme Two").expect("name")),
        city: Some(Some(City::parse("Berlin").expect("city"))),
        country_code: Some(None),
        limit: Some(None),
        customizations: Some(
            Customizations::parse(serde_json::json!({"a": [1, 2]})).expect("json"),
        ),
        ..Default::default()
    });
    org.updated_at = t(5);
    must(&store, |r| r.update_organization(&org));
    assert_eq!(must(&store, |r| r.organization(org.id)), Some(org));
}

/// Deleting an organization deletes its descendants and nothing else.
pub fn deleting_a_subtree_leaves_the_rest<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let a = insert_org(&store, "A", Some(&root));
    let a1 = insert_org(&store, "A1", Some(&a));
    let b = insert_org(&store, "B", Some(&root));
    let user = must(&store, |r| r.insert_user(new_user("a1@example.com", &a1)));

    assert_eq!(
        must(&store, |r| r.delete_organization_subtree(a.id, t(1))),
        2
    );
    assert_eq!(must(&store, |r| r.organization(a.id)), None);
    assert_eq!(must(&store, |r| r.organization(a1.id)), None);
    assert_eq!(
        must(&store, |r| r.user(user.id)),
        None,
        "users of deleted organizations go too"
    );
    assert!(must(&store, |r| r.organization(b.id)).is_some());
    assert_eq!(must(&store, |r| r.count_children(root.id)), 1);
}

/// Work that fails inside a transaction leaves no trace.
pub fn a_failed_transaction_changes_nothing<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let result: Result<(), StoreError> = store.transaction(|r| {
        r.insert_organization(new_org("Ghost", None))?;
        Err(StoreError::Internal("abort".into()))
    });
    assert!(result.is_err());
    let all = must(&store, |r| {
        r.list_organizations(&OrganizationFilter::default(), None, 10)
    });
    assert!(all.is_empty());
}

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
    assert!(must(&store, |r| r.api_key_by_hash(&[1; 32])).is_some_and(|k| k.revoked_at.is_some()));
    assert_eq!(must(&store, |r| r.api_key_by_uuid(key.uuid)), None);
    assert!(must(&store, |r| r.session_by_hash(&[2; 32])).is_some_and(|s| s.revoked_at.is_some()));
    // The address is free again.
    must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
}

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
        Some(key.clone())
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
        must(&store, |r| r.api_key_by_hash(&[7; 32])).and_then(|k| k.revoked_at),
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
        must(&store, |r| r.session_by_hash(&[3; 32])),
        Some(session.clone())
    );
    must(&store, |r| r.revoke_session(session.id, t(5)));
    assert_eq!(
        must(&store, |r| r.session_by_hash(&[3; 32])).and_then(|s| s.revoked_at),
        Some(t(5))
    );
}

/// The audit log lists an organization's own entries, or its descendants', newest first.
pub fn audit_entries_are_listed_per_scope_newest_first<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let child = insert_org(&store, "Child", Some(&root));
    let grandchild = insert_org(&store, "Grandchild", Some(&child));
    let entry = |org: &Organization, action: &str| NewAuditEntry {
        organization_id: org.id,
        actor_user_id: None,
        actor_api_key_id: None,
        actor_session_id: None,
        action: action.into(),
        target_type: "organization",
        target_id: org.uuid,
        changes: serde_json::json!({"name": "x"}),
    };
    must(&store, |r| {
        r.append_audit(entry(&root, "organization.update"), t(1))
    });
    must(&store, |r| {
        r.append_audit(entry(&child, "organization.create"), t(2))
    });
    must(&store, |r| {
        r.append_audit(entry(&grandchild, "organization.update"), t(3))
    });

    let query = |descendants, action: Option<&str>, from| AuditQuery {
        organization: root.id,
        descendants,
        action: action.map(str::to_owned),
        from,
        to: None,
    };
    let own = must(&store, |r| {
        r.list_audit(&query(false, None, None), None, 10)
    });
    assert_eq!(
        own.iter().map(|e| e.target_id).collect::<Vec<_>>(),
        vec![root.uuid]
    );
    let below = must(&store, |r| r.list_audit(&query(true, None, None), None, 10));
    assert_eq!(
        below.iter().map(|e| e.target_id).collect::<Vec<_>>(),
        vec![grandchild.uuid, child.uuid]
    );
    assert_eq!(below[0].organization_id, grandchild.uuid);
    assert_eq!(below[0].changes, serde_json::json!({"name": "x"}));
    let updates = must(&store, |r| {
        r.list_audit(&query(true, Some("organization.update"), None), None, 10)
    });
    assert_eq!(updates.len(), 1);
    let recent = must(&store, |r| {
        r.list_audit(&query(true, None, Some(t(3))), None, 10)
    });
    assert_eq!(recent.len(), 1);
    let page2 = must(&store, |r| {
        r.list_audit(
            &query(true, None, None),
            Some(Cursor::after(below[0].id)),
            10,
        )
    });
    assert_eq!(
        page2.iter().map(|e| e.target_id).collect::<Vec<_>>(),
        vec![child.uuid]
    );
}

/// Failed logins are counted per address and per client within a window.
pub fn access_log_counts_recent_login_failures<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let attempt = |email: &str, ip: &str, status| NewAccessLogEntry {
        organization_id: Some(org.id),
        user_id: None,
        email: Some(email.into()),
        action: AccessAction::Login,
        status,
        client_ip: Some(ip.into()),
    };
    must(&store, |r| {
        r.append_access(
            attempt("a@example.com", "10.0.0.1", AccessStatus::Failure),
            t(0),
        )
    });
    must(&store, |r| {
        r.append_access(
            attempt("a@example.com", "10.0.0.2", AccessStatus::Failure),
            t(10),
        )
    });
    must(&store, |r| {
        r.append_access(
            attempt("b@example.com", "10.0.0.1", AccessStatus::Failure),
            t(20),
        )
    });
    let provisional = must(&store, |r| {
        r.append_access(
            attempt("a@example.com", "10.0.0.1", AccessStatus::Failure),
            t(30),
        )
    });
    must(&store, |r| r.mark_access_success(provisional));

    let failures = |email: Option<&str>, ip: Option<&str>, since, limit| {
        must(&store, |r| r.recent_login_failures(email, ip, since, limit))
    };
    assert_eq!(
        failures(Some("A@example.com"), None, t(-1), 10),
        vec![t(10), t(0)]
    );
    assert_eq!(failures(Some("a@example.com"), None, t(5), 10), vec![t(10)]);
    assert_eq!(
        failures(Some("a@example.com"), None, t(10), 10),
        Vec::<DateTime<Utc>>::new(),
        "`since` is exclusive"
    );
    assert_eq!(
        failures(None, Some("10.0.0.1"), t(-1), 10),
        vec![t(20), t(0)]
    );
    assert_eq!(
        failures(None, Some("10.0.0.1"), t(-1), 1),
        vec![t(20)],
        "newest first, at most `limit`"
    );

    let query = AccessQuery {
        organization: org.id,
        action: None,
        status: Some(AccessStatus::Failure),
        from: None,
        to: Some(t(20)),
    };
    let entries = must(&store, |r| r.list_access(&query, None, 10));
    assert_eq!(entries.len(), 2, "`to` is exclusive");
    assert!(
        entries[0].created_at > entries[1].created_at,
        "newest first"
    );
    assert_eq!(entries[0].email.as_deref(), Some("a@example.com"));
}

/// Locked reads return the live row as last committed, and nothing once it is deleted.
pub fn locked_reads_see_the_live_row<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let user = must(&store, |r| {
        r.insert_user(new_user("jane@example.com", &org))
    });
    for lock in [Lock::Share, Lock::Update] {
        assert_eq!(
            must(&store, |r| r.lock_organization(org.id, lock)),
            Some(org.clone())
        );
    }
    for lock in [Lock::Share, Lock::Update] {
        assert_eq!(
            must(&store, |r| r.lock_user(user.id, lock)),
            Some(user.clone())
        );
    }
    assert!(must(&store, |r| r.lock_path(&org.path)));
    must(&store, |r| r.delete_organization_subtree(org.id, t(1)));
    assert_eq!(
        must(&store, |r| r.lock_organization(org.id, Lock::Update)),
        None
    );
    assert_eq!(must(&store, |r| r.lock_user(user.id, Lock::Update)), None);
    assert!(
        !must(&store, |r| r.lock_path(&org.path)),
        "a deleted organization cannot be locked"
    );
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

/// A locked read in one transaction waits for another transaction holding the lock, and
/// then sees its committed change: concurrent read-modify-writes cannot lose updates.
pub fn a_locked_read_waits_for_the_concurrent_writer<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let org = insert_org(&store, "Acme", None);
    let ((), seen) = race(
        &store,
        |r, hold| {
            let mut mine = r.lock_organization(org.id, Lock::Update)?.expect("live");
            hold();
            let city = City::parse("Berlin").expect("city");
            mine.apply(OrganizationPatch {
                city: Some(Some(city)),
                ..Default::default()
            });
            r.update_organization(&mine)
        },
        |r| r.lock_organization(org.id, Lock::Update),
    );
    let city = seen
        .expect("live")
        .profile
        .city
        .map(|c| c.as_str().to_owned());
    assert_eq!(city, Some("Berlin".to_owned()));
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
    let revoked = |h: u8| must(&store, |r| r.session_by_hash(&[h; 32])).and_then(|s| s.revoked_at);
    assert_eq!(
        (revoked(1), revoked(2), revoked(3), revoked(4)),
        (None, Some(t(5)), Some(t(5)), None)
    );
}

/// A sub-organization being added (its parent share-locked) while the parent's subtree is
/// deleted ends up deleted too: no live organization under a deleted parent.
pub fn a_child_added_while_its_parent_is_deleted_is_deleted_too<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let parent = insert_org(&store, "Parent", None);
    let (child, deleted) = race(
        &store,
        |r, hold| {
            let parent = r.lock_organization(parent.id, Lock::Share)?.expect("live");
            hold();
            r.insert_organization(new_org("Child", Some(&parent)))
        },
        |r| r.delete_organization_subtree(parent.id, t(1)),
    );
    assert_eq!(deleted, 2, "the parent and the child that landed meanwhile");
    assert_eq!(must(&store, |r| r.organization(child.id)), None);
}

/// Runs `first` in a transaction that signals once it holds its locks and then dawdles,
/// and `second` in another transaction once the signal came; returns both results.
fn race<S: Store, A: Send, B>(
    store: &S,
    first: impl FnOnce(&mut dyn Repositories, &dyn Fn()) -> StoreResult<A> + Send,
    second: impl FnOnce(&mut dyn Repositories) -> StoreResult<B>,
) -> (A, B) {
    let (locked, wait_for_lock) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        let holder = s.spawn(move || {
            must(store, |r| {
                first(r, &|| {
                    locked.send(()).expect("signal");
                    // Give the second transaction every chance to go too early.
                    std::thread::sleep(std::time::Duration::from_millis(300));
                })
            })
        });
        wait_for_lock
            .recv()
            .expect("first transaction holds its locks");
        let b = must(store, second);
        (holder.join().expect("first transaction"), b)
    })
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

/// A sub-organization added deep below an organization while that organization is
/// deleted is deleted too: adding locks the whole path, deleting locks the subtree.
pub fn a_grandchild_added_while_an_ancestor_is_deleted_is_deleted_too<S: Store>(
    make: &dyn Fn() -> S,
) {
    let store = make();
    let root = insert_org(&store, "Top", None);
    let child = insert_org(&store, "Child", Some(&root));
    let (grandchild, deleted) = race(
        &store,
        |r, hold| {
            assert!(r.lock_path(&child.path)?);
            hold();
            r.insert_organization(new_org("Grandchild", Some(&child)))
        },
        |r| r.delete_organization_subtree(root.id, t(1)),
    );
    assert_eq!(deleted, 3);
    assert_eq!(must(&store, |r| r.organization(grandchild.id)), None);
}

/// Two password checks for one address never overlap: the second sees the first's
/// recorded failure.
pub fn login_attempts_for_one_address_run_one_at_a_time<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let failure = NewAccessLogEntry {
        organization_id: None,
        user_id: None,
        email: Some("a@example.com".into()),
        action: AccessAction::Login,
        status: AccessStatus::Failure,
        client_ip: None,
    };
    let (_, seen) = race(
        &store,
        |r, hold| {
            r.lock_login_attempts("a@example.com", None)?;
            hold();
            r.append_access(failure, t(1))
        },
        |r| {
            r.lock_login_attempts("A@example.com", Some("10.0.0.1"))?;
            r.recent_login_failures(Some("a@example.com"), None, t(0), 10)
        },
    );
    assert_eq!(seen, vec![t(1)]);
}

/// Two password checks from one client never overlap either, whatever the addresses.
pub fn login_attempts_from_one_client_run_one_at_a_time<S: Store>(make: &dyn Fn() -> S) {
    let store = make();
    let failure = NewAccessLogEntry {
        organization_id: None,
        user_id: None,
        email: Some("a@example.com".into()),
        action: AccessAction::Login,
        status: AccessStatus::Failure,
        client_ip: Some("10.0.0.9".into()),
    };
    let (_, seen) = race(
        &store,
        |r, hold| {
            r.lock_login_attempts("a@example.com", Some("10.0.0.9"))?;
            hold();
            r.append_access(failure, t(1))
        },
        |r| {
            r.lock_login_attempts("b@example.com", Some("10.0.0.9"))?;
            r.recent_login_failures(None, Some("10.0.0.9"), t(0), 10)
        },
    );
    assert_eq!(seen, vec![t(1)]);
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
