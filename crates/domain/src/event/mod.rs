//! Message events reported by the sending engine, and how a batch of them becomes
//! counter changes.
//!
//! A message entered a server's queue (`queued`), was sent through an IP address
//! (`sent`), or failed (`failed`). `queued` adds to the server's queue; `sent` and
//! `failed` take from it, never below zero; `sent` also counts towards the server, the IP
//! address, the pool the server sends through, and its organization's monthly usage.
//!
//! A batch is checked whole and either every event counts or none does.
//! [`aggregate`] turns a batch into the few counter changes it amounts to (one per
//! server, per second, per route and per organization-month), so that storing a batch
//! costs one write per counter table, not one per event.

use crate::ip_address::{IpAddress, IpAddressId};
use crate::ip_pool::IpPoolId;
use crate::organization::OrganizationId;
use crate::server::ServerId;
use crate::usage::Month;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use uuid::Uuid;

/// The most events one batch may hold.
pub const MAX_BATCH: usize = 10_000;

/// What happened to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// It entered the server's queue.
    Queued,
    /// It was sent through an IP address.
    Sent,
    /// It failed and left the queue.
    Failed,
}

/// Why an event kind was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be `queued`, `sent` or `failed`")]
pub struct EventKindError;

impl EventKind {
    /// Parses the wire name.
    pub fn parse(raw: &str) -> Result<Self, EventKindError> {
        match raw {
            "queued" => Ok(Self::Queued),
            "sent" => Ok(Self::Sent),
            "failed" => Ok(Self::Failed),
            _ => Err(EventKindError),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

/// Why an event count was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a whole number from 1 to {max}", max = EventCount::MAX)]
pub struct EventCountError;

/// How many messages one event stands for: 1 to one million (default 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventCount(u32);

impl EventCount {
    /// The largest count of one event.
    pub const MAX: u32 = 1_000_000;
    /// One message.
    pub const ONE: EventCount = EventCount(1);

    /// Accepts `1..=MAX`.
    pub fn new(value: i64) -> Result<Self, EventCountError> {
        u32::try_from(value)
            .ok()
            .filter(|v| (1..=Self::MAX).contains(v))
            .map(Self)
            .ok_or(EventCountError)
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// One reported event, validated in shape (whether its server and address exist is
/// checked against the store by [`aggregate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The server, by public id.
    pub server: Uuid,
    /// What happened.
    pub kind: EventKind,
    /// The address a `sent` message left from (IPv4 or IPv6).
    pub ip_address: Option<IpAddr>,
    /// How many messages.
    pub count: EventCount,
    /// When; `None` means now.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Why a batch was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// No events.
    #[error("must hold at least one event")]
    Empty,
    /// More than [`MAX_BATCH`] events.
    #[error("must hold at most {max} events", max = MAX_BATCH)]
    TooLarge,
}

/// A batch of 1 to [`MAX_BATCH`] events, in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBatch(Vec<NewEvent>);

impl EventBatch {
    /// Accepts 1 to [`MAX_BATCH`] events.
    pub fn new(events: Vec<NewEvent>) -> Result<Self, BatchError> {
        match events.len() {
            0 => Err(BatchError::Empty),
            n if n > MAX_BATCH => Err(BatchError::TooLarge),
            _ => Ok(Self(events)),
        }
    }

    /// The events.
    pub fn events(&self) -> &[NewEvent] {
        &self.0
    }

    /// The distinct servers the batch names.
    pub fn servers(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self.0.iter().map(|e| e.server).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// What the store knows about a server that events name: where its sent messages count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTarget {
    /// The server.
    pub server: ServerId,
    /// Its organization.
    pub organization: OrganizationId,
    /// The pool it sends through now, and that pool's addresses.
    pub pool: Option<(IpPoolId, Vec<IpAddress>)>,
}

/// The time window events must fall in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventWindow {
    /// Now.
    pub now: DateTime<Utc>,
    /// How far back an event may lie (the retention of the fine-grained counters).
    pub retention: Duration,
    /// How far ahead an event may lie (tolerated clock skew of the sending engine).
    pub future_skew: Duration,
}

/// Why one event of a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// No such server, or one out of the caller's reach (indistinguishable).
    #[error("no such server")]
    UnknownServer,
    /// A `sent` event without the address it left from.
    #[error("is required for `sent` events")]
    AddressRequired,
    /// An address on a `queued` or `failed` event.
    #[error("is only for `sent` events")]
    AddressNotExpected,
    /// A `sent` event for a server without a pool: it has no address to send from.
    #[error("the server has no IP pool, so it has no address to send from")]
    NoPool,
    /// The address is not one of the server's pool's addresses.
    #[error("is not an address of the server's IP pool")]
    NotInPool,
    /// Older than the retention.
    #[error("lies further back than the {hours} h the service accepts")]
    TooOld {
        /// The retention, in hours.
        hours: i64,
    },
    /// Too far in the future.
    #[error("lies in the future")]
    InTheFuture,
}

impl EventError {
    /// The event field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::UnknownServer => "server_id",
            Self::AddressRequired | Self::AddressNotExpected | Self::NoPool | Self::NotInPool => {
                "ip_address"
            }
            Self::TooOld { .. } | Self::InTheFuture => "occurred_at",
        }
    }
}

/// How a batch changes one server's queue: `queued := max(floor, queued + shift)`.
///
/// Each event is `queued := max(0, queued ± count)`; any sequence of those composes to
/// this one form, so a whole batch is one write per server.
///
/// ```
/// # use orgplane_domain::event::QueueChange;
/// // +5, -8, +2 from an empty queue: 5, then 0 (never below zero), then 2.
/// let change = QueueChange::default().then(5).then(-8).then(2);
/// assert_eq!(change.apply(0), 2);
/// assert_eq!(change.apply(10), 9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueChange {
    /// The least the queue can be afterwards.
    pub floor: i64,
    /// What the batch adds (negative: takes).
    pub shift: i64,
}

