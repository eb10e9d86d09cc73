//! Use-case tests over the in-memory store and a clock that only moves when told.

use super::testing::services;
use super::AuthPolicy;
use chrono::Duration;
use orgplane_domain::access::Actor;
use orgplane_domain::api_key::ApiKeyMode;
use orgplane_domain::organization::{Customizations, NewOrganization, OrganizationName, Profile};
use orgplane_domain::user::{Email, EmailPreferences, Password, UserName};
use orgplane_ports::usecase::*;

const PASSWORD: &str = "correct horse battery staple";

pub(super) fn admin_of(s: &super::Services<orgplane_memory_adapter::MemoryStore>) -> Actor {
    let made = s
        .bootstrap("root@platform.example", PASSWORD)
        .expect("bootstrap");
    s.authenticate(&PresentedCredential {
        secret: made.api_key,
        client_ip: None,
    })
    .expect("admin key works")
}

pub(super) fn new_org(name: &str) -> NewOrganization {
    NewOrganization {
        name: OrganizationName::parse(name).unwrap(),
        parent: None,
        profile: Profile::default(),
        limit: None,
        customizations: Customizations::empty(),
    }
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        name: UserName::parse("Jane").unwrap(),
        password: Password::parse(PASSWORD).unwrap(),
        phone_number: None,
        roles: vec![orgplane_domain::access::Role::Admin],
        email_preferences: EmailPreferences::default(),
    }
}

#[test]
fn a_session_expires_after_its_lifetime() {
    let (s, clock) = services();
    admin_of(&s);
    let grant = s
        .login("root@platform.example", PASSWORD, None)
        .expect("login");
    let credential = PresentedCredential {
        secret: grant.token,
        client_ip: None,
    };
    assert!(s.authenticate(&credential).is_ok());
    clock.advance(AuthPolicy::default().session_ttl);
    assert_eq!(
        s.authenticate(&credential),
        Err(ServiceError::Unauthenticated)
    );
}

#[test]
fn throttling_lifts_when_the_window_has_passed() {
    let (s, clock) = services();
    admin_of(&s);
    let policy = AuthPolicy::default();
    for _ in 0..policy.max_failures_per_email {
        assert_eq!(
            s.login("root@platform.example", "wrong password", None)
                .map(|_| ()),
            Err(ServiceError::Unauthenticated)
        );
    }
    assert!(matches!(
        s.login("root@platform.example", PASSWORD, None),
        Err(ServiceError::Throttled { .. })
    ));
    clock.advance(policy.window + Duration::seconds(1));
    assert!(s.login("root@platform.example", PASSWORD, None).is_ok());
}

#[test]
fn retry_after_is_when_the_failure_that_filled_the_quota_leaves_the_window() {
    let (s, clock) = services();
    admin_of(&s);
    let policy = AuthPolicy::default();
    // Failures at 0 s, 10 s, 20 s, ...: the quota is full once the last one is in.
    for _ in 0..policy.max_failures_per_email {
        let _ = s.login("root@platform.example", "wrong password", None);
        clock.advance(Duration::seconds(10));
    }
    let throttled = |s: &super::Services<_>| match s.login("root@platform.example", PASSWORD, None)
    {
        Err(ServiceError::Throttled { retry_after_secs }) => retry_after_secs,
        other => panic!("expected throttling, got {other:?}"),
    };
    // The newest `max` failures are all of them; the oldest (at 0 s) frees a slot at
    // `window`; now is 10 s * max.
    let expected = policy.window.num_seconds() as u64 - 10 * policy.max_failures_per_email;
    assert_eq!(throttled(&s), expected);
    clock.advance(Duration::milliseconds(500));
    assert_eq!(throttled(&s), expected, "rounded up, never down");
    clock.advance(Duration::seconds(expected as i64) - Duration::milliseconds(500));
    assert!(
        s.login("root@platform.example", PASSWORD, None).is_ok(),
        "a client that waited as told gets in"
    );
}

#[test]
fn a_wrong_current_password_counts_as_a_failed_login() {
    let (s, _) = services();
    let root = admin_of(&s);
    let change = |current: &str| UserPatch {
        password: Some(Password::parse("a brand new password").unwrap()),
        current_password: Some(orgplane_domain::user::PasswordAttempt::new(current)),
        ..Default::default()
    };
    for _ in 0..AuthPolicy::default().max_failures_per_email {
        assert!(matches!(
            s.update_user(&root, root.user_uuid, change("guess")),
            Err(ServiceError::Invalid(_))
        ));
    }
    assert!(matches!(
        s.update_user(&root, root.user_uuid, change(PASSWORD)),
        Err(ServiceError::Throttled { .. })
    ));
}

#[test]
fn throttling_counts_per_client_address_too() {
    let (s, _) = services();
    admin_of(&s);
    let ip = Some("192.0.2.7".to_owned());
    for i in 0..AuthPolicy::default().max_failures_per_client {
        let _ = s.login(
            &format!("user{i}@example.com"),
            "wrong password",
            ip.clone(),
        );
    }
    assert!(matches!(
        s.login("root@platform.example", PASSWORD, ip),
        Err(ServiceError::Throttled { .. })
    ));
    assert!(s
        .login("root@platform.example", PASSWORD, Some("192.0.2.8".into()))
        .is_ok());
}

