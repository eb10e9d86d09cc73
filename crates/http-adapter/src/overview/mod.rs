//! Seed 002: the organization list and stats, `GET /api/organizations` and `GET
//! /api/stats`. Bare JSON; errors are `{"detail": "..."}` ([`DetailError`], the one place
//! where `ServiceError` becomes one), and no or a bad credential answers 401
//! `{"detail": "Not authenticated"}`.

pub mod organization;

use crate::extract::BodyFault;
use crate::failure::Failure;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use orgplane_ports::usecase::ServiceError;
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

/// The error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Detail {
    /// What went wrong.
    pub detail: String,
}

/// An error in this surface's shape.
#[derive(Debug)]
pub struct DetailError {
    status: StatusCode,
    detail: String,
}

impl DetailError {
    fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }
}

impl From<BodyFault> for DetailError {
    fn from(fault: BodyFault) -> Self {
        let detail = match fault {
            BodyFault::NotAnObject => "The body must be a JSON object.".to_owned(),
            BodyFault::Field(e) => format!("{}: {}", e.field, e.message),
            BodyFault::Malformed(m) => m,
        };
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
}

impl From<ServiceError> for DetailError {
    fn from(e: ServiceError) -> Self {
        // Seed 002's words for these two (a FastAPI service's), the shared ones else.
        let failure = Failure::of(&e);
        let detail = match e {
            ServiceError::Unauthenticated => "Not authenticated".to_owned(),
            ServiceError::NotFound => "Not Found".to_owned(),
            _ => failure.message,
        };
        Self::new(failure.status, detail)
    }
}

impl fmt::Display for DetailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.detail)
    }
}

impl ResponseError for DetailError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", "1"));
        }
        response.json(Detail {
            detail: self.detail.clone(),
        })
    }
}

/// A path or method this surface does not have, in its shape.
pub fn no_such_route(_req: &HttpRequest, allow: &[String]) -> HttpResponse {
    if allow.is_empty() {
        DetailError::new(StatusCode::NOT_FOUND, "Not Found").error_response()
    } else {
        DetailError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").error_response()
    }
}

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(organization::list).service(organization::stats);
}
