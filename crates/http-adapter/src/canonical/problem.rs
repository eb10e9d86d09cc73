//! RFC 9457 problem details: the one place where errors become HTTP responses.
//!
//! Every error of the canonical surface, from a use case, an extractor or the router,
//! leaves as `application/problem+json`:
//!
//! ```json
//! {"type": "urn:orgplane:problem:validation", "title": "Invalid input", "status": 400,
//!  "detail": "...", "errors": [{"field": "name", "message": "..."}]}
//! ```

use crate::failure::Failure;
use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use orgplane_domain::access::Denied;
use orgplane_ports::usecase::{Conflict, FieldError, ServiceError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field, by its wire name (a JSON path for nested fields).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An RFC 9457 problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI identifying the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// Invalid fields, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    #[serde(skip)]
    retry_after: Option<u64>,
}

impl Problem {
    /// A problem of the given status; `slug` names its kind.
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:orgplane:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// 400 for invalid fields.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut p = Self::new(
            StatusCode::BAD_REQUEST,
            "validation",
            "Invalid input",
            detail,
        );
        p.errors = errors
            .into_iter()
            .map(|e| FieldProblem {
                field: e.field,
                message: e.message,
            })
            .collect();
        p
    }

    /// 400 for a malformed request.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "No such resource (or it is out of your reach).",
        )
    }

    /// 401.
    pub fn unauthenticated(detail: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Not authenticated",
            detail,
        )
    }

    /// A problem for a bare status (router and middleware errors).
    pub fn from_status(status: StatusCode) -> Self {
        let reason = status.canonical_reason().unwrap_or("Error");
        let slug = reason.to_ascii_lowercase().replace(' ', "-");
        let detail = match status {
            StatusCode::NOT_FOUND => "No route matches this path.".to_owned(),
            StatusCode::METHOD_NOT_ALLOWED => "This path does not support this method.".to_owned(),
            _ => reason.to_owned(),
        };
        Self::new(status, &slug, reason, detail)
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        let (slug, title) = match e {
            ServiceError::Unauthenticated => {
                return Self::unauthenticated(
                    "The credential is missing, unknown, expired or revoked.",
                )
            }
            // Out of reach must read exactly like missing, whichever way it arrives.
            ServiceError::NotFound | ServiceError::Forbidden(Denied::OutOfReach) => {
                return Self::not_found()
            }
            ServiceError::Invalid(errors) => return Self::invalid(errors),
            ServiceError::Forbidden(Denied::TestKey) => ("test-key", "Forbidden"),
            ServiceError::Forbidden(_) => ("forbidden", "Forbidden"),
            ServiceError::Conflict(Conflict::IdempotencyKeyReused) => {
                ("idempotency-key-reused", "Idempotency-Key reused")
            }
            ServiceError::Conflict(_) => ("conflict", "Conflict"),
            ServiceError::Throttled { .. } => ("throttled", "Too many requests"),
            ServiceError::Unavailable => ("unavailable", "Service unavailable"),
            ServiceError::Internal(_) => ("internal", "Internal server error"),
        };
        let failure = Failure::of(&e);
        let mut problem = Self::new(failure.status, slug, title, failure.message);
        problem.retry_after = failure.retry_after;
        problem
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.title, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == 401 {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(self)
    }
}

/// Turns any error response that is not problem+json yet (unknown route, wrong method,
/// errors from actix itself) into one.
pub fn ensure_problem<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(PROBLEM_JSON.as_bytes())
                || v.as_bytes().starts_with(b"application/json")
        });
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, old) = res.into_parts();
    let mut problem = Problem::from_status(status);
    // Keep the detail actix gave, when it has one (e.g. a payload error).
    if let Some(error) = old.error() {
        problem.detail = error.to_string();
    }
    let mut new = problem.error_response();
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    new.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}