#[test]
fn a_key_is_stamped_at_most_once_a_minute() {
    let (s, clock) = services();
    let admin = admin_of(&s);
    let created = s
        .create_api_key(&admin, admin.user_uuid, ApiKeyMode::Live, None, None)
        .unwrap()
        .done()
        .unwrap();
    let credential = PresentedCredential {
        secret: created.value,
        client_ip: None,
    };
    let stamp = |s: &super::Services<_>| {
        let page = s
            .list_api_keys(&admin, admin.user_uuid, PageRequest::default())
            .unwrap();
        page.items
            .iter()
            .find(|k| k.uuid == created.key.uuid)
            .and_then(|k| k.last_used_at)
    };
    s.authenticate(&credential).unwrap();
    let first = stamp(&s);
    assert!(first.is_some());
    clock.advance(Duration::seconds(30));
    s.authenticate(&credential).unwrap();
    assert_eq!(stamp(&s), first);
    clock.advance(Duration::seconds(31));
    s.authenticate(&credential).unwrap();
    assert!(stamp(&s) > first);
}

#[test]
fn an_admins_organization_without_parent_lands_under_its_home() {
    let (s, _) = services();
    let root = admin_of(&s);
    let acme = s
        .create_organization(&root, new_org("Acme"), None)
        .unwrap()
        .done()
        .unwrap();
    assert_eq!(
        acme.parent_uuid, None,
        "a platform administrator founds a top-level organization"
    );
    let jane = s
        .create_user(
            &root,
            acme.organization.uuid,
            new_user("jane@acme.example"),
            None,
        )
        .unwrap()
        .done()
        .unwrap();
    let key = s
        .create_api_key(&root, jane.user.uuid, ApiKeyMode::Live, None, None)
        .unwrap()
        .done()
        .unwrap();
    let jane = s
        .authenticate(&PresentedCredential {
            secret: key.value,
            client_ip: None,
        })
        .unwrap();
    let team = s
        .create_organization(&jane, new_org("Team"), None)
        .unwrap()
        .done()
        .unwrap();
    assert_eq!(team.parent_uuid, Some(acme.organization.uuid));
}

#[test]
fn every_mutation_leaves_one_audit_entry() {
    let (s, _) = services();
    let root = admin_of(&s);
    let acme = s
        .create_organization(&root, new_org("Acme"), None)
        .unwrap()
        .done()
        .unwrap();
    let id = acme.organization.uuid;
    let unchanged = s
        .update_organization(&root, id, Default::default())
        .unwrap();
    assert_eq!(
        unchanged.organization, acme.organization,
        "an empty patch changes nothing"
    );
    s.put_customizations(
        &root,
        id,
        Customizations::parse(serde_json::json!({"a": 1})).unwrap(),
    )
    .unwrap();
    let log = s.audit_log(&root, id, LogFilter::default()).unwrap();
    let actions: Vec<&str> = log.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["organization.customizations.update", "organization.create"]
    );
}

#[test]
fn sub_organizations_come_oldest_first_each_with_its_own_months_limit() {
    // Given two organizations under the platform, one with a monthly limit.
    let (s, clock) = services();
    let root = admin_of(&s);
    let platform = s.get_organization_by_key(&root, root.home.0).unwrap();
    let under_platform = |name| NewOrganization {
        parent: Some(platform.organization.uuid),
        ..new_org(name)
    };
    let limited = NewOrganization {
        limit: Some(orgplane_domain::organization::MonthlyLimit::new(100).unwrap()),
        ..under_platform("Limited")
    };
    let limited = s
        .create_organization(&root, limited, None)
        .unwrap()
        .done()
        .unwrap();
    let open = s
        .create_organization(&root, under_platform("Open"), None)
        .unwrap()
        .done()
        .unwrap();
    // The limited one sent 150 messages this month (the clock's), 50 beyond its limit.
    use orgplane_ports::store::Store;
    use orgplane_ports::system::Clock;
    let month = orgplane_domain::usage::Month::of(clock.now());
    s.store
        .transaction(|r| {
            r.add_usage(&[orgplane_ports::store::UsageIncrement {
                organization: limited.organization.id,
                month,
                sent: 150,
                limit: limited.organization.limit,
            }])
        })
        .unwrap();
    let list = |offset, limit| {
        let query = FindSubOrganizations {
            offset,
            limit,
            ..Default::default()
        };
        s.sub_organizations(&root, query).unwrap()
    };

    // When the platform administrator lists its sub-organizations.
    let page = list(0, 10);

    // Then they come oldest first, each paired with its own usage and limit.
    assert_eq!(page.total, 2);
    let shown: Vec<_> = page
        .items
        .iter()
        .map(|(org, usage)| {
            let limit = usage.limit.map(|l| l.get());
            (org.uuid, usage.usage, limit, usage.overage)
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            (limited.organization.uuid, 150, Some(100), 50),
            (open.organization.uuid, 0, None, 0)
        ]
    );
    // And a later page skips by offset but counts them all.
    let second = list(1, 10);
    assert_eq!(second.total, 2);
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].0.uuid, open.organization.uuid);
}
