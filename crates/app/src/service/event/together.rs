//! Batches counted together: one transaction for a group of concurrent batches, with
//! each batch's idempotency record, and their counters written once.
//!
//! Each batch in the group is answered exactly as it would be alone, in turn: its key is
//! claimed and answered before the next batch's is claimed, so a key twice in one group
//! answers the second time with the first answer. A batch that is not plainly countable
//! here (refused events, a key that cannot be claimed) is left out and counted alone after
//! the group, so that every rule about it keeps its one place: [`Services::ingest_alone`].
//! If the group's transaction fails, every batch is counted alone.

use super::{count, counts, Counted, Submission};
use crate::service::{claim, complete, Claimed, Services};
use orgplane_domain::access::Permission;
use orgplane_ports::store::Store;
use orgplane_ports::usecase::{EventReport, Outcome, ServiceResult};

type Answer = ServiceResult<Outcome<EventReport>>;

impl<S: Store> Services<S> {
    /// Counts `group`, answering each batch in order.
    pub(super) fn ingest_together(&self, group: Vec<Submission>) -> Vec<Answer> {
        let now = self.clock.now();
        let answered = self.tx(|r| {
            let mut answers: Vec<Option<Answer>> = group.iter().map(|_| None).collect();
            let mut parts = Vec::new();
            for (i, s) in group.iter().enumerate() {
                let actor = &s.actor;
                // Refused events are reported alone, after any answer under their key.
                let Ok((counters, organizations)) = &s.checked else {
                    continue;
                };
                let claimed = match claim(
                    r,
                    actor,
                    s.idempotency.as_ref(),
                    now,
                    Permission::ReportEvents,
                ) {
                    Ok(Claimed::Fresh(claimed)) => claimed,
                    Ok(Claimed::Answered(response)) => {
                        answers[i] = Some(Ok(Outcome::Replayed(response)));
                        continue;
                    }
                    Err(_) => continue,
                };
                let report = EventReport {
                    summary: counters.summary,
                    counted: counts(actor),
                };
                complete(r, actor, claimed, &report)?;
                answers[i] = Some(Ok(Outcome::Done(report)));
                if report.counted {
                    parts.push(Counted {
                        actor,
                        counters,
                        organizations,
                    });
                }
            }
            count(r, &parts, now)?;
            Ok::<_, orgplane_ports::usecase::ServiceError>(answers)
        });
        match answered {
            Ok(answers) => answers
                .into_iter()
                .zip(group)
                .map(|(answer, s)| answer.unwrap_or_else(|| self.ingest_alone(s)))
                .collect(),
            Err(_) => group.into_iter().map(|s| self.ingest_alone(s)).collect(),
        }
    }
}