impl Default for QueueChange {
    /// No change (for a queue, which is never negative).
    fn default() -> Self {
        Self { floor: 0, shift: 0 }
    }
}

impl QueueChange {
    /// This change followed by `queued := max(0, queued + delta)`.
    pub fn then(self, delta: i64) -> Self {
        Self {
            floor: (self.floor + delta).max(0),
            shift: self.shift + delta,
        }
    }

    /// The queue after the change.
    pub fn apply(self, queued: i64) -> i64 {
        (queued + self.shift).max(self.floor)
    }
}

/// Sent messages of one server in one second (for the live figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentInSecond {
    /// The server.
    pub server: ServerId,
    /// Its organization.
    pub organization: OrganizationId,
    /// The second, as seconds since the Unix epoch.
    pub second: i64,
    /// Messages.
    pub count: i64,
}

/// Sent messages along one route: server → pool → address (for the all-time totals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SentRoute {
    /// The server.
    pub server: ServerId,
    /// The pool it sent through.
    pub pool: IpPoolId,
    /// The address it sent from.
    pub address: IpAddressId,
    /// The server's organization.
    pub organization: OrganizationId,
}

/// What a batch amounts to, each list sorted by key (so that concurrent batches take
/// row locks in one order and cannot deadlock).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Queue changes per server.
    pub queues: Vec<(ServerId, OrganizationId, QueueChange)>,
    /// Sent messages per server and second.
    pub seconds: Vec<SentInSecond>,
    /// Sent messages per route.
    pub routes: Vec<(SentRoute, i64)>,
    /// Sent messages per organization and calendar month (UTC).
    pub usage: Vec<(OrganizationId, Month, i64)>,
    /// Events and messages per kind: `[queued, sent, failed]`.
    pub summary: Summary,
}

/// How many events and messages of each kind a batch held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Events in the batch.
    pub events: u64,
    /// Messages queued.
    pub queued: u64,
    /// Messages sent.
    pub sent: u64,
    /// Messages failed.
    pub failed: u64,
}

/// Checks every event of `batch` against the servers the caller may report for
/// (`targets`, by public id: a server out of reach is simply absent) and the time
/// `window`, and sums what it amounts to. Every refused event is reported, with its
/// index.
pub fn aggregate(
    batch: &EventBatch,
    targets: &HashMap<Uuid, EventTarget>,
    window: EventWindow,
) -> Result<Counters, Vec<(usize, EventError)>> {
    let mut errors = Vec::new();
    let mut tally = Tally::default();
    let oldest = window.now - window.retention;
    let latest = window.now + window.future_skew;
    for (index, event) in batch.events().iter().enumerate() {
        let at = event.occurred_at.unwrap_or(window.now);
        let checked = check(event, targets, at, oldest, latest, window.retention);
        let (target, address) = match checked {
            Ok(found) => found,
            Err(e) => {
                errors.push((index, e));
                continue;
            }
        };
        let count = i64::from(event.count.get());
        let delta = if event.kind == EventKind::Queued {
            count
        } else {
            -count
        };
        let queue = tally
            .queues
            .entry(target.server)
            .or_insert((target.organization, QueueChange::default()));
        queue.1 = queue.1.then(delta);
        tally.summary.events += 1;
        match (event.kind, address) {
            (EventKind::Queued, _) => tally.summary.queued += count as u64,
            (EventKind::Failed, _) => tally.summary.failed += count as u64,
            (EventKind::Sent, Some((pool, address))) => {
                tally.summary.sent += count as u64;
                let route = SentRoute {
                    server: target.server,
                    pool,
                    address,
                    organization: target.organization,
                };
                tally.sent(route, at.timestamp(), Month::of(at), count);
            }
            // `check` never lets a sent event through without its route.
            (EventKind::Sent, None) => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(tally.into_counters())
}

type Checked<'a> = (&'a EventTarget, Option<(IpPoolId, IpAddressId)>);

fn check<'a>(
    event: &NewEvent,
    targets: &'a HashMap<Uuid, EventTarget>,
    at: DateTime<Utc>,
    oldest: DateTime<Utc>,
    latest: DateTime<Utc>,
    retention: Duration,
) -> Result<Checked<'a>, EventError> {
    let target = targets
        .get(&event.server)
        .ok_or(EventError::UnknownServer)?;
    if at < oldest {
        return Err(EventError::TooOld {
            hours: retention.num_hours(),
        });
    }
    if at > latest {
        return Err(EventError::InTheFuture);
    }
    match (event.kind, event.ip_address) {
        (EventKind::Sent, None) => Err(EventError::AddressRequired),
        (EventKind::Queued | EventKind::Failed, Some(_)) => Err(EventError::AddressNotExpected),
        (EventKind::Queued | EventKind::Failed, None) => Ok((target, None)),
        (EventKind::Sent, Some(ip)) => {
            let (pool, addresses) = target.pool.as_ref().ok_or(EventError::NoPool)?;
            let address = addresses
                .iter()
                .find(|a| a.answers_to(ip))
                .ok_or(EventError::NotInPool)?;
            Ok((target, Some((*pool, address.id))))
        }
    }
}

mod combine;

use combine::Tally;

#[cfg(test)]
mod tests;
