//! `/v1/email/organizations`: create, list, get, change, delete, and the caller's current
//! organization.

use super::{ErrorBody, MsndrError};
use crate::extract::{
    field, idempotency, json_object, not_null, nullable, parse_json, query, read_body,
    recorded_json, required, send_outcome, BodyError, Caller,
};
use crate::State;
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use orgplane_domain::organization::*;
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::{
    FieldError, FindOrganizations, OrganizationScope, OrganizationView, UserPatch,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The most organizations one page holds.
const MAX_PAGE_SIZE: u64 = 100;
/// The page size when none is asked for (the seed's example).
const DEFAULT_PAGE_SIZE: u64 = 25;

/// An organization.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MsndrOrganization)]
pub struct Organization {
    /// Its integer id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Street address (`null` only for an organization made through another surface
    /// without one; so for the other fields).
    pub address: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// Whether it is the caller's current (default) organization: exactly one is.
    pub current: bool,
}

impl Organization {
    fn of(view: &OrganizationView, current: OrganizationId) -> Self {
        let o = &view.organization;
        let text = |v: Option<&str>| v.map(str::to_owned);
        Self {
            id: o.id.0,
            name: o.name.as_str().to_owned(),
            address: text(o.profile.address.as_ref().map(|v| v.as_str())),
            country: text(o.profile.country.as_ref().map(|v| v.as_str())),
            city: text(o.profile.city.as_ref().map(|v| v.as_str())),
            phone: text(o.profile.phone.as_ref().map(|v| v.as_str())),
            zip: text(o.profile.zip.as_ref().map(|v| v.as_str())),
            current: o.id == current,
        }
    }
}

/// A page of organizations.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MsndrOrganizationPage)]
pub struct OrganizationPage {
    /// How many organizations there are in all.
    pub total_count: u64,
    /// How many pages of `page_size` they fill.
    pub total_pages: u64,
    /// This page's number, from 1.
    pub page_number: u64,
    /// At most this many per page.
    pub page_size: u64,
    /// The organizations on this page, oldest first.
    pub collection: Vec<Organization>,
}

/// `POST /v1/email/organizations`: every field is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MsndrCreateOrganization)]
pub struct CreateOrganization {
    /// Name.
    pub name: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
}

/// `PATCH /v1/email/organizations/{id}`: only the fields given change; none may be
/// cleared (`null`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MsndrUpdateOrganization)]
pub struct UpdateOrganization {
    /// New name.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    /// New street address.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// New country.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub country: Option<Option<String>>,
    /// New city.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub city: Option<Option<String>>,
    /// New phone number.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// New postal code.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub zip: Option<Option<String>>,
}

/// Query of the list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The page, from 1 (default 1).
    pub page_number: Option<String>,
    /// Organizations per page, 1–100 (default 25).
    pub page_size: Option<String>,
}

/// Query of a delete.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// `true` deletes its sub-organizations too; without it, an organization that has
    /// sub-organizations is not deleted (409).
    pub cascade: Option<String>,
}

fn checked(errors: Vec<FieldError>) -> Result<(), MsndrError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(MsndrError::invalid(&errors))
    }
}

impl CreateOrganization {
    fn parse(self) -> Result<NewOrganization, MsndrError> {
        let e = &mut Vec::new();
        let name = required(e, "name", self.name.as_deref(), OrganizationName::parse);
        let profile = Profile {
            address: required(e, "address", self.address.as_deref(), Address::parse),
            country: required(e, "country", self.country.as_deref(), CountryName::parse),
            city: required(e, "city", self.city.as_deref(), City::parse),
            phone: required(e, "phone", self.phone.as_deref(), PhoneNumber::parse),
            zip: required(e, "zip", self.zip.as_deref(), Zip::parse),
            ..Profile::default()
        };
        match name {
            Some(name) if e.is_empty() => Ok(NewOrganization {
                name,
                // Where a new organization goes is the canonical rule for the caller.
                parent: None,
                profile,
                limit: None,
                customizations: Customizations::empty(),
            }),
            _ => Err(MsndrError::invalid(e)),
        }
    }
}

