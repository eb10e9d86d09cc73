//! `/orgs/{org_id}/users` and `/users/{user_id}`.

use super::created;
use super::{ListResponse, NoContent};
use crate::canonical::problem::Problem;
use crate::extract::{check, field, nullable, parse_body, recorded_created, Caller, PageParams};
use crate::State;
use actix_web::{delete, get, patch, post};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use orgplane_domain::access::Role;
use orgplane_domain::organization::PhoneNumber;
use orgplane_domain::user::{
    Email, EmailPreferences, OrderPreviewSendPreference, Password, PasswordAttempt, UserName,
};
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::{FieldError, NewUser, UserPatch, UserView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// E-mail preferences.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailPreferencesBody {
    /// `do_not_send`, `send_live_only` or `send_live_and_test`.
    #[serde(rename = "orderPreviewSendPreference")]
    pub order_preview_send_preference: String,
}

/// A user. Never carries a password or its hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    /// Public id.
    pub id: Uuid,
    /// E-mail address.
    pub email: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone_number: Option<String>,
    /// Whether the address is confirmed.
    pub verified_email: bool,
    /// Whether the user is invited but has not joined yet.
    pub pending_invite: bool,
    /// Roles: `admin`, `member`, `viewer` (and `platform_admin`).
    pub roles: Vec<String>,
    /// E-mail preferences.
    pub email_preferences: EmailPreferencesBody,
    /// Last successful login.
    pub last_login_time: Option<DateTime<Utc>>,
    /// Earlier e-mail addresses, oldest first.
    pub previous_emails: Vec<String>,
    /// Home organization.
    pub organization_id: Uuid,
    /// Organization the user currently works in.
    pub current_organization_id: Uuid,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<UserView> for UserResponse {
    fn from(view: UserView) -> Self {
        let u = view.user;
        Self {
            id: u.uuid,
            email: u.email.to_string(),
            name: u.name.as_str().to_owned(),
            phone_number: u.phone_number.map(|p| p.as_str().to_owned()),
            verified_email: u.verified_email,
            pending_invite: u.pending_invite,
            roles: u.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            email_preferences: EmailPreferencesBody {
                order_preview_send_preference: u
                    .email_preferences
                    .order_preview_send_preference
                    .as_str()
                    .to_owned(),
            },
            last_login_time: u.last_login_time,
            previous_emails: u.previous_emails.iter().map(|e| e.to_string()).collect(),
            organization_id: view.organization_uuid,
            current_organization_id: view.current_organization_uuid,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// `POST /orgs/{org_id}/users`. No `Debug`: it holds a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// E-mail address (unique, case-insensitively).
    pub email: String,
    /// Name.
    pub name: String,
    /// Password, at least 12 characters.
    pub password: String,
    /// Phone.
    pub phone_number: Option<String>,
    /// Roles (default `["member"]`).
    pub roles: Option<Vec<String>>,
    /// E-mail preferences.
    pub email_preferences: Option<EmailPreferencesBody>,
}

/// `PATCH /users/{user_id}`. No `Debug`: it may hold passwords.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// New address (the old one is kept in `previous_emails`).
    pub email: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New password. Changing one's own needs `current_password`.
    pub password: Option<String>,
    /// The current password, when changing one's own.
    pub current_password: Option<String>,
    /// New phone (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    pub phone_number: Option<Option<String>>,
    /// New roles (admins only).
    pub roles: Option<Vec<String>>,
    /// New preferences.
    pub email_preferences: Option<EmailPreferencesBody>,
    /// Address confirmed (admins only).
    pub verified_email: Option<bool>,
    /// Invitation pending (admins only).
    pub pending_invite: Option<bool>,
    /// The organization to work in: the user's home or one of its sub-organizations.
    pub current_organization_id: Option<Uuid>,
}

fn roles(errors: &mut Vec<FieldError>, raw: Option<Vec<String>>) -> Option<Vec<Role>> {
    let raw = raw?;
    let mut roles = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        match Role::parse(r) {
            Ok(role) if !roles.contains(&role) => roles.push(role),
            Ok(_) => {}
            Err(e) => errors.push(FieldError::new(format!("roles[{i}]"), e)),
        }
    }
    Some(roles)
}

fn preferences(
    errors: &mut Vec<FieldError>,
    raw: Option<EmailPreferencesBody>,
) -> Option<EmailPreferences> {
    let raw = raw?;
    let pref = field(
        errors,
        "email_preferences.orderPreviewSendPreference",
        Some(&raw.order_preview_send_preference),
        OrderPreviewSendPreference::parse,
    )?;
    Some(EmailPreferences {
        order_preview_send_preference: pref,
    })
}

