//! `/auth/login`, `/auth/logout` and `/auth/me`.

use super::NoContent;
use crate::admission::hashing;
use crate::canonical::problem::Problem;
use crate::extract::{client_ip, parse_body, Caller};
use crate::State;
use actix_web::{get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use orgplane_domain::access::CredentialKind;
use orgplane_domain::api_key::ApiKeyMode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /auth/login`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// A session token, accepted as `Authorization: Bearer <token>` until `expires_at`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// The token.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Exchange e-mail and password for a session token. Unknown address and wrong password
/// answer alike; repeated failures are throttled (429 with `Retry-After`).
#[utoipa::path(tag = "auth", request_body = Login,
    responses((status = 200, body = LoginResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 429, body = Problem)))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<State>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let Login { email, password } = parse_body(body.into_inner())?;
    // Longer than any address can be: refuse before it reaches the access log.
    if email.chars().count() > 254 {
        return Err(Problem::invalid(vec![
            orgplane_ports::usecase::FieldError::new("email", "must be at most 254 characters"),
        ]));
    }
    let ip = client_ip(&req);
    let grant = hashing(&state, move |uc| uc.login(&email, &password, ip)).await?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        token: grant.token,
        expires_at: grant.expires_at,
    }))
}

/// End the session whose token authenticates this request.
#[utoipa::path(tag = "auth", responses((status = 204, description = "Logged out"), (status = 401, body = Problem)), security(("bearer" = [])))]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<State>, caller: Caller) -> Result<NoContent, Problem> {
    caller
        .run(&state, move |uc, actor| uc.logout(actor))
        .await?;
    Ok(NoContent)
}

/// `GET /auth/me`: who the credential speaks for.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    /// The user's id.
    pub user_id: Uuid,
    /// Its e-mail address.
    pub email: String,
    /// Its roles.
    pub roles: Vec<String>,
    /// `session`, `live_key` or `test_key` (`console` for the operator's own tools).
    pub credential: String,
    /// Its home organization: the top of what it reaches.
    pub organization_id: Uuid,
    /// That organization's name.
    pub organization_name: String,
}

/// The caller: its user, roles, credential kind and home organization (where a client
/// such as the dashboard starts).
#[utoipa::path(tag = "auth", responses((status = 200, body = MeResponse), (status = 401, body = Problem)), security(("bearer" = [])))]
#[get("/auth/me")]
pub async fn me(state: web::Data<State>, caller: Caller) -> Result<HttpResponse, Problem> {
    let me = caller
        .run(&state, move |uc, actor| {
            let home = uc.get_organization_by_key(actor, actor.home.0)?;
            Ok(MeResponse {
                user_id: actor.user_uuid,
                email: actor.email.as_str().to_owned(),
                roles: actor.roles.iter().map(|r| r.as_str().to_owned()).collect(),
                credential: match actor.credential {
                    CredentialKind::Session { .. } => "session",
                    CredentialKind::ApiKey {
                        mode: ApiKeyMode::Live,
                        ..
                    } => "live_key",
                    CredentialKind::ApiKey {
                        mode: ApiKeyMode::Test,
                        ..
                    } => "test_key",
                    CredentialKind::Console => "console",
                }
                .to_owned(),
                organization_id: home.organization.uuid,
                organization_name: home.organization.name.as_str().to_owned(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(me))
}