impl UpdateOrganization {
    fn parse(self) -> Result<OrganizationPatch, MsndrError> {
        let e = &mut Vec::new();
        let text = |e: &mut Vec<FieldError>, name, raw| not_null(e, name, raw);
        let (name, address, country, city, phone, zip) = (
            text(e, "name", self.name),
            text(e, "address", self.address),
            text(e, "country", self.country),
            text(e, "city", self.city),
            text(e, "phone", self.phone),
            text(e, "zip", self.zip),
        );
        let patch = OrganizationPatch {
            name: field(e, "name", name.as_deref(), OrganizationName::parse),
            address: field(e, "address", address.as_deref(), Address::parse).map(Some),
            country: field(e, "country", country.as_deref(), CountryName::parse).map(Some),
            city: field(e, "city", city.as_deref(), City::parse).map(Some),
            phone: field(e, "phone", phone.as_deref(), PhoneNumber::parse).map(Some),
            zip: field(e, "zip", zip.as_deref(), Zip::parse).map(Some),
            ..OrganizationPatch::default()
        };
        checked(std::mem::take(e))?;
        Ok(patch)
    }
}

impl From<BodyError> for MsndrError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge { .. } => Self::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
            BodyError::Unreadable(_) => Self::new(StatusCode::BAD_REQUEST, e.to_string()),
        }
    }
}

