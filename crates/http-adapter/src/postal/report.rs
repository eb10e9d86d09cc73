//! Seed 000's two `data` objects, field for field. The Postal surface sends them in its
//! envelope; the canonical surface sends them bare.

use orgplane_domain::ip_allocation::IpAllocation;
use orgplane_domain::statistics::Statistics;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// `data` of `statistics`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatisticsData {
    /// The organization's live figures.
    pub statistics: OrganizationStatistics,
}

/// An organization's live figures (the last 60 seconds; queues as of now).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationStatistics {
    /// The organization's id.
    pub uuid: Uuid,
    /// Its name.
    pub name: String,
    /// Messages per second over the last 60 seconds, all its servers together.
    pub overall_message_rate: f64,
    /// Messages queued in all its servers.
    pub total_queued_count: u64,
    /// Messages sent in the last 60 seconds by all its servers.
    pub total_sent: u64,
    /// Its servers.
    pub servers_count: u64,
    /// The IP addresses it owns.
    pub ip_addresses_count: u64,
    /// The IP addresses it owns.
    pub ip_addresses: Vec<StatisticsAddress>,
    /// Each server's figures.
    pub servers: Vec<ServerStatistics>,
}

/// An IP address in `statistics`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatisticsAddress {
    /// Its integer id.
    pub id: i64,
    /// IPv4 address.
    pub ipv4: String,
    /// IPv6 address.
    pub ipv6: Option<String>,
    /// DNS name.
    pub hostname: String,
    /// 0–100.
    pub priority: u8,
}

/// A server in `statistics`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServerStatistics {
    /// The server's id.
    pub uuid: Uuid,
    /// Its name.
    pub name: String,
    /// Messages in its queue now.
    pub queued_count: u64,
    /// Messages per second over the last 60 seconds.
    pub message_rate: f64,
    /// Messages sent in the last 60 seconds.
    pub sent_count: u64,
}

impl From<Statistics> for StatisticsData {
    fn from(s: Statistics) -> Self {
        Self {
            statistics: OrganizationStatistics {
                uuid: s.uuid,
                name: s.name,
                overall_message_rate: s.overall_message_rate,
                total_queued_count: s.total_queued_count,
                total_sent: s.total_sent,
                servers_count: s.servers_count,
                ip_addresses_count: s.ip_addresses_count,
                ip_addresses: s
                    .ip_addresses
                    .into_iter()
                    .map(|a| StatisticsAddress {
                        id: a.id.0,
                        ipv4: a.ipv4.to_string(),
                        ipv6: a.ipv6.map(|v| v.to_string()),
                        hostname: a.hostname.as_str().to_owned(),
                        priority: a.priority.get(),
                    })
                    .collect(),
                servers: s
                    .servers
                    .into_iter()
                    .map(|s| ServerStatistics {
                        uuid: s.uuid,
                        name: s.name,
                        queued_count: s.queued_count,
                        message_rate: s.message_rate,
                        sent_count: s.sent_count,
                    })
                    .collect(),
            },
        }
    }
}

/// `data` of `ip_allocation`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IpAllocationData {
    /// The organization.
    pub organization: AllocationOrganization,
    /// The addresses it owns and the pools they sit in.
    pub ip_addresses: Vec<AllocationAddress>,
    /// The pools it owns and the servers that use them.
    pub ip_pools: Vec<AllocationPool>,
    /// Its servers and what they send through.
    pub servers: Vec<AllocationServer>,
}

/// The organization in `ip_allocation`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationOrganization {
    /// Its id.
    pub uuid: Uuid,
    /// Its name.
    pub name: String,
}

/// An address in `ip_allocation`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationAddress {
    /// IPv4 address.
    pub ipv4: String,
    /// IPv6 address.
    pub ipv6: Option<String>,
    /// DNS name.
    pub hostname: String,
    /// 0–100.
    pub priority: u8,
    /// Names of the pools holding it.
    pub ip_pools: Vec<String>,
    /// Messages sent from it, all time.
    pub emails_sent: u64,
}

/// A pool in `ip_allocation`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationPool {
    /// Its name.
    pub name: String,
    /// Its id.
    pub uuid: Uuid,
    /// Whether it is the organization's default pool.
    pub default: bool,
    /// Names of the servers using it.
    pub servers: Vec<String>,
    /// Messages sent through it, all time.
    pub emails_sent: u64,
}

/// A server in `ip_allocation`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationServer {
    /// Its name.
    pub name: String,
    /// Its id.
    pub uuid: Uuid,
    /// The name of its pool (`null`: none).
    pub ip_pool: Option<String>,
    /// The IPv4 addresses of its pool.
    pub ip_addresses: Vec<String>,
    /// Messages it sent, all time.
    pub emails_sent: u64,
}

impl From<IpAllocation> for IpAllocationData {
    fn from(a: IpAllocation) -> Self {
        Self {
            organization: AllocationOrganization {
                uuid: a.uuid,
                name: a.name,
            },
            ip_addresses: a
                .ip_addresses
                .into_iter()
                .map(|x| AllocationAddress {
                    ipv4: x.address.ipv4.to_string(),
                    ipv6: x.address.ipv6.map(|v| v.to_string()),
                    hostname: x.address.hostname.as_str().to_owned(),
                    priority: x.address.priority.get(),
                    ip_pools: x.ip_pools,
                    emails_sent: x.emails_sent,
                })
                .collect(),
            ip_pools: a
                .ip_pools
                .into_iter()
                .map(|x| AllocationPool {
                    name: x.pool.name.as_str().to_owned(),
                    uuid: x.pool.uuid,
                    default: x.pool.default,
                    servers: x.servers,
                    emails_sent: x.emails_sent,
                })
                .collect(),
            servers: a
                .servers
                .into_iter()
                .map(|x| AllocationServer {
                    name: x.name,
                    uuid: x.uuid,
                    ip_pool: x.ip_pool,
                    ip_addresses: x.ip_addresses,
                    emails_sent: x.emails_sent,
                })
                .collect(),
        }
    }
}
