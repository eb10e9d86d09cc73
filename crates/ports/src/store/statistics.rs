//! The live statistics' reads.

use super::{IpAddressRepository, ServerFigures, ServerRepository, StoreResult};
use orgplane_domain::ip_address::IpAddress;
use orgplane_domain::organization::OrganizationId;

/// What an organization's live statistics are assembled from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatisticsInputs {
    /// Its live servers by ascending key, each with its queue and what it sent in the
    /// window.
    pub servers: Vec<ServerFigures>,
    /// Its live addresses by ascending key.
    pub addresses: Vec<IpAddress>,
}

/// What the live statistics read.
pub trait StatisticsRepository: ServerRepository + IpAddressRepository {
    /// The servers of `organization` with what each sent from second `since` (Unix time)
    /// on, and its addresses. By default read piece by piece
    /// ([`statistics_inputs_by_parts`]); a store may read them at once, and must then read
    /// exactly the same.
    fn statistics_inputs(
        &mut self,
        organization: OrganizationId,
        since: i64,
    ) -> StoreResult<StatisticsInputs> {
        statistics_inputs_by_parts(self, organization, since)
    }
}

/// The inputs of an organization's live statistics, read piece by piece.
pub fn statistics_inputs_by_parts<R>(
    r: &mut R,
    organization: OrganizationId,
    since: i64,
) -> StoreResult<StatisticsInputs>
where
    R: ServerRepository + IpAddressRepository + ?Sized,
{
    Ok(StatisticsInputs {
        servers: r.server_figures(organization, since)?,
        addresses: r.ip_addresses_of(organization)?,
    })
}
