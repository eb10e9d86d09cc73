//! Mail servers.

use super::{Idempotency, Outcome};
use super::{PageRequest, ServiceResult};
use orgplane_domain::access::Actor;
use orgplane_domain::page::Page;
use orgplane_domain::sending::SendingView;
use orgplane_domain::server::{NewServer, Server, ServerPatch};
use uuid::Uuid;

/// A server with the public ids surfaces show.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerView {
    /// The server.
    pub server: Server,
    /// Its organization's public id.
    pub organization_uuid: Uuid,
    /// Its pool's public id.
    pub ip_pool_uuid: Option<Uuid>,
    /// The public id of the organization whose decision its suspension is (its own
    /// organization or one above), when it is suspended through one.
    pub suspended_by_uuid: Option<Uuid>,
}

/// The sending engine's view of a server.
#[derive(Debug, Clone, PartialEq)]
pub struct SendingReport {
    /// The server.
    pub server: ServerView,
    /// May it send, and through which addresses.
    pub view: SendingView,
}

/// Mail server management.
pub trait Servers: Send + Sync {
    /// Creates a server in an organization.
    fn create_server(
        &self,
        actor: &Actor,
        organization: Uuid,
        new: NewServer,
        idempotency: Option<Idempotency<ServerView>>,
    ) -> ServiceResult<Outcome<ServerView>>;
    /// Lists an organization's servers.
    fn list_servers(
        &self,
        actor: &Actor,
        organization: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<ServerView>>;
    /// Reads a server.
    fn get_server(&self, actor: &Actor, id: Uuid) -> ServiceResult<ServerView>;
    /// Changes a server.
    fn update_server(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: ServerPatch,
    ) -> ServiceResult<ServerView>;
    /// Deletes a server.
    fn delete_server(&self, actor: &Actor, id: Uuid) -> ServiceResult<()>;
    /// May the server send now, and through which addresses (one read, no write).
    fn sending(&self, actor: &Actor, id: Uuid) -> ServiceResult<SendingReport>;
}
