//! Mail servers in PostgreSQL.

use crate::schema::{organizations, server_queues, servers};
use crate::{corrupt, store_error, suspended_by, suspension_from, PgRepositories};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use orgplane_domain::ip_pool::IpPoolId;
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_domain::server::*;
use orgplane_domain::suspension::Suspension;
use orgplane_ports::store::*;
use uuid::Uuid;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

// Deserialize: the reports that read rows as JSON (ip_allocation.rs).
#[derive(Queryable, Selectable, serde::Deserialize)]
#[diesel(table_name = servers)]
pub(crate) struct ServerRow {
    id: i64,
    uuid: Uuid,
    organization_id: i64,
    name: String,
    permalink: String,
    mode: String,
    ip_pool_id: Option<i64>,
    send_limit: Option<i64>,
    suspended_at: Option<DateTime<Utc>>,
    suspended_by: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ServerRow> for Server {
    type Error = StoreError;

    fn try_from(row: ServerRow) -> StoreResult<Self> {
        Ok(Server {
            id: ServerId(row.id),
            uuid: row.uuid,
            organization_id: OrganizationId(row.organization_id),
            name: ServerName::parse(&row.name).map_err(|e| corrupt("server name", e))?,
            permalink: ServerPermalink::parse(&row.permalink)
                .map_err(|e| corrupt("server permalink", e))?,
            mode: ServerMode::parse(&row.mode).map_err(|e| corrupt("server mode", e))?,
            ip_pool_id: row.ip_pool_id.map(IpPoolId),
            send_limit: row
                .send_limit
                .map(SendLimit::new)
                .transpose()
                .map_err(|e| corrupt("send limit", e))?,
            suspension: suspension_from(row.suspended_at, row.suspended_by),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(AsChangeset)]
#[diesel(table_name = servers, treat_none_as_null = true)]
struct ServerChanges<'a> {
    name: &'a str,
    mode: &'static str,
    ip_pool_id: Option<i64>,
    send_limit: Option<i64>,
    suspended_at: Option<DateTime<Utc>>,
    suspended_by: Option<i64>,
    updated_at: DateTime<Utc>,
}

impl<'a> ServerChanges<'a> {
    fn of(server: &'a Server) -> Self {
        Self {
            name: server.name.as_str(),
            mode: server.mode.as_str(),
            ip_pool_id: server.ip_pool_id.map(|p| p.0),
            send_limit: server.send_limit.map(SendLimit::get),
            suspended_at: server.suspension.map(|s| s.since),
            suspended_by: suspended_by(server.suspension),
            updated_at: server.updated_at,
        }
    }
}

fn live() -> diesel::dsl::IsNull<servers::deleted_at> {
    servers::deleted_at.is_null()
}

fn rows(rows: Vec<ServerRow>) -> StoreResult<Vec<Server>> {
    rows.into_iter().map(Server::try_from).collect()
}

/// A server row with its queue (none: empty) and what it sent in the window, as figures
/// (also read as JSON by the statistics' one statement).
pub(crate) fn server_figures(
    (row, queued, sent): (ServerRow, Option<i64>, i64),
) -> StoreResult<ServerFigures> {
    Ok(ServerFigures {
        server: Server::try_from(row)?,
        queued: queued.unwrap_or(0).max(0) as u64,
        sent: sent.max(0) as u64,
    })
}

impl ServerRepository for PgRepositories<'_> {
    fn insert_server(&mut self, new: InsertServer) -> StoreResult<Server> {
        let server = new.into_server(ServerId(0));
        let id: i64 = diesel::insert_into(servers::table)
            .values((
                servers::uuid.eq(server.uuid),
                servers::organization_id.eq(server.organization_id.0),
                servers::permalink.eq(server.permalink.as_str()),
                servers::created_at.eq(server.created_at),
                servers::name.eq(server.name.as_str()),
                servers::mode.eq(server.mode.as_str()),
                servers::ip_pool_id.eq(server.ip_pool_id.map(|p| p.0)),
                servers::send_limit.eq(server.send_limit.map(SendLimit::get)),
                servers::suspended_at.eq(server.suspension.map(|s| s.since)),
                servers::suspended_by.eq(suspended_by(server.suspension)),
                servers::updated_at.eq(server.updated_at),
            ))
            .returning(servers::id)
            .get_result(self.conn)
            .map_err(store_error)?;
        Ok(Server {
            id: ServerId(id),
            ..server
        })
    }

    fn server_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<Server>> {
        servers::table
            .filter(servers::uuid.eq(uuid).and(live()))
            .select(ServerRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(store_error)?
            .map(Server::try_from)
            .transpose()
    }

    fn servers_by_uuids(&mut self, uuids: &[Uuid]) -> StoreResult<Vec<Server>> {
        servers::table
            .filter(servers::uuid.eq_any(uuids).and(live()))
            .order(servers::id.asc())
            .select(ServerRow::as_select())
            .load(self.conn)
            .map_err(store_error)
            .and_then(rows)
    }

    fn lock_server(&mut self, id: ServerId, lock: Lock) -> StoreResult<Option<Server>> {
        let query = servers::table
            .filter(servers::id.eq(id.0).and(live()))
            .select(ServerRow::as_select());
        match lock {
            Lock::Share => query.for_share().first(self.conn),
            Lock::Update => query.for_no_key_update().first(self.conn),
        }
        .optional()
        .map_err(store_error)?
        .map(Server::try_from)
        .transpose()
    }

    fn server_name_taken(
        &mut self,
        organization: OrganizationId,
        name: &ServerName,
        except: Option<ServerId>,
    ) -> StoreResult<bool> {
        diesel::select(diesel::dsl::exists(
            servers::table
                .filter(servers::organization_id.eq(organization.0).and(live()))
                .filter(lower(servers::name).eq(name.normalized()))
                .filter(servers::id.ne(except.map_or(0, |s| s.0))),
        ))
        .get_result(self.conn)
        .map_err(store_error)
    }

    fn server_permalink_taken(
        &mut self,
        organization: OrganizationId,
        permalink: &ServerPermalink,
    ) -> StoreResult<bool> {
        diesel::select(diesel::dsl::exists(
            servers::table
                .filter(servers::organization_id.eq(organization.0).and(live()))
                .filter(servers::permalink.eq(permalink.as_str())),
        ))
        .get_result(self.conn)
        .map_err(store_error)
    }

    fn list_servers(
        &mut self,
        organization: OrganizationId,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<Server>> {
        servers::table
            .filter(servers::organization_id.eq(organization.0).and(live()))
            .filter(servers::id.gt(after.map_or(0, |c| c.after)))
            .order(servers::id.asc())
            .limit(limit as i64)
            .select(ServerRow::as_select())
            .load(self.conn)
            .map_err(store_error)
            .and_then(rows)
    }

    fn servers_of(&mut self, organization: OrganizationId) -> StoreResult<Vec<Server>> {
        servers::table
            .filter(servers::organization_id.eq(organization.0).and(live()))
            .order(servers::id.asc())
            .select(ServerRow::as_select())
            .load(self.conn)
            .map_err(store_error)
            .and_then(rows)
    }

    fn servers_of_organizations(
        &mut self,
        organizations: &[OrganizationId],
    ) -> StoreResult<Vec<Server>> {
        let ids: Vec<i64> = organizations.iter().map(|o| o.0).collect();
        servers::table
            .filter(servers::organization_id.eq_any(ids).and(live()))
            .order(servers::id.asc())
            .select(ServerRow::as_select())
            .load(self.conn)
            .map_err(store_error)
            .and_then(rows)
    }

    fn server_figures(
        &mut self,
        organization: OrganizationId,
        since: i64,
    ) -> StoreResult<Vec<ServerFigures>> {
        use diesel::dsl::sql;
        use diesel::sql_types::BigInt;
        // Typed, and the independent reference of the statistics' one statement
        // (statistics.rs): the servers, their queue rows, and a sum over each one's
        // seconds in the window (its primary key's range).
        let sent = sql::<BigInt>(
            "coalesce((SELECT sum(ss.sent) FROM sent_seconds ss \
             WHERE ss.server_id = servers.id AND ss.second >= ",
        )
        .bind::<BigInt, _>(since)
        .sql("), 0)::int8");
        let found: Vec<(ServerRow, Option<i64>, i64)> = servers::table
            .left_join(server_queues::table.on(server_queues::server_id.eq(servers::id)))
            .filter(servers::organization_id.eq(organization.0).and(live()))
            .order(servers::id.asc())
            .select((
                ServerRow::as_select(),
                server_queues::queued.nullable(),
                sent,
            ))
            .load(self.conn)
            .map_err(store_error)?;
        found.into_iter().map(server_figures).collect()
    }

    fn servers_within(&mut self, root: OrganizationId) -> StoreResult<Vec<Server>> {
        let subtree = organizations::table
            .filter(organizations::path.contains(vec![root.0]))
            .filter(organizations::deleted_at.is_null())
            .select(organizations::id);
        servers::table
            .filter(servers::organization_id.eq_any(subtree).and(live()))
            .order(servers::id.asc())
            .select(ServerRow::as_select())
            .load(self.conn)
            .map_err(store_error)
            .and_then(rows)
    }

    fn count_servers_within(&mut self, root: Option<OrganizationId>) -> StoreResult<u64> {
        let mut subtree = organizations::table
            .filter(organizations::deleted_at.is_null())
            .select(organizations::id)
            .into_boxed();
        if let Some(root) = root {
            subtree = subtree.filter(organizations::path.contains(vec![root.0]));
        }
        servers::table
            .filter(servers::organization_id.eq_any(subtree).and(live()))
            .count()
            .get_result::<i64>(self.conn)
            .map(|n| n.max(0) as u64)
            .map_err(store_error)
    }

    fn servers_using_pools(&mut self, pools: &[IpPoolId]) -> StoreResult<Vec<Server>> {
        let ids: Vec<i64> = pools.iter().map(|p| p.0).collect();
        servers::table
            .filter(servers::ip_pool_id.eq_any(ids).and(live()))
            .order(servers::id.asc())
            .select(ServerRow::as_select())
            .load(self.conn)
            .map_err(store_error)
            .and_then(rows)
    }

    fn count_servers(
        &mut self,
        organizations: &[OrganizationId],
    ) -> StoreResult<Vec<(OrganizationId, u64)>> {
        let ids: Vec<i64> = organizations.iter().map(|o| o.0).collect();
        let counts: Vec<(i64, i64)> = servers::table
            .filter(servers::organization_id.eq_any(ids).and(live()))
            .group_by(servers::organization_id)
            .select((servers::organization_id, diesel::dsl::count_star()))
            .load(self.conn)
            .map_err(store_error)?;
        Ok(counts
            .into_iter()
            .map(|(org, n)| (OrganizationId(org), n as u64))
            .collect())
    }

    fn update_server(&mut self, server: &Server) -> StoreResult<()> {
        diesel::update(servers::table.filter(servers::id.eq(server.id.0).and(live())))
            .set(ServerChanges::of(server))
            .execute(self.conn)
            .map(|_| ())
            .map_err(store_error)
    }

    fn set_server_suspensions(
        &mut self,
        changes: &[(ServerId, Option<Suspension>)],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        for (id, suspension) in changes {
            diesel::update(servers::table.filter(servers::id.eq(id.0).and(live())))
                .set((
                    servers::suspended_at.eq(suspension.map(|s| s.since)),
                    servers::suspended_by.eq(suspended_by(*suspension)),
                    servers::updated_at.eq(now),
                ))
                .execute(self.conn)
                .map_err(store_error)?;
        }
        Ok(())
    }

    fn delete_server(&mut self, id: ServerId, now: DateTime<Utc>) -> StoreResult<()> {
        diesel::update(servers::table.filter(servers::id.eq(id.0).and(live())))
            .set(servers::deleted_at.eq(now))
            .execute(self.conn)
            .map(|_| ())
            .map_err(store_error)
    }
}
