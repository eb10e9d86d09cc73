//! Batches counted together answer as each would alone.

use crate::group_commit::Ran;
use crate::service::testing::services;
use crate::service::tests::{admin_of, new_org};
use crate::service::Services;
use orgplane_domain::access::Actor;
use orgplane_domain::api_key::ApiKeyMode;
use orgplane_domain::event::{EventBatch, EventCount, EventKind, NewEvent};
use orgplane_domain::idempotency::IdempotencyKey;
use orgplane_domain::ip_address::{Hostname, NewIpAddress, Priority, SendingIpv4};
use orgplane_domain::ip_pool::{NewIpPool, PoolName};
use orgplane_domain::organization::{MonthlyLimit, NewOrganization};
use orgplane_domain::server::{NewServer, PoolChoice, ServerMode, ServerName};
use orgplane_memory_adapter::MemoryStore;
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::*;
use uuid::Uuid;

/// An organization with a monthly limit of 100 and one server sending through one address.
struct Sender {
    organization: Uuid,
    server: Uuid,
}

fn sender(s: &Services<MemoryStore>, root: &Actor) -> Sender {
    let org = NewOrganization {
        limit: Some(MonthlyLimit::new(100).unwrap()),
        ..new_org("Sender")
    };
    let org = s
        .create_organization(root, org, None)
        .unwrap()
        .done()
        .unwrap();
    let uuid = org.organization.uuid;
    let pool = NewIpPool {
        name: PoolName::parse("Main").unwrap(),
        default: true,
    };
    let pool = s
        .create_ip_pool(root, uuid, pool, None)
        .unwrap()
        .done()
        .unwrap();
    let address = NewIpAddress {
        ipv4: SendingIpv4::parse("192.0.2.10").unwrap(),
        ipv6: None,
        hostname: Hostname::parse("mta.example.com").unwrap(),
        priority: Priority::default(),
    };
    let address = s
        .create_ip_address(root, uuid, address, None)
        .unwrap()
        .done()
        .unwrap();
    s.add_pool_address(root, pool.pool.uuid, address.address.uuid)
        .unwrap();
    let server = NewServer {
        name: ServerName::parse("Outbound").unwrap(),
        mode: ServerMode::Live,
        ip_pool: PoolChoice::default(),
        send_limit: None,
    };
    let server = s
        .create_server(root, uuid, server, None)
        .unwrap()
        .done()
        .unwrap();
    Sender {
        organization: uuid,
        server: server.server.uuid,
    }
}

fn sent(server: Uuid, count: i64) -> EventBatch {
    EventBatch::new(vec![NewEvent {
        server,
        kind: EventKind::Sent,
        ip_address: Some("192.0.2.10".parse().unwrap()),
        count: EventCount::new(count).unwrap(),
        occurred_at: None,
    }])
    .unwrap()
}

/// Under `key`, for a request whose digest is `request`; answers with the sent count.
fn keyed(key: &str, request: u8) -> Option<Idempotency<EventReport>> {
    Some(Idempotency {
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: [request; 32],
        render: Box::new(|report: &EventReport| RecordedResponse {
            status: 202,
            content_type: "application/json".into(),
            body: report.summary.sent.to_string().into_bytes(),
            location: None,
        }),
    })
}

/// A new key of `root`'s user: the caller it makes, and the key's public id.
fn key_of(s: &Services<MemoryStore>, root: &Actor, mode: ApiKeyMode) -> (Actor, Uuid) {
    let made = s
        .create_api_key(root, root.user_uuid, mode, None, None)
        .unwrap();
    let made = made.done().unwrap();
    let actor = s
        .authenticate(&PresentedCredential {
            secret: made.value,
            client_ip: None,
        })
        .unwrap();
    (actor, made.key.uuid)
}

