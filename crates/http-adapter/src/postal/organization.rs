//! The two organization methods.

use super::report::{IpAllocationData, StatisticsData};
use super::{params, success, Envelope, ErrorData, PostalError};
use crate::extract::{read_body, Caller};
use crate::State;
use actix_web::post;
use actix_web::{web, HttpRequest, HttpResponse};
use std::time::Instant;
use uuid::Uuid;

/// The organization the parameters name (`uuid`, or `organization_uuid`). A value that
/// is no UUID at all names no organization, like an unknown one.
fn organization(req: &HttpRequest, body: &[u8], started: Instant) -> Result<Uuid, PostalError> {
    let params = params(req, body, started)?;
    let raw = params
        .get("uuid")
        .or_else(|| params.get("organization_uuid"));
    match raw {
        None | Some(serde_json::Value::Null) => Err(PostalError::parameter(
            "organization_uuid is required",
            started,
        )),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Err(PostalError::parameter(
            "organization_uuid is required",
            started,
        )),
        Some(serde_json::Value::String(s)) => Uuid::parse_str(s.trim()).map_err(|_| {
            PostalError::service(orgplane_ports::usecase::ServiceError::NotFound, started)
        }),
        Some(_) => Err(PostalError::parameter(
            "`uuid` must be a string: the organization's UUID",
            started,
        )),
    }
}

type StatisticsEnvelope = Envelope<StatisticsData>;
type AllocationEnvelope = Envelope<IpAllocationData>;
type ErrorEnvelope = Envelope<ErrorData>;

/// Organization statistics (seed 000): message rates, queues, servers, IP addresses.
#[utoipa::path(tag = "postal",
    request_body(content = inline(Object), description = "`{\"uuid\": \"<organization id>\"}` as JSON, or form-urlencoded with `params` holding that JSON", content_type = "application/json"),
    responses((status = 200, description = "`success` with the statistics, or `parameter-error`, or `error` (Postal answers these with 200 too)", body = StatisticsEnvelope),
              (status = 500, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)),
    security(("x_server_api_key" = []), ("bearer" = [])))]
#[post("/api/v1/organizations/statistics")]
pub async fn statistics(
    state: web::Data<State>,
    caller: Caller<PostalError>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PostalError> {
    let started = Instant::now();
    let body = read_body(payload, state.body_limit_bytes)
        .await
        .map_err(|e| PostalError::parameter(e.to_string(), started))?;
    let id = organization(&req, &body, started)?;
    let stats = caller
        .run(&state, move |uc, actor| uc.statistics(actor, id))
        .await
        .map_err(|e| PostalError::service(e, started))?;
    Ok(success(started, StatisticsData::from(stats)))
}

/// IP allocation (seed 000): addresses → pools → servers, with all-time volumes.
#[utoipa::path(tag = "postal",
    request_body(content = inline(Object), description = "`{\"uuid\": \"<organization id>\"}` as JSON, or form-urlencoded with `params` holding that JSON", content_type = "application/json"),
    responses((status = 200, description = "`success` with the allocation, or `parameter-error`, or `error` (Postal answers these with 200 too)", body = AllocationEnvelope),
              (status = 500, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)),
    security(("x_server_api_key" = []), ("bearer" = [])))]
#[post("/api/v1/organizations/ip_allocation")]
pub async fn ip_allocation(
    state: web::Data<State>,
    caller: Caller<PostalError>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PostalError> {
    let started = Instant::now();
    let body = read_body(payload, state.body_limit_bytes)
        .await
        .map_err(|e| PostalError::parameter(e.to_string(), started))?;
    let id = organization(&req, &body, started)?;
    let allocation = caller
        .run(&state, move |uc, actor| uc.ip_allocation(actor, id))
        .await
        .map_err(|e| PostalError::service(e, started))?;
    Ok(success(started, IpAllocationData::from(allocation)))
}
