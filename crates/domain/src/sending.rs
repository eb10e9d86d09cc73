//! The sending engine's view of a server: may it send now, and through which addresses
//! in which proportions.
//!
//! A server may send when it is not suspended (on its own or through its organization),
//! is in `Live` mode, has a pool with at least one address, and has sent fewer messages
//! than its `send_limit` in the last 60 minutes (Postal's rule: at the limit, it is
//! exceeded). Each address of the pool should get a share of the traffic proportional
//! to its priority. (Postal picks the address with the highest `RAND() * priority`,
//! which favours high priorities more than proportionally: with priorities 100 and 50 it
//! picks the first 75 % of the time, not two thirds.)

use crate::ip_address::IpAddress;
use crate::server::{SendLimit, Server, ServerMode};
use crate::suspension::SuspensionOrigin;

/// The window the send limit applies to, in seconds.
pub const SEND_LIMIT_WINDOW_SECS: i64 = 3600;

/// Why a server may not send now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocker {
    /// The server itself is suspended.
    ServerSuspended,
    /// Its organization (or one above it) is suspended.
    OrganizationSuspended,
    /// It is in development mode: it holds mail instead of delivering it.
    DevelopmentMode,
    /// It has no IP pool.
    NoIpPool,
    /// Its pool has no addresses.
    NoIpAddresses,
    /// It sent its `send_limit` or more in the last 60 minutes.
    SendLimitReached {
        /// The limit.
        limit: SendLimit,
        /// What it sent in the window.
        sent: u64,
    },
}

impl Blocker {
    /// The wire name of the reason.
    pub fn code(self) -> &'static str {
        match self {
            Self::ServerSuspended => "server_suspended",
            Self::OrganizationSuspended => "organization_suspended",
            Self::DevelopmentMode => "development_mode",
            Self::NoIpPool => "no_ip_pool",
            Self::NoIpAddresses => "no_ip_addresses",
            Self::SendLimitReached { .. } => "send_limit_reached",
        }
    }
}

/// One address of the server's pool, with the share of traffic it should carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// The address.
    pub address: IpAddress,
    /// Its share of the pool's traffic, from 0 to 1; the shares add up to 1.
    pub share: f64,
}

/// The sending engine's view of one server.
#[derive(Debug, Clone, PartialEq)]
pub struct SendingView {
    /// Whether it may send now.
    pub may_send: bool,
    /// Everything that stops it (empty when it may send).
    pub blockers: Vec<Blocker>,
    /// Messages sent in the last 60 minutes.
    pub sent_last_hour: u64,
    /// Its pool's addresses, highest priority first, with their shares.
    pub routes: Vec<Route>,
}

/// Each priority's share of the traffic: proportional to the priority; when every
/// priority is 0, equal shares (no address is preferred over another).
///
/// ```
/// # use orgplane_domain::sending::traffic_shares;
/// assert_eq!(traffic_shares(&[100, 50, 50]), vec![0.5, 0.25, 0.25]);
/// assert_eq!(traffic_shares(&[0, 0]), vec![0.5, 0.5]);
/// assert!(traffic_shares(&[]).is_empty());
/// ```
pub fn traffic_shares(priorities: &[u8]) -> Vec<f64> {
    let total: u64 = priorities.iter().map(|p| u64::from(*p)).sum();
    if total == 0 {
        let n = priorities.len() as f64;
        return priorities.iter().map(|_| 1.0 / n).collect();
    }
    priorities
        .iter()
        .map(|p| f64::from(*p) / total as f64)
        .collect()
}

