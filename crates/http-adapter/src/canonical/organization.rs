//! `/orgs`: organizations and sub-organizations on the canonical surface.

use super::created;
use super::ListResponse;
use crate::canonical::problem::Problem;
use crate::extract::{
    check, field, not_null, nullable, parse_body, recorded_created, Caller, PageParams,
};
use crate::State;
use actix_web::{delete, get, patch, post, put};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use orgplane_domain::organization::*;
use orgplane_domain::page::SearchText;
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::{FieldError, ListOrganizations, OrganizationView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// An organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationResponse {
    /// Public id (UUID).
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Unique handle derived from the name.
    pub permalink: String,
    /// Parent organization, for a sub-organization.
    pub parent_id: Option<Uuid>,
    /// Depth in the hierarchy (1 = top level).
    pub depth: usize,
    /// Main mail domain.
    pub domain: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// Country name.
    pub country: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    pub country_code: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// IANA time zone.
    pub time_zone: Option<String>,
    /// Monthly mail allowance (null: unlimited).
    pub limit: Option<i64>,
    /// Client settings.
    #[schema(value_type = Object)]
    pub customizations: serde_json::Value,
    /// Whether it is suspended (on its own or through an organization above it).
    pub suspended: bool,
    /// Since when it is suspended.
    pub suspended_at: Option<DateTime<Utc>>,
    /// The organization whose suspension it is (itself, or one above it).
    pub suspended_by: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<OrganizationView> for OrganizationResponse {
    fn from(view: OrganizationView) -> Self {
        let o = view.organization;
        let p = o.profile;
        Self {
            id: o.uuid,
            depth: o.path.len(),
            name: o.name.as_str().to_owned(),
            permalink: o.permalink.as_str().to_owned(),
            parent_id: view.parent_uuid,
            domain: p.domain.map(|v| v.as_str().to_owned()),
            address: p.address.map(|v| v.as_str().to_owned()),
            city: p.city.map(|v| v.as_str().to_owned()),
            zip: p.zip.map(|v| v.as_str().to_owned()),
            country: p.country.map(|v| v.as_str().to_owned()),
            country_code: p.country_code.map(|v| v.as_str().to_owned()),
            phone: p.phone.map(|v| v.as_str().to_owned()),
            time_zone: p.time_zone.map(|v| v.as_str().to_owned()),
            limit: o.limit.map(MonthlyLimit::get),
            customizations: o.customizations.to_value(),
            suspended: o.suspension.is_some(),
            suspended_at: o.suspension.map(|s| s.since),
            suspended_by: view.suspended_by_uuid,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// `POST /orgs`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    /// Display name (1–255 characters).
    pub name: String,
    /// Parent organization: makes this a sub-organization.
    pub parent_id: Option<Uuid>,
    /// Main mail domain, e.g. `acme.com`.
    pub domain: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// Country name.
    pub country: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    pub country_code: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: Option<String>,
    /// Monthly mail allowance.
    pub limit: Option<i64>,
    /// Client settings (a JSON object, at most 16 KiB).
    #[schema(value_type = Option<Object>)]
    pub customizations: Option<serde_json::Value>,
}

/// `PATCH /orgs/{org_id}`: only the fields given change; `null` clears a field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    /// New name (never `null`).
    #[serde(default, deserialize_with = "nullable")]
    pub name: Option<Option<String>>,
    /// New domain.
    #[serde(default, deserialize_with = "nullable")]
    pub domain: Option<Option<String>>,
    /// New address.
    #[serde(default, deserialize_with = "nullable")]
    pub address: Option<Option<String>>,
    /// New city.
    #[serde(default, deserialize_with = "nullable")]
    pub city: Option<Option<String>>,
    /// New postal code.
    #[serde(default, deserialize_with = "nullable")]
    pub zip: Option<Option<String>>,
    /// New country name.
    #[serde(default, deserialize_with = "nullable")]
    pub country: Option<Option<String>>,
    /// New country code.
    #[serde(default, deserialize_with = "nullable")]
    pub country_code: Option<Option<String>>,
    /// New phone.
    #[serde(default, deserialize_with = "nullable")]
    pub phone: Option<Option<String>>,
    /// New time zone.
    #[serde(default, deserialize_with = "nullable")]
    pub time_zone: Option<Option<String>>,
    /// New monthly allowance (`null`: unlimited).
    #[serde(default, deserialize_with = "nullable")]
    pub limit: Option<Option<i64>>,
    /// New customizations (replace the whole object; never `null`).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Object>)]
    pub customizations: Option<Option<serde_json::Value>>,
    /// `true` suspends the organization, its sub-organizations and all their servers;
    /// `false` lifts its own suspension (not one inherited from above). Only from above
    /// (an ancestor's admin) or by a platform administrator.
    #[serde(default, deserialize_with = "nullable")]
    pub suspended: Option<Option<bool>>,
}

/// Parses a nullable field of a patch: absent, cleared, or a new valid value.
fn patch_field<T, E: std::fmt::Display>(
    errors: &mut Vec<FieldError>,
    name: &str,
    raw: Option<Option<String>>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<Option<T>> {
    match raw {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => field(errors, name, Some(&raw), parse).map(Some),
    }
}

fn limit(errors: &mut Vec<FieldError>, raw: Option<i64>) -> Option<MonthlyLimit> {
    raw.and_then(|n| match MonthlyLimit::new(n) {
        Ok(l) => Some(l),
        Err(e) => {
            errors.push(FieldError::new("limit", e));
            None
        }
    })
}

fn customizations(
    errors: &mut Vec<FieldError>,
    raw: Option<serde_json::Value>,
) -> Option<Customizations> {
    raw.and_then(|v| match Customizations::parse(v) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(FieldError::new("customizations", e));
            None
        }
    })
}

impl CreateOrganization {
    fn parse(self) -> Result<NewOrganization, Problem> {
        let e = &mut Vec::new();
        let name = field(e, "name", Some(&self.name), OrganizationName::parse);
        let profile = Profile {
            domain: field(e, "domain", self.domain.as_deref(), DomainName::parse),
            address: field(e, "address", self.address.as_deref(), Address::parse),
            city: field(e, "city", self.city.as_deref(), City::parse),
            zip: field(e, "zip", self.zip.as_deref(), Zip::parse),
            country: field(e, "country", self.country.as_deref(), CountryName::parse),
            country_code: field(
                e,
                "country_code",
                self.country_code.as_deref(),
                CountryCode::parse,
            ),
            phone: field(e, "phone", self.phone.as_deref(), PhoneNumber::parse),
            time_zone: field(e, "time_zone", self.time_zone.as_deref(), TimeZone::parse),
        };
        let limit = limit(e, self.limit);
        let customizations = customizations(e, self.customizations);
        let errors = std::mem::take(e);
        check(errors)?;
        Ok(NewOrganization {
            name: name.ok_or_else(|| Problem::bad_request("name is required"))?,
            parent: self.parent_id,
            profile,
            limit,
            customizations: customizations.unwrap_or_else(Customizations::empty),
        })
    }
}

impl UpdateOrganization {
    fn parse(self) -> Result<OrganizationPatch, Problem> {
        let e = &mut Vec::new();
        let name = not_null(e, "name", self.name);
        let raw_customizations = not_null(e, "customizations", self.customizations);
        let suspended = not_null(e, "suspended", self.suspended);
        let patch = OrganizationPatch {
            name: field(e, "name", name.as_deref(), OrganizationName::parse),
            domain: patch_field(e, "domain", self.domain, DomainName::parse),
            address: patch_field(e, "address", self.address, Address::parse),
            city: patch_field(e, "city", self.city, City::parse),
            zip: patch_field(e, "zip", self.zip, Zip::parse),
            country: patch_field(e, "country", self.country, CountryName::parse),
            country_code: patch_field(e, "country_code", self.country_code, CountryCode::parse),
            phone: patch_field(e, "phone", self.phone, PhoneNumber::parse),
            time_zone: patch_field(e, "time_zone", self.time_zone, TimeZone::parse),
            limit: match self.limit {
                None => None,
                Some(None) => Some(None),
                Some(Some(n)) => limit(e, Some(n)).map(Some),
            },
            customizations: customizations(e, raw_customizations),
            suspended,
        };
        let errors = std::mem::take(e);
        check(errors)?;
        Ok(patch)
    }
}

/// Query of `GET /orgs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only organizations whose name or permalink contains this text.
    pub search: Option<String>,
    /// Only direct sub-organizations of this organization.
    pub parent_id: Option<String>,
    /// Page size, 1–100 (default 25).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Query of `DELETE /orgs/{org_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// `true` deletes the sub-organizations too; without it, an organization that has
    /// sub-organizations is not deleted (409).
    pub cascade: Option<bool>,
}

