//! The IP allocation of an organization (seed 000's `ip_allocation`): which of its
//! addresses sit in which pools, which servers use which pools, and how many messages
//! went through each, all time.
//!
//! Every sent message is counted once along its route (server → pool → address), so
//! each figure is the true total of its object: an address counts every message that
//! left from it, whichever pool and server it came through; a pool every message sent
//! through it, whichever organization's server sent it (a sub-organization may borrow an
//! ancestor's pool). The lists hold the organization's own servers, pools and
//! addresses; a pool's `servers` names every server that uses it. Within an organization
//! whose servers send only through its own pools, and whose pools serve only its own
//! servers, the three sums agree exactly; across a whole tree they always do.

use crate::event::SentRoute;
use crate::ip_address::{IpAddress, IpAddressId};
use crate::ip_pool::{IpPool, IpPoolId};
use crate::organization::Organization;
use crate::server::{Server, ServerId};
use std::collections::HashMap;
use uuid::Uuid;

/// An address and where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressAllocation {
    /// The address.
    pub address: IpAddress,
    /// Names of the pools holding it.
    pub ip_pools: Vec<String>,
    /// Messages sent from it, all time.
    pub emails_sent: u64,
}

/// A pool and who uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolAllocation {
    /// The pool.
    pub pool: IpPool,
    /// Names of the servers sending through it.
    pub servers: Vec<String>,
    /// Messages sent through it, all time.
    pub emails_sent: u64,
}

/// A server and what it sends through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAllocation {
    /// The server's public id.
    pub uuid: Uuid,
    /// Its name.
    pub name: String,
    /// The name of its pool (`None`: it has none).
    pub ip_pool: Option<String>,
    /// The IPv4 addresses of its pool.
    pub ip_addresses: Vec<String>,
    /// Messages it sent, all time.
    pub emails_sent: u64,
}

/// The all-time volume of one route (address → pool → server) through the
/// organization's servers, pools or addresses: the edges of an allocation graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteAllocation {
    /// The address sent from (IPv4).
    pub ipv4: String,
    /// The pool sent through.
    pub ip_pool_uuid: Uuid,
    /// Its name.
    pub ip_pool: String,
    /// The server that sent (`None`: a server of another organization using an own pool).
    pub server_uuid: Option<Uuid>,
    /// Messages sent along it.
    pub emails_sent: u64,
}

/// An organization's IP allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpAllocation {
    /// The organization's public id.
    pub uuid: Uuid,
    /// Its name.
    pub name: String,
    /// Its own addresses.
    pub ip_addresses: Vec<AddressAllocation>,
    /// Its own pools.
    pub ip_pools: Vec<PoolAllocation>,
    /// Its own servers.
    pub servers: Vec<ServerAllocation>,
    /// Routes with traffic whose address and pool are known here, largest first.
    pub routes: Vec<RouteAllocation>,
}

/// What [`assemble`] is built from, as the store reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllocationInputs {
    /// The organization's own servers.
    pub servers: Vec<Server>,
    /// Its own pools.
    pub own_pools: Vec<IpPool>,
    /// Its own addresses.
    pub own_addresses: Vec<IpAddress>,
    /// Every pool that one of the above refers to (own pools, pools its servers use,
    /// pools holding its addresses).
    pub pools: Vec<IpPool>,
    /// Memberships `(pool, address)` of those pools.
    pub memberships: Vec<(IpPoolId, IpAddress)>,
    /// Servers (of any organization) using its own pools: `(pool, server name)`.
    pub pool_users: Vec<(IpPoolId, String)>,
    /// All-time sent counts of every route that touches its servers, pools or
    /// addresses.
    pub routes: Vec<(SentRoute, u64)>,
}