/// The JSON object of a request body (an empty body is not one).
async fn body_of<T: serde::de::DeserializeOwned>(
    state: &State,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, MsndrError> {
    Ok(raw_body_of(state, req, payload).await?.0)
}

/// The same, with the body's bytes (what an `Idempotency-Key` stands for).
async fn raw_body_of<T: serde::de::DeserializeOwned>(
    state: &State,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(T, web::Bytes), MsndrError> {
    let body = read_body(payload, state.body_limit_bytes).await?;
    let value = json_object(req, &body)?.ok_or(crate::extract::BodyFault::NotAnObject)?;
    Ok((parse_json(value)?, body))
}

/// An integer id; any other form names nothing, like an unknown one.
fn key(raw: &str) -> Result<i64, MsndrError> {
    Some(raw)
        .filter(|raw| raw.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|raw| raw.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(MsndrError::not_found)
}

/// Create an organization (for anyone but a platform administrator: a sub-organization of
/// the caller's organization).
#[utoipa::path(params(("Idempotency-Key" = Option<String>, Header, description = crate::extract::IDEMPOTENCY_KEY_DOC)), tag = "msndr", request_body = CreateOrganization,
    responses((status = 201, body = Organization), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/email/organizations")]
pub async fn create(
    state: web::Data<State>,
    caller: Caller<MsndrError>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, MsndrError> {
    let (new, body) = raw_body_of::<CreateOrganization>(&state, &req, payload).await?;
    let new = new.parse()?;
    let idempotency = idempotency(&req, &body, render).map_err(|e| MsndrError::invalid(&[e]))?;
    let outcome = caller
        .run(&state, move |uc, actor| {
            uc.create_organization(actor, new, idempotency)
        })
        .await?;
    Ok(send_outcome(outcome, render))
}

fn render(view: &OrganizationView) -> RecordedResponse {
    // A new organization is never the caller's current one: that is its home until it
    // picks another.
    recorded_json(
        StatusCode::CREATED,
        &Organization {
            current: false,
            ..Organization::of(view, view.organization.id)
        },
    )
}

/// List the organizations the caller reaches (its own and everything below it), oldest
/// first, a page at a time.
#[utoipa::path(tag = "msndr", params(ListParams),
    responses((status = 200, body = OrganizationPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/email/organizations")]
pub async fn list(
    state: web::Data<State>,
    caller: Caller<MsndrError>,
    req: HttpRequest,
) -> Result<HttpResponse, MsndrError> {
    let params: ListParams = query(&req)?;
    let e = &mut Vec::new();
    let page_number = field(e, "page_number", params.page_number.as_deref(), |raw| {
        raw.parse::<u64>()
            .ok()
            .filter(|n| (1..=u64::from(u32::MAX)).contains(n))
            .ok_or("must be a whole number, 1 or more")
    })
    .unwrap_or(1);
    let page_size = field(e, "page_size", params.page_size.as_deref(), |raw| {
        raw.parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or("must be a whole number from 1 to 100")
    })
    .unwrap_or(DEFAULT_PAGE_SIZE);
    checked(std::mem::take(e))?;
    let (found, current) = caller
        .run(&state, move |uc, actor| {
            let found = uc.find_organizations(
                actor,
                FindOrganizations {
                    scope: OrganizationScope::Reach,
                    offset: (page_number - 1) * page_size,
                    limit: page_size as usize,
                    ..Default::default()
                },
            )?;
            Ok((found, actor.current))
        })
        .await?;
    Ok(HttpResponse::Ok().json(OrganizationPage {
        total_count: found.total,
        total_pages: found.total.div_ceil(page_size),
        page_number,
        page_size,
        collection: found
            .items
            .iter()
            .map(|v| Organization::of(v, current))
            .collect(),
    }))
}

/// The caller's current (default) organization: its own until it picks another.
#[utoipa::path(tag = "msndr",
    responses((status = 200, body = Organization), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/email/organizations/current")]
pub async fn read_current(
    state: web::Data<State>,
    caller: Caller<MsndrError>,
) -> Result<HttpResponse, MsndrError> {
    let (view, current) = caller
        .run(&state, move |uc, actor| {
            Ok((
                uc.get_organization_by_key(actor, actor.current.0)?,
                actor.current,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Organization::of(&view, current)))
}

/// Get an organization.
#[utoipa::path(tag = "msndr", params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = Organization), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/email/organizations/{id}")]
pub async fn read(
    state: web::Data<State>,
    caller: Caller<MsndrError>,
    path: web::Path<String>,
) -> Result<HttpResponse, MsndrError> {
    let id = key(&path)?;
    let (view, current) = caller
        .run(&state, move |uc, actor| {
            Ok((uc.get_organization_by_key(actor, id)?, actor.current))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Organization::of(&view, current)))
}

/// Change an organization: only the fields given.
#[utoipa::path(tag = "msndr", params(("id" = i64, Path, description = "Organization id")), request_body = UpdateOrganization,
    responses((status = 200, body = Organization), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/v1/email/organizations/{id}")]
pub async fn update(
    state: web::Data<State>,
    caller: Caller<MsndrError>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, MsndrError> {
    let id = key(&path)?;
    let patch = body_of::<UpdateOrganization>(&state, &req, payload)
        .await?
        .parse()?;
    let (view, current) = caller
        .run(&state, move |uc, actor| {
            let uuid = uc.get_organization_by_key(actor, id)?.organization.uuid;
            Ok((uc.update_organization(actor, uuid, patch)?, actor.current))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Organization::of(&view, current)))
}

/// Delete an organization (`204`). One with sub-organizations needs `cascade=true`; a
/// caller's current organization that is deleted gives way to its own organization.
#[utoipa::path(tag = "msndr", params(("id" = i64, Path, description = "Organization id"), DeleteParams),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[delete("/v1/email/organizations/{id}")]
pub async fn delete(
    state: web::Data<State>,
    caller: Caller<MsndrError>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, MsndrError> {
    let id = key(&path)?;
    let params: DeleteParams = query(&req)?;
    let e = &mut Vec::new();
    let cascade = field(e, "cascade", params.cascade.as_deref(), |raw| match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("must be true or false"),
    })
    .unwrap_or(false);
    checked(std::mem::take(e))?;
    caller
        .run(&state, move |uc, actor| {
            let uuid = uc.get_organization_by_key(actor, id)?.organization.uuid;
            uc.delete_organization(actor, uuid, cascade)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Make an organization the caller's current (default) one; the one before stops being
/// current. Any organization the caller reaches may be chosen.
#[utoipa::path(tag = "msndr", params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = Organization), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/v1/email/organizations/{id}/current")]
pub async fn make_current(
    state: web::Data<State>,
    caller: Caller<MsndrError>,
    path: web::Path<String>,
) -> Result<HttpResponse, MsndrError> {
    let id = key(&path)?;
    let view = caller
        .run(&state, move |uc, actor| {
            let view = uc.get_organization_by_key(actor, id)?;
            let patch = UserPatch {
                current_organization: Some(view.organization.uuid),
                ..UserPatch::default()
            };
            uc.update_user(actor, actor.user_uuid, patch)?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Organization::of(&view, view.organization.id)))
}
