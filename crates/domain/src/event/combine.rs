//! Several batches' counters as one: what concurrent batches committed together write.

use super::{Counters, QueueChange, SentInSecond, SentRoute, Summary};
use crate::ip_address::IpAddressId;
use crate::ip_pool::IpPoolId;
use crate::organization::OrganizationId;
use crate::server::ServerId;
use crate::usage::Month;
use std::collections::BTreeMap;

impl QueueChange {
    /// This change, then `next`: one change with the same effect on any queue.
    ///
    /// ```
    /// # use orgplane_domain::event::QueueChange;
    /// let first = QueueChange::default().then(-4).then(6);
    /// let next = QueueChange::default().then(-9);
    /// for queued in [0, 3, 20] {
    ///     assert_eq!(first.followed_by(next).apply(queued), next.apply(first.apply(queued)));
    /// }
    /// ```
    pub fn followed_by(self, next: QueueChange) -> QueueChange {
        // next.apply(self.apply(q)) = max(next.floor, max(self.floor, q + self.shift) + next.shift)
        QueueChange {
            floor: next.floor.max(self.floor + next.shift),
            shift: self.shift + next.shift,
        }
    }
}

/// Counts by key while a batch (or several) is read; [`Tally::into_counters`] lists them
/// sorted by key.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) queues: BTreeMap<ServerId, (OrganizationId, QueueChange)>,
    pub(super) seconds: BTreeMap<(ServerId, i64), (OrganizationId, i64)>,
    pub(super) routes: BTreeMap<(ServerId, IpPoolId, IpAddressId), (OrganizationId, i64)>,
    pub(super) usage: BTreeMap<(OrganizationId, Month), i64>,
    pub(super) summary: Summary,
}

impl Tally {
    /// `count` messages sent by `server` (of `organization`) at `second` along `route`.
    pub(super) fn sent(&mut self, route: SentRoute, second: i64, month: Month, count: i64) {
        let SentRoute {
            server,
            pool,
            address,
            organization,
        } = route;
        self.seconds
            .entry((server, second))
            .or_insert((organization, 0))
            .1 += count;
        self.routes
            .entry((server, pool, address))
            .or_insert((organization, 0))
            .1 += count;
        *self.usage.entry((organization, month)).or_insert(0) += count;
    }

    /// The counts, each list sorted by key.
    pub(super) fn into_counters(self) -> Counters {
        Counters {
            queues: self
                .queues
                .into_iter()
                .map(|(server, (org, change))| (server, org, change))
                .collect(),
            seconds: self
                .seconds
                .into_iter()
                .map(|((server, second), (organization, count))| SentInSecond {
                    server,
                    organization,
                    second,
                    count,
                })
                .collect(),
            routes: self
                .routes
                .into_iter()
                .map(|((server, pool, address), (organization, count))| {
                    let route = SentRoute {
                        server,
                        pool,
                        address,
                        organization,
                    };
                    (route, count)
                })
                .collect(),
            usage: self
                .usage
                .into_iter()
                .map(|((org, month), count)| (org, month, count))
                .collect(),
            summary: self.summary,
        }
    }
}

impl Counters {
    /// The counters of `parts` applied in order, as one set: sums per second, route and
    /// month, queue changes composed in order, each list sorted by key as
    /// [`super::aggregate`] sorts it (so that one write of them takes its row locks in the
    /// usual order).
    pub fn combined<'a>(parts: impl IntoIterator<Item = &'a Counters>) -> Counters {
        let mut tally = Tally::default();
        for part in parts {
            for (server, org, change) in &part.queues {
                tally
                    .queues
                    .entry(*server)
                    .and_modify(|(_, before)| *before = before.followed_by(*change))
                    .or_insert((*org, *change));
            }
            for s in &part.seconds {
                let entry = tally.seconds.entry((s.server, s.second));
                entry.or_insert((s.organization, 0)).1 += s.count;
            }
            for (route, count) in &part.routes {
                let entry = tally
                    .routes
                    .entry((route.server, route.pool, route.address));
                entry.or_insert((route.organization, 0)).1 += count;
            }
            for (org, month, count) in &part.usage {
                *tally.usage.entry((*org, *month)).or_insert(0) += count;
            }
            let (sum, add) = (&mut tally.summary, part.summary);
            sum.events += add.events;
            sum.queued += add.queued;
            sum.sent += add.sent;
            sum.failed += add.failed;
        }
        tally.into_counters()
    }
}
