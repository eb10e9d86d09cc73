//! Live statistics of an organization (seed 000's `statistics`), assembled from
//! pre-aggregated counters.
//!
//! "Live" means the last 60 seconds: the current second and the 59 before it.
//! `sent_count`/`total_sent` are messages sent in that window and `message_rate` is that
//! count divided by 60 (messages per second). Queue counts are as of now.

use crate::ip_address::IpAddress;
use crate::organization::Organization;
use crate::server::{Server, ServerId};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// The length of the live window, in seconds.
pub const LIVE_WINDOW_SECS: i64 = 60;

/// The first second (Unix time) of the window of `secs` seconds that ends with the
/// second `now` falls in.
///
/// ```
/// # use orgplane_domain::statistics::window_start;
/// # use chrono::{TimeZone, Utc};
/// let now = Utc.timestamp_opt(1_000, 500_000_000).unwrap();
/// assert_eq!(window_start(now, 60), 941); // seconds 941..=1000
/// ```
pub fn window_start(now: DateTime<Utc>, secs: i64) -> i64 {
    now.timestamp() - (secs - 1)
}

/// Messages per second over the live window, for `sent` messages sent in it.
pub fn message_rate(sent: u64) -> f64 {
    sent as f64 / LIVE_WINDOW_SECS as f64
}

/// One server's live figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerStatistics {
    /// Public id.
    pub uuid: Uuid,
    /// Name.
    pub name: String,
    /// Messages in its queue now.
    pub queued_count: u64,
    /// Messages per second over the live window.
    pub message_rate: f64,
    /// Messages sent in the live window.
    pub sent_count: u64,
}

/// An organization's live figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    /// The organization's public id.
    pub uuid: Uuid,
    /// Its name.
    pub name: String,
    /// Messages per second over the live window, all its servers together.
    pub overall_message_rate: f64,
    /// Messages queued in all its servers.
    pub total_queued_count: u64,
    /// Messages sent in the live window by all its servers.
    pub total_sent: u64,
    /// How many servers it has.
    pub servers_count: u64,
    /// How many IP addresses it owns.
    pub ip_addresses_count: u64,
    /// The IP addresses it owns.
    pub ip_addresses: Vec<IpAddress>,
    /// Its servers' figures.
    pub servers: Vec<ServerStatistics>,
}

/// Assembles an organization's live figures from its own servers, their queue sizes and
/// live-window sent counts (servers missing from the maps have zero), and the addresses
/// it owns.
pub fn assemble(
    org: &Organization,
    servers: &[Server],
    queued: &HashMap<ServerId, u64>,
    sent: &HashMap<ServerId, u64>,
    ip_addresses: Vec<IpAddress>,
) -> Statistics {
    let servers: Vec<ServerStatistics> = servers
        .iter()
        .map(|s| {
            let sent_count = sent.get(&s.id).copied().unwrap_or(0);
            ServerStatistics {
                uuid: s.uuid,
                name: s.name.as_str().to_owned(),
                queued_count: queued.get(&s.id).copied().unwrap_or(0),
                message_rate: message_rate(sent_count),
                sent_count,
            }
        })
        .collect();
    let total_sent: u64 = servers.iter().map(|s| s.sent_count).sum();
    Statistics {
        uuid: org.uuid,
        name: org.name.as_str().to_owned(),
        // From the total, not the sum of rounded rates: the two always agree.
        overall_message_rate: message_rate(total_sent),
        total_queued_count: servers.iter().map(|s| s.queued_count).sum(),
        total_sent,
        servers_count: servers.len() as u64,
        ip_addresses_count: ip_addresses.len() as u64,
        ip_addresses,
        servers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::organization::fixtures::organization;
    use crate::server::{ServerMode, ServerName, ServerPermalink};

    fn server(id: i64, name: &str) -> Server {
        Server {
            id: ServerId(id),
            uuid: Uuid::from_u128(id as u128),
            organization_id: crate::organization::OrganizationId(1),
            name: ServerName::parse(name).unwrap(),
            permalink: ServerPermalink::parse("s").unwrap(),
            mode: ServerMode::Live,
            ip_pool_id: None,
            send_limit: None,
            suspension: None,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn totals_are_the_sums_of_the_servers_figures() {
        let org = organization(1, None);
        let servers = [
            server(1, "Marketing"),
            server(2, "Transactional"),
            server(3, "Idle"),
        ];
        let queued = HashMap::from([(ServerId(1), 125), (ServerId(2), 217)]);
        let sent = HashMap::from([(ServerId(1), 498), (ServerId(2), 444)]);
        let s = assemble(&org, &servers, &queued, &sent, Vec::new());
        assert_eq!(s.total_queued_count, 342);
        assert_eq!(s.total_sent, 942);
        assert_eq!(s.overall_message_rate, 942.0 / 60.0);
        assert_eq!(s.servers_count, 3);
        assert_eq!(s.servers[0].message_rate, 498.0 / 60.0);
        assert_eq!(s.servers[2].sent_count, 0, "no counters: zero");
        assert_eq!(s.servers[2].queued_count, 0);
        assert_eq!(s.ip_addresses_count, 0);
    }

    #[test]
    fn the_live_window_is_sixty_whole_seconds_ending_now() {
        let now = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::milliseconds(100_999);
        assert_eq!(window_start(now, LIVE_WINDOW_SECS), 41);
        assert_eq!(message_rate(60), 1.0);
    }
}
