//! `GET /api/organizations` and `GET /api/stats`.

use super::{Detail, DetailError};
use crate::extract::{field, millis_z, query, Caller};
use crate::State;
use actix_web::{get, web, HttpRequest, HttpResponse};
use orgplane_ports::usecase::{FindOrganizations, OrganizationScope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The most organizations one answer lists.
const MAX_LIST: usize = 1000;

/// An organization with what it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationSummary {
    /// `org-` and the organization's UUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Main mail domain.
    pub domain: Option<String>,
    /// Users whose home it is.
    pub users_count: u64,
    /// Its workspaces: its mail servers.
    pub workspaces_count: u64,
    /// Creation time (UTC, milliseconds).
    pub created_at: String,
}

/// `GET /api/stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// Login sessions live now, of users the caller reaches.
    pub active_sessions: u64,
    /// Mail servers of every organization the caller reaches.
    pub total_workspaces: u64,
    /// Users of every organization the caller reaches.
    pub total_users: u64,
    /// 0–100: the mean share of verified users, of expiring API keys and of successful
    /// password checks in the last 24 hours.
    pub security_score: u8,
    /// The share of this process's answers, since it started, that were not server
    /// errors, e.g. `"99.9%"`.
    pub uptime: String,
}

/// Query of `GET /api/organizations`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// How many to skip (default 0).
    pub skip: Option<String>,
    /// At most this many, 1–1000 (default 1000).
    pub limit: Option<String>,
}

/// The organizations the caller reaches (its own and everything below it), oldest first,
/// as a bare array. `X-Total-Count` tells how many there are in all.
#[utoipa::path(tag = "overview", params(ListParams),
    responses((status = 200, body = Vec<OrganizationSummary>), (status = 400, body = Detail), (status = 401, body = Detail)),
    security(("bearer" = [])))]
#[get("/api/organizations")]
pub async fn list(
    state: web::Data<State>,
    caller: Caller<DetailError>,
    req: HttpRequest,
) -> Result<HttpResponse, DetailError> {
    let params: ListParams = query(&req)?;
    let e = &mut Vec::new();
    let skip = field(e, "skip", params.skip.as_deref(), |raw| {
        raw.parse::<u64>()
            .map_err(|_| "must be a whole number, 0 or more")
    });
    let limit = field(e, "limit", params.limit.as_deref(), |raw| {
        raw.parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIST).contains(n))
            .ok_or("must be a whole number from 1 to 1000")
    });
    if !e.is_empty() {
        return Err(orgplane_ports::usecase::ServiceError::Invalid(std::mem::take(e)).into());
    }
    let (found, counts) = caller
        .run(&state, move |uc, actor| {
            let found = uc.find_organizations(
                actor,
                FindOrganizations {
                    scope: OrganizationScope::Reach,
                    offset: skip.unwrap_or(0),
                    limit: limit.unwrap_or(MAX_LIST),
                    ..Default::default()
                },
            )?;
            let counts = uc.organization_counts(actor, &found.items)?;
            Ok((found, counts))
        })
        .await?;
    let body: Vec<OrganizationSummary> = found
        .items
        .iter()
        .map(|view| {
            let o = &view.organization;
            let counts = counts.iter().find(|c| c.organization == o.uuid);
            OrganizationSummary {
                id: format!("org-{}", o.uuid),
                name: o.name.as_str().to_owned(),
                domain: o.profile.domain.as_ref().map(|d| d.as_str().to_owned()),
                users_count: counts.map_or(0, |c| c.users),
                workspaces_count: counts.map_or(0, |c| c.servers),
                created_at: millis_z(o.created_at),
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("X-Total-Count", found.total.to_string()))
        .json(body))
}

/// Totals over everything the caller reaches (the same organizations as the list: its
/// totals are the list's sums), the security score and this process's uptime.
#[utoipa::path(tag = "overview",
    responses((status = 200, body = Stats), (status = 401, body = Detail)),
    security(("bearer" = [])))]
#[get("/api/stats")]
pub async fn stats(
    state: web::Data<State>,
    caller: Caller<DetailError>,
) -> Result<HttpResponse, DetailError> {
    let overview = caller
        .run(&state, move |uc, actor| uc.security_overview(actor))
        .await?;
    let (answered, failed) = state.metrics.answers();
    Ok(HttpResponse::Ok().json(Stats {
        active_sessions: overview.active_sessions,
        total_workspaces: overview.servers,
        total_users: overview.facts.users,
        security_score: overview.facts.score(),
        uptime: uptime(answered, failed),
    }))
}

/// The share of answers that were not server errors, in percent with one decimal; a
/// process that has answered nothing yet has been up all along. Rounded down, so that
/// one failure in a million never shows as a perfect "100.0%".
fn uptime(answered: u64, failed: u64) -> String {
    if answered == 0 {
        return "100.0%".to_owned();
    }
    let tenths = 1000 * u128::from(answered - failed.min(answered)) / u128::from(answered);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::uptime;

    #[test]
    fn uptime_is_the_share_of_answers_without_a_server_error() {
        assert_eq!(uptime(0, 0), "100.0%");
        assert_eq!(uptime(10, 0), "100.0%");
        assert_eq!(uptime(4, 1), "75.0%");
        assert_eq!(uptime(3, 3), "0.0%");
    }

    #[test]
    fn uptime_never_rounds_a_failure_up_to_perfect() {
        assert_eq!(uptime(1_000_000, 1), "99.9%");
        assert_eq!(uptime(3, 1), "66.6%");
    }
}
