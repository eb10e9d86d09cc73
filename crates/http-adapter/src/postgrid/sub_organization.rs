//! `/print-mail/v1/sub_organizations`: create, list, get, and list users.

use super::{id, parse_id, ErrorBody, PostgridError};
use crate::extract::{
    field, idempotency, json_object, millis_z, parse_json, query, read_body, recorded_json,
    send_outcome, BodyFault, Caller,
};
use crate::State;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use orgplane_domain::organization::{
    CountryCode, MonthlyLimit, Organization, OrganizationName, PhoneNumber,
};
use orgplane_domain::page::SearchTerms;
use orgplane_domain::usage::MonthlyUsage;
use orgplane_domain::user::{Email, Password, UserName};
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::{FindSubOrganizations, NewSubOrganization, Onboarded, UserView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A sub-organization.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubOrganization {
    /// Messages it sent this month (UTC).
    pub usage: u64,
    /// What it may send a month before overage is charged (`null`: no limit).
    pub limit: Option<i64>,
    /// This month's charge for overage so far, in cents.
    pub spend: u64,
    /// Its name.
    pub name: String,
    /// Its country (ISO 3166-1 alpha-2).
    pub country_code: Option<String>,
    /// `sub_org_` and 32 hex digits.
    pub id: String,
    /// Always `sub_org`.
    pub object: &'static str,
    /// Creation time (UTC, milliseconds).
    pub created_at: String,
    /// Last change (UTC, milliseconds).
    pub updated_at: String,
}

impl SubOrganization {
    fn of(o: &Organization, usage: &MonthlyUsage) -> Self {
        Self {
            usage: usage.usage,
            limit: o.limit.map(MonthlyLimit::get),
            spend: usage.spend,
            name: o.name.as_str().to_owned(),
            country_code: o.profile.country_code.map(|c| c.as_str().to_owned()),
            id: id("sub_org_", o.uuid),
            object: "sub_org",
            created_at: millis_z(o.created_at),
            updated_at: millis_z(o.updated_at),
        }
    }
}

/// An API key, in the create response only.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyValue {
    /// The key (`live_…` or `test_…`).
    pub value: String,
    /// When it stops working, if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_until: Option<String>,
}

/// E-mail preferences.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailPreferences {
    /// `do_not_send`, `send_live_only` or `send_live_and_test`.
    pub order_preview_send_preference: &'static str,
}

/// A user.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// `user_` and 32 hex digits.
    pub id: String,
    /// Whether an invitation is pending.
    pub pending_invite: bool,
    /// Its organization: `org_` and 32 hex digits (the same organization as
    /// `sub_org_<the same digits>`).
    pub organization: String,
    /// E-mail address.
    pub email: String,
    /// Name.
    pub name: String,
    /// Its live and test keys (create response only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_keys: Option<Vec<ApiKeyValue>>,
    /// Whether the address is verified.
    pub verified_email: bool,
    /// Its roles (`admin`, `member`, `viewer`).
    pub roles: Vec<String>,
    /// E-mail preferences.
    pub email_preferences: EmailPreferences,
    /// Last login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login_time: Option<String>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Earlier addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub previous_emails: Vec<String>,
}

impl User {
    fn of(view: &UserView, api_keys: Option<Vec<ApiKeyValue>>) -> Self {
        let u = &view.user;
        Self {
            id: id("user_", u.uuid),
            pending_invite: u.pending_invite,
            organization: id("org_", view.organization_uuid),
            email: u.email.to_string(),
            name: u.name.as_str().to_owned(),
            api_keys,
            verified_email: u.verified_email,
            roles: u.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            email_preferences: EmailPreferences {
                order_preview_send_preference: u
                    .email_preferences
                    .order_preview_send_preference
                    .as_str(),
            },
            last_login_time: u.last_login_time.map(millis_z),
            phone_number: u.phone_number.as_ref().map(|p| p.as_str().to_owned()),
            previous_emails: u.previous_emails.iter().map(|e| e.to_string()).collect(),
        }
    }
}

/// `POST /print-mail/v1/sub_organizations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSubOrganization {
    /// The sub-organization's country (ISO 3166-1 alpha-2).
    pub country_code: String,
    /// Its first user's e-mail address.
    pub email: String,
    /// Its first user's name.
    pub name: String,
    /// The sub-organization's name.
    pub organization_name: String,
    /// Its first user's password (at least 12 characters).
    pub password: String,
    /// Its first user's phone number.
    pub phone_number: Option<String>,
}

