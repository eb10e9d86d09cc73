//! `/orgs/{org_id}/servers`, `/servers/{server_id}` and the sending engine's view.

use super::created;
use super::problem::Problem;
use super::{ListResponse, NoContent};
use crate::extract::{
    check, checked, field, nullable, parse_body, recorded_created, Caller, PageParams,
};
use crate::State;
use actix_web::{delete, get, patch, post};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use orgplane_domain::server::{
    NewServer, PoolChoice, SendLimit, ServerMode, ServerName, ServerPatch,
};
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::{FieldError, SendingReport, ServerView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A mail server.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServerResponse {
    /// Public id.
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// Name, unique within the organization.
    pub name: String,
    /// Handle derived from the name, unique within the organization.
    pub permalink: String,
    /// `Live` or `Development`.
    pub mode: String,
    /// The pool it sends through (`null`: none, so no addresses to send from).
    pub ip_pool_id: Option<Uuid>,
    /// Most messages in any 60 minutes (`null`: no limit).
    pub send_limit: Option<i64>,
    /// Whether it is suspended (on its own or through its organization).
    pub suspended: bool,
    /// Since when.
    pub suspended_at: Option<DateTime<Utc>>,
    /// The organization whose suspension it inherits (`null` when suspended on its own).
    pub suspended_by: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ServerView> for ServerResponse {
    fn from(view: ServerView) -> Self {
        let s = view.server;
        Self {
            id: s.uuid,
            organization_id: view.organization_uuid,
            name: s.name.as_str().to_owned(),
            permalink: s.permalink.as_str().to_owned(),
            mode: s.mode.as_str().to_owned(),
            ip_pool_id: view.ip_pool_uuid,
            send_limit: s.send_limit.map(SendLimit::get),
            suspended: s.suspension.is_some(),
            suspended_at: s.suspension.map(|x| x.since),
            suspended_by: view.suspended_by_uuid,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// `POST /orgs/{org_id}/servers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServer {
    /// Name (1–255 characters), unique within the organization.
    pub name: String,
    /// `Live` (default) or `Development`.
    pub mode: Option<String>,
    /// The pool to send through: one of the organization's own or of an ancestor. Left
    /// out: the organization's default pool (its own, else the nearest ancestor's);
    /// `null`: no pool.
    #[serde(default, deserialize_with = "nullable")]
    pub ip_pool_id: Option<Option<String>>,
    /// Most messages in any 60 minutes (0 to 1,000,000,000).
    pub send_limit: Option<i64>,
}

/// `PATCH /servers/{server_id}`: only the fields given change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateServer {
    /// New name (the permalink stays).
    pub name: Option<String>,
    /// `Live` or `Development`.
    pub mode: Option<String>,
    /// New pool; `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    pub ip_pool_id: Option<Option<String>>,
    /// New limit; `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    pub send_limit: Option<Option<i64>>,
    /// `true` suspends the server; `false` lifts its own suspension.
    pub suspended: Option<bool>,
}

fn pool_choice(errors: &mut Vec<FieldError>, raw: Option<Option<String>>) -> Option<PoolChoice> {
    match raw {
        None => None,
        Some(None) => Some(PoolChoice::None),
        Some(Some(id)) => {
            field(errors, "ip_pool_id", Some(&id), Uuid::parse_str).map(PoolChoice::Pool)
        }
    }
}

fn send_limit(errors: &mut Vec<FieldError>, raw: i64) -> Option<SendLimit> {
    checked(errors, "send_limit", Some(raw), SendLimit::new)
}

fn mode(errors: &mut Vec<FieldError>, raw: Option<&str>) -> Option<ServerMode> {
    field(errors, "mode", raw, ServerMode::parse)
}

impl CreateServer {
    fn parse(self) -> Result<NewServer, Problem> {
        let e = &mut Vec::new();
        let name = field(e, "name", Some(&self.name), ServerName::parse);
        let mode = mode(e, self.mode.as_deref()).unwrap_or_default();
        let ip_pool = pool_choice(e, self.ip_pool_id).unwrap_or_default();
        let send_limit = self.send_limit.and_then(|n| send_limit(e, n));
        check(std::mem::take(e))?;
        Ok(NewServer {
            name: name.ok_or_else(|| Problem::bad_request("name is required"))?,
            mode,
            ip_pool,
            send_limit,
        })
    }
}

impl UpdateServer {
    fn parse(self) -> Result<ServerPatch, Problem> {
        let e = &mut Vec::new();
        let patch = ServerPatch {
            name: field(e, "name", self.name.as_deref(), ServerName::parse),
            mode: mode(e, self.mode.as_deref()),
            ip_pool: pool_choice(e, self.ip_pool_id),
            send_limit: match self.send_limit {
                None => None,
                Some(None) => Some(None),
                Some(Some(n)) => send_limit(e, n).map(Some),
            },
            suspended: self.suspended,
        };
        check(std::mem::take(e))?;
        Ok(patch)
    }
}

/// Why a server may not send now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reason {
    /// `server_suspended`, `organization_suspended`, `development_mode`, `no_ip_pool`,
    /// `no_ip_addresses` or `send_limit_reached`.
    pub code: &'static str,
    /// In words.
    pub message: String,
}

/// An address the server sends from, and the share of its traffic it should carry.
#[derive(Debug, Serialize, ToSchema)]
pub struct SendingAddress {
    /// Public id.
    pub id: Uuid,
    /// IPv4 address.
    pub ipv4: String,
    /// IPv6 address.
    pub ipv6: Option<String>,
    /// DNS name.
    pub hostname: String,
    /// Priority, 0–100.
    pub priority: u8,
    /// Share of the traffic, proportional to priority; the shares add up to 1.
    pub share: f64,
}

/// `GET /servers/{server_id}/sending`: the sending engine's view.
#[derive(Debug, Serialize, ToSchema)]
pub struct SendingResponse {
    /// The server.
    pub server_id: Uuid,
    /// Whether it may send now.
    pub may_send: bool,
    /// Why not (empty when it may).
    pub reasons: Vec<Reason>,
    /// Messages sent in the last 60 minutes.
    pub sent_last_hour: u64,
    /// Its hourly limit.
    pub send_limit: Option<i64>,
    /// Its pool.
    pub ip_pool_id: Option<Uuid>,
    /// Its pool's addresses, highest priority first.
    pub ip_addresses: Vec<SendingAddress>,
}

impl From<SendingReport> for SendingResponse {
    fn from(report: SendingReport) -> Self {
        use orgplane_domain::sending::Blocker;
        let reasons = report
            .view
            .blockers
            .iter()
            .map(|b| Reason {
                code: b.code(),
                message: match b {
                    Blocker::ServerSuspended => "The server is suspended.".to_owned(),
                    Blocker::OrganizationSuspended => {
                        "Its organization (or one above it) is suspended.".to_owned()
                    }
                    Blocker::DevelopmentMode => {
                        "It is in Development mode: it holds mail instead of delivering it."
                            .to_owned()
                    }
                    Blocker::NoIpPool => "It has no IP pool.".to_owned(),
                    Blocker::NoIpAddresses => "Its IP pool has no addresses.".to_owned(),
                    Blocker::SendLimitReached { limit, sent } => format!(
                        "It sent {sent} messages in the last 60 minutes; its limit is {}.",
                        limit.get()
                    ),
                },
            })
            .collect();
        Self {
            server_id: report.server.server.uuid,
            may_send: report.view.may_send,
            reasons,
            sent_last_hour: report.view.sent_last_hour,
            send_limit: report.server.server.send_limit.map(SendLimit::get),
            ip_pool_id: report.server.ip_pool_uuid,
            ip_addresses: report
                .view
                .routes
                .into_iter()
                .map(|r| SendingAddress {
                    id: r.address.uuid,
                    ipv4: r.address.ipv4.to_string(),
                    ipv6: r.address.ipv6.map(|v| v.to_string()),
                    hostname: r.address.hostname.as_str().to_owned(),
                    priority: r.address.priority.get(),
                    share: r.share,
                })
                .collect(),
        }
    }
}

/// Create a mail server in an organization.
#[utoipa::path(tag = "servers", params(("Idempotency-Key" = Option<String>, Header, description = crate::extract::IDEMPOTENCY_KEY_DOC), ("org_id" = Uuid, Path, description = "Organization id")), request_body = CreateServer,
    responses((status = 201, body = ServerResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[post("/orgs/{org_id}/servers")]
pub async fn create(
    state: web::Data<State>,
    caller: Caller,
    org: web::Path<Uuid>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let org = org.into_inner();
    let body = body.into_inner();
    let new = parse_body::<CreateServer>(body.clone())?.parse()?;
    created(
        &state,
        caller,
        &req,
        &body,
        render,
        move |uc, actor, idem| uc.create_server(actor, org, new, idem),
    )
    .await
}

fn render(view: &ServerView) -> RecordedResponse {
    recorded_created(
        format!("/servers/{}", view.server.uuid),
        &ServerResponse::from(view.clone()),
    )
}

/// List an organization's servers.
#[utoipa::path(tag = "servers", params(("org_id" = Uuid, Path, description = "Organization id"), PageParams),
    responses((status = 200, body = ListResponse<ServerResponse>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/servers")]
pub async fn list(
    state: web::Data<State>,
    caller: Caller,
    org: web::Path<Uuid>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    let org = org.into_inner();
    let page = query.page()?;
    let found = caller
        .run(&state, move |uc, actor| uc.list_servers(actor, org, page))
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(found.map(ServerResponse::from))))
}

/// Read a server.
#[utoipa::path(tag = "servers", params(("server_id" = Uuid, Path, description = "Server id")),
    responses((status = 200, body = ServerResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/servers/{server_id}")]
pub async fn read(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let view = caller
        .run(&state, move |uc, actor| uc.get_server(actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(ServerResponse::from(view)))
}

/// Change a server: name, mode, pool, send limit, suspension.
#[utoipa::path(tag = "servers", params(("server_id" = Uuid, Path, description = "Server id")), request_body = UpdateServer,
    responses((status = 200, body = ServerResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[patch("/servers/{server_id}")]
pub async fn update(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let patch = parse_body::<UpdateServer>(body.into_inner())?.parse()?;
    let view = caller
        .run(&state, move |uc, actor| uc.update_server(actor, id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(ServerResponse::from(view)))
}

/// Delete a server (its past traffic stays counted on its pools and addresses).
#[utoipa::path(tag = "servers", params(("server_id" = Uuid, Path, description = "Server id")),
    responses((status = 204, description = "Deleted"), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[delete("/servers/{server_id}")]
pub async fn remove(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<NoContent, Problem> {
    let id = id.into_inner();
    caller
        .run(&state, move |uc, actor| uc.delete_server(actor, id))
        .await?;
    Ok(NoContent)
}

/// May the server send now, and through which addresses in which shares.
#[utoipa::path(tag = "servers", params(("server_id" = Uuid, Path, description = "Server id")),
    responses((status = 200, body = SendingResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/servers/{server_id}/sending")]
pub async fn sending(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let report = caller
        .run(&state, move |uc, actor| uc.sending(actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(SendingResponse::from(report)))
}
