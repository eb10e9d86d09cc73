//! `/healthz` and `/readyz`.

use crate::admission::unqueued;
use crate::canonical::problem::Problem;
use crate::State;
use actix_web::get;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process answers")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The service can do its work: the database answers.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Ready"), (status = 503, body = Problem)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<State>) -> Result<HttpResponse, Problem> {
    unqueued(&state, |uc| uc.ready()).await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready", "database": "ok" })))
}

/// Registers the operations routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz)
        .service(readyz)
        .service(crate::metrics::scrape);
}