/// The answer to a create: the first user (with its keys) and the sub-organization.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedSubOrganization {
    /// The first user, with its live and test keys (shown this once).
    pub user: User,
    /// The sub-organization.
    pub sub_organization: SubOrganization,
}

/// A page of sub-organizations.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubOrganizationList {
    /// Always `list`.
    pub object: &'static str,
    /// The page size asked for.
    pub limit: usize,
    /// How many were skipped.
    pub skip: u64,
    /// How many match in all.
    pub total_count: u64,
    /// The page.
    pub data: Vec<SubOrganization>,
}

/// Query of the two lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–100 (default 10).
    pub limit: Option<String>,
    /// How many to skip (default 0).
    pub skip: Option<String>,
    /// Words that must all appear, or a "quoted phrase" that must appear as it is, in
    /// what the object shows (sub-organizations: name, country; users: e-mail, name).
    pub search: Option<String>,
}

struct Listing {
    limit: usize,
    skip: u64,
    search: SearchTerms,
}

impl ListParams {
    fn parse(self) -> Result<Listing, PostgridError> {
        let e = &mut Vec::new();
        let limit = field(e, "limit", self.limit.as_deref(), |raw| {
            raw.parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or("must be a whole number from 1 to 100")
        });
        let skip = field(e, "skip", self.skip.as_deref(), |raw| {
            raw.parse::<u64>()
                .map_err(|_| "must be a whole number, 0 or more")
        });
        let search = field(e, "search", self.search.as_deref(), SearchTerms::parse);
        if !e.is_empty() {
            return Err(PostgridError::invalid(e));
        }
        Ok(Listing {
            limit: limit.unwrap_or(10),
            skip: skip.unwrap_or(0),
            search: search.unwrap_or_default(),
        })
    }
}

impl CreateSubOrganization {
    fn parse(self, limit: Option<MonthlyLimit>) -> Result<NewSubOrganization, PostgridError> {
        let e = &mut Vec::new();
        let country_code = field(
            e,
            "countryCode",
            Some(&self.country_code),
            CountryCode::parse,
        );
        let email = field(e, "email", Some(&self.email), Email::parse);
        let name = field(e, "name", Some(&self.name), UserName::parse);
        let organization_name = field(
            e,
            "organizationName",
            Some(&self.organization_name),
            OrganizationName::parse,
        );
        let password = field(e, "password", Some(&self.password), Password::parse);
        let phone_number = field(
            e,
            "phoneNumber",
            self.phone_number.as_deref(),
            PhoneNumber::parse,
        );
        match (country_code, email, name, organization_name, password) {
            (
                Some(country_code),
                Some(email),
                Some(name),
                Some(organization_name),
                Some(password),
            ) if e.is_empty() => Ok(NewSubOrganization {
                organization_name,
                country_code,
                limit,
                email,
                name,
                password,
                phone_number,
            }),
            _ => Err(PostgridError::invalid(e)),
        }
    }
}

fn render(onboarded: &Onboarded) -> RecordedResponse {
    let keys = onboarded
        .api_keys
        .iter()
        .map(|k| ApiKeyValue {
            value: k.value.clone(),
            active_until: k.key.active_until.map(millis_z),
        })
        .collect();
    let body = CreatedSubOrganization {
        user: User::of(&onboarded.user, Some(keys)),
        sub_organization: SubOrganization::of(
            &onboarded.organization.organization,
            &onboarded.usage,
        ),
    };
    recorded_json(StatusCode::CREATED, &body)
}

/// Create a sub-organization of the caller's organization with its first user (an admin
/// with a verified address) and that user's live and test API keys, in one transaction.
/// The key values appear in this response only.
#[utoipa::path(tag = "postgrid", request_body = CreateSubOrganization,
    params(("Idempotency-Key" = Option<String>, Header, description = "The same key and body answer the first response again (24 h)")),
    responses((status = 201, body = CreatedSubOrganization), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("x_api_key" = []), ("bearer" = [])))]
#[post("/print-mail/v1/sub_organizations")]
pub async fn create(
    state: web::Data<State>,
    caller: Caller<PostgridError>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PostgridError> {
    let body = read_body(payload, state.body_limit_bytes)
        .await
        .map_err(|e| BodyFault::Malformed(e.to_string()))?;
    let value = json_object(&req, &body)?.ok_or(BodyFault::NotAnObject)?;
    let new = parse_json::<CreateSubOrganization>(value)?.parse(state.sub_organization_limit)?;
    let idempotency = idempotency(&req, &body, render).map_err(|e| PostgridError::invalid(&[e]))?;
    let outcome = caller
        .hashes_a_password()
        .run(&state, move |uc, actor| uc.onboard(actor, new, idempotency))
        .await?;
    Ok(send_outcome(outcome, render))
}

/// List the caller's organization's sub-organizations, oldest first.
#[utoipa::path(tag = "postgrid", params(ListParams),
    responses((status = 200, body = SubOrganizationList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("x_api_key" = []), ("bearer" = [])))]
