//! Mail servers.

use super::{Lock, StoreResult};
use chrono::{DateTime, Utc};
use orgplane_domain::ip_pool::IpPoolId;
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_domain::server::{
    SendLimit, Server, ServerId, ServerMode, ServerName, ServerPermalink,
};
use orgplane_domain::suspension::Suspension;
use uuid::Uuid;

/// A live server with its figures now: what the live statistics show.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerFigures {
    /// The server.
    pub server: Server,
    /// Messages in its queue.
    pub queued: u64,
    /// Messages it sent from the window's first second on.
    pub sent: u64,
}

/// A server to insert.
#[derive(Debug, Clone)]
pub struct InsertServer {
    /// Public id.
    pub uuid: Uuid,
    /// Its organization.
    pub organization_id: OrganizationId,
    /// Name (unique within the organization, case-insensitively).
    pub name: ServerName,
    /// Permalink (unique within the organization).
    pub permalink: ServerPermalink,
    /// Mode.
    pub mode: ServerMode,
    /// Pool.
    pub ip_pool_id: Option<IpPoolId>,
    /// Hourly limit.
    pub send_limit: Option<SendLimit>,
    /// The suspension it is born with (its organization's, inherited).
    pub suspension: Option<Suspension>,
    /// Creation time.
    pub now: DateTime<Utc>,
}

impl InsertServer {
    /// The server this insert makes, once the store has given it `id`.
    pub fn into_server(self, id: ServerId) -> Server {
        Server {
            id,
            uuid: self.uuid,
            organization_id: self.organization_id,
            name: self.name,
            permalink: self.permalink,
            mode: self.mode,
            ip_pool_id: self.ip_pool_id,
            send_limit: self.send_limit,
            suspension: self.suspension,
            created_at: self.now,
            updated_at: self.now,
        }
    }
}

/// Mail servers. Only live (not deleted) servers are ever returned.
pub trait ServerRepository {
    /// Inserts a server.
    fn insert_server(&mut self, new: InsertServer) -> StoreResult<Server>;
    /// A server by public id.
    fn server_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<Server>>;
    /// Servers by public ids (those that exist), by ascending key.
    fn servers_by_uuids(&mut self, uuids: &[Uuid]) -> StoreResult<Vec<Server>>;
    /// A server, locked until the transaction ends, as last committed.
    fn lock_server(&mut self, id: ServerId, lock: Lock) -> StoreResult<Option<Server>>;
    /// Whether another server of `organization` has this name (case-insensitively).
    fn server_name_taken(
        &mut self,
        organization: OrganizationId,
        name: &ServerName,
        except: Option<ServerId>,
    ) -> StoreResult<bool>;
    /// Whether a server of `organization` has this permalink.
    fn server_permalink_taken(
        &mut self,
        organization: OrganizationId,
        permalink: &ServerPermalink,
    ) -> StoreResult<bool>;
    /// Servers of `organization` by ascending key after `after`, at most `limit`.
    fn list_servers(
        &mut self,
        organization: OrganizationId,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<Server>>;
    /// All servers of `organization`, by ascending key.
    fn servers_of(&mut self, organization: OrganizationId) -> StoreResult<Vec<Server>>;
    /// All servers of these organizations, by ascending key.
    fn servers_of_organizations(
        &mut self,
        organizations: &[OrganizationId],
    ) -> StoreResult<Vec<Server>>;
    /// The servers of `organization` by ascending key, each with its queue size and what
    /// it sent from second `since` (Unix time) on: one read for the live statistics.
    fn server_figures(
        &mut self,
        organization: OrganizationId,
        since: i64,
    ) -> StoreResult<Vec<ServerFigures>>;
    /// All servers of `root` and its descendants, by ascending key.
    fn servers_within(&mut self, root: OrganizationId) -> StoreResult<Vec<Server>>;
    /// Servers (of any organization) sending through any of `pools`, by ascending key.
    fn servers_using_pools(&mut self, pools: &[IpPoolId]) -> StoreResult<Vec<Server>>;
    /// How many servers `root` and its descendants have (`None`: every organization).
    fn count_servers_within(&mut self, root: Option<OrganizationId>) -> StoreResult<u64>;
    /// How many servers each of `organizations` has.
    fn count_servers(
        &mut self,
        organizations: &[OrganizationId],
    ) -> StoreResult<Vec<(OrganizationId, u64)>>;
    /// Saves the mutable fields of a server.
    fn update_server(&mut self, server: &Server) -> StoreResult<()>;
    /// Sets the effective suspension of several servers.
    fn set_server_suspensions(
        &mut self,
        changes: &[(ServerId, Option<Suspension>)],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Soft-deletes a server.
    fn delete_server(&mut self, id: ServerId, now: DateTime<Utc>) -> StoreResult<()>;
}
