//! Users in PostgreSQL.

use crate::schema::{api_keys, organizations, sessions, users};
use crate::{corrupt, like_pattern, store_error, PgRepositories};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use orgplane_domain::access::Role;
use orgplane_domain::organization::{OrganizationId, PhoneNumber};
use orgplane_domain::page::Cursor;
use orgplane_domain::user::*;
use orgplane_ports::store::*;
use uuid::Uuid;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    id: i64,
    uuid: Uuid,
    organization_id: i64,
    current_organization_id: i64,
    email: String,
    name: String,
    phone_number: Option<String>,
    password_hash: String,
    verified_email: bool,
    pending_invite: bool,
    roles: Vec<String>,
    email_preferences: serde_json::Value,
    last_login_time: Option<DateTime<Utc>>,
    previous_emails: Vec<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn preferences_from_json(value: &serde_json::Value) -> StoreResult<EmailPreferences> {
    let raw = value
        .get("orderPreviewSendPreference")
        .and_then(|v| v.as_str())
        .ok_or_else(|| corrupt("email preferences", value))?;
    let order_preview_send_preference =
        OrderPreviewSendPreference::parse(raw).map_err(|e| corrupt("email preferences", e))?;
    Ok(EmailPreferences {
        order_preview_send_preference,
    })
}