#[get("/print-mail/v1/sub_organizations")]
pub async fn list(
    state: web::Data<State>,
    caller: Caller<PostgridError>,
    req: HttpRequest,
) -> Result<HttpResponse, PostgridError> {
    let Listing {
        limit,
        skip,
        search,
    } = query::<ListParams>(&req)?.parse()?;
    let found = caller
        .run(&state, move |uc, actor| {
            uc.sub_organizations(
                actor,
                FindSubOrganizations {
                    search,
                    offset: skip,
                    limit,
                },
            )
        })
        .await?;
    let data = found
        .items
        .iter()
        .map(|(org, usage)| SubOrganization::of(org, usage))
        .collect();
    Ok(HttpResponse::Ok().json(SubOrganizationList {
        object: "list",
        limit,
        skip,
        total_count: found.total,
        data,
    }))
}

/// Get a sub-organization.
#[utoipa::path(tag = "postgrid", params(("id" = String, Path, description = "`sub_org_…`")),
    responses((status = 200, body = SubOrganization), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("x_api_key" = []), ("bearer" = [])))]
#[get("/print-mail/v1/sub_organizations/{id}")]
pub async fn read(
    state: web::Data<State>,
    caller: Caller<PostgridError>,
    path: web::Path<String>,
) -> Result<HttpResponse, PostgridError> {
    // An id of another form names nothing, like an unknown one.
    let uuid =
        parse_id("sub_org_", &path).ok_or_else(|| PostgridError::not_found("sub-organization"))?;
    let (view, usage) = caller
        .run(&state, move |uc, actor| {
            let view = uc.get_organization(actor, uuid)?;
            let usage = uc.current_usage(actor, std::slice::from_ref(&view))?;
            Ok((view, usage))
        })
        .await?;
    let usage = usage
        .first()
        .map(|(_, u)| *u)
        .ok_or_else(|| PostgridError::not_found("sub-organization"))?;
    Ok(HttpResponse::Ok().json(SubOrganization::of(&view.organization, &usage)))
}

/// List a sub-organization's users (a bare array, oldest first).
#[utoipa::path(tag = "postgrid", params(("id" = String, Path, description = "`sub_org_…`"), ListParams),
    responses((status = 200, body = Vec<User>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("x_api_key" = []), ("bearer" = [])))]
#[get("/print-mail/v1/sub_organizations/{id}/users")]
pub async fn users(
    state: web::Data<State>,
    caller: Caller<PostgridError>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PostgridError> {
    let uuid =
        parse_id("sub_org_", &path).ok_or_else(|| PostgridError::not_found("sub-organization"))?;
    let Listing {
        limit,
        skip,
        search,
    } = query::<ListParams>(&req)?.parse()?;
    let users = caller
        .run(&state, move |uc, actor| {
            uc.find_users(actor, uuid, search, skip, limit)
        })
        .await?;
    let body: Vec<User> = users.iter().map(|u| User::of(u, None)).collect();
    Ok(HttpResponse::Ok().json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_list_parameters_name_themselves() {
        let bad = ListParams {
            limit: Some("0".into()),
            skip: Some("-1".into()),
            search: Some("a\u{0}".into()),
        };
        let err = bad.parse().err().map(|e| e.to_string()).unwrap_or_default();
        for name in ["limit", "skip", "search"] {
            assert!(err.contains(name), "{err}");
        }
        let listing = ListParams::default()
            .parse()
            .ok()
            .map(|l| (l.limit, l.skip));
        assert_eq!(listing, Some((10, 0)));
    }

    #[test]
    fn invalid_fields_are_named_in_camel_case() {
        let body = CreateSubOrganization {
            country_code: "XX".into(),
            email: "nope".into(),
            name: "Calvin".into(),
            organization_name: " ".into(),
            password: "short".into(),
            phone_number: Some("call me".into()),
        };
        let err = body
            .parse(None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        for name in [
            "countryCode",
            "email",
            "organizationName",
            "password",
            "phoneNumber",
        ] {
            assert!(err.contains(name), "{err}");
        }
    }
}
