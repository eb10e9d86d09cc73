//! `/orgs/{org_id}/access_log`, `/audit_log` and `/children_audit`.

use super::ListResponse;
use crate::canonical::problem::Problem;
use crate::extract::{check, field, Caller, PageParams};
use crate::State;
use actix_web::get;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use orgplane_domain::audit::{check_action_name, AccessLogEntry, AccessStatus, AuditEntry};
use orgplane_ports::usecase::LogFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Filters of the log routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// Only this action (`LOGIN`, `API_KEY`, `SESSION` in the access log; e.g.
    /// `organization.update` in the audit log).
    pub action: Option<String>,
    /// Only this status (`SUCCESS` or `FAILURE`; access log).
    pub status: Option<String>,
    /// Not before this RFC 3339 time.
    pub from: Option<String>,
    /// Before this RFC 3339 time.
    pub to: Option<String>,
    /// Page size, 1–100 (default 25).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn time(raw: &str) -> Result<DateTime<Utc>, &'static str> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| "must be an RFC 3339 time such as 2026-01-01T00:00:00Z")
}

impl LogParams {
    fn parse(self) -> Result<LogFilter, Problem> {
        let mut e = Vec::new();
        let page = PageParams {
            limit: self.limit,
            cursor: self.cursor,
        }
        .parse(&mut e);
        let status = field(&mut e, "status", self.status.as_deref(), |s| {
            AccessStatus::parse(s).ok_or("must be SUCCESS or FAILURE")
        });
        let from = field(&mut e, "from", self.from.as_deref(), time);
        let to = field(&mut e, "to", self.to.as_deref(), time);
        let action = field(&mut e, "action", self.action.as_deref(), |a| {
            check_action_name(a).map(str::to_owned)
        });
        check(e)?;
        Ok(LogFilter {
            action,
            status,
            from,
            to,
            page,
        })
    }
}

/// An authentication attempt (seed 003 shape, plus the client address).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLogResponse {
    /// When.
    pub timestamp: DateTime<Utc>,
    /// The e-mail address used or belonging to the key's user.
    pub user: Option<String>,
    /// `LOGIN`, `API_KEY` or `SESSION`.
    pub action: String,
    /// `SUCCESS` or `FAILURE`.
    pub status: String,
    /// The client's address.
    pub client_ip: Option<String>,
}

impl From<AccessLogEntry> for AccessLogResponse {
    fn from(e: AccessLogEntry) -> Self {
        Self {
            timestamp: e.created_at,
            user: e.email,
            action: e.action.as_str().to_owned(),
            status: e.status.as_str().to_owned(),
            client_ip: e.client_ip,
        }
    }
}

/// A recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogResponse {
    /// When.
    pub timestamp: DateTime<Utc>,
    /// The organization the change happened in.
    pub organization_id: Uuid,
    /// The actor's e-mail address.
    pub actor: Option<String>,
    /// The actor's id.
    pub actor_user_id: Option<Uuid>,
    /// The API key used, if any.
    pub actor_api_key_id: Option<Uuid>,
    /// What happened, e.g. `organization.update`.
    pub action: String,
    /// Kind of object changed.
    pub target_type: String,
    /// Id of the object changed.
    pub target_id: Uuid,
    /// Changed fields with their new values (never secrets).
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

impl From<AuditEntry> for AuditLogResponse {
    fn from(e: AuditEntry) -> Self {
        Self {
            timestamp: e.created_at,
            organization_id: e.organization_id,
            actor: e.actor,
            actor_user_id: e.actor_user_id,
            actor_api_key_id: e.actor_api_key_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            changes: e.changes,
        }
    }
}

/// The organization's access log, newest first.
#[utoipa::path(tag = "logs", params(("org_id" = Uuid, Path, description = "Organization id"), LogParams),
    responses((status = 200, body = ListResponse<AccessLogResponse>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/access_log")]
pub async fn access_log(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<LogParams>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let filter = query.into_inner().parse()?;
    let page = caller
        .run(&state, move |uc, actor| uc.access_log(actor, id, filter))
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page.map(AccessLogResponse::from))))
}

/// The organization's own audit log, newest first.
#[utoipa::path(tag = "logs", params(("org_id" = Uuid, Path, description = "Organization id"), LogParams),
    responses((status = 200, body = ListResponse<AuditLogResponse>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/audit_log")]
pub async fn audit_log(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<LogParams>,
) -> Result<HttpResponse, Problem> {
    audit(state, caller, id, query, false).await
}

/// The audit log of all sub-organizations (at any depth), newest first.
#[utoipa::path(tag = "logs", params(("org_id" = Uuid, Path, description = "Organization id"), LogParams),
    responses((status = 200, body = ListResponse<AuditLogResponse>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/children_audit")]
pub async fn children_audit(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<LogParams>,
) -> Result<HttpResponse, Problem> {
    audit(state, caller, id, query, true).await
}

/// The two audit routes differ only in the scope they read.
async fn audit(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<LogParams>,
    descendants: bool,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let filter = query.into_inner().parse()?;
    let page = caller
        .run(&state, move |uc, actor| {
            if descendants {
                uc.children_audit(actor, id, filter)
            } else {
                uc.audit_log(actor, id, filter)
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page.map(AuditLogResponse::from))))
}
