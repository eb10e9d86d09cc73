//! `/orgs/{org_id}/statistics`, `/ip_allocation` (seed 000's `data` objects, bare) and
//! `/consumption` (seed 003).

use super::problem::Problem;
use crate::extract::{check, field, Caller};
use crate::postal::report::{IpAllocationData, StatisticsData};
use crate::State;
use actix_web::get;
use actix_web::{web, HttpResponse};
use orgplane_ports::usecase::Consumption;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Live figures of the organization's own servers and addresses.
#[utoipa::path(tag = "statistics", params(("org_id" = Uuid, Path, description = "Organization id")),
    responses((status = 200, body = StatisticsData), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/statistics")]
pub async fn statistics(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let stats = caller
        .run(&state, move |uc, actor| uc.statistics(actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(StatisticsData::from(stats)))
}

/// One route's all-time volume: an edge of the allocation graph.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationRoute {
    /// The address sent from (IPv4).
    pub ipv4: String,
    /// The pool sent through.
    pub ip_pool_id: Uuid,
    /// Its name.
    pub ip_pool: String,
    /// The server that sent (`null`: a server of another organization using an own pool).
    pub server_id: Option<Uuid>,
    /// Messages sent along it.
    pub emails_sent: u64,
}

/// Seed 000's `ip_allocation` data, and the routes between its parts.
#[derive(Debug, Serialize, ToSchema)]
pub struct CanonicalIpAllocation {
    /// Seed 000's object.
    #[serde(flatten)]
    pub data: IpAllocationData,
    /// Routes with traffic, largest first (an extension of the seed's object).
    pub routes: Vec<AllocationRoute>,
}

/// The organization's addresses → pools → servers, with all-time volumes, and the volume
/// of every route between them.
#[utoipa::path(tag = "statistics", params(("org_id" = Uuid, Path, description = "Organization id")),
    responses((status = 200, body = CanonicalIpAllocation), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/ip_allocation")]
pub async fn ip_allocation(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let mut allocation = caller
        .run(&state, move |uc, actor| uc.ip_allocation(actor, id))
        .await?;
    let routes = std::mem::take(&mut allocation.routes)
        .into_iter()
        .map(|r| AllocationRoute {
            ipv4: r.ipv4,
            ip_pool_id: r.ip_pool_uuid,
            ip_pool: r.ip_pool,
            server_id: r.server_uuid,
            emails_sent: r.emails_sent,
        })
        .collect();
    Ok(HttpResponse::Ok().json(CanonicalIpAllocation {
        data: IpAllocationData::from(allocation),
        routes,
    }))
}

/// Query of `GET /orgs/{org_id}/consumption`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsumptionParams {
    /// How many months, this one first: 1 to 36 (default 12).
    pub months: Option<String>,
}

/// Usage summed over the organization and its descendants.
#[derive(Debug, Serialize, ToSchema)]
pub struct RollupResponse {
    /// Messages sent by all of them.
    pub usage: u64,
    /// The sum of each one's overage.
    pub overage: u64,
    /// The sum of each one's spend, in cents.
    pub spend: u64,
}

/// One month of consumption.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsumptionMonthResponse {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// Messages the organization sent.
    pub usage: u64,
    /// Its monthly allowance (`null`: unlimited).
    pub limit: Option<i64>,
    /// Messages beyond the allowance.
    pub overage: u64,
    /// What the overage costs, in cents.
    pub spend: u64,
    /// The same, summed over the organization and all its descendants.
    pub with_descendants: RollupResponse,
}

/// `GET /orgs/{org_id}/consumption`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsumptionResponse {
    /// The organization.
    pub organization_id: Uuid,
    /// The price of overage, in cents per 1,000 messages.
    pub overage_cents_per_thousand: u64,
    /// This month and the months before it, newest first.
    pub months: Vec<ConsumptionMonthResponse>,
}

impl From<Consumption> for ConsumptionResponse {
    fn from(c: Consumption) -> Self {
        Self {
            organization_id: c.organization_uuid,
            overage_cents_per_thousand: c.price.cents_per_thousand,
            months: c
                .months
                .into_iter()
                .map(|m| ConsumptionMonthResponse {
                    month: m.own.month.to_string(),
                    usage: m.own.usage,
                    limit: m.own.limit.map(|l| l.get()),
                    overage: m.own.overage,
                    spend: m.own.spend,
                    with_descendants: RollupResponse {
                        usage: m.with_descendants.usage,
                        overage: m.with_descendants.overage,
                        spend: m.with_descendants.spend,
                    },
                })
                .collect(),
        }
    }
}

/// Monthly consumption (seed 003): usage, limit, overage and spend, this month and the
/// months before it, for the organization and rolled up over its descendants.
#[utoipa::path(tag = "statistics", params(("org_id" = Uuid, Path, description = "Organization id"), ConsumptionParams),
    responses((status = 200, body = ConsumptionResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/consumption")]
pub async fn consumption(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<ConsumptionParams>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let mut errors = Vec::new();
    let months = field(&mut errors, "months", query.months.as_deref(), |raw| {
        raw.parse::<usize>()
            .map_err(|_| "must be a whole number from 1 to 36")
    })
    .unwrap_or(12);
    check(errors)?;
    let consumption = caller
        .run(&state, move |uc, actor| uc.consumption(actor, id, months))
        .await?;
    Ok(HttpResponse::Ok().json(ConsumptionResponse::from(consumption)))
}
