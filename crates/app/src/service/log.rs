//! Reading the access and audit logs.

use super::{reachable_organization, Services};
use orgplane_domain::access::{Actor, Permission};
use orgplane_domain::audit::{AccessAction, AuditEntry};
use orgplane_domain::page::Page;
use orgplane_ports::store::{AccessQuery, AuditQuery, Store};
use orgplane_ports::usecase::*;
use uuid::Uuid;

fn check_range(filter: &LogFilter) -> ServiceResult<()> {
    match (filter.from, filter.to) {
        (Some(from), Some(to)) if from >= to => Err(ServiceError::Invalid(vec![FieldError::new(
            "from",
            "must be before `to`",
        )])),
        _ => Ok(()),
    }
}

impl<S: Store> Services<S> {
    fn audit_entries(
        &self,
        actor: &Actor,
        organization: Uuid,
        filter: LogFilter,
        descendants: bool,
    ) -> ServiceResult<Page<AuditEntry>> {
        check_range(&filter)?;
        self.read(|r| {
            let org = reachable_organization(r, actor, organization)?;
            actor.authorize(Permission::ViewLogs, &org)?;
            let query = AuditQuery {
                organization: org.id,
                descendants,
                action: filter.action.clone(),
                from: filter.from,
                to: filter.to,
            };
            let found = r.list_audit(&query, filter.page.cursor, filter.page.fetch())?;
            Ok(Page::from_overfetch(found, filter.page.limit, |e| e.id))
        })
    }
}

impl<S: Store> Logs for Services<S> {
    fn access_log(
        &self,
        actor: &Actor,
        organization: Uuid,
        filter: LogFilter,
    ) -> ServiceResult<Page<AccessLogView>> {
        check_range(&filter)?;
        let action = filter
            .action
            .as_deref()
            .map(|a| {
                AccessAction::parse(a).ok_or_else(|| {
                    ServiceError::Invalid(vec![FieldError::new(
                        "action",
                        "must be one of LOGIN, API_KEY, SESSION",
                    )])
                })
            })
            .transpose()?;
        self.read(|r| {
            let org = reachable_organization(r, actor, organization)?;
            actor.authorize(Permission::ViewLogs, &org)?;
            let query = AccessQuery {
                organization: org.id,
                action,
                status: filter.status,
                from: filter.from,
                to: filter.to,
            };
            let found = r.list_access(&query, filter.page.cursor, filter.page.fetch())?;
            Ok(Page::from_overfetch(found, filter.page.limit, |e| e.id))
        })
    }

    fn audit_log(
        &self,
        actor: &Actor,
        organization: Uuid,
        filter: LogFilter,
    ) -> ServiceResult<Page<AuditEntry>> {
        self.audit_entries(actor, organization, filter, false)
    }

    fn children_audit(
        &self,
        actor: &Actor,
        organization: Uuid,
        filter: LogFilter,
    ) -> ServiceResult<Page<AuditEntry>> {
        self.audit_entries(actor, organization, filter, true)
    }
}
