//! Reading the access and audit logs.

use super::{PageRequest, ServiceResult};
use chrono::{DateTime, Utc};
use orgplane_domain::access::Actor;
use orgplane_domain::audit::{AccessLogEntry, AccessStatus, AuditEntry};
use orgplane_domain::page::Page;
use uuid::Uuid;

/// Filters for the logs.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Only this action (audit: e.g. `organization.update`; access: `LOGIN`, ...).
    pub action: Option<String>,
    /// Only this status (access log).
    pub status: Option<AccessStatus>,
    /// Not before.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    /// Paging.
    pub page: PageRequest,
}

/// An access-log entry as shown (with the user's address resolved).
pub type AccessLogView = AccessLogEntry;

/// Reading the logs.
pub trait Logs: Send + Sync {
    /// An organization's access log.
    fn access_log(
        &self,
        actor: &Actor,
        organization: Uuid,
        filter: LogFilter,
    ) -> ServiceResult<Page<AccessLogView>>;
    /// An organization's own audit log.
    fn audit_log(
        &self,
        actor: &Actor,
        organization: Uuid,
        filter: LogFilter,
    ) -> ServiceResult<Page<AuditEntry>>;
    /// The audit log of all of an organization's descendants.
    fn children_audit(
        &self,
        actor: &Actor,
        organization: Uuid,
        filter: LogFilter,
    ) -> ServiceResult<Page<AuditEntry>>;
}
