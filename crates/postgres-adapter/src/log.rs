//! The audit and access logs in PostgreSQL.

use crate::schema::{access_log, api_keys, audit_log, organizations, users};
use crate::{corrupt, store_error, PgRepositories};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use orgplane_domain::audit::{
    AccessAction, AccessLogEntry, AccessStatus, AuditEntry, NewAuditEntry,
};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_domain::user::UserId;
use orgplane_ports::store::*;
use uuid::Uuid;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>);

type AuditRow = (
    i64,
    Uuid,
    Option<String>,
    Option<Uuid>,
    Option<Uuid>,
    String,
    String,
    Uuid,
    serde_json::Value,
    DateTime<Utc>,
);

impl AuditLogRepository for PgRepositories<'_> {
    fn append_audit(&mut self, entry: NewAuditEntry, now: DateTime<Utc>) -> StoreResult<()> {
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::organization_id.eq(entry.organization_id.0),
                audit_log::actor_user_id.eq(entry.actor_user_id.map(|u| u.0)),
                audit_log::actor_api_key_id.eq(entry.actor_api_key_id),
                audit_log::actor_session_id.eq(entry.actor_session_id),
                audit_log::action.eq(&entry.action),
                audit_log::target_type.eq(entry.target_type),
                audit_log::target_id.eq(entry.target_id),
                audit_log::changes.eq(&entry.changes),
                audit_log::created_at.eq(now),
            ))
            .execute(self.conn)
            .map(|_| ())
            .map_err(store_error)
    }

    fn list_audit(
        &mut self,
        query: &AuditQuery,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<AuditEntry>> {
        let mut q = audit_log::table
            .inner_join(organizations::table)
            .left_join(users::table.on(audit_log::actor_user_id.eq(users::id.nullable())))
            .left_join(api_keys::table.on(audit_log::actor_api_key_id.eq(api_keys::id.nullable())))
            .into_boxed();
        let org = query.organization.0;
        q = if query.descendants {
            q.filter(
                organizations::path
                    .contains(vec![org])
                    .and(organizations::id.ne(org)),
            )
        } else {
            q.filter(audit_log::organization_id.eq(org))
        };
        if let Some(action) = &query.action {
            q = q.filter(audit_log::action.eq(action.clone()));
        }
        if let Some(from) = query.from {
            q = q.filter(audit_log::created_at.ge(from));
        }
        if let Some(to) = query.to {
            q = q.filter(audit_log::created_at.lt(to));
        }
        if let Some(cursor) = after {
            q = q.filter(audit_log::id.lt(cursor.after));
        }
        let rows: Vec<AuditRow> = q
            .order(audit_log::id.desc())
            .limit(limit as i64)
            .select((
                audit_log::id,
                organizations::uuid,
                users::email.nullable(),
                users::uuid.nullable(),
                api_keys::uuid.nullable(),
                audit_log::action,
                audit_log::target_type,
                audit_log::target_id,
                audit_log::changes,
                audit_log::created_at,
            ))
            .load(self.conn)
            .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    organization_id,
                    actor,
                    actor_user_id,
                    actor_api_key_id,
                    action,
                    target_type,
                    target_id,
                    changes,
                    created_at,
                )| {
                    AuditEntry {
                        id,
                        organization_id,
                        actor,
                        actor_user_id,
                        actor_api_key_id,
                        action,
                        target_type,
                        target_id,
                        changes,
                        created_at,
                    }
                },
            )
            .collect())
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = access_log)]
struct AccessRow {
    id: i64,
    organization_id: Option<i64>,
    user_id: Option<i64>,
    email: Option<String>,
    action: String,
    status: String,
    client_ip: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<AccessRow> for AccessLogEntry {
    type Error = StoreError;

    fn try_from(row: AccessRow) -> StoreResult<Self> {
        Ok(AccessLogEntry {
            id: row.id,
            organization_id: row.organization_id.map(OrganizationId),
            user_id: row.user_id.map(UserId),
            email: row.email,
            action: AccessAction::parse(&row.action)
                .ok_or_else(|| corrupt("access action", &row.action))?,
            status: AccessStatus::parse(&row.status)
                .ok_or_else(|| corrupt("access status", &row.status))?,
            client_ip: row.client_ip,
            created_at: row.created_at,
        })
    }
}

impl AccessLogRepository for PgRepositories<'_> {
    fn mark_access_success(&mut self, id: i64) -> StoreResult<()> {
        diesel::update(access_log::table.find(id))
            .set(access_log::status.eq(AccessStatus::Success.as_str()))
            .execute(self.conn)
            .map(|_| ())
            .map_err(store_error)
    }

    fn lock_login_attempts(&mut self, email: &str, client_ip: Option<&str>) -> StoreResult<()> {
        let mut keys = vec![format!("login:{}", email.to_ascii_lowercase())];
        keys.extend(client_ip.map(|ip| format!("login-client:{ip}")));
        for key in keys {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind::<diesel::sql_types::Text, _>(key)
                .execute(self.conn)
                .map_err(store_error)?;
        }
        Ok(())
    }

    fn append_access(&mut self, entry: NewAccessLogEntry, now: DateTime<Utc>) -> StoreResult<i64> {
        diesel::insert_into(access_log::table)
            .values((
                access_log::organization_id.eq(entry.organization_id.map(|o| o.0)),
                access_log::user_id.eq(entry.user_id.map(|u| u.0)),
                access_log::email.eq(entry.email),
                access_log::action.eq(entry.action.as_str()),
                access_log::status.eq(entry.status.as_str()),
                access_log::client_ip.eq(entry.client_ip),
                access_log::created_at.eq(now),
            ))
            .returning(access_log::id)
            .get_result(self.conn)
            .map_err(store_error)
    }

    fn list_access(
        &mut self,
        query: &AccessQuery,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<AccessLogEntry>> {
        let mut q = access_log::table
            .filter(access_log::organization_id.eq(query.organization.0))
            .into_boxed();
        if let Some(action) = query.action {
            q = q.filter(access_log::action.eq(action.as_str()));
        }
        if let Some(status) = query.status {
            q = q.filter(access_log::status.eq(status.as_str()));
        }
        if let Some(from) = query.from {
            q = q.filter(access_log::created_at.ge(from));
        }
        if let Some(to) = query.to {
            q = q.filter(access_log::created_at.lt(to));
        }
        if let Some(cursor) = after {
            q = q.filter(access_log::id.lt(cursor.after));
        }
        q.order(access_log::id.desc())
            .limit(limit as i64)
            .select(AccessRow::as_select())
            .load(self.conn)
            .map_err(store_error)?
            .into_iter()
            .map(AccessLogEntry::try_from)
            .collect()
    }

    fn recent_login_failures(
        &mut self,
        email: Option<&str>,
        client_ip: Option<&str>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<DateTime<Utc>>> {
        let mut q = access_log::table
            .filter(access_log::action.eq(AccessAction::Login.as_str()))
            .filter(access_log::status.eq(AccessStatus::Failure.as_str()))
            .filter(access_log::created_at.gt(since))
            .into_boxed();
        if let Some(email) = email {
            q = q.filter(lower(access_log::email).eq(email.to_ascii_lowercase()));
        }
        if let Some(ip) = client_ip {
            q = q.filter(access_log::client_ip.eq(ip.to_owned()));
        }
        q.order(access_log::created_at.desc())
            .limit(limit as i64)
            .select(access_log::created_at)
            .load(self.conn)
            .map_err(store_error)
    }
}
