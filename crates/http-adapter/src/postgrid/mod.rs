//! Seed 001: PostGrid-style sub-organizations under `/print-mail/v1/sub_organizations`.
//!
//! camelCase bodies with `object` fields, lists as `{object: "list", limit, skip,
//! totalCount, data}`, times as ISO 8601 UTC with milliseconds and `Z`, ids built from
//! the uuid (`sub_org_<32 hex>`, `user_<32 hex>`, `org_<32 hex>`), and errors as
//! `{"error": {"type", "message"}}` ([`PostgridError`], the one place where
//! `ServiceError` becomes one). PostGrid's official clients work unchanged against it.

pub mod sub_organization;

use crate::extract::BodyFault;
use crate::failure::Failure;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use orgplane_ports::usecase::{Conflict, FieldError, ServiceError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

/// A PostGrid id: `<prefix><the uuid's 32 hex digits>`.
pub fn id(prefix: &str, uuid: Uuid) -> String {
    format!("{prefix}{}", uuid.simple())
}

/// The uuid of a PostGrid id with this prefix, if it is one.
pub fn parse_id(prefix: &str, raw: &str) -> Option<Uuid> {
    let hex = raw.strip_prefix(prefix)?;
    (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| Uuid::parse_str(hex).ok())
        .flatten()
}

/// What PostGrid's error body says.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Kind of error, e.g. `validation_error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What went wrong, naming the field for invalid input.
    pub message: String,
}

/// PostGrid's error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// An error in PostGrid's shape.
#[derive(Debug)]
pub struct PostgridError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl PostgridError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
        }
    }

    /// Invalid input, naming the fields.
    pub fn invalid(errors: &[FieldError]) -> Self {
        let message = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self::new(StatusCode::BAD_REQUEST, "validation_error", message)
    }

    /// No such sub-organization (or one out of reach).
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found_error",
            format!("No {what} with this id exists."),
        )
    }
}

impl From<BodyFault> for PostgridError {
    fn from(fault: BodyFault) -> Self {
        match fault {
            BodyFault::NotAnObject => Self::new(
                StatusCode::BAD_REQUEST,
                "validation_error",
                "The body must be a JSON object.",
            ),
            BodyFault::Field(e) => Self::invalid(&[e]),
            BodyFault::Malformed(m) => Self::new(StatusCode::BAD_REQUEST, "validation_error", m),
        }
    }
}

impl From<ServiceError> for PostgridError {
    fn from(e: ServiceError) -> Self {
        let kind = match &e {
            ServiceError::Unauthenticated => {
                return Self::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized_error",
                    "Send a valid API key in the X-API-Key header.",
                )
            }
            ServiceError::NotFound => return Self::not_found("sub-organization"),
            ServiceError::Invalid(errors) => return Self::invalid(errors),
            ServiceError::Forbidden(_) => "forbidden_error",
            ServiceError::Conflict(Conflict::IdempotencyKeyReused) => "idempotency_error",
            ServiceError::Conflict(_) => "conflict_error",
            ServiceError::Throttled { .. } => "rate_limit_error",
            ServiceError::Unavailable => "service_unavailable_error",
            ServiceError::Internal(_) => "internal_server_error",
        };
        let failure = Failure::of(&e);
        Self::new(failure.status, kind, failure.message)
    }
}

impl fmt::Display for PostgridError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.kind,
            self.message
        )
    }
}

impl ResponseError for PostgridError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", "1"));
        }
        // PostGrid's clients retry 409 and 5xx unless told otherwise; a conflict stays one.
        if self.status == StatusCode::CONFLICT {
            response.insert_header(("X-Should-Retry", "false"));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                kind: self.kind.to_owned(),
                message: self.message.clone(),
            },
        })
    }
}

/// A path or method PostGrid's surface does not have, in its shape.
pub fn no_such_route(req: &HttpRequest, allow: &[String]) -> HttpResponse {
    let (status, kind) = if allow.is_empty() {
        (StatusCode::NOT_FOUND, "not_found_error")
    } else {
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed_error")
    };
    PostgridError::new(
        status,
        kind,
        format!("No route {} {}.", req.method(), req.path()),
    )
    .error_response()
}

/// Registers PostGrid's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(sub_organization::create)
        .service(sub_organization::list)
        .service(sub_organization::read)
        .service(sub_organization::users);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_uuid_behind_a_prefix_and_back() {
        let uuid = Uuid::new_v4();
        let sub = id("sub_org_", uuid);
        assert_eq!(sub.len(), 8 + 32);
        assert_eq!(parse_id("sub_org_", &sub), Some(uuid));
        assert_eq!(parse_id("user_", &sub), None);
        assert_eq!(parse_id("sub_org_", "sub_org_abc123def456ghi6789"), None);
        assert_eq!(
            parse_id("sub_org_", &format!("sub_org_{}", uuid.hyphenated())),
            None
        );
    }
}