/// Assembles an organization's IP allocation.
pub fn assemble(org: &Organization, inputs: AllocationInputs) -> IpAllocation {
    let pool_names: HashMap<IpPoolId, &str> = inputs
        .pools
        .iter()
        .map(|p| (p.id, p.name.as_str()))
        .collect();
    let mut by_server: HashMap<ServerId, u64> = HashMap::new();
    let mut by_pool: HashMap<IpPoolId, u64> = HashMap::new();
    let mut by_address: HashMap<IpAddressId, u64> = HashMap::new();
    for (route, count) in &inputs.routes {
        *by_server.entry(route.server).or_default() += count;
        *by_pool.entry(route.pool).or_default() += count;
        *by_address.entry(route.address).or_default() += count;
    }
    let routes = routes(&inputs);
    let ip_addresses = inputs
        .own_addresses
        .into_iter()
        .map(|address| {
            let mut ip_pools: Vec<String> = inputs
                .memberships
                .iter()
                .filter(|(_, a)| a.id == address.id)
                .filter_map(|(p, _)| pool_names.get(p).map(|n| (*n).to_owned()))
                .collect();
            ip_pools.sort();
            AddressAllocation {
                emails_sent: by_address.get(&address.id).copied().unwrap_or(0),
                ip_pools,
                address,
            }
        })
        .collect();
    let ip_pools = inputs
        .own_pools
        .into_iter()
        .map(|pool| {
            let mut servers: Vec<String> = inputs
                .pool_users
                .iter()
                .filter(|(p, _)| *p == pool.id)
                .map(|(_, name)| name.clone())
                .collect();
            servers.sort();
            PoolAllocation {
                emails_sent: by_pool.get(&pool.id).copied().unwrap_or(0),
                servers,
                pool,
            }
        })
        .collect();
    let servers = inputs
        .servers
        .iter()
        .map(|s| {
            let ip_addresses = s.ip_pool_id.map_or_else(Vec::new, |pool| {
                let mut members: Vec<&IpAddress> = inputs
                    .memberships
                    .iter()
                    .filter(|(p, _)| *p == pool)
                    .map(|(_, a)| a)
                    .collect();
                members.sort_by_key(|a| a.id);
                members.iter().map(|a| a.ipv4.to_string()).collect()
            });
            ServerAllocation {
                uuid: s.uuid,
                name: s.name.as_str().to_owned(),
                ip_pool: s
                    .ip_pool_id
                    .and_then(|p| pool_names.get(&p).map(|n| (*n).to_owned())),
                ip_addresses,
                emails_sent: by_server.get(&s.id).copied().unwrap_or(0),
            }
        })
        .collect();
    IpAllocation {
        uuid: org.uuid,
        name: org.name.as_str().to_owned(),
        ip_addresses,
        ip_pools,
        servers,
        routes,
    }
}

