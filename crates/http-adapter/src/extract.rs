//! Getting requests in, for every surface: the credential, JSON bodies and query values.
//! Use cases run off the async workers through [`crate::admission`].

use crate::admission::{blocking, hashing};
use crate::canonical::problem::Problem;
use crate::State;
use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use actix_web::{web, FromRequest, HttpRequest, ResponseError};
use orgplane_domain::access::Actor;
use orgplane_domain::idempotency::{IdempotencyKey, IdempotencyKeyError};
use orgplane_domain::page::{Cursor, PageLimit};
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::{
    FieldError, Idempotency, Outcome, PageRequest, PresentedCredential, ServiceError, UseCases,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use std::future::{ready, Ready};
use std::marker::PhantomData;

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than the limit.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The connection failed while reading.
    Unreadable(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(f, "The body exceeds {limit} bytes."),
            Self::Unreadable(e) => write!(f, "The body could not be read: {e}"),
        }
    }
}

impl From<BodyError> for Problem {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge { .. } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                e.to_string(),
            ),
            BodyError::Unreadable(_) => Problem::bad_request(e.to_string()),
        }
    }
}

/// Reads a whole body of at most `limit` bytes (for routes with a limit of their own, and
/// surfaces that answer an oversized body in their own error shape).
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::Bytes, BodyError> {
    use futures_util::StreamExt;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| BodyError::Unreadable(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The bearer secret of a request: `Authorization: Bearer`, `X-API-Key` or
/// `X-Server-API-Key`, in that order.
pub fn presented_secret(req: &HttpRequest) -> Option<String> {
    let headers = req.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let named = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
    };
    bearer
        .or_else(|| named("x-api-key"))
        .or_else(|| named("x-server-api-key"))
        .filter(|s| !s.is_empty())
}

/// The client's address as seen by this process (proxies' headers are not trusted).
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| a.ip().to_string())
}

/// The caller of a route that needs a credential: the credential as presented, not yet
/// checked. Checking it reads the database, so it happens in [`Caller::run`], in the same
/// trip to the blocking pool as the use case. A request without any credential is
/// refused at once, in the error shape `E` of the route's surface.
pub struct Caller<E = Problem> {
    credential: PresentedCredential,
    surface: PhantomData<fn() -> E>,
    /// Whether the use case waits for its turn ([`Caller::hashes_a_password`]).
    queued: bool,
}

impl<E> FromRequest for Caller<E>
where
    E: From<ServiceError> + ResponseError + 'static,
{
    type Error = E;
    type Future = Ready<Result<Self, E>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match presented_secret(req) {
            Some(secret) => Ok(Self {
                credential: PresentedCredential {
                    secret,
                    client_ip: client_ip(req),
                },
                surface: PhantomData,
                queued: true,
            }),
            None => Err(E::from(ServiceError::Unauthenticated)),
        })
    }
}

impl<E> Caller<E> {
    /// The use case hashes a password, so it waits in the hashing queue instead (see
    /// [`hashing`]).
    pub fn hashes_a_password(mut self) -> Self {
        self.queued = false;
        self
    }

    /// Authenticates the caller and runs `work` as it, in one trip to the blocking pool.
    pub async fn run<T, F>(self, state: &State, work: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn UseCases, &Actor) -> Result<T, ServiceError> + Send + 'static,
    {
        let credential = self.credential;
        let work = move |uc: &dyn UseCases| {
            let actor = uc.authenticate(&credential)?;
            work(uc, &actor)
        };
        if self.queued {
            blocking(state, work).await
        } else {
            hashing(state, work).await
        }
    }
}

/// What the OpenAPI document says of `Idempotency-Key` on every create.
pub const IDEMPOTENCY_KEY_DOC: &str = "The same key and body answer the first response again, status and Location included (kept 24 h, per user); the same key with another body is 422";

/// The request's `Idempotency-Key`, if it has one; a malformed one is refused.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, FieldError> {
    match req.headers().get("idempotency-key") {
        None => Ok(None),
        Some(raw) => raw
            .to_str()
            .ok()
            .and_then(|v| IdempotencyKey::parse(v).ok())
            .map(Some)
            .ok_or_else(|| FieldError::new("Idempotency-Key", IdempotencyKeyError)),
    }
}

/// What a request asks, as a digest: method, path with query, and its body (JSON bodies
/// in canonical form, so that spacing and key order do not make two requests differ).
pub fn fingerprint(req: &HttpRequest, body: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_vec(&v).ok());
    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update(b"\n");
    hash.update(req.uri().path_and_query().map_or("", |p| p.as_str()));
    hash.update(b"\n");
    hash.update(canonical.as_deref().unwrap_or(body));
    hash.finalize().into()
}

