//! API keys and login sessions in PostgreSQL.

use crate::schema::{api_keys, sessions, users};
use crate::user::UserRow;
use crate::{corrupt, store_error, PgRepositories};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use orgplane_domain::api_key::{ApiKey, ApiKeyMode};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_domain::user::{User, UserId};
use orgplane_ports::store::*;
use uuid::Uuid;

#[derive(Queryable, Selectable)]
#[diesel(table_name = api_keys)]
struct ApiKeyRow {
    id: i64,
    uuid: Uuid,
    organization_id: i64,
    user_id: i64,
    mode: String,
    prefix: String,
    active_until: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;

    fn try_from(row: ApiKeyRow) -> StoreResult<Self> {
        Ok(ApiKey {
            id: row.id,
            uuid: row.uuid,
            user_id: UserId(row.user_id),
            organization_id: OrganizationId(row.organization_id),
            mode: ApiKeyMode::parse(&row.mode).map_err(|e| corrupt("key mode", e))?,
            prefix: row.prefix,
            active_until: row.active_until,
            revoked_at: row.revoked_at,
            last_used_at: row.last_used_at,
            created_at: row.created_at,
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sessions)]
struct SessionRow {
    id: i64,
    user_id: i64,
    organization_id: i64,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        Session {
            id: row.id,
            user_id: UserId(row.user_id),
            organization_id: OrganizationId(row.organization_id),
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        }
    }
}

impl ApiKeyRepository for PgRepositories<'_> {
    fn insert_api_key(&mut self, new: InsertApiKey) -> StoreResult<ApiKey> {
        diesel::insert_into(api_keys::table)
            .values((
                api_keys::uuid.eq(new.uuid),
                api_keys::organization_id.eq(new.organization_id.0),
                api_keys::user_id.eq(new.user_id.0),
                api_keys::mode.eq(new.mode.as_str()),
                api_keys::prefix.eq(&new.prefix),
                api_keys::key_hash.eq(new.hash.as_slice()),
                api_keys::active_until.eq(new.active_until),
                api_keys::created_at.eq(new.now),
            ))
            .returning(ApiKeyRow::as_returning())
            .get_result(self.conn)
            .map_err(store_error)?
            .try_into()
    }

    fn api_key_by_hash(
        &mut self,
        hash: &SecretHash,
    ) -> StoreResult<Option<(ApiKey, Option<User>)>> {
        let found: Option<(ApiKeyRow, Option<UserRow>)> = api_keys::table
            .left_join(
                users::table.on(users::id
                    .eq(api_keys::user_id)
                    .and(users::deleted_at.is_null())),
            )
            .filter(api_keys::key_hash.eq(hash.as_slice()))
            .select((ApiKeyRow::as_select(), Option::<UserRow>::as_select()))
            .first(self.conn)
            .optional()
            .map_err(store_error)?;
        found
            .map(|(key, user)| Ok((key.try_into()?, user.map(User::try_from).transpose()?)))
            .transpose()
    }

    fn api_key_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<ApiKey>> {
        api_keys::table
            .filter(api_keys::uuid.eq(uuid).and(api_keys::revoked_at.is_null()))
            .select(ApiKeyRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(store_error)?
            .map(ApiKey::try_from)
            .transpose()
    }

    fn list_api_keys(
        &mut self,
        user: UserId,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<ApiKey>> {
        api_keys::table
            .filter(
                api_keys::user_id
                    .eq(user.0)
                    .and(api_keys::revoked_at.is_null()),
            )
            .filter(api_keys::id.gt(after.map_or(0, |c| c.after)))
            .order(api_keys::id.asc())
            .limit(limit as i64)
            .select(ApiKeyRow::as_select())
            .load(self.conn)
            .map_err(store_error)?
            .into_iter()
            .map(ApiKey::try_from)
            .collect()
    }

    fn touch_api_key(&mut self, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        diesel::update(api_keys::table.find(id))
            .set(api_keys::last_used_at.eq(now))
            .execute(self.conn)
            .map(|_| ())
            .map_err(store_error)
    }

    fn revoke_api_key(&mut self, id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
        // The row lock of the UPDATE settles concurrent revocations: one of them wins.
        diesel::update(
            api_keys::table.filter(api_keys::id.eq(id).and(api_keys::revoked_at.is_null())),
        )
        .set(api_keys::revoked_at.eq(now))
        .execute(self.conn)
        .map(|n| n == 1)
        .map_err(store_error)
    }
}

impl SessionRepository for PgRepositories<'_> {
    fn revoke_user_sessions(
        &mut self,
        user: UserId,
        except: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        diesel::update(
            sessions::table
                .filter(sessions::user_id.eq(user.0))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::id.ne(except.unwrap_or(-1))),
        )
        .set(sessions::revoked_at.eq(now))
        .execute(self.conn)
        .map(|n| n as u64)
        .map_err(store_error)
    }

    fn insert_session(
        &mut self,
        user: UserId,
        organization: OrganizationId,
        hash: SecretHash,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Session> {
        diesel::insert_into(sessions::table)
            .values((
                sessions::user_id.eq(user.0),
                sessions::organization_id.eq(organization.0),
                sessions::token_hash.eq(hash.as_slice()),
                sessions::expires_at.eq(expires_at),
                sessions::created_at.eq(now),
            ))
            .returning(SessionRow::as_returning())
            .get_result(self.conn)
            .map(Session::from)
            .map_err(store_error)
    }

    fn session_by_hash(
        &mut self,
        hash: &SecretHash,
    ) -> StoreResult<Option<(Session, Option<User>)>> {
        let found: Option<(SessionRow, Option<UserRow>)> = sessions::table
            .left_join(
                users::table.on(users::id
                    .eq(sessions::user_id)
                    .and(users::deleted_at.is_null())),
            )
            .filter(sessions::token_hash.eq(hash.as_slice()))
            .select((SessionRow::as_select(), Option::<UserRow>::as_select()))
            .first(self.conn)
            .optional()
            .map_err(store_error)?;
        found
            .map(|(session, user)| Ok((session.into(), user.map(User::try_from).transpose()?)))
            .transpose()
    }

    fn revoke_session(&mut self, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        diesel::update(
            sessions::table.filter(sessions::id.eq(id).and(sessions::revoked_at.is_null())),
        )
        .set(sessions::revoked_at.eq(now))
        .execute(self.conn)
        .map(|_| ())
        .map_err(store_error)
    }
}
