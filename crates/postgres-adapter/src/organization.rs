//! Organizations in PostgreSQL.

use crate::schema::{
    ip_addresses, ip_pool_addresses, ip_pools, organization_counts, organizations, servers, users,
};
use crate::{corrupt, like_pattern, store_error, suspended_by, suspension_from, PgRepositories};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use orgplane_domain::organization::*;
use orgplane_domain::page::Cursor;
use orgplane_domain::suspension::Suspension;
use orgplane_ports::store::*;
use uuid::Uuid;

// Deserialize: the sub-organization list reads rows as JSON (sub_organization.rs).
#[derive(Queryable, Selectable, serde::Deserialize)]
#[diesel(table_name = organizations)]
pub(crate) struct OrganizationRow {
    id: i64,
    uuid: Uuid,
    name: String,
    permalink: String,
    domain: Option<String>,
    address: Option<String>,
    city: Option<String>,
    zip: Option<String>,
    country: Option<String>,
    country_code: Option<String>,
    phone: Option<String>,
    time_zone: Option<String>,
    parent_id: Option<i64>,
    parent_uuid: Option<Uuid>,
    path: Vec<i64>,
    monthly_limit: Option<i64>,
    customizations: serde_json::Value,
    suspended_at: Option<DateTime<Utc>>,
    suspended_by: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The columns of an [`OrganizationRow`] in its fields' order, each prefixed with the
/// alias `$t`: for statements that send rows as JSON arrays, which deserialize into the
/// row by position (a test checks the order against `Selectable`).
#[rustfmt::skip] // a column list reads best as a list
macro_rules! organization_columns {
    ($t:literal) => {
        concat!(
            $t, ".id, ", $t, ".uuid, ", $t, ".name, ", $t, ".permalink, ", $t, ".domain, ",
            $t, ".address, ", $t, ".city, ", $t, ".zip, ", $t, ".country, ",
            $t, ".country_code, ", $t, ".phone, ", $t, ".time_zone, ", $t, ".parent_id, ",
            $t, ".parent_uuid, ", $t, ".path, ", $t, ".monthly_limit, ",
            $t, ".customizations, ", $t, ".suspended_at, ", $t, ".suspended_by, ",
            $t, ".created_at, ", $t, ".updated_at"
        )
    };
}
pub(crate) use organization_columns;

fn opt<T, E: std::fmt::Display>(
    value: Option<String>,
    what: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> StoreResult<Option<T>> {
    value
        .map(|v| parse(&v).map_err(|e| corrupt(what, e)))
        .transpose()
}

impl TryFrom<OrganizationRow> for Organization {
    type Error = StoreError;

    fn try_from(row: OrganizationRow) -> StoreResult<Self> {
        Ok(Organization {
            id: OrganizationId(row.id),
            uuid: row.uuid,
            name: OrganizationName::parse(&row.name)
                .map_err(|e| corrupt("organization name", e))?,
            permalink: Permalink::parse(&row.permalink).map_err(|e| corrupt("permalink", e))?,
            profile: Profile {
                domain: opt(row.domain, "domain", DomainName::parse)?,
                address: opt(row.address, "address", Address::parse)?,
                city: opt(row.city, "city", City::parse)?,
                zip: opt(row.zip, "zip", Zip::parse)?,
                country: opt(row.country, "country", CountryName::parse)?,
                country_code: opt(row.country_code, "country code", CountryCode::parse)?,
                phone: opt(row.phone, "phone", PhoneNumber::parse)?,
                time_zone: opt(row.time_zone, "time zone", TimeZone::parse)?,
            },
            parent_id: row.parent_id.map(OrganizationId),
            parent_uuid: row.parent_uuid,
            path: row.path.into_iter().map(OrganizationId).collect(),
            limit: row
                .monthly_limit
                .map(MonthlyLimit::new)
                .transpose()
                .map_err(|e| corrupt("limit", e))?,
            customizations: Customizations::parse(row.customizations)
                .map_err(|e| corrupt("customizations", e))?,
            suspension: suspension_from(row.suspended_at, row.suspended_by),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(AsChangeset, Insertable)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
struct OrganizationChanges<'a> {
    name: &'a str,
    domain: Option<&'a str>,
    address: Option<&'a str>,
    city: Option<&'a str>,
    zip: Option<&'a str>,
    country: Option<&'a str>,
    country_code: Option<&'a str>,
    phone: Option<&'a str>,
    time_zone: Option<&'a str>,
    monthly_limit: Option<i64>,
    customizations: serde_json::Value,
    suspended_at: Option<DateTime<Utc>>,
    suspended_by: Option<i64>,
    updated_at: DateTime<Utc>,
}

impl<'a> OrganizationChanges<'a> {
    fn of(org: &'a Organization) -> Self {
        let p = &org.profile;
        Self {
            name: org.name.as_str(),
            domain: p.domain.as_ref().map(DomainName::as_str),
            address: p.address.as_ref().map(|v| v.as_str()),
            city: p.city.as_ref().map(|v| v.as_str()),
            zip: p.zip.as_ref().map(|v| v.as_str()),
            country: p.country.as_ref().map(|v| v.as_str()),
            country_code: p.country_code.as_ref().map(CountryCode::as_str),
            phone: p.phone.as_ref().map(PhoneNumber::as_str),
            time_zone: p.time_zone.as_ref().map(TimeZone::as_str),
            monthly_limit: org.limit.map(MonthlyLimit::get),
            customizations: org.customizations.to_value(),
            suspended_at: org.suspension.map(|s| s.since),
            suspended_by: suspended_by(org.suspension),
            updated_at: org.updated_at,
        }
    }
}

// The parent of a page of children, checked on its own row.
diesel::alias!(organizations as parent_org: ParentOrg);

fn live() -> diesel::dsl::IsNull<organizations::deleted_at> {
    organizations::deleted_at.is_null()
}

/// Live organizations matching `filter` (every search term in `search_text`, through its
/// trigram index).
fn filtered(filter: &OrganizationFilter) -> organizations::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = organizations::table.filter(live()).into_boxed();
    match (filter.within, filter.parent) {
        // Children inside a subtree: the parent is, checked once on the parent's own row,
        // so that the children come straight from the (parent_id, id) index in key order
        // (a check of every child's path let the planner sort a million of them).
        (Some(within), Some(parent)) => {
            // Typed, not an `sql` fragment: Diesel never caches a statement holding one.
            let parent_row = parent_org
                .filter(parent_org.field(organizations::id).eq(parent.0))
                .filter(
                    parent_org
                        .field(organizations::path)
                        .contains(vec![within.0]),
                );
            query = query
                .filter(organizations::parent_id.eq(parent.0))
                .filter(diesel::dsl::exists(parent_row));
        }
        (Some(within), None) => {
            query = query.filter(organizations::path.contains(vec![within.0]));
        }
        (None, Some(parent)) => {
            query = query.filter(organizations::parent_id.eq(parent.0));
        }
        (None, None) => {}
    }
    for term in &filter.terms {
        query = query.filter(organizations::search_text.like(like_pattern(term)));
    }
    if !filter.terms.is_empty() {
        // A search is planned for its terms, never from a cached statement (an `sql`
        // fragment keeps Diesel from preparing it): the generic plan walks the parent's
        // children in key order and filters, which for a rare term among a million
        // children read them all (370 ms); planned for the term, the trigram index finds
        // its few matches (6 ms). A common term still walks the children, which is then
        // the faster way.
        query = query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("TRUE"));
    }
    query
}

/// A page of `filter`'s organizations by ascending key (after `after`, skipping
/// `offset`), read in two steps when they are one parent's children: their keys from the
/// (parent_id, id) index alone, then those rows. Asked in one step, the planner walks the
/// primary key and filters, which for a parent whose million children all come after
/// everyone else's read 20,000 rows to return 10 (12 ms; 0.2 ms in two steps).
fn page(
    filter: &OrganizationFilter,
    after: Option<Cursor>,
    offset: u64,
    limit: usize,
) -> organizations::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = filtered(filter);
    if let Some(cursor) = after {
        query = query.filter(organizations::id.gt(cursor.after));
    }
    let query = query
        .order(organizations::id.asc())
        .offset(i64::try_from(offset).unwrap_or(i64::MAX))
        .limit(limit as i64);
    if filter.parent.is_none() {
        return query;
    }
    organizations::table
        .filter(organizations::id.eq_any(query.select(organizations::id)))
        .order(organizations::id.asc())
        .into_boxed()
}

impl PgRepositories<'_> {
    /// How many live organizations lie `within` one (itself included) and/or under
    /// `parent` (its children), from the counts kept beside them
    /// (`organization_counts`, see its migration): one indexed look-up at any size.
    fn counted(
        &mut self,
        within: Option<OrganizationId>,
        parent: Option<OrganizationId>,
    ) -> StoreResult<u64> {
        let n: Option<i64> = match (within, parent) {
            // Children of a parent inside the subtree (none if it lies outside).
            (within, Some(parent)) => organization_counts::table
                .inner_join(
                    organizations::table
                        .on(organizations::id.eq(organization_counts::organization_id)),
                )
                .filter(organizations::id.eq(parent.0).and(live()))
                // Every path holds its own organization: no subtree, no condition.
                .filter(organizations::path.contains(vec![within.map_or(parent.0, |w| w.0)]))
                .select(organization_counts::children)
                .first(self.conn)
                .optional()
                .map_err(store_error)?,
            // A subtree: its root and everything below, if the root is live.
            (Some(root), None) => organization_counts::table
                .inner_join(
                    organizations::table
                        .on(organizations::id.eq(organization_counts::organization_id)),
                )
                .filter(organizations::id.eq(root.0).and(live()))
                .select(organization_counts::descendants + 1_i64)
                .first(self.conn)
                .optional()
                .map_err(store_error)?,
            // Everything: row 0.
            (None, None) => organization_counts::table
                .find(0_i64)
                .select(organization_counts::descendants)
                .first(self.conn)
                .optional()
                .map_err(store_error)?,
        };
        Ok(n.map_or(0, |n| n.max(0) as u64))
    }
}

impl OrganizationRepository for PgRepositories<'_> {
    fn insert_organization(&mut self, new: InsertOrganization) -> StoreResult<Organization> {
        let id: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::Int8>(
            "nextval('organizations_id_seq')",
        ))
        .get_result(self.conn)
        .map_err(store_error)?;
        // The id is drawn first because the row's own path ends with it.
        let org = new.into_organization(OrganizationId(id));
        let path: Vec<i64> = org.path.iter().map(|o| o.0).collect();
        diesel::insert_into(organizations::table)
            .values((
                organizations::id.eq(id),
                organizations::uuid.eq(org.uuid),
                organizations::permalink.eq(org.permalink.as_str()),
                organizations::parent_id.eq(org.parent_id.map(|p| p.0)),
                organizations::parent_uuid.eq(org.parent_uuid),
                organizations::path.eq(&path),
                organizations::created_at.eq(org.created_at),
                OrganizationChanges::of(&org),
            ))
            .execute(self.conn)
            .map_err(store_error)?;
        Ok(org)
    }

    fn organization(&mut self, id: OrganizationId) -> StoreResult<Option<Organization>> {
        organizations::table
            .filter(organizations::id.eq(id.0).and(live()))
            .select(OrganizationRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(store_error)?
            .map(Organization::try_from)
            .transpose()
    }

    fn organizations_by_ids(&mut self, ids: &[OrganizationId]) -> StoreResult<Vec<Organization>> {
        let keys: Vec<i64> = ids.iter().map(|o| o.0).collect();
        organizations::table
            .filter(organizations::id.eq_any(keys).and(live()))
            .order(organizations::id.asc())
            .select(OrganizationRow::as_select())
            .load(self.conn)
            .map_err(store_error)?
            .into_iter()
            .map(Organization::try_from)
            .collect()
    }

    fn organization_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<Organization>> {
        organizations::table
            .filter(organizations::uuid.eq(uuid).and(live()))
            .select(OrganizationRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(store_error)?
            .map(Organization::try_from)
            .transpose()
    }

    fn lock_organization(
        &mut self,
        id: OrganizationId,
        lock: Lock,
    ) -> StoreResult<Option<Organization>> {
        let query = organizations::table
            .filter(organizations::id.eq(id.0).and(live()))
            .select(OrganizationRow::as_select());
        let row = match lock {
            Lock::Share => query.for_share().first(self.conn),
            // NO KEY UPDATE: excludes other writers, but not the foreign-key checks of
            // rows that merely reference this one (audit entries, users, sessions).
            Lock::Update => query.for_no_key_update().first(self.conn),
        };
        row.optional()
            .map_err(store_error)?
            .map(Organization::try_from)
            .transpose()
    }

    fn lock_path(&mut self, path: &[OrganizationId]) -> StoreResult<bool> {
        let ids: Vec<i64> = path.iter().map(|o| o.0).collect();
        // Ancestors are always older, so key order is root-first order: the same order a
        // subtree delete locks in, which rules out deadlocks between the two.
        let locked = organizations::table
            .filter(organizations::id.eq_any(&ids).and(live()))
            .order(organizations::id.asc())
            .select(organizations::id)
            .for_share()
            .load::<i64>(self.conn)
            .map_err(store_error)?;
        Ok(locked.len() == ids.len())
    }

    fn permalink_taken(&mut self, permalink: &Permalink) -> StoreResult<bool> {
        diesel::select(diesel::dsl::exists(
            organizations::table
                .filter(organizations::permalink.eq(permalink.as_str()).and(live())),
        ))
        .get_result(self.conn)
        .map_err(store_error)
    }

    fn list_organizations(
        &mut self,
        filter: &OrganizationFilter,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<Organization>> {
        page(filter, after, 0, limit)
            .select(OrganizationRow::as_select())
            .load(self.conn)
            .map_err(store_error)?
            .into_iter()
            .map(Organization::try_from)
            .collect()
    }

    fn count_organizations(&mut self, filter: &OrganizationFilter) -> StoreResult<u64> {
        if filter.terms.is_empty() {
            return self.counted(filter.within, filter.parent);
        }
        // Words to find: the trigram index narrows the rows, which are counted.
        filtered(filter)
            .count()
            .get_result::<i64>(self.conn)
            .map(|n| n as u64)
            .map_err(store_error)
    }

    fn organizations_at(
        &mut self,
        filter: &OrganizationFilter,
        offset: u64,
        limit: usize,
    ) -> StoreResult<Vec<Organization>> {
        page(filter, None, offset, limit)
            .select(OrganizationRow::as_select())
            .load(self.conn)
            .map_err(store_error)?
            .into_iter()
            .map(Organization::try_from)
            .collect()
    }

    fn update_organization(&mut self, org: &Organization) -> StoreResult<()> {
        diesel::update(organizations::table.filter(organizations::id.eq(org.id.0).and(live())))
            .set(OrganizationChanges::of(org))
            .execute(self.conn)
            .map(|_| ())
            .map_err(store_error)
    }

    fn count_children(&mut self, id: OrganizationId) -> StoreResult<u64> {
        organizations::table
            .filter(organizations::parent_id.eq(id.0).and(live()))
            .count()
            .get_result::<i64>(self.conn)
            .map(|n| n as u64)
            .map_err(store_error)
    }

    fn lock_subtree(&mut self, root: OrganizationId) -> StoreResult<Vec<Organization>> {
        // Key order is root-first order: ancestors are always older.
        organizations::table
            .filter(organizations::path.contains(vec![root.0]).and(live()))
            .order(organizations::id.asc())
            .select(OrganizationRow::as_select())
            .for_no_key_update()
            .load(self.conn)
            .map_err(store_error)?
            .into_iter()
            .map(Organization::try_from)
            .collect()
    }

    fn set_organization_suspensions(
        &mut self,
        changes: &[(OrganizationId, Option<Suspension>)],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        for (id, suspension) in changes {
            diesel::update(organizations::table.filter(organizations::id.eq(id.0).and(live())))
                .set((
                    organizations::suspended_at.eq(suspension.map(|s| s.since)),
                    organizations::suspended_by.eq(suspended_by(*suspension)),
                    organizations::updated_at.eq(now),
                ))
                .execute(self.conn)
                .map_err(store_error)?;
        }
        Ok(())
    }

    fn delete_organization_subtree(
        &mut self,
        id: OrganizationId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        // Lock the subtree first, in key order (so two overlapping deletes cannot
        // deadlock). This waits for children being added right now (they share-lock their
        // parent); the UPDATE below, a new statement, then sees them and deletes them too.
        organizations::table
            .filter(organizations::path.contains(vec![id.0]).and(live()))
            .order(organizations::id.asc())
            .select(organizations::id)
            .for_no_key_update()
            .load::<i64>(self.conn)
            .map_err(store_error)?;
        let doomed: Vec<i64> = diesel::update(
            organizations::table.filter(organizations::path.contains(vec![id.0]).and(live())),
        )
        .set(organizations::deleted_at.eq(now))
        .returning(organizations::id)
        .get_results(self.conn)
        .map_err(store_error)?;
        let doomed_users: Vec<i64> = diesel::update(
            users::table.filter(
                users::organization_id
                    .eq_any(&doomed)
                    .and(users::deleted_at.is_null()),
            ),
        )
        .set(users::deleted_at.eq(now))
        .returning(users::id)
        .get_results(self.conn)
        .map_err(store_error)?;
        self.revoke_credentials(&doomed_users, now)?;
        // Users elsewhere whose current organization this was fall back to their home.
        diesel::update(
            users::table.filter(
                users::current_organization_id
                    .eq_any(&doomed)
                    .and(users::deleted_at.is_null()),
            ),
        )
        .set(users::current_organization_id.eq(users::organization_id))
        .execute(self.conn)
        .map_err(store_error)?;
        // Their infrastructure goes with them. Pools and addresses of the subtree serve
        // only servers of the subtree, so nothing outside is left pointing at them.
        diesel::update(
            servers::table.filter(
                servers::organization_id
                    .eq_any(&doomed)
                    .and(servers::deleted_at.is_null()),
            ),
        )
        .set(servers::deleted_at.eq(now))
        .execute(self.conn)
        .map_err(store_error)?;
        diesel::delete(
            ip_pool_addresses::table.filter(ip_pool_addresses::organization_id.eq_any(&doomed)),
        )
        .execute(self.conn)
        .map_err(store_error)?;
        let doomed_addresses = ip_addresses::table
            .filter(ip_addresses::organization_id.eq_any(&doomed))
            .select(ip_addresses::id);
        diesel::delete(
            ip_pool_addresses::table
                .filter(ip_pool_addresses::ip_address_id.eq_any(doomed_addresses)),
        )
        .execute(self.conn)
        .map_err(store_error)?;
        diesel::update(
            ip_pools::table.filter(
                ip_pools::organization_id
                    .eq_any(&doomed)
                    .and(ip_pools::deleted_at.is_null()),
            ),
        )
        .set(ip_pools::deleted_at.eq(now))
        .execute(self.conn)
        .map_err(store_error)?;
        diesel::update(
            ip_addresses::table.filter(
                ip_addresses::organization_id
                    .eq_any(&doomed)
                    .and(ip_addresses::deleted_at.is_null()),
            ),
        )
        .set(ip_addresses::deleted_at.eq(now))
        .execute(self.conn)
        .map_err(store_error)?;
        Ok(doomed.len() as u64)
    }
}