/// Decides whether `server` may send, given its pool's addresses (empty without a pool)
/// and what it sent in the last 60 minutes.
pub fn decide(server: &Server, pool_addresses: &[IpAddress], sent_last_hour: u64) -> SendingView {
    let mut blockers = Vec::new();
    match server.suspension.map(|s| s.origin) {
        Some(SuspensionOrigin::Itself) => blockers.push(Blocker::ServerSuspended),
        Some(SuspensionOrigin::Organization(_)) => blockers.push(Blocker::OrganizationSuspended),
        None => {}
    }
    if server.mode == ServerMode::Development {
        blockers.push(Blocker::DevelopmentMode);
    }
    if server.ip_pool_id.is_none() {
        blockers.push(Blocker::NoIpPool);
    } else if pool_addresses.is_empty() {
        blockers.push(Blocker::NoIpAddresses);
    }
    if let Some(limit) = server.send_limit {
        if sent_last_hour >= limit.get() as u64 {
            blockers.push(Blocker::SendLimitReached {
                limit,
                sent: sent_last_hour,
            });
        }
    }
    let mut addresses = pool_addresses.to_vec();
    addresses.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
    let priorities: Vec<u8> = addresses.iter().map(|a| a.priority.get()).collect();
    let routes = addresses
        .into_iter()
        .zip(traffic_shares(&priorities))
        .map(|(address, share)| Route { address, share })
        .collect();
    SendingView {
        may_send: blockers.is_empty(),
        blockers,
        sent_last_hour,
        routes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_address::{Hostname, IpAddressId, Priority, SendingIpv4};
    use crate::ip_pool::IpPoolId;
    use crate::organization::OrganizationId;
    use crate::server::{ServerId, ServerName, ServerPermalink};
    use crate::suspension::Suspension;
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    const EPOCH: DateTime<Utc> = DateTime::<Utc>::UNIX_EPOCH;

    fn server() -> Server {
        Server {
            id: ServerId(1),
            uuid: Uuid::nil(),
            organization_id: OrganizationId(1),
            name: ServerName::parse("S").unwrap(),
            permalink: ServerPermalink::parse("s").unwrap(),
            mode: ServerMode::Live,
            ip_pool_id: Some(IpPoolId(1)),
            send_limit: None,
            suspension: None,
            created_at: EPOCH,
            updated_at: EPOCH,
        }
    }

    fn address(id: i64, priority: i64) -> IpAddress {
        IpAddress {
            id: IpAddressId(id),
            uuid: Uuid::from_u128(id as u128),
            organization_id: OrganizationId(1),
            ipv4: SendingIpv4::parse(&format!("192.0.2.{id}")).unwrap(),
            ipv6: None,
            hostname: Hostname::parse("mail.example.com").unwrap(),
            priority: Priority::new(priority).unwrap(),
            created_at: EPOCH,
            updated_at: EPOCH,
        }
    }

    #[test]
    fn a_live_server_with_addresses_and_room_may_send() {
        let view = decide(&server(), &[address(1, 50), address(2, 100)], 0);
        assert!(view.may_send);
        assert!(view.blockers.is_empty());
        let shares: Vec<(i64, f64)> = view
            .routes
            .iter()
            .map(|r| (r.address.id.0, r.share))
            .collect();
        assert_eq!(shares, vec![(2, 2.0 / 3.0), (1, 1.0 / 3.0)]);
    }

    #[test]
    fn at_its_send_limit_a_server_stops() {
        let mut s = server();
        s.send_limit = SendLimit::new(100).ok();
        assert!(decide(&s, &[address(1, 100)], 99).may_send);
        let view = decide(&s, &[address(1, 100)], 100);
        assert!(!view.may_send);
        assert_eq!(
            view.blockers,
            vec![Blocker::SendLimitReached {
                limit: SendLimit::new(100).unwrap(),
                sent: 100
            }]
        );
    }

    #[test]
    fn every_reason_not_to_send_is_given() {
        let mut s = server();
        s.mode = ServerMode::Development;
        s.ip_pool_id = None;
        s.suspension = Some(Suspension::own(EPOCH).inherited_from(OrganizationId(1)));
        let codes: Vec<&str> = decide(&s, &[], 0)
            .blockers
            .iter()
            .map(|b| b.code())
            .collect();
        assert_eq!(
            codes,
            vec!["organization_suspended", "development_mode", "no_ip_pool"]
        );
        let mut own = server();
        own.suspension = Some(Suspension::own(EPOCH));
        assert_eq!(
            decide(&own, &[], 0).blockers,
            vec![Blocker::ServerSuspended, Blocker::NoIpAddresses]
        );
    }

    #[test]
    fn shares_are_proportional_to_priority_and_add_up_to_one() {
        let shares = traffic_shares(&[100, 90, 10, 0]);
        assert_eq!(shares, vec![0.5, 0.45, 0.05, 0.0]);
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
