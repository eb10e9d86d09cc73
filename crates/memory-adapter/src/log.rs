//! The audit and access logs in memory.

use crate::{before, State};
use chrono::{DateTime, Utc};
use orgplane_domain::audit::{AccessLogEntry, AuditEntry, NewAuditEntry};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_ports::store::*;

impl AuditLogRepository for State {
    fn append_audit(&mut self, entry: NewAuditEntry, now: DateTime<Utc>) -> StoreResult<()> {
        let id = self.id();
        self.audit.push((entry, id, now));
        Ok(())
    }

    fn list_audit(
        &mut self,
        query: &AuditQuery,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<AuditEntry>> {
        let in_scope =
            |org: OrganizationId| match self.organizations.iter().find(|(o, _)| o.id == org) {
                Some((o, _)) if query.descendants => {
                    o.id != query.organization && o.is_within(query.organization)
                }
                Some((o, _)) => o.id == query.organization,
                None => false,
            };
        let mut entries: Vec<AuditEntry> = self
            .audit
            .iter()
            .filter(|(e, id, at)| {
                *id < before(cursor)
                    && in_scope(e.organization_id)
                    && query.action.as_ref().is_none_or(|a| &e.action == a)
                    && query.from.is_none_or(|from| *at >= from)
                    && query.to.is_none_or(|to| *at < to)
            })
            .map(|(e, id, at)| {
                let org_uuid = self
                    .organizations
                    .iter()
                    .find(|(o, _)| o.id == e.organization_id)
                    .map(|(o, _)| o.uuid);
                let actor = e
                    .actor_user_id
                    .and_then(|u| self.users.iter().find(|(x, _)| x.id == u))
                    .map(|(u, _)| u);
                let key = e
                    .actor_api_key_id
                    .and_then(|k| self.api_keys.iter().find(|(x, _)| x.id == k))
                    .map(|(k, _)| k.uuid);
                AuditEntry {
                    id: *id,
                    organization_id: org_uuid.unwrap_or_default(),
                    actor: actor.map(|u| u.email.as_str().to_owned()),
                    actor_user_id: actor.map(|u| u.uuid),
                    actor_api_key_id: key,
                    action: e.action.clone(),
                    target_type: e.target_type.to_owned(),
                    target_id: e.target_id,
                    changes: e.changes.clone(),
                    created_at: *at,
                }
            })
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.id));
        entries.truncate(limit);
        Ok(entries)
    }
}

impl AccessLogRepository for State {
    fn mark_access_success(&mut self, id: i64) -> StoreResult<()> {
        for entry in self.access.iter_mut().filter(|e| e.id == id) {
            entry.status = orgplane_domain::audit::AccessStatus::Success;
        }
        Ok(())
    }

    fn lock_login_attempts(&mut self, _email: &str, _client_ip: Option<&str>) -> StoreResult<()> {
        // Transactions already run one at a time here.
        Ok(())
    }

    fn append_access(&mut self, entry: NewAccessLogEntry, now: DateTime<Utc>) -> StoreResult<i64> {
        let id = self.id();
        self.access.push(AccessLogEntry {
            id,
            organization_id: entry.organization_id,
            user_id: entry.user_id,
            email: entry.email,
            action: entry.action,
            status: entry.status,
            client_ip: entry.client_ip,
            created_at: now,
        });
        Ok(id)
    }

    fn list_access(
        &mut self,
        query: &AccessQuery,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<AccessLogEntry>> {
        let mut entries: Vec<AccessLogEntry> = self
            .access
            .iter()
            .filter(|e| {
                e.organization_id == Some(query.organization)
                    && e.id < before(cursor)
                    && query.action.is_none_or(|a| e.action == a)
                    && query.status.is_none_or(|s| e.status == s)
                    && query.from.is_none_or(|from| e.created_at >= from)
                    && query.to.is_none_or(|to| e.created_at < to)
            })
            .cloned()
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.id));
        entries.truncate(limit);
        Ok(entries)
    }

    fn recent_login_failures(
        &mut self,
        email: Option<&str>,
        client_ip: Option<&str>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<DateTime<Utc>>> {
        use orgplane_domain::audit::{AccessAction, AccessStatus};
        let mut times: Vec<DateTime<Utc>> = self
            .access
            .iter()
            .filter(|e| {
                e.action == AccessAction::Login
                    && e.status == AccessStatus::Failure
                    && e.created_at > since
            })
            .filter(|e| {
                email.is_none_or(|m| {
                    e.email
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(m))
                })
            })
            .filter(|e| client_ip.is_none_or(|ip| e.client_ip.as_deref() == Some(ip)))
            .map(|e| e.created_at)
            .collect();
        times.sort_by(|a, b| b.cmp(a));
        times.truncate(limit);
        Ok(times)
    }
}
