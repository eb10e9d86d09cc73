//! The audit log (every change) and the access log (every authentication attempt).

use super::StoreResult;
use chrono::{DateTime, Utc};
use orgplane_domain::audit::{
    AccessAction, AccessLogEntry, AccessStatus, AuditEntry, NewAuditEntry,
};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_domain::user::UserId;

/// Which audit entries to list.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    /// The organization.
    pub organization: OrganizationId,
    /// `false`: the organization's own entries; `true`: those of all its descendants
    /// (the organization itself excluded).
    pub descendants: bool,
    /// Only this action.
    pub action: Option<String>,
    /// Not before.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

/// The audit log.
pub trait AuditLogRepository {
    /// Appends an entry.
    fn append_audit(&mut self, entry: NewAuditEntry, now: DateTime<Utc>) -> StoreResult<()>;
    /// Entries matching `query`, newest first, before cursor `after` (which is then a
    /// key upper bound).
    fn list_audit(
        &mut self,
        query: &AuditQuery,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<AuditEntry>>;
}

/// An authentication attempt to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccessLogEntry {
    /// The organization it can be tied to.
    pub organization_id: Option<OrganizationId>,
    /// The user, if known.
    pub user_id: Option<UserId>,
    /// The address used.
    pub email: Option<String>,
    /// How.
    pub action: AccessAction,
    /// Outcome.
    pub status: AccessStatus,
    /// Client address.
    pub client_ip: Option<String>,
}

/// Which access-log entries to list.
#[derive(Debug, Clone)]
pub struct AccessQuery {
    /// The organization.
    pub organization: OrganizationId,
    /// Only this action.
    pub action: Option<AccessAction>,
    /// Only this status.
    pub status: Option<AccessStatus>,
    /// Not before.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

/// The access log.
pub trait AccessLogRepository {
    /// Appends an entry; returns its key.
    fn append_access(&mut self, entry: NewAccessLogEntry, now: DateTime<Utc>) -> StoreResult<i64>;
    /// Turns a (provisional) failure into a success.
    fn mark_access_success(&mut self, id: i64) -> StoreResult<()>;
    /// Serializes password checks for this address and this client until the transaction
    /// ends (address first, then client), so that parallel attempts cannot all pass the
    /// throttle before any of them is recorded.
    fn lock_login_attempts(&mut self, email: &str, client_ip: Option<&str>) -> StoreResult<()>;
    /// Entries matching `query`, newest first, older than cursor `after`.
    fn list_access(
        &mut self,
        query: &AccessQuery,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<AccessLogEntry>>;
    /// When the most recent failed logins after `since` (exclusive) happened, newest first,
    /// at most `limit`, for this e-mail address (case-insensitively) or this client.
    fn recent_login_failures(
        &mut self,
        email: Option<&str>,
        client_ip: Option<&str>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<DateTime<Utc>>>;
}