impl CreateUser {
    fn parse(self) -> Result<NewUser, Problem> {
        let e = &mut Vec::new();
        let email = field(e, "email", Some(&self.email), Email::parse);
        let name = field(e, "name", Some(&self.name), UserName::parse);
        let password = field(e, "password", Some(&self.password), Password::parse);
        let phone_number = field(
            e,
            "phone_number",
            self.phone_number.as_deref(),
            PhoneNumber::parse,
        );
        let roles = roles(e, self.roles).unwrap_or_default();
        let email_preferences = preferences(e, self.email_preferences).unwrap_or_default();
        let errors = std::mem::take(e);
        check(errors)?;
        match (email, name, password) {
            (Some(email), Some(name), Some(password)) => Ok(NewUser {
                email,
                name,
                password,
                phone_number,
                roles,
                email_preferences,
            }),
            _ => Err(Problem::bad_request(
                "email, name and password are required",
            )),
        }
    }
}

impl UpdateUser {
    fn parse(self) -> Result<UserPatch, Problem> {
        let e = &mut Vec::new();
        let patch = UserPatch {
            email: field(e, "email", self.email.as_deref(), Email::parse),
            name: field(e, "name", self.name.as_deref(), UserName::parse),
            password: field(e, "password", self.password.as_deref(), Password::parse),
            current_password: self.current_password.map(PasswordAttempt::new),
            phone_number: match self.phone_number {
                None => None,
                Some(None) => Some(None),
                Some(Some(raw)) => {
                    field(e, "phone_number", Some(&raw), PhoneNumber::parse).map(Some)
                }
            },
            roles: roles(e, self.roles),
            email_preferences: preferences(e, self.email_preferences),
            verified_email: self.verified_email,
            pending_invite: self.pending_invite,
            current_organization: self.current_organization_id,
        };
        let errors = std::mem::take(e);
        check(errors)?;
        Ok(patch)
    }
}

/// Create a user in an organization.
#[utoipa::path(tag = "users", params(("Idempotency-Key" = Option<String>, Header, description = crate::extract::IDEMPOTENCY_KEY_DOC), ("org_id" = Uuid, Path, description = "Organization id")), request_body = CreateUser,
    responses((status = 201, body = UserResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[post("/orgs/{org_id}/users")]
pub async fn create(
    state: web::Data<State>,
    caller: Caller,
    org: web::Path<Uuid>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let org = org.into_inner();
    let body = body.into_inner();
    let new = parse_body::<CreateUser>(body.clone())?.parse()?;
    created(
        &state,
        caller.hashes_a_password(),
        &req,
        &body,
        render,
        move |uc, actor, idem| uc.create_user(actor, org, new, idem),
    )
    .await
}

fn render(view: &UserView) -> RecordedResponse {
    recorded_created(
        format!("/users/{}", view.user.uuid),
        &UserResponse::from(view.clone()),
    )
}

/// List an organization's users.
#[utoipa::path(tag = "users", params(("org_id" = Uuid, Path, description = "Organization id"), PageParams),
    responses((status = 200, body = ListResponse<UserResponse>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/users")]
pub async fn list(
    state: web::Data<State>,
    caller: Caller,
    org: web::Path<Uuid>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    let org = org.into_inner();
    let page = query.page()?;
    let found = caller
        .run(&state, move |uc, actor| uc.list_users(actor, org, page))
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(found.map(UserResponse::from))))
}

/// Read a user.
#[utoipa::path(tag = "users", params(("user_id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = UserResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/users/{user_id}")]
pub async fn read(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let view = caller
        .run(&state, move |uc, actor| uc.get_user(actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(view)))
}

/// Change a user (oneself, or anyone within reach for admins).
#[utoipa::path(tag = "users", params(("user_id" = Uuid, Path, description = "User id")), request_body = UpdateUser,
    responses((status = 200, body = UserResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[patch("/users/{user_id}")]
pub async fn update(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let patch = parse_body::<UpdateUser>(body.into_inner())?.parse()?;
    let caller = match patch.password {
        Some(_) => caller.hashes_a_password(),
        None => caller,
    };
    let view = caller
        .run(&state, move |uc, actor| uc.update_user(actor, id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(view)))
}

/// Delete a user; its keys and sessions stop working.
#[utoipa::path(tag = "users", params(("user_id" = Uuid, Path, description = "User id")),
    responses((status = 204, description = "Deleted"), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[delete("/users/{user_id}")]
pub async fn remove(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<NoContent, Problem> {
    let id = id.into_inner();
    caller
        .run(&state, move |uc, actor| uc.delete_user(actor, id))
        .await?;
    Ok(NoContent)
}