/// The request's idempotency terms, if it has a key, with `render` to record the answer.
pub fn idempotency<T>(
    req: &HttpRequest,
    body: &[u8],
    render: impl Fn(&T) -> RecordedResponse + Send + 'static,
) -> Result<Option<Idempotency<T>>, FieldError> {
    Ok(idempotency_key(req)?.map(|key| Idempotency {
        key,
        fingerprint: fingerprint(req, body),
        render: Box::new(render),
    }))
}

/// A JSON response as it is recorded for replay.
pub fn recorded_json(status: StatusCode, body: &impl Serialize) -> RecordedResponse {
    RecordedResponse {
        status: status.as_u16(),
        content_type: "application/json".to_owned(),
        body: serde_json::to_vec(body).unwrap_or_default(),
        location: None,
    }
}

/// A create's JSON response as it is recorded for replay: 201 with its `Location`.
pub fn recorded_created(location: String, body: &impl Serialize) -> RecordedResponse {
    RecordedResponse {
        location: Some(location),
        ..recorded_json(StatusCode::CREATED, body)
    }
}

/// A recorded response, sent (again). A replay says so in `Idempotent-Replayed`.
pub fn send_recorded(recorded: RecordedResponse, replayed: bool) -> HttpResponse {
    let status = StatusCode::from_u16(recorded.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.content_type(recorded.content_type);
    if let Some(location) = recorded.location {
        response.insert_header((actix_web::http::header::LOCATION, location));
    }
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(recorded.body)
}

/// Sends an outcome: rendered now, or replayed from its record.
pub fn send_outcome<T>(
    outcome: Outcome<T>,
    render: impl Fn(&T) -> RecordedResponse,
) -> HttpResponse {
    match outcome {
        Outcome::Done(value) => send_recorded(render(&value), false),
        Outcome::Replayed(recorded) => send_recorded(recorded, true),
    }
}

/// Why a JSON body does not make a DTO, for each surface to put in its own shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyFault {
    /// The body is not a JSON object.
    NotAnObject,
    /// A field is missing, unknown or has the wrong type.
    Field(FieldError),
    /// Anything else.
    Malformed(String),
}

impl From<BodyFault> for Problem {
    fn from(fault: BodyFault) -> Self {
        match fault {
            BodyFault::NotAnObject => Problem::bad_request("The body must be a JSON object."),
            BodyFault::Field(e) => Problem::invalid(vec![e]),
            BodyFault::Malformed(m) => Problem::bad_request(m),
        }
    }
}

/// Reads a JSON value into a DTO, naming the offending field on failure.
pub fn parse_json<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, BodyFault> {
    if !value.is_object() {
        return Err(BodyFault::NotAnObject);
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // serde names a missing or unknown field only in its message: name it as the
        // field in error, under the object it belongs to.
        let named = |prefix: &str| {
            let rest = message.strip_prefix(prefix)?;
            let (name, _) = rest.split_once('`')?;
            Some(name.to_owned())
        };
        let under = |name: String| {
            if path == "." {
                name
            } else {
                format!("{path}.{name}")
            }
        };
        if let Some(name) = named("missing field `") {
            BodyFault::Field(FieldError::new(under(name), "is required"))
        } else if let Some(name) = named("unknown field `") {
            let expected = message
                .split_once(", expected ")
                .map_or(String::new(), |(_, e)| format!(" (expected {e})"));
            // The path of an unknown field already ends with it.
            let field = if path == name || path.ends_with(&format!(".{name}")) {
                path.clone()
            } else {
                under(name)
            };
            BodyFault::Field(FieldError::new(
                field,
                format!("is not a field of this body{expected}"),
            ))
        } else if path == "." {
            BodyFault::Malformed(message)
        } else {
            BodyFault::Field(FieldError::new(path, message))
        }
    })
}

/// Reads a JSON value into a DTO of the canonical surface.
pub fn parse_body<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
    parse_json(value).map_err(Problem::from)
}

/// A JSON object read from raw bytes, for surfaces that read bodies themselves; `None`
/// for an empty body.
pub fn json_object(req: &HttpRequest, body: &[u8]) -> Result<Option<serde_json::Value>, BodyFault> {
    if is_blank(body) {
        return Ok(None);
    }
    if !is_json(req) {
        return Err(BodyFault::Malformed(
            "Send the body as `Content-Type: application/json`.".into(),
        ));
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| BodyFault::Malformed(format!("The body is not valid JSON: {e}")))
}

/// Query parameters read into a DTO, for surfaces that answer malformed ones in their
/// own shape.
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, BodyFault> {
    serde_urlencoded::from_str(req.query_string())
        .map_err(|e| BodyFault::Malformed(format!("The query string is malformed: {e}")))
}

