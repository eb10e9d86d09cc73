//! The canonical surface: `/orgs`, users, API keys, sessions and logs (seed 003 and what
//! the seeds imply). JSON in snake_case, ids are UUIDs, lists are keyset-paginated, and
//! every error is an RFC 9457 problem ([`problem`]).

pub mod api_key;
pub mod event;
pub mod ip_address;
pub mod ip_pool;
pub mod log;
pub mod organization;
pub mod problem;
pub mod report;
pub mod server;
pub mod session;
pub mod tree;
pub mod user;

use crate::extract::{idempotency, send_outcome, Caller};
use crate::State;
use actix_web::{HttpRequest, HttpResponse};
use orgplane_domain::access::Actor;
use orgplane_domain::page::Page;
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::{Idempotency, Outcome, ServiceResult, UseCases};
use problem::Problem;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

/// Runs a create under the request's optional `Idempotency-Key` (its body, already read
/// as JSON, is part of what the key stands for) and answers what `render` makes of the
/// result: 201 with the object and its `Location`, or, on a retry, that answer again.
pub(crate) async fn created<T: Send + 'static>(
    state: &State,
    caller: Caller,
    req: &HttpRequest,
    body: &serde_json::Value,
    render: fn(&T) -> RecordedResponse,
    work: impl FnOnce(&dyn UseCases, &Actor, Option<Idempotency<T>>) -> ServiceResult<Outcome<T>>
        + Send
        + 'static,
) -> Result<HttpResponse, Problem> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let idempotency = idempotency(req, &bytes, render).map_err(|e| Problem::invalid(vec![e]))?;
    let outcome = caller
        .run(state, move |uc, actor| work(uc, actor, idempotency))
        .await?;
    Ok(send_outcome(outcome, render))
}

/// A keyset-paginated list on the canonical surface.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> ListResponse<T> {
    /// From a domain page.
    pub fn from_page(page: Page<T>) -> Self {
        Self {
            data: page.items,
            next_cursor: page.next.map(|c| c.to_string()),
        }
    }
}

/// `204 No Content`.
pub struct NoContent;

impl actix_web::Responder for NoContent {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _: &actix_web::HttpRequest) -> actix_web::HttpResponse {
        actix_web::HttpResponse::NoContent().finish()
    }
}

/// Registers the canonical routes. This list is the router and the OpenAPI document at
/// once: a served route cannot be left undocumented.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(organization::create)
        .service(organization::list)
        // Before `/orgs/{org_id}`, which would otherwise take it.
        .service(tree::reach_tree)
        .service(organization::read)
        .service(organization::update)
        .service(organization::remove)
        .service(organization::children)
        .service(organization::read_customizations)
        .service(organization::replace_customizations)
        .service(log::access_log)
        .service(log::audit_log)
        .service(log::children_audit)
        .service(user::create)
        .service(user::list)
        .service(user::read)
        .service(user::update)
        .service(user::remove)
        .service(api_key::create)
        .service(api_key::list)
        .service(api_key::revoke)
        .service(session::login)
        .service(session::logout)
        .service(session::me)
        .service(server::create)
        .service(server::list)
        .service(server::read)
        .service(server::update)
        .service(server::remove)
        .service(server::sending)
        .service(ip_pool::create)
        .service(ip_pool::list)
        .service(ip_pool::read)
        .service(ip_pool::update)
        .service(ip_pool::remove)
        .service(ip_pool::add_address)
        .service(ip_pool::remove_address)
        .service(ip_address::create)
        .service(ip_address::list)
        .service(ip_address::read)
        .service(ip_address::update)
        .service(ip_address::remove)
        .service(event::ingest)
        .service(report::statistics)
        .service(report::ip_allocation)
        .service(report::consumption)
        .service(tree::organization_tree);
}