fn preferences_to_json(p: &EmailPreferences) -> serde_json::Value {
    serde_json::json!({ "orderPreviewSendPreference": p.order_preview_send_preference.as_str() })
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> StoreResult<Self> {
        Ok(User {
            id: UserId(row.id),
            uuid: row.uuid,
            email: Email::parse(&row.email).map_err(|e| corrupt("email", e))?,
            name: UserName::parse(&row.name).map_err(|e| corrupt("user name", e))?,
            phone_number: row
                .phone_number
                .map(|p| PhoneNumber::parse(&p).map_err(|e| corrupt("phone", e)))
                .transpose()?,
            password_hash: PasswordHash(row.password_hash),
            verified_email: row.verified_email,
            pending_invite: row.pending_invite,
            roles: row
                .roles
                .iter()
                .map(|r| Role::parse(r).map_err(|e| corrupt("role", e)))
                .collect::<StoreResult<_>>()?,
            email_preferences: preferences_from_json(&row.email_preferences)?,
            last_login_time: row.last_login_time,
            previous_emails: row
                .previous_emails
                .iter()
                .map(|e| Email::parse(e).map_err(|err| corrupt("previous email", err)))
                .collect::<StoreResult<_>>()?,
            home_organization_id: OrganizationId(row.organization_id),
            current_organization_id: OrganizationId(row.current_organization_id),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(AsChangeset, Insertable)]
#[diesel(table_name = users, treat_none_as_null = true)]
struct UserChanges<'a> {
    email: &'a str,
    name: &'a str,
    phone_number: Option<&'a str>,
    password_hash: &'a str,
    verified_email: bool,
    pending_invite: bool,
    roles: Vec<&'static str>,
    email_preferences: serde_json::Value,
    last_login_time: Option<DateTime<Utc>>,
    previous_emails: Vec<&'a str>,
    current_organization_id: i64,
    updated_at: DateTime<Utc>,
}

impl<'a> UserChanges<'a> {
    fn of(user: &'a User) -> Self {
        Self {
            email: user.email.as_str(),
            name: user.name.as_str(),
            phone_number: user.phone_number.as_ref().map(PhoneNumber::as_str),
            password_hash: &user.password_hash.0,
            verified_email: user.verified_email,
            pending_invite: user.pending_invite,
            roles: user.roles.iter().map(|r| r.as_str()).collect(),
            email_preferences: preferences_to_json(&user.email_preferences),
            last_login_time: user.last_login_time,
            previous_emails: user.previous_emails.iter().map(Email::as_str).collect(),
            current_organization_id: user.current_organization_id.0,
            updated_at: user.updated_at,
        }
    }
}

fn live() -> diesel::dsl::IsNull<users::deleted_at> {
    users::deleted_at.is_null()
}

impl PgRepositories<'_> {
    /// Ends every key and session of these users.
    pub(crate) fn revoke_credentials(
        &mut self,
        users: &[i64],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        diesel::update(
            api_keys::table.filter(
                api_keys::user_id
                    .eq_any(users)
                    .and(api_keys::revoked_at.is_null()),
            ),
        )
        .set(api_keys::revoked_at.eq(now))
        .execute(self.conn)
        .map_err(store_error)?;
        diesel::update(
            sessions::table.filter(
                sessions::user_id
                    .eq_any(users)
                    .and(sessions::revoked_at.is_null()),
            ),
        )
        .set(sessions::revoked_at.eq(now))
        .execute(self.conn)
        .map_err(store_error)?;
        Ok(())
    }

    fn first_user(
        &mut self,
        query: users::BoxedQuery<'_, diesel::pg::Pg>,
    ) -> StoreResult<Option<User>> {
        query
            .filter(live())
            .select(UserRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(store_error)?
            .map(User::try_from)
            .transpose()
    }
}

impl UserRepository for PgRepositories<'_> {
    fn insert_user(&mut self, new: InsertUser) -> StoreResult<User> {
        // The database assigns the id; everything else is known already.
        let user = new.into_user(UserId(0));
        let id: i64 = diesel::insert_into(users::table)
            .values((
                users::uuid.eq(user.uuid),
                users::organization_id.eq(user.home_organization_id.0),
                users::created_at.eq(user.created_at),
                UserChanges::of(&user),
            ))
            .returning(users::id)
            .get_result(self.conn)
            .map_err(store_error)?;
        Ok(User {
            id: UserId(id),
            ..user
        })
    }

    fn user(&mut self, id: UserId) -> StoreResult<Option<User>> {
        self.first_user(users::table.filter(users::id.eq(id.0)).into_boxed())
    }

    fn lock_user(&mut self, id: UserId, lock: Lock) -> StoreResult<Option<User>> {
        let query = users::table
            .filter(users::id.eq(id.0).and(live()))
            .select(UserRow::as_select());
        match lock {
            Lock::Share => query.for_share().first(self.conn),
            Lock::Update => query.for_no_key_update().first(self.conn),
        }
        .optional()
        .map_err(store_error)?
        .map(User::try_from)
        .transpose()
    }

    fn record_login(&mut self, id: UserId, now: DateTime<Utc>) -> StoreResult<()> {
        diesel::update(users::table.filter(users::id.eq(id.0).and(live())))
            .set(users::last_login_time.eq(now))
            .execute(self.conn)
            .map(|_| ())
            .map_err(store_error)
    }

    fn user_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<User>> {
        self.first_user(users::table.filter(users::uuid.eq(uuid)).into_boxed())
    }

    fn user_by_email(&mut self, email: &Email) -> StoreResult<Option<User>> {
        self.first_user(
            users::table
                .filter(lower(users::email).eq(email.normalized()))
                .into_boxed(),
        )
    }

    fn list_users(
        &mut self,
        organization: OrganizationId,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<User>> {
        users::table
            .filter(live().and(users::organization_id.eq(organization.0)))
            .filter(users::id.gt(after.map_or(0, |c| c.after)))
            .order(users::id.asc())
            .limit(limit as i64)
            .select(UserRow::as_select())
            .load(self.conn)
            .map_err(store_error)?
            .into_iter()
            .map(User::try_from)
            .collect()
    }

    fn count_users(&mut self, organization: OrganizationId) -> StoreResult<u64> {
        users::table
            .filter(live().and(users::organization_id.eq(organization.0)))
            .count()
            .get_result::<i64>(self.conn)
            .map(|n| n as u64)
            .map_err(store_error)
    }

    fn count_users_by_organization(
        &mut self,
        organizations: &[OrganizationId],
    ) -> StoreResult<Vec<(OrganizationId, u64)>> {
        let ids: Vec<i64> = organizations.iter().map(|o| o.0).collect();
        let counts: Vec<(i64, i64)> = users::table
            .filter(live().and(users::organization_id.eq_any(ids)))
            .group_by(users::organization_id)
            .select((users::organization_id, diesel::dsl::count_star()))
            .load(self.conn)
            .map_err(store_error)?;
        Ok(counts
            .into_iter()
            .map(|(org, n)| (OrganizationId(org), n as u64))
            .collect())
    }

    fn find_users(
        &mut self,
        organization: OrganizationId,
        terms: &[String],
        offset: u64,
        limit: usize,
    ) -> StoreResult<Vec<User>> {
        let mut query = users::table
            .filter(live().and(users::organization_id.eq(organization.0)))
            .into_boxed();
        for term in terms {
            let pattern = like_pattern(term);
            query = query.filter(
                users::email
                    .ilike(pattern.clone())
                    .or(users::name.ilike(pattern)),
            );
        }
        query
            .order(users::id.asc())
            .offset(i64::try_from(offset).unwrap_or(i64::MAX))
            .limit(limit as i64)
            .select(UserRow::as_select())
            .load(self.conn)
            .map_err(store_error)?
            .into_iter()
            .map(User::try_from)
            .collect()
    }

    fn count_users_with_role_within(
        &mut self,
        root: OrganizationId,
        role: Role,
    ) -> StoreResult<u64> {
        users::table
            .inner_join(organizations::table.on(organizations::id.eq(users::organization_id)))
            .filter(live())
            .filter(organizations::deleted_at.is_null())
            .filter(organizations::path.contains(vec![root.0]))
            .filter(users::roles.contains(vec![role.as_str()]))
            .count()
            .get_result::<i64>(self.conn)
            .map(|n| n as u64)
            .map_err(store_error)
    }

    fn update_user(&mut self, user: &User) -> StoreResult<()> {
        diesel::update(users::table.filter(users::id.eq(user.id.0).and(live())))
            .set(UserChanges::of(user))
            .execute(self.conn)
            .map(|_| ())
            .map_err(store_error)
    }

    fn delete_user(&mut self, id: UserId, now: DateTime<Utc>) -> StoreResult<()> {
        diesel::update(users::table.filter(users::id.eq(id.0).and(live())))
            .set(users::deleted_at.eq(now))
            .execute(self.conn)
            .map_err(store_error)?;
        self.revoke_credentials(&[id.0], now)
    }
}
