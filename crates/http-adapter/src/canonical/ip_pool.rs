//! `/orgs/{org_id}/ip_pools`, `/ip_pools/{pool_id}` and pool membership.

use super::created;
use super::problem::Problem;
use super::{ListResponse, NoContent};
use crate::extract::{check, field, parse_body, recorded_created, Caller, PageParams};
use crate::State;
use actix_web::{delete, get, patch, post, put};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use orgplane_domain::ip_pool::{IpPoolPatch, NewIpPool, PoolName};
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::IpPoolView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An IP pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct IpPoolResponse {
    /// Public id.
    pub id: Uuid,
    /// The organization that owns it (its descendants may use it too).
    pub organization_id: Uuid,
    /// Name, unique within the organization.
    pub name: String,
    /// Whether it is the organization's default pool (at most one is).
    pub default: bool,
    /// The addresses in it.
    pub ip_address_ids: Vec<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<IpPoolView> for IpPoolResponse {
    fn from(view: IpPoolView) -> Self {
        let p = view.pool;
        Self {
            id: p.uuid,
            organization_id: view.organization_uuid,
            name: p.name.as_str().to_owned(),
            default: p.default,
            ip_address_ids: view.ip_address_uuids,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// `POST /orgs/{org_id}/ip_pools`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIpPool {
    /// Name (1–255 characters), unique within the organization.
    pub name: String,
    /// Make it the organization's default pool (the previous default stops being one).
    pub default: Option<bool>,
}

/// `PATCH /ip_pools/{pool_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIpPool {
    /// New name.
    pub name: Option<String>,
    /// `true` makes it the default (clearing the previous one); `false` leaves the
    /// organization without a default pool.
    pub default: Option<bool>,
}

/// Create an IP pool in an organization.
#[utoipa::path(tag = "ip_pools", params(("Idempotency-Key" = Option<String>, Header, description = crate::extract::IDEMPOTENCY_KEY_DOC), ("org_id" = Uuid, Path, description = "Organization id")), request_body = CreateIpPool,
    responses((status = 201, body = IpPoolResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[post("/orgs/{org_id}/ip_pools")]
pub async fn create(
    state: web::Data<State>,
    caller: Caller,
    org: web::Path<Uuid>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let org = org.into_inner();
    let json = body.into_inner();
    let body = parse_body::<CreateIpPool>(json.clone())?;
    let mut errors = Vec::new();
    let name = field(&mut errors, "name", Some(&body.name), PoolName::parse);
    check(errors)?;
    let new = NewIpPool {
        name: name.ok_or_else(|| Problem::bad_request("name is required"))?,
        default: body.default.unwrap_or(false),
    };
    created(
        &state,
        caller,
        &req,
        &json,
        render,
        move |uc, actor, idem| uc.create_ip_pool(actor, org, new, idem),
    )
    .await
}

fn render(view: &IpPoolView) -> RecordedResponse {
    recorded_created(
        format!("/ip_pools/{}", view.pool.uuid),
        &IpPoolResponse::from(view.clone()),
    )
}

/// List an organization's own IP pools.
#[utoipa::path(tag = "ip_pools", params(("org_id" = Uuid, Path, description = "Organization id"), PageParams),
    responses((status = 200, body = ListResponse<IpPoolResponse>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/ip_pools")]
pub async fn list(
    state: web::Data<State>,
    caller: Caller,
    org: web::Path<Uuid>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    let org = org.into_inner();
    let page = query.page()?;
    let found = caller
        .run(&state, move |uc, actor| uc.list_ip_pools(actor, org, page))
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(found.map(IpPoolResponse::from))))
}

/// Read an IP pool.
#[utoipa::path(tag = "ip_pools", params(("pool_id" = Uuid, Path, description = "IP pool id")),
    responses((status = 200, body = IpPoolResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/ip_pools/{pool_id}")]
pub async fn read(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let view = caller
        .run(&state, move |uc, actor| uc.get_ip_pool(actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(IpPoolResponse::from(view)))
}

/// Change an IP pool's name or default flag.
#[utoipa::path(tag = "ip_pools", params(("pool_id" = Uuid, Path, description = "IP pool id")), request_body = UpdateIpPool,
    responses((status = 200, body = IpPoolResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[patch("/ip_pools/{pool_id}")]
pub async fn update(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let body = parse_body::<UpdateIpPool>(body.into_inner())?;
    let mut errors = Vec::new();
    let patch = IpPoolPatch {
        name: field(&mut errors, "name", body.name.as_deref(), PoolName::parse),
        default: body.default,
    };
    check(errors)?;
    let view = caller
        .run(&state, move |uc, actor| uc.update_ip_pool(actor, id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(IpPoolResponse::from(view)))
}

/// Delete an IP pool no server uses (409 names the servers that still do).
#[utoipa::path(tag = "ip_pools", params(("pool_id" = Uuid, Path, description = "IP pool id")),
    responses((status = 204, description = "Deleted"), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[delete("/ip_pools/{pool_id}")]
pub async fn remove(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<NoContent, Problem> {
    let id = id.into_inner();
    caller
        .run(&state, move |uc, actor| uc.delete_ip_pool(actor, id))
        .await?;
    Ok(NoContent)
}

/// Put an IP address into a pool (an address may sit in several pools). The address
/// must belong to the pool's organization or to one above it.
#[utoipa::path(tag = "ip_pools",
    params(("pool_id" = Uuid, Path, description = "IP pool id"), ("ip_address_id" = Uuid, Path, description = "IP address id")),
    responses((status = 200, body = IpPoolResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[put("/ip_pools/{pool_id}/ip_addresses/{ip_address_id}")]
pub async fn add_address(
    state: web::Data<State>,
    caller: Caller,
    ids: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (pool, address) = ids.into_inner();
    let view = caller
        .run(&state, move |uc, actor| {
            uc.add_pool_address(actor, pool, address)
        })
        .await?;
    Ok(HttpResponse::Ok().json(IpPoolResponse::from(view)))
}

/// Take an IP address out of a pool.
#[utoipa::path(tag = "ip_pools",
    params(("pool_id" = Uuid, Path, description = "IP pool id"), ("ip_address_id" = Uuid, Path, description = "IP address id")),
    responses((status = 200, body = IpPoolResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[delete("/ip_pools/{pool_id}/ip_addresses/{ip_address_id}")]
pub async fn remove_address(
    state: web::Data<State>,
    caller: Caller,
    ids: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (pool, address) = ids.into_inner();
    let view = caller
        .run(&state, move |uc, actor| {
            uc.remove_pool_address(actor, pool, address)
        })
        .await?;
    Ok(HttpResponse::Ok().json(IpPoolResponse::from(view)))
}
