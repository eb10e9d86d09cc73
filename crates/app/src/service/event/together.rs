//! Batches counted together: one transaction for a group of concurrent batches, with
//! each batch's idempotency record, and their counters written once.
//!
//! Each batch in the group is answered exactly as it would be alone. Keys are claimed
//! in one order every process follows (user, test mode, key), so two groups never wait
//! for each other's keys in a cycle; a key twice in one group answers the second time
//! with the first answer. The batches count in arrival order, so that a usage threshold goes to
//! the batch that reached it.
//!
//! A batch that is not plainly countable here (its events are refused) is handed back to
//! be counted alone, so that every rule about it keeps its one place:
//! [`Services::ingest_alone`]. If the group's work fails, nothing of it was written and
//! every batch is handed back; if the transaction itself cannot start or commit, every
//! batch gets that error, as it would alone: a commit whose outcome is unknown is never
//! written twice.

use super::{count, counts, Counted, Submission};
use crate::group_commit::Ran;
use crate::service::{claim, complete, Claimed, Services};
use chrono::{DateTime, Utc};
use orgplane_domain::access::Permission;
use orgplane_ports::store::{Repositories, Store};
use orgplane_ports::usecase::{EventReport, Outcome, ServiceError, ServiceResult};

type Answer = ServiceResult<Outcome<EventReport>>;

impl<S: Store> Services<S> {
    /// Counts `group`, answering each batch in order or handing it back.
    pub(super) fn ingest_together(&self, group: Vec<Submission>) -> Vec<Ran<Submission, Answer>> {
        let now = self.clock.now();
        let mut work_failed = false;
        let answered = self.tx(|r| count_group(r, &group, now).inspect_err(|_| work_failed = true));
        match answered {
            Ok(answers) => answers
                .into_iter()
                .zip(group)
                .map(|(answer, s)| answer.map_or(Ran::Alone(s), Ran::Done))
                .collect(),
            // Rolled back: each batch runs again alone.
            Err(_) if work_failed => group.into_iter().map(Ran::Alone).collect(),
            Err(e) => group.iter().map(|_| Ran::Done(Err(e.clone()))).collect(),
        }
    }
}

/// The group's work inside its transaction: an answer per batch, or `None` for one to
/// count alone.
fn count_group(
    r: &mut dyn Repositories,
    group: &[Submission],
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Option<Answer>>> {
    let mut answers: Vec<Option<Answer>> = group.iter().map(|_| None).collect();
    let mut order: Vec<usize> = (0..group.len()).collect();
    // Stable: a key twice keeps its arrival order.
    order.sort_by_key(|&i| {
        let s = &group[i];
        let key = s.idempotency.as_ref().map(|k| k.key.as_str());
        (s.actor.user_id, s.actor.is_test_mode(), key)
    });
    // Gathered in claim order, counted in arrival order.
    let mut parts: Vec<(usize, Counted<'_>)> = Vec::new();
    for i in order {
        let s = &group[i];
        let actor = &s.actor;
        let Ok((counters, organizations)) = &s.checked else {
            continue;
        };
        let key = s.idempotency.as_ref();
        let claimed = match claim(r, actor, key, now, Permission::ReportEvents) {
            Ok(Claimed::Fresh(claimed)) => claimed,
            Ok(Claimed::Answered(response)) => {
                answers[i] = Some(Ok(Outcome::Replayed(response)));
                continue;
            }
            // Decided without writing: the transaction goes on.
            Err(e @ (ServiceError::Conflict(_) | ServiceError::Forbidden(_))) => {
                answers[i] = Some(Err(e));
                continue;
            }
            Err(e) => return Err(e),
        };
        let report = EventReport {
            summary: counters.summary,
            counted: counts(actor),
        };
        complete(r, actor, claimed, &report)?;
        answers[i] = Some(Ok(Outcome::Done(report)));
        if report.counted {
            let part = Counted {
                actor,
                counters,
                organizations,
            };
            parts.push((i, part));
        }
    }
    parts.sort_by_key(|(i, _)| *i);
    let parts: Vec<Counted<'_>> = parts.into_iter().map(|(_, part)| part).collect();
    count(r, &parts, now)?;
    Ok(answers)
}