fn routes(inputs: &AllocationInputs) -> Vec<RouteAllocation> {
    let pools: HashMap<IpPoolId, &IpPool> = inputs.pools.iter().map(|p| (p.id, p)).collect();
    let addresses: HashMap<IpAddressId, &IpAddress> = inputs
        .own_addresses
        .iter()
        .chain(inputs.memberships.iter().map(|(_, a)| a))
        .map(|a| (a.id, a))
        .collect();
    let servers: HashMap<ServerId, Uuid> = inputs.servers.iter().map(|s| (s.id, s.uuid)).collect();
    let mut routes: Vec<RouteAllocation> = inputs
        .routes
        .iter()
        .filter(|(_, count)| *count > 0)
        .filter_map(|(route, count)| {
            let pool = pools.get(&route.pool)?;
            let address = addresses.get(&route.address)?;
            Some(RouteAllocation {
                ipv4: address.ipv4.to_string(),
                ip_pool_uuid: pool.uuid,
                ip_pool: pool.name.as_str().to_owned(),
                server_uuid: servers.get(&route.server).copied(),
                emails_sent: *count,
            })
        })
        .collect();
    routes.sort_by(|a, b| {
        b.emails_sent
            .cmp(&a.emails_sent)
            .then_with(|| a.ipv4.cmp(&b.ipv4))
            .then_with(|| a.ip_pool.cmp(&b.ip_pool))
    });
    routes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_address::{Hostname, Priority, SendingIpv4};
    use crate::ip_pool::PoolName;
    use crate::organization::fixtures::organization;
    use crate::organization::OrganizationId;
    use crate::server::{ServerMode, ServerName, ServerPermalink};
    use chrono::{DateTime, Utc};

    const EPOCH: DateTime<Utc> = DateTime::<Utc>::UNIX_EPOCH;

    fn pool(id: i64, name: &str, default: bool) -> IpPool {
        IpPool {
            id: IpPoolId(id),
            uuid: Uuid::from_u128(id as u128),
            organization_id: OrganizationId(1),
            name: PoolName::parse(name).unwrap(),
            default,
            created_at: EPOCH,
            updated_at: EPOCH,
        }
    }

    fn address(id: i64, v4: &str) -> IpAddress {
        IpAddress {
            id: IpAddressId(id),
            uuid: Uuid::from_u128(id as u128),
            organization_id: OrganizationId(1),
            ipv4: SendingIpv4::parse(v4).unwrap(),
            ipv6: None,
            hostname: Hostname::parse("mail.example.com").unwrap(),
            priority: Priority::default(),
            created_at: EPOCH,
            updated_at: EPOCH,
        }
    }

    fn server(id: i64, name: &str, pool: Option<i64>) -> Server {
        Server {
            id: ServerId(id),
            uuid: Uuid::from_u128(id as u128),
            organization_id: OrganizationId(1),
            name: ServerName::parse(name).unwrap(),
            permalink: ServerPermalink::parse(&format!("s{id}")).unwrap(),
            mode: ServerMode::Live,
            ip_pool_id: pool.map(IpPoolId),
            send_limit: None,
            suspension: None,
            created_at: EPOCH,
            updated_at: EPOCH,
        }
    }

    fn route(server: i64, pool: i64, address: i64, n: u64) -> (SentRoute, u64) {
        let route = SentRoute {
            server: ServerId(server),
            pool: IpPoolId(pool),
            address: IpAddressId(address),
            organization: OrganizationId(1),
        };
        (route, n)
    }

    /// Seed 000's example: address 1 in both pools, address 2 in the marketing pool, two
    /// servers on marketing, one on transactional, one without a pool.
    #[test]
    fn the_seed_example_adds_up_along_every_route() {
        let org = organization(1, None);
        let (marketing, transactional) = (
            pool(1, "Marketing Pool", false),
            pool(2, "Transactional Pool", true),
        );
        let (a1, a2) = (address(1, "192.168.1.10"), address(2, "192.168.1.11"));
        let servers = vec![
            server(1, "Marketing Server", Some(1)),
            server(2, "Newsletter Server", Some(1)),
            server(3, "Transactional Server", Some(2)),
            server(4, "Development Server", None),
        ];
        let inputs = AllocationInputs {
            pool_users: servers
                .iter()
                .filter_map(|s| s.ip_pool_id.map(|p| (p, s.name.as_str().to_owned())))
                .collect(),
            servers,
            own_pools: vec![marketing.clone(), transactional.clone()],
            own_addresses: vec![a1.clone(), a2.clone()],
            pools: vec![marketing, transactional],
            memberships: vec![
                (IpPoolId(1), a1.clone()),
                (IpPoolId(1), a2.clone()),
                (IpPoolId(2), a1),
            ],
            routes: vec![
                route(1, 1, 1, 100),
                route(1, 1, 2, 50),
                route(2, 1, 2, 7),
                route(3, 2, 1, 30),
            ],
        };
        let a = assemble(&org, inputs);
        let sent = |v: Vec<u64>| v.iter().sum::<u64>();
        let by_address: Vec<u64> = a.ip_addresses.iter().map(|x| x.emails_sent).collect();
        let by_pool: Vec<u64> = a.ip_pools.iter().map(|x| x.emails_sent).collect();
        let by_server: Vec<u64> = a.servers.iter().map(|x| x.emails_sent).collect();
        assert_eq!(by_address, vec![130, 57]);
        assert_eq!(by_pool, vec![157, 30]);
        assert_eq!(by_server, vec![150, 7, 30, 0]);
        assert_eq!(sent(by_address), 187);
        assert_eq!(sent(by_pool), 187);
        assert_eq!(sent(by_server), 187);
        assert_eq!(
            a.ip_addresses[0].ip_pools,
            vec!["Marketing Pool", "Transactional Pool"]
        );
        assert_eq!(
            a.ip_pools[0].servers,
            vec!["Marketing Server", "Newsletter Server"]
        );
        assert_eq!(
            a.servers[0].ip_addresses,
            vec!["192.168.1.10", "192.168.1.11"]
        );
        assert_eq!(a.servers[2].ip_addresses, vec!["192.168.1.10"]);
        assert_eq!(a.servers[3].ip_pool, None);
        assert!(a.servers[3].ip_addresses.is_empty());
        // The routes are the graph's edges: largest first, summing to the same total, with
        // address 1 seen in both of its pools.
        let edges: Vec<_> = a
            .routes
            .iter()
            .map(|r| (r.ipv4.as_str(), r.ip_pool.as_str(), r.emails_sent))
            .collect();
        assert_eq!(
            edges,
            vec![
                ("192.168.1.10", "Marketing Pool", 100),
                ("192.168.1.11", "Marketing Pool", 50),
                ("192.168.1.10", "Transactional Pool", 30),
                ("192.168.1.11", "Marketing Pool", 7),
            ]
        );
        assert_eq!(a.routes[0].server_uuid, Some(Uuid::from_u128(1)));
        assert_eq!(sent(a.routes.iter().map(|r| r.emails_sent).collect()), 187);
    }

    #[test]
    fn a_borrowed_pool_counts_on_its_owner_and_the_server_on_its_own() {
        // Given a child organization's server sending through its parent's pool 9
        let child = organization(2, Some(&organization(1, None)));
        let mut borrowed = pool(9, "Parent Pool", true);
        borrowed.organization_id = OrganizationId(1);
        let inputs = AllocationInputs {
            servers: vec![server(5, "Child Server", Some(9))],
            pools: vec![borrowed.clone()],
            memberships: vec![(IpPoolId(9), address(3, "198.51.100.7"))],
            routes: vec![route(5, 9, 3, 12)],
            ..Default::default()
        };
        // then the child lists no pool or address of its own, but its server shows the
        // borrowed pool, its address and its own traffic.
        let a = assemble(&child, inputs);
        assert!(a.ip_pools.is_empty() && a.ip_addresses.is_empty());
        assert_eq!(a.servers[0].ip_pool.as_deref(), Some("Parent Pool"));
        assert_eq!(a.servers[0].ip_addresses, vec!["198.51.100.7"]);
        assert_eq!(a.servers[0].emails_sent, 12);
    }
}
