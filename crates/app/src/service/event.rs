//! Event ingestion: a batch is checked whole, then counted in one transaction with its
//! idempotency record and any usage-threshold audit entries.

use super::{audit, idempotent, Change, Services};
use chrono::Duration;
use orgplane_domain::access::{Actor, CredentialKind, Permission};
use orgplane_domain::api_key::ApiKeyMode;
use orgplane_domain::event::{self, EventBatch, EventTarget, EventWindow};
use orgplane_domain::organization::{Organization, OrganizationId};
use orgplane_domain::usage::newly_reached;
use orgplane_ports::store::{Repositories, Store, UsageIncrement};
use orgplane_ports::usecase::*;
use serde_json::json;
use std::collections::HashMap;

/// Which event times are accepted.
#[derive(Debug, Clone, Copy)]
pub struct EventPolicy {
    /// How far back an event may lie; per-second counts are kept this long.
    pub retention: Duration,
    /// How far ahead an event may lie (clock skew of the sending engine).
    pub future_skew: Duration,
}

impl Default for EventPolicy {
    fn default() -> Self {
        Self {
            retention: Duration::hours(2),
            future_skew: Duration::minutes(5),
        }
    }
}

/// Test-mode keys report events that are checked like any other but never count.
fn counts(actor: &Actor) -> bool {
    !matches!(
        actor.credential,
        CredentialKind::ApiKey {
            mode: ApiKeyMode::Test,
            ..
        }
    )
}

/// Where the batch's servers stand: the servers the actor may report for (others are
/// left out, so that they read exactly like unknown ones), with their pools' addresses.
fn targets(
    r: &mut dyn Repositories,
    actor: &Actor,
    batch: &EventBatch,
) -> ServiceResult<(HashMap<uuid::Uuid, EventTarget>, Vec<Organization>)> {
    let servers = r.servers_by_uuids(&batch.servers())?;
    let mut org_ids: Vec<OrganizationId> = servers.iter().map(|s| s.organization_id).collect();
    org_ids.sort();
    org_ids.dedup();
    let orgs: Vec<Organization> = r
        .organizations_by_ids(&org_ids)?
        .into_iter()
        .filter(|o| actor.reaches(o))
        .collect();
    let servers: Vec<_> = servers
        .into_iter()
        .filter(|s| orgs.iter().any(|o| o.id == s.organization_id))
        .collect();
    let mut pool_ids: Vec<_> = servers.iter().filter_map(|s| s.ip_pool_id).collect();
    pool_ids.sort();
    pool_ids.dedup();
    let members = r.pool_members(&pool_ids)?;
    let targets = servers
        .into_iter()
        .map(|s| {
            let pool = s.ip_pool_id.map(|pool| {
                let addresses = members
                    .iter()
                    .filter(|(p, _)| *p == pool)
                    .map(|(_, a)| a.clone())
                    .collect();
                (pool, addresses)
            });
            let target = EventTarget {
                server: s.id,
                organization: s.organization_id,
                pool,
            };
            (s.uuid, target)
        })
        .collect();
    Ok((targets, orgs))
}

impl<S: Store> Events for Services<S> {
    fn ingest_events(
        &self,
        actor: &Actor,
        batch: EventBatch,
        idempotency: Option<Idempotency<EventReport>>,
    ) -> ServiceResult<Outcome<EventReport>> {
        actor.holds(Permission::ReportEvents)?;
        let now = self.clock.now();
        let window = EventWindow {
            now,
            retention: self.policy.events.retention,
            future_skew: self.policy.events.future_skew,
        };
        self.tx(|r| {
            idempotent(
                r,
                actor,
                idempotency.as_ref(),
                now,
                Permission::ReportEvents,
                |r| {
                    let (targets, orgs) = targets(r, actor, &batch)?;
                    let counters =
                        event::aggregate(&batch, &targets, window).map_err(|errors| {
                            ServiceError::Invalid(
                                errors
                                    .into_iter()
                                    .map(|(i, e)| {
                                        FieldError::new(format!("events[{i}].{}", e.field()), e)
                                    })
                                    .collect(),
                            )
                        })?;
                    let counted = counts(actor);
                    if counted {
                        r.record_counters(&counters)?;
                        let increments: Vec<UsageIncrement> = counters
                            .usage
                            .iter()
                            .map(|(org, month, sent)| UsageIncrement {
                                organization: *org,
                                month: *month,
                                sent: *sent as u64,
                                limit: orgs.iter().find(|o| o.id == *org).and_then(|o| o.limit),
                            })
                            .collect();
                        for record in r.add_usage(&increments)? {
                            let reached =
                                newly_reached(record.threshold_recorded, record.sent, record.limit);
                            let Some(highest) = reached.last().copied() else {
                                continue;
                            };
                            r.record_threshold(record.organization, record.month, highest)?;
                            let Some(org) = orgs.iter().find(|o| o.id == record.organization)
                            else {
                                continue;
                            };
                            for threshold in reached {
                                let fields = json!({
                                    "month": record.month.to_string(),
                                    "threshold_percent": threshold.percent(),
                                    "usage": record.sent,
                                    "limit": record.limit.map(|l| l.get()),
                                });
                                let change = Change {
                                    action: "usage.threshold",
                                    target_type: "organization",
                                    target_id: org.uuid,
                                    fields,
                                };
                                audit(r, actor, org.id, change, now)?;
                            }
                        }
                    }
                    Ok(EventReport {
                        summary: counters.summary,
                        counted,
                    })
                },
            )
        })
    }
}
