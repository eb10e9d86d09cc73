//! `GET /orgs/{org_id}/tree`: an organization and everything below it, each with its
//! live figures and this month's usage, in one read (what the dashboard's tree shows);
//! `GET /orgs/tree`: the same for everything the caller reaches.

use super::problem::Problem;
use crate::extract::{check, field, Caller};
use crate::State;
use actix_web::get;
use actix_web::{web, HttpResponse};
use orgplane_domain::tree::TreeNode;
use orgplane_ports::usecase::{OrganizationTree, MAX_TREE_ORGANIZATIONS};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The default number of organizations in a tree.
const DEFAULT_LIMIT: usize = 1_000;

/// What `limit` must be, as the use case says it.
static LIMIT_RULE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("must be a whole number from 1 to {MAX_TREE_ORGANIZATIONS}")
});

/// Query of `GET /orgs/{org_id}/tree`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TreeParams {
    /// How many organizations at most, the root included: 1 to 5000 (default 1000).
    pub limit: Option<String>,
}

/// This month's usage of one organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct TreeMonthResponse {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// Messages sent.
    pub usage: u64,
    /// The monthly allowance (`null`: unlimited).
    pub limit: Option<i64>,
    /// Messages beyond the allowance.
    pub overage: u64,
    /// What the overage costs, in cents.
    pub spend: u64,
}

/// One organization of the tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct TreeOrganizationResponse {
    /// Its id.
    pub id: Uuid,
    /// Its parent's id (`null` for the tree's root).
    pub parent_id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Levels below the root (the root is 0).
    pub depth: usize,
    /// Suspended, by itself or an ancestor.
    pub suspended: bool,
    /// Its own live servers.
    pub servers_count: u64,
    /// Messages queued in its servers now.
    pub queued_count: u64,
    /// Messages sent in the last 60 seconds.
    pub sent_count: u64,
    /// Messages per second over the last 60 seconds.
    pub message_rate: f64,
    /// This month's usage against its limit.
    pub this_month: TreeMonthResponse,
}

/// `GET /orgs/{org_id}/tree`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TreeResponse {
    /// The root's id (`null` for `/orgs/tree`: everything the caller reaches, one tree per
    /// top-level organization for a platform administrator).
    pub organization_id: Option<Uuid>,
    /// Depth first: each organization right after its parent, siblings by name.
    pub organizations: Vec<TreeOrganizationResponse>,
    /// Whether the newest organizations were left out to stay within `limit`.
    pub truncated: bool,
}

impl From<TreeNode> for TreeOrganizationResponse {
    fn from(n: TreeNode) -> Self {
        Self {
            id: n.uuid,
            parent_id: n.parent_uuid,
            name: n.name,
            depth: n.depth,
            suspended: n.suspended,
            servers_count: n.servers_count,
            queued_count: n.queued_count,
            sent_count: n.sent_count,
            message_rate: n.message_rate,
            this_month: TreeMonthResponse {
                month: n.usage.month.to_string(),
                usage: n.usage.usage,
                limit: n.usage.limit.map(|l| l.get()),
                overage: n.usage.overage,
                spend: n.usage.spend,
            },
        }
    }
}

impl TreeResponse {
    fn of(root: Option<Uuid>, tree: OrganizationTree) -> Self {
        Self {
            organization_id: root,
            organizations: tree.organizations.into_iter().map(Into::into).collect(),
            truncated: tree.truncated,
        }
    }
}

/// The organization and its descendants with live figures (messages per second over the
/// last 60 s, queued, sent this month against the limit), depth first.
#[utoipa::path(tag = "statistics", params(("org_id" = Uuid, Path, description = "Organization id"), TreeParams),
    responses((status = 200, body = TreeResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/{org_id}/tree")]
pub async fn organization_tree(
    state: web::Data<State>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<TreeParams>,
) -> Result<HttpResponse, Problem> {
    answer(&state, caller, Some(id.into_inner()), &query).await
}

/// Everything the caller reaches as trees with live figures: its home organization's,
/// or, for a platform administrator, every top-level organization's.
#[utoipa::path(tag = "statistics", params(TreeParams),
    responses((status = 200, body = TreeResponse), (status = 400, body = Problem), (status = 401, body = Problem)),
    security(("bearer" = [])))]
#[get("/orgs/tree")]
pub async fn reach_tree(
    state: web::Data<State>,
    caller: Caller,
    query: web::Query<TreeParams>,
) -> Result<HttpResponse, Problem> {
    answer(&state, caller, None, &query).await
}

async fn answer(
    state: &State,
    caller: Caller,
    root: Option<Uuid>,
    query: &TreeParams,
) -> Result<HttpResponse, Problem> {
    let mut errors = Vec::new();
    let limit = field(&mut errors, "limit", query.limit.as_deref(), |raw| {
        // The range is the use case's rule; this only reads the number.
        raw.parse::<usize>().map_err(|_| LIMIT_RULE.as_str())
    })
    .unwrap_or(DEFAULT_LIMIT);
    check(errors)?;
    let tree = caller
        .run(state, move |uc, actor| uc.tree(actor, root, limit))
        .await?;
    Ok(HttpResponse::Ok().json(TreeResponse::of(root, tree)))
}
