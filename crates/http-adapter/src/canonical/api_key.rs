//! `/users/{user_id}/api_keys` and `/api_keys/{key_id}`.

use super::created;
use super::{ListResponse, NoContent};
use crate::canonical::problem::Problem;
use crate::extract::{check, optional_json, parse_body, recorded_json, Caller, PageParams};
use crate::State;
use actix_web::http::StatusCode;
use actix_web::{delete, get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use orgplane_domain::api_key::{ApiKey, ApiKeyMode};
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::{CreatedApiKey, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /users/{user_id}/api_keys`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// `live` (default) or `test`.
    pub mode: Option<String>,
    /// RFC 3339 time after which the key stops working.
    pub active_until: Option<String>,
}

/// A new key: `value` is shown here and never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyResponse {
    /// Public id.
    pub id: Uuid,
    /// The key itself.
    pub value: String,
    /// `live` or `test`.
    pub mode: String,
    /// Expiry.
    pub active_until: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<CreatedApiKey> for CreatedApiKeyResponse {
    fn from(c: CreatedApiKey) -> Self {
        Self {
            id: c.key.uuid,
            value: c.value,
            mode: c.key.mode.as_str().to_owned(),
            active_until: c.key.active_until,
            created_at: c.key.created_at,
        }
    }
}

/// A key as listed: never its value.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyResponse {
    /// Public id.
    pub id: Uuid,
    /// `live` or `test`.
    pub mode: String,
    /// The first characters of the value, to recognise it.
    pub prefix: String,
    /// Expiry.
    pub active_until: Option<DateTime<Utc>>,
    /// Last use (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<ApiKey> for ApiKeyResponse {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.uuid,
            mode: k.mode.as_str().to_owned(),
            prefix: k.prefix,
            active_until: k.active_until,
            last_used_at: k.last_used_at,
            created_at: k.created_at,
        }
    }
}

/// Create an API key for a user (oneself, or anyone within reach for admins).
#[utoipa::path(tag = "api_keys", params(("Idempotency-Key" = Option<String>, Header, description = crate::extract::IDEMPOTENCY_KEY_DOC), ("user_id" = Uuid, Path, description = "User id")), request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKeyResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[post("/users/{user_id}/api_keys")]
pub async fn create(
    state: web::Data<State>,
    caller: Caller,
    user: web::Path<Uuid>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let user = user.into_inner();
    // The body is optional: no body means a live key that never expires.
    let json = optional_json(&req, &body)?;
    let body = match json.clone() {
        Some(value) => parse_body::<CreateApiKey>(value)?,
        None => CreateApiKey::default(),
    };
    let mut errors = Vec::new();
    let mode = match body.mode.as_deref().map(ApiKeyMode::parse) {
        None => ApiKeyMode::Live,
        Some(Ok(m)) => m,
        Some(Err(e)) => {
            errors.push(FieldError::new("mode", e));
            ApiKeyMode::Live
        }
    };
    let active_until =
        body.active_until
            .as_deref()
            .and_then(|raw| match DateTime::parse_from_rfc3339(raw) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(_) => {
                    errors.push(FieldError::new(
                        "active_until",
                        "must be an RFC 3339 time such as 2030-01-01T00:00:00Z",
                    ));
                    None
                }
            });
    check(errors)?;
    let json = json.unwrap_or(serde_json::Value::Null);
    created(
        &state,
        caller,
        &req,
        &json,
        render,
        move |uc, actor, idem| uc.create_api_key(actor, user, mode, active_until, idem),
    )
    .await
}

/// A key has no URL of its own (it is revoked at `/api_keys/{id}`): no `Location`. The
/// recorded answer holds the key's value, sealed with the idempotency key.
fn render(created: &CreatedApiKey) -> RecordedResponse {
    recorded_json(
        StatusCode::CREATED,
        &CreatedApiKeyResponse::from(created.clone()),
    )
}

/// List a user's keys (without their values).
#[utoipa::path(tag = "api_keys", params(("user_id" = Uuid, Path, description = "User id"), PageParams),
    responses((status = 200, body = ListResponse<ApiKeyResponse>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/users/{user_id}/api_keys")]
pub async fn list(
    state: web::Data<State>,
    caller: Caller,
    user: web::Path<Uuid>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    let user = user.into_inner();
    let page = query.page()?;
    let found = caller
        .run(&state, move |uc, actor| uc.list_api_keys(actor, user, page))
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(found.map(ApiKeyResponse::from))))
}

/// Revoke a key; it stops working on the next request.
#[utoipa::path(tag = "api_keys", params(("key_id" = Uuid, Path, description = "API key id")),
    responses((status = 204, description = "Revoked"), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[delete("/api_keys/{key_id}")]
pub async fn revoke(
    state: web::Data<State>,
    caller: Caller,
    key: web::Path<Uuid>,
) -> Result<NoContent, Problem> {
    let key = key.into_inner();
    caller
        .run(&state, move |uc, actor| uc.revoke_api_key(actor, key))
        .await?;
    Ok(NoContent)
}
