//! Contract cases: the audit and access logs, login throttling locks.

use super::*;
use crate::store::*;
use orgplane_domain::audit::{AccessAction, AccessStatus, NewAuditEntry};
use orgplane_domain::organization::*;
use orgplane_domain::page::Cursor;

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
