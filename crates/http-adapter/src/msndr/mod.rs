//! Seed 004: msndr-style organizations under `/v1/email/organizations`.
//!
//! Bare JSON objects with integer `id`s (the organization's key) and `current` (whether it
//! is the caller's current, default organization); lists as `{total_count, total_pages,
//! page_number, page_size, collection}`. Errors are `{"message": "..."}`, with `errors:
//! {"<field>": ["..."]}` for invalid fields ([`MsndrError`], the one place where
//! `ServiceError` becomes one).

pub mod organization;

use crate::extract::BodyFault;
use crate::failure::Failure;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use orgplane_ports::usecase::{FieldError, ServiceError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

/// The error body.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = MsndrErrorBody)]
pub struct ErrorBody {
    /// What went wrong.
    pub message: String,
    /// Each invalid field with what is wrong with it (invalid input only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

/// An error in this surface's shape.
#[derive(Debug)]
pub struct MsndrError {
    status: StatusCode,
    body: ErrorBody,
}

impl MsndrError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                message: message.into(),
                errors: None,
            },
        }
    }

    /// 404 for an organization that does not exist or is out of reach (alike).
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Organization not found")
    }

    /// 400 naming every invalid field.
    pub fn invalid(errors: &[FieldError]) -> Self {
        let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for e in errors {
            fields
                .entry(e.field.clone())
                .or_default()
                .push(e.message.clone());
        }
        let message = errors
            .iter()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            status: StatusCode::BAD_REQUEST,
            body: ErrorBody {
                message,
                errors: Some(fields),
            },
        }
    }
}

impl From<BodyFault> for MsndrError {
    fn from(fault: BodyFault) -> Self {
        match fault {
            BodyFault::NotAnObject => {
                Self::new(StatusCode::BAD_REQUEST, "The body must be a JSON object.")
            }
            BodyFault::Field(e) => Self::invalid(&[e]),
            BodyFault::Malformed(m) => Self::new(StatusCode::BAD_REQUEST, m),
        }
    }
}

impl From<ServiceError> for MsndrError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                "Authentication required: send `Authorization: Bearer <API token>`.",
            ),
            ServiceError::NotFound => Self::not_found(),
            ServiceError::Invalid(errors) => Self::invalid(&errors),
            other => {
                let failure = Failure::of(&other);
                Self::new(failure.status, failure.message)
            }
        }
    }
}

impl fmt::Display for MsndrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.body.message)
    }
}

impl ResponseError for MsndrError {
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
        response.json(&self.body)
    }
}

/// A path or method this surface does not have, in its shape.
pub fn no_such_route(req: &HttpRequest, allow: &[String]) -> HttpResponse {
    let status = if allow.is_empty() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::METHOD_NOT_ALLOWED
    };
    MsndrError::new(status, format!("No route {} {}", req.method(), req.path())).error_response()
}

/// Registers the routes (`/current` before `/{id}`, which would otherwise take it).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(organization::create)
        .service(organization::list)
        .service(organization::read_current)
        .service(organization::read)
        .service(organization::update)
        .service(organization::delete)
        .service(organization::make_current);
}
