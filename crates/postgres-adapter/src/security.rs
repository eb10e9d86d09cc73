//! Security counts in PostgreSQL.

use crate::{store_error, PgRepositories};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamptz};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::security::SecurityFacts;
use orgplane_ports::store::*;

/// The organizations in scope: `$1` and below, or all of them when `$1` is NULL.
const IN_SCOPE: &str = "SELECT id FROM organizations WHERE deleted_at IS NULL \
    AND ($1::int8 IS NULL OR path @> ARRAY[$1::int8])";

#[derive(QueryableByName)]
struct Facts {
    #[diesel(sql_type = BigInt)]
    users: i64,
    #[diesel(sql_type = BigInt)]
    verified_users: i64,
    #[diesel(sql_type = BigInt)]
    api_keys: i64,
    #[diesel(sql_type = BigInt)]
    expiring_api_keys: i64,
    #[diesel(sql_type = BigInt)]
    password_checks: i64,
    #[diesel(sql_type = BigInt)]
    failed_password_checks: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl SecurityRepository for PgRepositories<'_> {
    fn security_facts(
        &mut self,
        root: Option<OrganizationId>,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<SecurityFacts> {
        let sql = format!(
            "WITH scope AS ({IN_SCOPE}) SELECT \
             (SELECT count(*) FROM users WHERE deleted_at IS NULL AND organization_id IN (SELECT id FROM scope)) AS users, \
             (SELECT count(*) FROM users WHERE deleted_at IS NULL AND verified_email AND organization_id IN (SELECT id FROM scope)) AS verified_users, \
             (SELECT count(*) FROM api_keys WHERE revoked_at IS NULL AND (active_until IS NULL OR active_until > $3) AND organization_id IN (SELECT id FROM scope)) AS api_keys, \
             (SELECT count(*) FROM api_keys WHERE revoked_at IS NULL AND active_until > $3 AND organization_id IN (SELECT id FROM scope)) AS expiring_api_keys, \
             (SELECT count(*) FROM access_log WHERE action = 'LOGIN' AND created_at >= $2 AND organization_id IN (SELECT id FROM scope)) AS password_checks, \
             (SELECT count(*) FROM access_log WHERE action = 'LOGIN' AND status = 'FAILURE' AND created_at >= $2 AND organization_id IN (SELECT id FROM scope)) AS failed_password_checks"
        );
        let facts: Facts = diesel::sql_query(sql)
            .bind::<Nullable<BigInt>, _>(root.map(|r| r.0))
            .bind::<Timestamptz, _>(since)
            .bind::<Timestamptz, _>(now)
            .get_result(self.conn)
            .map_err(store_error)?;
        let n = |v: i64| v.max(0) as u64;
        Ok(SecurityFacts {
            users: n(facts.users),
            verified_users: n(facts.verified_users),
            api_keys: n(facts.api_keys),
            expiring_api_keys: n(facts.expiring_api_keys),
            password_checks: n(facts.password_checks),
            failed_password_checks: n(facts.failed_password_checks),
        })
    }

    fn live_sessions(
        &mut self,
        root: Option<OrganizationId>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let sql = format!(
            "WITH scope AS ({IN_SCOPE}) SELECT count(*) AS n FROM sessions s \
             JOIN users u ON u.id = s.user_id AND u.deleted_at IS NULL \
             WHERE s.revoked_at IS NULL AND s.expires_at > $2 AND u.organization_id IN (SELECT id FROM scope)"
        );
        let count: Count = diesel::sql_query(sql)
            .bind::<Nullable<BigInt>, _>(root.map(|r| r.0))
            .bind::<Timestamptz, _>(now)
            .get_result(self.conn)
            .map_err(store_error)?;
        Ok(count.n.max(0) as u64)
    }
}