fn replayed_body(answer: &ServiceResult<Outcome<EventReport>>) -> String {
    match answer {
        Ok(Outcome::Replayed(r)) => String::from_utf8(r.body.clone()).unwrap(),
        other => panic!("not a replay: {other:?}"),
    }
}

fn counted(answer: &ServiceResult<Outcome<EventReport>>) -> (u64, bool) {
    match answer {
        Ok(Outcome::Done(r)) => (r.summary.sent, r.counted),
        other => panic!("not carried out: {other:?}"),
    }
}

#[test]
fn batches_counted_together_are_answered_as_each_would_be_alone() {
    // Given an organization with a limit of 100 that sent 30 this month under key k-1,
    // and three keys of the same user: two live, one test
    let (s, _clock) = services();
    let root = admin_of(&s);
    let to = sender(&s, &root);
    let first = s.ingest_events(&root, sent(to.server, 30), keyed("k-1", 1));
    assert_eq!(counted(&first), (30, true));
    let (one, one_key) = key_of(&s, &root, ApiKeyMode::Live);
    let (other, other_key) = key_of(&s, &root, ApiKeyMode::Live);
    let (test, _) = key_of(&s, &root, ApiKeyMode::Test);

    // When seven batches are counted together (those handed back, alone, as run does)
    let group = s.ingest_together(vec![
        // 50 under a new key: 80 in all, the warning threshold
        s.submission(&one, sent(to.server, 50), keyed("k-2", 2)),
        // k-1 again, the same request: its recorded answer
        s.submission(&root, sent(to.server, 30), keyed("k-1", 1)),
        // an unknown server
        s.submission(&root, sent(Uuid::from_u128(9), 5), None),
        // k-2 again within the group: k-2's answer, once it is recorded
        s.submission(&root, sent(to.server, 50), keyed("k-2", 2)),
        // k-1 for another request
        s.submission(&root, sent(to.server, 1), keyed("k-1", 3)),
        // a test key: checked, never counted
        s.submission(&test, sent(to.server, 60), None),
        // 40 more by another key: 120 in all, the limit reached
        s.submission(&other, sent(to.server, 40), None),
    ]);
    let answers: Vec<_> = group
        .into_iter()
        .map(|ran| match ran {
            Ran::Done(answer) => answer,
            Ran::Alone(submission) => s.ingest_alone(submission),
        })
        .collect();

    // Then each is answered as alone, in turn
    assert_eq!(answers.len(), 7);
    assert_eq!(counted(&answers[0]), (50, true));
    assert_eq!(replayed_body(&answers[1]), "30");
    match &answers[2] {
        Err(ServiceError::Invalid(errors)) => assert_eq!(errors[0].field, "events[0].server_id"),
        other => panic!("an unknown server is refused: {other:?}"),
    }
    assert_eq!(replayed_body(&answers[3]), "50");
    assert!(matches!(
        answers[4],
        Err(ServiceError::Conflict(Conflict::IdempotencyKeyReused))
    ));
    assert_eq!(counted(&answers[5]), (60, false));
    assert_eq!(counted(&answers[6]), (40, true));
    // and the month counts 30 + 50 + 40, once each
    let months = s.consumption(&root, to.organization, 1).unwrap().months;
    assert_eq!(months[0].own.usage, 120);
    // and each threshold is recorded once, by the batch that reached it, at its usage.
    let filter = LogFilter {
        action: Some("usage.threshold".into()),
        ..Default::default()
    };
    let log = s.audit_log(&root, to.organization, filter).unwrap().items;
    let mut thresholds: Vec<_> = log
        .iter()
        .map(|e| {
            (
                e.changes["threshold_percent"].as_u64(),
                e.changes["usage"].as_u64(),
                e.actor_api_key_id,
            )
        })
        .collect();
    thresholds.sort();
    assert_eq!(
        thresholds,
        vec![
            (Some(80), Some(80), Some(one_key)),
            (Some(100), Some(120), Some(other_key))
        ]
    );
}
