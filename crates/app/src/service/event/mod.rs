//! Event ingestion: a batch is checked whole, then counted in one transaction with its
//! idempotency record and any usage-threshold audit entries. Batches that arrive while
//! others are being counted are counted together, in one transaction ([`together`]);
//! a refused batch never joins a group: it is answered alone.

mod together;

use super::{audit, idempotent, Change, Services};
use chrono::Duration;
use orgplane_domain::access::{Actor, CredentialKind, Permission};
use orgplane_domain::api_key::ApiKeyMode;
use orgplane_domain::event::{self, Counters, EventBatch, EventTarget, EventWindow};
use orgplane_domain::organization::{MonthlyLimit, Organization, OrganizationId};
use orgplane_domain::usage::{reached_in_turn, Month};
use orgplane_ports::store::{Repositories, Store, UsageIncrement};
use orgplane_ports::usecase::*;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

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

/// One caller's batch, waiting to be counted.
pub(crate) struct Submission {
    actor: Actor,
    batch: EventBatch,
    idempotency: Option<Idempotency<EventReport>>,
    /// What the batch amounts to, read before it waits (no row lock is taken for it, as
    /// none is inside a transaction), or why it is refused.
    checked: ServiceResult<(Counters, Vec<Organization>)>,
}

/// A batch that counts: who sent it, its counters and the organizations they touch.
struct Counted<'a> {
    actor: &'a Actor,
    counters: &'a Counters,
    organizations: &'a [Organization],
}

/// Checks a batch against the servers the actor reaches, as an error per refused event.
fn checked(
    r: &mut dyn Repositories,
    actor: &Actor,
    batch: &EventBatch,
    window: EventWindow,
) -> ServiceResult<(Counters, Vec<Organization>)> {
    let (targets, orgs) = targets(r, actor, batch)?;
    let counters = event::aggregate(batch, &targets, window).map_err(|errors| {
        ServiceError::Invalid(
            errors
                .into_iter()
                .map(|(i, e)| FieldError::new(format!("events[{i}].{}", e.field()), e))
                .collect(),
        )
    })?;
    Ok((counters, orgs))
}

/// Writes the counters of `parts` (in order) as one, adds their messages to the months'
/// usage, and records each newly reached usage threshold once, in the audit log of the
/// batch that reached it.
fn count(
    r: &mut dyn Repositories,
    parts: &[Counted<'_>],
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    r.record_counters(&Counters::combined(parts.iter().map(|p| p.counters)))?;
    // The limit as the last batch to arrive read it. Like a batch alone, which reads it
    // unlocked, a limit changed after that read applies from the next batch on.
    let limit_of = |org: OrganizationId| -> Option<MonthlyLimit> {
        let mut read = parts.iter().rev().flat_map(|p| p.organizations);
        read.find(|o| o.id == org).and_then(|o| o.limit)
    };
    let mut months: BTreeMap<(OrganizationId, Month), u64> = BTreeMap::new();
    for part in parts {
        for (org, month, sent) in &part.counters.usage {
            *months.entry((*org, *month)).or_insert(0) += *sent as u64;
        }
    }
    let increments: Vec<UsageIncrement> = months
        .iter()
        .map(|((org, month), sent)| UsageIncrement {
            organization: *org,
            month: *month,
            sent: *sent,
            limit: limit_of(*org),
        })
        .collect();
    for record in r.add_usage(&increments)? {
        let key = (record.organization, record.month);
        let shares: Vec<u64> = parts
            .iter()
            .map(|p| {
                let mine = p.counters.usage.iter().find(|(o, m, _)| (*o, *m) == key);
                mine.map_or(0, |(_, _, sent)| *sent as u64)
            })
            .collect();
        let before = record.sent.saturating_sub(shares.iter().sum());
        let turns = reached_in_turn(record.threshold_recorded, before, &shares, record.limit);
        let Some(highest) = turns.last().and_then(|(_, _, t)| t.last()).copied() else {
            continue;
        };
        r.record_threshold(record.organization, record.month, highest)?;
        for (index, usage, reached) in turns {
            let part = &parts[index];
            let Some(org) = part
                .organizations
                .iter()
                .find(|o| o.id == record.organization)
            else {
                continue;
            };
            for threshold in reached {
                let fields = json!({
                    "month": record.month.to_string(),
                    "threshold_percent": threshold.percent(),
                    "usage": usage,
                    "limit": record.limit.map(|l| l.get()),
                });
                let change = Change {
                    action: "usage.threshold",
                    target_type: "organization",
                    target_id: org.uuid,
                    fields,
                };
                audit(r, part.actor, org.id, change, now)?;
            }
        }
    }
    Ok(())
}

impl<S: Store> Services<S> {
    /// The times an event may carry now.
    fn event_window(&self, now: chrono::DateTime<chrono::Utc>) -> EventWindow {
        EventWindow {
            now,
            retention: self.policy.events.retention,
            future_skew: self.policy.events.future_skew,
        }
    }

    /// A batch with what it amounts to, read outside any transaction: concurrent
    /// batches read in parallel, and a group's transaction only writes.
    fn submission(
        &self,
        actor: &Actor,
        batch: EventBatch,
        idempotency: Option<Idempotency<EventReport>>,
    ) -> Submission {
        let window = self.event_window(self.clock.now());
        let checked = self.read(|r| checked(r, actor, &batch, window));
        Submission {
            actor: actor.clone(),
            batch,
            idempotency,
            checked,
        }
    }

    /// Counts one batch in its own transaction, reading what it amounts to there, after
    /// its key's answer if it has one.
    fn ingest_alone(&self, s: Submission) -> ServiceResult<Outcome<EventReport>> {
        let now = self.clock.now();
        let window = self.event_window(now);
        let (actor, key) = (&s.actor, s.idempotency.as_ref());
        self.tx(|r| {
            idempotent(r, actor, key, now, Permission::ReportEvents, |r| {
                let (counters, organizations) = checked(r, actor, &s.batch, window)?;
                let report = EventReport {
                    summary: counters.summary,
                    counted: counts(actor),
                };
                if report.counted {
                    let part = Counted {
                        actor,
                        counters: &counters,
                        organizations: &organizations,
                    };
                    count(r, &[part], now)?;
                }
                Ok(report)
            })
        })
    }
}

impl<S: Store> Events for Services<S> {
    fn ingest_events(
        &self,
        actor: &Actor,
        batch: EventBatch,
        idempotency: Option<Idempotency<EventReport>>,
    ) -> ServiceResult<Outcome<EventReport>> {
        actor.holds(Permission::ReportEvents)?;
        let submission = self.submission(actor, batch, idempotency);
        if submission.checked.is_err() {
            // Refused, unless its key answers first: as always, alone.
            return self.ingest_alone(submission);
        }
        self.batches.run(
            submission,
            |group| self.ingest_together(group),
            |submission| self.ingest_alone(submission),
            || {
                Err(ServiceError::Internal(
                    "a batch's group ended without it".into(),
                ))
            },
        )
    }
}

#[cfg(test)]
mod tests;