/// The answer to a deletion (seed 003).
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    /// `Organization deleted successfully`.
    pub message: &'static str,
}

/// Customizations, in and out.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomizationsBody {
    /// The whole customizations object.
    #[schema(value_type = Object)]
    pub customizations: serde_json::Value,
}

/// Create an organization (a sub-organization with `parent_id`).
#[utoipa::path(params(("Idempotency-Key" = Option<String>, Header, description = crate::extract::IDEMPOTENCY_KEY_DOC)), tag = "organizations", request_body = CreateOrganization,
    responses((status = 201, body = OrganizationResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 422, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[post("/orgs")]
pub async fn create(
    state: web::Data<State>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let new = parse_body::<CreateOrganization>(body.clone())?.parse()?;
    created(
        &state,
        caller,
        &req,
        &body,
        render,
        move |uc, actor, idem| uc.create_organization(actor, new, idem),
    )
    .await
}

fn render(view: &OrganizationView) -> RecordedResponse {
    recorded_created(
        format!("/orgs/{}", view.organization.uuid),
        &OrganizationResponse::from(view.clone()),
    )
}

/// List the organizations within reach.
#[utoipa::path(tag = "organizations", params(ListParams),
    responses((status = 200, body = ListResponse<OrganizationResponse>), (status = 400, body = Problem), (status = 401, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs")]
pub async fn list(
    state: web::Data<State>,
    caller: Caller,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    let mut errors = Vec::new();
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .parse(&mut errors);
    let parent = field(
        &mut errors,
        "parent_id",
        q.parent_id.as_deref(),
        Uuid::parse_str,
    );
    let search = field(
        &mut errors,
        "search",
        q.search.as_deref(),
        SearchText::parse,
    )
    .flatten();
    check(errors)?;
    let found = caller
        .run(&state, move |uc, actor| {
            uc.list_organizations(
                actor,
                ListOrganizations {
                    parent,
                    search,
                    page,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(
        found.map(OrganizationResponse::from),
    )))
}

/// Read an organization.
#[utoipa::path(tag = "organizations", params(("org_id" = Uuid, Path, description = "Organization id")),
    responses((status = 200, body = OrganizationResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}")]
pub async fn read(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let view = caller
        .run(&state, move |uc, actor| uc.get_organization(actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::from(view)))
}

/// Change an organization.
#[utoipa::path(tag = "organizations", params(("org_id" = Uuid, Path, description = "Organization id")), request_body = UpdateOrganization,
    responses((status = 200, body = OrganizationResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[patch("/orgs/{org_id}")]
pub async fn update(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let patch = parse_body::<UpdateOrganization>(body.into_inner())?.parse()?;
    let view = caller
        .run(&state, move |uc, actor| {
            uc.update_organization(actor, id, patch)
        })
        .await?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::from(view)))
}

/// Delete an organization (with `cascade=true`, its sub-organizations too).
#[utoipa::path(tag = "organizations", params(("org_id" = Uuid, Path, description = "Organization id"), DeleteParams),
    responses((status = 200, body = Deleted), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[delete("/orgs/{org_id}")]
pub async fn remove(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<DeleteParams>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let cascade = query.cascade.unwrap_or(false);
    caller
        .run(&state, move |uc, actor| {
            uc.delete_organization(actor, id, cascade)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Deleted {
        message: "Organization deleted successfully",
    }))
}

/// List direct sub-organizations.
#[utoipa::path(tag = "organizations", params(("org_id" = Uuid, Path, description = "Organization id"), PageParams),
    responses((status = 200, body = ListResponse<OrganizationResponse>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/children")]
pub async fn children(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let page = query.page()?;
    let found = caller
        .run(&state, move |uc, actor| uc.list_children(actor, id, page))
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(
        found.map(OrganizationResponse::from),
    )))
}

/// Read customizations.
#[utoipa::path(tag = "organizations", params(("org_id" = Uuid, Path, description = "Organization id")),
    responses((status = 200, body = CustomizationsBody), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/customizations")]
pub async fn read_customizations(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let view = caller
        .run(&state, move |uc, actor| uc.get_organization(actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(CustomizationsBody {
        customizations: view.organization.customizations.to_value(),
    }))
}

/// Replace customizations.
#[utoipa::path(tag = "organizations", params(("org_id" = Uuid, Path, description = "Organization id")), request_body = CustomizationsBody,
    responses((status = 200, body = CustomizationsBody), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[put("/orgs/{org_id}/customizations")]
pub async fn replace_customizations(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let body = parse_body::<CustomizationsBody>(body.into_inner())?;
    let customizations = Customizations::parse(body.customizations)
        .map_err(|e| Problem::invalid(vec![FieldError::new("customizations", e)]))?;
    let saved = caller
        .run(&state, move |uc, actor| {
            uc.put_customizations(actor, id, customizations)
        })
        .await?;
    Ok(HttpResponse::Ok().json(CustomizationsBody {
        customizations: saved.to_value(),
    }))
}