/// ISO 8601 UTC with milliseconds and `Z` (`2020-11-12T23:23:47.974Z`), as the seeds of
/// PostGrid and of the organization list print times.
pub fn millis_z(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A body that may be empty, read straight into a DTO; if present it must be JSON that
/// makes one. A valid body is read without building a [`serde_json::Value`] first (for
/// the large ones, such as a batch of events); any other is read again through
/// [`optional_json`] and [`parse_body`], so that its error is named as every body's.
pub fn optional_body<T: DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
) -> Result<Option<T>, Problem> {
    if !is_blank(body) && is_json(req) {
        let mut de = serde_json::Deserializer::from_slice(body);
        if let Ok(dto) = T::deserialize(&mut de).and_then(|dto| de.end().map(|()| dto)) {
            return Ok(Some(dto));
        }
    }
    optional_json(req, body)?.map(parse_body).transpose()
}

/// An empty body, or whitespace only: no body at all.
fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"))
}

/// A body that may be empty; if present it must be JSON.
pub fn optional_json(req: &HttpRequest, body: &[u8]) -> Result<Option<serde_json::Value>, Problem> {
    if is_blank(body) {
        return Ok(None);
    }
    if !is_json(req) {
        return Err(json_problem(&JsonPayloadError::ContentType));
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| Problem::bad_request(format!("The body is not valid JSON: {e}")))
}

/// The JSON extractor's errors, as problems: 413, 415 or 400.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    json_problem(&err).into()
}

fn json_problem(err: &JsonPayloadError) -> Problem {
    match err {
        JsonPayloadError::OverflowKnownLength { length, limit } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            format!("The body has {length} bytes; at most {limit} are accepted."),
        ),
        JsonPayloadError::Overflow { limit } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            format!("The body exceeds {limit} bytes."),
        ),
        JsonPayloadError::ContentType => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the body as `Content-Type: application/json`.",
        ),
        JsonPayloadError::Deserialize(e) => {
            Problem::bad_request(format!("The body is not valid JSON: {e}"))
        }
        other => Problem::bad_request(other.to_string()),
    }
}

/// Path errors: an id of another form than a UUID names nothing, so it answers exactly
/// like an unknown id (404), as on every other surface.
pub fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    Problem::not_found().into()
}

/// Query-string errors as 400 problems.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    Problem::bad_request(format!("The query string is malformed: {err}")).into()
}

/// `limit` and `cursor` query parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–100 (default 25).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    /// Parses into a page request, or a 400 naming the bad parameters.
    pub fn page(&self) -> Result<PageRequest, Problem> {
        let mut errors = Vec::new();
        let page = self.parse(&mut errors);
        check(errors)?;
        Ok(page)
    }

    /// Parses into a page request, collecting field errors (for routes with more query
    /// parameters to check).
    pub fn parse(&self, errors: &mut Vec<FieldError>) -> PageRequest {
        let limit = match &self.limit {
            None => PageLimit::DEFAULT,
            Some(raw) => match raw
                .parse::<i64>()
                .map_err(|_| ())
                .and_then(|n| PageLimit::new(n).map_err(|_| ()))
            {
                Ok(limit) => limit,
                Err(()) => {
                    errors.push(FieldError::new(
                        "limit",
                        format!("must be a whole number from 1 to {}", PageLimit::MAX),
                    ));
                    PageLimit::DEFAULT
                }
            },
        };
        let cursor = self
            .cursor
            .as_deref()
            .and_then(|raw| match Cursor::parse(raw) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(FieldError::new("cursor", e));
                    None
                }
            });
        PageRequest { limit, cursor }
    }
}

/// Fails with all collected field errors, if any.
pub fn check(errors: Vec<FieldError>) -> Result<(), Problem> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid(errors))
    }
}

/// Parses an optional raw value, recording a field error on failure. The name is written
/// out only then (a batch of events has thousands of fields).
pub fn field<T, E: std::fmt::Display>(
    errors: &mut Vec<FieldError>,
    name: impl std::fmt::Display,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    match raw.map(parse) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            errors.push(FieldError::new(name.to_string(), e));
            None
        }
    }
}

/// Like [`field`], for a field that must be given: a missing one is named as required.
pub fn required<T, E: std::fmt::Display>(
    errors: &mut Vec<FieldError>,
    name: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    if raw.is_none() {
        errors.push(FieldError::new(name, "is required"));
    }
    field(errors, name, raw, parse)
}

/// A field of a patch that may be left out but not cleared (`null` is refused).
pub fn not_null<T>(errors: &mut Vec<FieldError>, name: &str, raw: Option<Option<T>>) -> Option<T> {
    match raw {
        Some(None) => {
            errors.push(FieldError::new(name, "must not be null"));
            None
        }
        other => other.flatten(),
    }
}

/// Like [`field`], for values that are not text (numbers, booleans).
pub fn checked<V, T, E: std::fmt::Display>(
    errors: &mut Vec<FieldError>,
    name: impl std::fmt::Display,
    raw: Option<V>,
    parse: impl FnOnce(V) -> Result<T, E>,
) -> Option<T> {
    match raw.map(parse) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            errors.push(FieldError::new(name.to_string(), e));
            None
        }
    }
}

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
