//! `/orgs/{org_id}/ip_addresses` and `/ip_addresses/{ip_address_id}`.

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
use orgplane_domain::ip_address::{
    Hostname, IpAddressPatch, NewIpAddress, Priority, SendingIpv4, SendingIpv6,
};
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::IpAddressView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An IP address.
#[derive(Debug, Serialize, ToSchema)]
pub struct IpAddressResponse {
    /// Public id.
    pub id: Uuid,
    /// The organization that owns it.
    pub organization_id: Uuid,
    /// IPv4 address.
    pub ipv4: String,
    /// IPv6 address (`null` when it has none).
    pub ipv6: Option<String>,
    /// DNS name.
    pub hostname: String,
    /// 0–100: the higher, the larger its share of its pools' traffic.
    pub priority: u8,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<IpAddressView> for IpAddressResponse {
    fn from(view: IpAddressView) -> Self {
        let a = view.address;
        Self {
            id: a.uuid,
            organization_id: view.organization_uuid,
            ipv4: a.ipv4.to_string(),
            ipv6: a.ipv6.map(|v| v.to_string()),
            hostname: a.hostname.as_str().to_owned(),
            priority: a.priority.get(),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// `POST /orgs/{org_id}/ip_addresses`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIpAddress {
    /// IPv4 address, unique.
    pub ipv4: String,
    /// DNS name, e.g. `mail1.example.com`.
    pub hostname: String,
    /// IPv6 address, unique.
    pub ipv6: Option<String>,
    /// 0–100 (default 100).
    pub priority: Option<i64>,
}

/// `PATCH /ip_addresses/{ip_address_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIpAddress {
    /// New IPv4 address.
    pub ipv4: Option<String>,
    /// New DNS name.
    pub hostname: Option<String>,
    /// New IPv6 address; `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    pub ipv6: Option<Option<String>>,
    /// New priority.
    pub priority: Option<i64>,
}

/// Create an IP address in an organization.
#[utoipa::path(tag = "ip_addresses", params(("Idempotency-Key" = Option<String>, Header, description = crate::extract::IDEMPOTENCY_KEY_DOC), ("org_id" = Uuid, Path, description = "Organization id")), request_body = CreateIpAddress,
    responses((status = 201, body = IpAddressResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[post("/orgs/{org_id}/ip_addresses")]
pub async fn create(
    state: web::Data<State>,
    caller: Caller,
    org: web::Path<Uuid>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let org = org.into_inner();
    let json = body.into_inner();
    let body = parse_body::<CreateIpAddress>(json.clone())?;
    let e = &mut Vec::new();
    let ipv4 = field(e, "ipv4", Some(&body.ipv4), SendingIpv4::parse);
    let hostname = field(e, "hostname", Some(&body.hostname), Hostname::parse);
    let ipv6 = field(e, "ipv6", body.ipv6.as_deref(), SendingIpv6::parse);
    let priority = checked(e, "priority", body.priority, Priority::new).unwrap_or_default();
    check(std::mem::take(e))?;
    let (Some(ipv4), Some(hostname)) = (ipv4, hostname) else {
        return Err(Problem::bad_request("ipv4 and hostname are required"));
    };
    let new = NewIpAddress {
        ipv4,
        ipv6,
        hostname,
        priority,
    };
    created(
        &state,
        caller,
        &req,
        &json,
        render,
        move |uc, actor, idem| uc.create_ip_address(actor, org, new, idem),
    )
    .await
}

fn render(view: &IpAddressView) -> RecordedResponse {
    recorded_created(
        format!("/ip_addresses/{}", view.address.uuid),
        &IpAddressResponse::from(view.clone()),
    )
}

/// List an organization's own IP addresses.
#[utoipa::path(tag = "ip_addresses", params(("org_id" = Uuid, Path, description = "Organization id"), PageParams),
    responses((status = 200, body = ListResponse<IpAddressResponse>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/ip_addresses")]
pub async fn list(
    state: web::Data<State>,
    caller: Caller,
    org: web::Path<Uuid>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    let org = org.into_inner();
    let page = query.page()?;
    let found = caller
        .run(&state, move |uc, actor| {
            uc.list_ip_addresses(actor, org, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(found.map(IpAddressResponse::from))))
}

/// Read an IP address.
#[utoipa::path(tag = "ip_addresses", params(("ip_address_id" = Uuid, Path, description = "IP address id")),
    responses((status = 200, body = IpAddressResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/ip_addresses/{ip_address_id}")]
pub async fn read(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let view = caller
        .run(&state, move |uc, actor| uc.get_ip_address(actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(IpAddressResponse::from(view)))
}

/// Change an IP address.
#[utoipa::path(tag = "ip_addresses", params(("ip_address_id" = Uuid, Path, description = "IP address id")), request_body = UpdateIpAddress,
    responses((status = 200, body = IpAddressResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[patch("/ip_addresses/{ip_address_id}")]
pub async fn update(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let body = parse_body::<UpdateIpAddress>(body.into_inner())?;
    let e = &mut Vec::new();
    let patch = IpAddressPatch {
        ipv4: field(e, "ipv4", body.ipv4.as_deref(), SendingIpv4::parse),
        ipv6: match body.ipv6 {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => field(e, "ipv6", Some(&raw), SendingIpv6::parse).map(Some),
        },
        hostname: field(e, "hostname", body.hostname.as_deref(), Hostname::parse),
        priority: checked(e, "priority", body.priority, Priority::new),
    };
    check(std::mem::take(e))?;
    let view = caller
        .run(&state, move |uc, actor| {
            uc.update_ip_address(actor, id, patch)
        })
        .await?;
    Ok(HttpResponse::Ok().json(IpAddressResponse::from(view)))
}

/// Delete an IP address (it leaves every pool).
#[utoipa::path(tag = "ip_addresses", params(("ip_address_id" = Uuid, Path, description = "IP address id")),
    responses((status = 204, description = "Deleted"), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[delete("/ip_addresses/{ip_address_id}")]
pub async fn remove(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<NoContent, Problem> {
    let id = id.into_inner();
    caller
        .run(&state, move |uc, actor| uc.delete_ip_address(actor, id))
        .await?;
    Ok(NoContent)
}
