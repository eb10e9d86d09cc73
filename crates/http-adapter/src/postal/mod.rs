//! Seed 000: Postal-style RPC, `POST /api/v1/organizations/statistics` and
//! `/ip_allocation`.
//!
//! Every answer is Postal's envelope `{status, time, flags, data}`: `time` is the seconds
//! the request took (to the millisecond), `flags` is `{}`. Parameters come as a JSON body,
//! or form-urlencoded with a `params` field holding JSON. Like Postal, errors of the
//! request itself (`parameter-error`, `error` with a `code`) answer HTTP 200; only a
//! failure on our side answers 503 (database unreachable) or 500, in the same envelope.

pub mod organization;
pub mod report;

use crate::failure::{self as wire, status_of};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use orgplane_ports::usecase::ServiceError;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt;
use std::time::Instant;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

/// The envelope of every answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// `success`, `parameter-error` or `error`.
    pub status: &'static str,
    /// Seconds the request took.
    pub time: f64,
    /// Always `{}`.
    #[schema(value_type = Object)]
    pub flags: Value,
    /// The answer, or what went wrong.
    pub data: T,
}

/// `data` of an `error`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorData {
    /// What kind of error, e.g. `InvalidOrganization`.
    pub code: String,
    /// In words.
    pub message: String,
}

/// `data` of a `parameter-error`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParameterErrorData {
    /// What is wrong with the parameters.
    pub message: String,
}

fn seconds_since(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
}

fn envelope(status: StatusCode, body: Envelope<impl Serialize>) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

/// A successful answer.
pub fn success(started: Instant, data: impl Serialize) -> HttpResponse {
    envelope(
        StatusCode::OK,
        Envelope {
            status: "success",
            time: seconds_since(started),
            flags: json!({}),
            data,
        },
    )
}

/// What went wrong on the Postal surface.
#[derive(Debug)]
enum Failure {
    /// The parameters are missing or malformed.
    Parameter(String),
    /// A use case failed.
    Service(ServiceError),
}

/// An error in Postal's envelope; **the one place** where `ServiceError` becomes one.
#[derive(Debug)]
pub struct PostalError {
    failure: Failure,
    started: Instant,
}

impl PostalError {
    /// A `parameter-error`.
    pub fn parameter(message: impl Into<String>, started: Instant) -> Self {
        Self {
            failure: Failure::Parameter(message.into()),
            started,
        }
    }

    /// A failed use case, timed from `started`.
    pub fn service(error: ServiceError, started: Instant) -> Self {
        Self {
            failure: Failure::Service(error),
            started,
        }
    }

    /// The HTTP status of Postal's envelope for `e`: 200, as Postal answers, but for what
    /// no client should take for an answer (the database away, a fault of ours).
    fn status(e: &ServiceError) -> StatusCode {
        match e {
            ServiceError::Unavailable | ServiceError::Internal(_) => status_of(e),
            _ => StatusCode::OK,
        }
    }

    /// Postal's error code and message for `e`.
    fn error(e: &ServiceError) -> (&'static str, String) {
        let code = match e {
            ServiceError::Unauthenticated | ServiceError::Forbidden(_) => "AccessDenied",
            ServiceError::NotFound => "InvalidOrganization",
            ServiceError::Invalid(_) => "InvalidParameters",
            ServiceError::Conflict(_) => "Conflict",
            ServiceError::Throttled { .. } => "TooManyRequests",
            ServiceError::Unavailable => "ServiceUnavailable",
            ServiceError::Internal(_) => "InternalServerError",
        };
        let message = match e {
            ServiceError::Unauthenticated => "Must be authenticated with a valid API key (X-Server-API-Key, X-API-Key or Authorization: Bearer).".to_owned(),
            // Unknown, malformed and out of reach answer alike.
            ServiceError::NotFound => {
                "The organization could not be found with the provided UUID".to_owned()
            }
            _ => wire::Failure::of(e).message,
        };
        (code, message)
    }
}

impl From<ServiceError> for PostalError {
    fn from(e: ServiceError) -> Self {
        Self::service(e, Instant::now())
    }
}

impl fmt::Display for PostalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            Failure::Parameter(m) => write!(f, "parameter-error: {m}"),
            Failure::Service(e) => write!(f, "error: {e}"),
        }
    }
}

impl ResponseError for PostalError {
    fn status_code(&self) -> StatusCode {
        match &self.failure {
            Failure::Parameter(_) => StatusCode::OK,
            Failure::Service(e) => Self::status(e),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let time = seconds_since(self.started);
        match &self.failure {
            Failure::Parameter(message) => envelope(
                StatusCode::OK,
                Envelope {
                    status: "parameter-error",
                    time,
                    flags: json!({}),
                    data: ParameterErrorData {
                        message: message.clone(),
                    },
                },
            ),
            Failure::Service(e) => {
                let (status, (code, message)) = (Self::status(e), Self::error(e));
                let mut response = envelope(
                    status,
                    Envelope {
                        status: "error",
                        time,
                        flags: json!({}),
                        data: ErrorData {
                            code: code.to_owned(),
                            message,
                        },
                    },
                );
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    response
                        .headers_mut()
                        .insert(actix_web::http::header::RETRY_AFTER, 1.into());
                }
                response
            }
        }
    }
}

/// The request's parameters: a JSON body, or a form whose `params` field holds JSON (any
/// other body holds none, as in Postal).
pub fn params(req: &HttpRequest, body: &[u8], started: Instant) -> Result<Value, PostalError> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let json_text = if content_type.starts_with("application/json") {
        Some(body.to_vec())
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| PostalError::parameter(format!("The form is malformed: {e}"), started))?;
        form.into_iter()
            .find(|(k, _)| k == "params")
            .map(|(_, v)| v.into_bytes())
    } else {
        None
    };
    let Some(text) = json_text.filter(|t| !t.iter().all(u8::is_ascii_whitespace)) else {
        return Ok(json!({}));
    };
    match serde_json::from_slice::<Value>(&text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(PostalError::parameter(
            "The parameters must be a JSON object.",
            started,
        )),
        Err(e) => Err(PostalError::parameter(
            format!("The parameters are not valid JSON: {e}"),
            started,
        )),
    }
}

/// Answers a path the Postal surface does not have (`allow`: none) or a method it does
/// not serve there, in its envelope.
pub fn no_such_route(req: &HttpRequest, allow: &[String]) -> HttpResponse {
    let status = if allow.is_empty() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::METHOD_NOT_ALLOWED
    };
    envelope(
        status,
        Envelope {
            status: "error",
            time: 0.0,
            flags: json!({}),
            data: ErrorData {
                code: "NotFound".to_owned(),
                message: format!("No such API method: {} {}", req.method(), req.path()),
            },
        },
    )
}

/// Registers the Postal routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(organization::statistics)
        .service(organization::ip_allocation);
}
