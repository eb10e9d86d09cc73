//! `/healthz` and `/readyz`.

use crate::canonical::problem::Problem;
use crate::extract::blocking;
use crate::State;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "The process answers")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The service can do its work: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "Ready"), (status = 503, body = Problem)))]
pub async fn readyz(state: web::Data<State>) -> Result<HttpResponse, Problem> {
    blocking(&state, |uc| uc.ready()).await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready", "database": "ok" })))
}
